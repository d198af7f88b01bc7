import pytest

from .harness import InventorySync


@pytest.fixture
def inventory_sync(empty_bind_emulator, smartsheet_emulator, process_config, instance):
    sync = InventorySync(empty_bind_emulator, smartsheet_emulator, process_config, instance)
    sync.create_sheet()
    return sync
