# SPDX-License-Identifier: GPL-2.0
# lib.sh - settings and helpers shared by the harness scripts (sourced).

# Debian's tools first: python3 must be the one Debian's python3-* packages
# (ply for checkpatch, matplotlib for plots) are installed for.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
KVMX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=$KVMX_TOP/harness
BUILD=${KVMX_BUILD:-$KVMX_TOP/build}
# shellcheck source=base.env
. "$HARNESS/base.env"

JOBS=${JOBS:-$(($(nproc) + 1))}
CROSS=aarch64-linux-gnu-
export ARCH=arm64
export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/root}/.cache/kvmx-ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
if command -v ccache >/dev/null; then
	KCROSS="ccache $CROSS"
else
	KCROSS=$CROSS
fi

# Trees: "vanilla" is the base alone, "patched" the base plus the project.
src_dir() { echo "$BUILD/src/$1"; }
obj_dir() { echo "$BUILD/src/$1/.kvmx-obj/$2"; }	# tree, config: same depth in every tree, so ccache is shared
st_dir() { echo "$BUILD/selftests/$1"; }
# new_warnings BASE OWN: the "path: message" lines on stdin (sorted, as
# harness/warnings.py prints them) that the file BASE does not have, in a
# file that OWN (one path per line) names.
new_warnings() {
	comm -23 - "$1" | while IFS= read -r w; do
		grep -qxF "${w%%: *}" <<<"$2" && printf '%s\n' "$w"
	done
}
log() { printf '[kvmx %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[kvmx] error: %s\n' "$*" >&2; exit 1; }

# Time a phase; figures land in $BUILD/timings.
phase() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	log "$name ..."
	"$@"
	rc=$?
	printf '%-40s %5ds rc=%d\n' "$name" $(($(date +%s) - t0)) $rc >>"$BUILD/timings"
	log "$name: $(($(date +%s) - t0))s (rc=$rc)"
	return $rc
}
