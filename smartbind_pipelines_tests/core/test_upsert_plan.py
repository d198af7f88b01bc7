"""plan_upsert: pure decisions of what to add, update (changed cells only), leave or retire."""

import pytest

from smartbind_pipelines.core.sheets import (
    ColumnSpec,
    ExistingRow,
    SheetMapping,
    StalePolicy,
    cell_value,
    comparable,
    plan_upsert,
)
from smartbind_pipelines.core.sheets.plan import columns_to_read

MAPPING = SheetMapping(
    key=("UUID",),
    columns=(
        ColumnSpec("UUID", "text"),
        ColumnSpec("Fecha", "date"),
        ColumnSpec("Nombre", "text"),
        ColumnSpec("Total", "number"),
        ColumnSpec("Estado", "text"),
    ),
)
INVENTORY = SheetMapping(
    key=("ID Producto", "Almacén"),
    columns=(
        ColumnSpec("ID Producto", "text"),
        ColumnSpec("Almacén", "text"),
        ColumnSpec("Existencias", "number"),
    ),
)


def record(uuid, **cells):
    base = {"UUID": uuid, "Fecha": "2026-01-19", "Nombre": "ACME", "Total": 100.5, "Estado": "Vigente"}
    return {**base, **cells}


def row(row_id, uuid, **cells):
    return ExistingRow(row_id, record(uuid, **cells))


def test_new_records_are_added_whole_and_typed():
    plan = plan_upsert([record("a", Total=10, Nombre=None)], [], MAPPING)
    assert plan.adds == [{"UUID": "a", "Fecha": "2026-01-19", "Nombre": "", "Total": 10, "Estado": "Vigente"}]
    assert plan.updates == [] and plan.unchanged == 0


def test_update_sends_only_changed_cells_and_remembers_before():
    plan = plan_upsert([record("a", Estado="Pagada")], [row(11, "a")], MAPPING)
    assert len(plan.updates) == 1
    update = plan.updates[0]
    assert (update.row_id, update.key, update.changes, update.before) == (
        11,
        ("a",),
        {"Estado": "Pagada"},
        {"Estado": "Vigente"},
    )
    assert plan.adds == [] and plan.unchanged == 0


def test_unchanged_rows_are_counted_not_written():
    plan = plan_upsert([record("a"), record("b")], [row(1, "a"), row(2, "b")], MAPPING)
    assert (plan.unchanged, plan.adds, plan.updates, plan.writes) == (2, [], [], 0)


@pytest.mark.parametrize(
    "sent, stored",
    [
        ({"Total": 1}, {"Total": 1.0}),
        ({"Total": 100.5}, {"Total": 100.50000000001}),
        ({"Total": 0.1 + 0.2}, {"Total": 0.3}),
        ({"Total": 12.3449}, {"Total": 12.34}),
        ({"Nombre": ""}, {"Nombre": None}),
        ({"Nombre": None}, {}),
        ({"Nombre": "x" * 5000}, {"Nombre": "x" * 4000}),
        ({"Fecha": "2026-01-19"}, {"Fecha": "2026-01-19"}),
        ({"Estado": "123"}, {"Estado": 123}),
        ({"Estado": "123"}, {"Estado": 123.0}),
    ],
)
def test_values_are_normalised_before_comparing(sent, stored):
    existing = ExistingRow(1, {**record("a"), **stored})
    if not stored:  # a cell missing from the read (empty cells are excluded)
        existing = ExistingRow(1, {k: v for k, v in record("a").items() if k not in sent})
    plan = plan_upsert([record("a", **sent)], [existing], MAPPING)
    assert plan.updates == [] and plan.unchanged == 1


@pytest.mark.parametrize(
    "sent, stored",
    [
        ({"Total": 100.51}, {"Total": 100.5}),
        ({"Nombre": ""}, {"Nombre": "ACME"}),
        ({"Fecha": "2026-01-20"}, {"Fecha": "2026-01-19"}),
        ({"Total": 5}, {"Total": "five"}),
    ],
)
def test_real_differences_are_updates(sent, stored):
    plan = plan_upsert([record("a", **sent)], [ExistingRow(1, {**record("a"), **stored})], MAPPING)
    assert [list(update.changes) for update in plan.updates] == [list(sent)]


def test_clearing_a_cell_sends_an_empty_string_never_none():
    plan = plan_upsert([record("a", Nombre=None)], [row(1, "a")], MAPPING)
    assert plan.updates[0].changes == {"Nombre": ""}


def test_a_column_the_record_does_not_carry_is_left_alone():
    partial = {"UUID": "a", "Estado": "Pagada"}
    plan = plan_upsert([partial], [row(1, "a", Nombre="typed by a user")], MAPPING)
    assert plan.updates[0].changes == {"Estado": "Pagada"}
    assert columns_to_read(MAPPING, [partial]) == ("UUID", "Estado")


def test_keys_already_duplicated_in_the_sheet_are_reported_and_only_the_first_updated():
    existing = [row(1, "a"), row(2, "b"), row(3, "a"), row(4, "a")]
    plan = plan_upsert([record("a", Estado="Pagada")], existing, MAPPING)
    assert plan.duplicate_sheet_keys == {("a",): [1, 3, 4]}
    assert [update.row_id for update in plan.updates] == [1]
    assert plan.adds == []


def test_duplicate_source_keys_are_reported_and_the_first_record_wins():
    plan = plan_upsert([record("a", Total=1), record("a", Total=2), record("a", Total=3)], [], MAPPING)
    assert plan.duplicate_source_keys == [("a",)]
    assert [add["Total"] for add in plan.adds] == [1]


def test_rows_without_key_are_reported_and_never_matched():
    existing = [ExistingRow(5, {"UUID": None, "Estado": "x"}), ExistingRow(6, {"UUID": "  "}), row(7, "a")]
    plan = plan_upsert([record("a")], existing, MAPPING)
    assert plan.rows_without_key == [5, 6]
    assert plan.unchanged == 1


def test_keys_match_despite_surrounding_spaces():
    plan = plan_upsert([record("a")], [row(1, " a ")], MAPPING)
    assert plan.adds == [] and plan.unchanged == 1


def test_records_without_key_and_untypable_values_are_reported_not_raised():
    plan = plan_upsert([record(None), record("b", Total="abc"), record("c")], [row(9, "b")], MAPPING)
    assert plan.records_without_key == [0]
    assert plan.invalid_records[0][0] == ("b",) and "'Total'" in plan.invalid_records[0][1]
    assert [add["UUID"] for add in plan.adds] == ["c"]


def test_composite_keys():
    existing = [
        ExistingRow(1, {"ID Producto": "p1", "Almacén": "Central", "Existencias": 5}),
        ExistingRow(2, {"ID Producto": "p1", "Almacén": "Norte", "Existencias": 7}),
    ]
    records = [
        {"ID Producto": "p1", "Almacén": "Norte", "Existencias": 8},
        {"ID Producto": "p2", "Almacén": "Norte", "Existencias": 1},
    ]
    plan = plan_upsert(records, existing, INVENTORY)
    assert [(u.row_id, u.changes) for u in plan.updates] == [(2, {"Existencias": 8})]
    assert plan.adds == [records[1]]


def _stock_rows():
    return [
        ExistingRow(1, {"ID Producto": "p1", "Almacén": "Central", "Existencias": 5}),
        ExistingRow(2, {"ID Producto": "p2", "Almacén": "Central", "Existencias": 3}),
        ExistingRow(3, {"ID Producto": "p3", "Almacén": "Central", "Existencias": 0}),
        ExistingRow(4, {"ID Producto": "p9", "Almacén": "Norte", "Existencias": 2}),
    ]


def test_stale_rows_in_scope_are_zeroed():
    stale = StalePolicy("zero", {"Existencias": 0}, scope={"Almacén": {"Central"}})
    plan = plan_upsert(
        [{"ID Producto": "p1", "Almacén": "Central", "Existencias": 5}], _stock_rows(), INVENTORY, stale=stale
    )
    # p2 leaves stock -> 0; p3 is already 0 (no write); p9 belongs to another warehouse (untouched)
    assert [(u.row_id, u.changes, u.stale) for u in plan.updates] == [(2, {"Existencias": 0}, True)]
    assert plan.unchanged == 1 and plan.deletes == []


def test_stale_rows_in_scope_are_deleted_when_asked():
    stale = StalePolicy("delete", scope={"Almacén": ["Central"]})
    plan = plan_upsert(
        [{"ID Producto": "p1", "Almacén": "Central", "Existencias": 5}], _stock_rows(), INVENTORY, stale=stale
    )
    assert plan.deletes == [2, 3] and plan.updates == []


def test_stale_without_scope_covers_the_whole_sheet_and_every_copy_of_a_key():
    rows = _stock_rows() + [ExistingRow(5, {"ID Producto": "p9", "Almacén": "Norte", "Existencias": 4})]
    plan = plan_upsert([], rows, INVENTORY, stale=StalePolicy("delete"))
    assert sorted(plan.deletes) == [1, 2, 3, 4, 5]


def test_no_stale_policy_never_retires_rows():
    plan = plan_upsert([], _stock_rows(), INVENTORY)
    assert plan.updates == [] and plan.deletes == []


def test_stale_policy_validation():
    with pytest.raises(ValueError):
        StalePolicy("zero")
    with pytest.raises(ValueError):
        StalePolicy("archive", {"Existencias": 0})


def test_mapping_validation():
    with pytest.raises(ValueError, match="key"):
        SheetMapping(key=("Nope",), columns=(ColumnSpec("UUID"),))
    with pytest.raises(ValueError, match="kind"):
        ColumnSpec("Total", "money")


@pytest.mark.parametrize(
    "value, column, expected",
    [
        (None, ColumnSpec("t"), ""),
        (float("nan"), ColumnSpec("n", "number"), ""),
        (10.0, ColumnSpec("n", "number"), 10),
        (10.456, ColumnSpec("n", "number"), 10.46),
        ("1,234.5", ColumnSpec("n", "number"), 1234.5),
        (__import__("datetime").date(2026, 1, 19), ColumnSpec("d", "date"), "2026-01-19"),
        ("2026-01-19T23:59:00", ColumnSpec("d", "date"), "2026-01-19"),
        (12.0, ColumnSpec("t"), "12"),
    ],
)
def test_cell_values_are_typed_for_the_sdk(value, column, expected):
    typed = cell_value(value, column)
    assert typed == expected and type(typed) is type(expected)


def test_comparable_treats_empty_forms_alike():
    column = ColumnSpec("t")
    assert comparable("", column) is comparable(None, column) is comparable(float("nan"), column) is None
