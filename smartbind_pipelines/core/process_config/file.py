"""The ProcessConfig SQLite file: connections, read and write transactions, and what is wrong with it.

SQLite in WAL mode lets readers proceed while a writer works; each write is one ``BEGIN IMMEDIATE``
transaction, so two writers in different processes serialise instead of overwriting each other. Any
failure of the file itself (missing after creation, locked beyond ``busy_timeout`` seconds, corrupt,
read-only, a newer schema) raises :class:`ProcessConfigUnavailable` with one line naming the file and
the problem.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator

from smartbind_pipelines.core.process_config.model import ProcessConfigUnavailable


class ConfigFile:
    """Connections to ``self.db_path`` waiting ``self.busy_timeout`` seconds for a writer (both set by
    ``ProcessConfigStore.__init__``)."""

    db_path: Path
    busy_timeout: float

    def _connect(self, *, create: bool = False) -> sqlite3.Connection:
        if not create and not self.db_path.exists():
            # Never re-create a file that vanished under a running service: that would bring every
            # process back from the defaults, active.
            raise ProcessConfigUnavailable(
                self.db_path,
                "does not exist (moved or deleted?); restore it, "
                "or run any `smartbind config` command to create a new one",
            )
        uri = self.db_path.absolute().as_uri() + ("?mode=rwc" if create else "?mode=rw")
        # isolation_level=None: we issue BEGIN ourselves, so Python never opens hidden transactions.
        conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def _unavailable(self, exc: BaseException) -> ProcessConfigUnavailable:
        return ProcessConfigUnavailable(self.db_path, describe_file_error(exc, self.busy_timeout))

    @contextmanager
    def _read(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            with closing(self._connect(create=create)) as conn:
                yield conn
        except (sqlite3.Error, OSError) as exc:
            raise self._unavailable(exc) from exc

    @contextmanager
    def _write(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        try:
            with closing(self._connect(create=create)) as conn:
                # IMMEDIATE takes the write lock now, so the caller's re-read sees the last committed state.
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            raise self._unavailable(exc) from exc


def describe_file_error(exc: BaseException, busy_timeout: float) -> str:
    """One line saying what is wrong with the file, from SQLite's or the OS's error (no file content)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (
            f"is locked by another process (still locked after {busy_timeout:g} s): "
            "try again shortly; if it persists, find the process holding it"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            "is not a readable SQLite database (corrupt?): restore it from a backup, or move it away "
            "to start again from the defaults"
        )
    if "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
        return (
            "cannot be written (read-only file, directory or volume): give the smartbind user write "
            "access to the file and its directory"
        )
    if "unable to open" in text:
        return "cannot be opened (missing directory, or no permission to read it)"
    if "no such table" in text:
        return "has no ProcessConfig tables (not a smartbind file?): move it away to start from the defaults"
    return f"cannot be used: {type(exc).__name__}: {str(exc)[:200]}"
