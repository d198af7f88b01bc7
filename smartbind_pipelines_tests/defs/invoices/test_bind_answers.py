"""sync_invoices when Bind answers something that is not a page, or pages that never end (issue 14).

Real Bind client and smartsheet SDK over HTTP against the emulators, the real job, a real instance.
"""

import json
import uuid
from datetime import datetime, timedelta

import pytest

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime
from smartbind_pipelines.core.processes import INVOICES
from smartbind_pipelines.defs.asset_keys import sheet_key
from smartbind_pipelines.defs.invoices.sync_state import read_sync_state

from .harness import failure_text, metadata

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)
ATTEMPTS = 6  # the harness's BindResource.max_attempts
INVOICES_LIST = "/api/Invoices$"


def add(sync, at: datetime, **fields) -> dict:
    fields.setdefault("UUID", str(uuid.uuid4()))
    return sync.bind.state.add_invoice(Date=format_bind_datetime(at), **fields)


def watermark(sync):
    return read_sync_state(sync.instance, sheet_key(INVOICES)).watermark


NOT_A_PAGE = {
    "Message object": {"status": 200, "body": {"Message": "El servicio no está disponible por mantenimiento."}},
    "empty 200": {"status": 200},
    "204": {"status": 204},
}


@pytest.mark.parametrize("answer", NOT_A_PAGE.values(), ids=NOT_A_PAGE.keys())
def test_a_non_page_for_every_retry_fails_the_run_and_the_next_run_writes_the_invoice(empty_sync, answer):
    first = add(empty_sync, T0 - timedelta(minutes=30))
    assert empty_sync.run(T0).success and watermark(empty_sync) == T0

    # An invoice lands, then Bind answers the list route with something that is not a page, every attempt.
    missed = add(empty_sync, T0 + timedelta(minutes=5))
    empty_sync.bind.admin.inject("custom", INVOICES_LIST, method="GET", count=ATTEMPTS, **answer)
    failed = empty_sync.run(T0 + timedelta(hours=1))
    assert not failed.success
    message = failure_text(failed)
    assert "GET /Invoices" in message and "not a page" in message and f"{ATTEMPTS} attempts" in message
    assert empty_sync.bind.token not in message
    assert watermark(empty_sync) == T0  # the window is not skipped
    assert failed.asset_materializations_for_node("smartsheet_invoices") == []
    assert empty_sync.bind.admin.pending_faults() == []

    # Bind answers again: the next regular run re-reads from the old watermark and writes the invoice.
    later = empty_sync.run(T0 + timedelta(hours=2))
    assert later.success, failure_text(later)
    assert sorted(empty_sync.uuids()) == sorted([first["UUID"], missed["UUID"]])
    assert metadata(later, "bind_invoices")["window_start"] == (T0 - timedelta(minutes=10)).isoformat()
    assert watermark(empty_sync) == T0 + timedelta(hours=2)


def test_one_non_page_is_retried_and_the_run_completes(empty_sync):
    invoice = add(empty_sync, T0 - timedelta(minutes=5))
    empty_sync.bind.admin.inject(
        "custom", INVOICES_LIST, method="GET", count=1, status=200, body={"Message": "An error has occurred."}
    )
    result = empty_sync.run(T0)
    assert result.success, failure_text(result)
    assert empty_sync.uuids() == [invoice["UUID"]]
    assert metadata(result, "bind_invoices")["bind_requests_by_endpoint"]["GET /Invoices"] == 2


def test_a_next_link_that_never_ends_fails_the_run_after_the_announced_pages(empty_sync):
    for minutes in range(150):  # two pages' worth
        add(empty_sync, T0 - timedelta(minutes=200 - minutes))
    empty_sync.bind.admin.inject("endless_next_link", INVOICES_LIST, method="GET", count=1000)
    result = empty_sync.run(T0)
    assert not result.success
    message = failure_text(result)
    assert "150 rows" in message and "nextLink" in message
    assert empty_sync.rows() == [] and watermark(empty_sync) is None
    # 2 pages announced + the slack, never the thousand links offered
    assert sum(n for endpoint, n in empty_sync.bind.admin.counts().items() if "Invoices" in endpoint) == 4


# -- values no mapping expected (defect 3) and items that are not objects (defect 6) ----------------------


def served_page(rows: list[dict]) -> dict:
    return {"value": rows, "nextLink": None, "count": len(rows)}


@pytest.mark.parametrize(
    "total",
    [1e26, "1E+26", -1e30, "NaN", "Infinity", {"amount": 5}, [1], True],
    ids=["1e26", "'1E+26'", "-1e30", "'NaN'", "'Infinity'", "object", "array", "true"],
)
def test_a_total_no_sheet_can_hold_skips_its_invoice_by_name_and_the_rest_is_written(empty_sync, total):
    good = [add(empty_sync, T0 - timedelta(minutes=m)) for m in (50, 40)]
    bad = dict(add(empty_sync, T0 - timedelta(minutes=30)), Total=total)
    empty_sync.bind.admin.inject(
        "custom", INVOICES_LIST, method="GET", count=1, status=200, body=served_page([good[0], bad, good[1]])
    )
    result = empty_sync.run(T0)
    assert result.success, failure_text(result)
    assert sorted(empty_sync.uuids()) == sorted(invoice["UUID"] for invoice in good)
    skipped = str(metadata(result, "bind_invoices")["skipped_invoices"])
    assert bad["ID"] in skipped and "Total" in skipped
    assert watermark(empty_sync) == T0  # the regular sync is not blocked

    empty_sync.bind.state.update_invoice(bad["ID"], Subtotal=100)  # Bind corrects it: the reconcile writes it
    fixed = empty_sync.run(T0 + timedelta(minutes=5), job="reconcile_invoices")
    assert fixed.success, failure_text(fixed)
    assert bad["UUID"] in empty_sync.uuids()


def test_a_total_of_5000_digits_is_a_bad_record_not_an_answer_that_never_parses(empty_sync):
    good = add(empty_sync, T0 - timedelta(minutes=50))
    giant = dict(add(empty_sync, T0 - timedelta(minutes=20)), Total=0)
    # a 5,000-digit Total can only be sent as raw JSON: Python refuses to print such an int
    raw = json.dumps(served_page([good, giant])).replace('"Total": 0,', '"Total": ' + "9" * 5000 + ",", 1)
    assert raw.count("9" * 5000) == 1
    empty_sync.bind.admin.inject("custom", INVOICES_LIST, method="GET", count=1, status=200, raw=raw)
    result = empty_sync.run(T0)
    assert result.success, failure_text(result)
    assert empty_sync.uuids() == [good["UUID"]]
    skipped = str(metadata(result, "bind_invoices")["skipped_invoices"])
    assert giant["ID"] in skipped and "too large for a sheet number" in skipped
    assert metadata(result, "bind_invoices")["bind_requests_by_endpoint"]["GET /Invoices"] == 1


NOT_OBJECTS = ["oops", 42, None, [1, 2], True, 1e26]


def test_items_of_value_that_are_not_objects_are_skipped_with_their_reason_and_the_rest_synced(empty_sync):
    good = [add(empty_sync, T0 - timedelta(minutes=m)) for m in (50, 40, 30)]
    draft = add(empty_sync, T0 - timedelta(minutes=20), UUID=None)
    page = [good[0], *NOT_OBJECTS[:3], good[1], draft, *NOT_OBJECTS[3:], good[2]]
    empty_sync.bind.admin.inject("custom", INVOICES_LIST, method="GET", count=1, status=200, body=served_page(page))
    result = empty_sync.run(T0)
    assert result.success, failure_text(result)
    assert sorted(empty_sync.uuids()) == sorted(invoice["UUID"] for invoice in good)
    source = metadata(result, "bind_invoices")
    assert source["skipped"] == len(NOT_OBJECTS) + 1  # and the draft
    reasons = str(source["skipped_invoices"])
    assert reasons.count("not an invoice object") == len(NOT_OBJECTS)
    assert "'oops'" in reasons and "a JSON array" in reasons
    assert draft["ID"] in str(source["pending_draft_ids"])  # the draft next to them is still followed
    assert watermark(empty_sync) == T0
