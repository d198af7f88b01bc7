"""A local emulator of the Bind ERP REST API (contract: shared/contracts/bind-erp-api.md §7).

state = BindState.demo(seed=7, invoices=250, products=120)   # or BindState.empty()
app = create_bind_app(state, tokens={"tok"})                  # ASGI; serve with BackgroundServer
"""

from smartbind_pipelines.sandbox.bind.app import BindErrors, create_bind_app
from smartbind_pipelines.sandbox.bind.demo import (
    MXN_ID,
    USD_ID,
    WAREHOUSE_GENERAL,
    WAREHOUSE_GUADALAJARA,
    WAREHOUSE_MONTERREY,
)
from smartbind_pipelines.sandbox.bind.odata import ODataError
from smartbind_pipelines.sandbox.bind.state import STATUS_TEXT, BindState
from smartbind_pipelines.sandbox.bind.state.admin_input import UnknownRecord

__all__ = [
    "BindErrors",
    "BindState",
    "MXN_ID",
    "ODataError",
    "STATUS_TEXT",
    "USD_ID",
    "UnknownRecord",
    "WAREHOUSE_GENERAL",
    "WAREHOUSE_GUADALAJARA",
    "WAREHOUSE_MONTERREY",
    "create_bind_app",
]
