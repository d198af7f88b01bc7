"""SheetGateway: the only code that talks to the smartsheet SDK.

It fixes the SDK traps found on the wire (see contracts/smartsheet-api.md §1): errors are raised, every
request has a timeout, urllib3 never re-sends a POST behind our back, and what the SDK does not retry is
retried here when it is safe to repeat (``transport``). Its reads are in ``reads``, its writes in
``writes``; ``redaction`` keeps the token out of every error and SDK log line.
"""

from __future__ import annotations

import time

import smartsheet
from smartsheet.smartsheet import AbstractUserCalcBackoff

from smartbind_pipelines.core.sheets.gateway.reads import SheetInfo, SheetReads
from smartbind_pipelines.core.sheets.gateway.redaction import MAX_ERROR_CHARS
from smartbind_pipelines.core.sheets.gateway.transport import FixedBackoff
from smartbind_pipelines.core.sheets.gateway.writes import MAX_BATCH, BatchOutcome, SheetWrites

__all__ = ["MAX_BATCH", "MAX_ERROR_CHARS", "BatchOutcome", "FixedBackoff", "SheetGateway", "SheetInfo"]


class SheetGateway(SheetReads, SheetWrites):
    """Sheet reads and writes through the SDK, with request counts per endpoint template."""

    @classmethod
    def connect(
        cls,
        access_token: str,
        api_base: str,
        *,
        timeout: float = 60,
        max_retry_time: float | AbstractUserCalcBackoff = 60,
        transport_attempts: int = 3,
        retry_delay: float = 1.0,
        sleep=time.sleep,
    ) -> "SheetGateway":
        """A gateway on a fresh SDK client. ``max_retry_time`` may be an AbstractUserCalcBackoff."""
        if not access_token:
            raise ValueError("Smartsheet access token is empty: set SMARTSHEET_ACCESS_TOKEN")
        client = smartsheet.Smartsheet(
            access_token=access_token,
            api_base=api_base.rstrip("/"),
            max_retry_time=max_retry_time,
            user_agent="smartbind",
        )
        return cls(
            client,
            api_base=api_base,
            timeout=timeout,
            transport_attempts=transport_attempts,
            retry_delay=retry_delay,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"SheetGateway({self._base_path or '/'})"
