"""A list route's records kept in SQL Server ``uniqueidentifier`` order, each encoded to JSON once."""

from __future__ import annotations

from bisect import bisect_left

from smartbind_pipelines.sandbox.bind.schema import Entity, sqlguid_key

Row = tuple[dict, str]  # (typed record, its encoded JSON)


class Collection:
    """The records behind one list route, in SQL Server GUID order, each encoded to JSON once.

    ``rows()`` returns a list that is never changed afterwards (a change makes a new list), so readers
    and the selection cache can hold it without a lock. A few changes are merged into a copy by binary
    search; a bulk load rebuilds the list once.
    """

    _MERGE_LIMIT = 256

    def __init__(self, entity: Entity):
        self.entity = entity
        self.records: dict[str, dict] = {}
        self._sort_keys: dict[str, bytes] = {}
        self._keys: list[bytes] = []  # sorted, parallel to _rows
        self._rows: list[Row] = []
        self._pending: dict[str, dict] = {}

    def put(self, record: dict) -> None:
        self.records[record["ID"]] = record
        self._pending[record["ID"]] = record

    def _key(self, record_id: str) -> bytes:
        key = self._sort_keys.get(record_id)
        if key is None:
            key = self._sort_keys[record_id] = sqlguid_key(record_id)
        return key

    def rows(self) -> list[Row]:
        if not self._pending:
            return self._rows
        pending, self._pending = self._pending, {}
        encode = self.entity.encode
        if len(pending) > self._MERGE_LIMIT:
            encoded = {record_id: text for (record, text) in self._rows if (record_id := record["ID"]) not in pending}
            order = sorted(self.records, key=self._key)
            self._keys = [self._sort_keys[record_id] for record_id in order]
            self._rows = [
                (self.records[record_id], encoded.get(record_id) or encode(self.records[record_id]))
                for record_id in order
            ]
            return self._rows
        keys, rows = list(self._keys), list(self._rows)
        for record_id, record in pending.items():
            key = self._key(record_id)
            index = bisect_left(keys, key)
            if index < len(keys) and keys[index] == key:
                rows[index] = (record, encode(record))
            else:
                keys.insert(index, key)
                rows.insert(index, (record, encode(record)))
        self._keys, self._rows = keys, rows
        return rows
