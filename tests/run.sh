#!/usr/bin/env bash
# The whole test suite: install dependencies, build, run every CTest label,
# then build again with AddressSanitizer + UndefinedBehaviorSanitizer and run
# the tests again.  .ci/run runs exactly this.
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
(cd build-asan && ctest --output-on-failure -j"$jobs")
