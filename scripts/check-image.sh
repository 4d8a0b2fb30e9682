#!/usr/bin/env bash
# Builds the forwarder's OCI image with Jib and runs it, without a container registry or a
# container engine: the base image is made here from the local JDK (a jlink'd Java runtime plus
# the C libraries it links), the image is built on it with `-Djib.from.image=tar://...`, its
# layers are unpacked in the order the image lists them, and its entrypoint runs in a chroot of
# that file system. The run must:
#   - print the version;
#   - start, answer /healthz and /readyz with 200 and /metrics with spantransport_ metrics;
#   - print a span POSTed to it as OTLP/JSON (--dump-only);
#   - exit 0 on SIGTERM.
# Needs root (chroot, bind mounts of /proc and /dev) and curl, python3. Not part of the test run.
#
#   scripts/check-image.sh            # builds what is missing, then checks
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ $(id -u) -ne 0 ]]; then
  echo "check-image.sh: needs root (chroot); run it with sudo" >&2
  exit 2
fi
JAVA_BIN="$(readlink -f "$(command -v java)")"
JDK="$(dirname "$(dirname "$JAVA_BIN")")"
if [[ ! -d "$JDK/jmods" ]]; then
  echo "check-image.sh: $JDK has no jmods to jlink a runtime from" >&2
  exit 2
fi

WORK="$(mktemp -d)"
ROOTFS="$WORK/rootfs"
FORWARDER_PID=""
cleanup() {
  if [[ -n "$FORWARDER_PID" ]]; then kill -9 "$FORWARDER_PID" 2>/dev/null || true; fi
  umount "$ROOTFS/proc" 2>/dev/null || true
  umount "$ROOTFS/dev" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== base image from $JDK"
"$JDK/bin/jlink" --module-path "$JDK/jmods" --add-modules ALL-MODULE-PATH \
  --strip-debug --no-man-pages --no-header-files --output "$WORK/base/opt/java"
python3 - "$WORK/base" "$WORK/base.tar" <<'EOF'
import hashlib, io, json, os, subprocess, sys, tarfile
base, out = sys.argv[1], sys.argv[2]
# The C libraries every ELF file of the runtime links, with the dynamic loader.
libs = set()
for d, _, files in os.walk(os.path.join(base, "opt/java")):
    for f in files:
        p = os.path.join(d, f)
        with open(p, "rb") as h:
            if h.read(4) != b"\x7fELF":
                continue
        for line in subprocess.run(["ldd", p], capture_output=True, text=True).stdout.splitlines():
            for word in line.split():
                if word.startswith("/") and os.path.exists(word):
                    libs.add(word)
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w") as t:
    t.add(os.path.join(base, "opt"), arcname="opt")
    for lib in sorted(libs):
        real = os.path.realpath(lib)
        t.add(real, arcname=lib.lstrip("/"))  # the file itself under the name it is linked by
        if real != lib:
            t.add(real, arcname=real.lstrip("/"))
    for name in ("tmp", "etc"):
        info = tarfile.TarInfo(name)
        info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
        t.addfile(info)
    passwd = b"root:x:0:0:root:/root:/bin/sh\n"
    info = tarfile.TarInfo("etc/passwd")
    info.size = len(passwd)
    t.addfile(info, io.BytesIO(passwd))
layer_bytes = layer.getvalue()
config = {
    "architecture": "amd64",
    "os": "linux",
    "config": {"Env": ["PATH=/opt/java/bin:/usr/bin:/bin", "JAVA_HOME=/opt/java"]},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_bytes).hexdigest()]},
}
config_bytes = json.dumps(config).encode()
manifest = [{"Config": "config.json", "RepoTags": ["local/java-runtime:17"], "Layers": ["layer.tar"]}]
with tarfile.open(out, "w") as t:
    for name, data in (("layer.tar", layer_bytes), ("config.json", config_bytes),
                       ("manifest.json", json.dumps(manifest).encode())):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
print(f"base image: {len(libs)} C libraries, {len(layer_bytes) // (1 << 20)} MiB")
EOF

echo "== image (Jib, profile jib)"
(cd "$ROOT" && mvn -B -q -Pjib -pl forwarder -am package -DskipTests -Dmaven.javadoc.skip=true \
  -Djib.from.image="tar://$WORK/base.tar")
IMAGE="$ROOT/forwarder/target/span-transport-forwarder-image.tar"
ls -l "$IMAGE"

echo "== unpack"
mkdir -p "$WORK/image" "$ROOTFS"
tar -xf "$IMAGE" -C "$WORK/image"
ENTRYPOINT_FILE="$WORK/entrypoint"
python3 - "$WORK/image" "$ROOTFS" "$ENTRYPOINT_FILE" <<'EOF'
import json, os, sys, tarfile
image, rootfs, entry_out = sys.argv[1:]
def blob(digest):
    return os.path.join(image, "blobs", *digest.split(":"))
index = json.load(open(os.path.join(image, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))
for layer in manifest["layers"]:
    with tarfile.open(blob(layer["digest"])) as t:
        t.extractall(rootfs)
entry = config["config"]["Entrypoint"] + (config["config"].get("Cmd") or [])
env = config["config"].get("Env") or []
print("entrypoint:", " ".join(entry))
print("environment:", " ".join(env))
# A container engine looks the program up on the image's PATH; so does this check.
if not entry[0].startswith("/"):
    path = next((e[5:] for e in env if e.startswith("PATH=")), "/usr/bin:/bin")
    found = [d + "/" + entry[0] for d in path.split(":") if os.path.isfile(rootfs + d + "/" + entry[0])]
    if not found:
        sys.exit(f"{entry[0]} is not on the image's PATH {path}")
    entry[0] = found[0]
with open(entry_out + ".env", "w") as f:
    f.write("\n".join(env))
print("exposed ports:", ", ".join(config["config"].get("ExposedPorts", {})))
with open(entry_out, "w") as f:
    f.write("\n".join(entry))
EOF
mapfile -t ENTRYPOINT < "$ENTRYPOINT_FILE"
mapfile -t IMAGE_ENV < "$ENTRYPOINT_FILE.env"
CHROOT="$(command -v chroot)"
# The entrypoint as an engine runs it: the image's environment only, its file system as root.
in_image() { env -i "${IMAGE_ENV[@]}" "$CHROOT" "$ROOTFS" "${ENTRYPOINT[@]}" "$@"; }
mkdir -p "$ROOTFS/proc" "$ROOTFS/dev"
mount --bind /proc "$ROOTFS/proc"
mount --bind /dev "$ROOTFS/dev"

echo "== --version in the image"
in_image --version

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
LISTEN_PORT="$(free_port)"
ADMIN_PORT="$(free_port)"
echo "== run: --dump-only, OTLP/HTTP on 127.0.0.1:$LISTEN_PORT, admin on 127.0.0.1:$ADMIN_PORT"
# Started directly (not through the function) so that $! is the forwarder's own pid: env and
# chroot exec into java, and SIGTERM reaches it as an engine's stop would.
env -i "${IMAGE_ENV[@]}" "$CHROOT" "$ROOTFS" "${ENTRYPOINT[@]}" --dump-only \
  --listen "tcp://127.0.0.1:$LISTEN_PORT" --admin-listen "127.0.0.1:$ADMIN_PORT" \
  >"$WORK/out.log" 2>"$WORK/err.log" &
FORWARDER_PID=$!
for _ in $(seq 1 100); do
  ready="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/readyz" || true)"
  if [[ "$ready" == 200 ]]; then break; fi
  sleep 0.2
done
fail() { echo "FAILED: $*" >&2; echo "--- stdout" >&2; cat "$WORK/out.log" >&2; echo "--- stderr" >&2; cat "$WORK/err.log" >&2; exit 1; }
for path in healthz readyz; do
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/$path")"
  [[ "$code" == 200 ]] || fail "/$path answered $code"
  echo "/$path 200"
done
curl -s "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -q '^spantransport_' || fail "/metrics has no spantransport_ metric"
echo "/metrics has spantransport_ metrics"
code="$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$LISTEN_PORT/v1/traces" \
  -H 'Content-Type: application/json' \
  --data '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"from-the-image-check","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}')"
[[ "$code" == 200 ]] || fail "POST /v1/traces answered $code"
for _ in $(seq 1 50); do
  if grep -q from-the-image-check "$WORK/out.log"; then break; fi
  sleep 0.2
done
grep -q from-the-image-check "$WORK/out.log" || fail "the posted span was not printed"
grep -q "└─ from-the-image-check\|from-the-image-check (0 µs)" "$WORK/out.log" \
  || fail "the tree is not printed in UTF-8"
echo "span printed: $(grep from-the-image-check "$WORK/out.log" | head -1)"
kill -TERM "$FORWARDER_PID"
set +e
wait "$FORWARDER_PID"
status=$?
set -e
FORWARDER_PID=""
[[ "$status" == 0 ]] || fail "exit status $status on SIGTERM"
grep -q "SLF4J" "$WORK/err.log" && fail "a library's SLF4J logging has no binding"
echo "exit 0 on SIGTERM; last log line: $(tail -1 "$WORK/err.log")"
echo "OK: the image runs"
