"""The small SQLite files smartbind keeps beside ProcessConfig (sync state, the invoicing ledger): one way
to open them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def connection(path: str | Path, *, timeout: float = 30) -> Iterator[sqlite3.Connection]:
    """An autocommit connection with rows by column name (statements open their own transactions with
    ``BEGIN IMMEDIATE`` where they need one), closed on exit."""
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()
