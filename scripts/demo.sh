#!/usr/bin/env bash
# The README's demo: builds libcra and the example hosts with CMake, then
# runs the quickstart (one agent, immediate trace, committed to a SQLite
# file), the deferred swarm (eight agents at once, trace hashed in the
# background and committed to another file), and an audit that reopens the
# swarm's file and verifies every session against its head.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_cmake

step "building libcra and the examples (build/)"
cmake -S . -B build >/dev/null
cmake --build build --parallel 2 --target quickstart deferred_swarm audit_store

demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"

step "quickstart: one agent, one request, its verified trace in $demo/quickstart.db"
build/examples/quickstart --store "sqlite:$demo/quickstart.db"

step "deferred_swarm: 8 agents x 200 requests, deferred trace into $demo/swarm.db"
build/examples/deferred_swarm --store "sqlite:$demo/swarm.db" --sessions-out "$demo/swarm.sessions" 8 200

step "audit_store: reopen $demo/swarm.db and verify every session against its head"
build/examples/audit_store "$demo/swarm.db" --sessions "$demo/swarm.sessions"
