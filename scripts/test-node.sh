#!/usr/bin/env bash
# Builds libcra and runs the Node binding's tests (bindings/node): the
# TypeScript type-check, node --test, then examples/enforcement.mjs. Needs
# Node >= 20.19 with npm, and python3 (for tools/cra-verify).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "build target/release/libcra.so"
./scripts/build-lib.sh

step "npm ci (bindings/node)"
cd bindings/node
npm ci --no-audit --no-fund

step "npm test (bindings/node)"
npm test

step "examples/enforcement.mjs (bindings/node): the whole enforcement loop"
(cd ../.. && node bindings/node/examples/enforcement.mjs)
