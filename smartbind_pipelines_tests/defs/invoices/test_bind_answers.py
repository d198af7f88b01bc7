"""sync_invoices when Bind answers something that is not a page, or pages that never end (issue 14).

Real Bind client and smartsheet SDK over HTTP against the emulators, the real job, a real instance.
"""

import uuid
from datetime import datetime, timedelta

import pytest

from smartbind_pipelines.core.cdmx import CDMX, format_bind_datetime
from smartbind_pipelines.defs.invoices.process import INVOICES
from smartbind_pipelines.defs.invoices.watermark import read_sync_state

from .harness import failure_text, metadata

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=CDMX)
ATTEMPTS = 6  # the harness's BindResource.max_attempts
INVOICES_LIST = "/api/Invoices$"


def add(sync, at: datetime, **fields) -> dict:
    fields.setdefault("UUID", str(uuid.uuid4()))
    return sync.bind.state.add_invoice(Date=format_bind_datetime(at), **fields)


def watermark(sync):
    return read_sync_state(sync.instance, INVOICES.sheet_key).watermark


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
    empty_sync.bind.admin.inject("custom", INVOICES_LIST, method="GET", count=1, status=200,
                                 body={"Message": "An error has occurred."})
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
