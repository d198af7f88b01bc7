"""The gateway's calls through the SDK: timeouts, no hidden re-sends, request counts, bounded retries.

The SDK sets no timeout (a hung server would hang the run) and its https adapter would let urllib3 re-send
a POST behind our back (duplicating adds): ``SdkCalls.__init__`` mounts an adapter that does neither and
counts each request as it is sent. Errors are raised (``errors_as_exceptions(True)``), never returned as
values to forget. The SDK retries only errorCodes 4001-4004; a 5xx without those codes or a lost
connection is retried here (``SdkCalls._call``) with a bounded backoff, but only for requests that are safe
to repeat. An add whose answer was lost raises ``SheetTransportError`` so the caller re-reads the key index
first. Every SDK error leaves as a ``Sheet*Error`` with its text redacted.
"""

from __future__ import annotations

import collections
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import smartsheet
from requests.adapters import HTTPAdapter
from smartsheet.exceptions import ApiError, HttpError, UnexpectedRequestError
from smartsheet.smartsheet import AbstractUserCalcBackoff

from smartbind_pipelines.core.sheets.errors import SheetApiError, SheetTransportError
from smartbind_pipelines.core.sheets.gateway.redaction import REDACTOR, error_text, transport_text

log = logging.getLogger(__name__)

_SDK_RETRIED = {4001, 4002, 4003, 4004}  # the SDK already backed off on these: the request was not applied
_NUMERIC = re.compile(r"^\d+$")


class FixedBackoff(AbstractUserCalcBackoff):
    """SDK backoff of ``delay`` seconds for up to ``attempts`` retries: for tests and the sandbox."""

    def __init__(self, delay: float = 0.01, attempts: int = 5):
        self.delay = delay
        self.attempts = attempts

    def calc_backoff(self, previous_attempts, total_elapsed_time, error_result):
        return self.delay if previous_attempts <= self.attempts else -1


class _TimeoutAdapter(HTTPAdapter):
    """Supplies a default timeout to every request, never retries at the urllib3 level, and reports
    each request as it is sent (so one whose answer is cut after the headers is counted once)."""

    def __init__(self, timeout: float, on_send: Callable[[Any], None]):
        self._timeout = timeout
        self._on_send = on_send
        super().__init__(max_retries=0)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        self._on_send(request)
        return super().send(request, **kwargs)


class SdkCalls:
    """An SDK client set up for the gateway, and every call made through it (``_call``), counted."""

    def __init__(
        self,
        client: smartsheet.Smartsheet,
        *,
        api_base: str,
        timeout: float = 60,
        transport_attempts: int = 3,
        retry_delay: float = 1.0,
        sleep=time.sleep,
    ):
        self._client = client
        self._base_path = urlsplit(api_base).path.rstrip("/")
        self.transport_attempts = transport_attempts
        self.retry_delay = retry_delay
        self._sleep = sleep
        self.request_counts: collections.Counter = collections.Counter()
        token = getattr(client, "_access_token", None)  # the SDK keeps it there; errors must never show it
        if token:
            REDACTOR.secrets.add(token)
        client.errors_as_exceptions(True)
        session = client._session  # the SDK exposes no hook for timeouts or adapters
        adapter = _TimeoutAdapter(timeout, self._count_request)
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    # -- transport ------------------------------------------------------------------------------

    def _count_request(self, request) -> None:
        path = urlsplit(request.url).path
        if self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path) :]
        template = "/".join("{id}" if _NUMERIC.match(part) else part for part in path.split("/"))
        self.request_counts[f"{request.method} {template}"] += 1

    def _call(self, operation: str, repeatable: bool, request: Callable[[], Any]):
        """Run one SDK call; retry what is safe to retry, raise Sheet*Error otherwise."""
        for attempt in range(1, self.transport_attempts + 1):
            try:
                return request()
            except (UnexpectedRequestError, HttpError) as exc:
                failure = SheetTransportError(operation, transport_text(exc))
                applied_maybe = True
            except ApiError as exc:
                result = exc.error.result
                code, status = result.code, result.status_code
                message = error_text(result.message or "no message")
                failure = SheetApiError(operation, status, code, message)
                if code in _SDK_RETRIED:
                    applied_maybe = False
                elif status is not None and status >= 500:
                    # an error page without a Smartsheet errorCode: we cannot tell whether it was applied
                    failure = SheetTransportError(operation, f"HTTP {status}, errorCode {code}: {message}")
                    applied_maybe = True
                else:
                    raise failure from None
            if (applied_maybe and not repeatable) or attempt == self.transport_attempts:
                raise failure from None
            delay = self.retry_delay * 2 ** (attempt - 1)
            log.warning("%s; attempt %d of %d, retrying in %.1f s", failure, attempt, self.transport_attempts, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")
