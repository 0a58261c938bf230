#!/usr/bin/env bash
# A long fuzzing run, on stable Rust: the test suite's differential and
# robustness properties with many more generated cases, repeated with
# fresh random inputs until the time is up.
#
#   scripts/fuzz.sh [MINUTES]     # default 10
#   CRA_FUZZ_CASES=N scripts/fuzz.sh   # cases per property per pass (default 100000)
#
# What runs: the request scanner against serde, the JSONL layout reader
# against the general reader, is_canonical and the canonical writer against
# re-serializing and against Python's json.dumps, atlas validation on random
# manifests, and the C ABI entry points on arbitrary and mutated bytes
# (tests/fuzz.rs). A failing input is saved by proptest under
# proptest-regressions/; commit that file, and every later test run replays it.
# The test command (scripts/test.sh) runs the same properties briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

minutes=${1:-10}
export CRA_FUZZ_CASES=${CRA_FUZZ_CASES:-100000}
properties=(
  reads_exactly_what_serde_reads reads_every_request_of_the_common_shape
  mutated_lines_are_read_as_in_general
  matches_python_json_dumps canonical_form_is_a_fixpoint is_canonical_iff_reserialization_is_identical
  random_manifests_never_panic
)

step "building the tests"
cargo test --locked --release --no-run --quiet
deadline=$((SECONDS + minutes * 60))
pass=0
while :; do
  pass=$((pass + 1))
  step "pass $pass: $CRA_FUZZ_CASES cases per property"
  cargo test --locked --release --quiet --lib -- "${properties[@]}"
  cargo test --locked --release --quiet --test fuzz
  [ "$SECONDS" -lt "$deadline" ] || break
done
step "fuzzing found nothing in $pass passes"
