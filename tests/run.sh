#!/usr/bin/env bash
# The whole test suite: install dependencies, build, run every CTest label
# (package, which builds, installs and removes the .deb, needs root), then
# build again with AddressSanitizer + UndefinedBehaviorSanitizer and run
# the tests again, and last with ThreadSanitizer and run the tests that
# exercise threads.  .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/deps.sh

jobs=$(nproc)

echo "== build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGS_TESTS=ON >/dev/null
cmake --build build -j"$jobs"

echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DGS_SANITIZE=ON -DGS_TESTS=ON >/dev/null
cmake --build build-asan -j"$jobs"

echo "== tests under ASan + UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Not the package test: it builds its own Release tree from the source, so
# it would test the same package again.
(cd build-asan && ctest --output-on-failure -j"$jobs" -LE '^package$')

# ThreadSanitizer, in its own tree (it excludes ASan), on what runs threads:
# the backup pipeline (walker, workers, pack committer) in the scenario
# tests that back up most, ship's worker pool, the restore's read engine
# (ship/41, ship/42, scenario/11), and the unit tests.  The golden and
# hostile tests back up small trees through the same code, and the rest is
# single-threaded; they all ran twice above.
echo "== build (TSan)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGS_TSAN=ON -DGS_TESTS=ON >/dev/null
cmake --build build-tsan -j"$jobs"

echo "== threaded tests under TSan"
unset ASAN_OPTIONS UBSAN_OPTIONS
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
# Without address-space randomisation: gcc 12's TSan runtime cannot map its
# shadow memory when the kernel randomises mmap with more than 28 bits.
(cd build-tsan && setarch "$(uname -m)" -R ctest --output-on-failure -j"$jobs" \
	-R '^(unit/|ship/|golden/02-corrupt-pack|scenario/(01-roundtrip|05-vanish-change|06-kill-backup|10-racy-clean|11-restore-disk-full|20-run-status)$)')
