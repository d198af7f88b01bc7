"""Deletion safety (issue 14, defect 2): one run never retires more than half of the inventory sheet unless
the operator says so in the run config. Real job, real Bind client and smartsheet SDK over HTTP."""

import pytest

from .test_sync_inventory import bind_stock, failure_text, materialized, writes


def run(sync, **write_config):
    run_config = {"ops": {"smartsheet_inventory": {"config": write_config}}}
    return (
        sync.definitions()
        .resolve_job_def("sync_inventory")
        .execute_in_process(run_config=run_config, instance=sync.instance, raise_on_error=False)
    )


def failure_metadata(result) -> dict:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.user_failure_data:
            data = event.step_failure_data.user_failure_data.metadata
            return {key: getattr(value, "value", value) for key, value in data.items()}
    raise AssertionError("the run did not fail with a Failure")


@pytest.mark.parametrize("stale_rows", ["zero", "delete"])
def test_a_bind_answer_with_few_rows_retires_nothing_unless_the_operator_allows_it(inventory_sync, stale_rows):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(40)
    central = state.warehouse_ids()[0]
    sync.use_warehouses([central])
    first = run(sync)
    assert first.success, failure_text(first)
    before = sync.rows()
    in_stock = [pid for pid, qty in bind_stock(state, central).items() if qty > 0]
    assert len(before) == len(in_stock) > 10

    # Bind now answers with three products only: the rest would all be retired
    for pid in in_stock[3:]:
        state.set_stock(central, pid, 0)
    version = sync.smartsheet.state.sheet_version(sync.sheet_id)
    sync.smartsheet.admin.reset_requests()
    refused = run(sync, stale_rows=stale_rows)
    assert not refused.success
    text = failure_text(refused)
    retiring = len(in_stock) - 3
    assert f"{retiring:,} of its {len(before):,} rows" in text and "nothing was written" in text
    assert "allow_mass_retire: true" in text
    assert failure_metadata(refused)["would_retire"] == retiring
    assert writes(sync) == 0 and sync.smartsheet.state.sheet_version(sync.sheet_id) == version
    assert sync.rows() == before

    allowed = run(sync, stale_rows=stale_rows, allow_mass_retire=True)
    assert allowed.success, failure_text(allowed)
    written = materialized(allowed)
    if stale_rows == "zero":
        assert written["zeroed"] == retiring
        assert sum(1 for cells in sync.rows() if cells["Existencias"] > 0) == 3
    else:
        assert written["deleted"] == retiring and len(sync.rows()) == 3


def test_retiring_up_to_half_of_the_sheet_needs_no_override(inventory_sync):
    sync, state = inventory_sync, inventory_sync.bind.state
    state.generate_products(40)
    central = state.warehouse_ids()[0]
    sync.use_warehouses([central])
    assert run(sync).success
    in_stock = [pid for pid, qty in bind_stock(state, central).items() if qty > 0]
    half = len(in_stock) // 2
    for pid in in_stock[:half]:
        state.set_stock(central, pid, 0)
    result = run(sync)
    assert result.success, failure_text(result)
    assert materialized(result)["zeroed"] == half
