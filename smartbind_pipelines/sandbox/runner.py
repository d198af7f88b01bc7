"""Both emulators on loopback, with demo data and the target sheets, as one `Sandbox`.

With a ``state_file`` the sandbox survives restarts: the whole emulator state (Bind's records, the
sheets with their ids, rows and versions, the tokens, the business events played) is pickled there
whenever it changed (checked every ``snapshot_seconds``) and when the sandbox stops, and loaded at the
next start. `make dev` keeps it in ``$DAGSTER_HOME/sandbox-state.pickle``; `make reset` deletes it together
with the sync state. Both emulators also serve HTML pages to watch them (``page_urls()``).

The sheets created at start are in sandbox/sheets.py; how the state file is written and read, in
sandbox/snapshot.py. This module starts and stops the servers, the business activity and the snapshots.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.sandbox import invoicing_demo
from smartbind_pipelines.sandbox.faults import SandboxAdmin
from smartbind_pipelines.sandbox.server import BackgroundServer
from smartbind_pipelines.sandbox.sheets import create_sheets
from smartbind_pipelines.sandbox.snapshot import (
    SNAPSHOT_FORMAT,
    dump_snapshot,
    load_snapshot,
    quiescent,
    write_snapshot,
)

log = logging.getLogger(__name__)

MAX_EVENTS = 500  # business events kept for the Bind page (and the state file)


@dataclass
class Sandbox:
    """The Bind and Smartsheet emulators, started together; `env()` points the pipeline at them."""

    bind_port: int = 0
    smartsheet_port: int = 0
    seed: int = 7
    invoices: int = 250
    bind_token: str = field(default_factory=lambda: "sandbox-bind-" + secrets.token_hex(16))
    smartsheet_token: str = field(default_factory=lambda: "sandbox-ss-" + secrets.token_hex(16))
    create_sheets: bool = True
    bind_state: Any = None  # a BindState to serve instead of the demo data (benchmarks bring their own)
    host: str = "127.0.0.1"  # the address both emulators listen on (the stack test: a container bridge)
    state_file: Path | None = None  # where the state persists between starts (None: memory only)
    snapshot_seconds: float = 2.0  # how often a changed state is written to state_file

    def __post_init__(self) -> None:
        from smartbind_pipelines.sandbox.bind import BindState, create_bind_app
        from smartbind_pipelines.sandbox.bind.html import with_bind_pages
        from smartbind_pipelines.sandbox.smartsheet import SmartsheetState, create_smartsheet_app
        from smartbind_pipelines.sandbox.smartsheet.html import with_sheet_pages

        self.sheet_ids: dict[str, int] = {}  # sheet-id variable -> the sheet created for it
        self.events: deque[tuple[str, str]] = deque(maxlen=MAX_EVENTS)  # (Mexico City time, event) played
        self._activity_rng = random.Random(self.seed)
        self._page_base: str | None = None
        self.resumed = False
        if self.state_file is not None:
            self.state_file = Path(self.state_file)
            if self.state_file.exists():
                self._restore(load_snapshot(self.state_file))
        if self.bind_state is None:
            self.bind_state = BindState.demo(seed=self.seed, invoices=self.invoices)
        if not self.resumed:
            self.smartsheet_state = SmartsheetState()
        self.bind_server = BackgroundServer(
            with_bind_pages(
                create_bind_app(self.bind_state, tokens={self.bind_token}), self.bind_state, lambda: list(self.events)
            ),
            host=self.host,
            port=self.bind_port,
        )
        self.smartsheet_server = BackgroundServer(
            with_sheet_pages(
                create_smartsheet_app(self.smartsheet_state, tokens={self.smartsheet_token}), self.smartsheet_state
            ),
            host=self.host,
            port=self.smartsheet_port,
        )
        self._activity_stop = threading.Event()
        self._activity: threading.Thread | None = None
        self._snapshot_stop = threading.Event()
        self._snapshots: threading.Thread | None = None
        self._saved_digest: str | None = None
        self._save_lock = threading.Lock()

    def start(self) -> "Sandbox":
        from smartbind_pipelines.sandbox.smartsheet.html import SHEETS

        self.bind_server.start()
        self.smartsheet_server.start()
        self.bind_admin = SandboxAdmin(self.bind_server.url)
        self.smartsheet_admin = SandboxAdmin(self.smartsheet_server.url)
        self._point_permalinks(f"{self.smartsheet_server.url}{SHEETS}/")
        if self.create_sheets:
            create_sheets(self.smartsheet_state, self.sheet_ids)
        if self.state_file is not None:
            self.save()
            self._snapshots = threading.Thread(target=self._snapshot_loop, daemon=True, name="sandbox-snapshots")
            self._snapshots.start()
        return self

    def stop(self) -> None:
        self._activity_stop.set()
        self._snapshot_stop.set()
        if self._activity is not None:
            self._activity.join(5)
        if self._snapshots is not None:
            self._snapshots.join(10)
        self.bind_server.stop()
        self.smartsheet_server.stop()
        if self.state_file is not None:
            self.save()  # the last word: nothing can change any more

    # -- the state file -------------------------------------------------------------------------------

    def _point_permalinks(self, base: str) -> None:
        """New sheets' permalinks, and the ones an earlier start pointed at its own port, lead to this page."""
        state = self.smartsheet_state
        old = self._page_base
        state.permalink_base = base
        if old and old != base:
            for sheet in list(state.sheets.values()):
                if sheet.permalink.startswith(old):
                    sheet.permalink = base + sheet.permalink[len(old) :]
        self._page_base = base

    def _restore(self, snapshot: dict) -> None:
        self.bind_state = snapshot["bind"]
        self.smartsheet_state = snapshot["smartsheet"]
        self.sheet_ids = dict(snapshot["sheet_ids"])
        self.bind_token = snapshot["bind_token"]
        self.smartsheet_token = snapshot["smartsheet_token"]
        self.events.extend(snapshot.get("events", []))
        if snapshot.get("activity_rng") is not None:
            self._activity_rng.setstate(snapshot["activity_rng"])
        self._page_base = snapshot.get("page_base")
        self.resumed = True

    def snapshot(self) -> dict:
        return {
            "format": SNAPSHOT_FORMAT,
            "bind": self.bind_state,
            "smartsheet": self.smartsheet_state,
            "sheet_ids": dict(self.sheet_ids),
            "bind_token": self.bind_token,
            "smartsheet_token": self.smartsheet_token,
            "events": list(self.events),
            "activity_rng": self._activity_rng.getstate(),
            "page_base": self._page_base,
        }

    def save(self) -> bool:
        """Write the state to ``state_file`` if it changed since the last write; True when written."""
        if self.state_file is None:
            return False
        with self._save_lock:
            with quiescent(self.bind_state, self.smartsheet_state):
                data = dump_snapshot(self.snapshot())
            digest = hashlib.sha256(data).hexdigest()
            if digest == self._saved_digest:
                return False
            write_snapshot(self.state_file, data)
            self._saved_digest = digest
            return True

    def _snapshot_loop(self) -> None:
        while not self._snapshot_stop.wait(self.snapshot_seconds):
            try:
                self.save()
            except Exception:  # noqa: BLE001 - the next round tries again; the log says why
                log.exception("the sandbox state could not be written to %s", self.state_file)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def bind_url(self) -> str:
        return f"{self.bind_server.url}/api"

    @property
    def smartsheet_url(self) -> str:
        return f"{self.smartsheet_server.url}/2.0"

    def env(self) -> dict[str, str]:
        """The environment (DESIGN.md's names) that points the pipeline at this sandbox."""
        warehouses = self.bind_state.warehouse_ids()
        env = {
            "BIND_API_BASE_URL": self.bind_url,
            "BIND_API_KEY": self.bind_token,
            "BIND_WAREHOUSE_ID": warehouses[0] if warehouses else "",
            "SMARTSHEET_API_BASE": self.smartsheet_url,
            "SMARTSHEET_ACCESS_TOKEN": self.smartsheet_token,
        }
        env.update({variable: str(sheet_id) for variable, sheet_id in self.sheet_ids.items()})
        env.update(invoicing_demo.seed_env())  # invoice_from_sheet seeded active with the demo's settings
        return env

    def page_urls(self) -> dict[str, str]:
        """The HTML pages to watch the sandbox: the sheets, and Bind's invoices with the events played."""
        from smartbind_pipelines.sandbox.bind.html import INVOICES
        from smartbind_pipelines.sandbox.smartsheet.html import SHEETS

        return {"sheets": f"{self.smartsheet_server.url}{SHEETS}", "bind": f"{self.bind_server.url}{INVOICES}"}

    def start_business_activity(self, every_seconds: float) -> None:
        """Play a business day: every few seconds a new invoice, a stamp, a payment or a cancellation."""
        rng = self._activity_rng

        def play() -> None:
            while not self._activity_stop.wait(every_seconds):
                event = self.bind_state.simulate_activity(rng)
                self.events.append((now_cdmx().strftime("%Y-%m-%d %H:%M:%S"), event))

        self._activity = threading.Thread(target=play, daemon=True, name="sandbox-activity")
        self._activity.start()


def export_lines(env: dict[str, str]) -> str:
    from shlex import quote

    return "\n".join(f"export {name}={quote(value)}" for name, value in env.items()) + "\n"
