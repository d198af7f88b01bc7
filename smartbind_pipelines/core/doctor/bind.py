"""Bind checks: the key is accepted, a one-row read works, inventory's warehouses exist."""

from __future__ import annotations

from typing import Mapping, Sequence

from smartbind_pipelines.core.bind_client import BindApiError
from smartbind_pipelines.core.doctor.result import CheckResult, failed, passed
from smartbind_pipelines.core.processes import INVENTORY

_BIND_KEY_FIX = "generate a new key in Bind (Perfil → Integraciones → Generar API Key) and set BIND_API_KEY"


def _bind_failure(name: str, exc: Exception, base_url: str) -> CheckResult:
    """A failed Bind call as one line: 401 means the key, no status means the network."""
    status = getattr(exc, "status", None)
    message = getattr(exc, "message", None) or str(exc)
    if status in (401, 403):
        return failed(name, f"Bind refused the API key (HTTP {status}: {message})", _BIND_KEY_FIX)
    if status is None:
        return failed(
            name,
            f"Bind is unreachable at {base_url}: {message}",
            "check BIND_API_BASE_URL, DNS, the proxy/firewall, and that Bind is up",
        )
    if status == 404:
        return failed(
            name,
            f"Bind answered 404 at {base_url}: {message}",
            "BIND_API_BASE_URL must be the API base including /api, e.g. https://api.bind.com.mx/api",
        )
    if status == 429 or status >= 500:
        return failed(
            name,
            f"Bind answered HTTP {status}: {message}",
            "Bind is rate-limiting or failing; wait a few minutes and run `smartbind doctor` again",
        )
    return failed(name, f"Bind answered HTTP {status}: {message}", "see the message; check BIND_API_BASE_URL")


def bind_checks(client) -> list[CheckResult]:
    """The key is accepted (GET /UserProfile) and a one-row read works (GET /Invoices?$top=1)."""
    try:
        profile = client.user_profile()
    except BindApiError as exc:
        return [_bind_failure("Bind API key", exc, client.base_url)]
    who = (
        ", ".join(str(v) for v in (profile.get("CompanyName"), profile.get("RFC"), profile.get("Username")) if v)
        or "profile read"
    )
    results = [passed("Bind API key", f"accepted by {client.base_url} ({who})")]
    try:
        first_page = next(client.iter_pages("Invoices", {"$top": 1}), [])
    except BindApiError as exc:
        results.append(_bind_failure("Bind invoices read", exc, client.base_url))
        return results
    if first_page:
        number = first_page[0].get("Number")
        results.append(passed("Bind invoices read", f"one-row read works (invoice {number})"))
    else:
        results.append(passed("Bind invoices read", "one-row read works (no invoices yet)"))
    return results


def warehouse_check(client, warehouse_ids: Sequence[str], *, source: str) -> CheckResult:
    """The warehouses inventory reads from exist in Bind."""
    name = "Bind warehouses"
    if not warehouse_ids:
        return failed(
            name,
            "inventory has no warehouse configured",
            f"set BIND_WAREHOUSE_ID, or list them: `smartbind config set {INVENTORY.job_id} "
            '--fields-mapping \'{"warehouse_ids": ["…"]}\'`',
        )
    try:
        known = {str(w.get("ID", "")).lower(): w.get("Name", "") for w in client.warehouses()}
    except BindApiError as exc:
        return _bind_failure(name, exc, client.base_url)
    unknown = [w for w in warehouse_ids if str(w).strip().lower() not in known]
    if unknown:
        listing = "; ".join(f"{name_} = {wid}" for wid, name_ in sorted(known.items(), key=lambda kv: kv[1])) or "none"
        return failed(
            name, f"unknown in Bind ({source}): {', '.join(unknown)}", f"use one of Bind's warehouses: {listing}"
        )
    names = ", ".join(str(known[str(w).strip().lower()]) or str(w) for w in warehouse_ids)
    return passed(name, f"{len(warehouse_ids)} configured ({source}) and found: {names}")


def configured_warehouses(config, env: Mapping[str, str]) -> tuple[list[str], str]:
    """Inventory's warehouses: ProcessConfig fields_mapping.warehouse_ids, else BIND_WAREHOUSE_ID."""
    mapping = getattr(config, "fields_mapping", None) or {}
    listed = mapping.get("warehouse_ids") if isinstance(mapping, dict) else None
    if listed:
        ids = [listed] if isinstance(listed, str) else [str(w) for w in listed]
        return ids, "ProcessConfig fields_mapping.warehouse_ids"
    fallback = env.get("BIND_WAREHOUSE_ID", "").strip()
    return ([fallback] if fallback else []), "BIND_WAREHOUSE_ID"
