"""BindClient: Bind's routes as typed methods, the reads and the one write (``POST /Invoices``).

Each read goes through the paging and transport rules of ``paging.py`` and ``transport.py``; the write is
retried only when Bind cannot have acted on it.
"""

from __future__ import annotations

import collections
import json
import logging
import re
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from smartbind_pipelines.core.bind_client.answers import object_problem
from smartbind_pipelines.core.bind_client.errors import (
    BindApiError,
    BindMaybeCreated,
    Retryable,
    bounded,
    write_error_text,
)
from smartbind_pipelines.core.bind_client.paging import MAX_PAGES, PAGE_WORKERS, PagedReads
from smartbind_pipelines.core.bind_client.transport import retry_after
from smartbind_pipelines.core.odata import all_of, datetime_literal, guid_literal, is_guid

log = logging.getLogger(__name__)

GUID_CHUNK = 25  # ids per "ID eq guid'…' or …" filter: keeps the URL far below server limits


class BindClient(PagedReads):
    """Bind ERP API client. ``base_url`` includes ``/api`` (e.g. ``https://api.bind.com.mx/api``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: tuple[float, float] = (5, 30),
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_max: float = 60,
        sleep=time.sleep,
        max_pages: int = MAX_PAGES,
        page_workers: int = PAGE_WORKERS,
    ):
        if not api_key:
            raise ValueError("Bind API key is empty: set BIND_API_KEY")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {max_attempts}")
        if isinstance(page_workers, bool) or not isinstance(page_workers, int) or not 1 <= page_workers <= 32:
            raise ValueError(f"page_workers (pages in flight) must be an integer from 1 to 32, not {page_workers!r}")
        self.base_url = base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self._api_key = api_key
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_pages = max(1, int(max_pages))
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self.page_workers = page_workers
        self.last_count: int | None = None  # the count the first page of the latest paged read announced
        self.request_counts: collections.Counter = collections.Counter()
        self._lock = threading.Lock()  # request_counts and the 429 gate are shared by the page workers
        self._gate_until = 0.0  # time.monotonic() before which no request is sent (a 429 said to wait)
        self._local = threading.local()  # per thread: the gate deadline it already waited for
        self._session = requests.Session()
        # one connection per page in flight (GETs on one Session with a shared pool are thread-safe)
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(10, page_workers))
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers.update({"Authorization": f"Bearer {api_key}", "Accept": "application/json"})

    def __repr__(self) -> str:  # never the key
        return f"BindClient({self.base_url!r})"

    # -- domain reads ---------------------------------------------------------------------------

    def invoices(
        self, start: datetime | None = None, end: datetime | None = None, *, extra_filter: str | None = None
    ) -> list[dict]:
        """Invoices with ``start <= Date < end`` (Mexico City wall time), oldest first."""
        window = all_of(
            f"Date ge {datetime_literal(start)}" if start else None, f"Date lt {datetime_literal(end)}" if end else None
        )
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
            chunk = literals[start : start + GUID_CHUNK]
            flt = " or ".join(f"ID eq {literal}" for literal in chunk)
            found.extend(self.get_all("Invoices", {"$filter": flt}))
        return found

    def invoice(self, id_or_number: str) -> dict | None:
        """One invoice's details by Bind id (GUID) or number; None when Bind does not know it."""
        key = str(id_or_number).strip()
        if not (is_guid(key) or key.isdigit()):
            raise ValueError(f"an invoice is looked up by GUID or number, not {key[:60]!r}")
        try:
            return self._get_json(
                self._url(f"Invoices/{key}"), "an invoice", lambda answer: object_problem(answer, ("ID",), self._scrub)
            )
        except BindApiError as exc:
            if exc.status == 404:
                return None
            raise

    # -- invoicing (writes) ----------------------------------------------------------------------

    def create_invoice(self, body: dict) -> str:
        """``POST /Invoices`` (NewInvoice): the new sale's Bind id (lower-case GUID).

        Retried only when Bind cannot have acted: 429 (honouring ``Retry-After``), a refused connection or
        a connect timeout (nothing was sent). A read timeout, a connection dropped after sending, a 5xx
        or a 200 that is not a sale id raise ``BindMaybeCreated``; another 4xx raises BindApiError with
        Bind's ``Message`` and ``ModelState`` (key scrubbed first, then bounded)."""
        url = self._url("Invoices")
        endpoint = "POST /Invoices"
        last: Retryable | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.request_counts[endpoint] += 1
            try:
                response = self._session.post(url, json=body, timeout=self.timeout)
            except (requests.ConnectTimeout, requests.ConnectionError) as exc:
                text = self._scrub(f"{type(exc).__name__}: {exc}")
                if not _never_sent(exc):
                    raise BindMaybeCreated(endpoint, None, bounded(text)) from None
                last = Retryable(None, bounded(text))
            except requests.RequestException as exc:  # a read timeout, a body cut mid-way: it was sent
                raise BindMaybeCreated(endpoint, None, bounded(self._scrub(f"{type(exc).__name__}: {exc}"))) from None
            else:
                status = response.status_code
                if status == 429:
                    last = Retryable(status, write_error_text(response, self._scrub), retry_after(response))
                elif status >= 500:
                    raise BindMaybeCreated(endpoint, status, write_error_text(response, self._scrub))
                elif status >= 400:
                    raise BindApiError(endpoint, status, write_error_text(response, self._scrub))
                else:
                    try:
                        answer = json.loads(response.text)
                    except ValueError:
                        answer = None
                    if isinstance(answer, str) and is_guid(answer.strip()):
                        return answer.strip().lower()
                    raise BindMaybeCreated(
                        endpoint,
                        status,
                        "the answer is not a sale id: "
                        + bounded(self._scrub((response.text or "").strip()) or "empty body", 80),
                    )
            if attempt == self.max_attempts:
                break
            delay = self._delay(attempt, last.retry_after)
            log.warning(
                "Bind %s: %s (not sent or not accepted); attempt %d of %d, retrying in %.1f s",
                endpoint,
                last.message,
                attempt,
                self.max_attempts,
                delay,
            )
            self._sleep(delay)
        raise BindApiError(
            endpoint,
            last.status,
            f"{last.message} (gave up after {self.max_attempts} attempts; Bind did not take the request)",
        )

    def clients_by_rfc(self, rfc: str) -> list[dict]:
        """Every client whose RFC is ``rfc`` (zero, one or several: an RFC is not unique in Bind)."""
        wanted = str(rfc).strip().upper()
        if not re.fullmatch(r"[A-ZÑ&0-9]{9,13}", wanted):
            raise ValueError(f"not an RFC to look up: {wanted[:20]!r}")
        rows = self.get_all("Clients", {"$filter": f"RFC eq '{wanted}'"})
        # matched here too: a filter Bind ignored must not turn into "the first client of the catalogue"
        return [row for row in rows if isinstance(row, dict) and str(row.get("RFC") or "").strip().upper() == wanted]

    def invoices_carrying(self, since: datetime, carries, *, odata_filter: str | None = None) -> list[dict]:
        """Invoices dated ``since`` or later for which ``carries(invoice)`` is true (a reference in
        Comments or PurchaseOrder). ``odata_filter`` narrows the read on Bind's side (only inferred to
        work); the match is always made here."""
        return [
            invoice
            for invoice in self.invoices(since, None, extra_filter=odata_filter)
            if isinstance(invoice, dict) and carries(invoice)
        ]

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
        return self._get_json(
            self._url("UserProfile"),
            "a user profile",
            lambda answer: object_problem(answer, ("UserID", "CompanyID"), self._scrub),
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "BindClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _never_sent(exc: BaseException) -> bool:
    """True when the request cannot have reached Bind: the connection was refused or never made."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if type(cause).__name__ in ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError"):
            return True
        reason = getattr(cause, "reason", None)  # urllib3's MaxRetryError keeps the real error here
        if isinstance(reason, BaseException) and id(reason) not in seen:
            cause = reason
            continue
        cause = (
            cause.__cause__
            or cause.__context__
            or (cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None)
        )
    return False
