"""Paged reads of Bind: every page followed, bounded by what Bind announced, checked against ``count``.

Paging is bounded by what Bind announced: a read follows at most ``ceil(count / 100) + PAGE_SLACK``
pages (never more than ``max_pages``), then fails naming the count. ``get_all`` then compares the rows
read with ``count`` (every page must announce the same one): a read that does not match is read again
once, and fails if it still does not match, so rows that moved while being paged are never half-read.
Rows are deduplicated by ``ID`` within a read (the first copy wins); the check counts distinct rows.

Bounded parallel reads (issue 16): Bind pages by ``$skip`` and announces ``count`` on every page, so once
the first page is in, the other pages' URLs are known: the first page's ``nextLink`` with ``$skip``
(and ``$top``, when sent) moved by 100 per page. Up to ``page_workers`` of them (K, default 4) are then
in flight at once on the shared session, each with the transport's retry rules; pages are handed out in
order, whatever order they arrive in. A 429 closes the transport's shared gate for its ``Retry-After`` (or
backoff). A page that fails for good fails the read and stops the others. Evidence: the ``$skip=100``
nextLinks and ``count`` are [C] (contract §2.2/§2.7), ``$top``/``$skip`` are documented options [C], the
general nextLink rule is [I]; so the URLs are computed only when the first page's ``nextLink`` is exactly
that rule applied to our own query, and otherwise (no ``count``, a different link shape) the read follows
``nextLink`` one page after the other as before. After the computed pages, a last page that is full and
still carries a ``nextLink`` (rows added meanwhile) is followed one by one up to the usual cap.

``PagedReads`` is the paging half of ``BindClient``, on top of its transport (``BindTransport``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from smartbind_pipelines.core.bind_client.answers import BARE_ARRAY_ROUTES, page_problem
from smartbind_pipelines.core.bind_client.errors import BindApiError
from smartbind_pipelines.core.bind_client.transport import BindTransport

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # Bind answers at most 100 rows per page
PAGE_SLACK = 2  # pages followed beyond what count announced (rows added while reading), then the read fails
MAX_PAGES = 5_000  # a read never follows more pages than this (500,000 rows), whatever count says
PAGE_WORKERS = 4  # pages of one read in flight at once (K); 1 reads page after page


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
            return (
                f"Bind's count changed while the pages were read ({' → '.join(map(str, dict.fromkeys(self.counts)))}); "
                f"{self.rows} rows read"
            )
        expected = self.expected(self.counts[0])
        if self.rows != expected:
            repeated = f" ({self.duplicates} repeated rows dropped)" if self.duplicates else ""
            return f"read {self.rows} rows where Bind announced {expected} (count {self.counts[0]}){repeated}"
        return None


class PagedReads(BindTransport):
    """``iter_pages`` and ``get_all`` (``BindClient.__init__`` sets ``max_pages``, ``page_workers`` and
    ``last_count``)."""

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
        raise BindApiError(
            f"GET {self._template(self._url(endpoint))}",
            200,
            f"{problem}, on two reads in a row; nothing was used from them",
        )

    def _pages(self, endpoint: str, params: dict | None, tally: _Tally) -> Iterator[list[dict]]:
        first_url = url = self._url(endpoint, params)
        bare_ok = endpoint.strip("/").split("/")[0].lower() in BARE_ARRAY_ROUTES
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
        payload = self._get_json(url, "a page", lambda answer: page_problem(answer, bare_ok, self._scrub), abort)
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
            announced = (
                f"Bind announced {max(tally.counts)} rows ({cap - PAGE_SLACK} pages)"
                if tally.counts and cap < self.max_pages
                else f"at most {self.max_pages} pages are read"
            )
            raise BindApiError(
                f"GET {self._template(url)}",
                200,
                f"{announced}, but after {tally.pages} pages ({tally.rows} rows) the nextLink still points "
                "to another page; stopped, nothing was used from this read",
            )

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
            urls.append(urlunsplit((nxt.scheme, nxt.netloc, nxt.path, urlencode(query, quote_via=quote, safe="$"), "")))
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
                    raise BindApiError(
                        f"GET {self._template(url)}", 200, "a bare JSON array in the middle of a paged read"
                    )
                self._tally_page(payload, tally)
                yield payload
        finally:
            abort.set()
            pool.shutdown(wait=True, cancel_futures=True)


def _int_param(value) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None
