#!/bin/sh
# Stage 2, PID 1 in the guest's root (the host's root under a tmpfs overlay):
# mount the kernel file systems, load zfs.ko, create the job's file-backed
# pools, run the job's command with its output on ttyS1 (a pipe to the host,
# not a terminal), write its exit status into the job share and power off.
# No tmpfs on /tmp: the project may live there (a CI clone), and the overlay
# already makes it writable.
JOB=/run/zcp-job
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

out=/dev/ttyS1
say() { echo "zcp-guest: $*" > "$out"; echo "zcp-guest: $*" > /dev/ttyS0; }
finish() {
  echo "$1" > "$JOB/status"
  sync
  /bin/busybox poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
hostname zcp-guest
stty -F "$out" raw -echo 2>/dev/null
cut -d' ' -f1 /proc/uptime > "$JOB/boot-seconds"

if [ -s "$JOB/load-zfs" ]; then
  t0=$(cut -d' ' -f1 /proc/uptime)
  modprobe zfs || { say "modprobe zfs failed (is zfs.ko built for $(uname -r)?)"; finish 125; }
  echo "$t0 $(cut -d' ' -f1 /proc/uptime)" > "$JOB/modprobe-seconds"
  chmod 0666 /dev/zfs  # what udev's 90-zfs.rules does on a real system
fi

if [ -s "$JOB/pools" ]; then
  mkdir -p /var/tmp/zcp-pools
  mount -t tmpfs -o mode=0700 tmpfs /var/tmp/zcp-pools
  while read -r name size; do
    img=/var/tmp/zcp-pools/$name.img
    truncate -s "$size" "$img" \
      && zpool create -f -o ashift=12 -O mountpoint="/$name" "$name" "$img" \
      || { say "zpool create $name ($size) failed"; finish 125; }
  done < "$JOB/pools"
fi

# The command runs with a pipe as its output; its status comes back through a
# fifo, so a background process that keeps the pipe open can't hold us here.
mkfifo /run/zcp-done
( { sh "$JOB/command.sh"; echo $? > /run/zcp-done; } < /dev/null 2>&1 | cat > "$out"
  touch /run/zcp-drained ) &
read -r status < /run/zcp-done
i=0
while [ ! -e /run/zcp-drained ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
finish "$status"
