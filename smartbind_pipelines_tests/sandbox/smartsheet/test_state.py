"""The Smartsheet state inside a sandbox snapshot (sandbox-state.pickle, docs/sandbox.md).

A snapshot names each class it holds by module and name, so a snapshot written by an older version loads
only while those names still import. These are the names snapshots have been written with; moving one of
these classes needs a re-export from its old module, and a new class in the state needs adding here.
"""

from __future__ import annotations

import io
import pickle

from smartbind_pipelines.sandbox.smartsheet import SmartsheetState
from smartbind_pipelines.sandbox.snapshot import dump_snapshot

_SMARTSHEET = "smartbind_pipelines.sandbox.smartsheet"
SNAPSHOT_NAMES = {
    (f"{_SMARTSHEET}.state", "SmartsheetState"),
    (f"{_SMARTSHEET}.state", "SandboxConfig"),
    (f"{_SMARTSHEET}.state", "IdAllocator"),
    (f"{_SMARTSHEET}.sheet", "Sheet"),
    (f"{_SMARTSHEET}.sheet", "Row"),
    (f"{_SMARTSHEET}.cells", "Column"),
    (f"{_SMARTSHEET}.discussions", "Discussion"),
    (f"{_SMARTSHEET}.discussions", "Comment"),
    (f"{_SMARTSHEET}.webhooks", "Deliveries"),
}


class _NamesSeen(pickle.Unpickler):
    def __init__(self, data: bytes):
        super().__init__(io.BytesIO(data))
        self.names: set[tuple[str, str]] = set()

    def find_class(self, module: str, name: str):
        self.names.add((module, name))
        return super().find_class(module, name)


def _state_with_everything() -> SmartsheetState:
    state = SmartsheetState()
    state.create_container("folder", "Facturación")
    sheet = state.create_sheet(
        "Facturas",
        [
            {"title": "UUID", "type": "TEXT_NUMBER", "primary": True},
            {"title": "Estado", "type": "PICKLIST", "options": ["Pagada"]},
        ],
    )
    column_id = sheet["columns"][0]["id"]
    added = state.add_rows(sheet["id"], [{"toBottom": True, "cells": [{"columnId": column_id, "value": "u-1"}]}])
    state.create_discussion(sheet["id"], {"comment": {"text": "revisar"}}, added["result"][0]["id"])
    state.create_webhook(
        {
            "name": "facturas",
            "callbackUrl": "http://127.0.0.1:9/hook",
            "scope": "sheet",
            "scopeObjectId": sheet["id"],
            "events": ["*.*"],
            "version": 1,
        },
        "token",
    )
    return state


def test_a_snapshot_names_only_the_classes_older_snapshots_name_and_loads_back():
    state = _state_with_everything()
    reader = _NamesSeen(dump_snapshot({"smartsheet": state}))
    loaded = reader.load()["smartsheet"]

    ours = {(module, name) for module, name in reader.names if module.startswith("smartbind_pipelines")}
    assert ours == SNAPSHOT_NAMES
    assert type(loaded) is SmartsheetState
    assert loaded.rows_as_dicts(next(iter(loaded.sheets))) == state.rows_as_dicts(next(iter(state.sheets)))
