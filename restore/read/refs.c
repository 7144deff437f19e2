/*
 * refs.c -- a snapshot's reference stream as the read side checks it.  See
 * refs.h.
 */
#include <stdlib.h>
#include <string.h>

#include "geosnap/util.h"
#include "read/refs.h"

static int
ref_cmp(const void *a, const void *b)
{
	return memcmp(a, b, GS_ID_LEN);
}

/*
 * gs_refs_parse(tenant, snap, buf, len, nrefs): check that buf[0..len), the
 * concatenated reference chunks of snapshot snap, holds exactly nrefs whole
 * entries, and sort them in place (by chunk ID) for gs_refs_has().  0, or
 * -1 (warned, naming tenant and snapshot).
 */
int
gs_refs_parse(const char *tenant, const char *snap, uint8_t *buf, size_t len, uint64_t nrefs)
{
	if (len % GS_REF_LEN != 0) {
		gs_warn("tenant %s: snapshot %s: reference stream of %zu bytes is not a whole "
		        "number of %u-byte entries",
		        tenant, snap, len, (unsigned)GS_REF_LEN);
		return -1;
	}
	if (len / GS_REF_LEN != nrefs) {
		gs_warn("tenant %s: snapshot %s: reference stream holds %zu IDs, %llu recorded",
		        tenant, snap, len / GS_REF_LEN, (unsigned long long)nrefs);
		return -1;
	}
	if (len > 0)
		qsort(buf, len / GS_REF_LEN, GS_REF_LEN, ref_cmp);
	return 0;
}

/* gs_refs_has(buf, len, id): 1 when the sorted stream holds chunk ID id,
 * else 0. */
int
gs_refs_has(const uint8_t *buf, size_t len, const uint8_t id[GS_ID_LEN])
{
	if (len == 0)
		return 0;
	return bsearch(id, buf, len / GS_REF_LEN, GS_REF_LEN, ref_cmp) != NULL;
}
