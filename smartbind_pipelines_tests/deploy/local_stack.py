"""The compose stack's Dagster services as plain processes on loopback, with the production dagster.yaml.

`start_local_stack` copies dagster.yaml verbatim into a temporary DAGSTER_HOME, writes the gRPC workspace
from workspace.docker.yaml, and starts SERVICES' own commands with exactly the variables each service
declares (stack.py), the values placed for loopback. It yields a `LocalStack` to launch and watch runs;
the test starts the daemon itself (`start_daemon`) once its runs are queued, so that the sensors' first
ticks see them and do not start runs of their own.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests
import yaml
from dagster import DagsterRunStatus
from dagster._grpc.client import DagsterGrpcClient
from dagster_graphql import DagsterGraphQLClient

from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines_tests.deploy.postgres import PostgresServer
from smartbind_pipelines_tests.deploy.processes import ProcessGroup
from smartbind_pipelines_tests.deploy.stack import (
    PRODUCTION_INSTANCE,
    SERVICES,
    Placement,
    job_launch_command,
    service_env,
    workspace_for,
)

LOOPBACK = "127.0.0.1"
TERMINAL = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
# What a container has besides its service's variables; nothing else leaks in from the test's environment.
_OS_ENV = ("HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def process_env(service_name: str, values: dict[str, str]) -> dict[str, str]:
    env = {name: os.environ[name] for name in _OS_ENV if name in os.environ}
    # The venv's console scripts (dagster, dagster-webserver, ...) first, as the image's PATH has them.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env.update(service_env(SERVICES[service_name], values))
    return env


@dataclass
class LocalStack:
    placement: Placement
    values: dict[str, str]
    group: ProcessGroup
    graphql: DagsterGraphQLClient
    webserver_url: str
    admin_api_url: str

    def admin_api(self, path: str) -> dict:
        response = requests.get(
            f"{self.admin_api_url}{path}",
            timeout=10,
            headers={"Authorization": f"Bearer {self.values['SMARTBIND_ADMIN_TOKEN']}"},
        )
        response.raise_for_status()
        return response.json()

    def launch(self, *jobs: tuple[str, dict | None]) -> list[str]:
        """`dagster job launch` for each (job, run config), as an operator does it from the webserver's
        container (`docker compose exec webserver ...`); all at once, since each CLI takes seconds to load."""
        launches = []
        for job, run_config in jobs:
            run_id = str(uuid.uuid4())
            process = subprocess.Popen(
                job_launch_command(self.placement, job, run_id, run_config),
                env=process_env("webserver", self.values),
                cwd=self.placement.dagster_home,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            launches.append((job, run_id, process))
        for job, _, process in launches:
            output, _ = process.communicate(timeout=180)
            assert process.returncode == 0, f"dagster job launch -j {job} failed:\n{output}"
        return [run_id for _, run_id, _ in launches]

    def start_daemon(self) -> None:
        """The daemon last: runs queued before its first tick are already there when the sensors look."""
        self.group.start(
            "daemon",
            SERVICES["daemon"].command(self.placement),
            process_env("daemon", self.values),
            cwd=Path(self.placement.dagster_home),
        )

    # Alone a sync run takes ~15 s; on a 2-core CI machine running the rest of the suite, much longer.
    def wait_for_run(self, run_id: str, timeout: float = 240.0) -> DagsterRunStatus:
        """Poll the run's status over the webserver's GraphQL API until it finishes."""
        deadline = time.monotonic() + timeout
        while True:
            self.group.check_alive()
            status = self.graphql.get_run_status(run_id)
            if status in TERMINAL:
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} still {status.value} after {timeout:.0f}s\n{self.group.all_logs()}")
            time.sleep(0.5)


@contextmanager
def start_local_stack(
    tmp_path: Path, database: PostgresServer, pipeline_env: dict[str, str], *, paused: tuple[str, ...] = ()
) -> Iterator[LocalStack]:
    """`paused` processes are set inactive in ProcessConfig before anything starts, as the guide's first
    deploy does, so that their sensors do not start runs the test has no use for."""
    ports = {"user_code": free_port(), "webserver": free_port(), "admin_api": free_port()}
    placement = Placement(
        bind_host=LOOPBACK,
        dagster_home=str(tmp_path / "dagster_home"),
        data_dir=str(tmp_path / "data"),
        postgres_host=database.host,
        postgres_port=database.port,
        ports=ports,
    )
    home = Path(placement.dagster_home)
    home.mkdir()
    Path(placement.data_dir).mkdir()
    shutil.copyfile(PRODUCTION_INSTANCE, home / "dagster.yaml")
    Path(placement.workspace).write_text(yaml.safe_dump(workspace_for(placement, grpc_host=LOOPBACK)))

    values = {
        **database.dagster_env(),
        **placement.placed_env(),
        "SMARTBIND_DAGSTER_URL": f"http://{LOOPBACK}:{ports['webserver']}",
        "SMARTBIND_ADMIN_TOKEN": secrets.token_urlsafe(24),
        **pipeline_env,
    }
    for job_id in paused:
        ProcessConfigStore(placement.process_config_db, env=values).update(
            job_id, {"is_active": False}, via="cli", actor="deploy-test"
        )
    group = ProcessGroup(tmp_path / "logs")
    try:
        user_code = SERVICES["user_code"]
        group.start("user_code", user_code.command(placement), process_env("user_code", values), cwd=home)
        grpc = DagsterGrpcClient(port=ports["user_code"], host=LOOPBACK)
        group.wait_until(lambda: grpc.ping("ready") is not None, "the gRPC code server", timeout=120)
        for name in SERVICES:
            if name not in ("user_code", "daemon"):
                group.start(name, SERVICES[name].command(placement), process_env(name, values), cwd=home)
        stack = LocalStack(
            placement,
            values,
            group,
            DagsterGraphQLClient(LOOPBACK, port_number=ports["webserver"], timeout=30),
            webserver_url=f"http://{LOOPBACK}:{ports['webserver']}",
            admin_api_url=f"http://{LOOPBACK}:{ports['admin_api']}",
        )
        group.wait_until(
            lambda: requests.get(f"{stack.webserver_url}/server_info", timeout=2).ok, "the webserver", timeout=120
        )
        group.wait_until(
            lambda: requests.get(f"{stack.admin_api_url}/healthz", timeout=2).ok, "the admin API", timeout=30
        )
        yield stack
    finally:
        group.stop()
