#!/usr/bin/env bash
# `make test-stack`: build the images (base images cached by key) and run docker-compose.yml with podman
# through smartbind_pipelines_tests/stack/. Everything the run creates is removed at the end, on failure too.
# Needs root (rootful podman) and the project's venv (`make install`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_tools
start=$SECONDS

# podman-compose: Debian's 1.0.3 breaks `CMD` health checks with arguments (it joins them into one shell
# word), so the stack test uses the PyPI release, pinned, in its own virtualenv (a test tool only).
PODMAN_COMPOSE_VERSION=1.6.0
tools="${XDG_CACHE_HOME:-$HOME/.cache}/smartbind-stack/tools"
if ! "$tools/bin/podman-compose" --version 2>/dev/null | grep -q "podman-compose version $PODMAN_COMPOSE_VERSION"; then
  log "installing podman-compose $PODMAN_COMPOSE_VERSION in $tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION"
fi
export SMARTBIND_PODMAN_COMPOSE="$tools/bin/podman-compose"

eval "$("$STACK_DIR/base-images.sh")"
export SMARTBIND_BASE_IMAGE SMARTBIND_POSTGRES_IMAGE
"$STACK_DIR/app-image.sh" "$SMARTBIND_BASE_IMAGE"
build_seconds=$((SECONDS - start))

# The test tears down in its fixtures; this catches a killed pytest.
figures="${SMARTBIND_STACK_FIGURES:-$(mktemp /var/tmp/smartbind-stack-figures.XXXXXX.json)}"
trap '"$ROOT/.venv/bin/python" -c "from smartbind_pipelines_tests.stack.podman_stack import teardown; teardown()" || true' EXIT
SMARTBIND_STACK_TEST=1 SMARTBIND_STACK_FIGURES="$figures" \
  "$ROOT/.venv/bin/pytest" -p no:cacheprovider -p no:randomly -v --tb=short smartbind_pipelines_tests/stack
log "images ${build_seconds} s, whole run $((SECONDS - start)) s; figures in $figures:"
cat "$figures" >&2
