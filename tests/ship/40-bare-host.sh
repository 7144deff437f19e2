#!/usr/bin/env bash
# 40-bare-host: disaster recovery on a bare host.  After a nightly run has
# shipped to the remote, a fresh directory holding only the tenant's read
# key, its passphrase, an SSH identity and the remote's host key (in a
# known_hosts file, or as the fingerprint ssh-keygen -l prints) is all
# geosnap-restore needs: no configuration file exists, and the latest
# snapshot comes back from the remote exactly.  Host keys stay strictly
# checked: a wrong fingerprint or a known_hosts without the host's key is
# refused (exit 3, both fingerprints named); a URL without --identity, or
# without --known-hosts and --host-key, is a usage error (exit 2).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
ship_begin "bare restore host: no configuration, only the read key, its passphrase, an identity and the host key"
gs_need ssh-keygen env awk

gs_run 0 "the nightly run backs up and ships" "$GS_AGENT" run
ship_parity "the remote holds the local objects"
gs_manifest "$T/data/acme" "$T/src.json"

# ---- the bare host ------------------------------------------------------

B=$T/bare
mkdir -m 700 "$B" || gs_fatal "mkdir $B"
cp "$GS_KEYS/acme.read" "$B/acme.read" &&
	cp "$GS_PASS_FILE" "$B/passphrase" &&
	cp "$REMOTE_ID" "$B/id_ed25519" && chmod 600 "$B/id_ed25519" &&
	cp "$REMOTE_KH" "$B/known_hosts" || gs_fatal "cannot fill $B"
# bare_files: the names in the bare directory, sorted, on one line.
bare_files() { find "$B" -mindepth 1 -printf '%f\n' | LC_ALL=C sort | tr '\n' ' '; }
BARE_FILES="acme.read id_ed25519 known_hosts passphrase "
[ "$(bare_files)" = "$BARE_FILES" ] &&
	gs_pass "the bare directory holds only the read key, passphrase, identity and known_hosts" ||
	gs_fail "the bare directory holds: $(bare_files)"

# No configuration anywhere: not $GEOSNAP_CONFIG (unset below), not the
# default path of gs_config_default_path().
if [ -e /etc/geosnap/geosnap.ini ]; then
	gs_fatal "/etc/geosnap/geosnap.ini exists on this host: the test needs a host without a configuration"
fi
gs_pass "no default configuration at /etc/geosnap/geosnap.ini"

# bare ARGS...: geosnap-restore ARGS as the operator runs it on the bare
# host: in the bare directory, paths relative to it, no configuration, the
# passphrase from the file, HOME the bare directory (so that nothing can
# come from, or be left in, a home directory unnoticed).
bare() {
	(cd "$B" && env -u GEOSNAP_CONFIG HOME="$B" GEOSNAP_PASSPHRASE_FILE="$B/passphrase" \
		"$GS_RESTORE" "$@")
}

# ere STRING: STRING quoted for grep -E (a fingerprint may hold '+').
ere() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

URL=$REMOTE_URL
FPR=$(ssh-keygen -lf "$GS_SSHD_DIR/host_ed25519.pub" | awk '{print $2}')
[ "$FPR" = "$GS_SSHD_FPR" ] && gs_pass "ssh-keygen -lf gives the host key's fingerprint $FPR" ||
	gs_fail "ssh-keygen -lf gave '$FPR', the sshd's key is $GS_SSHD_FPR"
# a well-formed fingerprint of another key
ssh-keygen -q -t ed25519 -N '' -C other-host -f "$T/other_host" || gs_fatal "ssh-keygen"
WRONG=$(ssh-keygen -lf "$T/other_host.pub" | awk '{print $2}')

# ---- the restore ----------------------------------------------------------

gs_run 0 "restore --from sftp://... --identity --known-hosts --key, no configuration" \
	bare restore --from "$URL" --identity id_ed25519 --known-hosts known_hosts \
	--tenant acme --key acme.read --target "$T/out-kh"
gs_err_has "tenant acme: snapshot [0-9a-f]+ .* chosen as the latest" "the chosen snapshot is named"
gs_treecmp "the bare-host restore equals the source exactly" "$T/src.json" "$T/out-kh"

gs_run 0 "restore with the pinned --host-key SHA256:... instead of known_hosts" \
	bare restore --from "$URL" --identity id_ed25519 --host-key "$FPR" \
	--tenant acme --key acme.read --target "$T/out-fpr" --connections 3
gs_treecmp "the --host-key restore equals the source exactly" "$T/src.json" "$T/out-fpr"

gs_run 0 "snapshots --from URL lists the snapshot" \
	bare snapshots --from "$URL" --identity id_ed25519 --known-hosts known_hosts \
	--host-key "$FPR" --tenant acme --key acme.read
[ "$(grep -cE '^[0-9a-f]{8,}' "$GS_OUT")" -ge 1 ] && gs_pass "snapshots printed the snapshot" ||
	{ gs_fail "snapshots printed no snapshot"; gs_show "$GS_OUT"; }
gs_run 0 "check --read-data --from URL" \
	bare check --read-data --from "$URL" --identity "$B/id_ed25519" --host-key "$FPR" \
	--tenant acme --key "$B/acme.read"

[ "$(bare_files)" = "$BARE_FILES" ] &&
	gs_pass "geosnap-restore left nothing in the bare directory" ||
	gs_fail "the bare directory now holds: $(bare_files)"

# ---- host keys stay strict --------------------------------------------------

gs_run 3 "a wrong --host-key is refused" \
	bare restore --from "$URL" --identity id_ed25519 --host-key "$WRONG" \
	--tenant acme --key acme.read --target "$T/out-wrong"
gs_err_has "presented ssh-ed25519 $(ere "$FPR"), expected $(ere "$WRONG")" "the refusal names the fingerprint seen and the one expected"
[ ! -e "$T/out-wrong" ] && gs_pass "nothing restored after the refusal" || gs_fail "$T/out-wrong was created"

printf '[127.0.0.1]:%s %s\n' "$GS_SSHD_PORT" "$(cut -d' ' -f1,2 "$T/other_host.pub")" >"$B/other_known_hosts"
gs_run 3 "a known_hosts holding another key for the remote is refused" \
	bare snapshots --from "$URL" --identity id_ed25519 --known-hosts other_known_hosts \
	--tenant acme --key acme.read
gs_err_has "HOST KEY CHANGED .*$(ere "$FPR")" "the refusal names the key the server presented"
rm -f "$B/other_known_hosts"

# ---- usage errors -------------------------------------------------------------

gs_run 2 "a URL without --identity is a usage error" \
	bare restore --from "$URL" --known-hosts known_hosts --tenant acme --key acme.read \
	--target "$T/out-noid"
gs_err_has "give --identity FILE" "the message asks for --identity"
gs_run 2 "a URL without --known-hosts or --host-key is a usage error" \
	bare restore --from "$URL" --identity id_ed25519 --tenant acme --key acme.read \
	--target "$T/out-nokh"
gs_err_has "give --known-hosts FILE and/or --host-key" "the message asks for the host key"
gs_run 2 "a malformed --host-key is a usage error" \
	bare snapshots --from "$URL" --identity id_ed25519 --host-key SHA256:short \
	--tenant acme --key acme.read
gs_run 2 "--connections 0 is a usage error" \
	bare snapshots --from "$URL" --identity id_ed25519 --known-hosts known_hosts \
	--connections 0 --tenant acme --key acme.read
gs_run 2 "a missing --identity file is a usage error" \
	bare snapshots --from "$URL" --identity nothere --known-hosts known_hosts \
	--tenant acme --key acme.read
gs_err_has "--identity nothere" "the message names the missing identity file"
gs_run 2 "--from a remote name needs a configuration" \
	bare snapshots --from fi1 --tenant acme --key acme.read
gs_err_has "no configuration names that remote" "the message says no configuration names it"
gs_run 2 "--identity without a URL is a usage error" \
	bare snapshots --repo "$GS_REPO" --identity id_ed25519 --tenant acme --key acme.read
[ ! -e "$T/out-noid" ] && [ ! -e "$T/out-nokh" ] &&
	gs_pass "the usage errors restored nothing" || gs_fail "a usage error created its target"
gs_finish
