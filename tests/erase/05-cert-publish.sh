#!/usr/bin/env bash
# A remote that cannot take the deletion certificate when the erasure is
# certified (log/testhost/certificates is a plain file there, so the
# directory cannot be made): the erasure warns (exit 4) and the
# certificate is recorded all the same; each later ship of the audit log
# retries (exit 3 and says so while the remote still refuses); once the
# remote can take them, the next ship publishes the four files, exactly
# the ones in state_dir, and geosnap-restore certificate --from fi1 hands
# them out on a host without this state_dir.  A document in
# state_dir/certificates whose record was never written is not published,
# and a published document is never overwritten.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
erase_begin "the certificate reaches a remote that could not take it at the erasure"

stem=acme.$(day -20)
rdir=$T/remote/log/testhost/certificates
rm -rf "$rdir"
mkdir -p "$(dirname "$rdir")"
echo "not a directory" >"$rdir"
offboard "$(day -20)"
gs_run 4 "the erasure, the remote unable to take the certificate: exit 4" "$GS_AGENT" expire
gs_err_has "certificate documents are not on fi1 yet.*next ship or run publishes them" \
	"the warning names the remote and says when they follow"
[ "$(nrecs deletion-certificate)" = 1 ] && gs_pass "the certificate is recorded" || gs_fail "no certificate record"
[ -z "$(tenant_files "$T/remote")" ] && gs_pass "the remote's copy is erased" || gs_fail "the remote still holds acme"
for ext in txt txt.minisig html html.minisig; do
	[ -s "$GS_STATE/certificates/$stem.$ext" ] || gs_fail "state_dir lacks $stem.$ext"
done

# a document whose certification never finished (no record, no erasure
# state): never published
echo "an unfinished certification" >"$GS_STATE/certificates/ghost.$(day -5).txt"

gs_run 3 "ship while the remote still cannot take them: exit 3" "$GS_AGENT" ship
gs_err_has "could not publish|fi1" "the failure names the remote"

rm "$rdir"
gs_run 0 "ship once the remote can take them" "$GS_AGENT" ship
n=0
for ext in txt txt.minisig html html.minisig; do
	cmp -s "$GS_STATE/certificates/$stem.$ext" "$rdir/$stem.$ext" && n=$((n + 1))
done
[ "$n" = 4 ] && gs_pass "the four certificate files are on fi1, identical to state_dir's" ||
	{ gs_fail "$n of the 4 certificate files on fi1"; ls -la "$rdir" | sed 's/^/#   /'; }
gs_check "the remote's document verifies with stock minisign" minisign -Vm "$rdir/$stem.txt" -p "$T/audit.pub"
[ ! -e "$rdir/ghost.$(day -5).txt" ] && gs_pass "the uncertified document is not published" ||
	gs_fail "an uncertified document was published"
[ "$(last_rec ship-log status)" = 0 ] && gs_pass "the ship-log record says ok" ||
	gs_fail "ship-log status $(last_rec ship-log status)"

mv "$GS_STATE/certificates" "$T/certificates.away"
gs_run 0 "certificate --from fi1, without state_dir's copy" \
	"$GS_RESTORE" certificate --tenant acme --from fi1 --output "$T/cert.txt"
cmp -s "$T/cert.txt" "$T/certificates.away/$stem.txt" && gs_pass "it hands out the recorded document" ||
	gs_fail "the document differs"
mv "$T/certificates.away" "$GS_STATE/certificates"

sum=$(cat "$rdir"/* | sha256sum)
gs_run 0 "the next ship" "$GS_AGENT" ship
[ "$(cat "$rdir"/* | sha256sum)" = "$sum" ] && [ "$(find "$rdir" -type f | wc -l)" = 4 ] &&
	gs_pass "the published documents stay as they were, nothing added" || gs_fail "the remote's certificates changed"
gs_finish
