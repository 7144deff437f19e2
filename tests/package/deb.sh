#!/bin/bash
# deb: the Debian package of this source builds, installs and uninstalls
# cleanly on this machine.  A Release build of GS_SRC configured with
# -DCMAKE_INSTALL_PREFIX=/usr in a scratch directory, `cpack -G DEB`; the
# package's control fields (dependencies from dpkg-shlibdeps, section,
# maintainer) and contents; then `dpkg -i`, the installed programs run,
# `man -w` finds the pages, `systemd-analyze verify` accepts the units
# (ExecStart= names the installed agent; no running systemd is needed),
# and `dpkg --purge` leaves nothing behind.
#
# It installs a package, so it must run as root (CI does); otherwise it
# fails saying so.  It refuses to run when a geosnap package is installed
# already, rather than replace and remove it.  tests/run.sh runs it once,
# in the normal pass (label "package").
#
# Environment (set by CTest): GS_SRC the source tree.  GS_JOBS: parallel
# build jobs (default: the number of CPUs).  GS_KEEP=1 keeps the scratch
# directory.
set -u -o pipefail

: "${GS_SRC:?run through ctest (GS_SRC unset)}"
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/../lib/harness.sh"
ok() { gs_pass "$@"; }
not_ok() { gs_fail "$@"; }
# after the harness, which sets the C locale: man needs UTF-8
export LC_ALL=C.UTF-8 MANWIDTH=80
# fatal WHAT [LOG]: a step the rest depends on failed; show LOG and stop.
fatal() {
	not_ok "$1"
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 40 "$2" | sed 's/^/# /'
	gs_finish
}

if [ "$(id -u)" -ne 0 ]; then
	fatal "this test installs and removes a .deb: run it as root (CI does), e.g. sudo ctest -L package"
fi
for tool in cmake cpack dpkg dpkg-deb dpkg-shlibdeps file man systemd-analyze gzip; do
	command -v "$tool" >/dev/null || fatal "$tool is missing (bash tests/deps.sh installs it)"
done
if dpkg-query -W -f='${db:Status-Abbrev}' geosnap 2>/dev/null | grep -q '^.i'; then
	fatal "a geosnap package is installed already ($(dpkg-query -W -f='${Version}' geosnap)); this test would replace and remove it: dpkg --purge geosnap first"
fi

T=$(mktemp -d /tmp/geosnap-deb.XXXXXX) || fatal "mktemp"
installed=0
cleanup() {
	if [ "$installed" = 1 ]; then
		dpkg --purge geosnap >"$T/purge.log" 2>&1 || {
			echo "# cleanup: dpkg --purge geosnap failed:"
			sed 's/^/# /' "$T/purge.log"
		}
	fi
	if [ "${GS_KEEP:-0}" = 1 ]; then
		echo "# kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

B=$T/build
cmake -S "$GS_SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
	-DGS_TESTS=OFF >"$T/configure.log" 2>&1 || fatal "configure (Release, prefix /usr)" "$T/configure.log"
grep -q 'scdoc not found' "$T/configure.log" && fatal "scdoc not found: the package would have no man pages (bash tests/deps.sh)"
cmake --build "$B" -j"${GS_JOBS:-$(nproc)}" >"$T/build.log" 2>&1 || fatal "build" "$T/build.log"
ok "Release build with prefix /usr"
(cd "$B" && cpack -G DEB) >"$T/cpack.log" 2>&1 || fatal "cpack -G DEB" "$T/cpack.log"
debs=("$B"/geosnap_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || fatal "cpack made no single geosnap_*.deb: ${debs[*]}" "$T/cpack.log"
deb=${debs[0]}
ok "cpack -G DEB made $(basename "$deb")"

# Control fields.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = geosnap ] && ok "Package: geosnap" || not_ok "Package: $(field Package)"
[ "$(field Section)" = admin ] && ok "Section: admin" || not_ok "Section: $(field Section)"
[ -n "$(field Maintainer)" ] && ok "Maintainer: $(field Maintainer)" || not_ok "no Maintainer"
[ -n "$(field Description)" ] && ok "a Description" || not_ok "no Description"
depends=$(field Depends)
echo "# Depends: $depends"
for lib in libc6 libarchive13 libsodium23 libssh2-1 libxxhash0 libinih1 libzstd1; do
	if printf '%s\n' "$depends" | grep -qE "(^|, )$lib( |,|$)"; then
		ok "Depends on $lib"
	else
		not_ok "Depends lacks $lib (dpkg-shlibdeps)"
	fi
done

# Contents.
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$T/contents"
for f in /usr/bin/geosnap-agent /usr/bin/geosnap-restore \
	/usr/share/man/man8/geosnap-agent.8.gz /usr/share/man/man8/geosnap-restore.8.gz \
	/usr/share/man/man5/geosnap.ini.5.gz \
	/usr/lib/systemd/system/geosnap.service /usr/lib/systemd/system/geosnap.timer \
	/usr/lib/systemd/system/geosnap-restore-test@.service \
	/usr/lib/systemd/system/geosnap-restore-test@.timer \
	/usr/share/doc/geosnap/examples/geosnap-restore-test.cron \
	/usr/share/doc/geosnap/CLI.md /usr/share/doc/geosnap/OPERATIONS.md \
	/usr/share/doc/geosnap/examples/geosnap.ini.sample \
	/usr/share/doc/geosnap/examples/geosnap.cron \
	/usr/share/doc/geosnap/examples/sshd_config.geosnap; do
	grep -qxF "$f" "$T/contents" && ok "contains $f" || not_ok "lacks $f"
done
if grep -E '^/etc/|/usr/local/' "$T/contents" >"$T/stray"; then
	not_ok "files outside the prefix: $(tr '\n' ' ' <"$T/stray")"
else
	ok "nothing in /etc or /usr/local"
fi

# Install.  --path-include: a container image may exclude man pages and
# docs from every package (/etc/dpkg/dpkg.cfg.d); this test checks ours.
dpkg -i --path-include='/usr/share/man/*' --path-include='/usr/share/doc/geosnap/*' \
	"$deb" >"$T/install.log" 2>&1 || {
	installed=1 # half-installed: purge it
	fatal "dpkg -i $(basename "$deb")" "$T/install.log"
}
installed=1
ok "dpkg -i"

v=$(/usr/bin/geosnap-agent --version 2>&1)
[[ $v == "geosnap-agent "[0-9]* ]] && ok "geosnap-agent --version: $v" || not_ok "geosnap-agent --version: $v"
v=$(/usr/bin/geosnap-restore --version 2>&1)
[[ $v == "geosnap-restore "[0-9]* ]] && ok "geosnap-restore --version: $v" || not_ok "geosnap-restore --version: $v"
[ "$(command -v geosnap-agent)" = /usr/bin/geosnap-agent ] && ok "geosnap-agent on PATH" ||
	not_ok "geosnap-agent on PATH is $(command -v geosnap-agent)"

for p in "8 geosnap-agent" "8 geosnap-restore" "5 geosnap.ini"; do
	set -- $p
	if w=$(man -w "$1" "$2" 2>&1) && [ "$w" = "/usr/share/man/man$1/$2.$1.gz" ]; then
		ok "man -w $1 $2: $w"
	else
		not_ok "man -w $1 $2: $w"
	fi
	if warn=$(man --warnings "$1" "$2" 2>&1 >/dev/null) && [ -z "$warn" ]; then
		ok "man $1 $2 renders without warnings"
	else
		not_ok "man $1 $2: $warn"
	fi
done

unit=/usr/lib/systemd/system/geosnap.service
if grep -qx 'ExecStart=/usr/bin/geosnap-agent -c /etc/geosnap/geosnap.ini run' "$unit"; then
	ok "ExecStart= names /usr/bin/geosnap-agent"
else
	not_ok "ExecStart= in $unit: $(grep '^ExecStart=' "$unit")"
fi
rtunit=/usr/lib/systemd/system/geosnap-restore-test@.service
if grep -qx 'ExecStart=/usr/bin/geosnap-restore -q -c /etc/geosnap/geosnap.ini test --tenant %i' "$rtunit"; then
	ok "the restore test's ExecStart= names /usr/bin/geosnap-restore"
else
	not_ok "ExecStart= in $rtunit: $(grep '^ExecStart=' "$rtunit")"
fi
# (comments may mention the default prefix; settings and commands may not)
if stray=$(grep -hv '^#' "$unit" "$rtunit" /usr/share/doc/geosnap/examples/geosnap.cron \
	/usr/share/doc/geosnap/examples/geosnap-restore-test.cron | grep 'usr/local'); then
	not_ok "the installed units or crontabs still name /usr/local: $stray"
else
	ok "the installed units and crontabs name /usr"
fi
if out=$(systemd-analyze verify "$unit" /usr/lib/systemd/system/geosnap.timer "$rtunit" \
	/usr/lib/systemd/system/geosnap-restore-test@.timer 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify geosnap.service geosnap.timer geosnap-restore-test@.service geosnap-restore-test@.timer"
else
	not_ok "systemd-analyze verify:"
	printf '# %s\n' "$out"
fi

# Remove: nothing of it may stay.
if dpkg --purge geosnap >"$T/purge.log" 2>&1; then
	installed=0
	ok "dpkg --purge geosnap"
else
	fatal "dpkg --purge geosnap" "$T/purge.log"
fi
left=()
while read -r f; do
	case $f in /usr | /usr/* | /.) ;; *) continue ;; esac
	[ -f "$f" ] || [ -L "$f" ] && left+=("$f")
done <"$T/contents"
[ -d /usr/share/doc/geosnap ] && left+=(/usr/share/doc/geosnap)
if [ "${#left[@]}" -eq 0 ]; then
	ok "nothing left after the purge"
else
	not_ok "left after the purge: ${left[*]}"
fi
dpkg-query -W geosnap >/dev/null 2>&1 && not_ok "dpkg still knows geosnap" || ok "dpkg no longer knows geosnap"

gs_finish
