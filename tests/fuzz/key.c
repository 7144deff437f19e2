/* key.c -- the fixed key and no seeds, for libFuzzer builds (GS_FUZZ=ON),
 * where libFuzzer provides main(); seed files go in corpus/<parser>/. */
#include "fuzz.h"

const uint8_t fuzz_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
