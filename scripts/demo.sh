#!/usr/bin/env bash
# The end-to-end demo: a host SpanReceiver on a hybrid-vsock Unix socket, guest JVMs sending
# spans with VsockSpanExporter, the host printing each trace as a tree, then a summary.
# Builds the forwarder jar first when it is missing or older than the sources.
# Usage: scripts/demo.sh [--guests N] [--traces T] [--timeout SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
jar=forwarder/target/span-transport-forwarder.jar
if [[ ! -f "$jar" ]] || [[ -n "$(find pom.xml ./*/pom.xml ./*/src/main -newer "$jar" -type f -print -quit)" ]]; then
  echo "building $jar ..." >&2
  mvn -B -q -DskipTests -pl forwarder -am package
fi
exec java -cp "$jar" dev.spantransport.forwarder.demo.Demo "$@"
