#!/bin/busybox sh
# shellcheck shell=sh
# The guest's initramfs (tests/vm/build-guest.sh): load the modules (named
# NN-NAME.ko, in dependency order), mount /dev/vda and hand over to systemd.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in /modules/*.ko; do
    insmod "$m" || echo "initrd: insmod $m failed"
done
# The disk shows up once virtio_blk has probed it.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
if ! mount -t ext4 -o rw /dev/vda /newroot; then
    echo "initrd: cannot mount /dev/vda"
    poweroff -f
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
