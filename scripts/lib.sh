# Helpers shared by the project's scripts (sourced, not run). Each
# `ensure_*` installs a tool the first time it is missing, so the README's
# two commands work on a fresh machine.

CBINDGEN_VERSION=0.29.2

step() { printf '\n==> %s\n' "$*"; }

# Another apt/dpkg run may hold the lock (a shared machine, an image's
# background update): wait for it instead of failing.
APT_WAIT=(-o DPkg::Lock::Timeout=600)

# Installs Debian packages, saying which first. Without root it installs
# nothing and prints the command to run instead.
apt_updated=""
apt_install() {
  echo "installing with apt-get: $*"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: installing needs root; run: sudo apt-get install $*" >&2
    exit 1
  fi
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

# CMakeLists.txt needs CMake 3.25 or later.
CMAKE_MINIMUM=3.25
ensure_cmake() {
  command -v cmake >/dev/null || { step "installing cmake"; apt_install cmake; }
  local version
  version=$(cmake --version | sed -n 's/^cmake version \([0-9]*\.[0-9]*\).*/\1/p')
  if [ "$(printf '%s\n' "$CMAKE_MINIMUM" "$version" | sort -V | head -n 1)" != "$CMAKE_MINIMUM" ]; then
    echo "error: cmake $version is older than $CMAKE_MINIMUM, which CMakeLists.txt needs" >&2
    exit 1
  fi
}

ensure_go() {
  command -v go >/dev/null || { step "installing golang-go"; apt_install golang-go; }
}

ensure_pkg_config() {
  command -v pkg-config >/dev/null || { step "installing pkgconf (pkg-config)"; apt_install pkgconf; }
}

ensure_valgrind() {
  command -v valgrind >/dev/null || { step "installing valgrind"; apt_install valgrind; }
}

# The PostgreSQL server (scripts/postgres.sh starts a private one for the
# tests). Debian's `postgresql` package puts its binaries in
# /usr/lib/postgresql/VERSION/bin.
ensure_postgres() {
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ||
    { step "installing postgresql"; apt_install postgresql; }
}
