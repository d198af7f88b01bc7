"""Smartsheet error bodies: ``{"errorCode", "message", "refId"[, "detail"]}`` with the API's HTTP statuses.

Every error the emulator answers goes through ``SmartsheetError`` so that the body, the status and the
``Content-Type`` are the same everywhere (the SDK reads ``errorCode`` to decide retries; older SDKs
crashed without ``refId``).
"""

from __future__ import annotations

import contextvars
import json
import re
import secrets

from starlette.responses import Response

JSON_CONTENT_TYPE = "application/json;charset=UTF-8"

# Path of the request being answered, so fault-injected 4004s can name the sheet like the real message.
current_path: contextvars.ContextVar[str] = contextvars.ContextVar("smartsheet_current_path", default="")

_SHEET_IN_PATH = re.compile(r"/sheets/(\d+)")


def new_ref_id() -> str:
    """A short random reference id, like the real service's ``refId`` (e.g. ``1fhr9xc0q8i2v``)."""
    return secrets.token_hex(7)[:13]


def json_response(body, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(payload, status_code=status, headers=headers, media_type=JSON_CONTENT_TYPE)


class SmartsheetError(Exception):
    """An API error: HTTP status, Smartsheet ``errorCode``, message and optional ``detail``."""

    def __init__(self, status: int, code: int, message: str, detail: dict | None = None):
        super().__init__(f"{status}/{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def with_detail(self, **detail) -> "SmartsheetError":
        return SmartsheetError(self.status, self.code, self.message, {**(self.detail or {}), **detail})

    def body(self) -> dict:
        body = {"errorCode": self.code, "message": self.message, "refId": new_ref_id()}
        if self.detail is not None:
            body["detail"] = self.detail
        return body

    def item_error(self) -> dict:
        """The ``error`` object inside a partial-success ``failedItems`` entry (no ``detail``)."""
        return {"errorCode": self.code, "message": self.message, "refId": new_ref_id()}

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return json_response(self.body(), self.status, headers)


# Constructors named after what went wrong; messages follow the documented error table.


def token_required() -> SmartsheetError:
    return SmartsheetError(401, 1001, "An Access Token is required.")


def token_invalid() -> SmartsheetError:
    return SmartsheetError(401, 1002, "Your Access Token is invalid.")


def not_found() -> SmartsheetError:
    return SmartsheetError(404, 1006, "Not Found")


def parse_error(reason: str) -> SmartsheetError:
    return SmartsheetError(400, 1008, f"Unable to parse request. The following error occurred: {reason}")


def missing_parameter(name: str) -> SmartsheetError:
    return SmartsheetError(400, 1009, f"A required parameter is missing from your request: {name}.")


def method_not_supported() -> SmartsheetError:
    return SmartsheetError(405, 1010, "HTTP Method not supported.")


def missing_attribute(name: str) -> SmartsheetError:
    return SmartsheetError(400, 1012, f"Required object attribute(s) are missing from your request: {name}.")


def invalid_parameter(value: str, name: str) -> SmartsheetError:
    return SmartsheetError(400, 1018, f"The value {value} was not valid for the parameter {name}.")


def body_required() -> SmartsheetError:
    return SmartsheetError(400, 1024, "The HTTP request body is required for this Method.")


def attributes_not_allowed(names: list[str]) -> SmartsheetError:
    return SmartsheetError(400, 1032, f"The attribute(s) {', '.join(names)} are not allowed for this operation.")


def not_emulated(what: str) -> SmartsheetError:
    # 9999 is what Smartsheet's own WireMock fixtures use for "test infrastructure" errors.
    return SmartsheetError(400, 9999, f"Smartsheet emulator: {what} is not emulated.")


def server_error_4004(sheet_id: int | None) -> SmartsheetError:
    if sheet_id is None:
        return SmartsheetError(
            500,
            4004,
            "An unexpected error has occurred. Please retry your request. "
            "If you encounter this error repeatedly, please contact api@smartsheet.com "
            "for assistance.",
        )
    return SmartsheetError(
        500,
        4004,
        f"Request failed because sheetId {sheet_id} is currently being updated by another request that uses "
        "the same access token. Please retry your request once the previous request has completed.",
    )


class SmartsheetErrorFlavor:
    """Renders FaultMiddleware's canned faults as the real Smartsheet service does."""

    def rate_limited(self, retry_after: int) -> Response:
        return SmartsheetError(429, 4003, "Rate limit exceeded.").response({"Retry-After": str(retry_after)})

    def server_error(self) -> Response:
        match = _SHEET_IN_PATH.search(current_path.get())
        return server_error_4004(int(match.group(1)) if match else None).response()

    def unavailable(self) -> Response:
        return SmartsheetError(
            503, 4001, "Smartsheet.com is currently offline for system maintenance. Please check back again shortly."
        ).response()
