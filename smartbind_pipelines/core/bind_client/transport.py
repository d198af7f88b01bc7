"""Bind's HTTP transport: one GET with bounded retries, backoff, ``Retry-After`` and the shared 429 gate.

Retries are decided in one place (``BindTransport._get_json``): 429 (honouring ``Retry-After``), 5xx,
timeouts, refused or dropped connections, bodies cut mid-way and answers that are not what the route
promises are retried with exponential backoff and jitter, up to ``max_attempts`` HTTP attempts; any other
4xx fails at once. A 429 closes one gate shared by the threads of a parallel read: every worker waits for
it before its next request, so one rate-limited worker does not leave the others hammering.

``BindTransport`` is the transport half of ``BindClient``; its state (the session, the key, the retry
settings, the gate) is set by ``BindClient.__init__``.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import threading
import time
from datetime import datetime, timezone
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import requests

from smartbind_pipelines.core.bind_client.answers import parse_int
from smartbind_pipelines.core.bind_client.errors import BindApiError, NotAnAnswer, Retryable, error_text

log = logging.getLogger(__name__)

_TRANSIENT = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")


class BindTransport:
    """URLs, redaction and the retried GET of ``BindClient`` (whose ``__init__`` sets the attributes used
    here: the session, the key, the retry settings, the lock and the gate)."""

    def _url(self, endpoint: str, params: dict | None = None) -> str:
        url = f"{self.base_url}/{endpoint.lstrip('/')}"
        if params:
            # %20 for spaces and %27 for quotes, as OData expects; "$" stays literal in names
            url += "?" + urlencode(params, quote_via=quote, safe="$")
        return url

    def _same_origin(self, link: str) -> str:
        """The nextLink's path and query on our own scheme and host: the key goes nowhere else."""
        parts = urlsplit(link)
        if parts.scheme and (parts.scheme, parts.netloc) != (self._base.scheme, self._base.netloc):
            log.warning("Bind nextLink points at another host; following its path on %s", self._base.netloc)
        return urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, ""))

    def _template(self, url: str) -> str:
        path = urlsplit(url).path
        base_path = self._base.path.rstrip("/")
        if base_path and path.lower().startswith(base_path.lower()):
            path = path[len(base_path) :]
        return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/")) or "/"

    def _scrub(self, text: str) -> str:
        """The key, and its URL-encoded form, replaced; done on the whole text before any cut."""
        for form in dict.fromkeys((self._api_key, quote(self._api_key, safe=""))):
            text = text.replace(form, "[redacted]")
        return text

    def _get_json(self, url: str, what: str, problem_of, abort: threading.Event | None = None):
        """The JSON answer at ``url``; ``problem_of(answer)`` says why it is not ``what`` (or None).
        ``abort`` (set when another page of the same read failed for good) stops the retries."""
        endpoint = f"GET {self._template(url)}"
        last: Retryable | None = None
        for attempt in range(1, self.max_attempts + 1):
            self._wait_for_gate()
            if abort is not None and abort.is_set():
                raise BindApiError(endpoint, None, "stopped: another page of the same read failed")
            with self._lock:
                self.request_counts[endpoint] += 1
            try:
                answer = self._attempt(url, endpoint)
                problem = problem_of(answer)
                if problem is None:
                    return answer
                raise NotAnAnswer(200, problem)
            except NotAnAnswer as exc:
                last = Retryable(exc.status, f"answer is not {what}: {exc.message}")
            except Retryable as exc:
                last = exc
            if attempt == self.max_attempts:
                break
            delay = self._delay(attempt, last.retry_after)
            log.warning(
                "Bind %s: %s; attempt %d of %d, retrying in %.1f s",
                endpoint,
                last.message,
                attempt,
                self.max_attempts,
                delay,
            )
            if last.status == 429:
                self._rate_limited(delay)
            else:
                self._sleep(delay)
        raise BindApiError(endpoint, last.status, f"{last.message} (gave up after {self.max_attempts} attempts)")

    def _rate_limited(self, delay: float) -> None:
        """A 429: no worker of this client sends a request for ``delay`` seconds. This thread sleeps it;
        the others wait at the gate before their next request (``_wait_for_gate``)."""
        with self._lock:
            mine = time.monotonic() + delay
            self._gate_until = max(self._gate_until, mine)
            self._local.waited = self._gate_until
        self._sleep(delay)
        with self._lock:  # slept it: the gate is open (what a real clock says anyway; an injected sleep agrees)
            if self._gate_until <= mine:
                self._gate_until = min(self._gate_until, time.monotonic())

    def _wait_for_gate(self) -> None:
        """Wait, once per 429, until the shared gate opens (the thread that was told to wait already did)."""
        with self._lock:
            until = self._gate_until
            if until <= getattr(self._local, "waited", 0.0):
                return
            self._local.waited = until
        remaining = until - time.monotonic()
        if remaining > 0:
            log.info("Bind: another request of this client was rate limited; waiting %.1f s", remaining)
            self._sleep(remaining)

    def _attempt(self, url: str, endpoint: str):
        try:
            response = self._session.get(url, timeout=self.timeout)
        except _TRANSIENT as exc:
            raise Retryable(None, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        except requests.RequestException as exc:
            raise BindApiError(endpoint, None, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise Retryable(status, error_text(response, self._scrub), retry_after(response))
        if status >= 400:
            raise BindApiError(endpoint, status, error_text(response, self._scrub))
        if status == 204 or not response.content.strip():
            raise NotAnAnswer(status, f"an empty body (HTTP {status})")
        try:
            return json.loads(response.text, parse_int=parse_int)  # a huge integer stays a Decimal
        except ValueError:
            # a 2xx whose body is not JSON is a proxy page or a cut body: worth another try
            raise NotAnAnswer(status, "a body that is not JSON") from None

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.backoff_max, retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter spreads concurrent clients


def retry_after(response: requests.Response) -> float | None:
    """The seconds Bind's ``Retry-After`` asks for (a number or an HTTP date); None without one."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())
