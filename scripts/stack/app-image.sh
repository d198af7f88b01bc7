#!/usr/bin/env bash
# `docker compose build` for the stack test: the repository's Dockerfile, unchanged, on the local base
# image (BASE_IMAGE), tagged as docker-compose.yml names it. Podman's layer cache makes a rebuild of
# unchanged sources a no-op. Usage: app-image.sh BASE_IMAGE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
start=$SECONDS
mapfile -t opts < <(build_opts)
log "building $APP_IMAGE on $1"
podman build -q "${opts[@]}" --build-arg "BASE_IMAGE=$1" -f "$ROOT/Dockerfile" -t "$APP_IMAGE" "$ROOT" >/dev/null
log "built $APP_IMAGE in $((SECONDS - start)) s"
