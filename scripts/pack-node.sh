#!/usr/bin/env bash
# Packs the Node binding (bindings/node) with libcra bundled, so that
# `npm install <tarball>` works in a project outside the repository with
# nothing else installed:
#
#     scripts/pack-node.sh [OUTDIR]     # OUTDIR defaults to target/npm
#
# Builds the release library, copies it into the package as
# prebuilds/<platform>-<arch>/libcra.so.1 (where src/lib.js looks first),
# runs `npm pack`, and prints the tarball's path on the last line of stdout.
# The copy in the source tree only lives while packing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

repo=$(pwd)
out_dir=$(realpath -m "${1:-target/npm}")
prebuilds=bindings/node/prebuilds

step "build target/release/libcra.so"
cargo build --release --locked

# process.platform-process.arch, the very name src/lib.js computes at run time.
platform=$(node -p 'process.platform + "-" + process.arch')

step "bundle libcra as $prebuilds/$platform/libcra.so.1"
# Removed however the script ends, so the source tree never keeps a copy.
trap 'rm -rf "$repo/$prebuilds"' EXIT
mkdir -p "$prebuilds/$platform"
# cp, not a link: npm pack would store a symbolic link as it is.
cp target/release/libcra.so "$prebuilds/$platform/libcra.so.1"

step "npm pack (bindings/node) into $out_dir"
mkdir -p "$out_dir"
# --json: the file name without parsing npm's human-readable notices.
tarball=$(cd bindings/node && npm pack --json --pack-destination "$out_dir" \
  | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[0].filename))')
# The library must be in the tarball, or installing it would fall back to
# whatever libcra the host happens to have.
# (The listing is read in full first: grep -q stopping early would make tar
# fail with SIGPIPE under pipefail.)
listing=$(tar -tzf "$out_dir/$tarball")
if ! grep -qx "package/prebuilds/$platform/libcra.so.1" <<<"$listing"; then
  echo "error: $out_dir/$tarball lacks prebuilds/$platform/libcra.so.1" >&2
  exit 1
fi
echo "$out_dir/$tarball"
