"""Invoice mapping: each bad-record rule, Folio, Estado and the Mexico City calendar day."""

import pytest

from smartbind_pipelines.core.invoices import (
    DEFAULT_STATUS_LABELS,
    INVOICE_MAPPING,
    invoice_batch,
    parse_invoice_date,
)


def bind_invoice(n, **fields):
    base = {
        "ID": f"00000000-0000-4000-8000-{n:012d}",
        "Serie": "A",
        "Date": "2026-01-19T19:34:15.903",
        "Number": 1000 + n,
        "UUID": f"65491c47-0000-4000-8000-{n:012d}",
        "ClientName": "CLIENTE DEMO",
        "RFC": "XAXX010101000",
        "Total": 433097.6,
        "Status": 0,
        "Payments": 0.0,
    }
    return {**base, **fields}


def one(batch):
    assert len(batch.records) == 1, batch.skipped
    return batch.records[0]


def test_a_normal_invoice_maps_to_the_seven_columns():
    batch = invoice_batch([bind_invoice(1)])
    assert one(batch) == {
        "UUID": "65491c47-0000-4000-8000-000000000001",
        "Folio": "A-1001",
        "Fecha": "2026-01-19",
        "RFC Cliente": "XAXX010101000",
        "Nombre Cliente": "CLIENTE DEMO",
        "Total": 433097.6,
        "Estado": "Vigente",
    }
    assert batch.bind_ids == {"65491c47-0000-4000-8000-000000000001": "00000000-0000-4000-8000-000000000001"}
    assert batch.fetched == 1
    assert INVOICE_MAPPING.titles == tuple(batch.records[0])


@pytest.mark.parametrize("status, label", [(0, "Vigente"), (1, "Pagada"), (2, "Cancelada"), (2.0, "Cancelada")])
def test_estado_from_status(status, label):
    assert one(invoice_batch([bind_invoice(1, Status=status)]))["Estado"] == label


def test_status_labels_are_configurable():
    labels = {**DEFAULT_STATUS_LABELS, 3: "Parcial"}
    assert one(invoice_batch([bind_invoice(1, Status=3)], labels))["Estado"] == "Parcial"


@pytest.mark.parametrize("status", [7, None, "x", True])
def test_unknown_status_is_written_visibly_and_noted(status):
    batch = invoice_batch([bind_invoice(1, Status=status)])
    assert one(batch)["Estado"] == f"Desconocido ({status})"
    assert [note["field"] for note in batch.adjusted] == ["Estado"]


@pytest.mark.parametrize("uuid", [None, "", "   ", "00000000-0000-0000-0000-000000000000"])
def test_drafts_without_uuid_are_skipped_and_counted(uuid):
    batch = invoice_batch([bind_invoice(1, UUID=uuid), bind_invoice(2)])
    assert len(batch.records) == 1
    assert batch.skipped == [
        {
            "bind_id": "00000000-0000-4000-8000-000000000001",
            "number": 1001,
            "reason": "no UUID: an unstamped draft (not yet timbrada)",
        }
    ]


def test_malformed_uuid_is_skipped():
    batch = invoice_batch([bind_invoice(1, UUID="not-a-uuid' or 1 eq 1")])
    assert not batch.records and "not a GUID" in batch.skipped[0]["reason"]


def test_uuid_is_lowercased_so_the_key_is_stable():
    assert (
        one(invoice_batch([bind_invoice(1, UUID="65491C47-0000-4000-8000-0000000000AB")]))["UUID"]
        == "65491c47-0000-4000-8000-0000000000ab"
    )


@pytest.mark.parametrize("total", ["abc", None, "NaN", float("inf"), True, [1]])
def test_non_numeric_total_is_skipped_with_a_reason(total):
    batch = invoice_batch([bind_invoice(1, Total=total), bind_invoice(2)])
    assert len(batch.records) == 1
    assert "Total" in batch.skipped[0]["reason"]


@pytest.mark.parametrize("total, cents", [(433097.6, 433097.6), ("1500.005", 1500.01), (7, 7.0), (0.125, 0.13)])
def test_total_is_a_number_rounded_to_cents(total, cents):
    value = one(invoice_batch([bind_invoice(1, Total=total)]))["Total"]
    assert value == cents and isinstance(value, float)


def test_invoices_at_2359_and_0001_mexico_city_land_on_their_own_days():
    batch = invoice_batch([bind_invoice(1, Date="2026-03-09T23:59:00"), bind_invoice(2, Date="2026-03-10T00:01:00")])
    assert [r["Fecha"] for r in batch.records] == ["2026-03-09", "2026-03-10"]


def test_dates_with_an_offset_are_converted_to_the_mexico_city_day():
    # 03:00 UTC on the 10th is 21:00 on the 9th in Mexico City
    assert one(invoice_batch([bind_invoice(1, Date="2026-03-10T03:00:00Z")]))["Fecha"] == "2026-03-09"
    assert one(invoice_batch([bind_invoice(1, Date="2026-03-10T03:00:00+00:00")]))["Fecha"] == "2026-03-09"


@pytest.mark.parametrize(
    "text, day",
    [
        ("2026-01-19", "2026-01-19"),
        ("19/01/2026", "2026-01-19"),
        ("19/01/2026 23:59", "2026-01-19"),
        ("/Date(1768888800000)/", "2026-01-20"),  # 2026-01-20T06:00Z = 00:00 in Mexico City
    ],
)
def test_other_date_formats(text, day):
    assert parse_invoice_date(text).date().isoformat() == day


@pytest.mark.parametrize("text", ["ayer", "", None, "31/02/2026", "2026-13-01T00:00:00", 20260119])
def test_unparsable_dates_are_skipped(text):
    batch = invoice_batch([bind_invoice(1, Date=text), bind_invoice(2)])
    assert len(batch.records) == 1 and "Date" in batch.skipped[0]["reason"]


def test_null_client_name_is_written_empty_and_noted():
    batch = invoice_batch([bind_invoice(1, ClientName=None)])
    assert one(batch)["Nombre Cliente"] == ""
    assert batch.adjusted[0]["field"] == "Nombre Cliente"


def test_names_over_4000_characters_are_cut_as_smartsheet_would():
    batch = invoice_batch([bind_invoice(1, ClientName="N" * 5000)])
    assert one(batch)["Nombre Cliente"] == "N" * 4000
    assert "5,000 characters" in batch.adjusted[0]["rule"]


def test_duplicate_uuid_in_one_batch_keeps_the_first():
    uuid = "65491c47-0000-4000-8000-000000000001"
    batch = invoice_batch([bind_invoice(1, Total=1), bind_invoice(2, UUID=uuid, Total=2), bind_invoice(3)])
    assert [r["Total"] for r in batch.records] == [1.0, 433097.6]
    assert "duplicate UUID" in batch.skipped[0]["reason"]
    assert batch.skipped[0]["bind_id"] == "00000000-0000-4000-8000-000000000002"


@pytest.mark.parametrize(
    "serie, number, folio",
    [
        ("A", 123, "A-123"),
        ("F-", 123, "F-123"),
        ("AWAFAC -", 20260159, "AWAFAC -20260159"),
        ("", 123, "123"),
        (None, 123, "123"),
        (" B ", 5, "B-5"),
    ],
)
def test_folio_from_serie_and_number(serie, number, folio):
    assert one(invoice_batch([bind_invoice(1, Serie=serie, Number=number)]))["Folio"] == folio


def test_missing_number_keeps_the_serie_and_is_noted():
    batch = invoice_batch([bind_invoice(1, Number=None)])
    assert one(batch)["Folio"] == "A" and batch.adjusted[0]["field"] == "Folio"


def test_bad_records_never_lose_the_rest():
    raw = [
        bind_invoice(1, UUID=None),
        "garbage",
        bind_invoice(2, Total="x"),
        bind_invoice(3, Date="nope"),
        bind_invoice(4, ClientName=None, Status=9),
        bind_invoice(5),
    ]
    batch = invoice_batch(raw)
    assert len(batch.skipped) == 4
    assert [r["UUID"][-1] for r in batch.records] == ["4", "5"]


def test_an_empty_batch_has_the_columns():
    batch = invoice_batch([])
    assert batch.records == [] and batch.bind_ids == {}
