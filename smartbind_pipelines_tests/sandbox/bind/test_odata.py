"""Unit tests of the Bind emulator's OData v3 layer: filter/orderby compilation, options, nextLink."""

from __future__ import annotations

import random
import string
from datetime import datetime

import pytest

from smartbind_pipelines.sandbox.bind.odata import ODataError, compile_filter, compile_orderby, tokenize
from smartbind_pipelines.sandbox.bind.query import next_link, parse_options, select_rows
from smartbind_pipelines.sandbox.bind.schema import INVOICE_LIST_ITEM, PRODUCT, sqlguid_key

G1 = "00000000-0000-0000-0000-000000000001"
G2 = "00000000-0000-0000-0000-010000000000"  # larger for SQL Server (byte 10 outweighs the last byte)

ROWS = [
    {
        "ID": G1,
        "Status": 0,
        "Total": 116.0,
        "Payments": 0.0,
        "RFC": "XAXX010101000",
        "ClientName": "Peña O'Brien",
        "Date": datetime(2026, 1, 19, 19, 34, 15, 903000),
        "UUID": None,
        "Comments": None,
        "IsFiscalInvoice": True,
        "WarehouseID": G2,
        "Number": 7,
    },
    {
        "ID": G2,
        "Status": 1,
        "Total": 58.0,
        "Payments": 58.0,
        "RFC": "DÑA010203AB1",
        "ClientName": "Distribuidora Ñandú",
        "Date": datetime(2026, 1, 20, 0, 0),
        "UUID": G1,
        "Comments": "urgente",
        "IsFiscalInvoice": False,
        "WarehouseID": G1,
        "Number": 8,
    },
]


def matching(text: str) -> list[int]:
    predicate = compile_filter(text, INVOICE_LIST_ITEM)
    return [row["Number"] for row in ROWS if predicate(row)]


@pytest.mark.parametrize(
    "text, numbers",
    [
        ("Status eq 0", [7]),
        ("Status ne 0", [8]),
        ("0 eq Status", [7]),
        ("Total gt Payments", [7]),
        ("Total ge 58 and Total le 58.0", [8]),
        ("Total lt 100 or Status eq 0", [7, 8]),
        ("not (Status eq 0)", [8]),
        ("Date ge datetime'2026-01-20T00:00:00'", [8]),
        ("Date lt DateTime'2026-01-20T00:00:00'", [7]),
        ("Date eq datetime'2026-01-19T19:34:15.903'", [7]),
        ("Date gt datetime'2026-01-19T19:34'", [7, 8]),
        ("UUID eq null", [7]),
        ("UUID ne null", [8]),
        (f"UUID eq guid'{G1.upper()}'", [8]),
        (f"WarehouseID gt guid'{G1}'", [7]),  # SQL Server GUID order, not text order
        ("ClientName eq 'Peña O''Brien'", [7]),
        ("substringof('Ñandú', ClientName)", [8]),
        ("startswith(RFC, 'XAXX')", [7]),
        ("endswith(tolower(RFC), 'ab1')", [8]),
        ("toupper(ClientName) eq 'DISTRIBUIDORA ÑANDÚ'", [8]),
        ("length(RFC) eq 12", [8]),
        ("year(Date) eq 2026 and month(Date) eq 1 and day(Date) eq 20", [8]),
        ("IsFiscalInvoice", [7]),
        ("IsFiscalInvoice eq false", [8]),
        ("Total sub Payments gt 100", [7]),
        ("Total mul 2 eq 116", [8]),
        ("-Total lt -100", [7]),
        ("substringof('urg', Comments)", [8]),
        ("not substringof('urg', Comments)", []),  # null propagates: SQL's NOT(NULL) keeps nothing
        ("(Status eq 0 or Status eq 1) and (Total gt 100)", [7]),
        ("Number eq 8L", [8]),
    ],
)
def test_filters_select_the_right_rows(text, numbers):
    assert matching(text) == numbers


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Foo eq 1", "Could not find a property named 'Foo' on type 'BindERP.API.Models.InvoiceListItem'."),
        ("status eq 0", "Could not find a property named 'status'"),  # property names are case-sensitive
        (f"WarehouseID eq '{G1}'", "Found operand types 'Edm.Guid' and 'Edm.String' for operator kind 'Equal'"),
        ("Date ge '2026-01-01'", "'Edm.DateTime' and 'Edm.String'"),
        ("Status eq 'x'", "'Edm.Int32' and 'Edm.String'"),
        ("Status eq true", "'Edm.Int32' and 'Edm.Boolean'"),
        ("Status eq 0 and 1", "operator kind 'And'"),
        ("Status eq", "Expression expected at position 9"),
        ("Status eq 0 Status", "Syntax error at position 12"),
        ("(Status eq 0", "')' or operator expected"),
        ("ClientName eq 'abc", "unterminated string literal"),
        ("Status eq 0 % 1", "character '%' is not valid"),
        ("Date ge datetime'2026-13-01T00:00:00'", "Unrecognized 'Edm.DateTime' literal"),
        ("Date ge datetime'2026-01-01'", "Unrecognized 'Edm.DateTime' literal"),
        ("UUID eq guid'not-a-guid'", "Unrecognized 'Edm.Guid' literal"),
        ("Date ge datetimeoffset'2026-01-01T00:00:00Z'", "'Edm.DateTime' and 'Edm.DateTimeOffset'"),
        ("contains(ClientName, 'a')", "unknown function with name 'contains'"),  # OData v4 spelling
        ("year(ClientName) eq 2026", "No function signature for the function with name 'year'"),
        ("Status", "must evaluate to a single boolean value"),
        ("not Status eq 0", "operator kind 'Not'"),  # not binds tighter than eq, as in ODataLib
        ("Status EQ 0", "Syntax error"),  # keywords are lowercase in v3
        ("Number eq 99999999999999999999", "Unrecognized 'Edm.Int64' literal"),
        ("(" * 150 + "Status eq 0" + ")" * 150, "recursion limit"),
        ("not " * 300 + "IsFiscalInvoice", "recursion limit"),
        ("Customer/Name eq 'x'", "Could not find a property named 'Customer'"),
    ],
)
def test_invalid_filters_raise_odata_errors_naming_the_problem(text, fragment):
    with pytest.raises(ODataError) as caught:
        compile_filter(text, INVOICE_LIST_ITEM)
    assert fragment in caught.value.message
    assert caught.value.message.startswith("The query specified in the URI is not valid. ")


def test_random_garbage_never_escapes_as_anything_but_odata_error():
    rng = random.Random(2026)
    alphabet = string.ascii_letters + string.digits + " '()-,/.%$eqandortnul" + "ñÁ"
    words = [
        "Status",
        "eq",
        "and",
        "or",
        "not",
        "(",
        ")",
        "'x'",
        "datetime'",
        "guid'",
        "1.5",
        "Total",
        "gt",
        "substringof(",
        ",",
        "year(",
        "Date",
        "null",
        "true",
        "-",
        "add",
        "mod",
        "0",
    ]
    for _ in range(3000):
        if rng.random() < 0.5:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 10)))
        try:
            predicate = compile_filter(text, INVOICE_LIST_ITEM)
        except ODataError:
            continue
        for row in ROWS:  # whatever compiles must also evaluate without raising
            assert predicate(row) in (True, False)


def test_tokenizer_keeps_doubled_quotes_inside_one_string():
    tokens = tokenize("ClientName eq 'O''Brien' and X eq datetime'2026-01-01T00:00:00'")
    assert [t.kind for t in tokens] == ["ident", "ident", "string", "ident", "ident", "ident", "typed", "end"]
    assert tokens[2].text == "'O''Brien'"


def test_orderby_terms_then_id_as_tie_breaker():
    rows = [
        ({"ID": g, "Status": s, "Total": t}, "")
        for g, s, t in [
            ("00000000-0000-0000-0000-000000000003", 1, 5.0),
            (G2, 0, 5.0),
            (G1, 0, 9.0),
            ("00000000-0000-0000-0000-000000000002", 1, None),
        ]
    ]
    rows.sort(key=lambda row: sqlguid_key(row[0]["ID"]))  # collections arrive in ID order
    options = parse_options([("$orderby", "Status desc,Total")], INVOICE_LIST_ITEM)
    ordered = [(r["Status"], r["Total"], r["ID"][-2:]) for r, _ in select_rows(rows, options)]
    # Status desc; within it Total asc with nulls first (SQL Server); equal keys keep ID order
    assert ordered == [(1, None, "02"), (1, 5.0, "03"), (0, 5.0, "00"), (0, 9.0, "01")]


def test_orderby_rejects_unknown_fields_and_bad_directions():
    with pytest.raises(ODataError, match="Could not find a property named 'Nope'"):
        compile_orderby("Date desc, Nope", INVOICE_LIST_ITEM)
    with pytest.raises(ODataError, match="Syntax error"):
        compile_orderby("Date downwards", INVOICE_LIST_ITEM)
    with pytest.raises(ODataError, match="Syntax error"):
        compile_orderby("Date DESC", INVOICE_LIST_ITEM)


def test_sql_server_guid_order_weighs_the_last_six_bytes_first():
    ids = [
        "ffffffff-ffff-ffff-0000-000000000000",
        "00000000-0000-0000-0100-000000000000",
        "00000000-0000-0000-0000-000000000001",
    ]
    assert sorted(ids, key=sqlguid_key) == ids  # text order would put ffff… last


@pytest.mark.parametrize(
    "pairs, fragment",
    [
        ([("$top", "abc")], "Invalid value 'abc' for $top query option found."),
        ([("$top", "-1")], "requires a non-negative integer value"),
        ([("$skip", "1.5")], "Invalid value '1.5' for $skip"),
        ([("$top", "99999999999")], "Invalid value '99999999999' for $top"),
        ([("$select", "ID")], "The query parameter '$select' is not supported."),
        ([("$expand", "Lines")], "'$expand' is not supported"),
        ([("$top", "1"), ("$top", "2")], "Query option '$top' was specified more than once"),
        ([("$filter", "")], "The value for OData query '$filter' cannot be empty."),
        ([("$inlinecount", "sometimes")], "Invalid value 'sometimes' for $inlinecount"),
        ([("$orderby", "Title")], "Could not find a property named 'Title' on type"),
    ],
)
def test_invalid_query_options(pairs, fragment):
    with pytest.raises(ODataError) as caught:
        parse_options(pairs, INVOICE_LIST_ITEM)
    assert fragment in caught.value.message


def test_valid_options_and_ignored_plain_parameters():
    options = parse_options(
        [
            ("foo", "bar"),
            ("$inlinecount", "allpages"),
            ("$top", "5"),
            ("$skip", "0"),
            ("$filter", "CurrentInventory gt 0"),
        ],
        PRODUCT,
    )
    assert (options.top, options.skip) == (5, 0)
    assert options.predicate({"CurrentInventory": 3.0}) and not options.predicate({"CurrentInventory": -1.0})


def test_next_link_keeps_pairs_in_order_drops_skip_lowers_top_and_escapes():
    pairs = [
        ("$filter", "Date ge datetime'2026-01-01T00:00:00' and RFC eq 'A&B'"),
        ("$skip", "100"),
        ("warehouseID", "x y"),
        ("$top", "250"),
    ]
    assert next_link("https://api.bind.com.mx/api/Invoices", pairs, 100) == (
        "https://api.bind.com.mx/api/Invoices?$filter=Date%20ge%20datetime%272026-01-01T00%3A00%3A00%27%20and"
        "%20RFC%20eq%20%27A%26B%27&warehouseID=x%20y&$top=150&$skip=200"
    )
    assert next_link("https://h/api/Clients", [], 0) == "https://h/api/Clients?$skip=100"
