"""The emulators a scenario family runs against: started in-process, with latency, counted per endpoint."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from smartbind_pipelines.sandbox.faults import SandboxAdmin
from smartbind_pipelines.sandbox.server import BackgroundServer


@dataclass
class BenchSandbox:
    """A Bind emulator over ``bind_state`` and an empty Smartsheet emulator, on loopback ports.

    Every request to either pays ``latency_ms`` (the shared fault middleware's global latency), as a
    request to the real services pays the network.
    """

    bind_state: object
    latency_ms: int
    bind_token: str = field(default_factory=lambda: "bench-bind-" + secrets.token_hex(16))
    sheet_token: str = field(default_factory=lambda: "bench-ss-" + secrets.token_hex(16))

    def __post_init__(self) -> None:
        from smartbind_pipelines.sandbox.bind import create_bind_app
        from smartbind_pipelines.sandbox.smartsheet import SmartsheetState, create_smartsheet_app

        self.sheet_state = SmartsheetState()
        self.bind_server = BackgroundServer(create_bind_app(self.bind_state, tokens={self.bind_token}))
        self.sheet_server = BackgroundServer(create_smartsheet_app(self.sheet_state, tokens={self.sheet_token}))

    def start(self) -> "BenchSandbox":
        self.bind_server.start()
        self.sheet_server.start()
        self.bind_admin = SandboxAdmin(self.bind_server.url)
        self.sheet_admin = SandboxAdmin(self.sheet_server.url)
        self.bind_admin.set_latency(self.latency_ms)
        self.sheet_admin.set_latency(self.latency_ms)
        return self

    def stop(self) -> None:
        self.bind_server.stop()
        self.sheet_server.stop()

    def __enter__(self) -> "BenchSandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def bind_url(self) -> str:
        return f"{self.bind_server.url}/api"

    @property
    def sheet_url(self) -> str:
        return f"{self.sheet_server.url}/2.0"

    def create_sheet(self, name: str, columns: list[dict]) -> int:
        return self.sheet_state.create_sheet(name, columns)["id"]

    def reset_counts(self) -> None:
        self.bind_admin.reset_requests()
        self.sheet_admin.reset_requests()

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return self.bind_admin.counts(), self.sheet_admin.counts()

    def child_config(self, sheet_id: int, **extra) -> dict:
        """What a workload needs to reach this sandbox (tokens travel on the child's stdin only)."""
        return {"bind_url": self.bind_url, "bind_key": self.bind_token, "sheet_api": self.sheet_url,
                "sheet_token": self.sheet_token, "sheet_id": sheet_id, **extra}
