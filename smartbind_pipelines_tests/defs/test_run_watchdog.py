"""The run-worker watchdog (defs/run_watchdog.py) against a real run worker.

A real `dagster api grpc` code server (the production command) on a free port, a temporary instance with
the DefaultRunLauncher, and `dagster job launch` submitting sync_invoices into it: the code server spawns
the run's worker process, as in docker-compose's user_code. The Bind emulator answers slowly, so the run is
mid-step. Then the code server and its worker are killed with SIGKILL (what a killed container does) and
the watchdog must fail the run; while the worker lives it must leave the run alone.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from smartbind_pipelines import definitions
from smartbind_pipelines.defs import run_watchdog
from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.defs.run_watchdog import Worker, check_started_runs, run_worker, worker_alive
from smartbind_pipelines_tests.defs.invoices.harness import invoice_columns
from smartbind_pipelines_tests.defs.support import create_process_sheet

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WAIT_SECONDS = 180

# Launched at once (no daemon in the test), into the code server by the production launcher.
INSTANCE_YAML = """\
run_coordinator:
  module: dagster.core.run_coordinator
  class: DefaultRunCoordinator
run_launcher:
  module: dagster.core.launcher
  class: DefaultRunLauncher
telemetry:
  enabled: false
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _until(what: str, probe, log: Path | None = None):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}" + (f":\n{log.read_text()[-3000:]}" if log else ""))


@pytest.fixture
def code_server(tmp_path, bind_emulator, smartsheet_emulator):
    """A real code server running sync_invoices' workers against the emulators, and the instance."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML)
    db_path = tmp_path / "processes.db"
    create_process_sheet(
        smartsheet_emulator,
        ProcessConfigResource(db_path=str(db_path)),
        "sync_invoices",
        "Registros Facturas Bind",
        invoice_columns(),
    )
    port = _free_port()
    (tmp_path / "workspace.yaml").write_text(
        f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n      location_name: smartbind\n"
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("BIND_", "SMARTSHEET_", "SMARTBIND_", "DAGSTER_"))
    }
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        DAGSTER_HOME=str(home),
        SMARTBIND_DB_PATH=str(db_path),
        BIND_API_BASE_URL=bind_emulator.url,
        SMARTSHEET_API_BASE=smartsheet_emulator.url,
    )
    env.update({"BIND_API_KEY": bind_emulator.token, "SMARTSHEET_ACCESS_TOKEN": smartsheet_emulator.token})
    subprocess.run(
        [str(BIN / "python"), "-c", "import dagster; dagster.DagsterInstance.get().dispose()"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
    )
    log = tmp_path / "code-server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                str(BIN / "dagster"),
                "api",
                "grpc",
                "-m",
                "smartbind_pipelines.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _until(
            "the code server",
            lambda: (
                server.poll() is not None
                or subprocess.run(
                    [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port)], env=env, capture_output=True
                ).returncode
                == 0
            ),
            log,
        )
        assert server.poll() is None, log.read_text()[-3000:]
        with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
            yield server, instance, env, tmp_path / "workspace.yaml", log
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)  # the server and any worker it spawned (same group)
        except ProcessLookupError:
            pass
        server.wait(timeout=30)


def _launch_slow_run(bind_emulator, code_server) -> tuple[dg.DagsterRun, Worker]:
    server, instance, env, workspace, log = code_server
    bind_emulator.admin.set_latency(600_000)  # every Bind request hangs: the run stays in its first step
    run_id = subprocess.run(
        [str(BIN / "python"), "-c", "import uuid; print(uuid.uuid4())"], capture_output=True, text=True
    ).stdout.strip()
    launched = subprocess.run(
        [str(BIN / "dagster"), "job", "launch", "-w", str(workspace), "-j", "sync_invoices", "--run-id", run_id],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
    )
    assert launched.returncode == 0, launched.stdout[-2000:] + launched.stderr[-2000:]
    try:
        worker = _until("the run worker's pid event", lambda: run_worker(instance, run_id), log)
    except AssertionError as exc:
        run = instance.get_run_by_id(run_id)
        events = [
            entry.user_message or (entry.dagster_event and entry.dagster_event.message)
            for entry in instance.all_logs(run_id)
        ]
        raise AssertionError(f"{exc}\nrun {run_id}: {run and run.status}; events: {events}") from None
    _until("the run to be STARTED", lambda: instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED, log)
    _until(
        "the run's first step to start", lambda: instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START), log
    )
    return instance.get_run_by_id(run_id), worker


def test_a_run_whose_code_server_is_killed_is_failed_and_a_live_one_is_left_alone(bind_emulator, code_server):
    server, instance, *_ = code_server
    run, worker = _launch_slow_run(bind_emulator, code_server)
    assert worker.pid != server.pid
    assert os.getpgid(worker.pid) == server.pid  # the worker is the code server's child, as in user_code
    # A multiprocessing "spawn" child: its command line does not carry the run id (the arguments travel
    # through a pipe), which is why liveness is the pid plus its start time.
    cmdline = Path(f"/proc/{worker.pid}/cmdline").read_bytes()
    assert b"spawn_main" in cmdline and run.run_id.encode() not in cmdline

    # Alive, mid-step: never failed, even with no grace period at all.
    report = check_started_runs(instance, grace_seconds=0)
    assert report.alive == {run.run_id: worker.pid} and not report.failed
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED

    os.killpg(server.pid, signal.SIGKILL)  # the container dies: code server and run worker at once
    server.wait(timeout=30)
    _until("the worker to be gone", lambda: not worker_alive(worker)[0])

    # Dead but younger than the grace period: left for the next tick.
    young = check_started_runs(instance, grace_seconds=3600)
    assert run.run_id in young.skipped and not young.failed
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED

    # A run of another code location is not this watchdog's business.
    other = check_started_runs(instance, grace_seconds=0, location_name="another_location")
    assert "another_location" not in other.skipped[run.run_id] and "smartbind" in other.skipped[run.run_id]
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED

    report = check_started_runs(instance, grace_seconds=0, location_name="smartbind")
    assert list(report.failed) == [run.run_id]
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    [failure] = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert f"pid {worker.pid}" in failure.dagster_event.message
    assert "run_worker_watchdog" in failure.dagster_event.message

    # Next tick: nothing left to do, and the failed run is not failed twice.
    again = check_started_runs(instance, grace_seconds=0)
    assert not again.failed
    assert len(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)) == 1


def test_the_registered_sensor_fails_a_dead_workers_run_after_the_grace_period(bind_emulator, code_server, monkeypatch):
    server, instance, *_ = code_server
    sensor = definitions.defs().get_sensor_def(run_watchdog.SENSOR_NAME)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    run, worker = _launch_slow_run(bind_emulator, code_server)

    alive = sensor(dg.build_sensor_context(instance=instance))
    assert "1 STARTED run(s) with a live worker" in alive.skip_message
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED

    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    _until("the worker to be gone", lambda: not worker_alive(worker)[0])
    monkeypatch.setattr(run_watchdog, "GRACE_SECONDS", 0)
    dead = sensor(dg.build_sensor_context(instance=instance))
    assert run.run_id in dead.skip_message and f"pid {worker.pid}" in dead.skip_message
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE


def test_liveness_reads_proc_start_times_so_a_reused_pid_is_not_the_worker():
    me = Worker(os.getpid(), time.time())
    assert worker_alive(me) == (True, f"pid {me.pid} is running")
    # The same pid, but the "worker" reported itself years before this process started: pid reused.
    reused = Worker(os.getpid(), time.time() - 10 * 86400 * 365)
    alive, why = worker_alive(reused)
    assert not alive and "now belongs to another process" in why
    # A process that exited and was reaped.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    alive, why = worker_alive(Worker(child.pid, time.time()))
    assert not alive and f"no process with pid {child.pid}" in why
    # An exited child not yet reaped is a zombie: dead too.
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    _until(
        "the child to exit", lambda: Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    )
    alive, why = worker_alive(Worker(zombie.pid, time.time()))
    zombie.wait()
    assert not alive and "zombie" in why


def test_the_watchdog_stays_idle_without_the_default_run_launcher():
    with dg.instance_for_test() as instance:
        assert run_watchdog.why_not_here(instance) is None  # the test instance uses the DefaultRunLauncher
    with dg.instance_for_test(
        overrides={"run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"}}
    ) as instance:
        reason = run_watchdog.why_not_here(instance)
        assert reason and "MockedRunLauncher" in reason
        skipped = run_watchdog.run_worker_watchdog(dg.build_sensor_context(instance=instance))
        assert "Watchdog idle" in skipped.skip_message
