#!/usr/bin/env bash
# yarn test:container: builds the image from docker/Dockerfile with podman and checks it for real
# (docker/test/containerTest.ts). Installs podman and runc where apt can, and makes the
# node:20-bookworm-slim base with ../shared/tools/local-node-image where no registry is reachable.
# It skips, saying so, only where podman cannot be installed at all.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 || ! command -v podman-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[container] installing podman, runc and podman-compose"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc podman-compose >/dev/null
  else
    echo "[container] SKIPPED: podman, runc or podman-compose is missing and cannot be installed here (needs root and apt-get)."
    exit 0
  fi
fi

BASE=docker.io/library/node:20-bookworm-slim
if ! podman image exists "$BASE"; then
  if podman pull -q "$BASE" >/dev/null 2>&1; then
    echo "[container] pulled $BASE"
  elif [ -x ../shared/tools/local-node-image ]; then
    echo "[container] no registry: making $BASE from Debian's packages (../shared/tools/local-node-image)"
    # Under `yarn`, the first `node` on PATH is yarn's shim script (`exec /usr/bin/node "$@"`): the
    # tool would copy that script into the image as its node, which then calls itself forever.
    real_node_dir=$(dirname "$(node -p process.execPath)")
    PATH="$real_node_dir:$PATH" ../shared/tools/local-node-image
  else
    echo "[container] FAILED: $BASE is not here, cannot be pulled, and ../shared/tools/local-node-image is missing." >&2
    exit 1
  fi
fi

yarn -s build
exec node -r ts-node/register/transpile-only docker/test/containerTest.ts
