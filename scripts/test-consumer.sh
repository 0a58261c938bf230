#!/usr/bin/env bash
# Uses libcra as a project of its own would, from folders outside the
# repository and without LD_LIBRARY_PATH:
#
#   1. `cmake --install` of build/ (made by scripts/test-c.sh, with
#      CRA_BUILD_STATIC) into a temporary prefix, and its layout;
#   2. C and C++ through find_package(cra) (shared and static) and through
#      CMake's pkg-config module (tests/consumer/c);
#   3. C with plain `cc` and `pkg-config --cflags --libs cra`, shared and
#      static;
#   4. a Go module with a `replace` directive and -tags cra_pkgconfig
#      (tests/consumer/go);
#   5. a Node project that installs the `npm pack` tarball with the library
#      bundled, runs an ESM script and `tsc --noEmit` (tests/consumer/node);
#   6. a `git clone` of HEAD with nothing beside it: the demo and the Rust
#      tests run there (the short form of the test command).
#
# Usage: scripts/test-consumer.sh [BUILD_DIR]   (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_cmake
ensure_pkg_config
ensure_go

repo=$PWD
build_dir=$(realpath "${1:-build}")
[ -f "$build_dir/CMakeCache.txt" ] || { echo "error: $build_dir is not a CMake build (run scripts/test-c.sh)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cra-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
libdir=$prefix/$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build_dir/CMakeCache.txt")
atlas=$repo/examples/data/billing.atlas.json
# Nothing may stand in for a missing rpath or a missing install.
unset LD_LIBRARY_PATH CRA_LIBRARY_PATH CMAKE_PREFIX_PATH PKG_CONFIG_PATH
export PKG_CONFIG_LIBDIR=$libdir/pkgconfig

step "cmake --install $build_dir --prefix $prefix"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
check_layout() {
  local lib=$libdir version abi
  version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
  abi=${version%%.*}
  for file in "$lib/libcra.so.$version" "$lib/libcra.a" "$lib/cmake/cra/craConfig.cmake" \
      "$lib/cmake/cra/craConfigVersion.cmake" "$lib/pkgconfig/cra.pc" \
      "$prefix/include/cra.h" "$prefix/include/cra.hpp" "$prefix/include/cra_testing.h"; do
    [ -f "$file" ] || { echo "error: not installed: $file" >&2; return 1; }
  done
  [ "$(readlink "$lib/libcra.so.$abi")" = "libcra.so.$version" ] \
    && [ "$(readlink "$lib/libcra.so")" = "libcra.so.$abi" ] \
    || { echo "error: expected libcra.so -> libcra.so.$abi -> libcra.so.$version" >&2; return 1; }
  [ "$(pkg-config --modversion cra)" = "$version" ] || { echo "error: cra.pc is not version $version" >&2; return 1; }
  if readelf --debug-dump=info "$lib/libcra.so.$version" 2>/dev/null | grep -q DW_TAG_compile_unit; then
    echo "error: the installed library carries debug info" >&2
    return 1
  fi
  echo "layout ok: libcra $version (SONAME libcra.so.$abi), no debug info"
}
check_layout

# run_outside <program> <args...>: runs from the work folder, never the repository.
run_outside() { (cd "$work" && "$@"); }

# needs_no_checkout <binary>: its dynamic section names no path of the repository.
needs_no_checkout() {
  if readelf -d "$1" | grep -F -e "$repo" -e "$build_dir"; then
    echo "error: $1 carries a path of the checkout" >&2
    return 1
  fi
}

step "C and C++ with CMake: find_package(cra) (shared, static) and pkg_check_modules"
cp -r tests/consumer/c "$work/cmake-project"
cmake -S "$work/cmake-project" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/cmake-build" >/dev/null
cmake --install "$work/cmake-build" >/dev/null
for program in consumer_cmake consumer_cxx consumer_static consumer_pkgconfig; do
  run_outside "$prefix/bin/$program" "$atlas"
  needs_no_checkout "$prefix/bin/$program"
done
if readelf -d "$prefix/bin/consumer_static" | grep -q 'libcra\.so'; then
  echo "error: consumer_static needs libcra.so" >&2
  exit 1
fi

step "C with cc and pkg-config (shared, then static)"
cc -o "$work/consumer_cc" tests/consumer/c/consumer.c $(pkg-config --cflags --libs cra)
run_outside "$work/consumer_cc" "$atlas"
needs_no_checkout "$work/consumer_cc"
cc -o "$work/consumer_cc_static" tests/consumer/c/consumer.c $(pkg-config --cflags cra) \
  "$(pkg-config --variable=libdir cra)/libcra.a" $(pkg-config --variable=static_system_libs cra)
run_outside "$work/consumer_cc_static" "$atlas"

step "Go: a module of its own, -tags cra_pkgconfig"
mkdir -p "$work/go/consumer"
tests/consumer/go/run.sh "$prefix" "$repo" "$work/go/consumer"

step "Node: npm pack with the library bundled, installed into a project of its own"
tarball=$(scripts/pack-node.sh "$work/npm" | tail -n 1)
mkdir -p "$work/node/consumer"
tests/consumer/node/run.sh "$tarball" "$work/node/consumer"

step "a clone of HEAD with nothing beside it: demo and cargo test"
clone=$work/clone/libcra
git clone --quiet --no-hardlinks "$repo" "$clone"
(
  cd "$clone"
  [ ! -e ../shared ] || { echo "error: ../shared exists beside the clone" >&2; exit 1; }
  # The clone's own target folder: nothing built in the checkout is reused.
  ./scripts/demo.sh >"$work/clone-demo.log" 2>&1 || { tail -n 40 "$work/clone-demo.log"; exit 1; }
  cargo test --locked --release >"$work/clone-test.log" 2>&1 || { tail -n 80 "$work/clone-test.log"; exit 1; }
  echo "demo ran; $(grep -c '^test result: ok' "$work/clone-test.log") test binaries passed in the clone"
)

step "every consumer built and ran outside the repository"
