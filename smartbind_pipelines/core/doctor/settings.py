"""Settings checks: DESIGN.md's environment table, as pure functions of the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from smartbind_pipelines.core.doctor.result import CheckResult, failed, passed
from smartbind_pipelines.core.odata import is_guid

DEFAULT_BIND_API_BASE_URL = "https://api.bind.com.mx/api"
DEFAULT_SMARTSHEET_API_BASE = "https://api.smartsheet.com/2.0"
DEFAULT_DB_PATH = "data/processes.db"


def check_api_base(env: Mapping[str, str], variable: str, default: str, required_suffix: str) -> CheckResult:
    """A base URL: http(s), a host, no query or fragment, and the API's path suffix (/api, /2.0)."""
    raw = env.get(variable, "")
    value = raw.strip() or default
    origin = "default" if not raw.strip() else "set"
    parts = urlsplit(value)
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = f"scheme must be https (or http for a local sandbox), got {parts.scheme or 'none'!r}"
    elif not parts.hostname:
        problem = "no host name"
    elif parts.query or parts.fragment:
        problem = "must not carry a query string or fragment"
    elif not parts.path.rstrip("/").endswith(required_suffix):
        problem = f"path must end in {required_suffix!r}, got {parts.path or '/'!r}"
    else:
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            problem = "malformed port"
    if problem:
        return failed(
            variable, f"{value!r} is not a valid API base: {problem}", f"set {variable} to a URL like {default}"
        )
    return passed(variable, f"{value} ({origin})")


_QUOTES = "\"'`"
# Letters of values that are only ever placeholders (.env.example's DAGSTER_PG_PASSWORD=change-me, and the
# usual suspects); compared with everything but the letters removed, lower-cased.
_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "changethis",
        "changeit",
        "replaceme",
        "placeholder",
        "example",
        "sample",
        "dummy",
        "fake",
        "secret",
        "password",
        "passwd",
        "token",
        "apikey",
        "key",
        "todo",
        "fixme",
        "tbd",
        "none",
        "null",
        "test",
        "yourapikey",
        "yourtoken",
        "yourkey",
        "yoursecret",
        "yourpassword",
    }
)


def is_placeholder(value: str) -> bool:
    """A value nobody would use for real: .env.example's ``change-me``, ``<token>``, ``xxxxxx``, ``your-api-key``."""
    text = value.strip().strip(_QUOTES).strip().lower()
    if not text:
        return False
    if text.startswith("<") and text.endswith(">"):
        return True
    if set(text) <= set("x*.-_#"):
        return True
    letters = "".join(char for char in text if "a" <= char <= "z")
    return (
        letters in _PLACEHOLDERS
        or letters.startswith(("changeme", "replaceme"))
        or text.startswith(("your-", "your_", "change-me", "change_me"))
    )


def check_secret(env: Mapping[str, str], variable: str, purpose: str, *, required: bool = True) -> CheckResult:
    """A secret is set and looks like a bare token; only its length is ever shown."""
    value = env.get(variable, "")
    if not value.strip():
        if not required:
            return passed(variable, f"not set in this environment ({purpose})")
        return failed(variable, "not set", f"export {variable}=… ({purpose})")
    stripped = value.strip()
    if stripped[0] in _QUOTES or stripped[-1] in _QUOTES:
        # BIND_API_KEY='"abc"' (or a .env line with quotes docker compose keeps) sends the quotes too.
        return failed(
            variable,
            f"set ({len(value)} characters) but starts or ends with a quote character; "
            "the quotes would be sent as part of the value",
            f"set {variable} to the bare value, without quotes",
        )
    if value != stripped:
        return failed(
            variable,
            f"set ({len(value)} characters) but has leading/trailing whitespace",
            f"re-export {variable} without spaces or newlines",
        )
    if is_placeholder(value):
        return failed(
            variable,
            f"set ({len(value)} characters) but is a known placeholder value, not the real one",
            f"put the real value in {variable} (where you choose it, a long random one: `openssl rand -hex 24`)",
        )
    if value.lower().startswith("bearer "):
        return failed(
            variable,
            f"set ({len(value)} characters) but starts with 'Bearer '",
            f"set {variable} to the bare token; the 'Bearer ' prefix is added by smartbind",
        )
    return passed(variable, f"set ({len(value)} characters)")


def check_sheet_id_variable(env: Mapping[str, str], variable: str) -> CheckResult:
    value = env.get(variable, "").strip()
    if not value:
        return passed(variable, "not set (the sheet id in ProcessConfig is used)")
    if not (value.isascii() and value.isdigit()):
        return failed(
            variable,
            f"{value!r} is not a sheet id (digits only)",
            f"copy the id from the sheet's File → Properties into {variable}, or unset it",
        )
    return passed(variable, value)


def check_warehouse_variable(env: Mapping[str, str]) -> CheckResult:
    value = env.get("BIND_WAREHOUSE_ID", "").strip()
    if not value:
        return passed("BIND_WAREHOUSE_ID", "not set (inventory uses the warehouses in ProcessConfig)")
    if not is_guid(value):
        return failed(
            "BIND_WAREHOUSE_ID",
            f"{value!r} is not a Bind warehouse id (a GUID)",
            "take the ID of a warehouse from GET /api/Warehouses",
        )
    return passed("BIND_WAREHOUSE_ID", value)


def check_db_path(env: Mapping[str, str]) -> CheckResult:
    """The ProcessConfig SQLite file can be written (or created), without creating anything now."""
    raw = env.get("SMARTBIND_DB_PATH", "").strip()
    path = Path(raw or DEFAULT_DB_PATH)
    origin = "default" if not raw else "set"
    fix = "point SMARTBIND_DB_PATH at a file in a directory the smartbind user can write"
    if path.is_dir():
        return failed("SMARTBIND_DB_PATH", f"{path} is a directory, not a file", fix)
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            return failed("SMARTBIND_DB_PATH", f"{path} exists but is not readable and writable", fix)
        if not os.access(path.parent, os.W_OK):  # SQLite writes its journal beside the file
            return failed("SMARTBIND_DB_PATH", f"{path.parent} is not writable (SQLite needs its journal there)", fix)
        return passed("SMARTBIND_DB_PATH", f"{path} ({origin}, exists, writable)")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK):
        return failed("SMARTBIND_DB_PATH", f"{path} does not exist and {ancestor} is not a writable directory", fix)
    return passed("SMARTBIND_DB_PATH", f"{path} ({origin}, will be created)")


def check_alert_threshold(env: Mapping[str, str]) -> CheckResult:
    """SMARTBIND_ALERT_AFTER_FAILURES: the code location loads with the default when it is unusable; say so."""
    from smartbind_pipelines.core.failure_alerts import (
        ALERT_AFTER_ENV,
        DEFAULT_ALERT_AFTER_FAILURES,
        parse_alert_after_failures,
    )

    threshold, problem = parse_alert_after_failures(env.get(ALERT_AFTER_ENV))
    if problem:
        return failed(
            ALERT_AFTER_ENV,
            problem,
            f"set {ALERT_AFTER_ENV} to a whole number such as {DEFAULT_ALERT_AFTER_FAILURES}, or unset it",
        )
    origin = "set" if (env.get(ALERT_AFTER_ENV) or "").strip() else "default"
    return passed(ALERT_AFTER_ENV, f"alarm after {threshold} failed runs in a row ({origin})")


def settings_checks(env: Mapping[str, str]) -> list[CheckResult]:
    """Every variable of DESIGN.md's table, present where required and well-formed."""
    return [
        check_api_base(env, "BIND_API_BASE_URL", DEFAULT_BIND_API_BASE_URL, "/api"),
        check_secret(env, "BIND_API_KEY", "Bind: Perfil → Integraciones → Generar API Key"),
        check_warehouse_variable(env),
        check_api_base(env, "SMARTSHEET_API_BASE", DEFAULT_SMARTSHEET_API_BASE, "/2.0"),
        check_secret(env, "SMARTSHEET_ACCESS_TOKEN", "Smartsheet: Account → Apps & Integrations → API Access"),
        check_sheet_id_variable(env, "SMARTSHEET_INVOICES_SHEET_ID"),
        check_sheet_id_variable(env, "SMARTSHEET_INVENTORY_SHEET_ID"),
        check_db_path(env),
        check_alert_threshold(env),
        # Only the admin_api service holds the admin token (docker-compose.yml gives each service its own
        # secrets), so the doctor run in user_code has none: checked when set, never required.
        check_secret(
            env,
            "SMARTBIND_ADMIN_TOKEN",
            "needed only where the admin REST API runs, which refuses to "
            "start without it; e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`",
            required=False,
        ),
        # Dagster's database password: only the services that open Dagster's storage receive it.
        check_secret(
            env, "DAGSTER_PG_PASSWORD", "needed only where Dagster's PostgreSQL storage is used", required=False
        ),
    ]
