"""Bind ERP REST client: one session, explicit timeouts, bounded retries, every page followed.

``client`` holds ``BindClient`` and its typed routes; ``paging`` the paged and parallel reads bounded by
Bind's ``count``; ``transport`` the retried GET (backoff, ``Retry-After``, the shared 429 gate);
``answers`` what each route's answer must be; ``errors`` the exceptions and the scrubbed, bounded text
they carry (never the key).
"""

from smartbind_pipelines.core.bind_client.client import GUID_CHUNK, BindClient
from smartbind_pipelines.core.bind_client.errors import MESSAGE_CHARS, BindApiError, BindMaybeCreated
from smartbind_pipelines.core.bind_client.paging import MAX_PAGES, PAGE_SIZE, PAGE_SLACK, PAGE_WORKERS

__all__ = [
    "GUID_CHUNK",
    "MAX_PAGES",
    "MESSAGE_CHARS",
    "PAGE_SIZE",
    "PAGE_SLACK",
    "PAGE_WORKERS",
    "BindApiError",
    "BindClient",
    "BindMaybeCreated",
]
