#!/usr/bin/env bash
# The end-to-end demo: a host SpanReceiver on a hybrid-vsock Unix socket, guest JVMs sending
# spans with VsockSpanExporter, the host printing each trace as a tree, then a summary.
# The demo lives in the unpublished examples module; it runs beside the forwarder jar, which carries
# every dependency. Builds both jars first when one is missing or older than the sources.
# Usage: scripts/demo.sh [--guests N] [--traces T] [--timeout SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
forwarder=forwarder/target/span-transport-forwarder.jar
examples=examples/target/span-transport-examples.jar
stale() {
  [[ ! -f "$1" ]] || [[ -n "$(find pom.xml ./*/pom.xml ./*/src/main -newer "$1" -type f -print -quit)" ]]
}
if stale "$forwarder" || stale "$examples"; then
  echo "building $forwarder and $examples ..." >&2
  mvn -B -q -DskipTests -Dmaven.javadoc.skip=true -pl examples -am package # no javadoc jars for a demo
fi
exec java -cp "$examples:$forwarder" dev.spantransport.examples.demo.Demo "$@"
