#!/bin/bash
# devimg.sh OUT - link a development image for driver bring-up: the last
# committed kernel/ and dataplane/ (git HEAD, so others' edits in progress
# cannot break it), the working tree's drivers/virtio, and
# tests/vhost/devapp.c as the application.  Not a product image (see
# devapp.c).  Builds in $B/vhost/snap through kernel/image.mk.
set -eu
cd "$(dirname "$0")/../.."
top=$PWD
out=$(realpath -m "${1:-build/vhost/dev.img}")
B=$(realpath -m "${B:-build}")
snap=$B/vhost/snap
mkdir -p "$snap"
# Refresh the snapshot: HEAD's kernel, dataplane and Makefile; our drivers.
rm -rf "$snap/kernel" "$snap/dataplane" "$snap/drivers"
git archive HEAD Makefile kernel dataplane | tar -x -C "$snap"
mkdir -p "$snap/drivers" "$snap/tests/vhost"
cp -r drivers/virtio "$snap/drivers/"
cp tests/vhost/devapp.c "$snap/tests/vhost/"
cd "$snap"
IMG_B=build/image
# SHIM_PCI=1: leave kernel/pci.c out; devapp.c's configuration-space shims
# (ECAM at microvm's fixed address, or 0xcf8) stand in for it.
skip='^kernel/app\.c$'
[ "${SHIM_PCI:-0}" = 1 ] && skip='^kernel/\(app\|pci\)\.c$'
srcs=$(ls kernel/*.c kernel/*.S drivers/virtio/*.c | grep -v "$skip")
srcs="$srcs dataplane/pkt.c dataplane/port.c tests/vhost/devapp.c"
objs=""
for s in $srcs; do objs="$objs $IMG_B/obj/${s%.*}.o"; done
make -s -j2 B=build $objs "$IMG_B/image.ld"
mkdir -p "$(dirname "$out")"
ld -T "$IMG_B/image.ld" --gc-sections -o "$out" $objs
echo "$out"
