#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# mkinitrd.sh LIST OUT - an initramfs that runs the tests of LIST.
# LIST lines: "<timeout> <name> <tree>/<program> [args]"; <tree> is the
# selftest build the program comes from (vanilla or patched); only the
# programs a list names (as the program or as an argument, for wrappers
# such as /kvmx/probe) go into the image.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

list=${1:?usage: mkinitrd.sh LIST OUT}
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
		grep -v '^/' | sort -u |
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
} >"$spec"
"$gen" "$spec" >"$out"
