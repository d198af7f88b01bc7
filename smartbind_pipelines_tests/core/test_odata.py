"""OData literals: values can never change the meaning of a Bind filter."""

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from smartbind_pipelines.core.bind_client import BindClient
from smartbind_pipelines.core.cdmx import CDMX
from smartbind_pipelines.core.odata import all_of, datetime_literal, guid_literal, string_literal

GUID = "c58f032d-1a2b-4c3d-8e9f-0123456789ab"


def test_datetime_literal_is_naive_mexico_city_time():
    assert datetime_literal(datetime(2026, 1, 19, 19, 34, 15, tzinfo=CDMX)) == "datetime'2026-01-19T19:34:15'"
    # 01:34 UTC on the 20th is 19:34 on the 19th in Mexico City (UTC-6, no DST since 2022)
    assert datetime_literal(datetime(2026, 1, 20, 1, 34, 15, tzinfo=timezone.utc)) == "datetime'2026-01-19T19:34:15'"
    assert datetime_literal(datetime(2026, 1, 19, 19, 34, 15)) == "datetime'2026-01-19T19:34:15'"


def test_datetime_literal_keeps_milliseconds_so_window_edges_stay_exact():
    moment = datetime(2026, 1, 19, 19, 34, 15, 903000, tzinfo=CDMX)
    assert datetime_literal(moment) == "datetime'2026-01-19T19:34:15.903'"


def test_datetime_literal_refuses_text():
    with pytest.raises(ValueError, match="not a datetime"):
        datetime_literal("2026-01-19' or 1 eq 1 or Date eq datetime'2026-01-01")


def test_guid_literal_normalises_case():
    assert guid_literal(GUID.upper()) == f"guid'{GUID}'"


@pytest.mark.parametrize(
    "junk",
    [
        f"{GUID}' or ID ne guid'{GUID}",
        f"{GUID} ",
        f"'{GUID}'",
        GUID[:-1],
        GUID.replace("-", ""),
        "",
        None,
        12,
    ],
)
def test_guid_literal_rejects_junk_and_names_it(junk):
    with pytest.raises(ValueError) as caught:
        guid_literal(junk)
    assert "not a GUID" in str(caught.value)
    assert repr(junk)[:20] in str(caught.value)


@pytest.mark.parametrize(
    "value, literal",
    [
        ("XAXX010101000", "'XAXX010101000'"),
        ("O'Brien", "'O''Brien'"),
        ("x' or 1 eq 1 or Name eq 'y", "'x'' or 1 eq 1 or Name eq ''y'"),
        ("''", "''''''"),
        ("", "''"),
    ],
)
def test_string_literal_doubles_every_quote(value, literal):
    assert string_literal(value) == literal
    inner = literal[1:-1]
    # no lone quote survives inside: every quote is part of a doubled pair
    assert inner.replace("''", "").count("'") == 0


def test_string_literal_refuses_non_strings():
    with pytest.raises(ValueError):
        string_literal(5)


def test_all_of_parenthesises_each_clause():
    assert all_of("A eq 1", None, "") == "A eq 1"
    assert all_of("A eq 1 or B eq 2", "C eq 3") == "(A eq 1 or B eq 2) and (C eq 3)"
    assert all_of(None) is None


def test_filters_are_url_encoded_with_percent_escapes():
    client = BindClient("https://bind.example/api", "secret-key")
    url = client._url("Invoices", {"$filter": f"RFC eq {string_literal('A&B=C')}", "$orderby": "Date asc"})
    assert "+" not in url and "%20" in url and "%27" in url
    query = parse_qs(urlsplit(url).query)
    assert query["$filter"] == ["RFC eq 'A&B=C'"]
    assert query["$orderby"] == ["Date asc"]
