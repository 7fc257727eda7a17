#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# deps.sh - install what the project needs, from Debian packages only.
# Idempotent: returns at once when everything is there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(gcc make gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
      quilt flex bison bc libssl-dev libelf-dev cpio ccache sparse python3
      xz-utils perl git rsync file python3-matplotlib python3-ply
      python3-git	# python3-git: checkpatch's SPDX check (scripts/spdxcheck.py)
      meson ninja-build dpkg-dev pkgconf)	# the project's QEMU (harness/qemu.sh)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
have_base=$(dpkg-query -W -f='${Status} ${Version}' "$BASE_PKG" 2>/dev/null || true)

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	log "apt-get update"
	apt-get update -qq
	apt_updated=1
}

if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	log "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

if [ "$have_base" != "install ok installed $BASE_VERSION" ]; then
	apt_update
	if apt-cache madison "$BASE_PKG" | awk '{print $3}' | grep -qxF "$BASE_VERSION"; then
		want="$BASE_PKG=$BASE_VERSION"
	else
		want=$BASE_PKG
		log "WARNING: $BASE_PKG $BASE_VERSION is not offered; using the newest 6.12"
	fi
	log "installing $want"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --allow-downgrades \
		--no-install-recommends "$want" >/dev/null
fi
v=$(dpkg-query -W -f='${Version}' "$BASE_PKG")
sum=$(sha256sum "$BASE_TARBALL" | cut -d' ' -f1)
if [ "$v" = "$BASE_VERSION" ] && [ "$sum" = "$BASE_SHA256" ]; then
	log "base: $BASE_PKG $v (sha256 verified)"
else
	log "WARNING: base is $BASE_PKG $v, sha256 $sum; the project is tested on $BASE_VERSION ($BASE_SHA256)"
fi
