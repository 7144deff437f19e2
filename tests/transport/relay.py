#!/usr/bin/env python3
"""relay.py -- a TCP relay between the SFTP transport and the test sshd
that breaks connections on demand (tests/transport/sftp-faults.sh).

    relay.py --target PORT --port-file FILE [--cut-after BYTES]
             [--mode close|blackhole] [--conns N] [--delay-ms MS]

Listens on a free port of 127.0.0.1 (written to FILE once listening) and
forwards every connection to 127.0.0.1:PORT.  The first N connections
(default 1) are broken once BYTES bytes went from the client to the
server: "close" shuts both sides down (the connection drops), "blackhole"
stops forwarding in both directions but keeps the sockets open (the peer
hears nothing more: only a timeout gets it out).  Later connections are
relayed faithfully.  --delay-ms adds MS milliseconds of latency in each
direction (a long, fat link: bandwidth is not limited).  Runs until
killed.
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
                if upstream and conn["doomed"]:
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
                        sys.stderr.write("relay: connection broken (%s) after %d bytes\n"
                                         % (conn["mode"], conn["sent"]))
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
    ap.add_argument("--mode", choices=("close", "blackhole"), default="close")
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--delay-ms", type=float, default=0)
    a = ap.parse_args()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)

    n = 0
    while True:
        c, _ = ls.accept()
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
