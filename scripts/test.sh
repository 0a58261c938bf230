#!/usr/bin/env bash
# Runs every test of libcra: the README's test command, and what CI runs.
# Installs what it needs when it is missing (see scripts/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

step "include/cra.h matches the source"
scripts/header.sh --check

step "cargo test"
# Release: the concurrency and stress tests push hundreds of thousands of events.
cargo test --locked --release

step "cargo test: the scenario, deferred and concurrency tests again, against a SQLite store"
CRA_TEST_STORE=sqlite cargo test --locked --release --test scenarios --test deferred --test concurrency

step "cargo test: the store conformance and many-host tests, then the scenario, deferred and concurrency tests, against PostgreSQL"
# A private server in a temporary folder (scripts/postgres.sh), stopped and
# removed by pg_stop, or by its EXIT trap when a test fails.
source scripts/postgres.sh
pg_start
CRA_REQUIRE_POSTGRES=1 cargo test --locked --release --test store_conformance --test postgres_hosts
CRA_REQUIRE_POSTGRES=1 CRA_TEST_STORE=postgres \
  cargo test --locked --release --test scenarios --test deferred --test concurrency
pg_stop

step "durable swarm, short form: a SQLite store keeps resident memory flat"
cargo run --locked --release --quiet --example durable_swarm -- --seconds 12 --stores sqlite --check-flat

step "loom model check of the wait protocol"
RUSTFLAGS="--cfg cra_loom" CARGO_TARGET_DIR=target/loom \
  cargo test --locked --release --lib trace::deferred::progress

step "Go binding"
scripts/test-go.sh

step "Node binding"
scripts/test-node.sh

step "C and C++ hosts: CMake build, CTest, ASan+UBSan, valgrind"
scripts/test-c.sh

step "Projects of their own: install, then C, C++, Go and Node outside the repository; a clean clone"
scripts/test-consumer.sh build
