"""Webhook events (contract smartsheet-events.md §4.1, §8.2): the events a row, cell or discussion change
produces, stamped as Smartsheet stamps them, and the filter a webhook's subscope applies to them.
"""

from __future__ import annotations

from datetime import datetime, timezone

SANDBOX_USER_ID = 5550001


def event_stamp() -> str:
    """Callback timestamps as captured: milliseconds and ``+00:00``."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+00:00"


def events_for_add(rows: list, columns_of) -> list[dict]:
    stamp = event_stamp()
    events = []
    for row in rows:
        events.append({"objectType": "row", "eventType": "created", "id": row.id})
    for row in rows:
        for column_id in columns_of(row):
            events.append({"objectType": "cell", "eventType": "updated", "rowId": row.id, "columnId": column_id})
    events.append({"objectType": "sheet", "eventType": "updated"})
    return _stamped(events, stamp)


def events_for_update(changed: dict[int, list[int]]) -> list[dict]:
    """``changed``: row id -> ids of the columns whose value changed."""
    events = [{"objectType": "sheet", "eventType": "updated"}]
    for row_id, column_ids in changed.items():
        events.append({"objectType": "row", "eventType": "updated", "id": row_id})
        events.extend(
            {"objectType": "cell", "eventType": "updated", "rowId": row_id, "columnId": column_id}
            for column_id in column_ids
        )
    return _stamped(events, event_stamp())


def events_for_delete(row_ids: list[int]) -> list[dict]:
    events = [{"objectType": "row", "eventType": "deleted", "id": row_id} for row_id in row_ids]
    events.append({"objectType": "sheet", "eventType": "updated"})
    return _stamped(events, event_stamp())


def events_for_discussion(discussion_id: int | None, comment_id: int) -> list[dict]:
    events = []
    if discussion_id is not None:
        events.append({"objectType": "discussion", "eventType": "created", "id": discussion_id})
    events.append({"objectType": "comment", "eventType": "created", "id": comment_id})
    return _stamped(events, event_stamp())


def _stamped(events: list[dict], stamp: str) -> list[dict]:
    for event in events:
        event.setdefault("userId", SANDBOX_USER_ID)
        event.setdefault("timestamp", stamp)
    return events


def for_subscope(hook: dict, events: list[dict]) -> list[dict]:
    """§8.2: with a subscope, only cell events on its columns (plus their ``row updated``) and row deletions."""
    columns = set((hook.get("subscope") or {}).get("columnIds") or [])
    if not columns:
        return events
    cells = [e for e in events if e["objectType"] == "cell" and e["columnId"] in columns]
    rows = {e["rowId"] for e in cells}
    return [
        e
        for e in events
        if e in cells
        or (e["objectType"] == "row" and e["eventType"] == "updated" and e.get("id") in rows)
        or (e["objectType"] == "row" and e["eventType"] == "deleted")
    ]
