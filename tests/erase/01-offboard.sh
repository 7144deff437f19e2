#!/usr/bin/env bash
# An offboarded tenant, against a real sshd: during its grace period
# nothing is erased and status says when it will be; past it, expire
# --dry-run changes nothing, and run erases its namespace on the local
# repository and on the remote (nothing left to list, sftp ls included),
# every trace of its file names in state_dir, and its write key, and
# records a deletion certificate that stock minisign verifies, which
# geosnap-restore certificate hands out (text and HTML) and checks against
# the log; shred refuses before the certificate and works after it; the
# auditor's report lists the certificate.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
erase_begin "offboarding: grace, erasure of every copy, certificate, shred"

grep -rqF "$MARK" "$GS_STATE" && gs_pass "before: state_dir names a file of the tenant" ||
	gs_fail "before: state_dir holds no file name of the tenant: the check below proves nothing"
nlocal=$(tenant_files "$GS_REPO" | wc -l)
nremote=$(tenant_files "$T/remote" | wc -l)
[ "$nlocal" -gt 3 ] && [ "$nremote" -gt 3 ] && gs_pass "before: $nlocal files local, $nremote on fi1" ||
	gs_fail "before: too few objects ($nlocal local, $nremote remote)"
keyfp=$(b2sum -l 256 "$GS_KEYS/acme.write" | cut -d' ' -f1)

# ---- in grace -------------------------------------------------------------
offboard "$(day -3)"
gs_run 0 "run during the grace period" "$GS_AGENT" run
[ ! -s "$GS_OUT" ] && gs_pass "run stays quiet on stdout" || gs_fail "run printed on stdout"
gs_run 0 "expire during the grace period" "$GS_AGENT" expire
gs_out_has "in grace until $(day 11)" "expire says when the grace period ends"
[ "$(tenant_files "$GS_REPO" | wc -l)" = "$nlocal" ] && [ "$(tenant_files "$T/remote" | wc -l)" = "$nremote" ] &&
	gs_pass "in grace: every object kept on both copies" || gs_fail "in grace: objects were removed"
[ -f "$GS_KEYS/acme.write" ] && gs_pass "in grace: the write key is kept" || gs_fail "in grace: key gone"
gs_run 2 "backup --tenant of a tenant that has left is refused" "$GS_AGENT" backup --tenant acme
gs_err_has "tenant acme is offboarded" "backup says the tenant has left"
[ "$(tenant_files "$GS_REPO" | wc -l)" = "$nlocal" ] && gs_pass "no new backup of a tenant that has left" ||
	gs_fail "a tenant that has left was backed up"
status_json
grep -q "\"step\":\"erase\",\"tenant\":\"acme\".*erasure due $(day 11)" "$T/status.json" &&
	gs_pass "status says when the erasure is due" || { gs_fail "status lacks the due date"; gs_show "$T/status.json"; }
gs_run 1 "shred before the erasure is certified is refused" \
	"$GS_RESTORE" shred --tenant acme "$GS_KEYS/acme.read"
gs_err_has "not certified" "shred says why"
[ -f "$GS_KEYS/acme.read" ] && gs_pass "the read key is still there" || gs_fail "the read key is gone"
gs_run 1 "no certificate yet" "$GS_RESTORE" certificate --tenant acme --output "$T/early.txt"

# ---- past grace -------------------------------------------------------------
offboard "$(day -30)"
snap() { (cd "$T" && find repo remote state keys -printf '%p %s %T@\n' | LC_ALL=C sort; log_lines | wc -l); }
before=$(snap)
gs_run 0 "expire --dry-run past the grace period" "$GS_AGENT" expire --dry-run
gs_out_has "would erase tenants/acme/ on the local repository and 1 remote" "--dry-run says what it would erase"
[ "$(snap)" = "$before" ] && gs_pass "--dry-run changed nothing (repository, remote, state_dir, keys, log)" ||
	{ gs_fail "--dry-run changed something"; diff <(echo "$before") <(snap) | head -10 | sed 's/^/#   | /'; }
gs_run 0 "run -v after the grace period erases the tenant" "$GS_AGENT" -v run
gs_out_has "deletion certificate recorded" "run -v says the certificate is recorded"
for base in "$GS_REPO" "$T/remote"; do
	left=$(find "$base/tenants" -path "*/tenants/acme*" 2>/dev/null)
	[ -z "$left" ] && gs_pass "nothing of acme is left under $base/tenants" ||
		{ gs_fail "left under $base: $left"; }
done
# a third party with read access lists the copy with stock sftp
printf 'ls -1 %s/remote/tenants\n' "$T" >"$T/sftp.batch"
if sftp -q -b "$T/sftp.batch" -i "$GS_SSHD_ID_ED25519" -o UserKnownHostsFile="$T/known_hosts" \
	-P "$GS_SSHD_PORT" "$GS_SSHD_USER@127.0.0.1" >"$T/remote.ls" 2>&1; then
	grep -q "tenants/acme$" "$T/remote.ls" && gs_fail "sftp still lists tenants/acme on the remote" ||
		gs_pass "sftp ls of the remote's tenants/ lists no acme"
else
	gs_fail "sftp ls failed"
	gs_show "$T/remote.ls"
fi
grep -rlF "$MARK" "$GS_STATE" >"$T/trace" 2>/dev/null
[ ! -s "$T/trace" ] && gs_pass "no trace of the tenant's file names in state_dir" ||
	{ gs_fail "state_dir still names $MARK"; gs_show "$T/trace"; }
[ ! -e "$GS_KEYS/acme.write" ] && gs_pass "the write key file is gone" || gs_fail "the write key is still there"

[ "$(nrecs deletion-certificate)" = 1 ] && gs_pass "one deletion-certificate record" ||
	gs_fail "$(nrecs deletion-certificate) deletion-certificate records"
copies=$(last_rec deletion-certificate copies)
python3 - "$copies" "$nlocal" "$nremote" >"$T/copies.out" 2>&1 <<'PY' && gs_pass "the certificate lists, per copy, every object removed and an empty verification listing" || { gs_fail "the certificate's copies are wrong"; gs_show "$T/copies.out"; }
import json, sys
c = json.loads(sys.argv[1]); want = {"local": int(sys.argv[2]), "fi1": int(sys.argv[3])}
assert {x["copy"] for x in c} == set(want), c
for x in c:
    assert x["objects"] == want[x["copy"]] == len(x["removed"]), (x["copy"], x["objects"])
    assert x["bytes"] == sum(s for _, s in x["removed"]) and x["bytes"] > 0
    assert x["verification"] == [] and len(x["removed_sha256"]) == 64
PY
[ "$(last_rec deletion-certificate keys_destroyed)" = "[{\"kind\": \"write\", \"path\": \"$GS_KEYS/acme.write\", \"blake2b_256\": \"$keyfp\"}]" ] &&
	gs_pass "the certificate names the destroyed key's BLAKE2b-256" ||
	gs_fail "keys_destroyed: $(last_rec deletion-certificate keys_destroyed), want $keyfp"
[ "$(last_rec deletion-certificate deadline_met)" = true ] && gs_pass "deadline met" || gs_fail "deadline_met"
gs_check "the signed document in state_dir verifies with stock minisign" \
	minisign -Vm "$GS_STATE/certificates/acme.$(day -30).txt" -p "$T/audit.pub"

gs_run 0 "geosnap-restore certificate (text)" "$GS_RESTORE" certificate --tenant acme --output "$T/cert.txt"
gs_check "FILE verifies with stock minisign -V and the audit public key" minisign -Vm "$T/cert.txt" -p "$T/audit.pub"
grep -q "^Tenant: *acme$" "$T/cert.txt" && grep -q "^Deadline met: *yes$" "$T/cert.txt" &&
	grep -q "^Copy fi1$" "$T/cert.txt" && gs_pass "the document names the tenant, each copy and the deadline" ||
	{ gs_fail "the document lacks something"; gs_show "$T/cert.txt" 30; }
for copy in local fi1; do
	sum=$(sed -n "/^Copy $copy\$/,/^\$/p" "$T/cert.txt" | sed -n 's/^  //p' | sha256sum | cut -d' ' -f1)
	python3 -c 'import json,sys; c={x["copy"]: x for x in json.loads(sys.argv[1])}; sys.exit(c[sys.argv[2]]["removed_sha256"] != sys.argv[3])' \
		"$copies" "$copy" "$sum" && gs_pass "$copy: the document's list hashes to the record's removed_sha256 (as docs/OPERATIONS.md says)" ||
		gs_fail "$copy: the document's list does not hash to removed_sha256"
done
gs_run 0 "geosnap-restore certificate --format html" "$GS_RESTORE" certificate --tenant acme --format html --output "$T/cert.html"
gs_check "the HTML certificate verifies with stock minisign" minisign -Vm "$T/cert.html" -p "$T/audit.pub"
cp "$GS_STATE/certificates/acme.$(day -30).txt" "$T/cert.saved"
sed -i 's/Deadline met: *yes/Deadline met:           no/' "$GS_STATE/certificates/acme.$(day -30).txt"
gs_run 1 "a document that differs from the log's record is refused" \
	"$GS_RESTORE" certificate --tenant acme --output "$T/forged.txt"
gs_err_has "not the document the log certifies" "the mismatch is named"
cp "$T/cert.saved" "$GS_STATE/certificates/acme.$(day -30).txt"

# the documents were published beside the shipped log; a host without
# this state_dir gets them with --from
gs_check "the remote holds the signed document beside the log, and it verifies" \
	minisign -Vm "$T/remote/log/testhost/certificates/acme.$(day -30).txt" -p "$T/audit.pub"
mv "$GS_STATE/certificates" "$T/certificates.away"
gs_run 0 "certificate --from fi1, without state_dir's copy" \
	"$GS_RESTORE" certificate --tenant acme --from fi1 --output "$T/cert-remote.txt"
cmp -s "$T/cert-remote.txt" "$T/cert.txt" && gs_pass "it is the same document" || gs_fail "the documents differ"
gs_check "and it verifies with stock minisign" minisign -Vm "$T/cert-remote.txt" -p "$T/audit.pub"
mv "$T/certificates.away" "$GS_STATE/certificates"

gs_run 0 "the next run" "$GS_AGENT" run
[ "$(nrecs deletion-certificate)" = 1 ] && gs_pass "no second certificate" || gs_fail "a second certificate"

# ---- shred -------------------------------------------------------------------
"$GS_RESTORE" keygen --tenant other --out "$GS_KEYS" >/dev/null 2>&1 || gs_fatal "keygen other"
gs_run 2 "shred refuses another tenant's read key" "$GS_RESTORE" shred --tenant acme "$GS_KEYS/other.read"
[ -f "$GS_KEYS/other.read" ] && gs_pass "the other key is untouched" || gs_fail "the other key is gone"
rfp=$(b2sum -l 256 "$GS_KEYS/acme.read" | cut -d' ' -f1)
gs_run 0 "shred after the certificate" "$GS_RESTORE" shred --tenant acme "$GS_KEYS/acme.read"
[ ! -e "$GS_KEYS/acme.read" ] && gs_pass "the read key file is gone" || gs_fail "the read key is still there"
last_rec shred key_files | grep -q "$rfp" && gs_pass "the shred record names the key's fingerprint" ||
	gs_fail "shred record: $(last_rec shred key_files)"
gs_run 0 "the log still verifies" "$GS_RESTORE" log verify
gs_run "0|1" "the auditor's report" "$GS_RESTORE" report --format md --output "$T/report.md"
gs_err_lacks "malformed" "the report takes every erase, certificate and shred record"
gs_run "0|1" "the auditor's report as JSON" "$GS_RESTORE" report --format json --output "$T/report.json"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["erasures"]; sys.exit(not any(x["tenant"]=="acme" and x["state"]=="certified" and x["deadline_met"]=="yes" for x in e))' "$T/report.json" &&
	gs_pass "the JSON report lists the certificate" || gs_fail "the JSON report lacks the certificate"
grep -q "^| acme | certified | $(day -30) |" "$T/report.md" && gs_pass "the report lists the certificate" ||
	{ gs_fail "the report lacks the certificate"; grep -A5 "Departed" "$T/report.md" | sed 's/^/#   /'; }
grep -q "tenant acme: no passed restore test\|tenant acme: [0-9]* days since the last passed restore test" "$T/report.md" &&
	gs_fail "the report asks an erased tenant for a restore test" ||
	gs_pass "an erased tenant owes no restore test in the report"

# the customer comes back (new keys), and leaves again: a new erasure
"$GS_RESTORE" keygen --tenant acme --out "$GS_KEYS" >/dev/null 2>&1 || gs_fatal "keygen acme again"
TENANT_EXTRA=
ship_config
gs_run 0 "the tenant is back: run backs it up and ships it" "$GS_AGENT" run
[ -n "$(tenant_files "$T/remote")" ] && gs_pass "the remote holds the returned tenant" || gs_fail "nothing shipped"
offboard "$(day -20)"
gs_run 0 "it leaves again: the next run erases it again" "$GS_AGENT" run
[ -z "$(tenant_files "$GS_REPO")" ] && [ -z "$(tenant_files "$T/remote")" ] &&
	[ "$(nrecs deletion-certificate)" = 2 ] && [ "$(last_rec deletion-certificate offboarded)" = "$(day -20)" ] &&
	gs_pass "a second erasure and certificate for the second offboarding" || gs_fail "the second offboarding"
mv "$GS_STATE/certificates" "$T/certificates.away"
gs_run 0 "certificate --from fi1 hands out the second certificate" \
	"$GS_RESTORE" certificate --tenant acme --from fi1 --output "$T/cert2.txt"
grep -q "^Offboarded: *$(day -20)$" "$T/cert2.txt" && gs_pass "it is the second offboarding's document" ||
	gs_fail "the first offboarding's document was handed out"
gs_check "it verifies with stock minisign" minisign -Vm "$T/cert2.txt" -p "$T/audit.pub"
gs_finish
