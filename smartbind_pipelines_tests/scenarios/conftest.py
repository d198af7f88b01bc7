"""Fixtures of the scenario suite: a business day on fresh emulators, and the figures each one records."""

from __future__ import annotations

import logging

import pytest

from .driver import BusinessDay
from .figures import ScenarioFigures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.scenario_outcome = report.outcome  # read by the figures fixture at teardown


@pytest.fixture(autouse=True)
def quiet_sdk():
    # The SDK logs every provoked error response at ERROR; the scenarios assert on what matters.
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)


@pytest.fixture
def figures(request):
    tally = ScenarioFigures(request.node.nodeid.split("scenarios/", 1)[-1])
    yield tally
    tally.write(getattr(request.node, "scenario_outcome", "error"))


@pytest.fixture
def day(empty_bind_emulator, smartsheet_emulator, process_config, instance, figures):
    """08:00 on an empty Bind and an empty invoices sheet, ProcessConfig pointing at it."""
    business_day = BusinessDay(empty_bind_emulator, smartsheet_emulator, process_config, instance, figures)
    business_day.sync.create_sheet()
    yield business_day
    business_day.settle_faults()
