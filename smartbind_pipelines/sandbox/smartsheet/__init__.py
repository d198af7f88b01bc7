"""A stateful Smartsheet API 2.0 emulator that the unmodified smartsheet-python-sdk 4.4.0 talks to.

    state = SmartsheetState()
    app = create_smartsheet_app(state, tokens={"tok"})   # FaultMiddleware around the API
    client = smartsheet.Smartsheet(access_token="tok", api_base=f"{url}/2.0")

See docs/sandbox-smartsheet.md for what is emulated and where it departs from the contract.
"""

from smartbind_pipelines.sandbox.smartsheet.app import create_smartsheet_app
from smartbind_pipelines.sandbox.smartsheet.errors import SmartsheetError, SmartsheetErrorFlavor
from smartbind_pipelines.sandbox.smartsheet.state import SandboxConfig, SmartsheetState

__all__ = ["SandboxConfig", "SmartsheetError", "SmartsheetErrorFlavor", "SmartsheetState", "create_smartsheet_app"]
