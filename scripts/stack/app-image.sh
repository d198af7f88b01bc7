#!/usr/bin/env bash
# `docker compose build` for the stack test: the repository's Dockerfile, unchanged, on the local base
# image (BASE_IMAGE), tagged as docker-compose.yml names it. Podman's layer cache makes a rebuild of
# unchanged sources a no-op. Usage: app-image.sh BASE_IMAGE
set -euo pipefail
source "$(dirname "$0")/lib.sh"
start=$SECONDS
mapfile -t opts < <(build_opts)
log "building $APP_IMAGE on $1"
old="$(podman image inspect --format '{{.Id}}' "$APP_IMAGE" 2>/dev/null || true)"
podman build -q "${opts[@]}" --build-arg "BASE_IMAGE=$1" -f "$ROOT/Dockerfile" -t "$APP_IMAGE" "$ROOT" >/dev/null
new="$(podman image inspect --format '{{.Id}}' "$APP_IMAGE")"
# The previous build, untagged now, is not kept.
[ -z "$old" ] || [ "$old" = "$new" ] || podman rmi "$old" >/dev/null 2>&1 || true
log "built $APP_IMAGE in $((SECONDS - start)) s"
