"""names_from_history: the warehouse names the newest materialization recorded (migration to sync_state.db)."""

import json

import dagster as dg

from smartbind_pipelines.core.inventory.state import WAREHOUSE_NAMES, names_from_history


def test_the_newest_materialization_that_recorded_names_wins():
    newest_first = [
        {"inserted": 0},
        {WAREHOUSE_NAMES: dg.MetadataValue.json({"1": "Norte"})},
        {WAREHOUSE_NAMES: {"1": "General", "2": "Sur"}},
    ]
    assert names_from_history(newest_first) == {"1": "Norte"}


def test_names_recorded_as_text_are_read_and_none_recorded_is_none():
    assert names_from_history([{WAREHOUSE_NAMES: json.dumps({"7": "Almacén Sur"})}]) == {"7": "Almacén Sur"}
    assert names_from_history([{"inserted": 3}]) is None and names_from_history([]) is None
