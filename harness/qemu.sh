#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# qemu.sh - the project's own QEMU for the nested host: Debian's qemu
# source package, pinned in vmm/qemu/source.lock (fetched with apt-get
# source, its .dsc checked against the recorded sha256, unpacked with
# dpkg-source -x, which applies Debian's patches), plus the project's
# quilt series vmm/qemu/patches, built for the virt board alone
# (vmm/qemu/kvmx-virt.mak) as one static, stripped arm64
# qemu-system-aarch64: build/qemu/out/qemu-system-aarch64.
#
# Owns build/qemu: apt (apt's own configuration, as harness/vmm.sh's, with
# deb-src lines besides), src-dl (the source package), debs and sysroot
# (the arm64 -dev packages the cross build compiles and links against,
# unpacked with dpkg-deb -x), bin (the ccache'd cross compiler and
# pkg-config wrappers that point into the sysroot), src (the patched
# source), obj (the out-of-tree meson/ninja build) and out.  The system's
# apt sources, lists and dpkg architectures are left alone.
#
# Every step is skipped when its inputs are as before: the sysroot is
# rebuilt only when its package set changes; the source is unpacked and
# patched again only when source.lock, kvmx-virt.mak or a file of
# vmm/qemu/patches changes, in a staging tree synced into src by content
# (unchanged files keep their mtime, so ninja and ccache stay incremental);
# configure runs again only when its command line, the configure script or
# the sysroot changes; ninja does the rest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QDIR=$KVMX_TOP/vmm/qemu
LOCK=$QDIR/source.lock
DEVMAK=$QDIR/kvmx-virt.mak
PATCHES=$QDIR/patches
Q=$BUILD/qemu
APTD=$Q/apt
DL=$Q/src-dl
DEBS=$Q/debs
SYSROOT=$Q/sysroot
QBIN=$Q/bin
SRC=$Q/src
OBJ=$Q/obj
OUT=$Q/out
STAGE=$Q/stage
TARGET=qemu-system-aarch64
MULTI=aarch64-linux-gnu
# What the static cross build compiles and links against (arm64).
SYSROOT_PKGS=(libglib2.0-dev libglib2.0-0 libpcre2-dev libpcre2-8-0 libpixman-1-dev
	libpixman-1-0 zlib1g-dev zlib1g libfdt-dev libfdt1 libffi-dev libc6-dev libc6
	linux-libc-dev)

apt_conf() {
	local kr=/usr/share/keyrings/debian-archive-keyring.gpg

	private_apt "$APTD" <<-EOF
	deb [arch=arm64 signed-by=$kr] http://deb.debian.org/debian bookworm main
	deb [arch=arm64 signed-by=$kr] http://deb.debian.org/debian-security bookworm-security main
	deb-src [signed-by=$kr] http://deb.debian.org/debian bookworm main
	deb-src [signed-by=$kr] http://deb.debian.org/debian-security bookworm-security main
	EOF
}


# dsc_complete DSC: the .dsc and every file it lists are in $DL.
dsc_complete() {
	local f
	[ -f "$DL/$1" ] || return 1
	for f in $(sed -n '/^Checksums-Sha256:/,/^[^ ]/s/^ [0-9a-f]\{64\} [0-9]* //p' "$DL/$1"); do
		[ -f "$DL/$f" ] || return 1
	done
}

# newest_src PKG: the highest version of source package PKG offered.
newest_src() {
	local v best=
	for v in $(apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p'); do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done
	[ -n "$best" ] && echo "$best"
}

# get_src PKG VERSION: apt-get source --download-only into $DL.
get_src() {
	(cd "$DL" && apt-get source --download-only -qq "$1=$2") >"$Q/src-dl.log" 2>&1
}

# write_exec FILE: stdin into the executable FILE, unless FILE holds it already
write_exec() {
	local new
	new=$(cat)
	[ -f "$1" ] && [ "$(cat "$1")" = "$new" ] && [ -x "$1" ] && return 0
	printf '%s\n' "$new" >"$1.tmp"
	chmod 755 "$1.tmp"
	mv "$1.tmp" "$1"
}

mkdir -p "$DL" "$DEBS" "$QBIN" "$OUT"
apt_conf

# --- sysroot: the arm64 packages, unpacked, when the set changes
set_line="${SYSROOT_PKGS[*]}"
if [ ! -f "$SYSROOT/.kvmx-debs" ] || [ "$(head -1 "$SYSROOT/.kvmx-debs")" != "$set_line" ]; then
	private_apt_update
	files=()
	for p in "${SYSROOT_PKGS[@]}"; do
		f=$(private_apt_fetch "$p") || die "apt-get download $p:arm64 failed"
		files+=("$f")
	done
	rm -rf "$SYSROOT"
	mkdir -p "$SYSROOT"
	vers=()
	for f in "${files[@]}"; do
		dpkg-deb -x "$DEBS/$f" "$SYSROOT"
		vers+=("$(dpkg-deb -f "$DEBS/$f" Package) $(dpkg-deb -f "$DEBS/$f" Version)")
	done
	for d in "$DEBS"/*.deb; do	# the .debs of an earlier set
		[ -f "$d" ] || continue
		case " ${files[*]} " in *" $(basename "$d") "*) ;; *) rm -f "$d" ;; esac
	done
	{
		echo "$set_line"
		for i in "${!files[@]}"; do
			echo "${vers[$i]} ${files[$i]}"
		done
	} >"$SYSROOT/.kvmx-debs"
	vlist=$(printf '%s, ' "${vers[@]}")
	log "sysroot: ${vlist%, }"
fi

# --- wrappers: the cross compilers (through ccache) and pkg-config, in the sysroot
cc_launch=
command -v ccache >/dev/null && cc_launch="ccache "
for t in gcc g++; do
	write_exec "$QBIN/$CROSS$t" <<-EOF
	#!/bin/sh
	exec $cc_launch/usr/bin/$CROSS$t --sysroot=$SYSROOT "\$@"
	EOF
done
write_exec "$QBIN/${CROSS}pkg-config" <<-EOF
#!/bin/sh
unset PKG_CONFIG_PATH
export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
export PKG_CONFIG_LIBDIR=$SYSROOT/usr/lib/$MULTI/pkgconfig:$SYSROOT/usr/share/pkgconfig
exec pkg-config "\$@"
EOF
export PATH=$QBIN:$PATH

# --- source: Debian's package, Debian's patches, the project's, the device config
[ -f "$PATCHES/series" ] || die "no $PATCHES/series"
src_stamp=$({
	sha256sum "$LOCK" "$DEVMAK"
	(cd "$PATCHES" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
} | sha256sum | cut -c1-16)
if [ "$(cat "$SRC/.kvmx-src" 2>/dev/null)" != "$src_stamp" ]; then
	read -r src_pkg src_ver src_sum < <(grep -v '^[[:space:]]*\(#\|$\)' "$LOCK" | head -1) || true
	[ -n "${src_sum:-}" ] || die "$LOCK: no \"package version sha256\" line"
	ver=$src_ver
	dsc=${src_pkg}_${ver#*:}.dsc
	if ! dsc_complete "$dsc" || [ "$(sha256sum "$DL/$dsc" | cut -d' ' -f1)" != "$src_sum" ]; then
		private_apt_update
		log "apt-get source $src_pkg=$ver"
		if ! get_src "$src_pkg" "$ver"; then
			ver=$(newest_src "$src_pkg") || die "no source package $src_pkg is offered"
			log "WARNING: $src_pkg $src_ver is not offered; using the newest, $ver (pin it in vmm/qemu/source.lock)"
			dsc=${src_pkg}_${ver#*:}.dsc
			get_src "$src_pkg" "$ver" || {
				tail -n 20 "$Q/src-dl.log" >&2
				die "apt-get source $src_pkg=$ver failed"
			}
		fi
		dsc_complete "$dsc" || die "apt-get source $src_pkg=$ver: $dsc or a file it lists is missing"
	fi
	got=$(sha256sum "$DL/$dsc" | cut -d' ' -f1)
	if [ "$got" != "$src_sum" ]; then
		log "WARNING: $dsc has sha256 $got; source.lock records $src_pkg $src_ver with $src_sum"
	fi

	rm -rf "$STAGE" "$Q/patch.log"
	mkdir -p "$STAGE"
	log "dpkg-source -x $dsc"
	dpkg-source -x "$DL/$dsc" "$STAGE/src" >"$Q/unpack.log" 2>&1 || {
		tail -n 20 "$Q/unpack.log" >&2
		die "dpkg-source -x $dsc failed (see $Q/unpack.log)"
	}
	npatch=$(grep -cv '^[[:space:]]*\(#\|$\)' "$PATCHES/series" || true)
	if [ "${npatch:-0}" -gt 0 ]; then
		log "quilt push: $npatch patches of vmm/qemu/patches"
		# QUILT_PC of our own: dpkg-source leaves Debian's quilt state in .pc
		(cd "$STAGE/src" && QUILT_PATCHES=$PATCHES QUILT_PC=.pc-kvmx \
			quilt --quiltrc - push -a -q --fuzz=0) >"$Q/patch.log" 2>&1 || {
			cat "$Q/patch.log" >&2
			die "quilt push of vmm/qemu/patches failed (see $Q/patch.log; the tree is $STAGE/src)"
		}
	fi
	cp "$DEVMAK" "$STAGE/src/configs/devices/aarch64-softmmu/kvmx-virt.mak"
	# by content, without times: an unchanged file keeps its mtime, a changed one gets a new one
	mkdir -p "$SRC"
	rsync -a --no-times --checksum --delete --exclude=/.kvmx-src "$STAGE/src/" "$SRC/"
	echo "$src_stamp" >"$SRC/.kvmx-src"
	rm -rf "$STAGE"
fi

# --- configure, out of tree
cfg=("$SRC/configure" --target-list=aarch64-softmmu --cross-prefix="$CROSS"
	--static --disable-pie	# static-PIE does not link against Debian's arm64 libc.a
	--without-default-features --without-default-devices --with-devices-aarch64=kvmx-virt
	--enable-kvm --enable-tcg	# 7.2 cannot build arm without TCG
	--enable-fdt=system --disable-docs --disable-tools --disable-user)
cfg_stamp=$(printf '%s\n' "${cfg[*]}" "configure $(sha256sum "$SRC/configure" | cut -d' ' -f1)"
	cat "$SYSROOT/.kvmx-debs")
if [ ! -f "$OBJ/build.ninja" ] || [ "$(cat "$OBJ/.kvmx-configure" 2>/dev/null)" != "$cfg_stamp" ]; then
	rm -rf "$OBJ"
	mkdir -p "$OBJ"
	log "configure (log in $Q/configure.log)"
	(cd "$OBJ" && "${cfg[@]}") >"$Q/configure.log" 2>&1 || {
		tail -n 30 "$Q/configure.log" >&2
		die "configure failed (see $Q/configure.log)"
	}
	printf '%s\n' "$cfg_stamp" >"$OBJ/.kvmx-configure"
fi

# --- build and strip
log "ninja -j$JOBS $TARGET (log in $Q/build.log)"
ninja -C "$OBJ" -j"$JOBS" "$TARGET" >"$Q/build.log" 2>&1 || {
	tail -n 30 "$Q/build.log" >&2
	die "ninja $TARGET failed (see $Q/build.log)"
}
if [ ! -f "$OUT/$TARGET" ] || [ "$OBJ/$TARGET" -nt "$OUT/$TARGET" ]; then
	"${CROSS}strip" -o "$OUT/$TARGET.tmp" "$OBJ/$TARGET"
	if readelf -lW "$OUT/$TARGET.tmp" | grep -q 'Requesting program interpreter'; then
		die "$OBJ/$TARGET is not static"
	fi
	mv "$OUT/$TARGET.tmp" "$OUT/$TARGET"
fi
applied=0
[ ! -f "$SRC/.pc-kvmx/applied-patches" ] || applied=$(grep -c . "$SRC/.pc-kvmx/applied-patches" || true)
log "qemu: $TARGET $(cat "$SRC/VERSION") (Debian $(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version))," \
	"kvmx patches: $applied, static, $(($(stat -c %s "$OUT/$TARGET") / 1024)) KiB in $OUT"
