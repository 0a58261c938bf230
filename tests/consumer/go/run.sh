#!/usr/bin/env bash
# Builds and runs a Go program the way a project outside the libcra
# repository would: a module of its own in WORKDIR that requires the Go
# binding (replaced by REPO/bindings/go, since the module is not on a
# proxy) and links the libcra installed under PREFIX through pkg-config
# (-tags cra_pkgconfig). Offline: no toolchain download, no module proxy.
#
#   tests/consumer/go/run.sh PREFIX REPO WORKDIR
#
# PREFIX   where libcra is installed (holds include/cra.h and cra.pc under
#          lib/pkgconfig or lib/<multiarch>/pkgconfig)
# REPO     the libcra checkout whose bindings/go is used
# WORKDIR  an existing folder outside REPO; the module is written there
#
# Fails unless the program builds, its RUNPATH/RPATH holds PREFIX's lib
# folder and nothing of REPO, it loads libcra from PREFIX, and it runs
# without LD_LIBRARY_PATH.
set -euo pipefail

fail() {
  echo "consumer test: $*" >&2
  exit 1
}

[ $# -eq 3 ] || { echo "usage: $0 PREFIX REPO WORKDIR" >&2; exit 2; }
for dir in "$1" "$2" "$3"; do
  [ -d "$dir" ] || fail "$dir is not a folder"
done
prefix=$(realpath "$1")
repo=$(realpath "$2")
workdir=$(realpath "$3")
template=$(cd "$(dirname "$0")" && pwd)

# Under the checkout, go could find the repository's files by accident
# and the rpath check below would mean nothing.
case "$workdir/" in
  "$repo"/*) fail "WORKDIR $workdir is inside REPO $repo; use a folder outside it" ;;
esac

# The one cra.pc under PREFIX (lib/pkgconfig or a multiarch folder).
mapfile -t pcfiles < <(find "$prefix" -name cra.pc -path '*/pkgconfig/*')
[ "${#pcfiles[@]}" -eq 1 ] || fail "want exactly one cra.pc under $prefix, found ${#pcfiles[@]}: ${pcfiles[*]:-}"
pcdir=$(dirname "${pcfiles[0]}")
# Only PREFIX's cra.pc, whatever the caller's environment says.
export PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$pcdir"
libdir=$(realpath -m "$(pkg-config --variable=libdir cra)")
[ -e "$libdir/libcra.so.1" ] || fail "cra.pc's libdir $libdir holds no libcra.so.1"

go_version=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$repo/bindings/go/go.mod")
[ -n "$go_version" ] || fail "no go directive in $repo/bindings/go/go.mod"

echo "==> module example.com/consumer in $workdir (libcra from $pcdir)"
cp "$template/main.go" "$template/billing.atlas.json" "$workdir/"
rm -f "$workdir/go.sum" "$workdir/consumer"
cat > "$workdir/go.mod" <<EOF
module example.com/consumer

go $go_version

require github.com/cra/libcra-go v1.0.0

replace github.com/cra/libcra-go => $repo/bindings/go
EOF

cd "$workdir"
# A build cache of its own: Go's cache does not notice what pkg-config
# says (golang/go#24544), so a shared one could hand back a package built
# against another prefix, with that prefix's run path. Go also needs a
# GOPATH; without HOME (some CI runners) keep it in WORKDIR too. GOWORK=off:
# a go.work above WORKDIR must not take part.
export GOCACHE="$workdir/.cache/go-build"
if [ -z "${HOME:-}" ]; then
  export GOPATH="$workdir/.cache/go"
fi
echo "==> go build -tags cra_pkgconfig -trimpath"
GOWORK=off GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod \
  go build -tags cra_pkgconfig -trimpath -o consumer .
# The binding depends on the standard library only: nothing to checksum.
if [ -s go.sum ]; then
  fail "go build wrote go.sum entries; the binding should need none:
$(cat go.sum)"
fi

echo "==> run path of the binary"
runpath=$(readelf -d consumer | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]$/\2/p')
[ -n "$runpath" ] || fail "the binary has no RUNPATH or RPATH"
echo "$runpath"
has_libdir=""
IFS=: read -ra entries <<< "$runpath"
for entry in "${entries[@]}"; do
  resolved=$(realpath -m "$entry")
  case "$entry/ $resolved/" in
    *"$repo"/*) fail "run path entry $entry points into the checkout $repo" ;;
  esac
  [ "$resolved" = "$libdir" ] && has_libdir=1
done
[ -n "$has_libdir" ] || fail "the run path $runpath does not hold PREFIX's lib folder $libdir"

echo "==> run without LD_LIBRARY_PATH"
loaded=$(env -u LD_LIBRARY_PATH ldd ./consumer | sed -n 's/^\s*libcra\.so\.1 => \(\S*\) .*/\1/p')
[ -n "$loaded" ] || fail "ldd finds no libcra.so.1 for the binary"
[ "$(realpath "$(dirname "$loaded")")" = "$libdir" ] || fail "libcra.so.1 loads from $loaded, not from $libdir"
env -u LD_LIBRARY_PATH ./consumer
