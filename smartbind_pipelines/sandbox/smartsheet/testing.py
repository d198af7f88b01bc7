"""Helpers for tests that drive the real smartsheet SDK against the emulator without slow backoff."""

from __future__ import annotations

import logging

import smartsheet
from smartsheet.smartsheet import AbstractUserCalcBackoff


class FastBackoff(AbstractUserCalcBackoff):
    """Retry 4001-4004 after ``delay`` seconds, at most ``max_attempts`` requests in all (default SDK: ~4 in 15 s)."""

    def __init__(self, max_attempts: int = 4, delay: float = 0.01):
        self.max_attempts = max_attempts
        self.delay = delay

    def calc_backoff(self, previous_attempts, total_elapsed_time, error_result):
        return self.delay if previous_attempts < self.max_attempts else -1


def sdk_client(
    api_base: str, token: str, *, max_attempts: int = 4, delay: float = 0.01, raise_errors: bool = True
) -> smartsheet.Smartsheet:
    """An unmodified SDK client pointed at ``api_base`` (ending in ``/2.0``) with a fast backoff."""
    # The SDK logs every non-2xx response at ERROR; tests provoke many on purpose.
    logging.getLogger("smartsheet.smartsheet").setLevel(logging.CRITICAL)
    client = smartsheet.Smartsheet(
        access_token=token,
        api_base=api_base,
        max_retry_time=FastBackoff(max_attempts, delay),
        user_agent="smartbind-tests",
    )
    client.errors_as_exceptions(raise_errors)
    return client
