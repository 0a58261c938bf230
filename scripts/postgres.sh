# A private PostgreSQL server for tests and benchmarks (sourced, not run).
#
#   source scripts/postgres.sh
#   pg_start        # installs postgresql when missing, starts a server
#   ...             # tests use the variables below
#   pg_stop         # or let the EXIT trap do it
#
# pg_start initialises a cluster in a fresh directory /tmp/cra-pg.XXXXXX
# (superuser `cra`, trust authentication, UTF8), listening only on
# 127.0.0.1 at a free port and on a Unix socket in that directory, with
# fsync on (the defaults) and max_connections = 300, creates the database
# `cra`, and exports:
#
#   CRA_TEST_POSTGRES_URL  postgres://cra@127.0.0.1:PORT/cra
#   CRA_TEST_PG_CTL        a command prefix for pg_ctl on that server, run as
#                          the server's OS user with its data directory and
#                          log file, for instance
#                            sh -c "$CRA_TEST_PG_CTL restart -m fast -w"
#                            sh -c "$CRA_TEST_PG_CTL status"
#                          (a plain string with no quoting: let the shell
#                          split it into words)
#   CRA_TEST_PG_BIN        the server's bin directory (psql, createdb, ... of
#                          the same version)
#   CRA_TEST_PG_DIR        the temporary directory (data/, server.log, socket)
#
# A root shell runs the server as the `postgres` user that Debian's package
# creates (PostgreSQL refuses to run as root); any other user runs it as
# itself. pg_start installs an EXIT trap, chained before any trap already
# set, that stops the server (fast, falling back to immediate, then
# SIGKILL) and removes the directory, also when a test fails; it turns
# SIGTERM and SIGHUP into an exit (so the trap runs) unless the shell
# already traps them. pg_stop does the same at once and may be called any
# number of times. A run that was SIGKILLed leaves its server behind: the
# next pg_start stops every server whose directory belongs to a shell that
# no longer runs, and removes the directory.

if ! declare -F ensure_postgres >/dev/null; then
  # shellcheck source=scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

CRA_PG_MAX_CONNECTIONS=300

# The bin directory of the newest installed server.
_pg_bin_dir() {
  local initdb
  initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  [ -x "$initdb" ] || return 1
  dirname "$initdb"
}

# Prints the command prefix that runs a server program as the server's user.
_pg_as_owner() {
  local dir=$1
  if [ "$(id -u)" -eq 0 ]; then
    printf 'runuser -u postgres -- env -C %s' "$dir"
  else
    printf 'env -C %s' "$dir"
  fi
}

# "PID STARTTIME" of a process, STARTTIME from /proc (so a reused pid does
# not pass for the shell that started a server).
_pg_proc_identity() {
  local pid=$1 stat
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }                           # fields after "(comm) "
  # shellcheck disable=SC2086
  set -- $stat
  printf '%s %s\n' "$pid" "${20}"             # field 22 of the full line: start time
}

# Stops the server of DIR (if it runs) and removes DIR.
_pg_teardown() {
  local dir=$1 bin=$2 pid=""
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  local ctl
  ctl="$(_pg_as_owner "$dir") $bin/pg_ctl -D $dir/data"
  if [ -f "$dir/data/postmaster.pid" ]; then
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
    $ctl stop -m fast -w -t 20 >/dev/null 2>&1 ||
      $ctl stop -m immediate -w -t 20 >/dev/null 2>&1 || true
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
      grep -q postgres "/proc/$pid/comm" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -rf "$dir"
}

# Stops the servers of runs whose shell is gone (killed before its trap ran).
_pg_reap_stale() {
  local bin=$1 dir owner
  for dir in /tmp/cra-pg.*; do
    [ -d "$dir" ] || continue
    owner=$(cat "$dir/owner" 2>/dev/null || true)
    if [ -n "$owner" ] && [ "$(_pg_proc_identity "${owner%% *}" || true)" = "$owner" ]; then
      continue # its shell still runs: another run's server
    fi
    if [ -z "$owner" ] && [ -n "$(find "$dir" -maxdepth 0 -mmin -2 2>/dev/null)" ]; then
      continue # being set up right now
    fi
    echo "postgres.sh: stopping a server left by a killed run ($dir)"
    _pg_teardown "$dir" "$bin"
  done
}

# A TCP port nothing listens on (pg_start retries when another process takes
# it first).
_pg_free_port() {
  local port tries
  for tries in $(seq 1 100); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

_pg_trap_installed=""
_pg_install_trap() {
  # Per process: a subshell starts without its parent's traps.
  [ "$_pg_trap_installed" != "$BASHPID" ] || return 0
  local previous=""
  # In a subshell `trap -p` still shows the parent's traps, which do not run
  # there, until the subshell sets a trap of its own: setting one (to the
  # default, for a signal nothing uses) leaves only the traps that are live.
  trap - RTMAX
  if [ -n "$(trap -p EXIT)" ]; then
    eval "set -- $(trap -p EXIT)" # trap -- 'COMMAND' EXIT
    previous=$3
  fi
  # shellcheck disable=SC2064
  trap "pg_stop; $previous" EXIT
  [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
  [ -n "$(trap -p HUP)" ] || trap 'exit 129' HUP
  _pg_trap_installed=$BASHPID
}

pg_start() {
  if [ -n "${CRA_TEST_PG_DIR:-}" ] && [ -d "$CRA_TEST_PG_DIR/data" ]; then
    echo "postgres.sh: a server already runs ($CRA_TEST_POSTGRES_URL)"
    return 0
  fi
  ensure_postgres
  local bin dir port attempt as_owner
  bin=$(_pg_bin_dir) || { echo "error: no initdb in /usr/lib/postgresql/*/bin" >&2; return 1; }
  _pg_reap_stale "$bin"

  dir=$(mktemp -d /tmp/cra-pg.XXXXXX)
  _pg_proc_identity "$BASHPID" >"$dir/owner"
  CRA_TEST_PG_DIR=$dir
  _pg_install_trap
  chmod 0755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
  fi
  as_owner=$(_pg_as_owner "$dir")

  if ! $as_owner "$bin/initdb" -D "$dir/data" -U cra --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    echo "error: initdb failed" >&2
    return 1
  fi

  for attempt in 1 2 3 4 5; do
    port=$(_pg_free_port) || { echo "error: no free TCP port" >&2; return 1; }
    # Settings go to the configuration file so a restart keeps them.
    cat >"$dir/cra.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = $CRA_PG_MAX_CONNECTIONS
EOF
    $as_owner cp "$dir/cra.conf" "$dir/data/cra.conf"
    grep -q "^include_if_exists = 'cra.conf'" "$dir/data/postgresql.conf" ||
      echo "include_if_exists = 'cra.conf'" | $as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    if $as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
      break
    fi
    if [ "$attempt" -eq 5 ]; then
      tail -n 20 "$dir/server.log" >&2 || true
      echo "error: the PostgreSQL server did not start" >&2
      return 1
    fi
    echo "postgres.sh: port $port was taken, trying another"
  done

  "$bin/createdb" -h 127.0.0.1 -p "$port" -U cra cra
  export CRA_TEST_PG_DIR
  export CRA_TEST_PG_BIN=$bin
  export CRA_TEST_PG_CTL="$as_owner $bin/pg_ctl -D $dir/data -l $dir/server.log"
  export CRA_TEST_POSTGRES_URL="postgres://cra@127.0.0.1:$port/cra"
  echo "postgres.sh: PostgreSQL $("$bin/postgres" -V | awk '{print $3}') at $CRA_TEST_POSTGRES_URL ($dir)"
}

pg_stop() {
  local dir=${CRA_TEST_PG_DIR:-}
  [ -n "$dir" ] || return 0
  local bin=${CRA_TEST_PG_BIN:-}
  [ -n "$bin" ] || bin=$(_pg_bin_dir 2>/dev/null || true)
  _pg_teardown "$dir" "$bin"
  unset CRA_TEST_PG_DIR CRA_TEST_PG_BIN CRA_TEST_PG_CTL CRA_TEST_POSTGRES_URL
  return 0
}
