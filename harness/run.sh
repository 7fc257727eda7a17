#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh TREE CONFIG MODE LIST-or-TEST... - boot one kernel and run the given
# tests (the developer loop); MODE: vhe, nvhe or protected.  Arguments that
# are files are test lists; others are "<tree>/<program> [args]" strings,
# run with a 600 s limit.
#   ./kvmx run patched fast vhe "patched/aarch64/vgic_v3_scale -n 64"
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: run.sh TREE CONFIG MODE TEST...} cfg=${2:?} mode=${3:?}
shift 3
d=${KVMX_RUN_DIR:-$BUILD/run}	# a directory of its own for runs side by side
mkdir -p "$d"
list=$d/tests
: >"$list"
for t in "$@"; do
	if [ -f "$t" ]; then
		grep -v '^[[:space:]]*\(#\|$\)' "$t" | sed "s|@TREE@|$tree|" >>"$list"
	else
		name=${t%% *}
		echo "600 ${name#*/} $t" >>"$list"
	fi
done
args=
[ "$mode" = vhe ] || args=kvm-arm.mode=$mode	# nvhe, protected
"$HARNESS/mkinitrd.sh" "$list" "$d/initrd.cpio"
KVMX_TEE=1 "$HARNESS/boot.sh" "$(obj_dir "$tree" "$cfg")/arch/arm64/boot/Image" \
	"$d/initrd.cpio" "$d/serial.log" "$(awk '{ t += $1 } END { print t + 120 }' "$list")" $args
