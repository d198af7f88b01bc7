"""Unstamped drafts: which invoices are followed, and following them in bulk (issue 16, point 4): the open
draft set in one paged query, by id only what left it.

The reads run against the Bind emulator over real HTTP with the real BindClient; request counts are the
emulator's.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import pytest

from smartbind_pipelines.core.bind_client import GUID_CHUNK, BindApiError, BindClient
from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.invoices.drafts import (
    NIL_UUID,
    drafts_to_follow,
    follow_drafts,
    is_unstamped,
    split_followed,
    unique_by_id,
    unstamped_filter,
)

DRAFTS = 575


def _guid() -> str:
    return str(uuid.uuid4())


# -- the pure decision ---------------------------------------------------------------------------------


def test_split_followed_keeps_set_rows_and_lists_what_left():
    a, b, c = _guid(), _guid(), _guid()
    rows = [{"ID": a.upper(), "UUID": None}, {"ID": b, "UUID": NIL_UUID}, {"ID": _guid(), "UUID": None}]
    split = split_followed([a, b, c, a], rows)
    assert [row["ID"] for row in split.still_unstamped] == [a.upper(), b]
    assert split.left == [c]


def test_a_stamped_row_in_the_set_is_not_taken_for_a_draft():
    """A filter Bind ignored would hand back stamped invoices: those ids are read by id instead."""
    a = _guid()
    split = split_followed([a], [{"ID": a, "UUID": _guid()}])
    assert split.still_unstamped == [] and split.left == [a]


def test_the_filter_names_null_and_all_zero_uuids_and_the_horizon():
    assert unstamped_filter() == f"(UUID eq null or UUID eq guid'{NIL_UUID}')"
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=CDMX)
    assert "UUID eq null" in unstamped_filter(since) and "Date ge datetime'2026-01-02T03:04:05'" in unstamped_filter(
        since
    )


# -- against the emulator ------------------------------------------------------------------------------


@pytest.fixture
def drafts(empty_bind_emulator):
    """575 unstamped drafts in Bind, and 100 stamped invoices; the request log reset."""
    state = empty_bind_emulator.state
    ids = [state.add_invoice(Date=f"2026-03-{1 + i % 28:02d}T10:00:00")["ID"] for i in range(DRAFTS)]
    for i in range(100):
        state.stamp_invoice(state.add_invoice(Date="2026-02-01T09:00:00")["ID"])
    empty_bind_emulator.admin.reset_requests()
    return empty_bind_emulator, ids


def _client(emulator) -> BindClient:
    return BindClient(emulator.url, emulator.token, sleep=lambda _: None)


def test_575_drafts_cost_ceil_n_over_100_requests_not_23(drafts):
    emulator, ids = drafts
    with _client(emulator) as bind:
        followed = follow_drafts(bind, ids)
    assert followed.strategy == "bulk" and followed.set_size == DRAFTS and followed.left_set == []
    assert sorted(row["ID"] for row in followed.rows) == sorted(ids)
    assert followed.bind_requests == math.ceil(DRAFTS / 100) == 6
    assert emulator.admin.counts() == {"GET /api/Invoices": 6}
    # the old way, for the record: 25 ids per filter
    emulator.admin.reset_requests()
    with _client(emulator) as bind:
        old = follow_drafts(bind, ids, mode="by_id")
    assert sorted(row["ID"] for row in old.rows) == sorted(ids)
    assert emulator.admin.counts() == {"GET /api/Invoices": math.ceil(DRAFTS / GUID_CHUNK)} == {"GET /api/Invoices": 23}


def test_stamped_and_deleted_drafts_are_read_by_id_and_only_they(drafts):
    emulator, ids = drafts
    stamped = ids[:3]
    for draft_id in stamped:
        emulator.state.stamp_invoice(draft_id)
    deleted = _guid()  # followed, no longer in Bind
    with _client(emulator) as bind:
        followed = follow_drafts(bind, [*ids, deleted])
    assert sorted(followed.left_set) == sorted([*stamped, deleted])
    by_id = {row["ID"]: row for row in followed.rows}
    assert set(by_id) == set(ids)  # the deleted one is simply absent
    assert all(by_id[draft_id]["UUID"] for draft_id in stamped)  # stamped: the sync writes them now
    assert followed.bind_requests == 6 + 1  # the set (572 rows) + one by-id filter of 4 ids


def test_extra_ids_are_read_by_id_in_the_same_filters(drafts):
    emulator, ids = drafts
    refused = [row["ID"] for row in emulator.state.list_invoices() if row["UUID"]][:2]
    with _client(emulator) as bind:
        followed = follow_drafts(bind, ids, extra_ids=refused)
    assert {row["ID"] for row in followed.rows} == {*ids, *refused}
    assert followed.bind_requests == 6 + 1


def test_a_set_larger_than_the_by_id_reads_stops_after_one_page(drafts):
    """Bind holds 575 unstamped invoices, the pipeline follows 3: reading the whole set (6 pages) would
    cost more than one by-id filter, so the read stops after the first page."""
    emulator, ids = drafts
    with _client(emulator) as bind:
        followed = follow_drafts(bind, ids[:3])
    assert followed.strategy == "by_id" and followed.set_size == DRAFTS
    assert sorted(row["ID"] for row in followed.rows) == sorted(ids[:3])
    assert emulator.admin.counts() == {"GET /api/Invoices": 1 + 1}


def test_a_horizon_narrows_the_set_and_older_followed_drafts_are_read_by_id(drafts):
    emulator, ids = drafts
    old = emulator.state.add_invoice(Date="2025-06-01T10:00:00")["ID"]
    emulator.admin.reset_requests()
    with _client(emulator) as bind:
        followed = follow_drafts(bind, [*ids, old], since=datetime(2026, 1, 1, tzinfo=CDMX))
    assert followed.left_set == [old] and old in {row["ID"] for row in followed.rows}
    assert followed.bind_requests == 6 + 1


def test_nothing_followed_costs_nothing(drafts):
    emulator, _ = drafts
    with _client(emulator) as bind:
        followed = follow_drafts(bind, ["not-a-guid"])
    assert followed.rows == [] and followed.strategy == "none" and followed.bind_requests == 0
    assert emulator.admin.counts() == {}


def test_a_refused_filter_fails_the_read_naming_it(drafts):
    emulator, ids = drafts
    emulator.admin.inject(
        "custom",
        r"/api/Invoices$",
        count=1,
        status=400,
        body={"Message": "The query specified in the URI is not valid."},
    )
    with _client(emulator) as bind, pytest.raises(BindApiError) as caught:
        follow_drafts(bind, ids)
    assert caught.value.status == 400 and caught.value.endpoint == "GET /Invoices"


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="by_id"):
        follow_drafts(BindClient("https://api.bind.com.mx/api", "k"), [_guid()], mode="sometimes")


def test_unstamped_means_null_empty_or_all_zero_uuid():
    assert is_unstamped({"UUID": None}) and is_unstamped({"UUID": ""})
    assert is_unstamped({"UUID": "00000000-0000-0000-0000-000000000000"})
    assert not is_unstamped({"UUID": "65491c47-0000-4000-8000-000000000001"})


def test_every_unstamped_draft_is_followed_however_old():
    invoices = [
        {"ID": "new-draft", "UUID": None, "Date": "2026-03-10T11:00:00"},
        {"ID": "old-draft", "UUID": None, "Date": "2025-01-01T11:00:00"},
        {"ID": "stamped", "UUID": "65491c47-0000-4000-8000-000000000001", "Date": "2026-03-10T11:00:00"},
        {"ID": "undated-draft", "UUID": None, "Date": "not a date"},
        "not an invoice object",
    ]
    assert drafts_to_follow(invoices) == ["new-draft", "old-draft", "undated-draft"]


def test_unique_by_id_keeps_the_last_copy():
    merged = unique_by_id([{"ID": "a", "Status": 0}, {"ID": "b"}, {"ID": "a", "Status": 1}])
    assert sorted((i["ID"], i.get("Status")) for i in merged) == [("a", 1), ("b", None)]
