"""sync_inventory when Bind answers the stock route with something that is not a page (issue 14, defect 2):
the run fails and the sheet is left as it was, never zeroed or emptied."""

import pytest

from .test_sync_inventory import failure_text, writes

ATTEMPTS = 6  # the harness's BindResource.max_attempts

NOT_A_PAGE = {
    "Message object": {"status": 200, "body": {"Message": "An error has occurred."}},
    "empty 200": {"status": 200},
    "204": {"status": 204},
    "object without value": {"status": 200, "body": {"count": 0}},
}


@pytest.mark.parametrize("stale_rows", ["zero", "delete"])
@pytest.mark.parametrize("answer", NOT_A_PAGE.values(), ids=NOT_A_PAGE.keys())
def test_a_non_page_on_the_stock_route_fails_the_run_and_retires_nothing(inventory_sync, answer, stale_rows):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(150)
    warehouse = state.warehouse_ids()[0]
    sync.use_warehouses([warehouse])
    first = sync.run(stale_rows=stale_rows)
    assert first.success, failure_text(first)
    before = sync.by_key()
    assert len(before) > 100 and all(cells["Existencias"] > 0 for cells in before.values())

    sync.bind.admin.inject("custom", "/api/Inventory$", method="GET", count=ATTEMPTS, **answer)
    sync.smartsheet.admin.reset_requests()
    broken = sync.run(stale_rows=stale_rows)
    assert not broken.success
    message = failure_text(broken)
    assert "GET /Inventory" in message and "not a page" in message
    assert writes(sync) == 0 and sync.by_key() == before

    again = sync.run(stale_rows=stale_rows)  # Bind answers again: nothing to change
    assert again.success, failure_text(again)
    assert sync.by_key() == before
