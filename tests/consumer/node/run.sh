#!/usr/bin/env bash
# Installs the packed Node binding into a fresh project outside the
# repository and uses it there, as a user would:
#
#     scripts/pack-node.sh /tmp/npmout
#     mkdir -p /tmp/consumer && tests/consumer/node/run.sh /tmp/npmout/cra-libcra-1.0.0.tgz /tmp/consumer/proj
#
# WORKDIR must be outside the repository; a rerun replaces what an earlier
# run installed there. Runs main.mjs with no LD_LIBRARY_PATH or
# CRA_LIBRARY_PATH (so only the bundled library can load), then type-checks
# check.ts with tsc. Fails if any step fails.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 TARBALL WORKDIR" >&2
  exit 2
fi

template=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$template/../../.." && pwd)
tarball=$(realpath "$1")
workdir=$(realpath -m "$2")

[ -f "$tarball" ] || { echo "error: no tarball at $tarball" >&2; exit 1; }
# Inside the repository, the package could still find the repository's
# build or files, which would hide what a real user would miss.
case "$workdir/" in
  "$repo"/*) echo "error: $workdir is inside the repository ($repo)" >&2; exit 1 ;;
esac
# A leftover install from an earlier run would test an older tarball: drop
# it (only what this script creates), so the same WORKDIR can be reused.
rm -rf "$workdir/node_modules" "$workdir/package-lock.json"

# The very versions the binding itself is type-checked with.
dev_dependency() {
  node -p "require(process.argv[1]).devDependencies[process.argv[2]]" \
    "$repo/bindings/node/package.json" "$1"
}
typescript_version=$(dev_dependency typescript)
types_node_version=$(dev_dependency @types/node)

mkdir -p "$workdir"
cp "$template/main.mjs" "$template/check.ts" "$template/billing.atlas.json" "$workdir/"
cd "$workdir"
# allowScripts: koffi ships prebuilt native modules, and its install script
# (a from-source fallback) is not needed; bindings/node says the same.
cat > package.json <<'JSON'
{
  "name": "cra-consumer",
  "version": "1.0.0",
  "private": true,
  "type": "module",
  "allowScripts": { "koffi": false }
}
JSON
cat > tsconfig.json <<'JSON'
{
  "compilerOptions": {
    "module": "nodenext",
    "strict": true,
    "noEmit": true,
    "types": ["node"]
  },
  "files": ["check.ts"]
}
JSON

echo "==> npm install $tarball (in $workdir)"
npm install --no-audit --no-fund --save-exact "$tarball" \
  "typescript@$typescript_version" "@types/node@$types_node_version"

echo "==> node main.mjs (no LD_LIBRARY_PATH, no CRA_LIBRARY_PATH)"
env -u LD_LIBRARY_PATH -u CRA_LIBRARY_PATH node main.mjs

echo "==> tsc --noEmit"
npx --no-install tsc --noEmit -p tsconfig.json

echo "==> the Node consumer works"
