"""Both emulators on loopback, with demo data and the target sheets, as one `Sandbox`.

With a ``state_file`` the sandbox survives restarts: the whole emulator state (Bind's records, the
sheets with their ids, rows and versions, the tokens, the business events played) is pickled there
whenever it changed (checked every ``snapshot_seconds``) and when the sandbox stops, and loaded at the
next start. `make dev` keeps it in ``$DAGSTER_HOME/sandbox-state.pickle``; `make reset` deletes it together
with the sync state. Both emulators also serve HTML pages to watch them (``page_urls()``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import random
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartbind_pipelines.core.processes import INVENTORY, INVOICE_FROM_SHEET, INVOICES, all_processes
from smartbind_pipelines.core.sheets import SheetMapping, sheet_columns
from smartbind_pipelines.core.cdmx import now_cdmx
from smartbind_pipelines.sandbox import invoicing_demo
from smartbind_pipelines.sandbox.faults import SandboxAdmin
from smartbind_pipelines.sandbox.server import BackgroundServer

log = logging.getLogger(__name__)

# The seed's invoices sheet id: the default ProcessConfig row points at it, so `make dev` works unchanged.
INVOICES_SHEET_ID = int(INVOICES.default_sheet_id)
INVOICE_COLUMNS = sheet_columns(INVOICES.mapping)
INVENTORY_COLUMNS = sheet_columns(INVENTORY.mapping)
# The sandbox's own names for some sheets (ProcessConfig's defaults name the production sheets).
SHEET_NAMES = {INVOICES.job_id: "Facturas Bind", INVENTORY.job_id: "Inventario Bind",
               INVOICE_FROM_SHEET.job_id: invoicing_demo.SHEET_NAME}
# Rows a sheet starts with: invoice_from_sheet's demo rows an operator marks "Facturar" (issue 17).
SHEET_ROWS = {INVOICE_FROM_SHEET.job_id: invoicing_demo.demo_row_bodies}
SNAPSHOT_FORMAT = 1
MAX_EVENTS = 500


class SandboxSnapshotError(RuntimeError):
    """The state file exists but cannot be loaded; nothing was started (`make reset` starts over)."""


@dataclass(frozen=True)
class SandboxSheet:
    """A target sheet the sandbox creates, and the variable that points the pipeline at it."""

    name: str
    mapping: SheetMapping
    sheet_id_env: str
    sheet_id: int | None = None  # None: the emulator picks one
    rows: Any = None  # rows added when the sheet is created: a callable of the created columns -> add-rows body


def sandbox_sheets() -> list[SandboxSheet]:
    """One sheet per process shipped with smartbind (an operator's declarations aside): the pull processes
    first (invoices, inventory, clients, products), then the push one: the order the emulator numbers them in."""
    shipped = sorted(all_processes({}), key=lambda process: process.direction == "push")
    return [SandboxSheet(SHEET_NAMES.get(process.job_id, process.sheet_name), process.mapping, process.sheet_id_env,
                         int(process.default_sheet_id) if process.default_sheet_id else None,
                         rows=SHEET_ROWS.get(process.job_id))
            for process in shipped]


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
            with_bind_pages(create_bind_app(self.bind_state, tokens={self.bind_token}), self.bind_state,
                            lambda: list(self.events)),
            host=self.host, port=self.bind_port)
        self.smartsheet_server = BackgroundServer(
            with_sheet_pages(create_smartsheet_app(self.smartsheet_state, tokens={self.smartsheet_token}),
                             self.smartsheet_state),
            host=self.host, port=self.smartsheet_port)
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
            for sheet in sandbox_sheets():
                known = self.sheet_ids.get(sheet.sheet_id_env)
                if known is not None and known in self.smartsheet_state.sheets:
                    continue  # resumed: the sheet, its id and its rows are back
                wanted = sheet.sheet_id if sheet.sheet_id not in self.smartsheet_state.sheets else None
                created = self.smartsheet_state.create_sheet(sheet.name, sheet_columns(sheet.mapping),
                                                             sheet_id=wanted)
                self.sheet_ids[sheet.sheet_id_env] = created["id"]
                if sheet.rows is not None:
                    self.smartsheet_state.add_rows(created["id"], sheet.rows(created["columns"]))
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

    # -- persistence ------------------------------------------------------------------------------

    def _point_permalinks(self, base: str) -> None:
        """New sheets' permalinks, and the ones an earlier start pointed at its own port, lead to this page."""
        state = self.smartsheet_state
        old = self._page_base
        state.permalink_base = base
        if old and old != base:
            for sheet in list(state.sheets.values()):
                if sheet.permalink.startswith(old):
                    sheet.permalink = base + sheet.permalink[len(old):]
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
        return {"format": SNAPSHOT_FORMAT, "bind": self.bind_state, "smartsheet": self.smartsheet_state,
                "sheet_ids": dict(self.sheet_ids), "bind_token": self.bind_token,
                "smartsheet_token": self.smartsheet_token, "events": list(self.events),
                "activity_rng": self._activity_rng.getstate(), "page_base": self._page_base}

    def save(self) -> bool:
        """Write the state to ``state_file`` if it changed since the last write; True when written."""
        if self.state_file is None:
            return False
        with self._save_lock:
            with _quiescent(self.bind_state, self.smartsheet_state):
                data = dump_snapshot(self.snapshot())
            digest = hashlib.sha256(data).hexdigest()
            if digest == self._saved_digest:
                return False
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_name(self.state_file.name + ".tmp")
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o600)  # it holds the sandbox tokens
            tmp.replace(self.state_file)
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


# --- the state file ------------------------------------------------------------------------------------

_LOCK_FACTORIES = {type(threading.Lock()): threading.Lock, type(threading.RLock()): threading.RLock}


def _schema_constants() -> dict[int, str]:
    """id -> name of the Bind schema's module-level objects: pickled by name, so a newer schema applies."""
    from smartbind_pipelines.sandbox.bind import schema

    return {id(value): name for name, value in vars(schema).items()
            if isinstance(value, schema.Entity)}


class _StatePickler(pickle.Pickler):
    """Locks become fresh unlocked locks; the Bind schema's entities are referenced by name."""

    def __init__(self, file):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._constants = _schema_constants()

    def reducer_override(self, obj):
        factory = _LOCK_FACTORIES.get(type(obj))
        if factory is not None:
            return factory, ()
        return NotImplemented

    def persistent_id(self, obj):
        name = self._constants.get(id(obj))
        return ("bind.schema", name) if name is not None else None


class _StateUnpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        from smartbind_pipelines.sandbox.bind import schema

        kind, name = pid
        if kind != "bind.schema" or not isinstance(getattr(schema, name, None), schema.Entity):
            raise pickle.UnpicklingError(f"unknown schema object {pid!r}")
        return getattr(schema, name)


def dump_snapshot(snapshot: dict) -> bytes:
    import io

    buffer = io.BytesIO()
    _StatePickler(buffer).dump(snapshot)
    return buffer.getvalue()


def load_snapshot(path: Path) -> dict:
    """The snapshot in ``path``, with attributes newer code added filled in from fresh objects."""
    from smartbind_pipelines.sandbox.bind import BindState
    from smartbind_pipelines.sandbox.smartsheet import SmartsheetState

    try:
        with open(path, "rb") as handle:
            snapshot = _StateUnpickler(handle).load()
        if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a sandbox snapshot of format {SNAPSHOT_FORMAT}")
        if not isinstance(snapshot["bind"], BindState) or not isinstance(snapshot["smartsheet"], SmartsheetState):
            raise ValueError("the snapshot does not hold a Bind and a Smartsheet state")
    except Exception as exc:  # noqa: BLE001 - any failure means: this file cannot be resumed
        raise SandboxSnapshotError(
            f"the sandbox state in {path} cannot be loaded ({type(exc).__name__}: {exc}); `make reset` starts "
            "over (it clears the emulators and the sync state together)") from exc
    _fill_missing(snapshot["bind"], BindState.empty())
    _fill_missing(snapshot["smartsheet"], SmartsheetState())
    _fill_missing(snapshot["smartsheet"].config, type(snapshot["smartsheet"].config)())
    return snapshot


def _fill_missing(loaded: object, fresh: object) -> None:
    """Attributes a newer version of the class sets in __init__ get their fresh default."""
    for name, value in vars(fresh).items():
        if name not in vars(loaded):
            setattr(loaded, name, value)


@contextlib.contextmanager
def _quiescent(bind_state, smartsheet_state, timeout: float = 10.0):
    """Hold both emulators' locks (Bind's, the sheet registry's and every sheet's) while pickling."""
    with contextlib.ExitStack() as held:
        locks = [getattr(bind_state, "_lock", None), getattr(smartsheet_state, "_registry_lock", None)]
        for lock in locks:
            if lock is not None:
                if not lock.acquire(timeout=timeout):
                    raise TimeoutError("the sandbox state stayed busy; the snapshot waits for the next round")
                held.callback(lock.release)
        for sheet in list(getattr(smartsheet_state, "sheets", {}).values()):
            if not sheet.data_lock.acquire(timeout=timeout):
                raise TimeoutError(f"sheet {sheet.id} stayed busy; the snapshot waits for the next round")
            held.callback(sheet.data_lock.release)
        yield
