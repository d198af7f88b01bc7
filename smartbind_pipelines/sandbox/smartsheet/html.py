"""The sandbox sheets as HTML pages a person can watch: an index, and each sheet as a table.

``with_sheet_pages(app, state)`` wraps the emulator's ASGI app: ``GET /_sandbox/view/sheets`` lists the
sheets, ``GET /_sandbox/view/sheets/{id}`` shows one (also reachable by the token at the end of its
permalink, which the sandbox runner points here). The pages reload themselves every few seconds, so a
sync filling the sheet can be watched. Outside auth, never faulted, never in the request log.
"""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError

VIEW = "/_sandbox/view"
SHEETS = f"{VIEW}/sheets"
MAX_ROWS_SHOWN = 5000
_SHEET_PAGE = re.compile(r"^/_sandbox/view/sheets/([A-Za-z0-9_-]+)$")

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1d2733; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; } .meta { color: #5b6776; margin-bottom: 1rem; }
table { border-collapse: collapse; font-size: .85rem; } th, td { border: 1px solid #d5dbe3; padding: .25rem .5rem; }
th { background: #eef2f7; position: sticky; top: 0; text-align: left; } th small { color: #5b6776; font-weight: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.date { white-space: nowrap; }
td.check { text-align: center; } td.empty { background: #fafbfc; } th.primary { background: #dfe8f5; }
tr:nth-child(even) td { background-color: #f8fafc; } a { color: #1f5fbf; }
"""


def page(title: str, body: str, refresh_seconds: int | None, status: int = 200) -> HTMLResponse:
    """A whole page in the sandbox's one look (both emulators' pages), refreshed every ``refresh_seconds`` if set."""
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    return HTMLResponse(
        f'<!doctype html><html lang="es"><head><meta charset="utf-8">{refresh}<title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>",
        status_code=status,
    )


def cell_html(column: dict, cell: dict | None) -> str:
    """One ``<td>``, styled by the column's type: numbers right-aligned, dates unbroken, checkboxes ✔/☐."""
    value = None if cell is None else cell.get("value")
    shown = None if cell is None else cell.get("displayValue", value)
    kind = column.get("type")
    if kind == "CHECKBOX":
        return f'<td class="check" data-value="{str(bool(value)).lower()}">{"✔" if value else "☐"}</td>'
    if value is None or value == "":
        return '<td class="empty"></td>'
    css = (
        "num"
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else ("date" if kind in ("DATE", "DATETIME", "ABSTRACT_DATETIME") else "text")
    )
    return f'<td class="{css}">{html.escape(str(shown if shown is not None else value))}</td>'


def sheet_table(sheet: dict, *, limit: int = MAX_ROWS_SHOWN) -> str:
    columns = sheet["columns"]
    head = "".join(
        f"<th{' class=primary' if column.get('primary') else ''}>{html.escape(column['title'])}"
        f"<br><small>{html.escape(str(column.get('type', '')))}</small></th>"
        for column in columns
    )
    rows = []
    for row in sheet["rows"][:limit]:
        by_column = {cell["columnId"]: cell for cell in row.get("cells", [])}
        cells = "".join(cell_html(column, by_column.get(column["id"])) for column in columns)
        rows.append(f'<tr data-row-id="{row["id"]}"><td class="num">{row["rowNumber"]}</td>{cells}</tr>')
    more = (
        f'<p class="meta">Showing the first {limit} of {sheet["totalRowCount"]} rows.</p>'
        if sheet["totalRowCount"] > limit
        else ""
    )
    return (
        f'<table id="sheet" data-sheet-id="{sheet["id"]}" data-rows="{sheet["totalRowCount"]}">'
        f"<thead><tr><th>#</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"
    )


class SheetPages:
    def __init__(self, state, refresh_seconds: int = 5):
        self.state = state
        self.refresh_seconds = refresh_seconds

    def find(self, key: str) -> int | None:
        """A sheet id from a page path: the id itself, or the token that ends the sheet's permalink."""
        if key.isdigit() and int(key) in self.state.sheets:
            return int(key)
        for sheet in list(self.state.sheets.values()):
            if sheet.permalink.rstrip("/").rsplit("/", 1)[-1] == key:
                return sheet.id
        return None

    def index(self) -> Response:
        items = []
        for summary in self.state.list_sheets(with_version=True):
            rows = len(self.state.sheet(summary["id"]).rows)
            items.append(
                f'<tr><td><a href="{SHEETS}/{summary["id"]}">{html.escape(summary["name"])}</a></td>'
                f'<td class="num">{summary["id"]}</td><td class="num">{rows}</td>'
                f'<td class="num">{summary["version"]}</td><td class="date">{summary["modifiedAt"]}</td></tr>'
            )
        body = (
            "<h1>Smartsheet emulator: sheets</h1>"
            f'<p class="meta">{len(items)} sheets; this page reloads every {self.refresh_seconds} s.</p>'
            '<table id="sheets"><thead><tr><th>Sheet</th><th>Id</th><th>Rows</th><th>Version</th>'
            f"<th>Modified (UTC)</th></tr></thead><tbody>{''.join(items)}</tbody></table>"
        )
        return page("Sandbox sheets", body, self.refresh_seconds)

    def sheet(self, key: str) -> Response:
        sheet_id = self.find(key)
        if sheet_id is None:
            return page(
                "Sheet not found",
                f'<h1>No sheet {html.escape(key)}</h1><p><a href="{SHEETS}">All sheets</a></p>',
                None,
                404,
            )
        try:
            sheet: dict[str, Any] = self.state.get_sheet(sheet_id)
        except SmartsheetError:  # deleted since it was found
            return page("Sheet not found", f"<h1>No sheet {sheet_id}</h1>", None, 404)
        body = (
            f'<p><a href="{SHEETS}">All sheets</a></p><h1>{html.escape(sheet["name"])}</h1>'
            f'<p class="meta">Sheet {sheet["id"]} · <span id="row-count">{sheet["totalRowCount"]}</span> rows · '
            f"version {sheet['version']} · modified {sheet['modifiedAt']} (UTC) · "
            f"reloads every {self.refresh_seconds} s</p>{sheet_table(sheet)}"
        )
        return page(sheet["name"], body, self.refresh_seconds)

    def __call__(self, path: str) -> Response:
        path = path.rstrip("/")
        if path in (VIEW, SHEETS):
            return self.index() if path == SHEETS else RedirectResponse(SHEETS)
        match = _SHEET_PAGE.match(path)
        if match:
            return self.sheet(match.group(1))
        return page("Not found", f"<h1>No sandbox page {html.escape(path)}</h1>", None, 404)


def with_sheet_pages(app, state, *, refresh_seconds: int = 5):
    """``app`` with the HTML pages under /_sandbox/view in front of it (GET only; the rest goes to ``app``)."""
    pages = SheetPages(state, refresh_seconds)

    async def wrapped(scope, receive, send):
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and (scope["path"] == VIEW or scope["path"].startswith(VIEW + "/"))
        ):
            request = Request(scope, receive)
            response = await run_in_threadpool(pages, request.url.path)
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    wrapped.pages = pages  # type: ignore[attr-defined]
    return wrapped
