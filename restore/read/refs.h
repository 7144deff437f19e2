/*
 * refs.h -- a snapshot's reference stream as the read side checks it.
 *
 * The stream (format.h) is stored as GS_CT_REFS chunks cut by the content
 * chunker like any other stream, so a cut may fall inside an entry: only
 * the concatenation of the chunks is a sequence of whole entries.
 *
 *   entry: id[32]                  (GS_REF_LEN bytes)
 */
#ifndef GEOSNAP_REFS_H
#define GEOSNAP_REFS_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/format.h"

#define GS_REF_LEN GS_ID_LEN

/*
 * gs_refs_parse(tenant, snap, buf, len, nrefs): check that buf[0..len), the
 * concatenated reference chunks of snapshot snap, holds exactly nrefs whole
 * entries, and sort them in place (by chunk ID) for gs_refs_has().  0, or
 * -1 (warned, naming tenant and snapshot).
 */
int gs_refs_parse(const char *tenant, const char *snap, uint8_t *buf, size_t len, uint64_t nrefs);

/* gs_refs_has(buf, len, id): 1 when the sorted stream holds chunk ID id,
 * else 0. */
int gs_refs_has(const uint8_t *buf, size_t len, const uint8_t id[GS_ID_LEN]);

#endif
