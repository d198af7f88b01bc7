"""The invoicing bench's section: percentiles, floors, and replacing only its own part of docs/benchmarks.md."""

from __future__ import annotations

from smartbind_pipelines_tests.bench.invoicing import (
    SECTION_END,
    SECTION_START,
    InvoicingFigures,
    _percentile,
    render_section,
    write_section,
)


def figures() -> InvoicingFigures:
    return InvoicingFigures(
        latency_ms=50,
        samples_s=[40.0, 20.0, 30.0],
        rows=10,
        rfcs=2,
        invoiced=10,
        bind_counts={"POST /api/Invoices": 10, "GET /api/Invoices/{id}": 10, "GET /api/Clients": 2},
        sheet_counts={"PUT /2.0/sheets/{id}/rows": 2, "GET /2.0/sheets/{id}": 3},
    )


def test_percentiles_interpolate_between_samples():
    assert _percentile([40.0, 20.0, 30.0], 0.5) == 30.0
    assert _percentile([10.0, 20.0], 0.95) == 19.5


def test_the_section_shows_figures_beside_their_floor():
    text = render_section(figures(), quick=True)
    assert "| 30.0 s |" in text and "floor 2.20 (2 lookups + 10 creates + 10 reads)" in text
    assert "| Bind requests per invoice | 2.20 (22 for 10) |" in text
    assert "| Smartsheet writes per invoice | 0.20 (2) | floor 0.20" in text


def test_writing_the_section_replaces_only_its_own_part(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\ntable\n")
    write_section(path, render_section(figures(), quick=True))
    first = path.read_text()
    assert first.startswith("# Benchmarks\n\ntable\n") and first.count(SECTION_START) == 1
    path.write_text(first + "\n## Later notes\n")
    write_section(path, render_section(figures(), quick=False))
    again = path.read_text()
    assert again.count(SECTION_START) == again.count(SECTION_END) == 1
    assert again.endswith("## Later notes\n") and "bench.invoicing`" in again
