"""docker-compose.yml, the Dockerfile, workspace.docker.yaml and .env.example agree with stack.py, which is
what the process-level test runs. No Docker engine is needed: this reads the files."""

from __future__ import annotations

import re

import pytest
import yaml

from smartbind_pipelines_tests.deploy.stack import (
    CODE_LOCATION,
    COMPOSE,
    COMPOSE_FILE,
    DATA_VOLUME,
    DOCKER_WORKSPACE,
    DOCKERFILE,
    ENV_EXAMPLE,
    PRODUCTION_INSTANCE,
    SERVICES,
)

ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Variables .env.example names, set or commented out (`# NAME=` marks an optional one)."""
    return set(ENV_LINE.findall(ENV_EXAMPLE.read_text()))


@pytest.fixture(scope="module")
def image_env() -> dict[str, str]:
    """ENV the Dockerfile bakes into the image."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"([A-Z_][A-Z0-9_]*)=(\S+)", line)))
    return env


def test_compose_runs_postgres_and_exactly_the_stack_services(compose):
    assert set(compose["services"]) == {"postgres", *SERVICES}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_runs_the_command_the_process_test_runs(compose, name):
    assert compose["services"][name]["command"] == SERVICES[name].command(COMPOSE)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_gets_every_variable_it_needs(compose, documented, image_env, name):
    service = compose["services"][name]
    environment = {key: str(value) for key, value in (service.get("environment") or {}).items()}
    from_env_file = documented if service.get("env_file") == ".env" else set()
    provided = set(environment) | from_env_file | set(image_env)
    assert set(SERVICES[name].env) - provided == set()
    assert set(SERVICES[name].optional_env) - provided == set()
    # Values that depend on where the stack runs are fixed by compose, and to what stack.py places.
    placed = COMPOSE.placed_env()
    for variable in set(SERVICES[name].env) & set(placed):
        value = environment.get(variable, image_env.get(variable))
        assert value == placed[variable], f"{name}: {variable}"


def test_env_example_documents_every_variable_compose_and_the_services_use(compose, documented):
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    used = {variable for service in SERVICES.values() for variable in (*service.env, *service.optional_env)}
    used -= {"DAGSTER_HOME"}  # baked into the image, not an operator setting
    assert (interpolated | used) - documented == set()


def test_the_process_config_volume_is_mounted_exactly_where_its_readers_run(compose):
    assert DATA_VOLUME in compose["volumes"]
    assert compose["volumes"][DATA_VOLUME]["name"] == DATA_VOLUME  # not prefixed with the project name
    for name, service in SERVICES.items():
        mounts = compose["services"][name].get("volumes") or []
        assert (f"{DATA_VOLUME}:{COMPOSE.data_dir}" in mounts) == service.mounts_data, name


@pytest.mark.parametrize("name", [name for name, service in SERVICES.items() if service.serves])
def test_served_ports_match(compose, name):
    service = compose["services"][name]
    container_ports = {str(port).rsplit(":", 1)[-1] for port in service.get("ports", [])}
    container_ports |= {str(port) for port in service.get("expose", [])}
    assert str(COMPOSE.ports[name]) in container_ports
    # Published ports stay on the host's loopback: neither the Dagster UI nor the admin API faces the LAN.
    for published in service.get("ports", []):
        assert str(published).startswith("127.0.0.1:"), published


def test_dagster_services_wait_for_a_healthy_postgres_and_code_server(compose):
    services = compose["services"]
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["user_code"]
    for name in ("user_code", "webserver", "daemon"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name
    for name in ("webserver", "daemon"):
        assert services[name]["depends_on"]["user_code"]["condition"] == "service_healthy", name


def test_workspace_points_at_the_code_server_service():
    (entry,) = yaml.safe_load(DOCKER_WORKSPACE.read_text())["load_from"]
    assert entry["grpc_server"] == {"host": "user_code", "port": COMPOSE.ports["user_code"],
                                    "location_name": CODE_LOCATION}


def test_image_holds_the_production_instance_and_workspace_where_the_commands_look(image_env):
    dockerfile = DOCKERFILE.read_text()
    assert image_env["DAGSTER_HOME"] == COMPOSE.dagster_home
    assert f"COPY {PRODUCTION_INSTANCE.name} {COMPOSE.dagster_home}/dagster.yaml" in dockerfile
    assert f"COPY {DOCKER_WORKSPACE.name} {COMPOSE.workspace}" in dockerfile
    assert f"mkdir -p {COMPOSE.data_dir}" in dockerfile  # the volume's mount point, owned by the app user
