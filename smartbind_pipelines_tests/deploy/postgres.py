"""A real PostgreSQL server for the production-instance tests, and a fresh database per test.

The server is the one `.ci/run` started (SMARTBIND_TEST_PG_*), or else one of our own started by the very
same script (scripts/ci-postgres.sh), once per xdist worker.
"""

from __future__ import annotations

import glob
import os
import secrets
import subprocess
import tempfile
from dataclasses import dataclass, replace

import psycopg2
from psycopg2 import sql

from smartbind_pipelines_tests.deploy.stack import REPO_ROOT

CI_SCRIPT = REPO_ROOT / "scripts" / "ci-postgres.sh"
ENV_NAMES = ("HOST", "PORT", "USER", "PASSWORD", "DB")


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    db: str

    def dagster_env(self) -> dict[str, str]:
        """The DAGSTER_PG_* variables dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db,
        }

    def connect(self):
        conn = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=self.db, connect_timeout=10
        )
        conn.autocommit = True
        return conn


def from_environment(env=os.environ) -> PostgresServer | None:
    values = {name: env.get(f"SMARTBIND_TEST_PG_{name}") for name in ENV_NAMES}
    if not values["HOST"]:
        return None
    return PostgresServer(
        values["HOST"],
        int(values["PORT"] or 5432),
        values["USER"] or "postgres",
        values["PASSWORD"] or "",
        values["DB"] or "postgres",
    )


def server_binaries_installed() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/postgres"))


class OwnServer:
    """A server of our own, started and stopped through scripts/ci-postgres.sh."""

    def __init__(self) -> None:
        # Short path under /tmp: pytest's tmp dirs are private to root (the server runs as `postgres`)
        # and the Unix socket path must stay under ~100 bytes.
        self.state_dir = tempfile.mkdtemp(prefix="smartbind-pg-")
        os.rmdir(self.state_dir)  # the script creates it with the right owner

    def _script(self, command: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBIND_TEST_PG_")}
        env["SMARTBIND_CI_PG_DIR"] = self.state_dir
        return subprocess.run(
            ["bash", "-c", f'source "{CI_SCRIPT}" && {command}'], env=env, capture_output=True, text=True, timeout=120
        )

    def start(self) -> PostgresServer:
        result = self._script("start_ci_postgres && env")
        server = from_environment(dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line))
        if server is None:
            raise RuntimeError(f"scripts/ci-postgres.sh could not start PostgreSQL:\n{result.stderr}")
        return server

    def stop(self) -> None:
        self._script("stop_ci_postgres")


def create_database(server: PostgresServer, prefix: str = "smartbind") -> PostgresServer:
    """A new empty database on `server`, so that tests sharing one server never see each other's runs."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return replace(server, db=name)


def drop_database(server: PostgresServer, database: PostgresServer) -> None:
    conn = server.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database.db)))
    finally:
        conn.close()
