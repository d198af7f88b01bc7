"""Bind errors against the emulator over real HTTP: the key is in no error or log line, not even in part (issue 14, defect 7)."""

from __future__ import annotations

import logging

import pytest

from smartbind_pipelines.core.bind_client import MESSAGE_CHARS, BindApiError, BindClient
from smartbind_pipelines_tests.core.bind_client.support import INVOICES


def test_401_is_not_retried_and_never_shows_the_key(bind_emulator, sleeps, caplog):
    wrong = "bind-wrong-" + "x" * 24
    with BindClient(bind_emulator.url, wrong, sleep=sleeps) as bind, caplog.at_level(logging.DEBUG):
        with pytest.raises(BindApiError) as caught:
            bind.invoices()
    assert caught.value.status == 401 and "Authorization has been denied" in str(caught.value)
    assert sleeps == [] and bind_emulator.admin.counts() == {"GET /api/Invoices": 1}
    assert wrong not in str(caught.value) and wrong not in repr(caught.value) and wrong not in caplog.text


def test_the_key_is_in_no_error_message_or_log(bind_emulator, sleeps, caplog):
    token = bind_emulator.token
    errors = []
    bind_emulator.admin.inject("server_error", INVOICES, count=5)
    with caplog.at_level(logging.DEBUG), BindClient(bind_emulator.url, token, max_attempts=2, sleep=sleeps) as bind:
        for call in (bind.invoices, lambda: bind.invoices(extra_filter="Nope eq 1"), lambda: bind.get_all("Nope")):
            with pytest.raises(BindApiError) as caught:
                call()
            errors.append(caught.value)
        assert token not in repr(bind)
    bind_emulator.server.stop()  # now the connection itself fails
    with BindClient(bind_emulator.url, token, max_attempts=2, sleep=sleeps) as bind:
        with pytest.raises(BindApiError) as refused:
            bind.invoices()
    assert refused.value.status is None and "ConnectionError" in refused.value.message
    # the requests exception (which holds the request and its headers) does not travel with it
    assert refused.value.__cause__ is None
    assert refused.value.__context__ is None or refused.value.__suppress_context__
    for error in [*errors, refused.value]:
        assert token not in str(error) and token not in repr(error)
    assert token not in caplog.text


def _fragments(token: str, size: int = 6) -> set[str]:
    return {token[i : i + size] for i in range(len(token) - size + 1)}


@pytest.mark.parametrize("shape", ["text", "Message", "MessageDetail"])
def test_the_key_at_any_offset_of_a_long_error_body_never_shows_even_in_part(bind_emulator, client, shape):
    token, filler = bind_emulator.token, "·"
    fragments = _fragments(token)
    for offset in range(0, 420, 1):
        text = filler * offset + token + filler * (420 - offset)
        if shape == "text":
            answer = {"raw": text, "content_type": "text/html"}
        elif shape == "Message":
            answer = {"body": {"Message": text}}
        else:
            answer = {"body": {"Message": "The request is invalid.", "MessageDetail": text}}
        bind_emulator.admin.inject("custom", INVOICES, count=1, status=400, **answer)
        with pytest.raises(BindApiError) as caught:
            client.invoices()
        shown = str(caught.value)
        assert not any(fragment in shown for fragment in fragments), (offset, shown)
        assert len(caught.value.message) <= MESSAGE_CHARS + 1  # bounded, "…" included
        if offset + len(token) <= MESSAGE_CHARS - len("[redacted]"):
            assert "[redacted]" in shown  # the key's place is marked when it falls in what is shown
