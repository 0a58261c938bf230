#!/usr/bin/env bash
# Regenerates include/cra.h from src/ffi/ with the pinned cbindgen.
# `scripts/header.sh --check` fails when the committed header differs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_cbindgen
if [ "${1:-}" = "--check" ]; then
  cbindgen --quiet --config cbindgen.toml --crate cra --output include/cra.h --verify \
    || { echo "include/cra.h is stale: run scripts/header.sh and commit it" >&2; exit 1; }
else
  cbindgen --quiet --config cbindgen.toml --crate cra --output include/cra.h
fi
