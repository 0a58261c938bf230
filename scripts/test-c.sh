#!/usr/bin/env bash
# Builds the C and C++ hosts with CMake and runs their CTest tests twice:
#   build/       the normal build (with libcra.a), plus quickstart and bad_input under valgrind
#   build-asan/  the hosts built with ASan+UBSan (the Rust library unchanged)
# Stops at the first failure. Installs cmake and valgrind when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_cmake
ensure_valgrind

# build_and_test <build dir> <cmake options...>
build_and_test() {
  local dir=$1
  shift
  step "cmake $* ($dir/)"
  cmake -S . -B "$dir" "$@" >/dev/null
  cmake --build "$dir" --parallel 2
  step "ctest ($dir/)"
  (cd "$dir" && ctest --output-on-failure) | tee "$dir/ctest.log"
}

build_and_test build -DCRA_SANITIZE=OFF -DCRA_VALGRIND=ON -DCRA_BUILD_STATIC=ON
build_and_test build-asan -DCRA_SANITIZE=ON -DCRA_VALGRIND=OFF

step "C and C++ tests passed"
grep -H "tests passed" build/ctest.log build-asan/ctest.log
