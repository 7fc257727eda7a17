#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkinitrd.sh LIST OUT - an initramfs that runs the tests of LIST.
# LIST lines: "<timeout> <name> <tree>/<program> [args]"; <tree> is the
# selftest build the program comes from (vanilla or patched); only the
# programs a list names (as the program or as an argument, for wrappers
# such as /kvmx/probe) go into the image.  A list that runs /kvmx/l2vmm
# (the real-VMM tests) also gets Debian's QEMU and its libraries at their
# Debian paths (build/vmm/root), the L2 guest kernel and its initramfs
# (/kvmx/l2/Image, /kvmx/l2/initrd): see harness/build-l2.sh.  A list that
# names the project's QEMU (/kvmx/qemu/qemu-system-aarch64, vmm/qemu,
# harness/qemu.sh) gets it as well.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

list=${1:?usage: mkinitrd.sh LIST OUT}
KVMX_QEMU=/kvmx/qemu/qemu-system-aarch64
qemu_bin=${KVMX_QEMU_BIN:-$BUILD/qemu/out/qemu-system-aarch64}	# KVMX_QEMU_BIN: another build
out=${2:?usage: mkinitrd.sh LIST OUT}
gen=$BUILD/tools/gen_init_cpio
if [ ! -x "$gen" ]; then
	mkdir -p "$BUILD/tools"
	cc -O2 -o "$gen" "$(src_dir vanilla)/usr/gen_init_cpio.c"
fi
spec=$(mktemp)
trap 'rm -f "$spec"' EXIT
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /kvmx 0755 0 0"
	echo "dir /kvmx/bin 0755 0 0"
	echo "file /init $BUILD/init/init 0755 0 0"
	[ ! -x "$BUILD/init/probe" ] || echo "file /kvmx/probe $BUILD/init/probe 0755 0 0"
	echo "file /kvmx/tests $list 0644 0 0"
	# Programs: the third word, and any later word naming a tree's program
	grep -v '^[[:space:]]*\(#\|$\)' "$list" |
		awk '{ print $3; for (i = 4; i <= NF; i++) if ($i ~ /^(vanilla|patched)\//) print $i }' |
		{ grep -v '^/' || true; } | sort -u |
	while read -r prog; do
		tree=${prog%%/*}
		bin=$(st_dir "$tree")/${prog#*/}
		[ -x "$bin" ] || die "$list names $prog: no $bin"
		d=/kvmx/bin
		IFS=/ read -ra parts <<<"${prog%/*}"
		for p in "${parts[@]}"; do
			d=$d/$p
			echo "dir $d 0755 0 0"
		done
		echo "file /kvmx/bin/$prog $bin 0755 0 0"
	done | awk '!seen[$0]++'
	if grep -v '^[[:space:]]*\(#\|$\)' "$list" | awk '{print $3}' | grep -qx /kvmx/l2vmm; then
		l2=$BUILD/l2
		for f in l2vmm Image initrd; do
			[ -f "$l2/$f" ] || die "$list runs the real-VMM tests: no $l2/$f (harness/build-l2.sh)"
		done
		[ -x "$BUILD/vmm/root/usr/bin/qemu-system-aarch64" ] ||
			die "$list runs the real-VMM tests: no QEMU in $BUILD/vmm/root (harness/vmm.sh)"
		echo "file /kvmx/l2vmm $l2/l2vmm 0755 0 0"
		# The project's QEMU (harness/qemu.sh), for the lists that name it
		if grep -v '^[[:space:]]*\(#\|$\)' "$list" | grep -q "$KVMX_QEMU"; then
			[ -x "$qemu_bin" ] ||
				die "$list runs the project's QEMU: no $qemu_bin (harness/qemu.sh)"
			echo "dir ${KVMX_QEMU%/*} 0755 0 0"
			echo "file $KVMX_QEMU $qemu_bin 0755 0 0"
		fi
		echo "dir /kvmx/l2 0755 0 0"
		echo "file /kvmx/l2/Image $l2/Image 0644 0 0"
		echo "file /kvmx/l2/initrd $l2/initrd 0644 0 0"
		(cd "$BUILD/vmm/root" && find . -mindepth 1 ! -name .kvmx-lock | sort) |
		while read -r f; do
			p=$BUILD/vmm/root/$f
			f=${f#.}
			if [ -L "$p" ]; then
				echo "slink $f $(readlink "$p") 0777 0 0"
			elif [ -d "$p" ]; then
				echo "dir $f 0755 0 0"
			else
				echo "file $f $p $(stat -c %a "$p") 0 0"
			fi
		done
	fi
} >"$spec"
"$gen" "$spec" >"$out"
