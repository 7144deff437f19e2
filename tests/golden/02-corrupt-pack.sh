#!/bin/bash
# 02-corrupt-pack: a pack that is truncated, has a flipped byte, a wrong
# magic, an unknown version or an impossible header length is rejected
# naming the pack; nothing crashes.  Each damage is tried in place (the
# name no longer matches the bytes) and, where the bytes are still worth
# parsing, renamed to the XXH3 of the damaged bytes (only the parser or the
# AEAD can notice).
#   pack: "GSPK" u32 version | blobs | nonce || header ct | u32 header_len | "GSPE"
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
gs_begin "damaged pack objects are rejected naming the pack"
golden_base
for rename in 0 1; do
	corrupt_case packs "pack truncated to 0 bytes" $rename truncate 0
	corrupt_case packs "pack truncated to 7 bytes" $rename truncate 7
	corrupt_case packs "pack truncated to half" $rename truncate half
	corrupt_case packs "pack missing its last byte" $rename truncate -1
	corrupt_case packs "pack with a flipped byte in chunk data" $rename flip middle
	corrupt_case packs "pack with a flipped byte in its header" $rename flip -20
	corrupt_case packs "pack with a wrong magic" $rename put 0 58585858
	corrupt_case packs "pack with a wrong end magic" $rename put -4 58585858
	corrupt_case packs "pack of version 99" $rename u32 4 99
	corrupt_case packs "pack with header_len 0xfffffff0" $rename u32 -8 0xfffffff0
	corrupt_case packs "pack with header_len reaching into the magic" $rename u32 -8 size-15
	corrupt_case packs "pack with header_len 0" $rename u32 -8 0
	corrupt_case packs "pack with trailing garbage" $rename grow size+100
done
gs_finish
