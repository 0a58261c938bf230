#!/usr/bin/env bash
# Builds libcra and tests the Go binding (bindings/go): go vet, the tests
# under the race detector, and the example program. Installs Go (Debian's
# golang-go) when it is missing. Never touches the network for Go modules:
# the binding uses the standard library only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_go

# No toolchain downloads, no module proxy.
export GOTOOLCHAIN=local GOPROXY=off
# Go needs a cache and a GOPATH; without HOME (some CI runners) keep them
# in target/ instead of failing.
if [ -z "${HOME:-}" ]; then
  export GOCACHE="$PWD/target/go/cache" GOPATH="$PWD/target/go/path"
fi

step "building libcra (target/release/libcra.so)"
./scripts/build-lib.sh

cd bindings/go
step "gofmt"
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
  echo "gofmt wants to change: $unformatted" >&2
  exit 1
fi

step "go vet"
go vet ./...

step "go test -race"
go test -race -count=1 ./...

step "go run ./example"
go run ./example
