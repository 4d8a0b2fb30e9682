#!/usr/bin/env bash
# Runs span-transport's default test suite on a fresh machine: installs what is missing
# (scripts/setup.sh), then builds every module and runs unit, integration and bounded
# fuzz/fault/load tests, including RealVsockIT (real AF_VSOCK inside a throwaway guest VM).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The load test opens thousands of sockets.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec mvn -B verify "$@"
