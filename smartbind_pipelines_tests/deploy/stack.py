"""What docker-compose.yml runs, written down once.

The process-level test starts these commands as plain processes (no Docker engine runs here) and the
compose test checks docker-compose.yml, the Dockerfile and .env.example against the same definitions, so
what compose runs and what the test proved cannot drift apart.

A `Placement` says where the stack runs: inside the compose network (`COMPOSE`) or on loopback with free
ports and temporary directories (the test). Everything that differs between the two is in a Placement;
everything else (commands, flags, variable names) is shared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
PRODUCTION_INSTANCE = REPO_ROOT / "dagster.yaml"
DOCKER_WORKSPACE = REPO_ROOT / "workspace.docker.yaml"

CODE_LOCATION = "smartbind"
DEFINITIONS_MODULE = "smartbind_pipelines.definitions"
DATA_VOLUME = "smartsheet-bind-data"  # the named volume holding the ProcessConfig database
PROCESS_CONFIG_DB = "processes.db"

DAGSTER_PG = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB")
# What the sync jobs read (DESIGN.md); sensors and runs both execute in the user-code server.
PIPELINE_SECRETS = ("BIND_API_BASE_URL", "BIND_API_KEY", "SMARTSHEET_API_BASE", "SMARTSHEET_ACCESS_TOKEN")
PIPELINE_OPTIONAL = (
    "BIND_WAREHOUSE_ID",
    "SMARTSHEET_INVOICES_SHEET_ID",
    "SMARTSHEET_INVENTORY_SHEET_ID",
    "SMARTSHEET_CLIENTS_SHEET_ID",
    "SMARTSHEET_PRODUCTS_SHEET_ID",
    "SMARTBIND_PROCESSES_DIR",
    "SMARTBIND_ALERT_WEBHOOK_URL",
    "SMARTBIND_DAGSTER_URL",
    "SMARTBIND_ALERT_AFTER_FAILURES",
)


@dataclass(frozen=True)
class Placement:
    """Where the stack runs: the interface servers listen on, their ports, and the paths they use."""

    bind_host: str
    dagster_home: str
    data_dir: str
    postgres_host: str
    postgres_port: int
    ports: dict[str, int]
    webserver_host: str = "127.0.0.1"  # how the admin API reaches the webserver

    @property
    def workspace(self) -> str:
        return f"{self.dagster_home}/workspace.yaml"

    @property
    def process_config_db(self) -> str:
        return f"{self.data_dir}/{PROCESS_CONFIG_DB}"

    def placed_env(self) -> dict[str, str]:
        """Variables whose values come from the placement rather than from the operator's .env."""
        return {
            "DAGSTER_HOME": self.dagster_home,
            "DAGSTER_PG_HOST": self.postgres_host,
            "DAGSTER_PG_PORT": str(self.postgres_port),
            "SMARTBIND_DB_PATH": self.process_config_db,
            "SMARTBIND_DAGSTER_GRAPHQL_URL": f"http://{self.webserver_host}:{self.ports['webserver']}/graphql",
        }


COMPOSE = Placement(
    bind_host="0.0.0.0",
    dagster_home="/opt/dagster/dagster_home",
    data_dir="/app/data",
    postgres_host="postgres",
    postgres_port=5432,
    ports={"user_code": 4000, "webserver": 3000, "admin_api": 8080},
    webserver_host="webserver",
)


@dataclass(frozen=True)
class Service:
    """One long-running service of the stack (a compose service, or a process in the test)."""

    name: str
    command: Callable[[Placement], list[str]]
    env: tuple[str, ...]  # variables it cannot run without
    optional_env: tuple[str, ...] = ()
    mounts_data: bool = False  # sees the ProcessConfig volume
    serves: bool = True  # listens on placement.ports[name]


def _user_code(p: Placement) -> list[str]:
    return ["dagster", "api", "grpc", "-m", DEFINITIONS_MODULE, "-h", p.bind_host, "-p", str(p.ports["user_code"])]


def _webserver(p: Placement) -> list[str]:
    return ["dagster-webserver", "-h", p.bind_host, "-p", str(p.ports["webserver"]), "-w", p.workspace]


def _daemon(p: Placement) -> list[str]:
    return ["dagster-daemon", "run", "-w", p.workspace]


def _admin_api(p: Placement) -> list[str]:
    return ["smartbind", "admin-api", "--host", p.bind_host, "--port", str(p.ports["admin_api"])]


SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        # Loads the code location, evaluates sensors and (DefaultRunLauncher) executes the runs.
        Service(
            "user_code",
            _user_code,
            env=("DAGSTER_HOME", *DAGSTER_PG, "SMARTBIND_DB_PATH", *PIPELINE_SECRETS),
            optional_env=PIPELINE_OPTIONAL,
            mounts_data=True,
        ),
        Service("webserver", _webserver, env=("DAGSTER_HOME", *DAGSTER_PG)),
        Service("daemon", _daemon, env=("DAGSTER_HOME", *DAGSTER_PG), serves=False),
        # ProcessConfig, and the old admin doors (admin_doors/): run history and stats from Dagster's run
        # storage, "run now" submitted through the webserver's GraphQL API (so no Bind/Smartsheet secret here);
        # SMARTBIND_DAGSTER_URL makes their links absolute.
        Service(
            "admin_api",
            _admin_api,
            env=(
                "DAGSTER_HOME",
                *DAGSTER_PG,
                "SMARTBIND_DB_PATH",
                "SMARTBIND_ADMIN_TOKEN",
                "SMARTBIND_DAGSTER_GRAPHQL_URL",
            ),
            optional_env=("SMARTBIND_DAGSTER_URL",),
            mounts_data=True,
        ),
    )
}


def job_launch_command(p: Placement, job: str, run_id: str, run_config: dict | None = None) -> list[str]:
    """Queue a run the way an operator does (`docker compose exec webserver ...`, as docs/operations.md says)."""
    argv = ["dagster", "job", "launch", "-w", p.workspace, "-j", job, "--run-id", run_id]
    if run_config is not None:
        argv += ["--config-json", json.dumps(run_config)]
    return argv


def workspace_for(p: Placement, *, grpc_host: str) -> dict:
    """workspace.docker.yaml with the gRPC server's address as seen from `p`."""
    workspace = yaml.safe_load(DOCKER_WORKSPACE.read_text())
    (entry,) = workspace["load_from"]
    entry["grpc_server"]["host"] = grpc_host
    entry["grpc_server"]["port"] = p.ports["user_code"]
    return workspace


def service_env(service: Service, values: dict[str, str]) -> dict[str, str]:
    """Exactly the variables `service` is given: all of its required ones (KeyError if one is missing)."""
    env = {name: values[name] for name in service.env}
    env.update({name: values[name] for name in service.optional_env if name in values})
    return env


# The operator's guides, in the order an operator follows them (going live, then day-to-day operation).
OPERATIONS_GUIDES = (REPO_ROOT / "docs" / "going-live.md", REPO_ROOT / "docs" / "operations.md")
_GUIDE_COMMAND = re.compile(r"docker compose (?:exec|run --rm) (\w+) ([^`\n]+)")


def guide_commands(services: tuple[str, ...]) -> list[tuple[str, str]]:
    """(service, command) for every `docker compose exec|run --rm SERVICE COMMAND` in the operator's guides
    (docs/going-live.md, then docs/operations.md), in the guides' order, continuation lines joined."""
    text = re.sub(r"\\\n\s*", "", "\n".join(guide.read_text() for guide in OPERATIONS_GUIDES))
    return [(service, command.strip()) for service, command in _GUIDE_COMMAND.findall(text) if service in services]
