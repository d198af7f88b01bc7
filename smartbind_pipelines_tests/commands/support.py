"""What the command tests share."""

# Every variable of DESIGN.md's table: a test removes the ones it does not set, so the developer's own shell
# can never leak into a test.
DESIGN_VARIABLES = (
    "BIND_API_BASE_URL",
    "BIND_API_KEY",
    "BIND_WAREHOUSE_ID",
    "SMARTSHEET_ACCESS_TOKEN",
    "SMARTSHEET_API_BASE",
    "SMARTSHEET_INVOICES_SHEET_ID",
    "SMARTSHEET_INVENTORY_SHEET_ID",
    "SMARTBIND_DB_PATH",
    "SMARTBIND_ADMIN_TOKEN",
)
