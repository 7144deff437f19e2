/*
 * reader_snap.c -- opening snapshot objects: name check, public part under
 * the index key, sealed part with the read key, and the binding between
 * the two; listing and resolving "latest" or an ID prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "geosnap/format.h"
#include "geosnap/repo.h"
#include "geosnap/util.h"
#include "read/reader.h"
#include "read/reader_internal.h"

/* ---- snapshots --------------------------------------------------------- */

/* gs_reader_snap_clear(s): free the members of s and zero it. */
void
gs_reader_snap_clear(struct gs_rsnap *s)
{
	gs_snap_info_clear(&s->info);
	gs_snap_sealed_clear(&s->sealed);
	memset(s, 0, sizeof(*s));
}

/*
 * gs_reader_snap_load(rd, name, ret): read, check and open the snapshot
 * object name.  Returns 0 with *ret filled (release it with
 * gs_reader_snap_clear()), 1 if the object does not exist, -1 (warned,
 * naming the snapshot) if it is unreadable or corrupt.
 */
int
gs_reader_snap_load(struct gs_reader *rd, const char *name, struct gs_rsnap *ret)
{
	const char *tenant = rd->k->w.tenant;
	struct gs_snap_info info;
	struct gs_snap_sealed sealed;
	const uint8_t *sct;
	uint8_t pub_hash[32];
	char hex[GS_NAME_HEX];
	char *label;
	uint8_t *buf, *pt;
	size_t len, slen;
	int rc;

	if ((label = gs_asprintf("tenant %s snapshot %s", tenant, name)) == NULL)
		return -1;
	if ((rc = gs_repo_read(rd->repo, tenant, GS_OBJ_SNAP, name, &buf, &len)) != 0)
		goto err0;
	rc = -1;
	gs_xxh128_hex(buf, len, hex);
	if (strcmp(hex, name) != 0) {
		gs_warn("%s: content does not match its name (xxh128 %s)", label, hex);
		goto err1;
	}
	memset(&info, 0, sizeof(info));
	memset(&sealed, 0, sizeof(sealed));
	if (gs_snap_parse_public(rd->k->w.index_key, label, buf, len, &info, &sct, &slen,
	                         pub_hash) != 0)
		goto err1;
	if (slen < crypto_box_SEALBYTES) {
		gs_warn("%s: sealed part too short", label);
		goto err2;
	}
	if ((pt = malloc(slen - crypto_box_SEALBYTES + 1)) == NULL) {
		gs_warnp("malloc");
		goto err2;
	}
	if (crypto_box_seal_open(pt, sct, slen, rd->k->w.pk, rd->k->sk) != 0) {
		gs_warn("%s: the sealed part cannot be opened with this read key", label);
		goto err3;
	}
	if (gs_snap_parse_sealed(label, pt, slen - crypto_box_SEALBYTES, &sealed) != 0)
		goto err3;
	if (sodium_memcmp(sealed.pub_hash, pub_hash, 32) != 0) {
		gs_warn("%s: the sealed part does not belong to the public part", label);
		goto err4;
	}
	if (info.tenant == NULL || strcmp(info.tenant, tenant) != 0) {
		gs_warn("%s: recorded for tenant %s", label, info.tenant ? info.tenant : "?");
		goto err4;
	}
	if (sealed.manifest_len < 12 || (sealed.nmeta == 0)) {
		gs_warn("%s: empty manifest", label);
		goto err4;
	}
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->name, name, GS_NAME_HEX);
	ret->name[GS_NAME_HEX - 1] = '\0';
	ret->info = info;
	ret->sealed = sealed;
	free(pt);
	free(buf);
	free(label);
	return 0;

err4:
	gs_snap_sealed_clear(&sealed);
err3:
	free(pt);
err2:
	gs_snap_info_clear(&info);
err1:
	free(buf);
err0:
	free(label);
	return rc;
}

/* gs_reader_snap_cmp(a, b): by time, then name. */
int
gs_reader_snap_cmp(const void *a, const void *b)
{
	const struct gs_rsnap *x = a, *y = b;

	if (x->info.time_ns != y->info.time_ns)
		return x->info.time_ns < y->info.time_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * gs_reader_snapshots(rd, ret, ret_n): open every snapshot of the tenant and
 * return them sorted by time (oldest first) in a malloc'd array.  Returns 0;
 * 1 when some snapshots could not be opened (each warned and left out); -1
 * when the list itself could not be read (warned).
 */
int
gs_reader_snapshots(struct gs_reader *rd, struct gs_rsnap **ret, size_t *ret_n)
{
	char(*names)[GS_NAME_HEX];
	struct gs_rsnap *v;
	size_t n, i, got = 0;
	int bad = 0;

	if (gs_repo_list(rd->repo, rd->k->w.tenant, GS_OBJ_SNAP, &names, &n) != 0)
		return -1;
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL) {
		gs_warnp("calloc");
		free(names);
		return -1;
	}
	for (i = 0; i < n; i++) {
		switch (gs_reader_snap_load(rd, names[i], &v[got])) {
		case 0:
			got++;
			break;
		case 1:
			/* Removed between list and read (expiry): not a fault. */
			break;
		default:
			bad = 1;
		}
	}
	free(names);
	qsort(v, got, sizeof(*v), gs_reader_snap_cmp);
	*ret = v;
	*ret_n = got;
	return bad;
}

/* gs_reader_snapshots_free(v, n): free an array from gs_reader_snapshots(). */
void
gs_reader_snapshots_free(struct gs_rsnap *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		gs_reader_snap_clear(&v[i]);
	free(v);
}

/*
 * gs_reader_snap_future(s, now_ns, why): when s is dated more than
 * GS_SNAP_FUTURE_SKEW_S seconds after now_ns (this host's clock), warn naming
 * it (ID, host, claimed time, this host's time) and why it matters, and
 * return 1; else return 0.
 */
int
gs_reader_snap_future(const struct gs_rsnap *s, int64_t now_ns, const char *why)
{
	char when[64], now[64], host[256];

	if (!gs_snap_future(&s->info, now_ns))
		return 0;
	gs_iso_time(when, sizeof(when), s->info.time_ns / GS_NS_PER_S);
	gs_iso_time(now, sizeof(now), now_ns / GS_NS_PER_S);
	gs_warn("tenant %s: snapshot %s (host %s) is dated %s, beyond this host's clock (%s) "
	        "and its %d-minute allowance for clock skew; a snapshot's time is what its "
	        "writer said and may be forged: %s",
	        s->info.tenant ? s->info.tenant : "?", s->name,
	        gs_quote(s->info.host ? s->info.host : "", host, sizeof(host)), when, now,
	        GS_SNAP_FUTURE_SKEW_S / 60, why);
	return 1;
}

/* What a refused "latest" tells the operator. */
#define LATEST_REFUSED                                                                             \
	"it is the newest, so \"latest\" is refused; choose a snapshot with --snapshot ID "        \
	"(`geosnap-restore snapshots` lists them and flags those dated in the future)"

/*
 * gs_reader_find(v, n, spec): the snapshot "latest" (greatest time; refused
 * when it is dated more than GS_SNAP_FUTURE_SKEW_S after this host's clock)
 * or the one whose name starts with spec (at least 6 hex digits, unique).
 * Returns a pointer into v, or NULL (warned: none, future-dated "latest",
 * ambiguous or malformed).
 */
const struct gs_rsnap *
gs_reader_find(const struct gs_rsnap *v, size_t n, const char *spec)
{
	const struct gs_rsnap *hit = NULL;
	char low[GS_NAME_HEX];
	size_t len, i, nhit = 0;

	if (spec == NULL || strcmp(spec, "latest") == 0) {
		if (n == 0) {
			gs_warn("no snapshots");
			return NULL;
		}
		/* Sorted by time.  Never fall back to the one before: the
		 * operator decides which snapshot to trust. */
		if (gs_reader_snap_future(&v[n - 1], gs_now_ns(), LATEST_REFUSED))
			return NULL;
		return &v[n - 1];
	}
	len = strlen(spec);
	if (len < 6 || len > GS_NAME_HEX - 1) {
		gs_warn("snapshot '%s': give 'latest' or 6 to 32 hex digits of its ID", spec);
		return NULL;
	}
	for (i = 0; i < len; i++) {
		char c = spec[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			gs_warn("snapshot '%s': not a hex ID", spec);
			return NULL;
		}
		low[i] = c;
	}
	low[len] = '\0';
	for (i = 0; i < n; i++) {
		if (strncmp(v[i].name, low, len) == 0) {
			hit = &v[i];
			nhit++;
		}
	}
	if (nhit == 0) {
		gs_warn("snapshot %s: no such snapshot", spec);
		return NULL;
	}
	if (nhit > 1) {
		gs_warn("snapshot %s: ambiguous (%zu snapshots match)", spec, nhit);
		return NULL;
	}
	return hit;
}

/* Is spec 6 to 32 hex digits?  Lowercase copy into low. */
static int
hex_prefix(const char *spec, char low[GS_NAME_HEX])
{
	size_t len = strlen(spec), i;

	if (len < 6 || len > GS_NAME_HEX - 1)
		return 0;
	for (i = 0; i < len; i++) {
		char ch = spec[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return 0;
		low[i] = ch;
	}
	low[len] = '\0';
	return 1;
}

/*
 * gs_reader_resolve(rd, spec, ret, ret_others_bad): see reader.h.
 */
int
gs_reader_resolve(struct gs_reader *rd, const char *spec, struct gs_rsnap *ret, int *ret_others_bad)
{
	char(*names)[GS_NAME_HEX] = NULL;
	struct gs_rsnap best, cur;
	char low[GS_NAME_HEX];
	size_t n, i, hit = 0, nhit = 0;
	int have = 0, bad = 0, rc = -1;

	*ret_others_bad = 0;
	if (spec != NULL && strcmp(spec, "latest") != 0 && !hex_prefix(spec, low)) {
		gs_warn("snapshot '%s': give 'latest' or 6 to 32 hex digits of its ID", spec);
		return 1;
	}
	if (gs_repo_list(rd->repo, rd->k->w.tenant, GS_OBJ_SNAP, &names, &n) != 0)
		return -1;
	if (spec != NULL && strcmp(spec, "latest") != 0) {
		/* An ID: only the named object is opened. */
		for (i = 0; i < n; i++) {
			if (strncmp(names[i], low, strlen(low)) == 0) {
				hit = i;
				nhit++;
			}
		}
		if (nhit != 1) {
			if (nhit == 0)
				gs_warn("tenant %s: no snapshot %s", rd->k->w.tenant, spec);
			else
				gs_warn("tenant %s: snapshot %s is ambiguous (%zu match)",
				        rd->k->w.tenant, spec, nhit);
			rc = 1;
			goto out;
		}
		switch (gs_reader_snap_load(rd, names[hit], ret)) {
		case 0:
			rc = 0;
			break;
		case 1:
			gs_warn("tenant %s: snapshot %s vanished", rd->k->w.tenant, names[hit]);
			rc = 1;
			break;
		default:
			rc = -1;
		}
		goto out;
	}
	/* "latest": the time is inside each snapshot, so open them one by one. */
	for (i = 0; i < n; i++) {
		int r = gs_reader_snap_load(rd, names[i], &cur);

		if (r == 1)
			continue;
		if (r != 0) {
			bad = 1;
			continue;
		}
		if (!have || gs_reader_snap_cmp(&cur, &best) > 0) {
			if (have)
				gs_reader_snap_clear(&best);
			best = cur;
			have = 1;
		} else {
			gs_reader_snap_clear(&cur);
		}
	}
	if (!have) {
		gs_warn("tenant %s: no %ssnapshots", rd->k->w.tenant, bad ? "readable " : "");
		rc = bad ? -1 : 1;
		goto out;
	}
	/* A time ahead of our clock may be forged (it would stay "latest" for
	 * ever): refuse, and never fall back to the one before it. */
	if (gs_reader_snap_future(&best, gs_now_ns(), LATEST_REFUSED)) {
		gs_reader_snap_clear(&best);
		rc = 2;
		goto out;
	}
	*ret = best;
	*ret_others_bad = bad;
	rc = 0;
out:
	free(names);
	return rc;
}
