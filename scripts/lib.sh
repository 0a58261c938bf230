# Helpers shared by the project's scripts (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }

# Checks that the shared specs and tools sit beside the repository.
require_shared() {
  if [ ! -f ../shared/tools/trace_verify.py ]; then
    echo "error: ../shared/tools/trace_verify.py not found beside the repository" >&2
    exit 1
  fi
}
