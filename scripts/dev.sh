#!/usr/bin/env bash
# `make dev`: the sandbox emulators, the admin API, and the Dagster webserver and daemon on loopback.
# SQLite instance under .dagster_home (override DAGSTER_HOME); Ctrl-C stops everything.
# The emulators' state (Bind data, sheets, ids, rows) is kept in $DAGSTER_HOME/sandbox-state.pickle, so a
# restart resumes where the last run stopped. Everything a second terminal needs is in $DAGSTER_HOME/dev.env.
#
# `scripts/dev.sh reset` (`make reset`) starts over: it clears the emulator state and the sync state together
# (the Dagster instance, ProcessConfig) and keeps the admin token, declared processes and the virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."

export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
DAGSTER_PORT="${DAGSTER_PORT:-3000}"
ADMIN_API_PORT="${ADMIN_API_PORT:-8080}"
BIND_PORT="${SANDBOX_BIND_PORT:-8701}"
SMARTSHEET_PORT="${SANDBOX_SMARTSHEET_PORT:-8702}"
export SMARTBIND_DB_PATH="${SMARTBIND_DB_PATH:-$DAGSTER_HOME/processes.db}"
export SMARTBIND_PROCESSES_DIR="${SMARTBIND_PROCESSES_DIR:-$DAGSTER_HOME/processes}"
marker="$DAGSTER_HOME/.smartbind-dev"  # this folder is make dev's: reset may empty it
pid_file="$DAGSTER_HOME/dev.pid"
state_file="$DAGSTER_HOME/sandbox-state.pickle"
env_file="$DAGSTER_HOME/dev.env"

running() { [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

if [ "${1:-}" = reset ]; then
  if running; then
    echo "make dev is running (pid $(cat "$pid_file")): stop it (Ctrl-C) before make reset" >&2
    exit 1
  fi
  if [ -d "$DAGSTER_HOME" ] && [ ! -e "$marker" ] && [ -n "$(ls -A "$DAGSTER_HOME")" ]; then
    echo "$DAGSTER_HOME was not made by make dev (no $marker): not emptying it" >&2
    exit 1
  fi
  if [ -d "$DAGSTER_HOME" ]; then
    find "$DAGSTER_HOME" -mindepth 1 -maxdepth 1 ! -name admin-token ! -name processes ! -name .smartbind-dev \
      -exec rm -rf {} +
  fi
  rm -f "$SMARTBIND_DB_PATH" "$SMARTBIND_DB_PATH-wal" "$SMARTBIND_DB_PATH-shm" \
    "$(dirname "$SMARTBIND_DB_PATH")/sheet_writes.db"
  echo "Reset: sandbox state, Dagster instance (runs, watermarks) and ProcessConfig cleared in $DAGSTER_HOME."
  echo "Kept: the admin token, declared processes ($SMARTBIND_PROCESSES_DIR) and .venv. Next: make dev"
  exit 0
fi

# A port in use is named at once, before anything starts.
python - "Dagster UI=$DAGSTER_PORT" "admin API=$ADMIN_API_PORT" "Bind ERP emulator=$BIND_PORT" \
  "Smartsheet emulator=$SMARTSHEET_PORT" <<'PY' || exit 1
import socket, sys
busy = []
for spec in sys.argv[1:]:
    name, port = spec.rsplit("=", 1)
    if not port.isdigit():
        sys.exit(f"make dev: the {name} port must be a number, not {port!r}")
    if int(port) == 0:
        continue
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", int(port)))
        except OSError as exc:
            busy.append(f"port {port} ({name}): {exc.strerror}")
if busy:
    sys.exit("make dev cannot start, " + "; ".join(busy) + ". Stop what uses it, or choose another port: "
             "DAGSTER_PORT, ADMIN_API_PORT, SANDBOX_BIND_PORT, SANDBOX_SMARTSHEET_PORT (see README).")
PY

if running; then
  echo "make dev is already running with DAGSTER_HOME=$DAGSTER_HOME (pid $(cat "$pid_file"))" >&2
  exit 1
fi
mkdir -p "$DAGSTER_HOME" "$SMARTBIND_PROCESSES_DIR"
touch "$marker"
echo $$ >"$pid_file"
cp dev/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
export SMARTBIND_DAGSTER_URL="http://127.0.0.1:$DAGSTER_PORT"
export SMARTBIND_ADMIN_URL="http://127.0.0.1:$ADMIN_API_PORT"
# Not $DAGSTER_HOME/logs: Dagster claims that folder and moves it aside.
logs="$DAGSTER_HOME/dev-logs"
mkdir -p "$logs"
# Sync state without emulator state (a .dagster_home from before the state file existed): the sheets
# would start empty while the watermarks say they are full.
stale_sync_state=""
if [ ! -e "$state_file" ] && { [ -e "$SMARTBIND_DB_PATH" ] || [ -e "$DAGSTER_HOME/storage" ]; }; then
  stale_sync_state=1
fi

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$pid_file"
}
trap cleanup EXIT INT TERM

sandbox_exports="$DAGSTER_HOME/.sandbox-exports"
rm -f "$sandbox_exports" "$DAGSTER_HOME/sandbox.env"
smartbind sandbox --bind-port "$BIND_PORT" --smartsheet-port "$SMARTSHEET_PORT" \
  --activity-seconds "${SANDBOX_ACTIVITY_SECONDS:-45}" --env-file "$sandbox_exports" \
  --state-file "$state_file" >"$logs/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do [ -s "$sandbox_exports" ] && break; kill -0 "${pids[0]}" 2>/dev/null || break; sleep 0.2; done
if [ ! -s "$sandbox_exports" ]; then
  echo "the sandbox did not start; $logs/sandbox.log says:" >&2
  tail -n 5 "$logs/sandbox.log" >&2
  exit 1
fi
set -a
# shellcheck disable=SC1090
source "$sandbox_exports"
set +a

token_file="$DAGSTER_HOME/admin-token"
[ -s "$token_file" ] || (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(24))' >"$token_file")
export SMARTBIND_ADMIN_TOKEN="$(cat "$token_file")"

# The one file a second terminal sources: the venv first on PATH, this instance, ProcessConfig, the admin
# API and its token, and the emulators with their tokens and sheet ids.
venv_bin="$(dirname "$(command -v smartbind)")"
(
  umask 077
  {
    echo "# make dev's environment for a second terminal: source $env_file"
    echo "export PATH=$(printf '%q' "$venv_bin"):\"\$PATH\""
    for name in DAGSTER_HOME SMARTBIND_DB_PATH SMARTBIND_PROCESSES_DIR SMARTBIND_ADMIN_TOKEN SMARTBIND_ADMIN_URL \
      SMARTBIND_DAGSTER_URL; do
      echo "export $name=$(printf '%q' "${!name}")"
    done
    cat "$sandbox_exports"
  } >"$env_file.tmp"
)
mv "$env_file.tmp" "$env_file"

smartbind admin-api --host 127.0.0.1 --port "$ADMIN_API_PORT" >"$logs/admin-api.log" 2>&1 &
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

sandbox_state="$(grep -m1 '^# State:' "$logs/sandbox.log" | sed 's/^# State: //' || true)"
bind_root="${BIND_API_BASE_URL%/api}"
smartsheet_root="${SMARTSHEET_API_BASE%/2.0}"
cat <<MSG

  smartbind is running.
    Dagster UI:          http://127.0.0.1:$DAGSTER_PORT
    Sandbox sheets:      $smartsheet_root/_sandbox/view/sheets  (invoices sheet $SMARTSHEET_INVOICES_SHEET_ID)
    Sandbox Bind:        $bind_root/_sandbox/view/invoices  (invoices and the business events played)
    Admin API:           $SMARTBIND_ADMIN_URL/api/admin/process-configs  (token in $token_file)
    Sandbox state:       ${sandbox_state:-$state_file}  (make reset starts over)
    Logs:                $logs/
  In a second terminal (the smartbind CLI, curl with the token), first run:
    source $env_file
  Ctrl-C stops everything; the next make dev resumes where this one stopped.

MSG
if [ -n "$stale_sync_state" ]; then
  cat >&2 <<MSG
  WARNING: $DAGSTER_HOME holds sync state (ProcessConfig, runs, watermarks) from a run without a sandbox state
  file, so the sandbox sheets start empty while the watermarks say they were written. Stop (Ctrl-C) and run
  make reset to start both over.

MSG
fi
wait -n "${pids[@]}"
echo "a process stopped; see $logs/" >&2
