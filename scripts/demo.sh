#!/usr/bin/env bash
# The README's demo: builds libcra and the example hosts with CMake, then
# runs the quickstart (one agent, immediate trace) and the deferred swarm
# (eight agents at once, trace hashed in the background) on examples/data/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_cmake

step "building libcra and the examples (build/)"
cmake -S . -B build >/dev/null
cmake --build build --parallel 2 --target quickstart deferred_swarm

step "quickstart: one agent, one request, its verified trace"
build/examples/quickstart

step "deferred_swarm: 8 agents x 200 requests, deferred trace"
build/examples/deferred_swarm 8 200
