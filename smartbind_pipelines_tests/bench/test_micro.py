"""The micro-benchmark table: what the suite no longer asserts is still shown, with its budget."""

from smartbind_pipelines_tests.bench.micro import MICRO_BENCHMARKS, MicroFigure, render_micro


def test_a_missed_budget_is_shown_in_bold_and_a_met_one_plainly():
    lines = render_micro(
        [MicroFigure("add 500 rows", 0.25, 0.1, "best of 3"), MicroFigure("open the store", 0.001, 0.05, "mean of 50")]
    )
    table = [line for line in lines if line.startswith("| add") or line.startswith("| open")]
    assert table == [
        "| add 500 rows | 0.250 | 0.1 | **no** | best of 3 |",
        "| open the store | 0.001 | 0.05 | yes | mean of 50 |",
    ]
    assert render_micro([]) == []


def test_every_figure_the_tests_used_to_assert_is_benchmarked():
    names = {benchmark.__name__ for benchmark in MICRO_BENCHMARKS}
    assert names == {
        "smartsheet_add_500_rows",
        "smartsheet_key_read_20000_rows",
        "bind_page_20000_invoices",
        "process_config_open",
    }
