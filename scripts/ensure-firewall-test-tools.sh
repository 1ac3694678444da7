#!/usr/bin/env bash
# The "behind a firewall" tests (part of `yarn test`) put the proxy in a network namespace whose only
# way out is a real HTTP CONNECT proxy: they need `ip` (iproute2), `iptables`, `tinyproxy` and
# `openssl`, and root. Run by `yarn setup` after the build, like ensure-chromium.sh: installs
# Debian's packages for those that are missing when this runs as root with apt-get; otherwise says
# what to do. It never fails the setup: the test itself fails, naming what is missing.
set -uo pipefail

missing=()
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || missing+=(tinyproxy)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ ${#missing[@]} -eq 0 ]; then
  echo "ensure-firewall-test-tools: found ip, iptables, tinyproxy and openssl"
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-firewall-test-tools: installing ${missing[*]} for the firewall tests (apt-get)"
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # Debian's package starts its own tinyproxy service; the tests run their own.
    if command -v systemctl >/dev/null 2>&1; then systemctl disable --now tinyproxy >/dev/null 2>&1 || true; fi
    service tinyproxy stop >/dev/null 2>&1 || true
    echo "ensure-firewall-test-tools: installed ${missing[*]}"
    exit 0
  fi
  echo "ensure-firewall-test-tools: apt-get could not install ${missing[*]}; the firewall tests will fail until they are installed." >&2
  exit 0
fi

cat >&2 <<ADVICE
ensure-firewall-test-tools: missing ${missing[*]}, and this is not root with apt-get, so nothing was installed.
The firewall tests (in \`yarn test\`) need them, and root (they make a network namespace):
  sudo apt-get update && sudo apt-get install -y ${missing[*]}
ADVICE
exit 0
