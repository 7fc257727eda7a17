#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# prepare.sh TREE - lay out build/src/TREE from the base.
#   vanilla: the base alone.
#   patched: the base, the quilt series in patches/ (applied with quilt, so
#            "quilt refresh" in the tree writes back into the repo), and the
#            project's new files (arch/ include/ tools/ Documentation/)
#            linked in at their kernel paths, so edits need no re-prepare.
# Re-running it is cheap: the tree is unpacked once per base, the series is
# popped and pushed again, and only changed files get new mtimes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: prepare.sh vanilla|patched}
dir=$(src_dir "$tree")
stamp="$BASE_VERSION $BASE_SHA256"

[ -f "$BASE_TARBALL" ] || die "no $BASE_TARBALL: run harness/deps.sh"

# The patches applied to a tree must be a prefix of the series; a series
# reordered or edited under an applied tree cannot be popped reliably, so
# such a tree is unpacked afresh (its objects are kept: builds stay
# incremental).
if [ -s "$dir/.pc/applied-patches" ] &&
   ! grep -v '^[[:space:]]*\(#\|$\)' "$KVMX_TOP/patches/series" | awk '{print $1}' |
	head -n "$(wc -l <"$dir/.pc/applied-patches")" | cmp -s - "$dir/.pc/applied-patches"; then
	log "the series changed under $dir: unpacking it again"
	rm -f "$dir/.kvmx-base"
fi
if [ "$(cat "$dir/.kvmx-base" 2>/dev/null)" != "$stamp" ]; then
	log "unpacking $BASE_PKG $BASE_VERSION into $dir"
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xJf "$BASE_TARBALL" -C "$dir.tmp"
	# tar restores the base's old mtimes: files an earlier series patched
	# must look new, or their objects (built patched) would be kept.
	if [ -d "$dir/.pc" ]; then
		(cd "$dir/.pc" && find . -mindepth 2 -type f ! -name '.*' | cut -d/ -f3-) |
			sort -u >"$dir.tmp/was-patched"
	fi
	[ -d "$dir/.kvmx-obj" ] && mv "$dir/.kvmx-obj" "$dir.tmp/$BASE_DIR/"
	rm -rf "$dir"
	mv "$dir.tmp/$BASE_DIR" "$dir"
	if [ -f "$dir.tmp/was-patched" ]; then
		(cd "$dir" && xargs -r -d '\n' touch -c <"$dir.tmp/was-patched")
	fi
	rm -rf "$dir.tmp"
	echo "$stamp" >"$dir/.kvmx-base"
fi
[ "$tree" = vanilla ] && exit 0

cd "$dir"
# The project's new files: links, recreated each time.
if [ -f .kvmx-links ]; then
	xargs -r -d '\n' rm -f <.kvmx-links
fi
: >.kvmx-links

# The series.
ln -sfn "$KVMX_TOP/patches" patches
export QUILTRC=$HARNESS/quiltrc QUILT_PATCHES=patches QUILT_PC=.pc
if [ -s .pc/applied-patches ]; then
	quilt pop -a -f -q >/dev/null || die "cannot pop the series in $dir"
fi
if [ -s patches/series ]; then
	if ! out=$(quilt push -a -q 2>&1); then
		printf '%s\n' "$out" >&2
		die "the series in patches/ does not apply to $BASE_VERSION"
	fi
fi

(cd "$KVMX_TOP" && git ls-files -co --exclude-standard -- arch include tools Documentation virt) |
while read -r f; do
	[ -f "$KVMX_TOP/$f" ] || continue
	if [ -e "$f" ] && [ ! -L "$f" ]; then
		die "$f exists in the base: change it with a patch, not a new file"
	fi
	mkdir -p "$(dirname "$f")"
	ln -sfn "$KVMX_TOP/$f" "$f"
	echo "$f" >>.kvmx-links
done
log "patched tree ready: $(quilt applied 2>/dev/null | wc -l) patches, $(wc -l <.kvmx-links) new files"
