"""Connections to Bind ERP and Smartsheet, and the clock the syncs read.

Secrets are ``dg.EnvVar``s: Dagster resolves them when a run starts and the UI shows only the variable
name. The key fields are excluded from ``repr`` so a logged resource never carries a token.
"""

from __future__ import annotations

import os
from datetime import datetime

import dagster as dg
from pydantic import Field

from smartbind_pipelines.core.bind_client import PAGE_WORKERS, BindClient
from smartbind_pipelines.core.cdmx import now_cdmx, parse_bind_datetime
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway

DEFAULT_BIND_API_BASE_URL = "https://api.bind.com.mx/api"
DEFAULT_SMARTSHEET_API_BASE = "https://api.smartsheet.com/2.0"


class BindResource(dg.ConfigurableResource):
    """Bind ERP REST API (bearer key from BIND_API_KEY)."""

    api_key: str = Field(repr=False, description="Bind API key; set it with the BIND_API_KEY variable.")
    base_url: str = Field(default=DEFAULT_BIND_API_BASE_URL, description="API base including /api.")
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 30.0
    max_attempts: int = Field(default=6, description="HTTP attempts per request (429, 5xx, timeouts).")
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 60.0
    page_workers: int = Field(
        default=PAGE_WORKERS,
        ge=1,
        le=32,
        description="Pages of one large Bind read in flight at once (1: one after the other); BIND_PAGE_WORKERS.",
    )

    def client(self) -> BindClient:
        """A new client (one HTTP session); close it when done."""
        return BindClient(
            self.base_url,
            self.api_key,
            timeout=(self.connect_timeout_seconds, self.read_timeout_seconds),
            max_attempts=self.max_attempts,
            backoff_base=self.backoff_base_seconds,
            backoff_max=self.backoff_max_seconds,
            page_workers=self.page_workers,
        )


class SmartsheetResource(dg.ConfigurableResource):
    """Smartsheet API 2.0 through the official SDK (token from SMARTSHEET_ACCESS_TOKEN)."""

    access_token: str = Field(
        repr=False, description="Smartsheet token; set it with the SMARTSHEET_ACCESS_TOKEN variable."
    )
    api_base: str = Field(default=DEFAULT_SMARTSHEET_API_BASE, description="API base including /2.0.")
    timeout_seconds: float = 60.0
    max_retry_seconds: float = Field(
        default=60.0, description="How long the SDK keeps retrying rate limits (4003) and save collisions (4004)."
    )

    fixed_retry_delay_seconds: float | None = Field(
        default=None,
        description="Sandbox and tests only: retry after this fixed delay instead of the SDK's exponential backoff.",
    )

    def gateway(self) -> SheetGateway:
        backoff = self.max_retry_seconds
        if self.fixed_retry_delay_seconds is not None:
            backoff = FixedBackoff(delay=self.fixed_retry_delay_seconds)
        return SheetGateway.connect(
            self.access_token, self.api_base, timeout=self.timeout_seconds, max_retry_time=backoff
        )


class ClockResource(dg.ConfigurableResource):
    """The moment a sync treats as "now" (the end of its window).

    Left empty in production. Tests and drills freeze it to replay an outage or a day boundary.
    """

    frozen_at: str | None = Field(
        default=None, description="ISO datetime; naive means Mexico City time. Empty: the real clock."
    )

    def now(self) -> datetime:
        if self.frozen_at:
            return parse_bind_datetime(self.frozen_at)
        return now_cdmx()


def bind_resource_from_env() -> BindResource:
    # The base URL is not secret, so reading it at load time (and showing it in the UI) is fine.
    return BindResource(
        api_key=dg.EnvVar("BIND_API_KEY"),
        base_url=os.environ.get("BIND_API_BASE_URL") or DEFAULT_BIND_API_BASE_URL,
        page_workers=_page_workers_from_env(),
    )


def _page_workers_from_env() -> int:
    raw = (os.environ.get("BIND_PAGE_WORKERS") or "").strip()
    if not raw:
        return PAGE_WORKERS
    if not raw.isdigit() or not 1 <= int(raw) <= 32:
        raise ValueError(f"BIND_PAGE_WORKERS must be a whole number from 1 to 32 (pages in flight), not {raw[:20]!r}")
    return int(raw)


def smartsheet_resource_from_env() -> SmartsheetResource:
    return SmartsheetResource(
        access_token=dg.EnvVar("SMARTSHEET_ACCESS_TOKEN"),
        api_base=os.environ.get("SMARTSHEET_API_BASE") or DEFAULT_SMARTSHEET_API_BASE,
    )


def sync_resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """The connections every sync uses, built from the environment as it is now."""
    return {"bind": bind_resource_from_env(), "smartsheet": smartsheet_resource_from_env(), "clock": ClockResource()}


defs = dg.Definitions(resources=sync_resources_from_env())
