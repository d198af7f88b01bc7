"""docker-compose.yml under podman, driven as an operator drives docker compose.

The project directory is a temporary copy of docker-compose.yml (byte for byte) next to a `.env` written
from `.env.example`, as `cp .env.example .env && $EDITOR .env` does; scripts/stack/compose.override.yml only
swaps the registry images CI cannot pull for local ones. The sandbox emulators run in the test process,
listening on the compose network's gateway, which the containers reach as the host.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = REPO_ROOT / "scripts" / "stack"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
OVERRIDE = STACK_DIR / "compose.override.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"

PROJECT = os.environ.get("SMARTBIND_STACK_PROJECT", "smartbind-stack")
NETWORK = f"{PROJECT}_smartbind"  # compose's name for the file's `smartbind` network
APP_IMAGE = "localhost/smartbind:latest"
HEALTH_TICK_SECONDS = 5.0
CRASH_LOOP_RESTARTS = 5  # webserver and daemon may restart once or twice while PostgreSQL starts

# Every value an operator must keep secret (docs/operations.md, "Rotate tokens").
SECRET_NAMES = (
    "BIND_API_KEY",
    "SMARTSHEET_ACCESS_TOKEN",
    "SMARTBIND_ADMIN_TOKEN",
    "DAGSTER_PG_PASSWORD",
    "SMARTBIND_ALERT_WEBHOOK_URL",
)


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(STACK_DIR / "containers.conf")}


def podman(
    *args: str, check: bool = True, timeout: float = 300, input: str | None = None
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["podman", *args], env=podman_env(), capture_output=True, text=True, timeout=timeout, input=input
    )
    if check and result.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def compose_tool() -> str:
    tool = os.environ.get("SMARTBIND_PODMAN_COMPOSE") or shutil.which("podman-compose")
    if not tool:
        raise RuntimeError("podman-compose not found: run the stack test through `make test-stack`")
    return tool


def env_file_text(values: dict[str, str]) -> str:
    """.env.example with `values` filled in: set lines replaced, commented `# NAME=` lines uncommented."""
    out, done = [], set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", line)
        if match and match.group(1) in values and match.group(1) not in done:
            name = match.group(1)
            out.append(f"{name}={values[name]}")
            done.add(name)
        else:
            out.append(line)
    out += [f"{name}={value}" for name, value in values.items() if name not in done]
    return "\n".join(out) + "\n"


@dataclass
class ComposeProject:
    directory: Path
    env: dict[str, str]  # for ${...} in the compose files (the local image names)
    health_log: list[str] = field(default_factory=list)

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        argv = [
            compose_tool(),
            "-p",
            PROJECT,
            "-f",
            str(self.directory / "docker-compose.yml"),
            "-f",
            str(OVERRIDE),
            *args,
        ]
        result = subprocess.run(
            argv, cwd=self.directory, env={**podman_env(), **self.env}, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[1:])} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def exec(self, service: str, *argv: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """`docker compose exec SERVICE ...` (no TTY: CI has none)."""
        return self.compose("exec", "-T", service, *argv, check=check, timeout=timeout)

    def containers(self) -> dict[str, dict]:
        """service -> `podman inspect` of its (running or stopped) container."""
        ids = podman("ps", "-aq", "--filter", f"label=io.podman.compose.project={PROJECT}").stdout.split()
        if not ids:
            return {}
        inspected = json.loads(podman("inspect", *ids).stdout)
        return {c["Config"]["Labels"]["com.docker.compose.service"]: c for c in inspected}

    def container(self, service: str) -> str:
        return self.containers()[service]["Name"]

    def health(self) -> dict[str, str]:
        """service -> health status ("healthy", "starting", "unhealthy"; "none" without a health check)."""
        status = {}
        for service, c in self.containers().items():
            state = c["State"]
            health = state.get("Health") or state.get("Healthcheck") or {}
            status[service] = health.get("Status") or "none" if state.get("Running") else state.get("Status")
        return status

    def run_health_checks(self) -> None:
        """What Docker's engine (or systemd's timers under podman) does on its own: run each container's
        health check. This machine has neither, so the test ticks them."""
        for service, c in self.containers().items():
            if c["State"].get("Running") and c["Config"].get("Healthcheck"):
                podman("healthcheck", "run", c["Name"], check=False, timeout=60)

    @contextmanager
    def health_ticker(self) -> Iterator[None]:
        stop = threading.Event()

        def tick():
            while not stop.wait(HEALTH_TICK_SECONDS):
                try:
                    self.run_health_checks()
                except Exception as exc:  # a container going away mid-tick; the waiter reports states
                    self.health_log.append(repr(exc))

        thread = threading.Thread(target=tick, daemon=True, name="health-ticker")
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(90)

    def wait_healthy(self, services: set[str], timeout: float = 420) -> float:
        """Seconds until every service's health check passes; fails naming the ones that did not."""
        start = time.monotonic()
        while True:
            self.run_health_checks()
            status = self.health()
            if set(status) >= services and all(status[s] == "healthy" for s in services):
                return time.monotonic() - start
            # A crash loop (a code location that does not load, say) will not heal: say so now.
            looping = {
                s: c.get("RestartCount", 0)
                for s, c in self.containers().items()
                if c.get("RestartCount", 0) >= CRASH_LOOP_RESTARTS
            }
            if looping:
                raise RuntimeError(f"restarting over and over: {looping}\n{self.logs()}")
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"not healthy after {timeout:.0f}s: {status}\n{self.logs()}")
            time.sleep(HEALTH_TICK_SECONDS)

    def logs(self, tail: int = 40) -> str:
        parts = []
        for service, c in self.containers().items():
            out = podman("logs", "--tail", str(tail), c["Name"], check=False)
            parts.append(f"--- {service} ({c['State'].get('Status')})\n{out.stdout}{out.stderr}")
        return "\n".join(parts)

    def process_env(self, service: str, user: str | None = None) -> dict[str, str]:
        """The environment of the service's main process, as the running container holds it (read as
        `user`, the process's owner, when the image's default user may not read it)."""
        as_user = ["--user", user] if user else []
        raw = podman("exec", *as_user, self.container(service), "cat", "/proc/1/environ").stdout
        return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def teardown(project_dir: Path | None = None) -> list[str]:
    """Remove every container, network and volume of the project (also after a crashed run). Returns
    what it removed. The data volume has a fixed name (`smartsheet-bind-data`), so it is removed only
    when no container outside the project uses it."""
    removed = []
    label = f"label=io.podman.compose.project={PROJECT}"
    ids = podman("ps", "-aq", "--filter", label, check=False).stdout.split()
    if ids:
        podman("rm", "-f", "-t", "5", *ids, check=False)
        removed += [f"container {i}" for i in ids]
    for volume in podman("volume", "ls", "-q", "--filter", label, check=False).stdout.split():
        podman("volume", "rm", "-f", volume, check=False)
        removed.append(f"volume {volume}")
    if podman("volume", "exists", "smartsheet-bind-data", check=False).returncode == 0:
        users = podman("ps", "-aq", "--filter", "volume=smartsheet-bind-data", check=False).stdout.split()
        if not users:
            podman("volume", "rm", "-f", "smartsheet-bind-data", check=False)
            removed.append("volume smartsheet-bind-data")
    for network in {NETWORK, *podman("network", "ls", "-q", "--filter", label, check=False).stdout.split()}:
        if podman("network", "exists", network, check=False).returncode == 0:
            podman("network", "rm", "-f", network, check=False)
            removed.append(f"network {network}")
    if project_dir is not None:
        shutil.rmtree(project_dir, ignore_errors=True)
    return removed


def create_network() -> str:
    """The compose network, made before `up` (compose then uses it) so the sandbox can listen on its
    gateway before any container starts. Labelled as compose labels it. Returns the gateway address."""
    podman(
        "network",
        "create",
        "--label",
        f"io.podman.compose.project={PROJECT}",
        "--label",
        f"com.docker.compose.project={PROJECT}",
        NETWORK,
    )
    (network,) = json.loads(podman("network", "inspect", NETWORK).stdout)
    return network["subnets"][0]["gateway"]


def new_project_dir(values: dict[str, str]) -> Path:
    directory = Path(tempfile.mkdtemp(prefix="smartbind-stack-", dir="/var/tmp"))
    shutil.copyfile(COMPOSE_FILE, directory / "docker-compose.yml")
    env = directory / ".env"
    env.write_text(env_file_text(values))
    env.chmod(0o600)
    return directory


def secret_values() -> dict[str, str]:
    return {
        "DAGSTER_PG_PASSWORD": "pg-" + secrets.token_hex(16),
        "SMARTBIND_ADMIN_TOKEN": "admin-" + secrets.token_urlsafe(24),
    }
