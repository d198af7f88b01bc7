"""Both emulators on loopback, with demo data and the target sheets, as one `Sandbox`."""

from __future__ import annotations

import random
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from smartbind_pipelines.core.declarations import SHIPPED
from smartbind_pipelines.core.inventory import INVENTORY_MAPPING
from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.process_config import SHEET_ID_ENV
from smartbind_pipelines.core.process_config.defaults import SEED_INVOICES_SHEET_ID
from smartbind_pipelines.core.sheets import SheetMapping, sheet_columns
from smartbind_pipelines.sandbox.faults import SandboxAdmin
from smartbind_pipelines.sandbox.server import BackgroundServer

# The seed's invoices sheet id: the default ProcessConfig row points at it, so `make dev` works unchanged.
INVOICES_SHEET_ID = int(SEED_INVOICES_SHEET_ID)
INVOICE_COLUMNS = sheet_columns(INVOICE_MAPPING)
INVENTORY_COLUMNS = sheet_columns(INVENTORY_MAPPING)


@dataclass(frozen=True)
class SandboxSheet:
    """A target sheet the sandbox creates, and the variable that points the pipeline at it."""

    name: str
    mapping: SheetMapping
    sheet_id_env: str
    sheet_id: int | None = None  # None: the emulator picks one


def sandbox_sheets() -> list[SandboxSheet]:
    """One sheet per shipped process: invoices, inventory and the declared ones (clients, products)."""
    return [
        SandboxSheet("Facturas Bind", INVOICE_MAPPING, SHEET_ID_ENV["sync_invoices"], INVOICES_SHEET_ID),
        SandboxSheet("Inventario Bind", INVENTORY_MAPPING, SHEET_ID_ENV["sync_inventory"]),
        *(SandboxSheet(d.sheet_name, d.mapping, d.sheet_id_env) for d in SHIPPED),
    ]


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

    def __post_init__(self) -> None:
        from smartbind_pipelines.sandbox.bind import BindState, create_bind_app
        from smartbind_pipelines.sandbox.smartsheet import SmartsheetState, create_smartsheet_app

        if self.bind_state is None:
            self.bind_state = BindState.demo(seed=self.seed, invoices=self.invoices)
        self.smartsheet_state = SmartsheetState()
        self.bind_server = BackgroundServer(create_bind_app(self.bind_state, tokens={self.bind_token}),
                                            host=self.host, port=self.bind_port)
        self.smartsheet_server = BackgroundServer(
            create_smartsheet_app(self.smartsheet_state, tokens={self.smartsheet_token}),
            host=self.host, port=self.smartsheet_port)
        self.sheet_ids: dict[str, int] = {}  # sheet-id variable -> the sheet created for it
        self._activity_stop = threading.Event()
        self._activity: threading.Thread | None = None

    def start(self) -> "Sandbox":
        self.bind_server.start()
        self.smartsheet_server.start()
        self.bind_admin = SandboxAdmin(self.bind_server.url)
        self.smartsheet_admin = SandboxAdmin(self.smartsheet_server.url)
        if self.create_sheets:
            for sheet in sandbox_sheets():
                created = self.smartsheet_state.create_sheet(sheet.name, sheet_columns(sheet.mapping),
                                                             sheet_id=sheet.sheet_id)
                self.sheet_ids[sheet.sheet_id_env] = created["id"]
        return self

    def stop(self) -> None:
        self._activity_stop.set()
        self.bind_server.stop()
        self.smartsheet_server.stop()

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
        return env

    def start_business_activity(self, every_seconds: float) -> None:
        """Play a business day: every few seconds a new invoice, a stamp, a payment or a cancellation."""
        rng = random.Random(self.seed)

        def play() -> None:
            while not self._activity_stop.wait(every_seconds):
                self.bind_state.simulate_activity(rng)

        self._activity = threading.Thread(target=play, daemon=True, name="sandbox-activity")
        self._activity.start()


def export_lines(env: dict[str, str]) -> str:
    from shlex import quote

    return "\n".join(f"export {name}={quote(value)}" for name, value in env.items()) + "\n"
