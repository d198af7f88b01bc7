"""docker-compose.yml, the Dockerfile, workspace.docker.yaml and .env.example agree with stack.py, which is
what the process-level test runs. No Docker engine is needed: this reads the files."""

from __future__ import annotations

import importlib.metadata
import re
import sys

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
    REPO_ROOT,
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
    # Baked into the image / fixed by compose (the webserver's address inside the network): not operator settings.
    used -= {"DAGSTER_HOME", "SMARTBIND_DAGSTER_GRAPHQL_URL"}
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
    assert entry["grpc_server"] == {
        "host": "user_code",
        "port": COMPOSE.ports["user_code"],
        "location_name": CODE_LOCATION,
    }


def test_image_holds_the_production_instance_and_workspace_where_the_commands_look(image_env):
    dockerfile = DOCKERFILE.read_text()
    assert image_env["DAGSTER_HOME"] == COMPOSE.dagster_home
    assert f"COPY {PRODUCTION_INSTANCE.name} {COMPOSE.dagster_home}/dagster.yaml" in dockerfile
    assert f"COPY {DOCKER_WORKSPACE.name} {COMPOSE.workspace}" in dockerfile
    assert f"mkdir -p {COMPOSE.data_dir}" in dockerfile  # the volume's mount point, owned by the app user


# --- secrets per service, the tested Python, pinned dependencies (issue 14) ----------------------------------

SECRETS = (
    "BIND_API_KEY",
    "SMARTSHEET_ACCESS_TOKEN",
    "SMARTBIND_ADMIN_TOKEN",
    "DAGSTER_PG_PASSWORD",
    "SMARTBIND_ALERT_WEBHOOK_URL",
)
CONSTRAINTS = REPO_ROOT / "constraints.txt"
MAKEFILE = REPO_ROOT / "Makefile"
SETUP = REPO_ROOT / "setup.py"
DAGSTER_FAMILY = re.compile(r"^dagster($|-)")


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0]).lower()


def test_no_service_is_handed_the_whole_env_file(compose):
    for name, service in compose["services"].items():
        assert "env_file" not in service, f"{name} would get every secret of .env"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_gets_only_the_variables_and_secrets_it_needs(compose, name):
    environment = {key: str(value) for key, value in (compose["services"][name].get("environment") or {}).items()}
    needed = set(SERVICES[name].env) | set(SERVICES[name].optional_env)
    assert set(environment) - needed == set(), f"{name} is given variables it does not use"
    for secret in SECRETS:
        assert (secret in environment) == (secret in needed), f"{name}: {secret}"
    # Everything not fixed by compose comes from .env under its own name, by interpolation.
    placed = COMPOSE.placed_env()
    for variable, value in environment.items():
        if variable not in placed:
            assert re.fullmatch(rf"\$\{{{variable}(:?[-?][^}}]*)?\}}", value), f"{name}: {variable}={value}"


def test_the_admin_api_reads_dagsters_storage_and_submits_runs_through_the_webserver(compose):
    """The old admin doors (admin_doors/) answer 503 without these: history and stats read the run storage
    (dagster.yaml, DAGSTER_PG_*), and "run now" posts to the webserver's GraphQL API."""
    environment = compose["services"]["admin_api"]["environment"]
    assert environment["SMARTBIND_DAGSTER_GRAPHQL_URL"] == (f"http://webserver:{COMPOSE.ports['webserver']}/graphql")
    assert {"DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"} <= set(
        environment
    )
    assert environment["DAGSTER_PG_HOST"] == COMPOSE.postgres_host
    # Never the pipeline's secrets: the launch is validated in user_code, not here.
    assert set(environment).isdisjoint({"BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_ALERT_WEBHOOK_URL"})


def test_the_ui_and_the_daemon_hold_no_pipeline_secret(compose):
    for name in ("webserver", "daemon"):
        environment = set(compose["services"][name].get("environment") or {})
        assert (
            environment
            & {"BIND_API_KEY", "SMARTSHEET_ACCESS_TOKEN", "SMARTBIND_ADMIN_TOKEN", "SMARTBIND_ALERT_WEBHOOK_URL"}
            == set()
        ), name


def test_the_image_runs_the_python_the_tests_run():
    dockerfile = DOCKERFILE.read_text()
    (base,) = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    arguments = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", dockerfile, re.MULTILINE))
    base = re.sub(r"\$\{(\w+)\}", lambda match: arguments[match.group(1)], base)  # the default build
    tested = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert re.fullmatch(rf"python:{re.escape(tested)}(\.\d+)?-[\w.-]+", base), (base, tested)
    assert tested == "3.11"  # the version CI and `make test` run (Makefile prefers python3.11)


def test_constraints_pin_every_installed_dependency_outside_the_dagster_family():
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned exactly: {line}"
            pins[_name(name)] = version.strip()
    assert not [name for name in pins if DAGSTER_FAMILY.match(name)], "the Dagster family is pinned in setup.py"
    installed = {_name(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()}
    # What setup.py asks for directly, and the tests' own tools, are pinned...
    direct = re.findall(r'"([A-Za-z][A-Za-z0-9_.-]*)(?:==|>=|<=|~=|!=|<|>)\d', SETUP.read_text())
    for name in {_name(requirement) for requirement in direct} - {"python"}:
        if not DAGSTER_FAMILY.match(name):
            assert name in pins, f"{name} is not in constraints.txt"
    # ...and every pin is what this environment, the tested one, runs.
    for name, version in pins.items():
        assert installed.get(name) == version, f"{name}: constraints.txt {version}, installed {installed.get(name)}"


def test_the_image_and_make_install_use_the_same_constraints():
    dockerfile = DOCKERFILE.read_text()
    assert re.search(r"^COPY [^\n]*\bconstraints\.txt\b", dockerfile, re.MULTILINE)
    assert re.search(r"pip install [^\n]*-c constraints\.txt[^\n]* \.(\s|$)", dockerfile), "the image ignores them"
    makefile = MAKEFILE.read_text()
    assert re.search(r"^\$\(STAMP\):.*\bconstraints\.txt\b", makefile, re.MULTILINE), "a new pin must reinstall"
    assert re.search(r"pip install [^\n]*-c constraints\.txt[^\n]*-e '\.\[dev\]'", makefile)
