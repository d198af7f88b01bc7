"""Change detection, row comments and webhooks on the Smartsheet emulator (contract smartsheet-events.md), through
the real smartsheet SDK: ``Sheets.get_sheet(rows_modified_since=...)``, ``Discussions``, ``Webhooks`` with a
loopback receiver (webhooks.py, webhook_events.py, discussions.py and the state's mixins)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time

import pytest
import requests
from smartsheet.exceptions import ApiError
from smartsheet.models import Cell, Comment, Discussion, Row, Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smartbind_pipelines.sandbox.server import BackgroundServer
from smartbind_pipelines.sandbox.smartsheet.testing import sdk_client

COLUMNS = [
    {"title": "RFC", "type": "TEXT_NUMBER", "primary": True},
    {"title": "Concepto", "type": "TEXT_NUMBER"},
    {"title": "Estado", "type": "PICKLIST", "options": ["Pendiente", "Facturar", "Facturando", "Facturado", "Error"]},
    {"title": "UUID", "type": "TEXT_NUMBER"},
]
OLD = "2020-01-01T00:00:00Z"


@pytest.fixture
def client(smartsheet_emulator):
    return sdk_client(smartsheet_emulator.url, smartsheet_emulator.token, max_attempts=1)


@pytest.fixture
def sheet(smartsheet_emulator, client):
    created = smartsheet_emulator.state.create_sheet("Solicitudes de factura", COLUMNS)
    col = {c["title"]: c["id"] for c in created["columns"]}
    rows = [
        Row(
            {
                "to_bottom": True,
                "cells": [
                    Cell({"column_id": col["RFC"], "value": f"AAA01010{n}AA1"}),
                    Cell({"column_id": col["Estado"], "value": "Pendiente"}),
                ],
            }
        )
        for n in range(3)
    ]
    added = client.Sheets.add_rows(created["id"], rows).result
    return {"id": created["id"], "col": col, "rows": [row.id for row in added]}


def back_date_all(emulator, sheet, stamp: str = OLD) -> None:
    for row_id in sheet["rows"]:
        emulator.admin._call("PATCH", f"sheets/{sheet['id']}/rows/{row_id}", {"modifiedAt": stamp})


def set_estado(client, sheet, row_id: int, value: str):
    return client.Sheets.update_rows(
        sheet["id"], [Row({"id": row_id, "cells": [Cell({"column_id": sheet["col"]["Estado"], "value": value})]})]
    )


# --- rowsModifiedSince ----------------------------------------------------------------------------


def test_rows_modified_since_returns_only_rows_changed_after_the_cursor(smartsheet_emulator, client, sheet):
    back_date_all(smartsheet_emulator, sheet)
    cursor = "2024-06-01T00:00:00Z"
    assert list(client.Sheets.get_sheet(sheet["id"], rows_modified_since=cursor).rows) == []

    set_estado(client, sheet, sheet["rows"][1], "Facturar")
    changed = client.Sheets.get_sheet(sheet["id"], rows_modified_since=cursor)
    assert [row.id for row in changed.rows] == [sheet["rows"][1]]
    assert changed.total_row_count == 3  # counts every row, not the filtered ones
    [row] = changed.rows
    assert row.modified_at > dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)
    assert {c.column_id: c.value for c in row.cells}[sheet["col"]["Estado"]] == "Facturar"


def test_every_write_sets_modified_at_and_adds_count_too(smartsheet_emulator, client, sheet):
    back_date_all(smartsheet_emulator, sheet)
    cursor = "2024-06-01T00:00:00Z"
    new = client.Sheets.add_rows(
        sheet["id"],
        [Row({"to_top": True, "cells": [Cell({"column_id": sheet["col"]["RFC"], "value": "BBB010101BB1"})]})],
    ).result[0]
    # an update that writes the same value again still counts as a modification
    set_estado(client, sheet, sheet["rows"][2], "Pendiente")
    ids = {row.id for row in client.Sheets.get_sheet(sheet["id"], rows_modified_since=cursor).rows}
    assert ids == {new.id, sheet["rows"][2]}


@pytest.mark.parametrize(
    "spelling",
    [
        "2024-06-01T00:00:00Z",
        "2024-06-01T00:00:00+00:00",
        "2024-05-31T18:00:00-06:00",
        "2024-06-01T00:00:00",
        "2024-06-01 00:00:00+00:00",
    ],
)
def test_rows_modified_since_spellings_are_all_the_same_instant(smartsheet_emulator, client, sheet, spelling):
    back_date_all(smartsheet_emulator, sheet, "2024-06-01T00:00:00Z")
    smartsheet_emulator.admin._call(
        "PATCH", f"sheets/{sheet['id']}/rows/{sheet['rows'][0]}", {"modifiedAt": "2024-05-31T23:59:59Z"}
    )
    got = client.Sheets.get_sheet(sheet["id"], rows_modified_since=spelling)
    assert [row.id for row in got.rows] == sheet["rows"][1:]  # inclusive boundary by default


def test_a_datetime_object_as_the_sdk_sends_it(smartsheet_emulator, client, sheet):
    """The SDK sends a datetime as str(): a space separator and +00:00 (contract §6)."""
    back_date_all(smartsheet_emulator, sheet, "2024-06-01T00:00:01Z")
    since = dt.datetime(2024, 6, 1, 0, 0, 1, tzinfo=dt.timezone.utc)
    assert len(client.Sheets.get_sheet(sheet["id"], rows_modified_since=since).rows) == 3
    assert list(client.Sheets.get_sheet(sheet["id"], rows_modified_since=since + dt.timedelta(seconds=1)).rows) == []


def test_exclusive_boundary_is_a_switch(smartsheet_emulator, client, sheet):
    back_date_all(smartsheet_emulator, sheet, "2024-06-01T00:00:00Z")
    smartsheet_emulator.admin.put("config", {"rows_modified_since_inclusive": False})
    assert list(client.Sheets.get_sheet(sheet["id"], rows_modified_since="2024-06-01T00:00:00Z").rows) == []
    assert len(client.Sheets.get_sheet(sheet["id"], rows_modified_since="2024-05-31T23:59:59Z").rows) == 3


def test_a_bad_rows_modified_since_is_refused(smartsheet_emulator, sheet):
    answer = requests.get(
        f"{smartsheet_emulator.url}/sheets/{sheet['id']}",
        params={"rowsModifiedSince": "ayer"},
        timeout=10,
        headers={"Authorization": f"Bearer {smartsheet_emulator.token}"},
    )
    assert answer.status_code == 400 and answer.json()["errorCode"] == 1018


# --- discussions ----------------------------------------------------------------------------------


def test_a_comment_on_a_row_through_the_sdk(smartsheet_emulator, client, sheet):
    row_id = sheet["rows"][0]
    version = client.Sheets.get_sheet_version(sheet["id"]).version
    text = "Error de facturación: columna RFC: cliente no encontrado en Bind"
    created = client.Discussions.create_discussion_on_row(
        sheet["id"], row_id, Discussion({"comment": Comment({"text": text})})
    )
    assert created.message == "SUCCESS" and created.version == version + 1
    discussion = created.result
    assert discussion.parent_type == "ROW" and discussion.parent_id == row_id
    assert discussion.title == text and discussion.comment_count == 1
    assert [c.text for c in discussion.comments] == [text] and discussion.comments[0].created_by.email

    listed = client.Discussions.get_row_discussions(sheet["id"], row_id, include="comments")
    assert listed.total_count == 1 and [c.text for c in listed.data[0].comments] == [text]
    assert smartsheet_emulator.admin.get(f"sheets/{sheet['id']}/rows/{row_id}/comments") == [text]
    assert client.Discussions.get_row_discussions(sheet["id"], sheet["rows"][1]).total_count == 0


def test_each_create_is_a_new_thread_and_comments_can_be_added(smartsheet_emulator, client, sheet):
    row_id = sheet["rows"][0]
    first = client.Discussions.create_discussion_on_row(
        sheet["id"], row_id, Discussion({"comment": Comment({"text": "uno"})})
    ).result
    client.Discussions.create_discussion_on_row(sheet["id"], row_id, Discussion({"comment": Comment({"text": "uno"})}))
    added = client.Discussions.add_comment_to_discussion(sheet["id"], first.id, Comment({"text": "dos"})).result
    assert added.discussion_id == first.id and added.text == "dos"
    assert smartsheet_emulator.admin.get(f"sheets/{sheet['id']}/rows/{row_id}/comments") == ["uno", "dos", "uno"]
    everything = client.Discussions.get_all_discussions(sheet["id"], include="comments")
    assert everything.total_count == 2
    assert client.Discussions.get_discussion(sheet["id"], first.id).comment_count == 2
    assert client.Discussions.get_discussion_comment(sheet["id"], added.id).text == "dos"


def test_row_and_sheet_reads_include_discussions(client, sheet):
    row_id = sheet["rows"][1]
    client.Discussions.create_discussion_on_row(sheet["id"], row_id, Discussion({"comment": Comment({"text": "x"})}))
    read = client.Sheets.get_sheet(sheet["id"], include="discussions")
    on_rows = {row.id: [d.title for d in row.discussions] for row in read.rows}
    assert on_rows == {sheet["rows"][0]: [], row_id: ["x"], sheet["rows"][2]: []}
    assert [d.title for d in client.Sheets.get_row(sheet["id"], row_id, include="discussions").discussions] == ["x"]


def test_a_comment_does_not_touch_the_row_unless_configured(smartsheet_emulator, client, sheet):
    back_date_all(smartsheet_emulator, sheet)
    cursor = "2024-06-01T00:00:00Z"
    comment = Discussion({"comment": Comment({"text": "nota"})})
    client.Discussions.create_discussion_on_row(sheet["id"], sheet["rows"][0], comment)
    assert list(client.Sheets.get_sheet(sheet["id"], rows_modified_since=cursor).rows) == []
    smartsheet_emulator.admin.put("config", {"discussion_touches_row": True})
    client.Discussions.create_discussion_on_row(sheet["id"], sheet["rows"][0], comment)
    assert [r.id for r in client.Sheets.get_sheet(sheet["id"], rows_modified_since=cursor).rows] == [sheet["rows"][0]]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"comment": {"text": ""}}, 400, 1012),
        ({"comment": {}}, 400, 1012),
        ({}, 400, 1012),
        ({"comment": {"text": 5}}, 400, 1008),
        ({"comment": {"text": "x", "colour": "red"}}, 400, 1008),
    ],
)
def test_bad_discussion_bodies(smartsheet_emulator, sheet, body, status, code):
    answer = requests.post(
        f"{smartsheet_emulator.url}/sheets/{sheet['id']}/rows/{sheet['rows'][0]}/discussions",
        json=body,
        timeout=10,
        headers={"Authorization": f"Bearer {smartsheet_emulator.token}"},
    )
    assert (answer.status_code, answer.json()["errorCode"]) == (status, code)
    assert smartsheet_emulator.state.row_comments(sheet["id"], sheet["rows"][0]) == []


def test_unknown_row_or_discussion_is_404(client, sheet):
    with pytest.raises(ApiError) as raised:
        client.Discussions.create_discussion_on_row(sheet["id"], 1, Discussion({"comment": Comment({"text": "x"})}))
    assert raised.value.error.result.code == 1006
    with pytest.raises(ApiError) as raised:
        client.Discussions.add_comment_to_discussion(sheet["id"], 1, Comment({"text": "x"}))
    assert raised.value.error.result.code == 1006


def test_deleting_a_row_takes_its_discussions(client, sheet):
    row_id = sheet["rows"][0]
    client.Discussions.create_discussion_on_row(sheet["id"], row_id, Discussion({"comment": Comment({"text": "x"})}))
    client.Sheets.delete_rows(sheet["id"], [row_id])
    assert client.Discussions.get_all_discussions(sheet["id"]).total_count == 0


def test_a_fault_on_the_comment_write_stores_nothing_and_drop_after_stores_it(smartsheet_emulator, client, sheet):
    row_id = sheet["rows"][0]
    path = f"/rows/{row_id}/discussions$"
    smartsheet_emulator.admin.inject("rate_limit", path, method="POST")
    with pytest.raises(ApiError):
        client.Discussions.create_discussion_on_row(
            sheet["id"], row_id, Discussion({"comment": Comment({"text": "a"})})
        )
    assert smartsheet_emulator.state.row_comments(sheet["id"], row_id) == []
    smartsheet_emulator.admin.inject("drop_after", path, method="POST")
    with pytest.raises(Exception):
        client.Discussions.create_discussion_on_row(
            sheet["id"], row_id, Discussion({"comment": Comment({"text": "b"})})
        )
    assert smartsheet_emulator.state.row_comments(sheet["id"], row_id) == ["b"]


# --- webhooks -------------------------------------------------------------------------------------


class Receiver:
    """A callback endpoint on loopback: records every request; ``answers`` scripts the next statuses."""

    def __init__(self, echo: str = "header"):
        self.echo = echo  # header | body | none
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self._lock = threading.Lock()
        self.server = BackgroundServer(Starlette(routes=[Route("/hook", self.handle, methods=["POST"])]))

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        with self._lock:
            self.requests.append({"headers": dict(request.headers), "raw": raw, "json": json.loads(raw)})
            status = self.answers.pop(0) if self.answers else 200
        challenge = request.headers.get("smartsheet-hook-challenge")
        if challenge and status == 200:
            if self.echo == "header":
                return Response(status_code=200, headers={"Smartsheet-Hook-Response": challenge})
            if self.echo == "body":
                return JSONResponse({"smartsheetHookResponse": challenge})
        return Response(status_code=status)

    def callbacks(self) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if "smartsheet-hook-challenge" not in r["headers"]]

    def wait_for(self, condition, what: str, limit: float = 20.0):
        deadline = time.monotonic() + limit
        while not condition():
            assert time.monotonic() < deadline, f"gave up waiting for {what}"
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook"


@pytest.fixture
def receiver():
    hook = Receiver()
    with hook.server:
        yield hook


@pytest.fixture
def fast_hooks(smartsheet_emulator):
    smartsheet_emulator.admin.put(
        "config", {"webhook_aggregate_ms": 20, "webhook_first_retry_ms": 5, "webhook_late_retry_ms": 5}
    )


def make_hook(client, sheet, url, **extra):
    spec = {
        "name": "solicitudes",
        "callbackUrl": url,
        "scope": "sheet",
        "scopeObjectId": sheet["id"],
        "events": ["*.*"],
        "version": 1,
        **extra,
    }
    return client.Webhooks.create_webhook(Webhook(spec)).result


def test_create_then_enable_runs_the_challenge(client, sheet, receiver):
    hook = make_hook(client, sheet, receiver.url)
    assert (hook.enabled, hook.status) == (False, "NEW_NOT_VERIFIED") and hook.shared_secret
    assert receiver.requests == []
    enabled = client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True})).result
    assert (enabled.enabled, enabled.status) == (True, "ENABLED")
    [challenge] = receiver.requests
    token = challenge["headers"]["smartsheet-hook-challenge"]
    assert challenge["json"] == {"challenge": token, "webhookId": hook.id}
    assert "smartsheet-hmac-sha256" not in challenge["headers"]
    assert [h.id for h in client.Webhooks.list_webhooks().data] == [hook.id]


@pytest.mark.parametrize("echo, status", [("body", "ENABLED"), ("none", "DISABLED_VERIFICATION_FAILED")])
def test_challenge_echo_in_the_body_or_not_at_all(client, sheet, echo, status):
    hook_receiver = Receiver(echo)
    with hook_receiver.server:
        hook = make_hook(client, sheet, hook_receiver.url)
        result = client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True})).result
    assert result.status == status and result.enabled is (status == "ENABLED")


def test_signed_callback_on_a_row_change(smartsheet_emulator, client, sheet, receiver, fast_hooks):
    hook = make_hook(client, sheet, receiver.url)
    client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True}))
    secret = client.Webhooks.get_webhook(hook.id).shared_secret
    set_estado(client, sheet, sheet["rows"][1], "Facturar")
    receiver.wait_for(lambda: receiver.callbacks(), "a callback")
    [callback] = receiver.callbacks()
    expected = hmac.new(secret.encode(), callback["raw"], hashlib.sha256).hexdigest()
    assert callback["headers"]["smartsheet-hmac-sha256"] == expected
    assert callback["headers"]["smartsheet-hook-id"] == str(hook.id)
    body = callback["json"]
    assert (body["webhookId"], body["scope"], body["scopeObjectId"]) == (hook.id, "sheet", sheet["id"])
    assert body["nonce"] and "newWebhookStatus" not in body
    kinds = [(e["objectType"], e["eventType"], e.get("id") or e.get("rowId")) for e in body["events"]]
    assert ("row", "updated", sheet["rows"][1]) in kinds and ("cell", "updated", sheet["rows"][1]) in kinds
    cell = next(e for e in body["events"] if e["objectType"] == "cell")
    assert cell["columnId"] == sheet["col"]["Estado"] and "value" not in cell  # skinny payload


def test_reset_secret_signs_later_callbacks_with_the_new_one(client, sheet, receiver, fast_hooks):
    hook = make_hook(client, sheet, receiver.url)
    client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True}))
    new_secret = client.Webhooks.reset_shared_secret(hook.id).result.shared_secret
    client.Discussions.create_discussion_on_row(
        sheet["id"], sheet["rows"][0], Discussion({"comment": Comment({"text": "x"})})
    )
    receiver.wait_for(lambda: receiver.callbacks(), "a callback")
    callback = receiver.callbacks()[0]
    assert (
        callback["headers"]["smartsheet-hmac-sha256"]
        == hmac.new(new_secret.encode(), callback["raw"], hashlib.sha256).hexdigest()
    )
    assert {e["objectType"] for e in callback["json"]["events"]} == {"discussion", "comment"}


def test_retries_then_delivers_and_a_non_retriable_answer_disables(
    smartsheet_emulator, client, sheet, receiver, fast_hooks
):
    hook = make_hook(client, sheet, receiver.url)
    client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True}))
    receiver.answers = [500, 429]
    set_estado(client, sheet, sheet["rows"][0], "Facturar")
    receiver.wait_for(lambda: len(receiver.callbacks()) == 3, "two retries")
    nonces = {c["json"]["nonce"] for c in receiver.callbacks()}
    assert len(nonces) == 1  # the same callback, retried
    assert client.Webhooks.get_webhook(hook.id).status == "ENABLED"
    receiver.answers = [204]  # any answer but 200 that is not retried disables the hook
    set_estado(client, sheet, sheet["rows"][0], "Pendiente")
    receiver.wait_for(lambda: client.Webhooks.get_webhook(hook.id).status == "DISABLED_CALLBACK_FAILED", "disable")
    count = len(receiver.callbacks())
    set_estado(client, sheet, sheet["rows"][0], "Facturar")  # events while disabled are dropped
    deliveries = smartsheet_emulator.admin.get("webhooks/deliveries")
    receiver.wait_for(lambda: smartsheet_emulator.admin.get("webhooks/deliveries")["idle"], "idle")
    assert len(receiver.callbacks()) == count and deliveries["attempts"]


def test_exhausted_retries_disable_the_hook(client, sheet, receiver, fast_hooks):
    hook = make_hook(client, sheet, receiver.url)
    client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True}))
    receiver.answers = [503] * 15
    set_estado(client, sheet, sheet["rows"][0], "Facturar")
    receiver.wait_for(lambda: client.Webhooks.get_webhook(hook.id).status == "DISABLED_CALLBACK_FAILED", "disable")
    assert len(receiver.callbacks()) == 15  # the first try and 14 retries


def test_subscope_and_duplicate_hooks(smartsheet_emulator, client, sheet, receiver, fast_hooks):
    scoped = make_hook(client, sheet, receiver.url, subscope={"columnIds": [sheet["col"]["Estado"]]})
    twin = make_hook(client, sheet, receiver.url, subscope={"columnIds": [sheet["col"]["Estado"]]})
    for hook in (scoped, twin):
        client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True}))
    client.Sheets.update_rows(
        sheet["id"],
        [Row({"id": sheet["rows"][0], "cells": [Cell({"column_id": sheet["col"]["Concepto"], "value": "otro"})]})],
    )  # not a subscope column
    set_estado(client, sheet, sheet["rows"][2], "Facturar")
    receiver.wait_for(lambda: receiver.callbacks(), "a callback")
    receiver.wait_for(lambda: smartsheet_emulator.admin.get("webhooks/deliveries")["idle"], "idle")
    callbacks = receiver.callbacks()
    assert [c["json"]["webhookId"] for c in callbacks] == [scoped.id]  # only the oldest of identical hooks
    events = callbacks[0]["json"]["events"]
    assert {(e["objectType"], e.get("id") or e.get("rowId")) for e in events} == {
        ("row", sheet["rows"][2]),
        ("cell", sheet["rows"][2]),
    }


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"events": ["row.updated"]}, 1018),
        ({"version": 2}, 1018),
        ({"scopeObjectId": 1}, 1151),
        ({"callbackUrl": None}, 1012),
    ],
)
def test_create_webhook_validation(client, sheet, receiver, changes, code):
    spec = {
        "name": "x",
        "callbackUrl": receiver.url,
        "scope": "sheet",
        "scopeObjectId": sheet["id"],
        "events": ["*.*"],
        "version": 1,
        **changes,
    }
    with pytest.raises(ApiError) as raised:
        client.Webhooks.create_webhook(Webhook({k: v for k, v in spec.items() if v is not None}))
    assert raised.value.error.result.code == code


def test_https_can_be_required(smartsheet_emulator, client, sheet, receiver):
    smartsheet_emulator.admin.put("config", {"webhook_require_https": True})
    with pytest.raises(ApiError) as raised:
        make_hook(client, sheet, receiver.url)
    assert raised.value.error.result.code == 1152


def test_terminal_statuses_cannot_be_re_enabled_and_owner_disable(smartsheet_emulator, client, sheet, receiver):
    hook = make_hook(client, sheet, receiver.url)
    client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True}))
    assert client.Webhooks.update_webhook(hook.id, Webhook({"enabled": False})).result.status == "DISABLED_BY_OWNER"
    smartsheet_emulator.admin.put(f"webhooks/{hook.id}/status", {"status": "DISABLED_ADMINISTRATIVE"})
    with pytest.raises(ApiError) as raised:
        client.Webhooks.update_webhook(hook.id, Webhook({"enabled": True}))
    assert raised.value.error.result.code == 1154
    client.Webhooks.delete_webhook(hook.id)
    assert list(client.Webhooks.list_webhooks().data) == []
