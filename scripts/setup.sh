#!/usr/bin/env bash
# Machine set-up for zcp development and CI on Debian 12 (root).
# Enables the `contrib` component (ZFS lives there) and installs what the guest
# harness, the native build and the package-database tests need.
# Idempotent, and quick when everything is already installed.
set -euo pipefail

PACKAGES=(
  # the guest: real OpenZFS kernel module under qemu (see test/guest/)
  qemu-system-x86 linux-image-amd64 linux-headers-amd64
  zfs-dkms zfsutils-linux libzfslinux-dev python3-pyzfs
  busybox-static cpio xz-utils kmod
  # a pool whose I/O a test can stop (device-mapper over a loop file)
  dmsetup
  # the power-cut test partitions the pool's disk image (sfdisk)
  fdisk
  # package databases: real tools as oracles
  rpm dpkg-dev
  # the oracle for zcp undo's rebuild of an installed .deb
  dpkg-repack
  # native parser tests: libFuzzer and ASan/UBSan (clang), dpkg's own version
  # compare as a linkable oracle (libdpkg)
  clang libclang-rt-14-dev libdpkg-dev
  # Berkeley DB rpmdbs made in the tests (Debian's rpm only reads them)
  db5.3-util
  # the dnf hook is tested with Debian's dnf (a plugin like snapper's)
  dnf
  # a real Debian 12 root for the tests, from this machine's own mirror (test/debian/)
  mmdebstrap
  # ... booted by Debian's own initramfs with its ZFS script (test/boot/: mkinitramfs)
  initramfs-tools zfs-initramfs
  # the Debian package (npm run deb): its man page from markdown, the addon
  # stripped, and checked as Debian checks packages
  go-md2man binutils lintian
  # the channel programs are checked and run on the host with Lua 5.2, the
  # language OpenZFS embeds, against a fake zfs table (test/unit/programs)
  lua5.2
)

log() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$0" "$@"; fi
  log "must run as root (apt-get install); try: sudo bash $0"; exit 1
fi

missing_packages() {
  local p status
  for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [ "${status:0:2}" = "ii" ] || printf '%s\n' "$p"
  done
}

# zfs.ko for at least one kernel under /boot (dkms builds it during the install).
have_zfs_module() {
  local k
  for k in /boot/vmlinuz-*; do
    [ -e "$k" ] || continue
    k=${k#/boot/vmlinuz-}
    find "/lib/modules/$k" -name 'zfs.ko*' 2>/dev/null | grep -q . && return 0
  done
  return 1
}

# Add contrib to every Debian source (deb822 files and one-line lists).
enable_contrib() {
  local changed=0 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    grep -q 'debian' "$f" || continue
    if grep -qE '^Components:' "$f" && grep -E '^Components:' "$f" | grep -vq contrib; then
      sed -i -E '/^Components:/{/contrib/!s/$/ contrib/}' "$f"; changed=1
    fi
  done
  if [ -f /etc/apt/sources.list ]; then
    if grep -E '^deb .*debian' /etc/apt/sources.list | grep -vq contrib; then
      sed -i -E '/^deb .*debian/{/contrib/!s/$/ contrib/}' /etc/apt/sources.list; changed=1
    fi
  fi
  [ $changed -eq 0 ] || log "enabled the contrib component"
  return 0
}

enable_contrib

mapfile -t missing < <(missing_packages)
if [ ${#missing[@]} -eq 0 ] && have_zfs_module; then
  log "all packages present, zfs.ko built"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]} (zfs-dkms compiles zfs.ko: about 5 minutes)"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/zcp-setup-apt.log 2>&1 || {
    tail -40 /tmp/zcp-setup-apt.log >&2; log "apt-get install failed (full log: /tmp/zcp-setup-apt.log)"; exit 1; }
fi

if ! have_zfs_module; then
  # dkms may have skipped a kernel (e.g. headers arrived after the module): build it now.
  log "building zfs.ko with dkms"
  for k in /boot/vmlinuz-*; do
    k=${k#/boot/vmlinuz-}
    [ -d "/usr/src/linux-headers-$k" ] && dkms autoinstall -k "$k" >&2 || true
  done
  have_zfs_module || { log "no zfs.ko for any kernel under /boot after the install"; exit 1; }
fi
log "done"
