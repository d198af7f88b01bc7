"""The operator's first day with `make dev` (issue 18), against the real scripts/dev.sh:

- the README's commands, run verbatim in a second shell that only did `source .dagster_home/dev.env`, act on
  the running stack (the same ProcessConfig file the admin API serves, the same instance, the tokens);
- stop and start again: the sandbox resumes (same sheet ids, rows intact) and every process syncs green;
- `make reset` starts over (never while make dev runs) and keeps the admin token;
- a port in use is named before anything starts.

The second shell starts from a bare environment (no venv on PATH, no smartbind variable) in a folder whose
`.dagster_home` is the stack's home, so the README's relative `source .dagster_home/dev.env` line is run as is.
`curl` there fails on an HTTP error (a wrapper adds -f), so a 401 cannot pass as output.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from smartbind_pipelines_tests.browser.dev_stack import (
    DEV_SCRIPT,
    REPO_ROOT,
    DevStack,
    free_port,
    stack_env,
    start_dev_stack,
)

pytestmark = pytest.mark.slow

README = REPO_ROOT / "README.md"
SOURCE_LINE = "source .dagster_home/dev.env"
PROCESSES = ("sync_invoices", "sync_inventory", "sync_clients", "sync_products")
RUN_SECONDS = 420
RUNS_QUERY = """
query Runs($filter: RunsFilter!) {
  runsOrError(filter: $filter) { ... on Runs { results { runId status startTime } } }
}"""


def bash_blocks(path: Path = README) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.S)


def readme_block(containing: str) -> str:
    [block] = [block for block in bash_blocks() if containing in block]
    return block


def second_terminal(stack: DevStack, script: str, workdir: Path) -> subprocess.CompletedProcess:
    """``script`` in a new bash with a bare environment, in a folder whose .dagster_home is the stack's."""
    link = workdir / ".dagster_home"
    if not link.exists():
        link.symlink_to(stack.home)
    prelude = 'set -eo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n'
    return subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env={"HOME": str(workdir), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )


def admin_config(stack: DevStack, job_id: str) -> dict:
    env = stack.sandbox_env
    response = requests.get(
        f"{env['SMARTBIND_ADMIN_URL']}/api/admin/process-configs/{job_id}",
        headers={"Authorization": f"Bearer {env['SMARTBIND_ADMIN_TOKEN']}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()["config"]


def sheet_rows(stack: DevStack, sheet_id: str) -> list[dict]:
    base = stack.sandbox_env["SMARTSHEET_API_BASE"].removesuffix("/2.0")
    response = requests.get(f"{base}/_sandbox/sheets/{sheet_id}/rows", timeout=30)
    response.raise_for_status()
    return response.json()


def runs(stack: DevStack, job: str) -> list[dict]:
    return stack.graphql(RUNS_QUERY, filter={"pipelineName": job})["runsOrError"]["results"]


def wait_for_success_since(stack: DevStack, job: str, since: float) -> None:
    def done():
        mine = [run for run in runs(stack, job) if (run["startTime"] or 0) >= since]
        failed = [run for run in mine if run["status"] == "FAILURE"]
        assert not failed, f"{job} failed: {failed}\n{stack.log_tail()}"
        return any(run["status"] == "SUCCESS" for run in mine)

    stack.wait_until(done, f"a successful {job} run", timeout=RUN_SECONDS, every=3)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("dev_home")
    # Fixed free ports for the emulators too: a restart keeps them, as `make dev` does.
    ports = {
        "DAGSTER_PORT": str(free_port()),
        "ADMIN_API_PORT": str(free_port()),
        "SANDBOX_BIND_PORT": str(free_port()),
        "SANDBOX_SMARTSHEET_PORT": str(free_port()),
    }
    running = start_dev_stack(home, ports)
    holder = {"stack": running}
    try:
        yield holder
    finally:
        survivors = holder["stack"].stop()
        assert not survivors, f"processes of make dev survived SIGTERM and SIGKILL: {survivors}"


def test_readme_commands_in_a_second_terminal_act_on_the_running_stack(stack, tmp_path):
    running: DevStack = stack["stack"]
    first_screen = readme_block(SOURCE_LINE)
    assert first_screen.startswith(SOURCE_LINE + "\n")  # the one line that loads it comes first

    # Before: the running stack's own ProcessConfig says something else.
    assert admin_config(running, "sync_invoices")["interval_minutes"] != 5

    shell = second_terminal(running, first_screen, tmp_path)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert re.search(r"All \d+ checks passed", shell.stdout), shell.stdout  # smartbind doctor
    assert admin_config(running, "sync_invoices")["interval_minutes"] == 5  # the CLI wrote the stack's file
    listed = json.loads(shell.stdout.strip().splitlines()[-1])  # curl with the token: 200 and the list
    assert {"sync_invoices", "sync_inventory"} <= {config["job_id"] for config in listed["configs"]}

    # The ProcessConfig section: its REST block, then its CLI block, verbatim after the one line.
    rest = readme_block("/api/admin/process-configs/sync_invoices/history")
    shell = second_terminal(running, f"{SOURCE_LINE}\n{rest}", tmp_path)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert admin_config(running, "sync_invoices")["smartsheet_sheet_name"] == "Mi Nueva Hoja"
    cli = readme_block('--sheet-id 1234567890 --sheet-name "Mi Nueva Hoja"')
    shell = second_terminal(running, f"{SOURCE_LINE}\n{cli}", tmp_path)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert admin_config(running, "sync_inventory")["is_active"] is False
    assert admin_config(running, "sync_invoices")["smartsheet_sheet_id"] == "1234567890"

    # Put the processes back on their sandbox sheets for what follows.
    env = running.sandbox_env
    restore = (
        f"{SOURCE_LINE}\n"
        f'smartbind config set sync_invoices --sheet-id "$SMARTSHEET_INVOICES_SHEET_ID" --interval-minutes 1\n'
        f"smartbind config set sync_inventory --active --interval-minutes 1\n"
    )
    shell = second_terminal(running, restore, tmp_path)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert admin_config(running, "sync_invoices")["smartsheet_sheet_id"] == env["SMARTSHEET_INVOICES_SHEET_ID"]

    # make reset refuses while make dev runs, and leaves everything in place.
    reset = subprocess.run(
        ["bash", str(DEV_SCRIPT), "reset"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=stack_env(running.home, running.ports),
        timeout=60,
    )
    assert reset.returncode == 1 and "make dev is running" in reset.stderr, reset.stderr
    assert (running.home / "sandbox-state.pickle").exists() and (running.home / "processes.db").exists()


def test_a_restarted_make_dev_resumes_its_sheets_and_every_process_syncs_green(stack, tmp_path):
    running: DevStack = stack["stack"]
    shell = second_terminal(
        running,
        SOURCE_LINE
        + "\n"
        + "\n".join(f"smartbind config set {job} --active --interval-minutes 1" for job in PROCESSES),
        tmp_path,
    )
    assert shell.returncode == 0, shell.stdout + shell.stderr
    started = time.time()
    for job in PROCESSES:
        wait_for_success_since(running, job, started - 600)
    sheet_ids = {name: value for name, value in running.sandbox_env.items() if name.endswith("_SHEET_ID")}
    before = {name: sheet_rows(running, sheet_id) for name, sheet_id in sheet_ids.items()}
    assert len(before["SMARTSHEET_INVOICES_SHEET_ID"]) > 0 and len(before["SMARTSHEET_INVENTORY_SHEET_ID"]) > 0

    assert not running.stop()
    restarted = start_dev_stack(running.home, running.ports)
    stack["stack"] = restarted
    assert b"resumed from" in (running.home / "dev.sh.log").read_bytes()

    # Same sheets under the same ids; every row still there (the business events may have added some).
    resumed_ids = {name: value for name, value in restarted.sandbox_env.items() if name.endswith("_SHEET_ID")}
    assert resumed_ids == sheet_ids
    for name, sheet_id in sheet_ids.items():
        rows_now = {row["id"]: row for row in sheet_rows(restarted, sheet_id)}
        assert all(row["id"] in rows_now for row in before[name]), name
    shell = second_terminal(restarted, f"{SOURCE_LINE}\nsmartbind doctor", tmp_path)
    assert shell.returncode == 0 and re.search(r"All \d+ checks passed", shell.stdout), shell.stdout + shell.stderr

    # Every process syncs green after the restart, and the invoices sheet holds each UUID once.
    since = time.time()
    for job in PROCESSES:
        wait_for_success_since(restarted, job, since)
    uuids = [row["cells"]["UUID"] for row in sheet_rows(restarted, sheet_ids["SMARTSHEET_INVOICES_SHEET_ID"])]
    assert len(uuids) == len(set(uuids)) >= len(before["SMARTSHEET_INVOICES_SHEET_ID"])

    # make reset after a stop: emulator state and sync state go together; the token stays.
    token = (running.home / "admin-token").read_text()
    assert not restarted.stop()
    reset = subprocess.run(
        ["bash", str(DEV_SCRIPT), "reset"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=stack_env(running.home, running.ports),
        timeout=60,
    )
    assert reset.returncode == 0, reset.stderr
    left = sorted(path.name for path in running.home.iterdir())
    assert not {"sandbox-state.pickle", "processes.db", "storage", "history", "dev.env"} & set(left), left
    assert (running.home / "admin-token").read_text() == token


def test_a_port_in_use_is_named_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {
            "DAGSTER_PORT": str(free_port()),
            "ADMIN_API_PORT": str(port),
            "SANDBOX_BIND_PORT": str(free_port()),
            "SANDBOX_SMARTSHEET_PORT": str(free_port()),
        }
        result = subprocess.run(
            ["bash", str(DEV_SCRIPT)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            env=stack_env(tmp_path, ports),
            timeout=120,
        )
    assert result.returncode != 0
    assert f"port {port} (admin API)" in result.stderr, result.stderr
    assert "ADMIN_API_PORT" in result.stderr
    assert not (tmp_path / "dev-logs").exists()  # nothing was started
