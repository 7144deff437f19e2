#!/bin/bash
# 04-corrupt-snapshot: a snapshot object that is truncated, has a flipped
# byte, a wrong magic, an unknown version or an oversized length field is
# rejected naming it; nothing crashes.  In place, and renamed to the XXH3 of
# the damaged bytes (only the parser or the AEAD can notice).
#   snapshot: "GSSN" u32 version | u32 pub_len | nonce || public ct
#             | u32 sealed_len | crypto_box_seal(sealed part)
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "damaged snapshot objects are rejected naming the snapshot"
golden_base
for rename in 0 1; do
	corrupt_case snapshots "snapshot truncated to 0 bytes" $rename truncate 0
	corrupt_case snapshots "snapshot truncated to 7 bytes" $rename truncate 7
	corrupt_case snapshots "snapshot truncated to 10 bytes (inside pub_len)" $rename truncate 10
	corrupt_case snapshots "snapshot truncated to half" $rename truncate half
	corrupt_case snapshots "snapshot missing its last byte" $rename truncate -1
	corrupt_case snapshots "snapshot with a flipped byte in the public part" $rename flip 40
	corrupt_case snapshots "snapshot with a flipped byte in the sealed part" $rename flip -5
	corrupt_case snapshots "snapshot with a wrong magic" $rename put 0 4753504b
	corrupt_case snapshots "snapshot of version 99" $rename u32 4 99
	corrupt_case snapshots "snapshot with pub_len 0xffffffff" $rename u32 8 0xffffffff
	corrupt_case snapshots "snapshot with pub_len one past the end" $rename u32 8 size-11
	corrupt_case snapshots "snapshot with pub_len 0" $rename u32 8 0
	corrupt_case snapshots "snapshot with sealed_len 0xffffffff" $rename u32at 8 0 0xffffffff
	corrupt_case snapshots "snapshot with sealed_len 0" $rename u32at 8 0 0
	corrupt_case snapshots "snapshot with trailing garbage" $rename grow size+1
done
gs_finish
