"""Fixtures shared by the Dagster-layer tests: a throwaway instance and a ProcessConfig file per test."""

import logging

import dagster as dg
import pytest

from smartbind_pipelines.defs.process_config import ProcessConfigResource


@pytest.fixture(autouse=True)
def quiet_sdk():
    # The SDK logs every provoked error response at ERROR; the assertions say what matters.
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def process_config(tmp_path):
    return ProcessConfigResource(db_path=str(tmp_path / "processes.db"))
