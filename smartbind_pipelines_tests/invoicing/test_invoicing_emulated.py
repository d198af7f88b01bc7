"""Invoicing from the sheet over real HTTP: the smartsheet SDK and our Bind client against the emulators.

Each exactly-once scenario ends with the issue's figures: rows marked, invoices in Bind, duplicates (0) and
rows left without an outcome (0).
"""

from __future__ import annotations

import threading

import pytest

from smartbind_pipelines.core.invoicing import columns as C
from smartbind_pipelines.core.invoicing.ledger import CREATED, POSTING

from .support import InvoicingBench, valid_row


@pytest.fixture
def bench(bind_emulator, smartsheet_emulator, tmp_path):
    return InvoicingBench(bind_emulator, smartsheet_emulator, tmp_path)


def test_a_valid_row_becomes_one_stamped_invoice_and_the_row_shows_it(bench):
    [row] = bench.add(valid_row())
    report = bench.run()
    cells = bench.rows()[row]
    [sale] = bench.sales_for(row)
    assert cells[C.ESTADO] == C.FACTURADO and cells[C.RESULTADO] == "Exitoso"
    assert cells[C.UUID] == sale["UUID"].lower() and cells[C.ID_BIND] == sale["ID"].lower()
    assert cells[C.FOLIO] and cells[C.FECHA] and cells[C.RECLAMO]
    assert [entry["row"] for entry in report.invoiced] == [row] and report.posts == 1
    assert bench.ledger.get(f"ss:{bench.sheet_id}:{row}").state == CREATED


def test_an_invalid_row_shows_the_error_in_spanish_naming_the_column_and_nothing_is_posted(bench):
    [bad, unknown, shared] = bench.add(
        valid_row(**{C.CANTIDAD: 0}), valid_row(**{C.RFC: "ZZZ010101AB1"}), valid_row(**{C.RFC: "GDN050505KL2"})
    )
    report = bench.run()
    rows = bench.rows()
    assert rows[bad][C.ESTADO] == C.ERROR and rows[bad][C.RESULTADO].startswith("Error: Cantidad: debe ser mayor que 0")
    assert "RFC: no hay ningún cliente en Bind con el RFC ZZZ010101AB1" in rows[unknown][C.RESULTADO]
    assert "RFC: 2 clientes en Bind tienen el RFC GDN050505KL2" in rows[shared][C.RESULTADO]
    assert report.posts == 0 and bench.bind_emulator.admin.counts().get("POST /api/Invoices", 0) == 0
    assert {entry["row"] for entry in report.refused} == {bad, unknown, shared}


def test_dry_run_reports_and_creates_nothing(bench):
    [good, bad] = bench.add(valid_row(), valid_row(**{C.USO_CFDI: "Z99"}))
    report = bench.run(dry_run=True)
    assert [entry["row"] for entry in report.would_invoice] == [good]
    assert [entry["row"] for entry in report.refused] == [bad]
    assert bench.sales_for(good) == [] and bench.rows()[good][C.ESTADO] == C.FACTURAR


def test_facturar_set_again_on_an_invoiced_row_never_invoices_it_again(bench):
    [row] = bench.add(valid_row())
    bench.run()
    uuid = bench.rows()[row][C.UUID]
    bench.set(row, **{C.ESTADO: C.FACTURAR})
    report = bench.run()
    # and again, with the outcome cells cleared by a person: the ledger still knows
    bench.set(row, **{C.ESTADO: C.FACTURAR, C.UUID: "", C.ID_BIND: ""})
    again = bench.run()
    cells = bench.rows()[row]
    assert report.posts == 0 and again.posts == 0
    assert cells[C.ESTADO] == C.FACTURADO and "ya fue facturada" in cells[C.RESULTADO]
    assert cells[C.UUID] == uuid
    assert bench.tally([row]) == {"rows": 1, "invoices": 1, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 1}


def test_the_posts_answer_lost_finds_the_sale_instead_of_posting_again(bench):
    rows = bench.add(*[valid_row() for _ in range(3)])
    bench.bind_emulator.admin.inject("drop_after", r"/api/Invoices$", method="POST", count=2)
    report = bench.run()
    assert report.posts == 3 and bench.bind_emulator.admin.counts()["POST /api/Invoices"] == 3
    assert bench.tally(rows) == {"rows": 3, "invoices": 3, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 3}


def test_a_5xx_on_the_post_is_not_retried_and_the_row_says_so_then_a_new_facturar_invoices_once(bench):
    [row] = bench.add(valid_row())
    bench.bind_emulator.admin.inject("server_error", r"/api/Invoices$", method="POST")
    report = bench.run()
    cells = bench.rows()[row]
    assert report.posts == 1 and bench.bind_emulator.admin.counts()["POST /api/Invoices"] == 1
    assert cells[C.ESTADO] == C.ERROR and "Bind no confirmó" in cells[C.RESULTADO] and report.alerts
    assert bench.ledger.get(f"ss:{bench.sheet_id}:{row}").state == POSTING  # the next attempt searches first
    bench.set(row, **{C.ESTADO: C.FACTURAR})
    # the earlier attempt is younger than the claim timeout: the row waits (no POST), then is taken over
    waiting = bench.run()
    assert waiting.posts == 0 and bench.rows()[row][C.ESTADO] == C.FACTURANDO
    _age_attempts(bench, minutes=20)
    bench.run()
    assert bench.tally([row]) == {"rows": 1, "invoices": 1, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 1}


def test_a_429_on_the_post_is_retried_because_bind_did_not_take_it(bench):
    [row] = bench.add(valid_row())
    bench.bind_emulator.admin.inject("rate_limit", r"/api/Invoices$", method="POST", retry_after=0)
    bench.run()
    assert bench.bind_emulator.admin.counts()["POST /api/Invoices"] == 2
    assert bench.tally([row]) == {"rows": 1, "invoices": 1, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 1}


def test_a_run_killed_after_the_post_is_finished_by_the_next_run_without_a_second_post(bench):
    rows = bench.add(*[valid_row() for _ in range(3)])

    def die_after_the_second(step, row_id):
        if step == "created" and row_id == rows[1]:
            raise SystemExit("killed between the POST and the write-back")

    with pytest.raises(SystemExit):
        bench.run(checkpoint=die_after_the_second)
    assert [bench.rows()[r][C.ESTADO] for r in rows] == [C.FACTURANDO] * 3
    # the ledger lost too (as if the run died before recording the id): the Bind lookup still finds it
    report = bench.run()
    assert report.posts == 1  # only the third row, never posted before
    assert bench.tally(rows) == {"rows": 3, "invoices": 3, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 3}


def test_a_run_killed_before_the_ledger_recorded_the_sale_is_found_in_bind(bench):
    [row] = bench.add(valid_row())
    # the POST reaches Bind, then the process dies before recording the id
    bench.bind_emulator.admin.inject("drop_after", r"/api/Invoices$", method="POST")

    class Killed(BaseException):
        pass

    invoicer = bench.invoicer()
    real_search, calls = invoicer._search, []

    def search_then_die(refs, attempts):
        calls.append(refs)
        if len(calls) == 2:  # the look-back after the lost answer: the process dies here
            raise Killed()
        return real_search(refs, attempts)

    invoicer._search = search_then_die
    with pytest.raises(Killed):
        invoicer.run()
    assert bench.rows()[row][C.ESTADO] == C.FACTURANDO
    report = bench.run()
    assert report.posts == 0
    assert bench.tally([row]) == {"rows": 1, "invoices": 1, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 1}


def test_a_write_back_refused_by_smartsheet_is_written_by_the_next_run(bench):
    rows = bench.add(valid_row(), valid_row())
    # the claim (first PUT) goes through; the outcome write (second PUT) is refused (403, a lost share)
    state = {"puts": 0}
    sheet = bench.sheet()
    real_update = sheet.update

    def refusing(updates):
        state["puts"] += 1
        if state["puts"] == 2:
            bench.ss.admin.inject(
                "custom",
                r"/rows$",
                method="PUT",
                status=403,
                body={"errorCode": 1004, "message": "You are not authorized to perform this action."},
            )
        return real_update(updates)

    invoicer = bench.invoicer()
    invoicer.sheet = sheet
    sheet.update = refusing
    report = invoicer.run()
    assert len(report.write_failures) == 2 and report.alerts
    assert [bench.rows()[r][C.ESTADO] for r in rows] == [C.FACTURANDO] * 2
    again = bench.run()
    assert again.posts == 0
    assert bench.tally(rows) == {"rows": 2, "invoices": 2, "duplicates": 0, "without_outcome": 0, "invoiced_rows": 2}


def test_the_same_rows_triggered_twice_at_once_are_invoiced_once(bench):
    rows = bench.add(*[valid_row() for _ in range(6)])
    bench.bind_emulator.admin.set_latency(30)  # widen the window in which the two passes overlap
    barrier = threading.Barrier(2)
    errors = []

    def one_pass(name):
        try:
            invoicer = bench.invoicer(claim=name)
            real_rows = invoicer.sheet.rows
            first = {"done": False}

            def rows_after_both_read(row_ids=None):
                found = real_rows(row_ids)
                if not first["done"]:
                    first["done"] = True
                    barrier.wait(timeout=20)  # both passes have read the sheet before either claims
                return found

            invoicer.sheet.rows = rows_after_both_read
            invoicer.run()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=one_pass, args=(name,)) for name in ("run-a", "run-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    bench.bind_emulator.admin.set_latency(0)
    assert not errors
    # rows the losing pass skipped stay "Facturando"/claimed by the winner or are finished; one more pass settles all
    _age_attempts(bench, minutes=0)
    bench.run()
    figures = bench.tally(rows)
    assert figures["duplicates"] == 0 and figures["without_outcome"] == 0 and figures["invoices"] == 6


def _age_attempts(bench, *, minutes: int) -> None:
    import sqlite3
    from datetime import timedelta

    from smartbind_pipelines.core.cdmx import iso_cdmx, now_cdmx

    with sqlite3.connect(bench.ledger.path) as conn:
        conn.execute(
            "UPDATE sheet_invoices SET claimed_at = ? WHERE state = ?",
            (iso_cdmx(now_cdmx() - timedelta(minutes=minutes)), POSTING),
        )
    conn.close()
