# One image for every Python service of docker-compose.yml (user_code, webserver, daemon, admin_api);
# each service picks its process with `command:`.
# BASE_IMAGE: the public Python 3.11 image by default; CI passes a local Debian-built one (scripts/stack/).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home

WORKDIR /app
# setup.py pins the Dagster family exactly (dagster 1.13.27 with dagster-postgres 0.29.27); constraints.txt
# pins everything else to the versions the tests ran (make install uses the same file).
COPY setup.py constraints.txt ./
COPY smartbind_pipelines ./smartbind_pipelines
RUN pip install -c constraints.txt .

# The production instance and the gRPC workspace, where every Dagster process looks for them.
COPY dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY workspace.docker.yaml /opt/dagster/dagster_home/workspace.yaml

# Unprivileged user; a new named volume copies these directories' ownership on first mount.
RUN useradd --system --uid 10001 --home-dir /app smartbind \
    && mkdir -p /app/data /opt/dagster/dagster_home/storage \
    && chown -R smartbind /app/data /opt/dagster/dagster_home
USER smartbind

WORKDIR /opt/dagster/dagster_home
EXPOSE 3000 4000 8080
CMD ["dagster", "api", "grpc", "-m", "smartbind_pipelines.definitions", "-h", "0.0.0.0", "-p", "4000"]
