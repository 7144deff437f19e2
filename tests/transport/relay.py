#!/usr/bin/env python3
"""relay.py -- a TCP relay between the SFTP transport and the test sshd
that breaks connections on demand (tests/transport/sftp-faults.sh).

    relay.py --target PORT --port-file FILE [--cut-after BYTES]
             [--direction up|down] [--mode close|blackhole] [--conns N]
             [--dead-after-cut] [--delay-ms MS]

Listens on a free port of 127.0.0.1 (written to FILE once listening) and
forwards every connection to 127.0.0.1:PORT.  The first N connections
(default 1) are broken once BYTES bytes went from the client to the
server (--direction up, the default: an upload), or from the server to
the client (--direction down: a download): "close" shuts both sides down
(the connection drops), "blackhole" stops forwarding in both directions
but keeps the sockets open (the peer hears nothing more: only a timeout
gets it out).  Later connections are relayed faithfully, unless
--dead-after-cut: then the first cut also closes the listening socket
(new connections are refused; the server is gone for good).  --delay-ms
adds MS milliseconds of latency in each direction (a long, fat link:
bandwidth is not limited).  Runs until killed.
"""
import argparse
import collections
import os
import socket
import sys
import threading
import time

keep = []  # blackholed sockets stay open until the process ends
lock = threading.Lock()
listener = None  # the listening socket, closed by the first cut with --dead-after-cut
dead = threading.Event()


class Delayed:
    """A sendall() that delivers each piece delay seconds later, in order."""

    def __init__(self, sock, delay):
        self.sock, self.delay = sock, delay
        self.q = collections.deque()
        self.cv = threading.Condition()
        threading.Thread(target=self.run, daemon=True).start()

    def sendall(self, data):
        with self.cv:
            self.q.append((time.monotonic() + self.delay, data))
            self.cv.notify()

    def shutdown(self, how):
        self.sendall(how)

    def run(self):
        try:
            while True:
                with self.cv:
                    while not self.q:
                        self.cv.wait()
                    due, data = self.q.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if isinstance(data, int):
                    self.sock.shutdown(data)
                    return
                self.sock.sendall(data)
        except OSError:
            pass


def pump(src, dst, conn, upstream):
    """Copy src to dst; conn is the shared state of one connection."""
    if conn["delay"] > 0:
        out = Delayed(dst, conn["delay"])
    else:
        out = dst
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            with lock:
                if conn["broken"]:
                    break
                if upstream == conn["up"] and conn["doomed"]:
                    room = conn["limit"] - conn["sent"]
                    if len(data) >= room:
                        if room > 0:
                            out.sendall(data[:room])
                        conn["sent"] += max(room, 0)
                        conn["broken"] = True
                        if conn["mode"] == "close":
                            for s in (src, dst):
                                try:
                                    s.shutdown(socket.SHUT_RDWR)
                                except OSError:
                                    pass
                        else:
                            keep.extend((src, dst))
                        sys.stderr.write("relay: connection broken (%s) after %d bytes %s\n"
                                         % (conn["mode"], conn["sent"],
                                            "up" if conn["up"] else "down"))
                        if conn["dead_after"] and not dead.is_set():
                            dead.set()
                            try:
                                listener.shutdown(socket.SHUT_RDWR)
                            except OSError:
                                pass
                            sys.stderr.write("relay: no longer accepting connections\n")
                        return
                    conn["sent"] += len(data)
            out.sendall(data)
    except OSError:
        pass
    with lock:
        if conn["broken"]:
            return
    try:
        out.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cut-after", type=int, default=-1)
    ap.add_argument("--direction", choices=("up", "down"), default="up")
    ap.add_argument("--mode", choices=("close", "blackhole"), default="close")
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--dead-after-cut", action="store_true")
    ap.add_argument("--delay-ms", type=float, default=0)
    a = ap.parse_args()

    global listener
    listener = ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)

    n = 0
    while True:
        try:
            c, _ = ls.accept()
        except OSError:
            if not dead.is_set():
                raise
            ls.close()  # refused from now on; blackholed sockets stay open
            threading.Event().wait()
        if dead.is_set():
            c.close()
            continue
        n += 1
        try:
            u = socket.create_connection(("127.0.0.1", a.target))
        except OSError:
            c.close()
            continue
        conn = {
            "doomed": a.cut_after >= 0 and n <= a.conns,
            "limit": a.cut_after,
            "sent": 0,
            "broken": False,
            "mode": a.mode,
            "up": a.direction == "up",
            "dead_after": a.dead_after_cut,
            "delay": a.delay_ms / 1000.0,
        }
        if conn["doomed"] and a.cut_after == 0:
            # silent from the start: not even the server's banner
            conn["broken"] = True
            keep.extend((c, u))
            continue
        threading.Thread(target=pump, args=(c, u, conn, True), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, conn, False), daemon=True).start()


if __name__ == "__main__":
    main()
