#!/usr/bin/env bash
# Runs every benchmark and writes bench/results.json and bench/results.md:
#   1. cargo bench: the Rust API (criterion; benches/*.rs), the SHA-256
#      floor, and resident memory per stored event;
#   2. the C bench host (examples/bench.c) against target/release/libcra.so:
#      per-call latencies with tails, throughputs, the producer swarm;
#   3. examples/durable_swarm.rs: a producer swarm against a SQLite file, a
#      PostgreSQL server of its own on this machine (scripts/postgres.sh) and
#      the memory store, with bytes per event, durable latency, read-back
#      and resident memory;
#   4. scripts/bench_report.py merges them with the run's facts.
# About 5 minutes on 2 cores (plus the first build). `--quick` runs a fraction of everything to
# check that it works (its figures are flagged and not for comparison).
# Benchmark on a quiet machine: the load average at the start and the end,
# and the CPU time other work and the hypervisor took during the run, are
# recorded with the results.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

quick=false
[ "${1:-}" = "--quick" ] && quick=true
out=target/bench
mkdir -p "$out" bench

load() { cut -d' ' -f1-3 /proc/loadavg; }
# CPU time in clock ticks: the machine's busy time and the hypervisor's
# steal (from /proc/stat), and what this script's finished children used.
# Busy time beyond the children's is other work that ran beside the bench.
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8, $9; exit}' /proc/stat; }
children_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }

step "building libcra and the C bench host"
./scripts/build-lib.sh
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Iinclude examples/bench.c -o "$out/cra_bench" \
  -Ltarget/release -lcra -Wl,-rpath,"$PWD/target/release" -lpthread
cargo bench --locked --bench '*' --no-run --quiet

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(load)
read -r busy_start steal_start < <(machine_ticks)
children_start=$(children_ticks)
seconds_start=$SECONDS
step "run started $started, load average $load_start"

step "cargo bench (Rust API, criterion)"
rm -rf target/criterion # only this run's estimates are merged
if $quick; then export CRA_BENCH_SECONDS=0.3; fi
CRA_BENCH_OUT_DIR="$out" cargo bench --locked --bench '*' 2>&1 | tee "$out/cargo-bench.log"

step "C ABI bench host (examples/bench.c)"
host_args=(--data bench/data --out "$out/c.json")
if $quick; then host_args+=(--quick); fi
"$out/cra_bench" "${host_args[@]}"

step "durable swarm (examples/durable_swarm.rs): SQLite, PostgreSQL, then the memory store"
durable_seconds=30
if $quick; then durable_seconds=3; fi
source scripts/postgres.sh
pg_start
cargo run --locked --release --quiet --example durable_swarm -- \
  --seconds "$durable_seconds" --stores sqlite,postgres,memory --json "$out/durable.json"
pg_stop

load_end=$(load)
read -r busy_end steal_end < <(machine_ticks)
children_end=$(children_ticks)
ticks=$(getconf CLK_TCK)
other_cpu_seconds=$(( (busy_end - busy_start - (children_end - children_start)) / ticks ))
steal_seconds=$(( (steal_end - steal_start) / ticks ))
wall_seconds=$(( SECONDS - seconds_start ))
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
sha_ni=$(grep -qw sha_ni /proc/cpuinfo && echo true || echo false)
cat > "$out/run.json" <<JSON
{"started_utc": "$started", "load_start": "$load_start", "load_end": "$load_end",
 "wall_seconds": $wall_seconds, "other_cpu_seconds": $other_cpu_seconds, "steal_seconds": $steal_seconds,
 "quick": $quick, "commit": "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo -dirty)",
 "machine": {"cpu": "$cpu", "cores": $(nproc), "sha_ni": $sha_ni, "kernel": "$(uname -r)"}}
JSON

step "bench/results.json and bench/results.md"
python3 scripts/bench_report.py --criterion target/criterion --memory "$out/memory.json" \
  --c "$out/c.json" --durable "$out/durable.json" --run "$out/run.json" \
  --out-json bench/results.json --out-md bench/results.md
