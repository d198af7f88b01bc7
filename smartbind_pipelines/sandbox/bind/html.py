"""The emulated Bind as an HTML page a person can watch: its invoices and the business events it played.

``with_bind_pages(app, state, events)`` wraps the emulator's ASGI app: ``GET /_sandbox/view/invoices``
lists every invoice (newest first) and, above them, the business events the sandbox played (``events``
returns ``(time, text)`` pairs, newest last). The page reloads itself every few seconds. Outside auth,
never faulted, never in the request log.
"""

from __future__ import annotations

import html
from typing import Callable, Iterable

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from smartbind_pipelines.sandbox.smartsheet.html import page  # one look for both emulators' pages

VIEW = "/_sandbox/view"
INVOICES = f"{VIEW}/invoices"
MAX_INVOICES_SHOWN = 2000


def _money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def invoices_page(state, events: Iterable[tuple[str, str]], refresh_seconds: int) -> Response:
    invoices = sorted(state.list_invoices(), key=lambda i: (i["Date"] or "", i["Number"]), reverse=True)
    status_text = state.status_text
    played = list(events)[::-1]
    event_rows = "".join(
        f'<tr><td class="date">{html.escape(at)}</td><td>{html.escape(text)}</td></tr>' for at, text in played[:200]
    )
    rows = []
    for invoice in invoices[:MAX_INVOICES_SHOWN]:
        rows.append(
            f'<tr data-invoice-id="{html.escape(invoice["ID"])}"><td class="num">{invoice["Number"]}</td>'
            f'<td>{html.escape(invoice.get("Serie") or "")}</td><td class="date">{html.escape(str(invoice["Date"]))}</td>'
            f"<td>{html.escape(invoice.get('ClientName') or '')}</td><td>{html.escape(invoice.get('RFC') or '')}</td>"
            f'<td class="num">{_money(invoice.get("Total"))}</td><td class="num">{_money(invoice.get("Payments"))}</td>'
            f"<td>{html.escape(status_text.get(invoice.get('Status'), str(invoice.get('Status'))))}</td>"
            f"<td>{html.escape(invoice.get('UUID') or 'sin timbrar')}</td></tr>"
        )
    more = (
        f'<p class="meta">Showing the newest {MAX_INVOICES_SHOWN} of {len(invoices)} invoices.</p>'
        if len(invoices) > MAX_INVOICES_SHOWN
        else ""
    )
    body = (
        "<h1>Bind ERP emulator</h1>"
        f'<p class="meta"><span id="invoice-count">{len(invoices)}</span> invoices · '
        f"{len(played)} business events played · reloads every {refresh_seconds} s</p>"
        "<h2>Business events (newest first)</h2>"
        + (
            f'<table id="events"><thead><tr><th>When (Mexico City)</th><th>Event</th></tr></thead>'
            f"<tbody>{event_rows}</tbody></table>"
            if played
            else '<p class="meta" id="events">None yet (make dev plays one every SANDBOX_ACTIVITY_SECONDS).</p>'
        )
        + "<h2>Invoices (newest first)</h2>"
        '<table id="invoices"><thead><tr><th>Folio</th><th>Serie</th><th>Fecha</th><th>Cliente</th><th>RFC</th>'
        f"<th>Total</th><th>Pagado</th><th>Estatus</th><th>UUID</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        f"</table>{more}"
    )
    return page("Bind ERP emulator", body, refresh_seconds)


def with_bind_pages(
    app, state, events: Callable[[], Iterable[tuple[str, str]]] = lambda: (), *, refresh_seconds: int = 5
):
    """``app`` with the HTML page under /_sandbox/view in front of it (GET only; the rest goes to ``app``)."""

    def serve(path: str) -> Response:
        path = path.rstrip("/")
        if path == VIEW:
            return RedirectResponse(INVOICES)
        if path == INVOICES:
            return invoices_page(state, events(), refresh_seconds)
        return page("Not found", f"<h1>No sandbox page {html.escape(path)}</h1>", None, 404)

    async def wrapped(scope, receive, send):
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and (scope["path"] == VIEW or scope["path"].startswith(VIEW + "/"))
        ):
            response = await run_in_threadpool(serve, scope["path"])
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapped
