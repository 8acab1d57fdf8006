#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: system packages (when root and
# missing), Node >= 22 (provisioned from the npm registry when the machine's
# is older), and the workspace's npm dependencies. Source it: it exports PATH.
set -euo pipefail
_ew_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false DO_NOT_TRACK=1

# binary -> Debian package
# openssl: eastwest certs, and the demo's and labs' certificates for gRPC mutual TLS.
_ew_pkgs=(ip:iproute2 ss:iproute2 tc:iproute2 ethtool:ethtool iperf3:iperf3 perf:linux-perf perl:perl-base openssl:openssl)
# The tests also start real QEMU guests (VM-exit sampler), libvirt domains (the vm sampler's libvirt path; the test
# starts libvirtd itself when none runs), agents with a faked clock (libfaketime), Prometheus (scraping /metrics) and
# render the campaign report in Chromium; the install test builds the .deb and installs it with dpkg into a temporary
# root and checks the units with systemd-analyze; the main job needs none of them.
[ -n "${EASTWEST_TEST_DEPS:-}" ] && _ew_pkgs+=(qemu-system-x86_64:qemu-system-x86 chromium:chromium systemd-analyze:systemd dpkg-deb:dpkg nats-server:nats-server victoria-metrics:victoria-metrics influxd:influxdb
  virsh:libvirt-clients libvirtd:libvirt-daemon virt-qemu-run:libvirt-daemon-driver-qemu faketime:faketime prometheus:prometheus promtool:prometheus)
_ew_missing=()
for pair in "${_ew_pkgs[@]}"; do
  bin="${pair%%:*}"; pkg="${pair##*:}"
  command -v "$bin" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1 || _ew_missing+=("$pkg")
done
if [ "${#_ew_missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${_ew_missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${_ew_missing[@]}" | sort -u) >&2
    # why: the tests start their own influxd, victoria-metrics and prometheus in temp dirs; the packages' services are not used.
    for svc in influxdb victoria-metrics prometheus; do
      if [[ " ${_ew_missing[*]} " == *" $svc "* ]]; then service "$svc" stop >/dev/null 2>&1 || true; fi
    done
  else
    echo "setup: missing system packages: ${_ew_missing[*]} (run as root to install them)" >&2
  fi
fi
export PATH="$PATH:/usr/sbin:/sbin"

_ew_nodebin="$("$_ew_root/scripts/provision-node.sh")"
export PATH="$_ew_nodebin:$PATH"

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$_ew_root/node_modules/.package-lock.json" ] || [ "$_ew_root/package-lock.json" -nt "$_ew_root/node_modules/.package-lock.json" ]; then
  echo "setup: installing npm dependencies" >&2
  (cd "$_ew_root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
