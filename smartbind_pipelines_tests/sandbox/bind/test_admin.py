"""The Bind emulator's admin routes (sandbox/bind/admin.py): an unknown record is 404, a bad body or field 400,
each naming the problem, and nothing is written."""

from __future__ import annotations

import requests

from .test_state import admin, api


def test_admin_errors_name_the_problem(empty_bind_emulator):
    emulator = empty_bind_emulator
    missing = admin(emulator, "POST", "invoices/11111111-2222-4333-8444-555555555555/pay")
    assert missing.status_code == 404 and "11111111-2222-4333-8444-555555555555" in missing.json()["error"]
    unknown_field = admin(emulator, "POST", "invoices", {"Folio": 12})
    assert unknown_field.status_code == 400 and "Folio" in unknown_field.json()["error"]
    bad_type = admin(emulator, "POST", "invoices", {"Date": "ayer"})
    assert bad_type.status_code == 400 and "Date" in bad_type.json()["error"]
    not_json = requests.post(f"{emulator.admin.root}/_sandbox/invoices", data="{", timeout=10)
    assert not_json.status_code == 400
    assert admin(emulator, "POST", "nothing-here").status_code == 404
    assert api(emulator, "Invoices")["count"] == 0
