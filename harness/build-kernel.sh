#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-kernel.sh TREE CONFIG [make args...] - build build/obj/TREE-CONFIG.
# CONFIG is a fragment list: "fast" = allnoconfig + configs/fast.config,
# "debug" adds configs/debug.config, "64k" adds configs/64k.config;
# "guest" = allnoconfig + configs/guest.config (the real-VMM runs' L2 guest).
# Every option a fragment asks for must survive olddefconfig.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: build-kernel.sh TREE CONFIG}
cfg=${2:?usage: build-kernel.sh TREE CONFIG}
shift 2
src=$(src_dir "$tree")
obj=$(obj_dir "$tree" "$cfg")
frags=("$HARNESS/configs/fast.config")
case $cfg in
fast) ;;
debug) frags+=("$HARNESS/configs/debug.config") ;;
64k) frags+=("$HARNESS/configs/64k.config") ;;
guest) frags=("$HARNESS/configs/guest.config") ;;
*) die "unknown config $cfg" ;;
esac
[ -d "$src" ] || die "no $src: run harness/prepare.sh $tree"
mkdir -p "$obj"
k() { make -C "$src" O="$obj" CROSS_COMPILE="$KCROSS" -j"$JOBS" -s "$@"; }

want=$(cat "${frags[@]}" | sha256sum | cut -c1-16)
if [ "$(cat "$obj/.kvmx-config" 2>/dev/null)" != "$want" ] || [ ! -f "$obj/.config" ]; then
	k allnoconfig >/dev/null
	KCONFIG_CONFIG="$obj/.config" "$src/scripts/kconfig/merge_config.sh" \
		-m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null
	k olddefconfig >/dev/null
	# Later fragments override earlier ones: check the last word on each.
	bad=$(cat "${frags[@]}" | sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=\(.*\)$/\1 \2/p' |
		tac | awk '!seen[$1]++' | while read -r o v; do
			if [ "$v" = n ]; then
				grep -q "^$o=" "$obj/.config" && echo "$o=$v"
			else
				grep -qxF "$o=$v" "$obj/.config" || echo "$o=$v"
			fi
		done)
	[ -z "$bad" ] || die "config $cfg: not honoured: $(echo $bad)"
	echo "$want" >"$obj/.kvmx-config"
fi
k Image "$@"
log "kernel $tree-$cfg: $obj/arch/arm64/boot/Image ($(make -C "$src" O="$obj" -s kernelrelease))"
