"""Bind ERP REST client: one session, explicit timeouts, bounded retries, every page followed.

Retries are decided in one place (``BindClient._get_json``): 429 (honouring ``Retry-After``), 5xx,
timeouts, refused or dropped connections and bodies cut mid-way are retried with exponential
backoff and jitter, up to ``max_attempts`` HTTP attempts; any other 4xx fails at once.

The API key lives only in the session's ``Authorization`` header. Errors carry the endpoint, the
HTTP status and Bind's ``Message``; any text that could echo the key is scrubbed, and transport
exceptions are re-raised without their ``requests`` cause (which holds the request and its headers).
"""

from __future__ import annotations

import collections
import email.utils
import logging
import random
import re
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import requests

from smartbind_pipelines.core.odata import all_of, datetime_literal, guid_literal, is_guid

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Bind answers at most 100 rows per page
GUID_CHUNK = 25  # ids per "ID eq guid'…' or …" filter: keeps the URL far below server limits
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")


class BindApiError(Exception):
    """A Bind request that failed for good. ``str()`` names the endpoint and status, never the key."""

    def __init__(self, endpoint: str, status: int | None, message: str):
        self.endpoint = endpoint
        self.status = status
        self.message = message
        shown = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"Bind {endpoint} failed ({shown}): {message}")


class _Retryable(Exception):
    def __init__(self, status: int | None, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class BindClient:
    """Bind ERP API client. ``base_url`` includes ``/api`` (e.g. ``https://api.bind.com.mx/api``)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: tuple[float, float] = (5, 30),
                 max_attempts: int = 6, backoff_base: float = 0.5, backoff_max: float = 60,
                 sleep=time.sleep):
        if not api_key:
            raise ValueError("Bind API key is empty: set BIND_API_KEY")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        self.base_url = base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self._api_key = api_key
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self.request_counts: collections.Counter = collections.Counter()
        self._session = requests.Session()
        self._session.headers.update({"Authorization": f"Bearer {api_key}",
                                      "Accept": "application/json"})

    def __repr__(self) -> str:  # never the key
        return f"BindClient({self.base_url!r})"

    # -- paging ---------------------------------------------------------------------------------

    def iter_pages(self, endpoint: str, params: dict | None = None) -> Iterator[list[dict]]:
        """Yield each page's rows: follows ``nextLink`` verbatim, stops on a null link or a short page."""
        url = self._url(endpoint, params)
        seen: set[str] = set()
        while url:
            seen.add(url)
            payload = self._get_json(url)
            if payload is None:
                return
            if isinstance(payload, list):  # a few catalogs answer a bare array, not a page
                yield payload
                return
            if not isinstance(payload, dict):
                raise BindApiError(self._template(url), 200, "answer is neither a page nor a list")
            rows = payload.get("value") or []
            yield rows
            next_link = payload.get("nextLink")
            if not next_link or len(rows) < PAGE_SIZE:
                return
            url = self._same_origin(next_link)
            if url in seen:  # a server bug must not turn into an endless loop
                raise BindApiError(self._template(url), 200, "nextLink repeats a page already read")

    def get_all(self, endpoint: str, params: dict | None = None) -> list[dict]:
        return [row for page in self.iter_pages(endpoint, params) for row in page]

    # -- domain reads ---------------------------------------------------------------------------

    def invoices(self, start: datetime | None = None, end: datetime | None = None, *,
                 extra_filter: str | None = None) -> list[dict]:
        """Invoices with ``start <= Date < end`` (Mexico City wall time), oldest first."""
        window = all_of(f"Date ge {datetime_literal(start)}" if start else None,
                        f"Date lt {datetime_literal(end)}" if end else None)
        params = {"$orderby": "Date asc"}
        flt = all_of(window, extra_filter)
        if flt:
            params["$filter"] = flt
        return self.get_all("Invoices", params)

    def invoices_by_ids(self, ids: Sequence[str]) -> list[dict]:
        """The list rows of these Bind invoice ids (GUIDs, validated), in chunks of ``GUID_CHUNK``."""
        literals = list(dict.fromkeys(guid_literal(value) for value in ids))
        found: list[dict] = []
        for start in range(0, len(literals), GUID_CHUNK):
            chunk = literals[start:start + GUID_CHUNK]
            flt = " or ".join(f"ID eq {literal}" for literal in chunk)
            found.extend(self.get_all("Invoices", {"$filter": flt}))
        return found

    def invoice(self, id_or_number: str) -> dict | None:
        """One invoice's details by Bind id (GUID) or number; None when Bind does not know it."""
        key = str(id_or_number).strip()
        if not (is_guid(key) or key.isdigit()):
            raise ValueError(f"an invoice is looked up by GUID or number, not {key[:60]!r}")
        try:
            return self._get_json(self._url(f"Invoices/{key}"))
        except BindApiError as exc:
            if exc.status == 404:
                return None
            raise

    def warehouses(self) -> list[dict]:
        return self.get_all("Warehouses")

    def inventory(self, warehouse_id: str, *, in_stock_only: bool = False) -> list[dict]:
        """Every page of a warehouse's stock; ``in_stock_only`` lets Bind drop rows without stock, so a
        warehouse of 20,000 mostly-empty products costs pages of stocked rows only."""
        guid_literal(warehouse_id)  # validates; the id travels as a plain query parameter
        params = {"warehouseID": warehouse_id.lower()}
        if in_stock_only:
            params["$filter"] = "CurrentInventory gt 0"  # the filter integrators send to /Inventory
        return self.get_all("Inventory", params)

    def products(self) -> list[dict]:
        return self.get_all("Products")

    def clients(self) -> list[dict]:
        return self.get_all("Clients")

    def currencies(self) -> list[dict]:
        return self.get_all("Currencies")

    def user_profile(self) -> dict:
        return self._get_json(self._url("UserProfile")) or {}

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "BindClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------------

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
            path = path[len(base_path):]
        return "/".join("{id}" if _ID_SEGMENT.match(part) else part for part in path.split("/")) or "/"

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]") if self._api_key else text

    def _get_json(self, url: str):
        endpoint = f"GET {self._template(url)}"
        last: _Retryable | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.request_counts[endpoint] += 1
            try:
                return self._attempt(url, endpoint)
            except _Retryable as exc:
                last = exc
            if attempt == self.max_attempts:
                break
            delay = self._delay(attempt, last.retry_after)
            log.warning("Bind %s: %s; attempt %d of %d, retrying in %.1f s", endpoint,
                        last.message, attempt, self.max_attempts, delay)
            self._sleep(delay)
        raise BindApiError(endpoint, last.status,
                           f"{last.message} (gave up after {self.max_attempts} attempts)")

    def _attempt(self, url: str, endpoint: str):
        try:
            response = self._session.get(url, timeout=self.timeout)
        except _TRANSIENT as exc:
            raise _Retryable(None, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        except requests.RequestException as exc:
            raise BindApiError(endpoint, None, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(status, self._error_text(response), _retry_after(response))
        if status >= 400:
            raise BindApiError(endpoint, status, self._error_text(response))
        if not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            # a 200 whose body is not JSON is a proxy page or a cut body: worth another try
            raise _Retryable(status, "answer is not JSON") from None

    def _error_text(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            message = body.get("Message") or body.get("message") or ""
            detail = body.get("MessageDetail") or body.get("ExceptionMessage")
            text = f"{message} {detail}".strip() if detail else str(message)
        else:
            text = (response.text or "").strip()[:200]
        return self._scrub(text or response.reason or "no message")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.backoff_max, retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter spreads concurrent clients


def _retry_after(response: requests.Response) -> float | None:
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
