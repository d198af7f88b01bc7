"""Where "run now" sends a run (admin_doors/launch.py); the launch itself is tested over HTTP in test_routes.py
and, through the published webserver, in stack/test_stack.py."""

from __future__ import annotations

import pytest

from smartbind_pipelines.admin_doors import DagsterUnavailable
from smartbind_pipelines.admin_doors.launch import GRAPHQL_URL_ENV, WORKSPACE_ENV, graphql_url, workspace_file


def test_runs_go_to_the_webserver_named_else_beside_the_ui_else_to_the_command():
    assert (
        graphql_url({GRAPHQL_URL_ENV: "http://webserver:3000/graphql", "SMARTBIND_DAGSTER_URL": "http://ui"})
        == "http://webserver:3000/graphql"
    )
    assert graphql_url({"SMARTBIND_DAGSTER_URL": "http://127.0.0.1:3000/ "}) == "http://127.0.0.1:3000/graphql"
    assert graphql_url({}) is None  # `dagster job launch` over a workspace file


def test_without_a_workspace_file_the_command_cannot_launch_and_says_what_to_set(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DagsterUnavailable, match=WORKSPACE_ENV):
        workspace_file({"DAGSTER_HOME": str(tmp_path)})
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "workspace.yaml").write_text("load_from: []\n")
    assert workspace_file({"DAGSTER_HOME": str(tmp_path / "home")}) == str(tmp_path / "home" / "workspace.yaml")
