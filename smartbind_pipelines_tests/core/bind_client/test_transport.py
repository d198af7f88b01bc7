"""Bind's transport against the emulator over real HTTP: what is retried, how long it waits, what is not."""

from __future__ import annotations

import pytest

from smartbind_pipelines.core.bind_client import BindApiError, BindClient
from smartbind_pipelines_tests.core.bind_client.support import INVOICES


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


def test_404_and_400_are_not_retried(bind_emulator, client, sleeps):
    with pytest.raises(BindApiError) as missing:
        client.get_all("NoSuchThing")
    assert missing.value.status == 404 and "No HTTP resource" in missing.value.message
    with pytest.raises(BindApiError) as bad:
        client.invoices(extra_filter="Nope eq 1")
    assert bad.value.status == 400 and "Nope" in bad.value.message
    assert sleeps == []
    assert client.request_counts == {"GET /NoSuchThing": 1, "GET /Invoices": 1}


def test_a_foreign_next_link_is_followed_on_our_own_host():
    bind = BindClient("https://api.bind.com.mx/api", "k")
    assert (
        bind._same_origin("https://evil.example/api/Invoices?$skip=100")
        == "https://api.bind.com.mx/api/Invoices?$skip=100"
    )
    assert (
        bind._same_origin("https://api.bind.com.mx/api/Clients?$skip=200")
        == "https://api.bind.com.mx/api/Clients?$skip=200"
    )


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    bind = BindClient("https://api.bind.com.mx/api", "k", backoff_base=1, backoff_max=10)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10), (9, 10)]:
        waits = [bind._delay(attempt, None) for _ in range(50)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 1
    assert bind._delay(1, 3) == 3 and bind._delay(1, 99) == 10
