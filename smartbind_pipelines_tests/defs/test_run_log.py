"""Retries are noted in the run log (issue 18): dagster.yaml and dev/dagster.yaml hand the
smartbind_pipelines.core loggers to Dagster, so a Bind retry shows in the run's log in the UI."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml

from smartbind_pipelines.core.bind_client import BindClient

REPO_ROOT = Path(__file__).resolve().parents[2]
INVOICES = r"/api/Invoices$"


@pytest.mark.parametrize("instance_file", ["dagster.yaml", "dev/dagster.yaml"])
def test_a_bind_retry_is_in_the_run_log(bind_emulator, instance_file):
    python_logs = yaml.safe_load((REPO_ROOT / instance_file).read_text()).get("python_logs")
    assert python_logs and "smartbind_pipelines.core" in python_logs["managed_python_loggers"], instance_file

    @dg.op
    def read_invoices() -> int:
        with BindClient(bind_emulator.url, bind_emulator.token, timeout=(2, 5), sleep=lambda seconds: None) as bind:
            return len(bind.invoices())

    @dg.job
    def read_job() -> None:
        read_invoices()

    bind_emulator.admin.inject("unavailable", INVOICES, count=1)
    with dg.instance_for_test(overrides={"python_logs": python_logs}) as instance:
        result = read_job.execute_in_process(instance=instance)
        assert result.success
        messages = [record.user_message for record in instance.all_logs(result.run_id)]
    retries = [message for message in messages if "retrying" in message]
    assert len(retries) == 1 and "Bind" in retries[0] and "attempt 1 of" in retries[0], messages
    assert bind_emulator.token not in "\n".join(messages)
