#!/usr/bin/env bash
# Builds target/release/libcra.so and the libcra.so.1 name hosts load at run
# time (the library's SONAME). Host builds outside CMake (Go, Node) use this.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
ln -sf libcra.so target/release/libcra.so.1
