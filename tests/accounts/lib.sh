# lib.sh -- helpers for the remote-account tests in tests/accounts/: a
# real sshd running conf/sshd_config.geosnap's Match blocks, with real local
# users (made here, deleted at exit), two production hosts and a
# maintenance account.  Sourced, never run.  Needs root (useradd, chroot).
#
# Everything of tests/scenario/lib.sh and tests/lib/ (gs_begin, gs_run,
# gs_check, gs_sshd_start ...), plus:
#
#   acc_begin TITLE   gs_begin; the group $G and the users $U1 (host web1's
#                     nightly account), $U2 (web2's) and $UM (maintenance),
#                     all in $G; the chroot tree $CH (root-owned, 0755) with
#                     $CH/$U1/repo and $CH/$U2/repo (owner the host's user,
#                     group $G, 2770); a key per account in $T/ssh/{web1,
#                     web2,maint}; sshd started with the shipped file's
#                     blocks ($T/geosnap.conf, names and paths replaced);
#                     $T/known_hosts.  Fails loudly when any of it fails.
#   acc_host H TENANT   for host H (web1|web2): its tenant's keys and source
#                     tree, $T/H/geosnap.ini (acc_config) and
#                     `geosnap-agent init`
#   acc_config H TENANT   (re)write $T/H/geosnap.ini: the nightly url and
#                     identity, maintenance_url and maintenance_identity
#                     unless $NO_MAINT is set, an audit log and key
#   acc_sftp WHO CMD...   run the batch CMD (one line per argument) with
#                     stock sftp as WHO (web1|web2|maint); its exit status
#   acc_sftp_v WHO CMD...   the same with -vv, everything on stdout
#   acc_sftp_as WHO FLAG CMD...   the batch as WHO with sftp FLAG (the two above)
#   acc_tp WHO PATH CMD...   geosnap's own transport (tests/transport/tpcli)
#                     on sftp://WHO's user@.../PATH; tpcli's exit status
#   tree_sum DIR      every file under DIR with its mode and xxh128sum,
#                     sorted (for "byte-identical after")
#
# The nightly accounts' base is /repo in their chroot; the maintenance
# account sees /<user>/repo of every host.
# shellcheck shell=bash source-path=SCRIPTDIR

# shellcheck source=../scenario/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario/lib.sh"
# shellcheck source=../lib/sshd.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/sshd.sh"

ACC_CONF=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/conf/sshd_config.geosnap
TPCLI=${GS_BUILD:-}/tests/transport/tpcli

# acc_user NAME: a system user in $G with no home and no shell; its
# password "*" (no password, but not locked: sshd without PAM refuses
# locked accounts).
acc_user() {
	useradd --system --no-create-home -g "$G" -d / -s /usr/sbin/nologin "$1" ||
		gs_fatal "useradd $1"
	GS_CLEAN_USERS+=("$1")
	usermod -p '*' "$1" || gs_fatal "usermod -p '*' $1"
}

acc_begin() {
	local id ak
	gs_begin "$@"
	gs_need ssh-keygen sftp useradd userdel groupadd groupdel usermod xxh128sum minisign
	[ "$(id -u)" = 0 ] || gs_fatal "needs root (local users, chroot)"
	[ -x "$TPCLI" ] || gs_fatal "tpcli not built at $TPCLI"
	[ -f "$ACC_CONF" ] || gs_fatal "no $ACC_CONF"
	id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	G=gsa$id
	U1=gsa$id-web1
	U2=gsa$id-web2
	UM=gsa$id-maint
	groupadd --system "$G" || gs_fatal "groupadd $G"
	GS_CLEAN_GROUPS+=("$G")
	acc_user "$U1"
	acc_user "$U2"
	acc_user "$UM"
	# sshd refuses a chroot with a component not owned by root or
	# writable by others ($TMPDIR is 1777), and reads authorized_keys as
	# the user: both live under /var/lib, not in $T
	CH=$(mktemp -d /var/lib/gs-accounts.XXXXXX) || gs_fatal "mktemp"
	GS_CLEAN_PATHS+=("$CH")
	ak=$CH.keys
	mkdir -m 0755 "$ak" || gs_fatal "mkdir $ak"
	GS_CLEAN_PATHS+=("$ak")
	chmod 0755 "$CH"
	install -d -o root -g root -m 0755 "$CH/$U1" "$CH/$U2" &&
		install -d -o "$U1" -g "$G" -m 2770 "$CH/$U1/repo" &&
		install -d -o "$U2" -g "$G" -m 2770 "$CH/$U2/repo" || gs_fatal "install -d"
	mkdir -m 0700 "$T/ssh" || gs_fatal "mkdir ssh"
	for who in web1 web2 maint; do
		ssh-keygen -q -t ed25519 -N '' -C "$who" -f "$T/ssh/$who" || gs_fatal "ssh-keygen"
	done
	install -m 0644 "$T/ssh/web1.pub" "$ak/$U1" &&
		install -m 0644 "$T/ssh/web2.pub" "$ak/$U2" &&
		install -m 0644 "$T/ssh/maint.pub" "$ak/$UM" || gs_fatal "authorized keys"
	# the shipped blocks, with this test's names and paths
	grep -v '^[[:space:]]*#' "$ACC_CONF" | grep -v '^[[:space:]]*$' |
		sed -e "s|geosnap-web1|$U1|g; s|geosnap-web2|$U2|g; s|geosnap-maint|$UM|g" \
			-e "s|/srv/geosnap|$CH|g; s|/etc/ssh/authorized_keys|$ak|g" >"$T/geosnap.conf"
	grep -q "^Match User $U1,$U2\$" "$T/geosnap.conf" &&
		grep -q "ChrootDirectory $CH/%u\$" "$T/geosnap.conf" &&
		grep -q "^Match User $UM\$" "$T/geosnap.conf" &&
		grep -q -- "-P remove,rmdir,posix-rename,setstat,fsetstat,lsetstat,symlink,hardlink" "$T/geosnap.conf" ||
		{ gs_show "$T/geosnap.conf"; gs_fatal "conf/sshd_config.geosnap is not in the form this test expects"; }
	GS_SSHD_MATCH=$(cat "$T/geosnap.conf")
	gs_sshd_start "$T/sshd" || gs_fatal "the test sshd did not start (see above)"
	unset GS_SSHD_MATCH
	cp "$GS_SSHD_KNOWN_HOSTS" "$T/known_hosts" || gs_fatal "known_hosts"
	mkdir -p "$T/akey" && "$GS_RESTORE" keygen --audit --out "$T/akey" 2>"$T/keygen.err" ||
		{ gs_show "$T/keygen.err"; gs_fatal "keygen --audit"; }
}

url_of() {
	case $1 in
	web1) echo "sftp://$U1@127.0.0.1:$GS_SSHD_PORT/${2:-repo}" ;;
	web2) echo "sftp://$U2@127.0.0.1:$GS_SSHD_PORT/${2:-repo}" ;;
	maint) echo "sftp://$UM@127.0.0.1:$GS_SSHD_PORT/${2:-}" ;;
	esac
}

acc_config() {
	local h=$1 tn=$2 u
	[ "$h" = web1 ] && u=$U1 || u=$U2
	mkdir -p "$T/$h"
	{
		cat <<INI
[agent]
host = $h
region = eu-central
repository = $T/$h/repo
state_dir = $T/$h/state
audit_log = $T/$h/audit.jsonl
audit_key = $T/akey/audit.key

[policy]
allowed_regions = eu-central, eu-north
verify_sample = 100%

[remote "bk"]
url = $(url_of "$h")
identity = $T/ssh/$h
known_hosts = $T/known_hosts
region = eu-north
connections = 2
timeout = 10s
INI
		if [ -z "${NO_MAINT:-}" ]; then
			echo "maintenance_url = $(url_of maint "$u/repo")"
			echo "maintenance_identity = $T/ssh/maint"
		fi
		cat <<INI

[tenant "$tn"]
source = $T/data/$tn
write_key = $GS_KEYS/$tn.write
read_key = $GS_KEYS/$tn.read
INI
	} >"$T/$h/geosnap.ini"
}

acc_host() {
	local h=$1 tn=$2
	mkdir -p "$T/data/$tn/docs" || gs_fatal "mkdir"
	cp -a /usr/share/doc/bash/. "$T/data/$tn/docs/" 2>/dev/null
	seq 1 100000 >"$T/data/$tn/numbers.txt"
	head -c 3000000 /dev/urandom >"$T/data/$tn/blob.bin"
	gs_keygen "$tn"
	acc_config "$h" "$tn"
	GEOSNAP_CONFIG=$T/$h/geosnap.ini "$GS_AGENT" init >"$T/init.out" 2>&1 ||
		{ gs_show "$T/init.out"; gs_fatal "init of $h failed"; }
}

# acc_sftp_as WHO FLAG CMD...: the batch CMD as WHO's account, sftp FLAG.
acc_sftp_as() {
	local who=$1 flag=$2 u
	shift 2
	case $who in
	web1) u=$U1 ;;
	web2) u=$U2 ;;
	*) u=$UM ;;
	esac
	printf '%s\n' "$@" | sftp "$flag" -F /dev/null -b - -i "$T/ssh/$who" -P "$GS_SSHD_PORT" \
		-o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$T/known_hosts" "$u@127.0.0.1"
}

acc_sftp() { acc_sftp_as "$1" -q "${@:2}" >"$GS_OUT" 2>"$GS_ERR"; }

# acc_sftp_v WHO CMD: the same with sftp -vv, all output on stdout.
acc_sftp_v() { acc_sftp_as "$1" -vv "${@:2}" 2>&1; }

acc_tp() {
	local who=$1 path=$2
	shift 2
	"$TPCLI" -i "$T/ssh/$who" -k "$T/known_hosts" "$(url_of "$who" "$path")" "$@" \
		>"$GS_OUT" 2>"$GS_ERR" </dev/null
}

tree_sum() {
	(cd "$1" && find . -type f -printf '%p %m %s\n' | LC_ALL=C sort | while read -r p m s; do
		echo "$p $m $s $(xxh128sum "$p" 2>/dev/null | cut -d' ' -f1)"
	done)
}
