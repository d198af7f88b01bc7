"""Adopting a sheet the old FastAPI middleware filled: matching rows are updated in place, never duplicated.

The old middleware wrote every cell as a string (`cell.value = str(value)`), left drafts without a
UUID, and its values go stale (an invoice paid since then still says "Vigente"). The sheet below is
prefilled that way through the emulator's own row validation; then the real engine syncs Bind's
invoices into it through the real SDK.
"""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.invoices import INVOICE_MAPPING, invoice_batch
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway, upsert_sheet
from smartbind_pipelines.sandbox.sheets import INVOICE_COLUMNS

ORPHAN_UUID = "0f0f0f0f-1111-4222-8333-444444444444"  # an invoice Bind no longer lists in this window


@pytest.fixture(autouse=True)
def quiet_sdk():
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)


def legacy_text(value) -> str:
    """How the old middleware wrote a value: str() of it, whatever the column."""
    return str(value)


class LegacySheet:
    """A sheet in the shape the old middleware left behind, and what the test put where."""

    def __init__(self, state, records: list[dict]):
        self.state = state
        self.sheet = state.create_sheet("Facturas Bind (middleware)", INVOICE_COLUMNS)
        self.id = self.sheet["id"]
        self.column_ids = {c["title"]: c["id"] for c in self.sheet["columns"]}
        self.records = {r["UUID"]: r for r in records}
        uuids = list(self.records)
        # 0-3: stale (another status, a wrong total written as text); 4-7: current but all text;
        self.stale = uuids[0:4]
        self.current = uuids[4:8]
        rows = []
        for position, uuid in enumerate(self.stale):
            record = self.records[uuid]
            rows.append(
                {
                    **self._as_text(record),
                    "Estado": "Vigente" if record["Estado"] != "Vigente" else "Cancelada",
                    "Total": legacy_text(round(record["Total"] + 100 + position, 2)),
                }
            )
        rows += [self._as_text(self.records[uuid]) for uuid in self.current]
        # drafts the old middleware wrote before they were stamped: no UUID at all
        rows.append(
            {
                "Folio": "BORR-1",
                "Fecha": "2026-01-10",
                "Nombre Cliente": "CLIENTE BORRADOR",
                "Total": "1160.0",
                "Estado": "Borrador",
            }
        )
        rows.append({"Folio": "BORR-2", "Nombre Cliente": "OTRO BORRADOR", "Total": "abc", "Estado": "Borrador"})
        rows.append({"UUID": ORPHAN_UUID, "Folio": "F-1", "Fecha": "2025-12-31", "Total": "10", "Estado": "Pagada"})
        self._add(rows)
        by_key = {}
        for row in state.rows_as_dicts(self.id):
            by_key.setdefault(row["cells"]["UUID"], []).append(row["id"])
        self.row_id = {uuid: ids[0] for uuid, ids in by_key.items() if uuid}
        self.keyless_ids = by_key[None]
        self.before = {row["id"]: row["cells"] for row in state.rows_as_dicts(self.id)}

    @staticmethod
    def _as_text(record: dict) -> dict:
        return {title: legacy_text(value) for title, value in record.items()}

    def _add(self, rows: list[dict]) -> None:
        body = [
            {
                "toBottom": True,
                "cells": [{"columnId": self.column_ids[title], "value": value} for title, value in row.items()],
            }
            for row in rows
        ]
        self.state.add_rows(self.id, body)

    def rows(self) -> dict[int, dict]:
        return {row["id"]: row["cells"] for row in self.state.rows_as_dicts(self.id)}


@pytest.fixture
def bind_records(bind_emulator) -> list[dict]:
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=2, sleep=lambda _: None) as client:
        batch = invoice_batch(client.invoices())
    records = batch.records
    assert len(records) >= 20, "the demo data should hold enough stamped invoices"
    return records


@pytest.fixture
def gateway(smartsheet_emulator) -> SheetGateway:
    return SheetGateway.connect(
        smartsheet_emulator.token, smartsheet_emulator.url, timeout=10, max_retry_time=FixedBackoff(), retry_delay=0.01
    )


def test_old_middleware_rows_are_adopted_not_duplicated(smartsheet_emulator, bind_records, gateway):
    legacy = LegacySheet(smartsheet_emulator.state, bind_records)

    result = upsert_sheet(gateway, legacy.id, bind_records, INVOICE_MAPPING)

    rows = legacy.rows()
    uuids = Counter(cells["UUID"] for cells in rows.values() if cells["UUID"])
    assert [uuid for uuid, count in uuids.items() if count > 1] == []  # no duplicates
    assert set(uuids) == set(legacy.records) | {ORPHAN_UUID}
    assert len(rows) == len(legacy.before) + len(bind_records) - len(legacy.stale) - len(legacy.current)

    # matching rows keep their row ids and now hold Bind's values, typed
    for uuid in legacy.stale + legacy.current:
        cells = rows[legacy.row_id[uuid]]
        record = legacy.records[uuid]
        assert cells["Estado"] == record["Estado"]
        assert isinstance(cells["Total"], (int, float)) or uuid in legacy.current
        assert float(cells["Total"]) == pytest.approx(record["Total"])
    assert result.updated == len(legacy.stale)
    # rows whose text already said the right thing are left alone: no rewrite for "433097.6" vs 433097.6
    assert result.unchanged == len(legacy.current)
    assert all(isinstance(rows[legacy.row_id[u]]["Total"], str) for u in legacy.current)
    assert result.inserted == len(bind_records) - len(legacy.stale) - len(legacy.current)

    # keyless rows: untouched and reported
    for row_id in legacy.keyless_ids:
        assert rows[row_id] == legacy.before[row_id]
    assert sorted(result.rows_without_key) == sorted(legacy.keyless_ids)
    assert any("empty UUID" in warning for warning in result.warnings)
    # a sheet row Bind no longer lists is not the invoices sync's to delete
    assert rows[legacy.row_id[ORPHAN_UUID]] == legacy.before[legacy.row_id[ORPHAN_UUID]]
    assert result.failed == []


def test_a_second_sync_after_adoption_writes_nothing(smartsheet_emulator, bind_records, gateway):
    legacy = LegacySheet(smartsheet_emulator.state, bind_records)
    upsert_sheet(gateway, legacy.id, bind_records, INVOICE_MAPPING)
    version = smartsheet_emulator.state.sheet_version(legacy.id)

    again = upsert_sheet(gateway, legacy.id, bind_records, INVOICE_MAPPING)

    assert (again.inserted, again.updated) == (0, 0)
    assert again.unchanged == len(bind_records)
    assert again.writes == 0
    assert smartsheet_emulator.state.sheet_version(legacy.id) == version


def test_dry_run_of_an_adoption_reports_the_plan_and_writes_nothing(smartsheet_emulator, bind_records, gateway):
    legacy = LegacySheet(smartsheet_emulator.state, bind_records)
    version = smartsheet_emulator.state.sheet_version(legacy.id)

    plan = upsert_sheet(gateway, legacy.id, bind_records, INVOICE_MAPPING, dry_run=True)

    assert len(plan.plan.adds) == len(bind_records) - len(legacy.stale) - len(legacy.current)
    assert {u.row_id for u in plan.plan.updates} == {legacy.row_id[u] for u in legacy.stale}
    assert all(set(u.changes) <= {"Estado", "Total"} and "Total" in u.changes for u in plan.plan.updates)
    assert plan.plan.unchanged == len(legacy.current)
    assert smartsheet_emulator.state.sheet_version(legacy.id) == version
    assert legacy.rows() == legacy.before
    assert plan.writes == 0


def test_a_uuid_written_in_upper_case_is_adopted_too(smartsheet_emulator, bind_records, gateway):
    state = smartsheet_emulator.state
    sheet = state.create_sheet("Facturas Bind (a mano)", INVOICE_COLUMNS)
    column_ids = {c["title"]: c["id"] for c in sheet["columns"]}
    record = bind_records[0]
    state.add_rows(
        sheet["id"],
        [
            {
                "cells": [
                    {"columnId": column_ids["UUID"], "value": record["UUID"].upper()},
                    {"columnId": column_ids["Estado"], "value": "Vigente"},
                ]
            }
        ],
    )

    upsert_sheet(gateway, sheet["id"], [record], INVOICE_MAPPING)

    rows = state.rows_as_dicts(sheet["id"])
    assert len(rows) == 1
    assert rows[0]["cells"]["Estado"] == record["Estado"]
