"""Python access to an emulator's ``/_sandbox`` admin routes: the shared fault menu and the emulator's own."""

from __future__ import annotations


class SandboxAdmin:
    """A small client for an emulator's ``/_sandbox`` admin API, for tests, benchmarks and the CLI."""

    def __init__(self, base_url: str, timeout: float = 10.0):
        import requests

        root = base_url.rstrip("/")
        for suffix in ("/api", "/2.0"):
            if root.endswith(suffix):
                root = root[: -len(suffix)]
        self.root = root
        self._session = requests.Session()
        self._timeout = timeout

    def _call(self, method: str, path: str, payload=None):
        response = self._session.request(method, f"{self.root}/_sandbox/{path}", json=payload, timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def inject(self, kind: str, path: str = "", *, method: str | None = None, count: int = 1, **options) -> list[dict]:
        return self._call("POST", "faults", {"kind": kind, "path": path, "method": method, "count": count, **options})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def pending_faults(self) -> list[dict]:
        return self._call("GET", "faults")

    def requests(self) -> dict:
        return self._call("GET", "requests")

    def counts(self) -> dict[str, int]:
        return self.requests()["counts"]

    def reset_requests(self) -> None:
        self._call("DELETE", "requests")

    def set_latency(self, ms: int) -> None:
        self._call("PUT", "latency", {"ms": ms})

    def set_rate_limit(self, per_second: float | None, burst: int = 1) -> None:
        if per_second is None:
            self._call("DELETE", "rate-limit")
        else:
            self._call("PUT", "rate-limit", {"per_second": per_second, "burst": burst})

    def post(self, path: str, payload=None):
        """Call an emulator-specific admin route, e.g. ``post("invoices", {...})``."""
        return self._call("POST", path, payload)

    def put(self, path: str, payload=None):
        return self._call("PUT", path, payload)

    def get(self, path: str):
        return self._call("GET", path)

    def delete(self, path: str):
        return self._call("DELETE", path)
