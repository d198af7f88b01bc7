"""The Smartsheet token never survives in an error text, not even in part (issue 14, defect 7)."""

from __future__ import annotations

import logging
import secrets

import pytest
from smartsheet.exceptions import UnexpectedRequestError

from smartbind_pipelines.core.invoices import INVOICE_MAPPING
from smartbind_pipelines.core.sheets import FixedBackoff, SheetGateway, SheetUpsertError
from smartbind_pipelines.core.sheets.gateway import MAX_ERROR_CHARS

FRAGMENT = 6  # no run of this many characters of the token may survive


def _fragments(token: str) -> set[str]:
    return {token[i : i + FRAGMENT] for i in range(len(token) - FRAGMENT + 1)}


def _leaks(text: str, token: str) -> list[str]:
    return sorted(part for part in _fragments(token) if part in text)


@pytest.fixture(autouse=True)
def _quiet_sdk():
    logging.getLogger("smartsheet").setLevel(logging.CRITICAL)


def test_a_token_at_every_offset_of_a_long_transport_error_is_redacted_whole():
    token = secrets.token_hex(16)
    # a gateway registers its token with the redactor, as every real one does; no request leaves it
    gateway = SheetGateway.connect(token, "http://127.0.0.1:9/2.0", transport_attempts=1)
    for offset in range(0, MAX_ERROR_CHARS + 40):

        def lost_answer():
            try:
                raise RuntimeError("x" * offset + token + "y" * 400)  # e.g. an exception quoting a body
            except RuntimeError as cause:
                raise UnexpectedRequestError(None, None) from cause

        with pytest.raises(SheetUpsertError) as caught:
            gateway._call("POST /sheets/{id}/rows", False, lost_answer)
        text = str(caught.value)
        assert not _leaks(text, token), f"token at offset {offset} leaked as {_leaks(text, token)} in {text!r}"
        assert len(caught.value.message) <= MAX_ERROR_CHARS + 1


def test_a_server_echoing_the_token_in_an_error_body_never_shows_it(smartsheet_emulator):
    gateway = SheetGateway.connect(
        smartsheet_emulator.token,
        smartsheet_emulator.url,
        timeout=5,
        max_retry_time=FixedBackoff(0.01, 1),
        retry_delay=0.01,
        transport_attempts=1,
    )
    sheet = gateway.create_sheet("Facturas", INVOICE_MAPPING)["id"]
    token = smartsheet_emulator.token
    for offset in range(MAX_ERROR_CHARS - len(token) - 45, MAX_ERROR_CHARS + 5, 3):
        body = {"errorCode": 4000, "message": "x" * offset + token + "y" * 500}
        smartsheet_emulator.admin.inject("custom", r"/sheets/\d+$", method="GET", status=502, body=body)
        with pytest.raises(SheetUpsertError) as caught:
            gateway.read_rows(sheet, ["UUID"])
        text = str(caught.value)
        assert "x" * 100 in text  # the echoed body did reach the message
        assert not _leaks(text, token), f"offset {offset}: {text!r}"
        assert len(caught.value.message) <= MAX_ERROR_CHARS + 60  # cut after redaction, never unbounded
