/*
 * refs.h -- a snapshot's reference stream as the read side decodes it.
 *
 * The stream (format.h, docs/FORMAT.md) is stored as GS_CT_REFS chunks cut
 * by the content chunker like any other stream, so a cut may fall inside an
 * entry: only the concatenation of the chunks is a sequence of whole
 * entries.
 *
 *   version 2 entry: id[32] pack[16]   (a pin, GS_PIN_LEN bytes)
 *   version 1 entry: id[32]            (pins nothing)
 */
#ifndef GEOSNAP_REFS_H
#define GEOSNAP_REFS_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/format.h"

/*
 * gs_refs_parse(tenant, snap, buf, len, version, nrefs, ret, ret_n): decode
 * buf[0..len), the concatenated reference chunks of snapshot snap of the
 * given version, which must hold exactly nrefs whole entries, into a
 * malloc'd array of pins sorted by chunk ID (*ret, NULL when empty; the
 * caller frees it) and its length.  0, or -1 (warned, naming tenant and
 * snapshot).
 */
int gs_refs_parse(const char *tenant, const char *snap, const uint8_t *buf, size_t len,
                  uint32_t version, uint64_t nrefs, struct gs_pin **ret, size_t *ret_n);

/* gs_refs_find(pins, n, id): the pin of chunk id in sorted pins, or NULL. */
const struct gs_pin *gs_refs_find(const struct gs_pin *pins, size_t n, const uint8_t id[GS_ID_LEN]);

#endif
