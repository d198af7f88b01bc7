import logging

import dagster as dg
import pytest

from smartbind_pipelines.defs.process_config import ProcessConfigResource

from .harness import InventorySync


@pytest.fixture(autouse=True)
def quiet_sdk():
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def process_config(tmp_path):
    return ProcessConfigResource(db_path=str(tmp_path / "processes.db"))


@pytest.fixture
def inventory_sync(empty_bind_emulator, smartsheet_emulator, process_config, instance):
    sync = InventorySync(empty_bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    return sync
