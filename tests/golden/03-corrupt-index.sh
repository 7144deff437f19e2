#!/bin/bash
# 03-corrupt-index: an index segment that is truncated, has a flipped byte,
# a wrong magic or an unknown version, or is oversized, is rejected naming
# it; nothing crashes.  In place, and renamed to the XXH3 of the damaged
# bytes (only the parser or the AEAD can notice).
#   index: "GSIX" u32 version | nonce[24] || XChaCha20-Poly1305 ct
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "damaged index segments are rejected naming the segment"
golden_base
for rename in 0 1; do
	corrupt_case index "index truncated to 0 bytes" $rename truncate 0
	corrupt_case index "index truncated to 7 bytes" $rename truncate 7
	corrupt_case index "index truncated to 20 bytes (inside the nonce)" $rename truncate 20
	corrupt_case index "index truncated to half" $rename truncate half
	corrupt_case index "index missing its last byte" $rename truncate -1
	corrupt_case index "index with a flipped byte in the nonce" $rename flip 10
	corrupt_case index "index with a flipped byte in the ciphertext" $rename flip middle
	corrupt_case index "index with a flipped byte in the tag" $rename flip -1
	corrupt_case index "index with a wrong magic" $rename put 0 47534e53
	corrupt_case index "index of version 99" $rename u32 4 99
	corrupt_case index "index of version 0" $rename u32 4 0
	corrupt_case index "index with trailing garbage" $rename grow size+1
done
# larger than any object may be (4 GiB): must be refused, not read into memory
corrupt_case index "index grown to 5 GiB (a hole)" 0 grow 5368709120
gs_finish
