"""Bounded parallel reads (issue 16, point 5): BindClient against the Bind emulator over real HTTP.

After the first page, the remaining pages of a ``$skip``-paged read are fetched by up to ``page_workers``
threads; rows still come back in Bind's order, once each; a 429 closes one gate every worker waits at;
a page that fails for good fails the read. Concurrency is shown by the emulator's request log (when each
request arrived and when it was answered), never by a wall-clock duration.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from smartbind_pipelines.core.bind_client import PAGE_WORKERS, BindApiError, BindClient
from smartbind_pipelines.core.cdmx import CDMX

INVOICES = r"/api/Invoices$"
N = 1_000  # invoices added to the demo's 250: 13 pages


class Sleeps:
    """Records each wait and the thread that waited; sleeps ``real`` seconds at most (0: not at all)."""

    def __init__(self, real: float = 0.0):
        self.calls: list[tuple[str, float]] = []
        self.real = real
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append((threading.current_thread().name, seconds))
        if self.real:
            time.sleep(min(self.real, seconds))

    @property
    def seconds(self) -> list[float]:
        return [seconds for _, seconds in self.calls]


@pytest.fixture
def bind_1250(bind_emulator):
    bind_emulator.state.generate_invoices(N, datetime(2030, 1, 1, tzinfo=CDMX), datetime(2030, 12, 1, tzinfo=CDMX))
    bind_emulator.admin.reset_requests()
    return bind_emulator


def _sequential(emulator) -> list[dict]:
    with BindClient(emulator.url, emulator.token, page_workers=1) as bind:
        rows = bind.invoices()
    emulator.admin.reset_requests()
    return rows


def _max_overlap(log: list[dict]) -> int:
    """The most requests the emulator was handling at the same moment, from its own log."""
    events = sorted(
        [(entry["started"], 1) for entry in log] + [(entry["at"], -1) for entry in log],
        key=lambda event: (event[0], event[1]),
    )
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def _page_threads() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("bind-page")]


def test_default_is_four_pages_in_flight():
    assert PAGE_WORKERS == 4 and BindClient("https://api.bind.com.mx/api", "k").page_workers == 4
    for bad in (0, 33, 2.5, True, "4"):
        with pytest.raises(ValueError, match="page_workers"):
            BindClient("https://api.bind.com.mx/api", "k", page_workers=bad)


def test_k4_reads_the_same_rows_in_the_same_order_with_pages_in_flight_together(bind_1250):
    expected = _sequential(bind_1250)
    assert len(expected) == N + 250
    bind_1250.admin.set_latency(150)  # every request takes a while: concurrent ones overlap in the log
    with BindClient(bind_1250.url, bind_1250.token, page_workers=4) as bind:
        rows = bind.invoices()
        counts = dict(bind.request_counts)
    assert [row["ID"] for row in rows] == [row["ID"] for row in expected]  # order kept, nothing repeated
    assert counts == {"GET /Invoices": 13} and bind_1250.admin.counts() == {
        "GET /api/Invoices": 13
    }  # ceil(1250 / 100): no extra request
    log = bind_1250.admin.requests()["log"]
    assert 2 <= _max_overlap(log) <= 4  # pages were in flight together, never more than K
    assert _page_threads() == []  # no worker outlives the read


def test_k1_never_has_two_requests_in_flight(bind_1250):
    bind_1250.admin.set_latency(30)
    with BindClient(bind_1250.url, bind_1250.token, page_workers=1) as bind:
        assert len(bind.invoices()) == N + 250
    assert _max_overlap(bind_1250.admin.requests()["log"]) == 1


def test_top_and_skip_are_kept_in_computed_pages(bind_1250):
    expected = _sequential(bind_1250)
    with BindClient(bind_1250.url, bind_1250.token) as bind:
        rows = bind.get_all("Invoices", {"$orderby": "Date asc", "$top": "550", "$skip": "120"})
        assert bind.request_counts["GET /Invoices"] == 6
    assert [row["ID"] for row in rows] == [row["ID"] for row in expected[120:670]]


def test_a_429_mid_way_closes_one_gate_for_every_worker(bind_1250):
    expected = _sequential(bind_1250)
    bind_1250.admin.set_latency(40)
    bind_1250.admin.inject("latency", INVOICES, count=1, latency_ms=0)  # the first page answers
    bind_1250.admin.inject("rate_limit", INVOICES, count=1, retry_after=2)  # then one page is told to wait 2 s
    sleeps = Sleeps(real=0.6)  # the told page waits a little for real, so the others meet the gate meanwhile
    with BindClient(bind_1250.url, bind_1250.token, sleep=sleeps) as bind:
        rows = bind.invoices()
        assert bind.request_counts["GET /Invoices"] == 13 + 1
    assert [row["ID"] for row in rows] == [row["ID"] for row in expected]
    statuses = [entry["status"] for entry in bind_1250.admin.requests()["log"]]
    assert statuses.count(429) == 1
    told = [seconds for _, seconds in sleeps.calls if seconds == 2]
    assert len(told) == 1  # Retry-After honoured by the page that was told
    waited_at_gate = {name for name, seconds in sleeps.calls if 0 < seconds < 2}
    assert waited_at_gate  # other workers waited out the same Retry-After instead of sending requests
    assert all(seconds <= 2 for seconds in sleeps.seconds)


def test_a_page_that_fails_for_good_fails_the_read_and_stops_the_others(bind_1250):
    bind_1250.admin.inject("latency", INVOICES, count=1, latency_ms=0)  # the first page answers
    bind_1250.admin.inject("custom", INVOICES, count=1, status=204)  # one later page never does
    with BindClient(bind_1250.url, bind_1250.token, max_attempts=1, sleep=Sleeps()) as bind:
        with pytest.raises(BindApiError, match="not a page"):
            bind.invoices()
        assert bind.request_counts["GET /Invoices"] <= 13
    assert _page_threads() == []


def test_a_page_failing_on_every_attempt_fails_the_read(bind_1250):
    bind_1250.admin.inject("latency", INVOICES, count=1, latency_ms=0)
    bind_1250.admin.inject("server_error", INVOICES, count=200)  # every later request, every attempt
    with BindClient(bind_1250.url, bind_1250.token, max_attempts=3, sleep=Sleeps()) as bind:
        with pytest.raises(BindApiError) as caught:
            bind.invoices()
    assert caught.value.status == 500 and "3 attempts" in caught.value.message
    assert bind_1250.admin.counts()["GET /api/Invoices"] <= 1 + 12 * 3
    assert _page_threads() == []


def test_repeated_rows_are_dropped_and_the_read_is_checked_on_distinct_rows(bind_1250):
    """A page that repeats rows of another (the set moved while paged) leaves fewer distinct rows than
    announced: the read is read again, and the result has every row once, in order."""
    expected = _sequential(bind_1250)
    bind_1250.admin.inject("latency", INVOICES, count=1, latency_ms=0)
    repeat = {"value": expected[:100], "nextLink": f"{bind_1250.url}/Invoices?$skip=999", "count": N + 250}
    bind_1250.admin.inject("custom", INVOICES, count=1, status=200, body=repeat)
    with BindClient(bind_1250.url, bind_1250.token) as bind:
        rows = bind.invoices()
        assert bind.request_counts["GET /Invoices"] == 13 * 2
    assert [row["ID"] for row in rows] == [row["ID"] for row in expected]


def test_a_next_link_that_is_not_skip_paging_is_followed_one_by_one(bind_1250):
    """A first page whose nextLink is not our query with $skip moved (here an extra parameter) gives no plan:
    the read follows nextLink page after page, as before."""
    bind_1250.admin.set_latency(30)
    first = _sequential(bind_1250)[:100]
    odd = {
        "value": first,
        "nextLink": f"{bind_1250.url}/Invoices?$orderby=Date%20asc&sandboxPage=2&$skip=100",
        "count": N + 250,
    }
    bind_1250.admin.inject("custom", INVOICES, count=1, status=200, body=odd)
    with BindClient(bind_1250.url, bind_1250.token) as bind:
        rows = bind.invoices()
    assert len(rows) == N + 250 == len({row["ID"] for row in rows})
    assert _max_overlap(bind_1250.admin.requests()["log"]) == 1


def test_a_first_page_without_count_is_followed_one_by_one(bind_1250):
    bind_1250.admin.set_latency(30)
    first = _sequential(bind_1250)[:100]
    bare = {"value": first, "nextLink": f"{bind_1250.url}/Invoices?$orderby=Date%20asc&$skip=100"}
    bind_1250.admin.inject("custom", INVOICES, count=1, status=200, body=bare)
    with BindClient(bind_1250.url, bind_1250.token) as bind:
        rows = bind.invoices()
    assert len(rows) == N + 250
    assert _max_overlap(bind_1250.admin.requests()["log"]) == 1
