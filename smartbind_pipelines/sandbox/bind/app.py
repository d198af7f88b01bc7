"""The Bind ERP emulator over HTTP: the ``/api`` routes of contract §7 (``/_sandbox/...`` goes to admin.py).

Order of checks follows ASP.NET Web API, so errors come out as Bind's would: route selection first
(unknown route or a missing ``warehouseID`` -> 404, wrong method -> 405), then the Bearer token (401),
then parameter binding and OData validation (400), then the lookup itself (404).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smartbind_pipelines.sandbox.bind import demo
from smartbind_pipelines.sandbox.bind.admin import sandbox_admin
from smartbind_pipelines.sandbox.bind.new_invoice import bind_new_invoice, model_state_body
from smartbind_pipelines.sandbox.bind.odata import ODataError
from smartbind_pipelines.sandbox.bind.query import SelectionCache, page_body, parse_options, query_pairs
from smartbind_pipelines.sandbox.bind.schema import (
    CLIENT_LIST_ITEM,
    CURRENCY,
    INVENTORY,
    INVOICE_LIST_ITEM,
    LOCATION,
    MODEL_NAMESPACE,
    PRICE_LIST,
    PRODUCT,
    SERVICE,
    WAREHOUSE,
    is_guid,
    json_text,
)
from smartbind_pipelines.sandbox.bind.state import BindState
from smartbind_pipelines.sandbox.bind.state.sales import SaleRefused
from smartbind_pipelines.sandbox.faults import FaultMiddleware

JSON_UTF8 = "application/json; charset=utf-8"
UNAUTHORIZED = {"Message": "Authorization has been denied for this request."}

# list routes: lowercase path segment -> (controller name as Bind spells it, entity, state collection)
_LISTS = {
    "invoices": ("Invoices", INVOICE_LIST_ITEM, "invoices"),
    "products": ("Products", PRODUCT, "products"),
    "inventory": ("Inventory", INVENTORY, "inventory"),
    "warehouses": ("Warehouses", WAREHOUSE, "warehouses"),
    "currencies": ("Currencies", CURRENCY, "currencies"),
    "clients": ("Clients", CLIENT_LIST_ITEM, "clients"),
    "locations": ("Locations", LOCATION, "locations"),
    "pricelists": ("PriceLists", PRICE_LIST, "pricelists"),
    "services": ("Services", SERVICE, "services"),
}
_SINGLES = {"invoices", "products", "clients"}  # routes that also take /{id}
_CONTROLLERS = {**{key: spec[0] for key, spec in _LISTS.items()}, "userprofile": "UserProfile", "series": "Series"}
_JSON_TYPES = ("application/json", "text/json")


def _json(body, status: int = 200, headers: dict | None = None) -> Response:
    text = body if isinstance(body, str) else json_text(body)
    return Response(text, status_code=status, media_type=JSON_UTF8, headers=headers)


class BindErrors:
    """ErrorFlavor: Bind sits behind Azure API Management, so throttling and outages use APIM bodies."""

    def rate_limited(self, retry_after: int) -> Response:
        return _json(
            {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {retry_after} seconds."},
            429,
            {"Retry-After": str(retry_after)},
        )

    def server_error(self) -> Response:
        return _json({"Message": "An error has occurred."}, 500)

    def unavailable(self) -> Response:
        # [G] APIM's answer when the backend pool is down
        return _json({"statusCode": 503, "message": "Service Unavailable"}, 503)


def _not_found(request: Request, controller: str | None) -> Response:
    body = {"Message": f"No HTTP resource was found that matches the request URI '{request.url}'."}
    if controller is None:
        segment = request.url.path.strip("/").split("/")
        if len(segment) > 1 and segment[0].lower() == "api":
            body["MessageDetail"] = f"No type was found that matches the controller named '{segment[1]}'."
    else:
        body["MessageDetail"] = f"No action was found on the controller '{controller}' that matches the request."
    return _json(body, 404)


def _binding_error(parameter: str, controller: str, signature: str) -> Response:
    """Web API's answer when a non-nullable Guid parameter cannot be bound."""
    return _json(
        {
            "Message": "The request is invalid.",
            "MessageDetail": (
                f"The parameters dictionary contains a null entry for parameter '{parameter}' of non-nullable type "
                f"'System.Guid' for method '{signature}' in '{MODEL_NAMESPACE.rsplit('.', 1)[0]}.Controllers."
                f"{controller}Controller'. An optional parameter must be a reference type, a nullable type, or be "
                "declared as an optional parameter."
            ),
        },
        400,
    )


class BindApi:
    def __init__(self, state: BindState, tokens: frozenset[str], *, count_with_top: bool, accept_api_key_header: bool):
        self.state = state
        self.tokens = tokens
        self.count_with_top = count_with_top
        self.accept_api_key_header = accept_api_key_header
        self.selections = SelectionCache()

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        if path.lower().startswith("/_sandbox/"):
            return await sandbox_admin(self.state, request)
        segments = [s for s in path.split("/") if s]
        if len(segments) < 2 or segments[0].lower() != "api" or len(segments) > 3:
            controller = _CONTROLLERS.get(segments[1].lower()) if len(segments) > 1 else None
            return _not_found(request, controller)
        resource = segments[1].lower()
        controller = _CONTROLLERS.get(resource)
        if controller is None:
            return _not_found(request, None)
        key = segments[2] if len(segments) == 3 else None
        if key is not None and resource not in _SINGLES:
            return _not_found(request, controller)
        pairs = query_pairs(request.url.query)
        warehouse = next((v for k, v in pairs if k.lower() == "warehouseid"), None)
        if resource == "inventory" and warehouse is None:
            return _not_found(request, controller)  # Web API finds no action without the required parameter
        allowed = "POST" if resource == "invoices" and key is None and request.method == "POST" else "GET"
        if request.method != allowed:
            return _json({"Message": f"The requested resource does not support http method '{request.method}'."}, 405)
        if not self._authorized(request):
            return _json(UNAUTHORIZED, 401)
        if allowed == "POST":
            return await self._create_sale(request)
        if resource == "userprofile":
            return _json(_user_profile())
        if resource == "series":
            doc_type = next((v for k, v in pairs if k.lower() == "doctype"), None)
            if doc_type is not None and not doc_type.strip().lstrip("-").isdigit():
                return _json(
                    {
                        "Message": "The request is invalid.",
                        "MessageDetail": (
                            f"The value '{doc_type}' is not valid for parameter 'docType' of type 'System.Int32'."
                        ),
                    },
                    400,
                )
            return _json(self.state.series(int(doc_type) if doc_type is not None else None))
        if key is not None:
            return self._single(request, resource, key)
        if resource == "inventory" and not is_guid(warehouse):
            return _binding_error(
                "warehouseID", controller, "InventorytPage Get(System.Guid, System.Web.Http.OData.ODataQueryOptions)"
            )
        _, entity, route = _LISTS[resource]
        try:
            options = parse_options(pairs, entity)
        except ODataError as exc:
            return _json({"Message": exc.message}, 400)
        rows = self.state.rows(route, warehouse)
        selected = self.selections.select(f"{route}:{(warehouse or '').lower()}", rows, options)
        base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
        return _json(page_body(selected, options, base, count_with_top=self.count_with_top))

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip() in self.tokens:
            return True
        return self.accept_api_key_header and request.headers.get("apikey", "") in self.tokens

    async def _create_sale(self, request: Request) -> Response:
        """``POST /api/Invoices``: 415 for a body that is not JSON, 400 ModelState for a body that does not
        bind, 400 ``{"Message"}`` for a business refusal, else 200 and the new id as a JSON string."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in _JSON_TYPES:
            return _json(
                {
                    "Message": f"The request entity's media type '{media or 'application/octet-stream'}' is "
                    "not supported for this resource."
                },
                415,
            )
        raw = await request.body()
        new, errors = bind_new_invoice(raw, self.state.invoicing.strict_required)
        if errors:
            return _json(model_state_body(errors), 400)
        try:
            sale_id = await run_in_threadpool(self.state.create_sale, new)
        except SaleRefused as refused:
            return _json({"Message": refused.message}, refused.status)
        return _json(json_text(sale_id))

    def _single(self, request: Request, resource: str, key: str) -> Response:
        """``GET /api/{resource}/{id}``; a sale is also found by its folio, so only its id is not a Guid."""
        if resource != "invoices" and not is_guid(key):
            controller, model = {"clients": ("Clients", "ClientDetails"), "products": ("Products", "ProductDetails")}[
                resource
            ]
            return _binding_error("id", controller, f"{model} Get(System.Guid)")
        lookup = {
            "clients": self.state.client_details,
            "invoices": self.state.invoice_details,
            "products": self.state.product_details,
        }[resource]
        details = lookup(key)
        if details is None:  # [G] Bind's not-found bodies for a client, sale or product are not documented
            return _json({"Message": f"The {resource[:-1]} '{key}' was not found."}, 404)
        return _json(details)


def _user_profile() -> dict:
    """[G] values; the keys are S1's UserProfile."""
    return {
        "CompanyID": "e8f9a0b1-c2d3-4e5f-8a6b-7c8d9e0f1a2b",
        "CompanyName": "Materiales del Centro S.A. de C.V.",
        "CompanyNumber": 48213,
        "Email": "ana.hernandez@materialesdelcentro.com.mx",
        "Name": demo.SELLER["Name"],
        "RFC": "MCE150312KU4",
        "Roles": ["Administrador"],
        "UserID": demo.SELLER["ID"],
        "Username": "ana.hernandez",
        "Locations": [{"ID": lid, "Name": name} for lid, name in demo.LOCATIONS.items()],
    }


def create_bind_app(
    state: BindState, tokens, *, count_with_top: bool = False, accept_api_key_header: bool = False
) -> FaultMiddleware:
    """The Bind ERP emulator as an ASGI app (fault injection, rate limit and request log included).

    ``count_with_top`` [G]: report ``count`` as min(total, $top) when ``$top`` is sent.
    ``accept_api_key_header`` [G]: also accept the key in an ``apiKey`` header (2018 swagger).
    """
    api = BindApi(state, frozenset(tokens), count_with_top=count_with_top, accept_api_key_header=accept_api_key_header)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app = Starlette(routes=[Route("/{path:path}", api.handle, methods=methods)])
    return FaultMiddleware(app, BindErrors())
