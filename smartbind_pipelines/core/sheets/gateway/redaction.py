"""Secrets out of every text the gateway shows: the SDK's log records and our error messages.

The SDK logs error bodies, and a server may echo the access token: a filter on the SDK's logger redacts
the tokens of every gateway made in this process. ``error_text`` redacts first, then cuts.
"""

from __future__ import annotations

import logging

MAX_ERROR_CHARS = 300  # an error body quoted in an error message, after redaction


class _Redactor(logging.Filter):
    """Replaces access tokens in the SDK's log records: it logs error bodies, and a server may echo the token."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            clean = self.redact(message)
            if clean != message:
                record.msg, record.args = clean, ()
        return True


REDACTOR = _Redactor()
logging.getLogger("smartsheet.smartsheet").addFilter(REDACTOR)  # the SDK's own logger


def error_text(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """``text`` fit for an error, a log line or run metadata: secrets redacted FIRST, then cut to ``limit``.

    The other order leaks: a token straddling the cut loses its tail, no longer matches, and its head
    survives the redaction."""
    clean = REDACTOR.redact(str(text))
    return clean if len(clean) <= limit else clean[:limit] + "…"


def transport_text(exc: Exception) -> str:
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        return type(exc).__name__
    return error_text(f"{type(cause).__name__}: {cause}")
