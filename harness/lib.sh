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

# private_apt DIR < SOURCES: an apt configuration of its own in DIR (arm64
# as the only architecture, its own lists, cache and an empty dpkg status;
# the sources.list lines on stdin) and APT_CONFIG exported to use it: the
# system's apt sources, lists and dpkg architectures are left alone.
private_apt() {
	local d=$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" \
		"$d/etc/apt.conf.d" "$d/etc/preferences.d" "$d/etc/sources.list.d"
	[ -f "$d/status" ] || : >"$d/status"
	cat >"$d/etc/sources.list"
	cat >"$d/apt.conf" <<-EOF
	Dir::State "$d";
	Dir::State::Lists "$d/lists";
	Dir::State::status "$d/status";
	Dir::Cache "$d/cache";
	Dir::Etc::SourceList "$d/etc/sources.list";
	Dir::Etc::SourceParts "$d/etc/sources.list.d";
	Dir::Etc::Parts "$d/etc/apt.conf.d";
	Dir::Etc::Preferences "$d/etc/preferences";
	Dir::Etc::PreferencesParts "$d/etc/preferences.d";
	APT::Architecture "arm64";
	APT::Architectures { "arm64"; };
	APT::Sandbox::User "root";
	Acquire::Languages "none";
	EOF
	export APT_CONFIG=$d/apt.conf
}

# apt-get update of the configuration private_apt exported, once per run.
private_apt_updated=
private_apt_update() {
	[ -n "$private_apt_updated" ] && return
	log "apt-get update (private lists: ${APT_CONFIG%/apt.conf})"
	apt-get update -qq >/dev/null
	private_apt_updated=1
}

# private_apt_fetch PKG [VERSION]: the arm64 .deb of PKG (the candidate, or
# VERSION) into $DEBS, with the pool's file name; prints that name.
private_apt_fetch() {
	local pkg=$1 ver=${2:-} f e
	f=$(apt-cache show --no-all-versions "$pkg:arm64${ver:+=$ver}" 2>/dev/null |
		sed -n 's|^Filename: .*/||p' | head -1)
	[ -n "$f" ] || return 1
	if [ ! -f "$DEBS/$f" ]; then
		(cd "$DEBS" && apt-get download -qq "$pkg:arm64${ver:+=$ver}" >/dev/null 2>&1) ||
			return 1
		# apt-get names the file with the version's epoch ("1%3a"): the pool's name
		for e in "$DEBS/${pkg}_"*"%3a${f#"${pkg}_"}"; do
			[ ! -f "$e" ] || mv "$e" "$DEBS/$f"
		done
	fi
	[ -f "$DEBS/$f" ] || return 1
	echo "$f"
}
