import pytest

from .harness import InvoiceSync


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
