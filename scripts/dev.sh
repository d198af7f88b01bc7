#!/usr/bin/env bash
# `make dev`: the sandbox emulators, the admin API, and the Dagster webserver and daemon on loopback.
# SQLite instance under .dagster_home (override DAGSTER_HOME); Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
DAGSTER_PORT="${DAGSTER_PORT:-3000}"
ADMIN_API_PORT="${ADMIN_API_PORT:-8080}"
BIND_PORT="${SANDBOX_BIND_PORT:-8701}"
SMARTSHEET_PORT="${SANDBOX_SMARTSHEET_PORT:-8702}"
mkdir -p "$DAGSTER_HOME"
cp dev/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
export SMARTBIND_DB_PATH="${SMARTBIND_DB_PATH:-$DAGSTER_HOME/processes.db}"
export SMARTBIND_DAGSTER_URL="http://127.0.0.1:$DAGSTER_PORT"
# Not $DAGSTER_HOME/logs: Dagster claims that folder and moves it aside.
logs="$DAGSTER_HOME/dev-logs"
mkdir -p "$logs"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

env_file="$DAGSTER_HOME/sandbox.env"
rm -f "$env_file"
smartbind sandbox --bind-port "$BIND_PORT" --smartsheet-port "$SMARTSHEET_PORT" \
  --activity-seconds "${SANDBOX_ACTIVITY_SECONDS:-45}" --env-file "$env_file" >"$logs/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$env_file" ] && break; sleep 0.2; done
[ -s "$env_file" ] || { echo "the sandbox did not start; see $logs/sandbox.log" >&2; exit 1; }
set -a
# shellcheck disable=SC1090
source "$env_file"
set +a

token_file="$DAGSTER_HOME/admin-token"
[ -s "$token_file" ] || (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(24))' >"$token_file")
SMARTBIND_ADMIN_TOKEN="$(cat "$token_file")" smartbind admin-api --host 127.0.0.1 --port "$ADMIN_API_PORT" \
  >"$logs/admin-api.log" 2>&1 &
pids+=($!)

# Create the instance's SQLite storage once: the daemon and the webserver started together on an empty
# DAGSTER_HOME would both create runs.db and can stamp two alembic heads ("more than one head present").
python -c 'import dagster; dagster.DagsterInstance.get().dispose()'

dagster-daemon run -w workspace.yaml >"$logs/daemon.log" 2>&1 &
pids+=($!)
dagster-webserver -w workspace.yaml -h 127.0.0.1 -p "$DAGSTER_PORT" >"$logs/webserver.log" 2>&1 &
pids+=($!)

up() { python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; }
for _ in $(seq 1 300); do up "http://127.0.0.1:$DAGSTER_PORT/server_info" && break; sleep 0.5; done
up "http://127.0.0.1:$DAGSTER_PORT/server_info" \
  || { echo "the Dagster webserver did not start; see $logs/webserver.log" >&2; exit 1; }

cat <<MSG

  smartbind is running.
    Dagster UI:          http://127.0.0.1:$DAGSTER_PORT
    Bind ERP emulator:   $BIND_API_BASE_URL
    Smartsheet emulator: $SMARTSHEET_API_BASE  (invoices sheet $SMARTSHEET_INVOICES_SHEET_ID)
    Admin API:           http://127.0.0.1:$ADMIN_API_PORT/api/admin/process-configs  (token in $token_file)
    Environment:         source $env_file
    Logs:                $logs/
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
echo "a process stopped; see $logs/" >&2
