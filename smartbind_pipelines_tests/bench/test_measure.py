"""The child-process measurement: rusage belongs to the child alone, and a failing child is reported."""

from __future__ import annotations

import pytest

from smartbind_pipelines_tests.bench.measure import ChildFailed, run_child


def _touched(megabytes: int) -> bytearray:
    ballast = bytearray(megabytes * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    return ballast


def test_peak_rss_is_the_childs_own_memory_not_the_parents():
    parent_ballast = _touched(300)  # the emulators' role: a big parent
    small = run_child("probe", {"megabytes": 0})
    large = run_child("probe", {"megabytes": 200})
    del parent_ballast
    assert large.result["held_bytes"] == 200 * 1024 * 1024
    # ru_maxrss would report >= 300 MB for both children (Linux carries the parent's RSS across exec).
    assert small.peak_rss_mb < 150
    assert large.peak_rss_mb - small.peak_rss_mb >= 190
    assert large.cpu_s > 0 and large.process_wall_s >= large.wall_s


def test_a_failing_workload_raises_with_its_stderr():
    with pytest.raises(ChildFailed) as failure:
        run_child("no_such_workload", {"secret": "not-in-argv"})
    assert failure.value.exit_code != 0
    assert "no_such_workload" in failure.value.stderr_tail
