/* key.c -- for libFuzzer builds (GS_FUZZ=ON), where libFuzzer provides
 * main(): the fixed key, and the set-up replay.c's main() does.  Seed files
 * are in corpus/<parser>/ (mkcorpus.sh writes them from fuzz_seed()). */
#include <stdlib.h>

#include <sodium.h>

#include "fuzz.h"

const uint8_t fuzz_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (sodium_init() < 0)
		abort();
	gs_set_quiet(1);
	return 0;
}
