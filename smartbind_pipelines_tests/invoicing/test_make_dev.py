"""Issue 17's "Done when", in `make dev` itself (scripts/dev.sh, as smartbind_pipelines_tests/browser/dev_stack.py
starts it): the sandbox's invoicing sheet, the process active there, the sensor path from "Facturar" to the row.

An operator sets Estado "Facturar" on a valid demo row and on the demo row with Cantidad 0, through the
Smartsheet API with the real SDK; the daemon's sensor starts a run; the valid row gets its UUID and exactly one
invoice exists in the emulated Bind; the invalid row shows the error naming the column, and nothing is posted.
Slow (a whole stack): run with ``-m slow``.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.reference import carries, row_reference
from smartbind_pipelines.core.process_config import ProcessConfigStore
from smartbind_pipelines.core.processes import INVOICE_FROM_SHEET
from smartbind_pipelines_tests.browser.dev_stack import start_dev_stack
from smartbind_pipelines_tests.invoicing.support import SdkSheet

pytestmark = pytest.mark.slow

OUTCOME_WAIT_SECONDS = 180  # a bound for a busy 2-core machine, not a speed claim (measured: docs/benchmarks.md)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = start_dev_stack(tmp_path_factory.mktemp("dev_invoicing_home"))
    try:
        yield stack
    finally:
        survivors = stack.stop()
        assert not survivors, f"processes of make dev survived: {survivors}"


def test_facturar_on_a_sandbox_row_in_make_dev_gives_one_invoice_and_the_uuid_and_an_invalid_row_its_error(stack):
    env = stack.sandbox_env
    config = ProcessConfigStore(stack.process_config_db, env=env).get(INVOICE_FROM_SHEET.job_id)
    assert (config.is_active, config.sync_direction, config.smartsheet_sheet_id) == (
        True,
        "push",
        env["SMARTSHEET_INVOICING_SHEET_ID"],
    )  # active in the sandbox (paused in production)
    sheet = SdkSheet(env)
    rows = sheet.rows()
    assert [cells[C.ESTADO] for cells in rows.values()] == [C.PENDIENTE] * len(rows) and len(rows) >= 3
    valid = next(row_id for row_id, cells in rows.items() if cells[C.CANTIDAD] > 0)
    invalid = next(row_id for row_id, cells in rows.items() if cells[C.CANTIDAD] == 0)
    posts_before = stack.bind_admin.counts().get("POST /api/Invoices", 0)

    sheet.mark(valid, invalid)
    marked = time.monotonic()
    done = stack.wait_until(
        lambda: (lambda now: now if now[valid].get(C.UUID) and now[invalid].get(C.ESTADO) == C.ERROR else None)(
            sheet.rows()
        ),
        "the sensor's run to write the UUID and the error back",
        timeout=OUTCOME_WAIT_SECONDS,
        every=1.0,
    )
    print(f"Facturar -> UUID on the row: {time.monotonic() - marked:.1f} s")

    assert done[valid][C.ESTADO] == C.FACTURADO and done[valid][C.FOLIO]
    reference = row_reference(sheet.sheet_id, valid)
    with BindClient(env["BIND_API_BASE_URL"], env["BIND_API_KEY"]) as bind:
        found = bind.invoices_carrying(
            datetime(2000, 1, 1, tzinfo=CDMX),
            lambda invoice: carries(invoice, reference, ("Comments", "PurchaseOrder")),
        )
        assert [invoice["UUID"] for invoice in found] == [done[valid][C.UUID]]  # exactly one, the row's
        assert (
            bind.invoices_carrying(
                datetime(2000, 1, 1, tzinfo=CDMX),
                lambda invoice: carries(invoice, row_reference(sheet.sheet_id, invalid), ("Comments", "PurchaseOrder")),
            )
            == []
        )
    assert stack.bind_admin.counts().get("POST /api/Invoices", 0) == posts_before + 1

    assert done[invalid][C.ESTADO] == C.ERROR and "Cantidad" in done[invalid][C.RESULTADO]
    assert any("Cantidad" in text for text in sheet.comments(invalid))
