"""Fault injection, rate limiting and a request log shared by both emulators.

``FaultMiddleware`` (middleware.py) wraps an emulator's ASGI app and consults its ``SandboxControl``
(control.py: queued faults, latency, rate limit, request log). The admin API (admin_routes.py) is on
each emulator's own port, outside auth, never faulted or logged; ``SandboxAdmin`` (admin_client.py)
calls it from Python.

Answers that are not what the route promises (issue 14): ``custom`` serves any status with a JSON
``body``, a text ``body`` (``text/html``), or a ``raw`` body sent byte for byte with ``content_type``;
``{"kind": "custom", "status": 204}`` is a 204 with no body and ``{"kind": "custom", "status": 200}`` an
empty 200. ``endless_next_link`` lets the app answer, then points the page's ``nextLink`` at the same
page under a new URL (``sandboxLoop=<n>`` appended), so a client that follows links without a cap
never stops.
"""

from smartbind_pipelines.sandbox.faults.admin_client import SandboxAdmin
from smartbind_pipelines.sandbox.faults.control import SandboxControl, route_template
from smartbind_pipelines.sandbox.faults.middleware import FaultMiddleware

__all__ = ["FaultMiddleware", "SandboxAdmin", "SandboxControl", "route_template"]
