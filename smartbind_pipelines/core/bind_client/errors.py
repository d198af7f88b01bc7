"""Bind's failures as exceptions, and the text an error may carry.

The API key lives only in the session's ``Authorization`` header. Errors carry the endpoint, the HTTP
status and Bind's ``Message``; any text that could echo the key is scrubbed first, then bounded (a key
straddling the cut must not survive in part). Transport exceptions are re-raised without their
``requests`` cause, which holds the request and its headers.
"""

from __future__ import annotations

from collections.abc import Callable

import requests

MESSAGE_CHARS = 200  # at most this much of Bind's own text in an error, after the key is scrubbed


class BindApiError(Exception):
    """A Bind request that failed for good. ``str()`` names the endpoint and status, never the key."""

    def __init__(self, endpoint: str, status: int | None, message: str):
        self.endpoint = endpoint
        self.status = status
        self.message = message
        shown = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"Bind {endpoint} failed ({shown}): {message}")


class BindMaybeCreated(BindApiError):
    """A write whose outcome is unknown: Bind may have created the sale (timeout, connection dropped after
    sending, 5xx, a 200 that is not a sale id). Never retried automatically: look for the sale first."""


class Retryable(Exception):
    """A failed attempt worth another one (429, 5xx, a transport error, an answer that is not one)."""

    def __init__(self, status: int | None, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class NotAnAnswer(Retryable):
    """A 2xx whose body is not what the route promises (empty, 204, not JSON, wrong shape)."""

    def __init__(self, status: int | None, detail: str):
        super().__init__(status, detail)


def bounded(text: str, limit: int = MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def error_text(response: requests.Response, scrub: Callable[[str], str]) -> str:
    """Bind's ``Message`` (and its detail) in a failed read's answer; ``scrub`` removes the key."""
    body = _json_body(response)
    if isinstance(body, dict):
        message = body.get("Message") or body.get("message") or ""
        detail = body.get("MessageDetail") or body.get("ExceptionMessage")
        text = f"{message} {detail}".strip() if detail else str(message)
    else:
        text = (response.text or "").strip()
    # scrub the whole text first, then bound it: a key straddling the cut must not survive in part
    return bounded(scrub(text or response.reason or "no message"))


def write_error_text(response: requests.Response, scrub: Callable[[str], str]) -> str:
    """Bind's Message and ModelState entries; the key scrubbed from the whole text, then bounded."""
    body = _json_body(response)
    if isinstance(body, dict):
        parts = [str(body.get("Message") or body.get("message") or "")]
        state = body.get("ModelState")
        if isinstance(state, dict):
            for key, messages in state.items():
                shown = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
                parts.append(f"{key}: {shown}")
        text = " | ".join(part for part in parts if part)
    else:
        text = (response.text or "").strip()
    return bounded(scrub(text or response.reason or "no message"), 2 * MESSAGE_CHARS)


def _json_body(response: requests.Response):
    """The answer's JSON, or None when its body is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None
