"""Paged reads against the Bind emulator over real HTTP: every page followed, bounded by what Bind announced (issue 14)."""

from __future__ import annotations

import logging

import pytest

from smartbind_pipelines.core.bind_client import PAGE_SLACK, BindApiError, BindClient
from smartbind_pipelines_tests.core.bind_client.support import INVOICES


def test_every_page_is_followed_by_get_all(client):
    pages = list(client.iter_pages("Invoices"))
    assert [len(page) for page in pages] == [100, 100, 50]


def test_a_next_link_that_never_ends_is_cut_at_the_announced_count_plus_slack(bind_emulator, client):
    bind_emulator.admin.inject("endless_next_link", INVOICES, count=60)
    with pytest.raises(BindApiError) as caught:
        client.invoices()
    message = caught.value.message
    assert caught.value.endpoint == "GET /Invoices" and "250 rows" in message and "nextLink" in message
    # 250 rows announced = 3 pages; PAGE_SLACK more are followed, then the read stops for good
    assert client.request_counts["GET /Invoices"] == 3 + PAGE_SLACK
    assert len(bind_emulator.admin.pending_faults()) == 1  # the fault outlived the read


def test_iter_pages_is_cut_the_same_way(bind_emulator, client):
    bind_emulator.admin.inject("endless_next_link", INVOICES, count=60)
    with pytest.raises(BindApiError, match="nextLink"):
        for _ in client.iter_pages("Invoices"):
            pass
    assert client.request_counts["GET /Invoices"] == 3 + PAGE_SLACK


def test_no_read_goes_past_max_pages_whatever_count_says(bind_emulator, sleeps):
    bind_emulator.admin.inject("endless_next_link", INVOICES, count=60)
    with BindClient(bind_emulator.url, bind_emulator.token, max_pages=2, sleep=sleeps) as bind:
        with pytest.raises(BindApiError, match="2 pages"):
            bind.invoices()
        assert bind.request_counts["GET /Invoices"] == 2


def _short_page(bind_emulator, announced: int) -> dict:
    rows = bind_emulator.state.list_invoices()[:3]
    return {"value": rows, "nextLink": None, "count": announced}


def test_rows_that_do_not_match_count_are_read_again_once(bind_emulator, client, caplog):
    bind_emulator.admin.inject("custom", INVOICES, count=1, status=200, body=_short_page(bind_emulator, 250))
    with caplog.at_level(logging.WARNING):
        assert len(client.invoices()) == 250
    assert client.request_counts["GET /Invoices"] == 1 + 3
    assert "read again" in caplog.text


def test_rows_that_still_do_not_match_count_fail_the_read(bind_emulator, client):
    bind_emulator.admin.inject("custom", INVOICES, count=2, status=200, body=_short_page(bind_emulator, 250))
    with pytest.raises(BindApiError) as caught:
        client.invoices()
    assert "3 rows" in caught.value.message and "250" in caught.value.message
    assert client.request_counts["GET /Invoices"] == 2


def test_counts_that_change_between_pages_are_read_again(bind_emulator, sleeps):
    # page 1 says 250, page 2 (a custom answer) says 251 with a full page: the set moved while being read.
    # One page at a time: the queued faults name pages by the order they are asked for, which K > 1 shuffles.
    bind_emulator.admin.inject("latency", INVOICES, count=1, latency_ms=0)
    rows = bind_emulator.state.list_invoices()[100:200]
    bind_emulator.admin.inject(
        "custom",
        INVOICES,
        count=1,
        status=200,
        body={"value": rows, "nextLink": f"{bind_emulator.url}/Invoices?$skip=200", "count": 251},
    )
    with BindClient(bind_emulator.url, bind_emulator.token, timeout=(2, 5), sleep=sleeps, page_workers=1) as client:
        assert len(client.invoices()) == 250
        assert client.request_counts["GET /Invoices"] == 3 + 3


def test_top_and_skip_are_taken_into_account(bind_emulator, client):
    assert len(client.get_all("Invoices", {"$top": "100"})) == 100
    assert len(client.get_all("Invoices", {"$skip": "200"})) == 50
    assert len(client.get_all("Invoices", {"$top": 120, "$skip": "200"})) == 50
    assert client.request_counts["GET /Invoices"] == 3
