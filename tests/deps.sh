#!/usr/bin/env bash
# Install what geosnap needs to build, test and demo on Debian 12.
# Runs as root (CI) or through sudo.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config
  libarchive-dev libsodium-dev libssh2-1-dev libxxhash-dev libinih-dev libzstd-dev
  xxhash attr acl libarchive-tools tar python3 util-linux binutils coreutils diffutils findutils
  e2fsprogs mount  # mkfs.ext2 and a loop mount (tests/scenario/10-racy-clean.sh), tmpfs mounts (ship/12, scenario/11)
  openssh-server openssh-client
  prometheus  # promtool, which checks the metrics file (tests/ship/01-nightly.sh)
  scdoc man-db  # the man pages (docs/man) and their test (tests/docs/man-pages.sh)
  faketime  # a simulated clock over many nights (tests/ship/62-gc-deadline.sh)
  minisign  # stock verification of the signed audit log (tests/audit)
  chromium fonts-dejavu-core  # renders the auditor's HTML report headless (tests/audit)
  dpkg-dev file systemd  # cpack -G DEB (dpkg-shlibdeps, file) and tests/package/deb.sh (systemd-analyze verify)
)

SUDO=
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
