/*
 * fuzz.h -- shared by the fuzz targets.  Each target defines
 * LLVMFuzzerTestOneInput() and fuzz_seed(); replay.c (CTest) runs every file
 * of the saved corpus, then every seed and systematic mutations of it
 * (each truncation, each bit flip of the first 512 bytes, seeded random
 * bytes), so the sanitizer build exercises the parsers without libFuzzer.
 * The seeds are also the committed corpus/<parser>/seed-* files
 * (mkcorpus.sh); with GS_FUZZ, key.c replaces replay.c and libFuzzer
 * provides main() (bench/fuzz.sh).
 */
#ifndef GS_FUZZ_H
#define GS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "geosnap/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* fuzz_seed(i, out): append valid input number i to out; 0, or 1 when there
 * are no more seeds. */
int fuzz_seed(int i, struct gs_buf *out);

/* The fixed key the targets use to get past authentication. */
extern const uint8_t fuzz_key[32];

#endif
