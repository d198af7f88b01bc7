"""Bind ERP REST client: one session, explicit timeouts, bounded retries, every page followed.

Retries are decided in one place (``BindClient._get_json``): 429 (honouring ``Retry-After``), 5xx,
timeouts, refused or dropped connections and bodies cut mid-way are retried with exponential
backoff and jitter, up to ``max_attempts`` HTTP attempts; any other 4xx fails at once.

The API key lives only in the session's ``Authorization`` header. Errors carry the endpoint, the
HTTP status and Bind's ``Message``; any text that could echo the key is scrubbed, and transport
exceptions are re-raised without their ``requests`` cause (which holds the request and its headers).

An answer must be what the route promises, or it is an error like a 5xx (retried, then the read fails):
a list route answers a page ``{"value": [...], "nextLink": ..., "count": N}`` (a bare JSON array only on
the routes Bind documents as bare arrays: ProductsPriceAndInventory, Categories, Series); a single-object
route answers its object (``Invoices/{id}`` an object with ``ID``, ``UserProfile`` one with ``UserID`` or
``CompanyID``). An empty body, a 204, ``null`` or ``{"Message": ...}`` is never read as "no rows": that
would end a sync with nothing read and move its watermark, or retire every row of a sheet.

Paging is bounded by what Bind announced: a read follows at most ``ceil(count / 100) + PAGE_SLACK``
pages (never more than ``max_pages``), then fails naming the count. ``get_all`` then compares the rows
read with ``count`` (every page must announce the same one): a read that does not match is read again
once, and fails if it still does not match, so rows that moved while being paged are never half-read.
Rows are deduplicated by ``ID`` within a read (the first copy wins); the check counts distinct rows.

Bounded parallel reads (issue 16): Bind pages by ``$skip`` and announces ``count`` on every page, so once
the first page is in, the other pages' URLs are known: the first page's ``nextLink`` with ``$skip``
(and ``$top``, when sent) moved by 100 per page. Up to ``page_workers`` of them (K, default 4) are then
in flight at once on the shared session, each with the retry rules above; pages are handed out in order,
whatever order they arrive in. A 429 closes one shared gate for its ``Retry-After`` (or backoff): every
worker waits for it before its next request, so one rate-limited worker does not leave the others
hammering. A page that fails for good fails the read and stops the others. Evidence: the ``$skip=100``
nextLinks and ``count`` are [C] (contract §2.2/§2.7), ``$top``/``$skip`` are documented options [C], the
general nextLink rule is [I]; so the URLs are computed only when the first page's ``nextLink`` is exactly
that rule applied to our own query, and otherwise (no ``count``, a different link shape) the read follows
``nextLink`` one page after the other as before. After the computed pages, a last page that is full and
still carries a ``nextLink`` (rows added meanwhile) is followed one by one up to the usual cap.
"""

from __future__ import annotations

import collections
import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from smartbind_pipelines.core.odata import all_of, datetime_literal, guid_literal, is_guid

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Bind answers at most 100 rows per page
PAGE_SLACK = 2  # pages followed beyond what count announced (rows added while reading), then the read fails
MAX_PAGES = 5_000  # a read never follows more pages than this (500,000 rows), whatever count says
PAGE_WORKERS = 4  # pages of one read in flight at once (K); 1 reads page after page
GUID_CHUNK = 25  # ids per "ID eq guid'…' or …" filter: keeps the URL far below server limits
_TRANSIENT = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)
_BARE_ARRAY_ROUTES = frozenset({"productspriceandinventory", "categories", "series"})  # contract §3.1
MESSAGE_CHARS = 200  # at most this much of Bind's own text in an error, after the key is scrubbed
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")


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


class _Retryable(Exception):
    def __init__(self, status: int | None, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class _NotAnAnswer(_Retryable):
    """A 2xx whose body is not what the route promises (empty, 204, not JSON, wrong shape)."""

    def __init__(self, status: int | None, detail: str):
        super().__init__(status, detail)


@dataclass
class _Tally:
    """What one read announced and got, to check it against ``count``."""

    top: int | None = None
    skip: int = 0
    pages: int = 0
    rows: int = 0
    counts: list[int] = field(default_factory=list)
    paged: bool = True  # False for a bare array: nothing announced, nothing to check
    ids: set = field(default_factory=set)  # row IDs seen in this read
    duplicates: int = 0  # rows dropped because their ID was already read (the set moved while paged)

    def fresh(self, rows: list) -> list:
        """The rows whose ``ID`` this read has not seen yet (rows without an ID are all kept); counted."""
        kept = []
        for row in rows:
            key = row.get("ID") if isinstance(row, dict) else None
            if key not in (None, ""):
                key = str(key).lower()
                if key in self.ids:
                    self.duplicates += 1
                    continue
                self.ids.add(key)
            kept.append(row)
        self.rows += len(kept)
        return kept

    @classmethod
    def of(cls, params: dict | None) -> "_Tally":
        params = params or {}
        return cls(top=_int_param(params.get("$top")), skip=_int_param(params.get("$skip")) or 0)

    def expected(self, count: int) -> int:
        rows = max(0, count - self.skip)
        return rows if self.top is None else min(rows, self.top)

    def page_cap(self, max_pages: int) -> int:
        if not self.counts:
            return max_pages
        return min(max_pages, -(-self.expected(max(self.counts)) // PAGE_SIZE) + PAGE_SLACK)

    def mismatch(self) -> str | None:
        if not self.paged or not self.counts:
            return None
        if len(set(self.counts)) > 1:
            return (f"Bind's count changed while the pages were read ({' → '.join(map(str, dict.fromkeys(self.counts)))}); "
                    f"{self.rows} rows read")
        expected = self.expected(self.counts[0])
        if self.rows != expected:
            repeated = f" ({self.duplicates} repeated rows dropped)" if self.duplicates else ""
            return f"read {self.rows} rows where Bind announced {expected} (count {self.counts[0]}){repeated}"
        return None


class BindClient:
    """Bind ERP API client. ``base_url`` includes ``/api`` (e.g. ``https://api.bind.com.mx/api``)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: tuple[float, float] = (5, 30),
                 max_attempts: int = 6, backoff_base: float = 0.5, backoff_max: float = 60,
                 sleep=time.sleep, max_pages: int = MAX_PAGES, page_workers: int = PAGE_WORKERS):
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
        self._session.headers.update({"Authorization": f"Bearer {api_key}",
                                      "Accept": "application/json"})

    def __repr__(self) -> str:  # never the key
        return f"BindClient({self.base_url!r})"

    # -- paging ---------------------------------------------------------------------------------

    def iter_pages(self, endpoint: str, params: dict | None = None) -> Iterator[list[dict]]:
        """Yield each page's rows: follows ``nextLink`` verbatim, stops on a null link or a short page.
        At most the pages ``count`` announced plus ``PAGE_SLACK``; when the pages are exhausted, rows
        that do not match ``count`` raise BindApiError (``get_all`` reads once more first)."""
        tally = _Tally.of(params)
        yield from self._pages(endpoint, params, tally)
        problem = tally.mismatch()
        if problem:
            raise BindApiError(f"GET {self._template(self._url(endpoint))}", 200, problem)

    def get_all(self, endpoint: str, params: dict | None = None) -> list[dict]:
        """Every row, every page; a read whose rows do not match ``count`` is read again once, then fails."""
        problem = None
        for attempt in (1, 2):
            tally = _Tally.of(params)
            rows = [row for page in self._pages(endpoint, params, tally) for row in page]
            problem = tally.mismatch()
            if problem is None:
                return rows
            if attempt == 1:
                log.warning("Bind GET %s: %s; read again", self._template(self._url(endpoint)), problem)
        raise BindApiError(f"GET {self._template(self._url(endpoint))}", 200,
                           f"{problem}, on two reads in a row; nothing was used from them")

    def _pages(self, endpoint: str, params: dict | None, tally: _Tally) -> Iterator[list[dict]]:
        first_url = url = self._url(endpoint, params)
        bare_ok = endpoint.strip("/").split("/")[0].lower() in _BARE_ARRAY_ROUTES
        seen: set[str] = {url}
        payload = self._page(url, bare_ok, tally)
        if isinstance(payload, list):  # a few catalogs answer a bare array, not a page
            tally.paged, tally.rows = False, len(payload)
            yield payload
            return
        rows = payload["value"]
        self.last_count = payload.get("count")
        yield tally.fresh(rows)
        next_link = payload.get("nextLink")
        if not next_link or len(rows) < PAGE_SIZE:
            return
        url = self._same_origin(next_link)
        planned = self._skip_plan(first_url, url, tally) if self.page_workers > 1 else None
        if planned:
            seen.update(planned)
            last = None
            for last in self._parallel_pages(planned, bare_ok, tally):
                yield tally.fresh(last["value"])
            next_link = last.get("nextLink") if last else None
            if not next_link or len(last["value"]) < PAGE_SIZE:
                return
            url = self._same_origin(next_link)
        while True:  # one page after the other, following nextLink verbatim
            if url in seen:  # a server bug must not turn into an endless loop
                raise BindApiError(f"GET {self._template(url)}", 200, "nextLink repeats a page already read")
            self._check_cap(url, tally)
            seen.add(url)
            payload = self._page(url, bare_ok, tally)
            rows = payload["value"] if isinstance(payload, dict) else payload
            yield tally.fresh(rows)
            next_link = payload.get("nextLink") if isinstance(payload, dict) else None
            if not next_link or len(rows) < PAGE_SIZE:
                return
            url = self._same_origin(next_link)

    def _page(self, url: str, bare_ok: bool, tally: _Tally | None = None, abort: threading.Event | None = None):
        """One page (checked), counted in ``tally`` when given (the caller's thread only)."""
        payload = self._get_json(url, "a page", lambda answer: self._page_problem(answer, bare_ok), abort)
        if tally is not None:
            self._tally_page(payload, tally)
        return payload

    @staticmethod
    def _tally_page(payload, tally: _Tally) -> None:
        tally.pages += 1
        if isinstance(payload, dict) and payload.get("count") is not None:
            tally.counts.append(payload["count"])

    def _check_cap(self, url: str, tally: _Tally) -> None:
        cap = tally.page_cap(self.max_pages)
        if tally.pages >= cap:
            announced = (f"Bind announced {max(tally.counts)} rows ({cap - PAGE_SLACK} pages)"
                         if tally.counts and cap < self.max_pages else f"at most {self.max_pages} pages are read")
            raise BindApiError(
                f"GET {self._template(url)}", 200,
                f"{announced}, but after {tally.pages} pages ({tally.rows} rows) the nextLink still points "
                "to another page; stopped, nothing was used from this read")

    def _skip_plan(self, first_url: str, next_url: str, tally: _Tally) -> list[str] | None:
        """The URLs of pages 2..n when ``next_url`` is the first page's URL with ``$skip`` moved by one page
        (and ``$top`` lowered by one page when sent), as Bind's nextLinks are; None otherwise, or when the
        first page announced no count or fewer than two more pages (read those one after the other)."""
        if not tally.counts:
            return None
        first, nxt = urlsplit(first_url), urlsplit(next_url)
        if first.path.lower() != nxt.path.lower():
            return None
        pairs = parse_qsl(nxt.query, keep_blank_values=True)
        wanted = {"$skip": str(tally.skip + PAGE_SIZE)}
        if tally.top is not None:
            wanted["$top"] = str(tally.top - PAGE_SIZE)
        sent = [(k, v) for k, v in parse_qsl(first.query, keep_blank_values=True) if k.lower() not in ("$skip", "$top")]
        others = [(k, v) for k, v in pairs if k.lower() not in ("$skip", "$top")]
        moved = {k.lower(): v for k, v in pairs if k.lower() in ("$skip", "$top")}
        if sorted(others) != sorted(sent) or len(others) + len(moved) != len(pairs) or moved != wanted:
            return None
        total = -(-tally.expected(tally.counts[0]) // PAGE_SIZE)
        pages = min(total, self.max_pages)
        if pages - 1 < 2:
            return None
        urls = []
        for index in range(1, pages):
            values = {"$skip": str(tally.skip + index * PAGE_SIZE)}
            if tally.top is not None:
                values["$top"] = str(tally.top - index * PAGE_SIZE)
            query = [(k, values.get(k.lower(), v)) for k, v in pairs]
            urls.append(urlunsplit((nxt.scheme, nxt.netloc, nxt.path,
                                    urlencode(query, quote_via=quote, safe="$"), "")))
        return urls

    def _parallel_pages(self, urls: list[str], bare_ok: bool, tally: _Tally) -> Iterator[dict]:
        """The pages at ``urls``, fetched by ``page_workers`` threads (at most that many requests in flight),
        yielded in order. The first page that fails for good raises, after telling the other workers to
        stop and waiting for them: no thread of a read outlives it."""
        abort = threading.Event()
        pool = ThreadPoolExecutor(max_workers=min(self.page_workers, len(urls)), thread_name_prefix="bind-page")
        try:
            futures: list[Future] = [pool.submit(self._page, url, bare_ok, None, abort) for url in urls]
            for url, future in zip(urls, futures):
                payload = future.result()
                if not isinstance(payload, dict):
                    raise BindApiError(f"GET {self._template(url)}", 200,
                                       "a bare JSON array in the middle of a paged read")
                self._tally_page(payload, tally)
                yield payload
        finally:
            abort.set()
            pool.shutdown(wait=True, cancel_futures=True)

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
            return self._get_json(self._url(f"Invoices/{key}"), "an invoice",
                                  lambda answer: self._object_problem(answer, ("ID",)))
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
        last: _Retryable | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.request_counts[endpoint] += 1
            try:
                response = self._session.post(url, json=body, timeout=self.timeout)
            except (requests.ConnectTimeout, requests.ConnectionError) as exc:
                text = self._scrub(f"{type(exc).__name__}: {exc}")
                if not _never_sent(exc):
                    raise BindMaybeCreated(endpoint, None, _bounded(text)) from None
                last = _Retryable(None, _bounded(text))
            except requests.RequestException as exc:  # a read timeout, a body cut mid-way: it was sent
                raise BindMaybeCreated(endpoint, None, _bounded(self._scrub(f"{type(exc).__name__}: {exc}"))) from None
            else:
                status = response.status_code
                if status == 429:
                    last = _Retryable(status, self._write_error_text(response), _retry_after(response))
                elif status >= 500:
                    raise BindMaybeCreated(endpoint, status, self._write_error_text(response))
                elif status >= 400:
                    raise BindApiError(endpoint, status, self._write_error_text(response))
                else:
                    try:
                        answer = json.loads(response.text)
                    except ValueError:
                        answer = None
                    if isinstance(answer, str) and is_guid(answer.strip()):
                        return answer.strip().lower()
                    raise BindMaybeCreated(endpoint, status, "the answer is not a sale id: "
                                           + _bounded(self._scrub((response.text or "").strip()) or "empty body", 80))
            if attempt == self.max_attempts:
                break
            delay = self._delay(attempt, last.retry_after)
            log.warning("Bind %s: %s (not sent or not accepted); attempt %d of %d, retrying in %.1f s",
                        endpoint, last.message, attempt, self.max_attempts, delay)
            self._sleep(delay)
        raise BindApiError(endpoint, last.status, f"{last.message} (gave up after {self.max_attempts} attempts; "
                                                  "Bind did not take the request)")

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
        return [invoice for invoice in self.invoices(since, None, extra_filter=odata_filter)
                if isinstance(invoice, dict) and carries(invoice)]

    def _write_error_text(self, response: requests.Response) -> str:
        """Bind's Message and ModelState entries; the key scrubbed from the whole text, then bounded."""
        try:
            body = response.json()
        except ValueError:
            body = None
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
        return _bounded(self._scrub(text or response.reason or "no message"), 2 * MESSAGE_CHARS)

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
        return self._get_json(self._url("UserProfile"), "a user profile",
                              lambda answer: self._object_problem(answer, ("UserID", "CompanyID")))

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
        """The key, and its URL-encoded form, replaced; done on the whole text before any cut."""
        for form in dict.fromkeys((self._api_key, quote(self._api_key, safe=""))):
            text = text.replace(form, "[redacted]")
        return text

    def _get_json(self, url: str, what: str, problem_of, abort: threading.Event | None = None):
        """The JSON answer at ``url``; ``problem_of(answer)`` says why it is not ``what`` (or None).
        ``abort`` (set when another page of the same read failed for good) stops the retries."""
        endpoint = f"GET {self._template(url)}"
        last: _Retryable | None = None
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
                raise _NotAnAnswer(200, problem)
            except _NotAnAnswer as exc:
                last = _Retryable(exc.status, f"answer is not {what}: {exc.message}")
            except _Retryable as exc:
                last = exc
            if attempt == self.max_attempts:
                break
            delay = self._delay(attempt, last.retry_after)
            log.warning("Bind %s: %s; attempt %d of %d, retrying in %.1f s", endpoint,
                        last.message, attempt, self.max_attempts, delay)
            if last.status == 429:
                self._rate_limited(delay)
            else:
                self._sleep(delay)
        raise BindApiError(endpoint, last.status,
                           f"{last.message} (gave up after {self.max_attempts} attempts)")

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
            raise _Retryable(None, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        except requests.RequestException as exc:
            raise BindApiError(endpoint, None, self._scrub(f"{type(exc).__name__}: {exc}")) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(status, self._error_text(response), _retry_after(response))
        if status >= 400:
            raise BindApiError(endpoint, status, self._error_text(response))
        if status == 204 or not response.content.strip():
            raise _NotAnAnswer(status, f"an empty body (HTTP {status})")
        try:
            # an integer too long for Python's int parser (4,300 digits) stays readable as a Decimal,
            # so one absurd number is a bad record the mapping skips, not an answer that never parses
            return json.loads(response.text, parse_int=_parse_int)
        except ValueError:
            # a 2xx whose body is not JSON is a proxy page or a cut body: worth another try
            raise _NotAnAnswer(status, "a body that is not JSON") from None

    def _bind_message(self, answer: dict) -> str:
        """Bind's own ``Message`` in an answer, scrubbed of the key first, then bounded."""
        message = answer.get("Message") or answer.get("message")
        if message is None:
            return ""
        return " (Message: " + _bounded(self._scrub(str(message))) + ")"

    def _page_problem(self, answer, bare_ok: bool) -> str | None:
        if isinstance(answer, list):
            return None if bare_ok else "a bare JSON array where Bind answers a page"
        if not isinstance(answer, dict):
            return f"JSON {_json_kind(answer)}"
        if "value" not in answer:
            return "a JSON object without 'value'" + self._bind_message(answer)
        if not isinstance(answer["value"], list):
            return f"'value' is a JSON {_json_kind(answer['value'])}, not a list of rows"
        link = answer.get("nextLink")
        if link is not None and not isinstance(link, str):
            return f"'nextLink' is a JSON {_json_kind(link)}, not a URL"
        count = answer.get("count")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            return f"'count' is {_bounded(repr(count), 40)}, not a row count"
        return None

    def _object_problem(self, answer, keys: tuple[str, ...]) -> str | None:
        if not isinstance(answer, dict):
            return f"JSON {_json_kind(answer)}"
        if not any(answer.get(key) not in (None, "") for key in keys):
            return f"a JSON object without {' or '.join(map(repr, keys))}" + self._bind_message(answer)
        return None

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
            text = (response.text or "").strip()
        # scrub the whole text first, then bound it: a key straddling the cut must not survive in part
        return _bounded(self._scrub(text or response.reason or "no message"))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.backoff_max, retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter spreads concurrent clients


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
        cause = cause.__cause__ or cause.__context__ or (cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None)
    return False


def _parse_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= 1_000 else Decimal(text)


def _int_param(value) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(type(value), "value")


def _bounded(text: str, limit: int = MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


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
