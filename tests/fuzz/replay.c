/*
 * replay.c -- main() for the fuzz targets when built without libFuzzer.
 *
 *   fuzz_X [DIR]          run every file of DIR (the saved corpus), then
 *                         every seed and systematic mutations of it, then
 *                         seeded random inputs
 *   fuzz_X --seeds DIR    write the target's seeds as DIR/seed-N, with a
 *                         deterministic random generator so that the files
 *                         are the same on every run (mkcorpus.sh)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"

const uint8_t fuzz_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static unsigned long runs;

static void
run(const uint8_t *p, size_t n)
{
	LLVMFuzzerTestOneInput(p, n);
	runs++;
}

static int
replay_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0; /* no saved corpus yet */
	while ((de = readdir(d)) != NULL) {
		char *p;
		uint8_t *buf;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		if ((p = gs_path_join(dir, de->d_name)) == NULL)
			return -1;
		if (gs_read_file(p, 64u << 20, &buf, &len) == 0) {
			run(buf, len);
			free(buf);
		}
		free(p);
	}
	closedir(d);
	return 0;
}

static void
mutate(const uint8_t *seed, size_t len)
{
	uint8_t *m = malloc(len + 1);
	size_t flips = len < 512 ? len : 512;

	if (m == NULL)
		abort();
	for (size_t i = 0; i <= len; i++)
		run(seed, i); /* every truncation */
	for (size_t i = 0; i < flips * 8; i++) {
		memcpy(m, seed, len);
		m[i / 8] ^= (uint8_t)(1u << (i % 8));
		run(m, len);
	}
	/* Length fields set to extremes at every offset. */
	for (size_t i = 0; i + 4 <= len && i < 512; i++) {
		memcpy(m, seed, len);
		memset(m + i, 0xff, 4);
		run(m, len);
	}
	free(m);
}

/* A deterministic randombytes implementation for --seeds: salts and
 * nonces of the encoders come out the same on every run. */
static uint64_t det_ctr;

static void
det_buf(void *buf, size_t n)
{
	uint8_t seed[randombytes_SEEDBYTES] = {'g', 's', 'f', 'u', 'z', 'z'};

	memcpy(seed + 8, &det_ctr, sizeof(det_ctr));
	det_ctr++;
	randombytes_buf_deterministic(buf, n, seed);
}

static uint32_t
det_random(void)
{
	uint32_t v;

	det_buf(&v, sizeof(v));
	return v;
}

static const char *
det_name(void)
{
	return "fuzz-deterministic";
}

static struct randombytes_implementation det_impl = {
    .implementation_name = det_name, .random = det_random, .buf = det_buf};

/* Write seed i as dir/seed-i for every seed; 0 or -1. */
static int
write_seeds(const char *dir)
{
	for (int i = 0;; i++) {
		struct gs_buf b = {0};
		char *p;
		FILE *f;

		if (fuzz_seed(i, &b)) {
			gs_buf_clear(&b);
			return 0;
		}
		if ((p = gs_asprintf("%s/seed-%d", dir, i)) == NULL ||
		    (f = fopen(p, "wb")) == NULL || fwrite(b.p, 1, b.len, f) != b.len ||
		    fclose(f) != 0) {
			fprintf(stderr, "cannot write %s\n", p ? p : dir);
			return -1;
		}
		free(p);
		gs_buf_clear(&b);
	}
}

int
main(int argc, char **argv)
{
	uint8_t rnd[4096], seedk[randombytes_SEEDBYTES] = {42};

	if (argc == 3 && strcmp(argv[1], "--seeds") == 0) {
		if (randombytes_set_implementation(&det_impl) != 0 || sodium_init() < 0)
			return 1;
		gs_set_quiet(1);
		return write_seeds(argv[2]) ? 1 : 0;
	}
	if (sodium_init() < 0)
		return 1;
	gs_set_quiet(1);
	if (argc > 1 && replay_dir(argv[1]))
		return 1;
	for (int i = 0;; i++) {
		struct gs_buf b = {0};

		if (fuzz_seed(i, &b)) {
			gs_buf_clear(&b);
			break;
		}
		mutate(b.p, b.len);
		gs_buf_clear(&b);
	}
	for (int i = 0; i < 2000; i++) {
		seedk[1] = (uint8_t)i;
		seedk[2] = (uint8_t)(i >> 8);
		randombytes_buf_deterministic(rnd, (size_t)(i % sizeof(rnd)), seedk);
		run(rnd, (size_t)(i % sizeof(rnd)));
	}
	printf("%lu passed, 0 failed\n", runs);
	return 0;
}
