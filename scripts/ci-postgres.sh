# shellcheck shell=bash
# A throwaway PostgreSQL server on loopback for the production-instance tests (dagster.yaml on Postgres).
#
# Sourced by .ci/run, and by the deploy tests' `postgres_server` fixture when SMARTBIND_TEST_PG_* is unset:
#
#   source scripts/ci-postgres.sh
#   start_ci_postgres     # exports SMARTBIND_TEST_PG_HOST/PORT/USER/PASSWORD/DB
#   stop_ci_postgres      # stops the server and deletes its files
#
# It uses Debian's server binaries (/usr/lib/postgresql/<version>/bin), runs them as the `postgres` user
# when called as root (initdb refuses root), listens on 127.0.0.1 on a free port, and keeps everything
# under SMARTBIND_CI_PG_DIR (default /tmp/smartbind-ci-postgres). Calling it again while the server runs
# re-exports the same variables. It never fails the caller: on any problem it prints a warning and
# returns 0, and the tests then start a server of their own.
#
# Test settings only: fsync is off and the data directory is disposable.

_smartbind_pg_bin() {
  local candidate
  # Newest installed major version wins; CI installs Debian's PostgreSQL 15.
  candidate=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$candidate" ] && [ -x "$candidate/postgres" ] && echo "$candidate"
}

_smartbind_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_smartbind_pg_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    return
  fi
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  return 1
}

# Initialise and start a server under $1; writes $1/env.sh. Returns non-zero on any failure.
_smartbind_pg_up() {
  local dir=$1 bin password port attempt
  bin=$(_smartbind_pg_bin) || { echo "no PostgreSQL server binaries under /usr/lib/postgresql" >&2; return 1; }

  if [ -f "$dir/env.sh" ] && [ -d "$dir/data" ] \
      && _smartbind_pg_as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    return 0  # already running: the caller re-sources env.sh
  fi
  if [ -d "$dir/data" ]; then
    # A stopped or half-initialised cluster from an earlier attempt: it is disposable, start clean.
    _smartbind_pg_as_owner "$bin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true
    rm -rf "$dir"
  fi

  mkdir -p "$dir" || return 1
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "running as root but there is no postgres user" >&2; return 1; }
    chown postgres: "$dir" || return 1
  fi
  chmod 700 "$dir" || return 1

  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n') || return 1
  (umask 077 && printf '%s\n' "$password" >"$dir/pwfile") || return 1
  [ "$(id -u)" -eq 0 ] && { chown postgres: "$dir/pwfile" || return 1; }

  _smartbind_pg_as_owner "$bin/initdb" -D "$dir/data" -U smartbind --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  rm -f "$dir/pwfile"

  # A free port can be taken between choosing and binding it; try a few.
  for attempt in 1 2 3; do
    port=$(_smartbind_pg_free_port) || return 1
    if _smartbind_pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=off -c max_connections=300" \
        start >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  [ -n "$port" ] || { tail -n 20 "$dir/server.log" >&2 2>/dev/null; return 1; }

  PGPASSWORD=$password "$bin/createdb" -h 127.0.0.1 -p "$port" -U smartbind smartbind_test || return 1

  cat >"$dir/env.sh" <<EOF || return 1
export SMARTBIND_TEST_PG_HOST=127.0.0.1
export SMARTBIND_TEST_PG_PORT=$port
export SMARTBIND_TEST_PG_USER=smartbind
export SMARTBIND_TEST_PG_PASSWORD=$password
export SMARTBIND_TEST_PG_DB=smartbind_test
EOF
  chmod 600 "$dir/env.sh"
}

start_ci_postgres() {
  local dir=${SMARTBIND_CI_PG_DIR:-/tmp/smartbind-ci-postgres}
  if [ -n "${SMARTBIND_TEST_PG_HOST:-}" ] && [ ! -f "$dir/env.sh" ]; then
    echo "ci-postgres: using the server already configured at $SMARTBIND_TEST_PG_HOST:${SMARTBIND_TEST_PG_PORT:-5432}"
    return 0
  fi
  if _smartbind_pg_up "$dir"; then
    # shellcheck disable=SC1091
    . "$dir/env.sh"
    echo "ci-postgres: PostgreSQL on 127.0.0.1:$SMARTBIND_TEST_PG_PORT, database $SMARTBIND_TEST_PG_DB"
  else
    echo "ci-postgres: warning: could not start PostgreSQL; the tests will start their own" >&2
  fi
  return 0
}

stop_ci_postgres() {
  local dir=${SMARTBIND_CI_PG_DIR:-/tmp/smartbind-ci-postgres} bin
  bin=$(_smartbind_pg_bin) || return 0
  if [ -d "$dir/data" ]; then
    _smartbind_pg_as_owner "$bin/pg_ctl" -D "$dir/data" stop -m fast -t 20 >/dev/null 2>&1 \
      || _smartbind_pg_as_owner "$bin/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  return 0
}
