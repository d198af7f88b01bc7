"""What a doctor check returns, and how secrets are kept out of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

SECRET_VARIABLES = (
    "BIND_API_KEY",
    "SMARTSHEET_ACCESS_TOKEN",
    "SMARTBIND_ADMIN_TOKEN",
    "DAGSTER_PG_PASSWORD",
    "SMARTBIND_ALERT_WEBHOOK_URL",
)


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        text = f"{mark} {self.name}: {self.detail}"
        if not self.ok and self.fix:
            text += f"\n    → {self.fix}"
        return text


def passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail)


def failed(name: str, detail: str, fix: str) -> CheckResult:
    return CheckResult(name, False, detail, fix)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Belt and braces: replace any secret that slipped into an error message."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


def env_secrets(env: Mapping[str, str]) -> list[str]:
    values = [env.get(name, "") for name in SECRET_VARIABLES]
    # Also the value inside quotes a pasted key may carry, so redaction catches it either way.
    return [v for v in values + [v.strip() for v in values] + [v.strip().strip("\"'`").strip() for v in values] if v]
