#!/usr/bin/env bash
# Build the local Debian bookworm image (debootstrap --variant=minbase, then `podman import`) unless it
# already exists. The mirror is the one apt uses on this machine (apt-mirror.py); none is written here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_tools

if image_exists "$DEBIAN_IMAGE"; then
  log "reusing $DEBIAN_IMAGE"
  exit 0
fi
mirror="$("$STACK_DIR/apt-mirror.py" bookworm)" || { log "apt has no Debian bookworm source"; exit 1; }
work="$(mktemp -d /var/tmp/smartbind-debootstrap.XXXXXX)"
trap 'rm -rf "$work"' EXIT
log "debootstrap --variant=minbase bookworm (a few minutes)"
start=$SECONDS
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
tar -C "$work/rootfs" -c . | podman import \
  --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$DEBIAN_IMAGE" >/dev/null
log "built $DEBIAN_IMAGE in $((SECONDS - start)) s"
