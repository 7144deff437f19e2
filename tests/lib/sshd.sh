# sshd.sh -- a throwaway OpenSSH sshd on 127.0.0.1 for the transport, ship
# and hostile tests, tests/demo.sh and bench/{ship,restore}.sh.
#
# Source it (once is enough: sourcing it again is a no-op), then:
#   gs_sshd_start DIR [sshd_config line]...
#       makes DIR (keys, config, log) and starts /usr/sbin/sshd -D -e in
#       the background on a free high port of 127.0.0.1, with its own
#       ed25519 host key, its own authorized_keys holding two generated
#       client keys (ed25519 and RSA), `Subsystem sftp internal-sftp`, no
#       PAM, StrictModes no, logging to DIR/sshd.log; waits (bounded
#       polling) until the port answers with an SSH banner, and installs an
#       EXIT trap that stops it (chained before any EXIT trap already set).
#       Extra arguments are sshd_config lines put before the defaults (sshd
#       takes the first value of a keyword).  Returns non-zero, with
#       the reason on stderr, when sshd cannot start: callers fail loudly.
#   gs_sshd_stop             stop sshd and its sessions (idempotent)
#   gs_sshd_kill_sessions    kill the per-connection sshd processes (the
#                            connections drop; the listener keeps running);
#                            1 when there was none
#   gs_sshd_kill_sftp        kill only the sessions' sftp server processes
#   gs_sshd_sessions         print the pids of the per-connection processes
#
# After gs_sshd_start:
#   GS_SSHD_DIR GS_SSHD_PORT GS_SSHD_PID GS_SSHD_USER GS_SSHD_LOG
#   GS_SSHD_ID_ED25519 GS_SSHD_ID_RSA      client private keys (mode 600)
#   GS_SSHD_KNOWN_HOSTS                    "[127.0.0.1]:PORT ssh-ed25519 ..."
#   GS_SSHD_KNOWN_HOSTS_HASHED             the same, hashed by ssh-keygen -H
#   GS_SSHD_FPR                            "SHA256:..." of the host key
#   GS_SSHD_HOSTKEY_PUB                    the host's public key line
#
# GS_SSHD_SUBSYSTEM, when set, replaces internal-sftp (e.g. the external
# sftp-server with its log on a file, to see each request).
# GS_SSHD_MATCH, when set, is put at the end of the config (Match blocks
# must come last: tests/accounts/ puts conf/sshd_config.geosnap's there).
#
# RSA: libssh2 1.10 (Debian 12) signs with ssh-rsa (SHA-1) only, which
# OpenSSH 8.8+ refuses by default, so this sshd says
# `PubkeyAcceptedAlgorithms +ssh-rsa`; pass "PubkeyAcceptedAlgorithms
# -ssh-rsa" as an extra line to get the stock behaviour.
#
# tests/transport/sshd.sh tests it with the stock ssh/sftp clients.
# shellcheck shell=bash source-path=SCRIPTDIR

[ -z "${GS_SSHD_LOADED:-}" ] || return 0
GS_SSHD_LOADED=1

GS_SSHD_BIN=/usr/sbin/sshd
GS_SSHD_PID=
GS_SSHD_PORT=

gs_sshd_sessions() {
	[ -n "$GS_SSHD_PID" ] || return 0
	pgrep -P "$GS_SSHD_PID" 2>/dev/null
}

# _gs_sshd_descendants PID: every process below PID.
_gs_sshd_descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		_gs_sshd_descendants "$c"
	done
}

# Each connection is a tree below the listener (a monitor and the process
# holding the socket for users other than root, one process for root;
# the sftp server below it): kill it all, so the TCP connection drops.
gs_sshd_kill_sessions() {
	local pids i
	[ -n "$GS_SSHD_PID" ] || return 1
	pids=$(_gs_sshd_descendants "$GS_SSHD_PID")
	[ -n "$pids" ] || return 1
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		[ -z "$(gs_sshd_sessions)" ] && break
		sleep 0.025
	done
	return 0
}

# gs_sshd_kill_sftp: kill only the sftp server processes of the sessions
# (the SSH connections stay up, their SFTP channels close).
gs_sshd_kill_sftp() {
	local p pids=
	[ -n "$GS_SSHD_PID" ] || return 1
	for p in $(_gs_sshd_descendants "$GS_SSHD_PID"); do
		case $(ps -o args= -p "$p" 2>/dev/null) in
		*sftp*) pids="$pids $p" ;;
		esac
	done
	[ -n "$pids" ] || return 1
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
}

gs_sshd_stop() {
	local i
	[ -n "$GS_SSHD_PID" ] || return 0
	# every step may "fail" harmlessly (nothing left to kill): safe under set -e
	gs_sshd_kill_sessions || true
	kill -TERM "$GS_SSHD_PID" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		kill -0 "$GS_SSHD_PID" 2>/dev/null || break
		sleep 0.025
	done
	kill -KILL "$GS_SSHD_PID" 2>/dev/null || true
	wait "$GS_SSHD_PID" 2>/dev/null || true
	GS_SSHD_PID=
}

# _gs_sshd_trap: run gs_sshd_stop at exit, before the EXIT trap in place.
# shellcheck disable=SC2120  # "set --" below, not arguments
_gs_sshd_trap() {
	local prev=
	# trap -p prints "trap -- 'CMD' EXIT", quoted for eval
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && prev=$3
	case $prev in
	*gs_sshd_stop*) return 0 ;;
	esac
	# keep the exit status for the trap that was there
	# shellcheck disable=SC2064,SC2154
	trap "_gs_sshd_rc=\$?; gs_sshd_stop; (exit \$_gs_sshd_rc); $prev" EXIT
}

# _gs_sshd_ready PORT: the port answers with an SSH banner.
_gs_sshd_ready() {
	local line=
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	read -r -t 2 line <&3
	exec 3<&- 3>&-
	[[ $line == SSH-2.0-* ]]
}

# _gs_sshd_free PORT: nothing listens on PORT.
_gs_sshd_free() {
	! { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || { exec 3<&- 3>&-; return 1; }
	if command -v ss >/dev/null 2>&1; then
		[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] || return 1
	fi
	return 0
}

gs_sshd_start() {
	local dir=$1 try i port line
	shift
	case $dir in
	/*) ;;
	*) dir=$PWD/$dir ;;
	esac
	[ -x "$GS_SSHD_BIN" ] || { echo "sshd.sh: $GS_SSHD_BIN missing (Debian: openssh-server)" >&2; return 1; }
	command -v ssh-keygen >/dev/null || { echo "sshd.sh: ssh-keygen missing (openssh-client)" >&2; return 1; }
	mkdir -p "$dir" /run/sshd || { echo "sshd.sh: cannot make $dir and /run/sshd" >&2; return 1; }
	chmod 700 "$dir"
	GS_SSHD_DIR=$dir
	GS_SSHD_LOG=$dir/sshd.log
	GS_SSHD_USER=$(id -un)
	GS_SSHD_ID_ED25519=$dir/id_ed25519
	GS_SSHD_ID_RSA=$dir/id_rsa
	GS_SSHD_KNOWN_HOSTS=$dir/known_hosts
	GS_SSHD_KNOWN_HOSTS_HASHED=$dir/known_hosts.hashed
	rm -f "$dir"/host_ed25519* "$dir"/id_ed25519* "$dir"/id_rsa*
	ssh-keygen -q -t ed25519 -N '' -C gs-test-host -f "$dir/host_ed25519" &&
		ssh-keygen -q -t ed25519 -N '' -C gs-test-ed25519 -f "$GS_SSHD_ID_ED25519" &&
		ssh-keygen -q -t rsa -b 3072 -N '' -C gs-test-rsa -f "$GS_SSHD_ID_RSA" ||
		{ echo "sshd.sh: ssh-keygen failed" >&2; return 1; }
	cat "$GS_SSHD_ID_ED25519.pub" "$GS_SSHD_ID_RSA.pub" >"$dir/authorized_keys"
	GS_SSHD_HOSTKEY_PUB=$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")
	GS_SSHD_FPR=$(ssh-keygen -l -f "$dir/host_ed25519.pub" | cut -d' ' -f2)
	# shellcheck disable=SC2119
	_gs_sshd_trap
	for ((try = 0; try < 10; try++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		_gs_sshd_free "$port" || continue
		{
			echo "ListenAddress 127.0.0.1:$port"
			echo "HostKey $dir/host_ed25519"
			echo "PidFile none"
			echo "AuthorizedKeysFile $dir/authorized_keys"
			echo "UsePAM no"
			echo "StrictModes no"
			echo "PermitRootLogin prohibit-password"
			echo "PasswordAuthentication no"
			echo "KbdInteractiveAuthentication no"
			echo "PubkeyAuthentication yes"
			for line in "$@"; do
				echo "$line"
			done
			echo "PubkeyAcceptedAlgorithms +ssh-rsa"
			echo "Subsystem sftp ${GS_SSHD_SUBSYSTEM:-internal-sftp}"
			echo "LogLevel DEBUG1"
			echo "MaxStartups 100"
			echo "AllowTcpForwarding no"
			echo "X11Forwarding no"
			echo "PermitTTY no"
			[ -z "${GS_SSHD_MATCH:-}" ] || printf '%s\n' "$GS_SSHD_MATCH"
		} >"$dir/sshd_config"
		"$GS_SSHD_BIN" -t -f "$dir/sshd_config" >"$GS_SSHD_LOG" 2>&1 ||
			{ cat "$GS_SSHD_LOG" >&2; echo "sshd.sh: bad sshd_config" >&2; return 1; }
		"$GS_SSHD_BIN" -D -e -f "$dir/sshd_config" >"$GS_SSHD_LOG" 2>&1 &
		GS_SSHD_PID=$!
		# up to 10 s for the banner; a dead sshd means the port was taken
		for ((i = 0; i < 400; i++)); do
			kill -0 "$GS_SSHD_PID" 2>/dev/null || break
			if _gs_sshd_ready "$port"; then
				GS_SSHD_PORT=$port
				echo "[127.0.0.1]:$port $GS_SSHD_HOSTKEY_PUB" >"$GS_SSHD_KNOWN_HOSTS"
				cp "$GS_SSHD_KNOWN_HOSTS" "$GS_SSHD_KNOWN_HOSTS_HASHED"
				ssh-keygen -q -H -f "$GS_SSHD_KNOWN_HOSTS_HASHED" >/dev/null 2>&1 &&
					rm -f "$GS_SSHD_KNOWN_HOSTS_HASHED.old" ||
					{ echo "sshd.sh: ssh-keygen -H failed" >&2; return 1; }
				grep -q '^|1|' "$GS_SSHD_KNOWN_HOSTS_HASHED" ||
					{ echo "sshd.sh: known_hosts was not hashed" >&2; return 1; }
				export GS_SSHD_DIR GS_SSHD_PORT GS_SSHD_PID GS_SSHD_USER GS_SSHD_LOG \
					GS_SSHD_ID_ED25519 GS_SSHD_ID_RSA GS_SSHD_KNOWN_HOSTS \
					GS_SSHD_KNOWN_HOSTS_HASHED GS_SSHD_FPR GS_SSHD_HOSTKEY_PUB
				return 0
			fi
			sleep 0.025
		done
		if kill -0 "$GS_SSHD_PID" 2>/dev/null; then
			echo "sshd.sh: sshd (pid $GS_SSHD_PID) did not answer on port $port within 10 s" >&2
			tail -n 20 "$GS_SSHD_LOG" >&2
			gs_sshd_stop
			return 1
		fi
		wait "$GS_SSHD_PID" 2>/dev/null
		GS_SSHD_PID=
		grep -q "Address already in use\|Cannot bind" "$GS_SSHD_LOG" && continue
		echo "sshd.sh: sshd exited at start:" >&2
		tail -n 20 "$GS_SSHD_LOG" >&2
		return 1
	done
	echo "sshd.sh: no free port found in 10 tries" >&2
	return 1
}
