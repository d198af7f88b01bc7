"""The invoicing ledger: a SQLite file beside ProcessConfig recording every attempt to invoice a row.

It is the lock and the memory of the exactly-once protocol:

- ``begin`` records an attempt *before* the POST. It is an atomic insert (or a compare-and-set on the
  previous claim), so two runs can never both be cleared to POST the same row, on any path.
- ``created`` records the sale's Bind id as soon as Bind answers; a reference with a created sale is
  never posted again, whatever the sheet says later.
- ``failed`` drops an attempt Bind refused for certain (a 4xx), so the row may be tried again.

It outlives Dagster's run history (issue 15): a wiped or pruned instance does not forget an invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from smartbind_pipelines.core.cdmx import iso_cdmx
from smartbind_pipelines.core.sqlite_files import connection

LEDGER_DB_NAME = "invoicing.db"
POSTING = "posting"  # recorded before the POST: the sale may or may not exist
CREATED = "created"  # Bind answered with the sale's id (or the sale was found carrying the reference)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sheet_invoices (
    reference TEXT PRIMARY KEY,
    sheet_id TEXT NOT NULL,
    row_id TEXT NOT NULL,
    claim TEXT NOT NULL,
    state TEXT NOT NULL,
    bind_id TEXT,
    uuid TEXT,
    folio TEXT,
    day TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Attempt:
    reference: str
    sheet_id: str
    row_id: str
    claim: str
    state: str
    bind_id: str | None
    uuid: str | None
    folio: str | None
    day: str
    claimed_at: str

    def older_than(self, now: datetime, minutes: float) -> bool:
        return datetime.fromisoformat(self.claimed_at) < now - timedelta(minutes=minutes)


def ledger_path(process_config_db: str | Path) -> Path:
    return Path(process_config_db).parent / LEDGER_DB_NAME


class InvoiceLedger:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as conn:
            conn.execute(_SCHEMA)

    def _conn(self):
        return connection(self.path)

    def get(self, reference: str) -> Attempt | None:
        with self._conn() as conn:
            row = conn.execute("SELECT * FROM sheet_invoices WHERE reference = ?", (reference,)).fetchone()
        return _attempt(row)

    def all(self) -> list[Attempt]:
        with self._conn() as conn:
            return [_attempt(row) for row in conn.execute("SELECT * FROM sheet_invoices ORDER BY claimed_at")]

    def begin(
        self, reference: str, sheet_id: int, row_id: int, claim: str, now: datetime, *, replacing: str | None = None
    ) -> bool:
        """Record an attempt before the POST. True when this claim now holds the reference: there was no
        attempt, or the one there (a ``posting`` by ``replacing``) was taken over. Never over a created sale."""
        stamp = iso_cdmx(now)
        with self._conn() as conn:
            if replacing is None:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO sheet_invoices (reference, sheet_id, row_id, claim, state, day, claimed_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (reference, str(sheet_id), str(row_id), claim, POSTING, now.date().isoformat(), stamp, stamp),
                )
            else:
                cursor = conn.execute(
                    "UPDATE sheet_invoices SET claim = ?, day = ?, claimed_at = ?, updated_at = ? "
                    "WHERE reference = ? AND claim = ? AND state = ?",
                    (claim, now.date().isoformat(), stamp, stamp, reference, replacing, POSTING),
                )
            return cursor.rowcount == 1

    def created(
        self,
        reference: str,
        bind_id: str,
        now: datetime,
        *,
        sheet_id: int | None = None,
        row_id: int | None = None,
        claim: str = "found",
    ) -> None:
        """The sale exists: remember its id for ever (inserting the attempt when it was found, not posted)."""
        stamp = iso_cdmx(now)
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO sheet_invoices (reference, sheet_id, row_id, claim, state, bind_id, day, claimed_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(reference) DO UPDATE SET "
                "state = excluded.state, bind_id = excluded.bind_id, updated_at = excluded.updated_at",
                (
                    reference,
                    str(sheet_id or ""),
                    str(row_id or ""),
                    claim,
                    CREATED,
                    bind_id.lower(),
                    now.date().isoformat(),
                    stamp,
                    stamp,
                ),
            )

    def stamped(self, reference: str, uuid: str, folio: str, now: datetime) -> None:
        with self._conn() as conn:
            conn.execute(
                "UPDATE sheet_invoices SET uuid = ?, folio = ?, updated_at = ? WHERE reference = ?",
                (uuid, folio, iso_cdmx(now), reference),
            )

    def failed(self, reference: str, claim: str) -> None:
        """Bind refused the POST for certain: forget this claim's attempt so the row can be tried again."""
        with self._conn() as conn:
            conn.execute(
                "DELETE FROM sheet_invoices WHERE reference = ? AND claim = ? AND state = ?",
                (reference, claim, POSTING),
            )

    def count_on(self, day: str) -> int:
        """Invoices created (or possibly created) on ``day`` (YYYY-MM-DD, Mexico City): the per-day cap."""
        with self._conn() as conn:
            return conn.execute("SELECT COUNT(*) FROM sheet_invoices WHERE day = ?", (day,)).fetchone()[0]


def _attempt(row) -> Attempt | None:
    if row is None:
        return None
    return Attempt(
        row["reference"],
        row["sheet_id"],
        row["row_id"],
        row["claim"],
        row["state"],
        row["bind_id"],
        row["uuid"],
        row["folio"],
        row["day"],
        row["claimed_at"],
    )
