/*
 * refs.c -- a snapshot's reference stream as the read side decodes it.  See
 * refs.h.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/util.h"
#include "read/refs.h"

static int
pin_cmp(const void *a, const void *b)
{
	return memcmp(a, b, GS_ID_LEN);
}

/*
 * gs_refs_parse(tenant, snap, buf, len, version, nrefs, ret, ret_n): see
 * refs.h.
 */
int
gs_refs_parse(const char *tenant, const char *snap, const uint8_t *buf, size_t len,
              uint32_t version, uint64_t nrefs, struct gs_pin **ret, size_t *ret_n)
{
	size_t elen = gs_snap_ref_len(version), n = len / elen;
	struct gs_pin *pins = NULL;

	if (len % elen != 0) {
		gs_warn("tenant %s: snapshot %s: reference stream of %zu bytes is not a whole "
		        "number of %zu-byte entries",
		        tenant, snap, len, elen);
		return -1;
	}
	if (n != nrefs) {
		gs_warn("tenant %s: snapshot %s: reference stream holds %zu entries, %llu recorded",
		        tenant, snap, n, (unsigned long long)nrefs);
		return -1;
	}
	if (n > 0 && (pins = calloc(n, sizeof(*pins))) == NULL) {
		gs_warnp("tenant %s: snapshot %s: reference stream", tenant, snap);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		gs_pin_decode(buf + i * elen, version, &pins[i]);
	if (n > 1)
		qsort(pins, n, sizeof(*pins), pin_cmp);
	*ret = pins;
	*ret_n = n;
	return 0;
}

/* gs_refs_find(pins, n, id): the pin of chunk id in sorted pins, or NULL. */
const struct gs_pin *
gs_refs_find(const struct gs_pin *pins, size_t n, const uint8_t id[GS_ID_LEN])
{
	if (n == 0)
		return NULL;
	return bsearch(id, pins, n, sizeof(*pins), pin_cmp);
}
