#!/usr/bin/env bash
# Soak: the deferred pipeline under a steady mixed load (sessions begun and
# ended, resolves, sync points, an atlas unloaded and reloaded) for a set
# time, then checks that nothing was lost and that every session's chain
# verifies, with libcra and with the independent Python verifier.
#
#   scripts/soak.sh [SECONDS [THREADS [RESOLVES_PER_SECOND]]]   # default 600 4 500
#
# The in-memory store keeps every event, so the rate bounds the memory a
# run takes (about 2.4 M events for the defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

out=target/soak/soak.trace.jsonl
step "soak: ${1:-600} s"
cargo run --locked --release --quiet --example soak -- "$@" --out "$out"
step "independent verification (tools/cra-verify)"
python3 tools/cra-verify "$out"
if [ -f ../shared/tools/trace_verify.py ]; then
  step "the shared specification's verifier (trace_verify.py --multi)"
  python3 ../shared/tools/trace_verify.py --multi "$out"
fi
step "soak passed"
