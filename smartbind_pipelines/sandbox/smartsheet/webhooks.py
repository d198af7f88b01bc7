"""Webhooks (contract smartsheet-events.md §1-§3, §5, §8): CRUD rules, the verification handshake and
signed callback delivery with the documented retry table. The events themselves: webhook_events.py.

The registry (plain dicts) lives in the state and survives a sandbox snapshot; the delivery machinery
(queue, worker thread, attempt log) does not: a pickled ``Deliveries`` comes back fresh and idle.

Delivery: one worker thread for the whole emulator, so at most one callback is in flight at a time (per
webhook, as on Smartsheet, and across webhooks too). Events produced within ``webhook_aggregate_ms`` of the
first queued one go into one callback per webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections import deque

from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, missing_attribute, parse_error
from smartbind_pipelines.sandbox.smartsheet.sheet import utc_stamp
from smartbind_pipelines.sandbox.smartsheet.webhook_events import event_stamp

CREATE_REQUIRED = ("name", "callbackUrl", "scope", "scopeObjectId", "events", "version")
EARLY_RETRIES = 7
LATE_RETRIES = 7
TERMINAL = ("DISABLED_APP_REVOKED", "DISABLED_ADMINISTRATIVE")


def signature(secret: str, body: bytes) -> str:
    """``Smartsheet-Hmac-SHA256``: lower-case hex HMAC-SHA256 of the exact body bytes, keyed by the shared secret."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def retriable(status: int | None) -> bool:
    """§5.2: timeouts, 4xx except 410, and 5xx are retried; 200 is success; everything else is final."""
    if status is None:
        return True
    return (400 <= status <= 499 and status != 410) or 500 <= status <= 599


def new_shared_secret() -> str:
    """26 lower-case letters and digits, as Smartsheet's secrets look."""
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(26))


def public(hook: dict) -> dict:
    return {k: v for k, v in hook.items() if not k.startswith("_")}


def validate_create(body, sheet_exists, require_https: bool) -> None:
    if not isinstance(body, dict):
        raise parse_error("the webhook must be a JSON object.")
    for key in CREATE_REQUIRED:
        if body.get(key) is None:
            raise missing_attribute(f"webhook.{key}")
    if body["scope"] != "sheet":
        raise SmartsheetError(400, 1018, f"The value {body['scope']} was not valid for the parameter webhook.scope.")
    if body["events"] != ["*.*"]:
        raise SmartsheetError(400, 1018, 'The value for webhook.events must be ["*.*"] for a sheet webhook.')
    if body["version"] != 1:
        raise SmartsheetError(
            400, 1018, f"The value {body['version']} was not valid for the parameter webhook.version."
        )
    check_url(body["callbackUrl"], require_https)
    if not isinstance(body["scopeObjectId"], int) or not sheet_exists(body["scopeObjectId"]):
        raise SmartsheetError(404, 1151, "Scope object not found.")  # [G] 404 (the docs also say 400)
    subscope = body.get("subscope")
    if subscope is not None and (not isinstance(subscope, dict) or not isinstance(subscope.get("columnIds", []), list)):
        raise parse_error('Field "subscope" was of unexpected type.')


def check_url(url, require_https: bool) -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise SmartsheetError(400, 1018, f"The value {url} was not valid for the parameter webhook.callbackUrl.")
    if require_https and not url.startswith("https://"):
        raise SmartsheetError(
            400, 1152, "Only URLs with a protocol of 'https' are supported for attribute 'callbackUrl'."
        )


def new_hook(hook_id: int, body: dict, token: str) -> dict:
    now = utc_stamp()
    hook = {
        "id": hook_id,
        "name": body["name"],
        "callbackUrl": body["callbackUrl"],
        "scope": "sheet",
        "scopeObjectId": body["scopeObjectId"],
        "events": ["*.*"],
        "version": 1,
        "enabled": False,
        "status": "NEW_NOT_VERIFIED",
        "sharedSecret": new_shared_secret(),
        "createdAt": now,
        "modifiedAt": now,
        "stats": {"lastCallbackAttempt": None, "lastCallbackAttemptRetryCount": 0, "lastSuccessfulCallback": None},
        "_token": token,
        "_since_verify": 0,
    }
    columns = (body.get("subscope") or {}).get("columnIds") or []
    if columns:
        hook["subscope"] = {"columnIds": [int(c) for c in columns]}
    return hook


def verify(hook: dict, timeout_s: float, sign: bool) -> tuple[bool, str]:
    """POST the challenge to the callback URL; (verified, what happened)."""
    import requests

    challenge = str(uuid.uuid4())
    body = json.dumps({"challenge": challenge, "webhookId": hook["id"]}).encode("utf-8")
    headers = {"Content-Type": "application/json", "Smartsheet-Hook-Challenge": challenge}
    if sign:
        headers["Smartsheet-Hmac-SHA256"] = signature(hook["sharedSecret"], body)
    try:
        answer = requests.post(hook["callbackUrl"], data=body, headers=headers, timeout=timeout_s)
    except requests.RequestException as exc:
        return False, f"verification request failed: {type(exc).__name__}"
    if answer.status_code != 200:
        return False, f"verification answered HTTP {answer.status_code}"
    if answer.headers.get("Smartsheet-Hook-Response") == challenge:
        return True, "verified by header"
    try:
        echoed = answer.json().get("smartsheetHookResponse")
    except (ValueError, AttributeError):
        echoed = None
    if echoed == challenge:
        return True, "verified by body"
    return False, "the challenge was not echoed"


# --- delivery ---------------------------------------------------------------------------------------


class Deliveries:
    """Queued events per webhook, the worker that delivers them, and the attempt log (test surface)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._queued: dict[int, list[dict]] = {}  # webhook id -> events waiting
        self._first_at: float | None = None
        self._thread: threading.Thread | None = None
        self._paused = False
        self.attempts: deque = deque(maxlen=2000)
        self._in_flight = 0

    def __reduce__(self):  # a snapshot keeps the registry, never threads or queued events
        return (Deliveries, ())

    def enqueue(self, hook_id: int, events: list[dict], state) -> None:
        if not events:
            return
        with self._cond:
            self._queued.setdefault(hook_id, []).extend(events)
            if self._first_at is None:
                self._first_at = time.monotonic()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(state,), daemon=True, name="smartsheet-webhooks"
                )
                self._thread.start()
            self._cond.notify_all()

    def pause(self, paused: bool) -> None:
        with self._cond:
            self._paused = paused
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return not self._queued and not self._in_flight

    def log(self) -> list[dict]:
        with self._cond:
            return list(self.attempts)

    def drop_queued(self, hook_id: int) -> None:
        with self._cond:
            self._queued.pop(hook_id, None)

    def _run(self, state) -> None:
        while True:
            with self._cond:
                while not self._queued or self._paused:
                    if not self._cond.wait(timeout=30) and not self._queued:
                        self._thread = None
                        return
                window = state.config.webhook_aggregate_ms / 1000
                wait = (self._first_at or time.monotonic()) + window - time.monotonic()
                if wait > 0:
                    self._cond.wait(timeout=wait)
                    continue
                batch, self._queued, self._first_at = self._queued, {}, None
                self._in_flight += 1
            try:
                for hook_id, events in batch.items():
                    self._deliver(state, hook_id, events)
            finally:
                with self._cond:
                    self._in_flight -= 1

    def record(self, **entry) -> None:
        with self._cond:
            self.attempts.append({"at": utc_stamp(), **entry})

    def _deliver(self, state, hook_id: int, events: list[dict]) -> None:
        config = state.config
        hook = state.webhook_record(hook_id)
        if hook is None or not hook["enabled"]:
            return  # disabled hooks drop events (no backlog)
        if hook["_since_verify"] >= config.webhook_verify_every > 0:
            ok, what = verify(hook, config.webhook_callback_timeout_ms / 1000, config.webhook_sign_verification)
            self.record(webhookId=hook_id, kind="verification", status=what, retry=0)
            if not ok:
                state.set_webhook_status(hook_id, "DISABLED_VERIFICATION_FAILED", what)
                return
            state.note_webhook(hook_id, verified=True)
        body = json.dumps(
            {
                "nonce": str(uuid.uuid4()),
                "timestamp": event_stamp(),
                "webhookId": hook_id,
                "scope": "sheet",
                "scopeObjectId": hook["scopeObjectId"],
                "events": events,
            },
            separators=(",", ":"),
        ).encode("utf-8")
        delays = [config.webhook_first_retry_ms / 1000 * 2**n for n in range(EARLY_RETRIES)]
        delays += [config.webhook_late_retry_ms / 1000] * LATE_RETRIES
        import requests

        for attempt in range(len(delays) + 1):
            hook = state.webhook_record(hook_id)
            if hook is None or not hook["enabled"]:
                return
            headers = {
                "Content-Type": "application/json",
                "Smartsheet-Hook-Id": str(hook_id),
                "Smartsheet-Hmac-SHA256": signature(hook["sharedSecret"], body),
            }
            try:
                answer = requests.post(
                    hook["callbackUrl"], data=body, headers=headers, timeout=config.webhook_callback_timeout_ms / 1000
                )
                status = answer.status_code
            except requests.RequestException:
                status = None
            self.record(
                webhookId=hook_id,
                kind="callback",
                status=status if status is not None else "timeout",
                retry=attempt,
                events=len(events),
                body=body.decode("utf-8"),
            )
            state.note_webhook(hook_id, attempt=attempt, delivered=status == 200)
            if status == 200:
                return
            if not retriable(status):
                state.set_webhook_status(
                    hook_id, "DISABLED_CALLBACK_FAILED", f"The callback answered HTTP {status}, which is not retried."
                )
                return
            if attempt < len(delays):
                time.sleep(delays[attempt])
        state.set_webhook_status(
            hook_id, "DISABLED_CALLBACK_FAILED", f"The callback failed {len(delays) + 1} times; retries exhausted."
        )
