"""The fault menu's answers that are not what a Bind route promises (issue 14), over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from .test_app import call, ok


def test_a_204_has_no_body_and_an_empty_200_is_empty(bind_emulator):
    bind_emulator.admin.inject("custom", "/api/Invoices$", count=1, status=204)
    bind_emulator.admin.inject("custom", "/api/Invoices$", count=1, status=200)
    no_content = call(bind_emulator, "Invoices")
    assert no_content.status_code == 204 and no_content.content == b""
    empty = call(bind_emulator, "Invoices")
    assert empty.status_code == 200 and empty.content == b""
    assert call(bind_emulator, "Invoices").json()["count"] == 250  # the faults are spent


def test_a_raw_body_is_served_byte_for_byte_with_its_content_type(bind_emulator):
    raw = 'null{"value": [ünclosed'
    bind_emulator.admin.inject(
        "custom", "/api/Invoices$", count=1, status=200, raw=raw, content_type="text/plain; charset=utf-8"
    )
    answer = call(bind_emulator, "Invoices")
    assert answer.status_code == 200 and answer.content == raw.encode("utf-8")
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    bind_emulator.admin.inject("custom", "/api/Invoices$", count=1, status=200, raw="null")
    assert call(bind_emulator, "Invoices").headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "custom", "raw": "x", "body": {"a": 1}},
        {"kind": "custom", "raw": {"a": 1}},
        {"kind": "custom", "status": 99},
        {"kind": "custom", "status": True},
    ],
)
def test_a_malformed_custom_fault_is_refused(bind_emulator, fault):
    response = requests.post(f"{bind_emulator.admin.root}/_sandbox/faults", json=fault, timeout=10)
    assert response.status_code == 400 and response.json()["error"]
    assert bind_emulator.admin.pending_faults() == []


def test_endless_next_link_serves_the_same_page_under_a_new_link_each_time(bind_emulator):
    bind_emulator.admin.inject("endless_next_link", "/api/Invoices$", count=4)
    first = ok(bind_emulator, "Invoices", {"$orderby": "Date asc"})
    links, page = [first["nextLink"]], first
    for _ in range(3):
        page = ok(bind_emulator, page["nextLink"])
        links.append(page["nextLink"])
        assert [row["ID"] for row in page["value"]] == [row["ID"] for row in first["value"]]
        assert page["count"] == 250
    assert len(set(links)) == 4 and all("sandboxLoop=" in link for link in links)
    # the original query is kept; only the loop marker changes
    assert dict(parse_qsl(urlsplit(links[-1]).query))["$orderby"] == "Date asc"
    # once the fault is spent, the app's own link is back (it keeps every query pair, the marker too)
    normal = ok(bind_emulator, links[-1])
    assert normal["nextLink"].endswith("$skip=100")
    assert bind_emulator.admin.counts()["GET /api/Invoices"] == 5
