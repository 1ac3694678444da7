#!/usr/bin/env bash
# The browser test of the operator's page (part of `yarn test`) drives the system's Chromium with
# puppeteer-core: puppeteer's own browser download cannot be reached from this project's
# machines, and Debian's package can. Run by `yarn setup` after the build.
# Installs Debian's `chromium` when it is missing and this runs as root with apt-get; otherwise
# says what to do. It never fails the setup: the browser test itself fails, with the same
# advice, when no browser is found.
set -uo pipefail

for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "ensure-chromium: found $candidate"
    exit 0
  fi
done

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium for the browser test (apt-get)"
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    echo "ensure-chromium: installed $(command -v chromium)"
    exit 0
  fi
  echo "ensure-chromium: apt-get could not install chromium; the browser test will fail until it is installed." >&2
  exit 0
fi

cat >&2 <<'ADVICE'
ensure-chromium: no Chromium found, and this is not root with apt-get, so nothing was installed.
The browser test of the operator's page (in `yarn test`) needs one. Either:
  sudo apt-get update && sudo apt-get install -y chromium      # Debian, Ubuntu
or point CHROMIUM_PATH at a Chromium or Chrome binary.
ADVICE
exit 0
