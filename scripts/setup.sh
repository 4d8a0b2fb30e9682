#!/usr/bin/env bash
# Installs what a fresh Debian machine needs to build and test span-transport:
# a JDK 17+, Maven, and (for RealVsockIT, which boots a throwaway guest VM) QEMU,
# a Debian kernel with vsock_loopback and busybox-static. Idempotent; needs root for apt.
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" \
  || missing+=(busybox-static)
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || missing+=(linux-image-amd64)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]} (run as root, or install them yourself)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# NodeSdkInteropIT: the OpenTelemetry JavaScript SDK, exactly as pinned by the checked-in
# package-lock.json. Skipped when the lock is older than the last install (npm ci writes
# node_modules/.package-lock.json). Without Node.js the IT fails saying so, it does not skip.
node_project="$(cd "$(dirname "$0")/.." && pwd)/transport-tests/src/test/node"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -f "$node_project/node_modules/.package-lock.json" ] \
      || [ "$node_project/package-lock.json" -nt "$node_project/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in transport-tests/src/test/node"
    (cd "$node_project" && npm ci --no-audit --no-fund --loglevel=error)
  fi
else
  echo "setup: node/npm not found: NodeSdkInteropIT will fail until Node.js 20+ is installed" >&2
fi
