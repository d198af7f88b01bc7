"""Shared fixtures: each test gets fresh emulators on loopback, reached over real HTTP."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest

from smartbind_pipelines.defs.process_config import ProcessConfigResource
from smartbind_pipelines.sandbox.faults import SandboxAdmin
from smartbind_pipelines.sandbox.server import BackgroundServer

# Sheet settle bounds (core/sheets/settle.py): after a lost add answer, tests wait a short quiet period,
# not production's 60 s. Tests that reproduce a slow save set their own.
os.environ.setdefault("SMARTBIND_SHEET_SETTLE_QUIET_SECONDS", "0.3")
os.environ.setdefault("SMARTBIND_SHEET_SETTLE_MAX_SECONDS", "30")
os.environ.setdefault("SMARTBIND_SHEET_SETTLE_POLL_SECONDS", "0.05")


@dataclass
class RunningEmulator:
    url: str  # API base: ends in /api (Bind) or /2.0 (Smartsheet)
    token: str
    state: Any
    admin: SandboxAdmin
    server: BackgroundServer


@pytest.fixture
def bind_emulator():
    """A Bind ERP emulator with the default deterministic demo data (seed 7)."""
    from smartbind_pipelines.sandbox.bind import BindState, create_bind_app

    token = "bind-test-" + secrets.token_hex(12)
    state = BindState.demo(seed=7)
    with BackgroundServer(create_bind_app(state, tokens={token})) as server:
        yield RunningEmulator(f"{server.url}/api", token, state, SandboxAdmin(server.url), server)


@pytest.fixture
def empty_bind_emulator():
    """A Bind ERP emulator with warehouses and currencies but no invoices, products or stock."""
    from smartbind_pipelines.sandbox.bind import BindState, create_bind_app

    token = "bind-test-" + secrets.token_hex(12)
    state = BindState.empty()
    with BackgroundServer(create_bind_app(state, tokens={token})) as server:
        yield RunningEmulator(f"{server.url}/api", token, state, SandboxAdmin(server.url), server)


@pytest.fixture
def smartsheet_emulator():
    """A Smartsheet emulator with no sheets."""
    from smartbind_pipelines.sandbox.smartsheet import SmartsheetState, create_smartsheet_app

    token = "ss-test-" + secrets.token_hex(12)
    state = SmartsheetState()
    with BackgroundServer(create_smartsheet_app(state, tokens={token})) as server:
        yield RunningEmulator(f"{server.url}/2.0", token, state, SandboxAdmin(server.url), server)


@pytest.fixture
def instance():
    """A throwaway Dagster instance."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def process_config(tmp_path):
    """A ProcessConfig file of the test's own, seeded with the defaults on first use."""
    return ProcessConfigResource(db_path=str(tmp_path / "processes.db"))
