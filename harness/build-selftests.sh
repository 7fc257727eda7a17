#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-selftests.sh TREE - the KVM selftests of TREE for arm64, static,
# into build/selftests/TREE (uapi headers from TREE's fast kernel build),
# and the initramfs /init into build/init.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: build-selftests.sh TREE}
src=$(src_dir "$tree")
obj=$(obj_dir "$tree" fast)
hdr=$BUILD/hdr/$tree
out=$(st_dir "$tree")
[ -f "$obj/.config" ] || die "configure $tree first: harness/build-kernel.sh $tree fast"
mkdir -p "$hdr" "$out" "$BUILD/init"
make -C "$src" O="$obj" -s headers_install INSTALL_HDR_PATH="$hdr"
make -C "$src/tools/testing/selftests/kvm" -s -j"$JOBS" ARCH=arm64 \
	CROSS_COMPILE="$CROSS" EXTRA_CFLAGS=-static \
	KHDR_INCLUDES="-isystem $hdr/include" OUTPUT="$out"
for prog in init probe; do
	"${CROSS}gcc" -static -O2 -Wall -Wextra -Werror -o "$BUILD/init/$prog" "$HARNESS/init/$prog.c"
done
log "selftests $tree: $(find "$out" -type f -perm -u+x ! -name '*.[od]' | wc -l) programs in $out"
