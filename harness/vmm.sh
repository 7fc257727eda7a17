#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# vmm.sh [--update] - Debian's own arm64 QEMU, unmodified, for the nested
# host: the packages pinned in harness/vmm.lock (qemu-system-arm, the
# arm64 shared libraries qemu-system-aarch64 loads, and busybox-static for
# the /bin/sh that QEMU's "exec:" migration runs) are fetched with apt-get
# download, checked against their recorded sha256, unpacked with dpkg-deb
# -x, and the files the nested host needs are laid out at their Debian
# paths in build/vmm/root (the L1 initramfs takes that tree as it is: the
# binary runs through /lib/ld-linux-aarch64.so.1 and finds its libraries
# in /lib/aarch64-linux-gnu and /usr/lib/aarch64-linux-gnu).
#
# apt runs with a configuration of its own (build/vmm/apt: arm64 as the
# only architecture, its own lists, cache and an empty dpkg status); the
# system's apt sources, lists and dpkg architectures are left alone.
#
# --update resolves the set again from the newest packages offered (the
# recursive Depends of qemu-system-arm, narrowed to the packages that hold
# a library of qemu-system-aarch64's ELF closure) and rewrites vmm.lock.
# Without it, a pinned version no longer offered is replaced by the newest
# one with a warning (as the kernel base is), and the ELF closure is
# checked all the same: a library no package of the set holds stops here.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOCK=$HARNESS/vmm.lock
V=$BUILD/vmm
APTD=$V/apt
DEBS=$V/debs
ROOT=$V/root
QEMU_BIN=usr/bin/qemu-system-aarch64
MULTI=aarch64-linux-gnu
update=0
[ "${1:-}" = --update ] && update=1

apt_conf() {
	local kr=/usr/share/keyrings/debian-archive-keyring.gpg

	private_apt "$APTD" <<-EOF
	deb [arch=arm64 signed-by=$kr] http://deb.debian.org/debian bookworm main
	deb [arch=arm64 signed-by=$kr] http://deb.debian.org/debian bookworm-updates main
	deb [arch=arm64 signed-by=$kr] http://deb.debian.org/debian-security bookworm-security main
	EOF
}


unpack() {	# FILE: into $V/unpack/PKG (once)
	local pkg=${1%%_*}
	[ -f "$V/unpack/$pkg/.kvmx-deb" ] && [ "$(cat "$V/unpack/$pkg/.kvmx-deb")" = "$1" ] &&
		return 0
	rm -rf "$V/unpack/$pkg"
	mkdir -p "$V/unpack/$pkg"
	dpkg-deb -x "$DEBS/$1" "$V/unpack/$pkg"
	echo "$1" >"$V/unpack/$pkg/.kvmx-deb"
}

# find_lib SONAME: the package directory and path that hold it, "PKG PATH".
find_lib() {
	local d p
	for d in "$V"/unpack/*/; do
		for p in lib/$MULTI usr/lib/$MULTI lib usr/lib; do
			if [ -e "$d$p/$1" ]; then
				echo "$(basename "$d") $p/$1"
				return 0
			fi
		done
	done
	return 1
}

# closure: the "PKG PATH" of qemu-system-aarch64's ELF closure (the loader
# included); fails naming a library no unpacked package holds.
closure() {
	local todo seen=" " so hit pkg path interp d
	interp=$(readelf -lW "$V/unpack/qemu-system-arm/$QEMU_BIN" |
		sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	hit=
	for d in "$V"/unpack/*/; do
		if [ -e "$d${interp#/}" ] || [ -L "$d${interp#/}" ]; then
			hit="$(basename "$d") ${interp#/}"
			break
		fi
	done
	[ -n "$hit" ] || die "no package holds $interp"
	echo "$hit"
	todo=("qemu-system-arm $QEMU_BIN")
	while [ ${#todo[@]} -gt 0 ]; do
		read -r pkg path <<<"${todo[0]}"
		todo=("${todo[@]:1}")
		for so in $(readelf -dW "$V/unpack/$pkg/$path" |
				sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case $seen in *" $so "*) continue ;; esac
			seen="$seen$so "
			hit=$(find_lib "$so") || die "$so (needed by $path) is in no package of the set"
			echo "$hit"
			todo+=("$hit")
		done
	done
}

mkdir -p "$DEBS" "$V/unpack"
apt_conf

if [ $update = 1 ]; then
	private_apt_update
	cand=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances qemu-system-arm 2>/dev/null |
		grep -v '^ ' | grep -E '^(qemu-system-arm|lib.*|zlib1g)$' | sort -u)
	rm -rf "$V/unpack"
	mkdir -p "$V/unpack"
	declare -A file_of
	for p in $cand busybox-static; do
		f=$(private_apt_fetch "$p") || die "apt-get download $p failed"
		file_of[$p]=$f
		unpack "$f"
	done
	used=$(closure | awk '{print $1}' | sort -u)
	{
		echo "# Debian's arm64 QEMU for the nested host (harness/vmm.sh): package,"
		echo "# version, sha256 of the .deb.  qemu-system-arm and the packages holding"
		echo "# qemu-system-aarch64's shared libraries; busybox-static for /bin/sh."
		echo "# Written by harness/vmm.sh --update on $(date -u +%Y-%m-%d)."
		for p in qemu-system-arm $used busybox-static; do
			f=${file_of[$p]}
			ver=$(dpkg-deb -f "$DEBS/$f" Version)
			printf '%s %s %s\n' "$p" "$ver" "$(sha256sum "$DEBS/$f" | cut -d' ' -f1)"
		done
	} >"$LOCK"
	log "vmm.lock: $(grep -vc '^#' "$LOCK") packages"
fi

# Fetch and check what vmm.lock pins.
stamp=$(cat "$LOCK" | sha256sum | cut -c1-16)
if [ "$(cat "$ROOT/.kvmx-lock" 2>/dev/null)" = "$stamp" ] && [ -x "$ROOT/$QEMU_BIN" ]; then
	exit 0
fi
# pool_name PKG VERSION: the .deb's file name if it is there (arm64 or all)
pool_name() {
	local f=${1}_${2#*:}_arm64.deb
	[ -f "$DEBS/$f" ] || f=${1}_${2#*:}_all.deb
	echo "$f"
}
# What is missing, in one apt-get call (the epoch apt-get puts in the
# file name, "1%3a", taken out).
want=()
while read -r pkg ver sum; do
	case $pkg in '#'*|'') continue ;; esac
	[ -f "$DEBS/$(pool_name "$pkg" "$ver")" ] || want+=("$pkg:arm64=$ver")
done <"$LOCK"
if [ ${#want[@]} -gt 0 ]; then
	private_apt_update
	log "apt-get download: ${#want[@]} packages"
	(cd "$DEBS" && apt-get download -qq "${want[@]}" >/dev/null 2>&1) ||
		log "apt-get download of the pinned set failed: fetching one by one"
	for e in "$DEBS"/*%3a*; do
		[ ! -f "$e" ] || mv "$e" "$DEBS/$(basename "$e" | sed 's/_[0-9]*%3a/_/')"
	done
fi
files=()
while read -r pkg ver sum; do
	case $pkg in '#'*|'') continue ;; esac
	f=$(pool_name "$pkg" "$ver")
	if [ ! -f "$DEBS/$f" ] || [ "$(sha256sum "$DEBS/$f" | cut -d' ' -f1)" != "$sum" ]; then
		private_apt_update
		if ! f=$(private_apt_fetch "$pkg" "$ver"); then
			log "WARNING: $pkg $ver is not offered; using the newest (harness/vmm.sh --update pins it)"
			f=$(private_apt_fetch "$pkg") || die "apt-get download $pkg failed"
		fi
	fi
	got=$(sha256sum "$DEBS/$f" | cut -d' ' -f1)
	if [ "$got" != "$sum" ]; then
		log "WARNING: $f has sha256 $got; vmm.lock records $pkg $ver with $sum"
	fi
	files+=("$f")
done <"$LOCK"

rm -rf "$V/unpack"
mkdir -p "$V/unpack"
for f in "${files[@]}"; do
	unpack "$f"
done
rm -rf "$ROOT"
mkdir -p "$ROOT/usr/bin" "$ROOT/bin"
cp -a "$V/unpack/qemu-system-arm/$QEMU_BIN" "$ROOT/$QEMU_BIN"
closure | sort -u | while read -r pkg path; do
	# the soname link and the file it names, at the same path
	mkdir -p "$ROOT/$(dirname "$path")"
	cp -a "$V/unpack/$pkg/$path" "$ROOT/$path"
	if [ -L "$V/unpack/$pkg/$path" ]; then
		t=$(readlink "$V/unpack/$pkg/$path")
		case $t in
		/*) cp -a "$V/unpack/$pkg$t" "$ROOT$t" ;;
		*) cp -a "$V/unpack/$pkg/$(dirname "$path")/$t" "$ROOT/$(dirname "$path")/$t" ;;
		esac
	fi
done
cp -a "$V/unpack/busybox-static/bin/busybox" "$ROOT/bin/busybox"
ln -sf busybox "$ROOT/bin/sh"
ln -sf busybox "$ROOT/bin/cat"
echo "$stamp" >"$ROOT/.kvmx-lock"
log "vmm: $(grep '^qemu-system-arm ' "$LOCK" | cut -d' ' -f1-2), $(find "$ROOT" -type f | wc -l) files," \
	"$(du -sk --apparent-size "$ROOT" | cut -f1) KiB in $ROOT"
