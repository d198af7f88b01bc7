"""Fixtures for the deployment tests: a real PostgreSQL server and a fresh database per test."""

from __future__ import annotations

import pytest

from smartbind_pipelines_tests.deploy.postgres import (
    OwnServer,
    PostgresServer,
    create_database,
    drop_database,
    from_environment,
    server_binaries_installed,
)


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """SMARTBIND_TEST_PG_* when set (.ci/run starts one), else a server of our own for this xdist worker."""
    configured = from_environment()
    if configured is not None:
        yield configured
        return
    if not server_binaries_installed():
        pytest.skip("no PostgreSQL: set SMARTBIND_TEST_PG_* or install Debian's postgresql package")
    own = OwnServer()
    try:
        yield own.start()
    finally:
        own.stop()


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> PostgresServer:
    """An empty database of its own on the shared server, dropped afterwards."""
    database = create_database(postgres_server)
    yield database
    drop_database(postgres_server, database)
