#!/bin/busybox sh
# Stage 1, PID 1 in the initramfs: load the virtio/9p/overlay modules, mount
# the host's root read-only (9p) under a tmpfs overlay, mount the job share,
# and switch to stage 2 (stage2.sh) inside that root.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "zcp-guest: stage 1 failed: $*" > /dev/ttyS0
  echo "zcp-guest: stage 1 failed: $*" > /dev/ttyS1
  poweroff -f
}

mkdir -p /proc /sys /dev /ro /rw /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for m in $(cat /modules/order); do
  insmod "/modules/$m" || fail "insmod $m"
done

opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro,cache=loose" hostroot /ro || fail "mount of the host root (9p)"
mount -t tmpfs -o mode=0755 tmpfs /rw || fail "tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work /newroot \
  || fail "overlay root"
mkdir -p /newroot/run/zcp-job
mount -t 9p -o "$opts" job /newroot/run/zcp-job || fail "mount of the job share (9p)"
cp /stage2.sh /newroot/run/zcp-stage2.sh || fail "copy stage 2"

umount /proc /sys
umount /dev
exec switch_root /newroot /bin/sh /run/zcp-stage2.sh
