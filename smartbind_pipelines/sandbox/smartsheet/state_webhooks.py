"""The state's webhook registry (smartsheet-events.md §1-§3): create, list, update (with the verification
handshake), reset the secret and delete webhooks, note delivery results, and queue a sheet's events for
the webhooks that watch it.

``WebhookRegistry`` is mixed into ``SmartsheetState`` (state.py), which owns ``webhooks`` (id -> record;
keys starting with "_" are never shown), the ``Deliveries`` worker, the registry lock and the config.
"""

from __future__ import annotations

from smartbind_pipelines.sandbox.smartsheet import webhook_events
from smartbind_pipelines.sandbox.smartsheet import webhooks as hooks
from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, not_found, parse_error
from smartbind_pipelines.sandbox.smartsheet.sheet import utc_stamp


class WebhookRegistry:
    """Webhook operations of ``SmartsheetState``; every method is thread-safe."""

    def create_webhook(self, body, token: str = "") -> dict:
        hooks.validate_create(body, lambda sid: sid in self.sheets, self.config.webhook_require_https)
        with self._registry_lock:
            hook = hooks.new_hook(self.new_id(), body, token)
            self.webhooks[hook["id"]] = hook
            return hooks.public(hook)

    def list_webhooks(self, token: str | None = None) -> list[dict]:
        """The caller's own webhooks, by name then creation (one API client here)."""
        with self._registry_lock:
            mine = [h for h in self.webhooks.values() if token is None or h["_token"] == token]
            return [hooks.public(h) for h in sorted(mine, key=lambda h: (h["name"], h["createdAt"]))]

    def get_webhook(self, hook_id: int) -> dict:
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            return hooks.public(hook)

    def webhook_record(self, hook_id: int) -> dict | None:
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            return dict(hook) if hook is not None else None

    def delete_webhook(self, hook_id: int) -> None:
        with self._registry_lock:
            if self.webhooks.pop(hook_id, None) is None:
                raise not_found()
        self.deliveries.drop_queued(hook_id)

    def reset_shared_secret(self, hook_id: int) -> dict:
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            hook["sharedSecret"] = hooks.new_shared_secret()
            hook["modifiedAt"] = utc_stamp()
            return {"sharedSecret": hook["sharedSecret"]}

    def update_webhook(self, hook_id: int, body) -> dict:
        """PUT /webhooks/{id}: ``enabled: true`` runs the verification before answering (§3)."""
        if not isinstance(body, dict):
            raise parse_error("the webhook must be a JSON object.")
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            if "events" in body and body["events"] != ["*.*"]:
                raise SmartsheetError(400, 1018, 'The value for webhook.events must be ["*.*"] for a sheet webhook.')
            if "callbackUrl" in body:
                hooks.check_url(body["callbackUrl"], self.config.webhook_require_https)
            for key in ("name", "callbackUrl"):  # other keys are ignored [G]
                if key in body:
                    hook[key] = body[key]
            hook["modifiedAt"] = utc_stamp()
            enable = body.get("enabled")
            if enable is True and hook["status"] in hooks.TERMINAL:
                code = 1153 if hook["status"] == "DISABLED_APP_REVOKED" else 1154
                raise SmartsheetError(
                    403,
                    code,
                    "The webhook cannot be enabled."
                    if code == 1153
                    else "This webhook was disabled by Smartsheet support; contact support.",
                )
            if enable is False:
                hook.update(enabled=False, status="DISABLED_BY_OWNER")
            snapshot = dict(hook)
        if enable is True and not (snapshot["enabled"] and snapshot["status"] == "ENABLED"):
            ok, what = hooks.verify(
                snapshot, self.config.webhook_callback_timeout_ms / 1000, self.config.webhook_sign_verification
            )
            self.deliveries.record(webhookId=hook_id, kind="verification", status=what, retry=0)
            with self._registry_lock:
                hook = self.webhooks.get(hook_id)
                if hook is None:
                    raise not_found()
                if ok:
                    hook.update(enabled=True, status="ENABLED", _since_verify=0)
                    hook.pop("disabledDetails", None)
                else:
                    hook.update(enabled=False, status="DISABLED_VERIFICATION_FAILED", disabledDetails=what)
        return self.get_webhook(hook_id)

    def set_webhook_status(self, hook_id: int, status: str, details: str | None = None) -> dict:
        """Also the sandbox's "force a status" control; any DISABLED_* status disables the hook."""
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                raise not_found()
            hook.update(status=status, enabled=status == "ENABLED", modifiedAt=utc_stamp())
            if status != "ENABLED" and details:
                hook["disabledDetails"] = details
            return hooks.public(hook)

    def note_webhook(self, hook_id: int, *, attempt: int = 0, delivered: bool = False, verified: bool = False) -> None:
        with self._registry_lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                return
            if verified:
                hook["_since_verify"] = 0
                return
            stats = hook["stats"]
            stats["lastCallbackAttempt"] = utc_stamp()
            stats["lastCallbackAttemptRetryCount"] = attempt
            if delivered:
                stats["lastSuccessfulCallback"] = stats["lastCallbackAttempt"]
                hook["_since_verify"] += 1

    def _watched(self, sheet_id: int) -> bool:
        return any(h["enabled"] and h["scopeObjectId"] == sheet_id for h in list(self.webhooks.values()))

    def _emit(self, sheet_id: int, events: list[dict]) -> None:
        """Queue ``events`` for the sheet's enabled webhooks; of duplicates (same token, URL and subscope)
        only the oldest delivers (§1)."""
        with self._registry_lock:
            chosen: dict[tuple, dict] = {}
            for hook in self.webhooks.values():  # creation order
                if hook["enabled"] and hook["scopeObjectId"] == sheet_id:
                    key = (
                        hook["_token"],
                        hook["callbackUrl"],
                        tuple(sorted((hook.get("subscope") or {}).get("columnIds") or [])),
                    )
                    chosen.setdefault(key, hook)
            targets = list(chosen.values())
        for hook in targets:
            self.deliveries.enqueue(hook["id"], [dict(e) for e in webhook_events.for_subscope(hook, events)], self)
