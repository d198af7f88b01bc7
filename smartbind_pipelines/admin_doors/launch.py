"""How "run now" launches a run: the Dagster webserver's GraphQL ``launchRun``, else `dagster job launch`.

Where runs go: the webserver's GraphQL endpoint, SMARTBIND_DAGSTER_GRAPHQL_URL (default: SMARTBIND_DAGSTER_URL
+ /graphql). The webserver's code location validates the run's config with its own environment, so the admin
API needs no Bind or Smartsheet secret. With neither variable set it falls back to `dagster job launch` over
SMARTBIND_DAGSTER_WORKSPACE (else ./workspace.yaml, else $DAGSTER_HOME/workspace.yaml), which loads the code
here and so needs those secrets in this environment. Either way the run starts QUEUED in the instance's run
queue: the daemon dequeues it when the queue's "process" limit and the sheet's pool allow (one writer per
sheet).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Mapping

from smartbind_pipelines.admin_doors.instance import LOCATION, Dagster, DagsterUnavailable, dagster_ui_url

GRAPHQL_URL_ENV = "SMARTBIND_DAGSTER_GRAPHQL_URL"
WORKSPACE_ENV = "SMARTBIND_DAGSTER_WORKSPACE"
LAUNCH_TIMEOUT_SECONDS = 180

LAUNCH_RUN = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}
"""


class LaunchFailed(RuntimeError):
    """Dagster refused the run (the webserver's answer or `dagster job launch`'s last lines): a 502."""


def graphql_url(env: Mapping[str, str]) -> str | None:
    """The webserver's GraphQL endpoint from ``env``; None: launch with `dagster job launch` instead."""
    explicit = (env.get(GRAPHQL_URL_ENV) or "").strip()
    if explicit:
        return explicit
    ui = dagster_ui_url(env)
    return f"{ui}/graphql" if ui else None


def workspace_file(env: Mapping[str, str]) -> str:
    """The workspace file `dagster job launch` loads the code location from."""
    candidates = [
        env.get(WORKSPACE_ENV) or "",
        "workspace.yaml",
        str(Path(env.get("DAGSTER_HOME") or ".") / "workspace.yaml"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise DagsterUnavailable(
        f"no Dagster workspace file to launch runs with: set {WORKSPACE_ENV}, or start the admin API in the "
        "project folder (workspace.yaml)"
    )


def launch_run(dagster: Dagster, job_id: str, tags: dict[str, str]) -> str:
    """Launch a run of ``job_id`` with ``tags`` (it enters the instance's run queue); its run id."""
    dagster.instance()  # DAGSTER_HOME first: the clearer error
    url = graphql_url(dagster.env)
    if url:
        return _launch_through_webserver(url, job_id, tags)
    return _launch_with_command(dagster.env, job_id, tags)


def _launch_with_command(env: Mapping[str, str], job_id: str, tags: dict[str, str]) -> str:
    """`dagster job launch`, as `smartbind sync` does; the run id is chosen here."""
    beside = Path(sys.executable).with_name("dagster")
    executable = str(beside) if beside.exists() else shutil.which("dagster")
    if not executable:
        raise DagsterUnavailable("the `dagster` command is not installed beside the admin API")
    run_id = str(uuid.uuid4())
    command = [
        executable,
        "job",
        "launch",
        "-w",
        workspace_file(env),
        "-j",
        job_id,
        "--tags",
        json.dumps(tags),
        "--run-id",
        run_id,
    ]
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_SECONDS, env=dict(env)
        )
    except subprocess.TimeoutExpired:
        raise LaunchFailed(f"dagster job launch for {job_id} did not answer in {LAUNCH_TIMEOUT_SECONDS} s") from None
    if completed.returncode != 0:
        lines = (completed.stderr or completed.stdout).strip().splitlines()[-4:]
        raise LaunchFailed(f"dagster job launch refused {job_id}: " + " | ".join(lines)[:800])
    return run_id


def _launch_through_webserver(url: str, job_id: str, tags: dict[str, str]) -> str:
    import requests

    params = {
        "selector": {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "jobName": job_id},
        "executionMetadata": {"tags": [{"key": key, "value": value} for key, value in tags.items()]},
    }
    try:
        response = requests.post(
            url, json={"query": LAUNCH_RUN, "variables": {"executionParams": params}}, timeout=LAUNCH_TIMEOUT_SECONDS
        )
    except requests.RequestException as exc:
        raise DagsterUnavailable(
            f"the Dagster webserver at {url} did not answer ({type(exc).__name__}); "
            f"set {GRAPHQL_URL_ENV} to an address the admin API can reach"
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or "data" not in body:
        raise LaunchFailed(
            f"the Dagster webserver at {url} answered HTTP {response.status_code} for {job_id}: {response.text[:300]}"
        )
    result = (body.get("data") or {}).get("launchRun") or {}
    if result.get("__typename") == "LaunchRunSuccess":
        return result["run"]["runId"]
    messages = [error.get("message", "") for error in result.get("errors") or []] or [result.get("message", "")]
    raise LaunchFailed(
        f"Dagster refused {job_id} ({result.get('__typename') or body.get('errors')}): "
        + "; ".join(m for m in messages if m)[:800]
    )
