"""The Bind emulator's HTML page (sandbox/bind/html.py): every invoice and played event on one page, in the
look the Smartsheet emulator's pages share (sandbox/smartsheet/html.py)."""

from __future__ import annotations

from datetime import datetime

from smartbind_pipelines.sandbox.bind import BindState
from smartbind_pipelines.sandbox.bind.html import invoices_page
from smartbind_pipelines.sandbox.smartsheet.html import STYLE


def test_the_invoices_page_lists_every_invoice_and_event_in_the_shared_look():
    state = BindState.demo(seed=7, now=datetime(2026, 3, 2, 12, 0))
    invoices = state.list_invoices()
    response = invoices_page(state, [("2026-03-02 11:59", "Factura 7 timbrada")], refresh_seconds=5)
    text = response.body.decode()
    assert response.status_code == 200 and response.media_type == "text/html"
    assert text.startswith("<!doctype html>") and f"<style>{STYLE}</style>" in text
    assert '<meta http-equiv="refresh" content="5">' in text and "<title>Bind ERP emulator</title>" in text
    assert f'<span id="invoice-count">{len(invoices)}</span>' in text and "Factura 7 timbrada" in text
    assert all(f'data-invoice-id="{invoice["ID"]}"' in text for invoice in invoices)
