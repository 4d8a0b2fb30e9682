#!/usr/bin/env bash
# Builds the guest that RealVsockIT boots: a copy of Debian's kernel and a tiny initramfs
# (busybox-static + the vsock, vsock_loopback, 9p and virtio modules and their dependencies).
#
#   build-guest.sh OUTDIR
#
# Writes OUTDIR/vmlinuz and OUTDIR/initramfs.cpio.gz. Installs qemu-system-x86,
# linux-image-amd64 and busybox-static with apt-get when they are missing and we are root.
# Exit status 3 means "cannot build here" (message on stderr); the test skips or fails on it.
#
# The guest's /init mounts the host's root read-only over 9p (mount tag "hostroot"), mounts
# proc/sys/dev and a tmpfs at /dev/shm (TMPDIR) inside it, chroots there and runs the script named by
# spantransport.run=PATH on the kernel command line, then powers off.
set -euo pipefail

out=${1:?usage: build-guest.sh OUTDIR}
mkdir -p "$out"

modules_wanted="vsock vmw_vsock_virtio_transport_common vsock_loopback vsock_diag 9p 9pnet
  9pnet_virtio netfs fscache virtio_pci virtio_pci_legacy_dev virtio_pci_modern_dev virtio
  virtio_ring"

unavailable() { echo "build-guest.sh: $*" >&2; exit 3; }

[ "$(uname -m)" = x86_64 ] || unavailable "needs an x86_64 host (this is $(uname -m))"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
installed busybox-static || missing+=(busybox-static)
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || missing+=(linux-image-amd64)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "build-guest.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || unavailable "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
      || unavailable "apt-get install ${missing[*]} failed"
  else
    unavailable "missing packages ${missing[*]} (install them as root: apt-get install ${missing[*]})"
  fi
fi

kernel=$(ls /boot/vmlinuz-*-amd64 | sort -V | tail -n 1)
version=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$version
[ -f "$moddir/modules.dep" ] || unavailable "no $moddir/modules.dep for kernel $version"

stamp="$version $(sha256sum "$0" | cut -c1-16)"
if [ -f "$out/initramfs.cpio.gz" ] && [ -f "$out/vmlinuz" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

root=$(mktemp -d "$out/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,host,modules}
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount insmod mkdir chroot poweroff reboot sed cat echo sync sleep; do
  ln -s busybox "$root/bin/$applet"
done

# Module name -> its line in modules.dep ("path: dep-path ..."), dependencies first.
declare -A done_mod=()
order=()
resolve() {
  local name=${1//-/_} line path deps dep
  [ -n "${done_mod[$name]:-}" ] && return 0
  done_mod[$name]=1
  if grep -qE "(^|/)${name}\.ko" "$moddir/modules.builtin" 2>/dev/null; then
    return 0
  fi
  line=$(grep -E "(^|/)${name}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n 1) || true
  [ -n "$line" ] || unavailable "module $name not found for kernel $version"
  path=${line%%:*}
  deps=${line#*:}
  for dep in $deps; do
    dep=$(basename "$dep"); dep=${dep%%.ko*}
    resolve "$dep"
  done
  order+=("$path")
}
for m in $modules_wanted; do resolve "$m"; done

: > "$root/modules/order"
for path in "${order[@]}"; do
  file=$(basename "$path")
  case "$file" in
    *.ko.xz) xz -dc "$moddir/$path" > "$root/modules/${file%.xz}"; file=${file%.xz} ;;
    *.ko.zst) zstd -qdc "$moddir/$path" > "$root/modules/${file%.zst}"; file=${file%.zst} ;;
    *.ko.gz) gzip -dc "$moddir/$path" > "$root/modules/${file%.gz}"; file=${file%.gz} ;;
    *) cp "$moddir/$path" "$root/modules/$file" ;;
  esac
  echo "$file" >> "$root/modules/order"
done

cat > "$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin
say() { echo "spantransport-vm: $*"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/modules/$m" || say "insmod $m failed"; done < /modules/order
if mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /host; then
  mount -t proc proc /host/proc
  mount -t sysfs sysfs /host/sys
  mount -o bind /dev /host/dev
  # Writable scratch space that hides nothing of the host (the project may live under /tmp).
  mkdir -p /host/dev/shm
  mount -t tmpfs -o size=256m tmpfs /host/dev/shm
  export TMPDIR=/dev/shm
  run=$(sed -n 's/.*spantransport\.run=\([^ ]*\).*/\1/p' /proc/cmdline)
  say "running $run"
  chroot /host /bin/sh "$run"
  say "exit $?"
else
  say "cannot mount the host root over 9p"
fi
sync
poweroff -f
INIT
chmod 755 "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
cp "$kernel" "$out/vmlinuz"
echo "$stamp" > "$out/stamp"
echo "build-guest.sh: kernel $version, modules: ${order[*]}" >&2
