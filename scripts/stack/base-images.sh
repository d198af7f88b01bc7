#!/usr/bin/env bash
# Build the local base images the stack test uses instead of python:3.11-slim-bookworm and postgres:15,
# unless images with the same key already exist. Prints the two image names as shell assignments:
#   SMARTBIND_BASE_IMAGE=...  SMARTBIND_POSTGRES_IMAGE=...
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_tools
"$STACK_DIR/debian-image.sh"

build() {  # image containerfile context [podman build options...]
  local image="$1" file="$2" ctx="$3" start=$SECONDS
  shift 3
  log "building $image"
  podman build -q "$@" -f "$file" -t "$image" "$ctx" >/dev/null
  log "built $image in $((SECONDS - start)) s"
  # Older keys of the same image are stale now.
  podman images --format '{{.Repository}}:{{.Tag}}' "${image%%:*}" | grep -vxF "$image" \
    | xargs -r podman rmi >/dev/null 2>&1 || true
}
mapfile -t opts < <(build_opts)

python="$(python_image)" base="$(base_image)" postgres="$(postgres_image)"
if image_exists "$base"; then
  log "reusing $base"
else
  # apt reaches the mirror over the host network; no CA mount yet (ca-certificates is installed here).
  image_exists "$python" || build "$python" "$STACK_DIR/Containerfile.python" "$STACK_DIR" \
    --network host --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE"
  ctx="$(mktemp -d /var/tmp/smartbind-base.XXXXXX)"
  trap 'rm -rf "$ctx"' EXIT
  mkdir "$ctx/deps"
  cp "$ROOT/setup.py" "$ctx/deps/"
  cp "$ROOT"/constraints*.txt "$ROOT"/requirements*.txt "$ctx/deps/" 2>/dev/null || true
  build "$base" "$STACK_DIR/Containerfile.deps" "$ctx" "${opts[@]}" --build-arg "PYTHON_IMAGE=$python"
fi

if image_exists "$postgres"; then
  log "reusing $postgres"
else
  build "$postgres" "$STACK_DIR/Containerfile.postgres" "$STACK_DIR" \
    --network host --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE"
fi

echo "SMARTBIND_BASE_IMAGE=$base"
echo "SMARTBIND_POSTGRES_IMAGE=$postgres"
