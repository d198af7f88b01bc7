"""Failed runs: how many in a row, the alert message, the webhook post, and a local record of each.

No Dagster here: smartbind_pipelines/defs/alerts.py reads the run history from the instance and wires
these pieces into a run-failure sensor.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

import requests

DEFAULT_ALERT_AFTER_FAILURES = 3
ALERT_AFTER_ENV = "SMARTBIND_ALERT_AFTER_FAILURES"
ALERTS_DB_NAME = "alerts.db"  # next to the ProcessConfig database, on the same volume
MAX_ERROR_CHARS = 500  # chat webhooks truncate or reject long bodies; the run page has the rest


@dataclass(frozen=True)
class RunFailure:
    """One failed run, as an operator reads it."""

    process: str  # ProcessConfig job_id, i.e. the Dagster job name (sync_invoices, ...)
    run_id: str
    error: str
    failed_at: datetime  # America/Mexico_City
    consecutive: int  # failed runs of this process in a row, this one included


def parse_alert_after_failures(raw: str | None) -> tuple[int, str | None]:
    """The threshold from SMARTBIND_ALERT_AFTER_FAILURES and, when the value is unusable, why.

    An unusable value never raises: the code location must load (with the default) whatever the typo;
    the caller logs the problem and `smartbind doctor` reports it.
    """
    text = (raw or "").strip()
    if not text:
        return DEFAULT_ALERT_AFTER_FAILURES, None
    if text.isascii() and text.isdigit() and len(text) <= 6 and int(text) >= 1:
        return int(text), None
    shown = repr(text[:20]) + ("…" if len(text) > 20 else "")
    return DEFAULT_ALERT_AFTER_FAILURES, (
        f"{ALERT_AFTER_ENV}={shown} is not a whole number of at least 1; "
        f"using the default, {DEFAULT_ALERT_AFTER_FAILURES}"
    )


def consecutive_failures(statuses_newest_first: Iterable[str]) -> int:
    """How many FAILUREs lead the history; the first SUCCESS ends the streak."""
    count = 0
    for status in statuses_newest_first:
        if status != "FAILURE":
            break
        count += 1
    return count


def short_error(message: str | None) -> str:
    """The first meaningful line of a failure message, cut to fit a chat message."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    text = lines[0] if lines else "no error message recorded"
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def run_url(dagster_url: str | None, run_id: str) -> str | None:
    return f"{dagster_url.rstrip('/')}/runs/{run_id}" if dagster_url else None


def is_repeated(failure: RunFailure, alert_after_failures: int) -> bool:
    return failure.consecutive >= alert_after_failures


def alert_message(failure: RunFailure, *, link: str | None, alert_after_failures: int) -> dict:
    """The JSON body posted to the webhook. `text` is what Slack, Teams and Google Chat display."""
    repeated = is_repeated(failure, alert_after_failures)
    headline = (
        f"🚨 {failure.process} has failed {failure.consecutive} times in a row"
        if repeated
        else f"⚠️ {failure.process} failed"
    )
    text = f"{headline}: {failure.error}"
    if link:
        text += f"\nRun: {link}"
    return {
        "text": text,
        "process": failure.process,
        "run_id": failure.run_id,
        "error": failure.error,
        "run_url": link,
        "failed_at": failure.failed_at.isoformat(),
        "consecutive_failures": failure.consecutive,
        "repeated_failure": repeated,
    }


class AlertDeliveryError(RuntimeError):
    """The webhook did not take the alert. The message never includes the URL (it is the credential)."""


def post_alert(
    webhook_url: str, message: dict, *, timeout: float = 10.0, session: requests.Session | None = None
) -> None:
    http = session or requests
    try:
        response = http.post(webhook_url, json=message, timeout=timeout)
    except requests.RequestException as exc:
        raise AlertDeliveryError(f"alert webhook unreachable: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise AlertDeliveryError(f"alert webhook answered HTTP {response.status_code}")


def failure_log_path(process_config_db: str | Path) -> Path:
    """The failure log lives beside the ProcessConfig database, so it shares its volume and backups."""
    return Path(process_config_db).parent / ALERTS_DB_NAME


class FailureLog:
    """Every failed run, kept in a small SQLite file next to ProcessConfig (`alerts.db`)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn, conn:
            conn.execute(
                """CREATE TABLE IF NOT EXISTS run_failures (
                       run_id TEXT PRIMARY KEY,
                       process TEXT NOT NULL,
                       failed_at TEXT NOT NULL,
                       error TEXT NOT NULL,
                       consecutive INTEGER NOT NULL,
                       repeated INTEGER NOT NULL,
                       alert_status TEXT NOT NULL  -- sent | not_configured | failed: <reason>
                   )"""
            )
            conn.execute("CREATE INDEX IF NOT EXISTS run_failures_by_process ON run_failures (process, failed_at)")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn

    def record(self, failure: RunFailure, *, repeated: bool, alert_status: str) -> None:
        # A sensor tick may be evaluated again after a crash: the run id keeps one row per failure.
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_failures VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    failure.run_id,
                    failure.process,
                    failure.failed_at.isoformat(),
                    failure.error,
                    failure.consecutive,
                    int(repeated),
                    alert_status,
                ),
            )

    def recent(self, process: str | None = None, limit: int = 20) -> list[dict]:
        query = "SELECT * FROM run_failures"
        params: tuple = ()
        if process:
            query += " WHERE process = ?"
            params = (process,)
        query += " ORDER BY failed_at DESC LIMIT ?"
        with closing(self._connect()) as conn:
            return [dict(row) for row in conn.execute(query, (*params, limit))]
