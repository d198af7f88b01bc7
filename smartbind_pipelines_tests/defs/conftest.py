"""The Dagster-layer tests (instance and process_config come from the root conftest)."""

import logging

import pytest


@pytest.fixture(autouse=True)
def quiet_sdk():
    # The SDK logs every provoked error response at ERROR; the assertions say what matters.
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)
