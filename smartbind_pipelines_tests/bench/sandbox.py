"""The emulators a scenario family runs against: started in-process, with latency, counted per endpoint."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from smartbind_pipelines.sandbox.runner import Sandbox


@dataclass
class BenchSandbox(Sandbox):
    """The sandbox over the scenario's own ``bind_state`` and an empty Smartsheet emulator.

    Every request to either pays ``latency_ms`` (the shared fault middleware's global latency), as a
    request to the real services pays the network.
    """

    latency_ms: int = 50
    create_sheets: bool = False
    bind_token: str = field(default_factory=lambda: "bench-bind-" + secrets.token_hex(16))
    smartsheet_token: str = field(default_factory=lambda: "bench-ss-" + secrets.token_hex(16))

    def start(self) -> "BenchSandbox":
        super().start()
        self.bind_admin.set_latency(self.latency_ms)
        self.smartsheet_admin.set_latency(self.latency_ms)
        return self

    def create_sheet(self, name: str, columns: list[dict]) -> int:
        return self.smartsheet_state.create_sheet(name, columns)["id"]

    def reset_counts(self) -> None:
        self.bind_admin.reset_requests()
        self.smartsheet_admin.reset_requests()

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        return self.bind_admin.counts(), self.smartsheet_admin.counts()

    def child_config(self, sheet_id: int, **extra) -> dict:
        """What a workload needs to reach this sandbox (tokens travel on the child's stdin only)."""
        return {
            "bind_url": self.bind_url,
            "bind_key": self.bind_token,
            "sheet_api": self.smartsheet_url,
            "sheet_token": self.smartsheet_token,
            "sheet_id": sheet_id,
            **extra,
        }
