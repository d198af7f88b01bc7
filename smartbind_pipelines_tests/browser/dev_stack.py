"""`make dev` (scripts/dev.sh) as a test fixture: a temporary DAGSTER_HOME, free ports, its own session.

dev.sh starts the sandbox emulators, the admin API, the Dagster daemon and webserver; those start code
servers, which start run workers. All of them inherit dev.sh's session, so stopping the session stops
them all, even a run worker whose parent died first.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import requests

from smartbind_pipelines.sandbox.faults import SandboxAdmin

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_SCRIPT = REPO_ROOT / "scripts" / "dev.sh"
LOCATION = "smartbind"
REPOSITORY = "__repository__"  # the repository @dg.definitions makes for the code location
STARTUP_SECONDS = 180  # typically 15-30 s; cold imports on a busy 2-core CI machine take longer
STOP_GRACE_SECONDS = 20
READY_LINE = b"smartbind is running."
ENV_FILE = "dev.env"  # everything a second terminal needs, written by dev.sh


class GraphQLError(AssertionError):
    pass


@dataclass
class DevStack:
    """A running `make dev`: the UI, its GraphQL endpoint, the sandbox's environment and fault admin."""

    ui_url: str
    home: Path
    process: subprocess.Popen
    sandbox_env: dict[str, str] = field(default_factory=dict)  # dev.env: the emulators, ProcessConfig, tokens
    ports: dict[str, str] = field(default_factory=dict)
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def bind_admin(self) -> SandboxAdmin:
        return SandboxAdmin(self.sandbox_env["BIND_API_BASE_URL"])

    @property
    def process_config_db(self) -> Path:
        return self.home / "processes.db"  # dev.sh's SMARTBIND_DB_PATH

    @property
    def log_files(self) -> list[Path]:
        return [self.home / "dev.sh.log", *sorted((self.home / "dev-logs").glob("*.log"))]

    def graphql(self, query: str, **variables: Any) -> dict:
        response = self.http.post(f"{self.ui_url}/graphql", json={"query": query, "variables": variables}, timeout=30)
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise GraphQLError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in self.log_files:
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name} (last {lines} lines) ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def wait_until(self, ready: Callable[[], Any], what: str, timeout: float, every: float = 1.0) -> Any:
        """Poll `ready` until it returns something truthy; fail with the stack's logs on timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"make dev stopped (exit {self.process.returncode}) while waiting for {what}\n{self.log_tail()}"
                )
            result = ready()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.log_tail()}")
            time.sleep(every)

    def stop(self) -> list[int]:
        """SIGTERM the whole session (as Ctrl-C would), SIGKILL what lingers; returns any survivors."""
        session_id = self.process.pid  # start_new_session: the leader's pid is the session id
        for sig, grace in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 5)):
            for pid in session_members(session_id):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                self.process.poll()  # reap dev.sh itself so it does not linger as a zombie
                if not session_members(session_id):
                    return []
                time.sleep(0.2)
        self.process.poll()
        return session_members(session_id)


def start_dev_stack(home: Path, ports: dict[str, str] | None = None) -> DevStack:
    """Start scripts/dev.sh with DAGSTER_HOME=home and wait for "smartbind is running.".

    ``ports`` (DAGSTER_PORT, ADMIN_API_PORT, SANDBOX_BIND_PORT, SANDBOX_SMARTSHEET_PORT) default to free ports
    (the emulators': any, chosen by the sandbox); a restart passes the first start's ``stack.ports``.
    """
    ports = dict(ports or fresh_ports())
    ui_port = int(ports["DAGSTER_PORT"])
    log = open(home / "dev.sh.log", "ab")  # a restart appends: the log tells the whole story
    try:
        process = subprocess.Popen(
            ["bash", str(DEV_SCRIPT)],
            cwd=REPO_ROOT,
            env=stack_env(home, ports),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        log.close()  # the child keeps its own descriptor
    stack = DevStack(ui_url=f"http://127.0.0.1:{ui_port}", home=home, process=process, ports=ports)
    started = (home / "dev.sh.log").read_bytes().count(READY_LINE)
    try:
        stack.wait_until(
            lambda: (home / "dev.sh.log").read_bytes().count(READY_LINE) > started,
            "make dev to print 'smartbind is running.'",
            timeout=STARTUP_SECONDS,
        )
        stack.sandbox_env = read_env_file(home / ENV_FILE)
    except BaseException:
        stack.stop()
        raise
    return stack


def fresh_ports() -> dict[str, str]:
    return {
        "DAGSTER_PORT": str(free_port()),
        "ADMIN_API_PORT": str(free_port()),
        # 0: smartbind sandbox picks free ports and dev.sh writes the URLs to dev.env
        "SANDBOX_BIND_PORT": "0",
        "SANDBOX_SMARTSHEET_PORT": "0",
    }


def stack_env(home: Path, ports: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    # Whatever the caller's shell points at, this stack uses its own instance, files and emulators.
    for name in list(env):
        if name.startswith(("BIND_", "SMARTSHEET_", "SMARTBIND_", "DAGSTER_")):
            del env[name]
    venv_bin = str(Path(sys.executable).parent)  # smartbind, dagster-daemon, dagster-webserver, python
    env.update(
        PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}",
        DAGSTER_HOME=str(home),
        PYTHONUNBUFFERED="1",
        **ports,
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_env_file(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines of dev.env (PATH, which refers to $PATH, is left out)."""
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export ") and not line.startswith("export PATH="):
            name, _, value = line[len("export ") :].partition("=")
            env[name] = shlex.split(value)[0] if value else ""
    return env


def session_members(session_id: int) -> list[int]:
    """Every live (not zombie) process in the session, including any a dying parent left to init."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # After the ")" that closes the command name: state ppid pgrp session ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session_id and fields[0] != "Z":
            members.append(int(entry.name))
    return members
