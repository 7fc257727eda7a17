#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-l2.sh - what the real-VMM tests (harness/tests/real-vmm.list) put
# into the nested host's initramfs: Debian's arm64 QEMU and its libraries
# (harness/vmm.sh, build/vmm/root), the L2 guest kernel (the vanilla base
# with configs/guest.config: the guest side is upstream), the guest's
# initramfs (/init = init/l2init.c) in build/l2/initrd, and the launcher
# the tests run, init/l2vmm.c, in build/l2/l2vmm.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$HARNESS/vmm.sh"
"$HARNESS/build-kernel.sh" vanilla guest
out=$BUILD/l2
mkdir -p "$out"
for prog in l2init l2vmm; do
	"${CROSS}gcc" -static -O2 -Wall -Wextra -Werror -idirafter "$KVMX_TOP/include/uapi" \
		-o "$out/$prog" "$HARNESS/init/$prog.c"
done
gen=$BUILD/tools/gen_init_cpio
if [ ! -x "$gen" ]; then
	mkdir -p "$BUILD/tools"
	cc -O2 -o "$gen" "$(src_dir vanilla)/usr/gen_init_cpio.c"
fi
printf '%s\n' "dir /dev 0755 0 0" "nod /dev/console 0600 0 0 c 5 1" \
	"file /init $out/l2init 0755 0 0" >"$out/initrd.spec"
"$gen" "$out/initrd.spec" >"$out/initrd"
cp "$(obj_dir vanilla guest)/arch/arm64/boot/Image" "$out/Image"
log "l2: guest $(make -C "$(src_dir vanilla)" O="$(obj_dir vanilla guest)" -s kernelrelease)," \
	"Image $(($(stat -c %s "$out/Image") / 1024)) KiB, initrd $(($(stat -c %s "$out/initrd") / 1024)) KiB," \
	"QEMU and libraries $(du -sk --apparent-size "$BUILD/vmm/root" | cut -f1) KiB"
