"""Number cells: a value past what a float holds is "not a number", never an exception (pure)."""

import pytest

from smartbind_pipelines.core.sheets import ColumnSpec
from smartbind_pipelines.core.sheets.mapping import cell_value, comparable

TOTAL = ColumnSpec("Total", "number")


@pytest.mark.parametrize("value", [10**400, -(10**400), 10**1000], ids=["1e400", "-1e400", "1e1000"])
def test_comparable_never_raises_on_an_integer_past_float_range(value):
    # compared as text, like any other value that is not a number
    assert comparable(value, TOTAL) is not None


@pytest.mark.parametrize("value", [10**400, 10**1000], ids=["1e400", "1e1000"])
def test_cell_value_names_the_column_for_an_integer_past_float_range(value):
    with pytest.raises(ValueError, match=r"column 'Total': an integer of .* digits is not a number"):
        cell_value(value, TOTAL)


def test_ordinary_numbers_are_unchanged():
    assert cell_value(12, TOTAL) == 12 and cell_value("1,234.50", TOTAL) == 1234.5
    assert comparable(10**15, TOTAL) == float(10**15)
