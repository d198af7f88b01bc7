import logging

import dagster as dg
import pytest

from smartbind_pipelines.defs.process_config import ProcessConfigResource

from .harness import InvoiceSync


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


@pytest.fixture
def demo_sync(bind_emulator, smartsheet_emulator, process_config, instance):
    sync = InvoiceSync(bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    return sync


@pytest.fixture
def empty_sync(empty_bind_emulator, smartsheet_emulator, process_config, instance):
    sync = InvoiceSync(empty_bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    return sync
