# Helpers shared by the project's scripts (sourced, not run). Each
# `ensure_*` installs a tool the first time it is missing, so the README's
# two commands work on a fresh machine.

CBINDGEN_VERSION=0.29.2

step() { printf '\n==> %s\n' "$*"; }

# Another apt/dpkg run may hold the lock (a shared machine, an image's
# background update): wait for it instead of failing.
APT_WAIT=(-o DPkg::Lock::Timeout=600)

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    apt-get "${APT_WAIT[@]}" update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -qq "$@" >/dev/null
}

ensure_cbindgen() {
  if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]; then
    step "installing cbindgen $CBINDGEN_VERSION (cargo install, a few minutes once)"
    cargo install --quiet --locked --force cbindgen --version "$CBINDGEN_VERSION"
  fi
}

ensure_cmake() {
  command -v cmake >/dev/null || { step "installing cmake"; apt_install cmake; }
}

ensure_go() {
  command -v go >/dev/null || { step "installing golang-go"; apt_install golang-go; }
}

ensure_valgrind() {
  command -v valgrind >/dev/null || { step "installing valgrind"; apt_install valgrind; }
}
