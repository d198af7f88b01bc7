"""BindClient against the Bind emulator over real HTTP: paging, filters, retries, errors, secrecy."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

from smartbind_pipelines.core.bind_client import GUID_CHUNK, MESSAGE_CHARS, PAGE_SLACK, BindApiError, BindClient
from smartbind_pipelines.core.cdmx import CDMX, parse_bind_datetime
from smartbind_pipelines.core.odata import string_literal

INVOICES = r"/api/Invoices$"


class Sleeps(list):
    """Records the waits instead of sleeping them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(bind_emulator, sleeps):
    with BindClient(bind_emulator.url, bind_emulator.token, timeout=(2, 5), sleep=sleeps) as bind:
        yield bind


def test_250_invoices_over_three_pages(bind_emulator, client):
    invoices = client.invoices()
    assert len(invoices) == 250 == len({invoice["ID"] for invoice in invoices})
    assert client.request_counts == {"GET /Invoices": 3}
    assert bind_emulator.admin.counts() == {"GET /api/Invoices": 3}
    dates = [parse_bind_datetime(invoice["Date"]) for invoice in invoices]
    assert dates == sorted(dates)  # $orderby Date asc


def test_every_page_is_followed_by_get_all(client):
    pages = list(client.iter_pages("Invoices"))
    assert [len(page) for page in pages] == [100, 100, 50]


def test_window_is_half_open_in_mexico_city_time(bind_emulator, client):
    before = bind_emulator.state.add_invoice(Date="2031-03-09T23:59:59")
    after = bind_emulator.state.add_invoice(Date="2031-03-10T00:00:00")
    midnight = datetime(2031, 3, 10, tzinfo=CDMX)
    assert [i["ID"] for i in client.invoices(midnight - timedelta(days=1), midnight)] == [before["ID"]]
    assert [i["ID"] for i in client.invoices(midnight)] == [after["ID"]]
    # the same instant given in UTC selects the same invoices
    assert [i["ID"] for i in client.invoices(midnight.astimezone(timezone.utc))] == [after["ID"]]


def test_quotes_in_values_are_escaped_not_injected(bind_emulator, client):
    bind_emulator.state.add_invoice(ClientName="Comercial O'Brien")
    found = client.invoices(extra_filter=f"ClientName eq {string_literal('Comercial O' + chr(39) + 'Brien')}")
    assert [invoice["ClientName"] for invoice in found] == ["Comercial O'Brien"]
    injected = client.invoices(extra_filter=f"ClientName eq {string_literal('x' + chr(39) + ' or 1 eq 1 or ClientName eq ' + chr(39) + 'y')}")
    assert injected == []


def test_invoices_by_ids_in_chunks(bind_emulator, client):
    wanted = [invoice["ID"] for invoice in client.invoices()[:GUID_CHUNK + 5]]
    client.request_counts.clear()
    found = client.invoices_by_ids([value.upper() for value in wanted])
    assert sorted(invoice["ID"] for invoice in found) == sorted(wanted)
    assert client.request_counts["GET /Invoices"] == 2


def test_a_bad_guid_is_refused_before_any_request(bind_emulator, client):
    with pytest.raises(ValueError, match="not a GUID"):
        client.invoices_by_ids(["5f1d3b2a-0000-4000-8000-000000000001') or (1 eq 1"])
    with pytest.raises(ValueError):
        client.inventory("../Invoices")
    with pytest.raises(ValueError):
        client.invoice("1 or 1")
    assert bind_emulator.admin.counts() == {}


def test_invoice_by_id_or_number_and_unknown_is_none(client):
    first = client.invoices()[0]
    assert client.invoice(first["ID"])["ID"] == first["ID"]
    assert client.invoice(str(first["Number"]))["ID"] == first["ID"]
    assert client.invoice("00000000-0000-4000-8000-00000000dead") is None
    assert client.request_counts["GET /Invoices/{id}"] == 3


def test_catalogs(bind_emulator, client):
    warehouses = client.warehouses()
    assert warehouses and all("Name" in warehouse for warehouse in warehouses)
    stock = client.inventory(warehouses[0]["ID"])
    assert all("ProductID" in row for row in stock)
    assert len(client.products()) == 120
    assert {currency["Code"] for currency in client.currencies()} >= {"MXN"}
    assert isinstance(client.user_profile(), dict)
    assert client.request_counts["GET /Inventory"] >= 1


def test_429_storm_honours_retry_after(bind_emulator, client, sleeps):
    bind_emulator.admin.inject("rate_limit", INVOICES, count=3, retry_after=2)
    assert len(client.invoices()) == 250
    assert sleeps == [2, 2, 2]
    assert client.request_counts["GET /Invoices"] == 6


def test_retry_after_is_capped_by_backoff_max(bind_emulator, sleeps):
    bind_emulator.admin.inject("rate_limit", INVOICES, count=1, retry_after=600)
    with BindClient(bind_emulator.url, bind_emulator.token, backoff_max=30, sleep=sleeps) as bind:
        assert len(bind.invoices()) == 250
    assert sleeps == [30]


@pytest.mark.parametrize("kind", ["server_error", "unavailable", "drop"])
def test_5xx_and_dropped_connections_are_retried(bind_emulator, client, sleeps, kind):
    bind_emulator.admin.inject(kind, INVOICES, count=2)
    assert len(client.invoices()) == 250
    assert len(sleeps) == 2 and 0 < sleeps[0] <= 0.5 and sleeps[1] <= 1.0  # exponential, jittered
    assert client.request_counts["GET /Invoices"] == 5


def test_a_connection_cut_mid_page_is_retried(bind_emulator, client):
    first_page = client.get_all("Invoices", {"$top": "100"})
    bind_emulator.admin.inject("drop_after", INVOICES, count=1)
    assert client.get_all("Invoices", {"$top": "100"}) == first_page


def test_timeouts_are_retried(bind_emulator, sleeps):
    bind_emulator.admin.inject("latency", INVOICES, count=1, latency_ms=1500)
    with BindClient(bind_emulator.url, bind_emulator.token, timeout=(2, 0.5), sleep=sleeps) as bind:
        assert len(bind.invoices()) == 250
        assert bind.request_counts["GET /Invoices"] == 4
    assert len(sleeps) == 1


def test_attempts_are_capped(bind_emulator, sleeps):
    bind_emulator.admin.inject("server_error", INVOICES, count=10)
    with BindClient(bind_emulator.url, bind_emulator.token, max_attempts=3, sleep=sleeps) as bind:
        with pytest.raises(BindApiError) as caught:
            bind.invoices()
    assert (caught.value.endpoint, caught.value.status) == ("GET /Invoices", 500)
    assert "An error has occurred." in caught.value.message and "3 attempts" in caught.value.message
    assert bind_emulator.admin.counts() == {"GET /api/Invoices": 3} and len(sleeps) == 2


def test_401_is_not_retried_and_never_shows_the_key(bind_emulator, sleeps, caplog):
    wrong = "bind-wrong-" + "x" * 24
    with BindClient(bind_emulator.url, wrong, sleep=sleeps) as bind, caplog.at_level(logging.DEBUG):
        with pytest.raises(BindApiError) as caught:
            bind.invoices()
    assert caught.value.status == 401 and "Authorization has been denied" in str(caught.value)
    assert sleeps == [] and bind_emulator.admin.counts() == {"GET /api/Invoices": 1}
    assert wrong not in str(caught.value) and wrong not in repr(caught.value) and wrong not in caplog.text


def test_404_and_400_are_not_retried(bind_emulator, client, sleeps):
    with pytest.raises(BindApiError) as missing:
        client.get_all("NoSuchThing")
    assert missing.value.status == 404 and "No HTTP resource" in missing.value.message
    with pytest.raises(BindApiError) as bad:
        client.invoices(extra_filter="Nope eq 1")
    assert bad.value.status == 400 and "Nope" in bad.value.message
    assert sleeps == []
    assert client.request_counts == {"GET /NoSuchThing": 1, "GET /Invoices": 1}


def test_the_key_is_in_no_error_message_or_log(bind_emulator, sleeps, caplog):
    token = bind_emulator.token
    errors = []
    bind_emulator.admin.inject("server_error", INVOICES, count=5)
    with caplog.at_level(logging.DEBUG), BindClient(bind_emulator.url, token, max_attempts=2, sleep=sleeps) as bind:
        for call in (bind.invoices, lambda: bind.invoices(extra_filter="Nope eq 1"), lambda: bind.get_all("Nope")):
            with pytest.raises(BindApiError) as caught:
                call()
            errors.append(caught.value)
        assert token not in repr(bind)
    bind_emulator.server.stop()  # now the connection itself fails
    with BindClient(bind_emulator.url, token, max_attempts=2, sleep=sleeps) as bind:
        with pytest.raises(BindApiError) as refused:
            bind.invoices()
    assert refused.value.status is None and "ConnectionError" in refused.value.message
    # the requests exception (which holds the request and its headers) does not travel with it
    assert refused.value.__cause__ is None
    assert refused.value.__context__ is None or refused.value.__suppress_context__
    for error in [*errors, refused.value]:
        assert token not in str(error) and token not in repr(error)
    assert token not in caplog.text


def test_an_empty_key_is_refused():
    with pytest.raises(ValueError, match="BIND_API_KEY"):
        BindClient("https://api.bind.com.mx/api", "")


def test_a_foreign_next_link_is_followed_on_our_own_host():
    bind = BindClient("https://api.bind.com.mx/api", "k")
    assert bind._same_origin("https://evil.example/api/Invoices?$skip=100") == \
        "https://api.bind.com.mx/api/Invoices?$skip=100"
    assert bind._same_origin("https://api.bind.com.mx/api/Clients?$skip=200") == \
        "https://api.bind.com.mx/api/Clients?$skip=200"


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    bind = BindClient("https://api.bind.com.mx/api", "k", backoff_base=1, backoff_max=10)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)]:
        waits = [bind._delay(attempt, None) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1
    assert bind._delay(1, 3) == 3 and bind._delay(1, 99) == 10


# -- answers that are not a page (issue 14, defects 2 and 4) ------------------------------------------

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
    # one page after the other (K=1): the parallel read's own case is in test_bind_client_parallel.py
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


# -- paging is bounded by what Bind announced (issue 14) ------------------------------------------------


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
    bind_emulator.admin.inject("custom", INVOICES, count=1, status=200,
                               body={"value": rows, "nextLink": f"{bind_emulator.url}/Invoices?$skip=200", "count": 251})
    with BindClient(bind_emulator.url, bind_emulator.token, timeout=(2, 5), sleep=sleeps, page_workers=1) as client:
        assert len(client.invoices()) == 250
        assert client.request_counts["GET /Invoices"] == 3 + 3


def test_top_and_skip_are_taken_into_account(bind_emulator, client):
    assert len(client.get_all("Invoices", {"$top": "100"})) == 100
    assert len(client.get_all("Invoices", {"$skip": "200"})) == 50
    assert len(client.get_all("Invoices", {"$top": 120, "$skip": "200"})) == 50
    assert client.request_counts["GET /Invoices"] == 3


# -- the key never survives in part (issue 14, defect 7) --------------------------------------------------


def _fragments(token: str, size: int = 6) -> set[str]:
    return {token[i:i + size] for i in range(len(token) - size + 1)}


@pytest.mark.parametrize("shape", ["text", "Message", "MessageDetail"])
def test_the_key_at_any_offset_of_a_long_error_body_never_shows_even_in_part(bind_emulator, client, shape):
    token, filler = bind_emulator.token, "·"
    fragments = _fragments(token)
    for offset in range(0, 420, 1):
        text = filler * offset + token + filler * (420 - offset)
        if shape == "text":
            answer = {"raw": text, "content_type": "text/html"}
        elif shape == "Message":
            answer = {"body": {"Message": text}}
        else:
            answer = {"body": {"Message": "The request is invalid.", "MessageDetail": text}}
        bind_emulator.admin.inject("custom", INVOICES, count=1, status=400, **answer)
        with pytest.raises(BindApiError) as caught:
            client.invoices()
        shown = str(caught.value)
        assert not any(fragment in shown for fragment in fragments), (offset, shown)
        assert len(caught.value.message) <= MESSAGE_CHARS + 1  # bounded, "…" included
        if offset + len(token) <= MESSAGE_CHARS - len("[redacted]"):
            assert "[redacted]" in shown  # the key's place is marked when it falls in what is shown
