# Shared by the scripts under scripts/stack/ (sourced, not run): podman settings, tools, image names.
STACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$STACK_DIR/../.." && pwd)"
export CONTAINERS_CONF="$STACK_DIR/containers.conf"

log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The Debian packages the stack test needs; installed when missing (CI runs as root).
ensure_tools() {
  local missing=() pkg
  for pkg in podman runc debootstrap podman-compose netavark aardvark-dns iptables; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null \
      || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
  fi
}

# First 12 hex digits of the sha256 of the given files' contents (and names), for cache keys.
files_key() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || continue
    printf '%s\n' "${f#"$ROOT"/}"
    cat "$f"
  done | sha256sum | cut -c1-12
}

image_exists() { podman image exists "$1"; }

# Local base images (never pulled: no registry is reachable from CI). Keys change with what they contain.
DEBIAN_IMAGE="localhost/smartbind-debian:bookworm-minbase"
python_image() { echo "localhost/smartbind-python:3.11-$(files_key "$STACK_DIR/Containerfile.python")"; }
# What the Dockerfile gets as BASE_IMAGE: Python 3.11 plus smartbind's pinned requirements.
base_image() {
  echo "localhost/smartbind-base:py3.11-$(files_key "$STACK_DIR/Containerfile.python" \
    "$STACK_DIR/Containerfile.deps" "$ROOT/setup.py" "$ROOT"/constraints*.txt "$ROOT"/requirements*.txt)"
}
postgres_image() {
  echo "localhost/smartbind-postgres:15-$(files_key "$STACK_DIR/Containerfile.postgres" \
    "$STACK_DIR/postgres-entrypoint.sh")"
}

# Options for every `podman build` of the stack: the host's network (Debian mirror, package index), and the
# CA bundle the host's pip trusts mounted over the image's during RUN steps only (a TLS-inspecting proxy's
# CA, say); it is never copied into an image. PIP_INDEX_URL / PIP_EXTRA_INDEX_URL are passed on when set.
build_opts() {
  local ca name
  printf '%s\n' --network host
  ca="${PIP_CERT:-$(pip3 config get global.cert 2>/dev/null || true)}"
  [ -f "$ca" ] || ca=/etc/ssl/certs/ca-certificates.crt
  [ -f "$ca" ] && printf '%s\n' -v "$ca:/etc/ssl/certs/ca-certificates.crt:ro"
  for name in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST; do
    [ -n "${!name:-}" ] && printf '%s\n' --build-arg "$name=${!name}"
  done
  return 0
}

# The stack test's compose project: its containers, network and volumes carry this name or its label.
PROJECT="${SMARTBIND_STACK_PROJECT:-smartbind-stack}"
APP_IMAGE="localhost/smartbind:latest"  # what docker-compose.yml's `image: smartbind:latest` resolves to
