#!/usr/bin/env bash
# mkcorpus.sh -- (re)write the seed corpus tests/fuzz/corpus/<parser>/seed-*
# from each target's fuzz_seed(), which builds valid inputs with the real
# encoders and the fixed fuzz key; run it after a format change and commit
# the result.  Other files in corpus/<parser>/ (crash regressions, inputs
# added by hand) are left alone.
#
#   tests/fuzz/mkcorpus.sh [BUILD]     BUILD: a non-fuzz build with the
#                                      fuzz_* programs (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-$src/build}

n=0
for c in "$here"/fuzz_*.c; do
	name=$(basename "$c" .c)
	parser=${name#fuzz_}
	prog=$build/tests/$name
	if [ ! -x "$prog" ]; then
		echo "mkcorpus: $prog is missing: build $build first (without GS_FUZZ)" >&2
		exit 2
	fi
	dir=$here/corpus/$parser
	mkdir -p "$dir"
	rm -f "$dir"/seed-*
	"$prog" --seeds "$dir"
	n=$((n + 1))
done
# The sample configuration is a seed of the INI parser too.
cp "$src/conf/geosnap.ini.sample" "$here/corpus/config/seed-sample.ini"
echo "mkcorpus: seeds of $n targets in $here/corpus ($(du -sh "$here/corpus" | cut -f1))"
