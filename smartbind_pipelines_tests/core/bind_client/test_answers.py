"""Answers that are not what their route promises are retried, then fail (issue 14, defects 2 and 4)."""

from __future__ import annotations

import pytest

from smartbind_pipelines.core.bind_client import BindApiError, BindClient
from smartbind_pipelines_tests.core.bind_client.support import INVOICES

NOT_A_PAGE = {
    "empty 200": {"status": 200},
    "204": {"status": 204},
    "Message object": {"status": 200, "body": {"Message": "Sesión expirada, intente más tarde."}},
    "object without value": {"status": 200, "body": {"nextLink": None, "count": 0}},
    "value not a list": {"status": 200, "body": {"value": "none", "nextLink": None, "count": 0}},
    "JSON null": {"status": 200, "raw": "null"},
    "JSON string": {"status": 200, "raw": '"ok"'},
    "bare array on a paged route": {"status": 200, "body": []},
    "not JSON": {"status": 200, "raw": "<html>maintenance</html>", "content_type": "text/html"},
    "count not a number": {"status": 200, "body": {"value": [], "nextLink": None, "count": "many"}},
}


@pytest.mark.parametrize("answer", NOT_A_PAGE.values(), ids=NOT_A_PAGE.keys())
def test_an_answer_that_is_not_a_page_is_retried_then_fails(bind_emulator, sleeps, answer):
    bind_emulator.admin.inject("custom", INVOICES, count=3, **answer)
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=3, sleep=sleeps) as bind:
        with pytest.raises(BindApiError) as caught:
            bind.invoices()
    assert caught.value.endpoint == "GET /Invoices"
    assert "not a page" in caught.value.message and "3 attempts" in caught.value.message
    assert bind_emulator.admin.counts() == {"GET /api/Invoices": 3} and len(sleeps) == 2


@pytest.mark.parametrize("answer", NOT_A_PAGE.values(), ids=NOT_A_PAGE.keys())
def test_one_answer_that_is_not_a_page_is_retried_and_every_row_read(bind_emulator, client, answer):
    bind_emulator.admin.inject("custom", INVOICES, count=1, **answer)
    assert len(client.invoices()) == 250
    assert client.request_counts["GET /Invoices"] == 4


def test_a_non_page_on_a_later_page_fails_too_not_a_short_read(bind_emulator, sleeps):
    bind_emulator.admin.inject("latency", INVOICES, count=1, latency_ms=0)  # page 1 answers normally
    bind_emulator.admin.inject("custom", INVOICES, count=3, status=204)  # then page 2 never does
    # one page after the other (K=1): the parallel read's own case is in test_paging_parallel.py
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=3, sleep=sleeps, page_workers=1) as bind:
        with pytest.raises(BindApiError, match="not a page"):
            bind.invoices()
    assert bind_emulator.admin.counts() == {"GET /api/Invoices": 4}


@pytest.mark.parametrize("route", ["Warehouses", "Currencies", "Clients", "Products"])
def test_every_list_route_refuses_a_message_answer(bind_emulator, sleeps, route):
    bind_emulator.admin.inject("custom", f"/api/{route}$", count=2, status=200, body={"Message": "busy"})
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=2, sleep=sleeps) as bind:
        with pytest.raises(BindApiError, match="not a page"):
            getattr(bind, route.lower())()


def test_the_inventory_route_refuses_an_empty_answer(bind_emulator, sleeps):
    warehouse = bind_emulator.state.warehouse_ids()[0]
    bind_emulator.admin.inject("custom", "/api/Inventory$", count=2, status=200)
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=2, sleep=sleeps) as bind:
        with pytest.raises(BindApiError, match="GET /Inventory.*not a page"):
            bind.inventory(warehouse)


NOT_AN_OBJECT = {
    "empty 200": {"status": 200},
    "204": {"status": 204},
    "Message object": {"status": 200, "body": {"Message": "An error has occurred."}},
    "array": {"status": 200, "body": [{"ID": "x"}]},
    "JSON null": {"status": 200, "raw": "null"},
}


@pytest.mark.parametrize("answer", NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys())
def test_single_object_routes_refuse_an_answer_that_is_not_their_object(bind_emulator, sleeps, answer):
    first = bind_emulator.state.list_invoices()[0]
    bind_emulator.admin.inject("custom", r"/api/Invoices/", count=2, **answer)
    bind_emulator.admin.inject("custom", r"/api/UserProfile$", count=2, **answer)
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=2, sleep=sleeps) as bind:
        with pytest.raises(BindApiError, match="GET /Invoices/{id}.*not an invoice"):
            bind.invoice(first["ID"])
        with pytest.raises(BindApiError, match="GET /UserProfile.*not a user profile"):
            bind.user_profile()
        # once the faults are spent, the same calls answer
        assert bind.invoice(first["ID"])["ID"] == first["ID"]
        assert bind.user_profile()["UserID"]
