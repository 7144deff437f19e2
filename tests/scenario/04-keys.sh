#!/bin/bash
# 04-keys: keygen makes the write and read key files 0600 and never
# overwrites one; key files open to group or others are refused (exit 2);
# a wrong, missing or empty passphrase and the wrong kind of key are clear
# errors (exit 2); keys of another tenant or key pair are refused.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "key files: creation, permissions, passphrases, wrong keys"
gs_need sha256sum setsid

K=$T/k
gs_run 0 "keygen --tenant acme --out DIR (DIR missing)" "$GS_RESTORE" keygen --tenant acme --out "$K"
for f in acme.write acme.read; do
	if [ -f "$K/$f" ] && [ "$(stat -c %a "$K/$f")" = 600 ]; then
		gs_pass "$f is a regular file with mode 0600"
	else
		gs_fail "$f: $(stat -c '%F mode %a' "$K/$f" 2>&1), wanted a regular file with mode 0600"
	fi
done
gs_check "the created key directory is not open to others" \
	test "$(( $(stat -c '%#a' "$K") & 07 ))" = 0
sums=$(cd "$K" && sha256sum acme.write acme.read)

gs_run 2 "keygen refuses to overwrite existing keys" "$GS_RESTORE" keygen --tenant acme --out "$K" &&
	gs_err_has "acme\.(write|read)" "the refusal names the existing key file"
mv "$K/acme.read" "$T/acme.read.saved"
gs_run 2 "keygen refuses when only T.write exists" "$GS_RESTORE" keygen --tenant acme --out "$K"
gs_check "T.write was left alone and no T.read was made" \
	bash -c '[ ! -e "$1/acme.read" ] && cd "$1" && grep acme.write <<<"$2" | sha256sum -c --quiet' _ "$K" "$sums"
mv "$T/acme.read.saved" "$K/acme.read"
gs_check "both key files are unchanged" bash -c 'cd "$1" && sha256sum -c --quiet <<<"$2"' _ "$K" "$sums"
gs_run 2 "keygen with an invalid tenant name" "$GS_RESTORE" keygen --tenant '../evil' --out "$K"
gs_check "no key file was made outside DIR" test ! -e "$T/evil.write"

gs_say "passphrases"
gs_run 2 "keygen without a passphrase source (no terminal, no file)" \
	setsid -w env -u GEOSNAP_PASSPHRASE_FILE "$GS_RESTORE" keygen --tenant other --out "$T/k-nopass"
gs_err_has "passphrase" "the message says a passphrase is missing"
(umask 022 && echo 'loose passphrase' >"$T/loose-pass")
gs_run 2 "keygen with a passphrase file readable by others" \
	env GEOSNAP_PASSPHRASE_FILE="$T/loose-pass" "$GS_RESTORE" keygen --tenant other --out "$T/k-loose"
gs_err_has "loose-pass" "the message names the passphrase file"
(umask 077 && : >"$T/empty-pass")
gs_run 2 "keygen with an empty passphrase file" \
	env GEOSNAP_PASSPHRASE_FILE="$T/empty-pass" "$GS_RESTORE" keygen --tenant other --out "$T/k-empty"

# a repository to use the keys on
mkdir -p "$T/src" && echo 'key test data' >"$T/src/file"
GS_KEYS=$K
CFG=$T/geosnap.ini
gs_config "$CFG" acme "$T/src"
gs_run 0 "agent init" "$GS_AGENT" -c "$CFG" init || gs_fatal "init failed"
gs_run 0 "agent backup" "$GS_AGENT" -c "$CFG" backup || gs_fatal "backup failed"
gs_run 0 "restore check with the right key and passphrase" "$GS_RESTORE" -c "$CFG" check --tenant acme

(umask 077 && echo 'not the passphrase' >"$T/wrong-pass")
gs_run 2 "wrong passphrase" env GEOSNAP_PASSPHRASE_FILE="$T/wrong-pass" \
	"$GS_RESTORE" -c "$CFG" check --tenant acme &&
	gs_err_has "wrong passphrase" "the message says: wrong passphrase"
gs_check "the wrong-passphrase message is one line" test "$(wc -l <"$GS_ERR")" = 1
gs_run 2 "wrong passphrase: restore" env GEOSNAP_PASSPHRASE_FILE="$T/wrong-pass" \
	"$GS_RESTORE" -c "$CFG" restore --tenant acme --target "$T/out-wrongpass"
gs_check "nothing was restored with a wrong passphrase" test ! -e "$T/out-wrongpass/file"
gs_run 2 "no passphrase at all (no terminal)" \
	setsid -w env -u GEOSNAP_PASSPHRASE_FILE "$GS_RESTORE" -c "$CFG" check --tenant acme </dev/null

gs_say "key file permissions"
for mode in 640 604 660 644 666; do
	chmod "$mode" "$K/acme.write"
	gs_run 2 "agent refuses a write key with mode $mode" "$GS_AGENT" -c "$CFG" backup &&
		gs_err_has "acme\.write.*(group|other)" "the message names the key file and who can read it"
done
chmod 644 "$K/acme.write"
gs_run 2 "agent init also refuses it" "$GS_AGENT" -c "$CFG" init
chmod 400 "$K/acme.write"
gs_run 0 "a stricter mode 0400 is accepted" "$GS_AGENT" -c "$CFG" snapshots
chmod 600 "$K/acme.write"
for mode in 640 604; do
	chmod "$mode" "$K/acme.read"
	gs_run 2 "restore refuses a read key with mode $mode" "$GS_RESTORE" -c "$CFG" check --tenant acme &&
		gs_err_has "acme\.read" "the message names the read key file"
done
chmod 600 "$K/acme.read"

gs_say "the wrong kind of key, or another tenant's"
gs_run 2 "the agent refuses a read key in write_key" \
	"$GS_AGENT" -c <(sed "s|acme.write|acme.read|" "$CFG") snapshots &&
	gs_err_has "read key" "the message says it is a read key"
gs_run 2 "restore refuses a write key as --key" "$GS_RESTORE" -c "$CFG" check --tenant acme --key "$K/acme.write"
gs_run 0 "keygen for tenant other" "$GS_RESTORE" keygen --tenant other --out "$T/k-other"
gs_run 2 "the agent refuses another tenant's write key" \
	"$GS_AGENT" -c <(sed "s|$K/acme.write|$T/k-other/other.write|" "$CFG") backup &&
	gs_err_has "other" "the message names the tenant the key belongs to"
gs_run 2 "restore refuses another tenant's read key" \
	"$GS_RESTORE" -c "$CFG" check --tenant acme --key "$T/k-other/other.read"
gs_run 0 "keygen of a second key pair for acme elsewhere" "$GS_RESTORE" keygen --tenant acme --out "$T/k-again"
gs_run '1|2' "restore with acme's other read key cannot read this repository" \
	"$GS_RESTORE" -c "$CFG" check --tenant acme --key "$T/k-again/acme.read" &&
	gs_err_has "not this tenant|wrong key|authentication" "the message says the key does not fit"
head -c 40 "$K/acme.write" >"$T/trunc.write" && chmod 600 "$T/trunc.write"
gs_run 2 "the agent refuses a truncated write key" \
	"$GS_AGENT" -c <(sed "s|$K/acme.write|$T/trunc.write|" "$CFG") backup &&
	gs_err_has "trunc\.write" "the message names the truncated key"
head -c 100 "$K/acme.read" >"$T/trunc.read" && chmod 600 "$T/trunc.read"
gs_run 2 "restore refuses a truncated read key" "$GS_RESTORE" -c "$CFG" check --tenant acme --key "$T/trunc.read"
gs_run 2 "the agent refuses a missing write key" \
	"$GS_AGENT" -c <(sed "s|$K/acme.write|$T/none.write|" "$CFG") backup
gs_run 0 "and with the right keys all is still well" "$GS_RESTORE" -c "$CFG" check --tenant acme --read-data
gs_finish
