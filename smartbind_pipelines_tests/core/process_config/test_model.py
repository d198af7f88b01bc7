"""Validation rules, as pure functions (no database)."""

from __future__ import annotations

import pytest

from smartbind_pipelines.core.process_config import ConfigValidationError, ProcessConfig
from smartbind_pipelines.core.process_config.model import apply_changes, validate_changes, validate_new_process
from smartbind_pipelines_tests.core.process_config.cases import BAD_API_BODIES, WH_A, WH_B

CURRENT = ProcessConfig(job_id="sync_invoices", name="Facturas", smartsheet_sheet_id="4956740131966852")


@pytest.mark.parametrize("field, changes", BAD_API_BODIES, ids=[f"{f}-{c}" for f, c in BAD_API_BODIES])
def test_every_bad_value_is_refused_naming_its_field(field, changes):
    with pytest.raises(ConfigValidationError) as refused:
        apply_changes(CURRENT, changes)
    assert refused.value.field == field
    assert field in str(refused.value)


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"interval_minutes": 1}, {"interval_minutes": 1}),
        ({"interval_minutes": 1440}, {"interval_minutes": 1440}),
        ({"smartsheet_sheet_id": ""}, {"smartsheet_sheet_id": ""}),
        ({"smartsheet_sheet_id": " 123 "}, {"smartsheet_sheet_id": "123"}),
        ({"smartsheet_sheet_id": 8765}, {"smartsheet_sheet_id": "8765"}),
        ({"name": "  Facturas CDMX "}, {"name": "Facturas CDMX"}),
        ({"is_active": False}, {"is_active": False}),
        ({"sync_direction": "bidirectional"}, {"sync_direction": "bidirectional"}),
        (
            {"source_system": "smartsheet", "target_system": "bind"},
            {"source_system": "smartsheet", "target_system": "bind"},
        ),
        ({"fields_mapping": {"warehouse_ids": [WH_A, WH_B]}}, {"fields_mapping": {"warehouse_ids": [WH_A, WH_B]}}),
    ],
)
def test_good_values_are_normalised(changes, expected):
    updated, effective = apply_changes(CURRENT, changes)
    assert effective == expected
    for name, value in expected.items():
        assert getattr(updated, name) == value


def test_unchanged_values_are_not_reported_as_changes():
    _, effective = apply_changes(CURRENT, {"name": "Facturas", "interval_minutes": 9})
    assert effective == {"interval_minutes": 9}


def test_changes_must_be_a_mapping():
    with pytest.raises(ConfigValidationError):
        validate_changes([("interval_minutes", 5)])


def test_sheet_id_int():
    assert CURRENT.sheet_id_int == 4956740131966852
    assert ProcessConfig(job_id="x", name="x").sheet_id_int is None


def test_a_new_process_needs_a_job_id():
    with pytest.raises(ConfigValidationError) as refused:
        validate_new_process({"name": "no id"})
    assert refused.value.field == "job_id"
