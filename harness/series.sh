#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# series.sh [--verify] - export the project as a git am-able series.
#
# Each quilt patch in patches/ becomes one commit; the new files a patch
# brings are listed in patches/new-files ("<patch> <path>" per line) and are
# added by that commit.  A new file that grows with later patches has a
# line "<patch> <path> <diff>" for each of them: patches/grow/<diff> is what
# that patch adds to the file (a diff of the file alone), and the file the
# first patch adds is the final one with those diffs taken back; every
# step of the series is complete and builds (harness/bisect.sh).  The
# result, with a cover letter from patches/cover-letter, lands in
# build/series/.  With --verify, the series is applied with git am to the
# pristine base files and every file it touches is compared with the
# patched tree the tests build: the series is exactly what was tested.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

verify=0
[ "${1:-}" = --verify ] && verify=1
P=$KVMX_TOP/patches
base=$(src_dir vanilla)
out=$BUILD/series
[ -f "$base/.kvmx-base" ] || die "no pristine base: harness/prepare.sh vanilla"
rm -rf "$out"
mkdir -p "$out"

mapfile -t series < <(grep -v '^[[:space:]]*\(#\|$\)' "$P/series" | awk '{print $1}')
mapfile -t newfiles < <(cd "$KVMX_TOP" && git ls-files -co --exclude-standard -- \
	arch include tools Documentation virt)
map=$P/new-files
[ -f "$map" ] || : >"$map"
errors=0
for f in "${newfiles[@]}"; do
	n=$(awk -v f="$f" '$2 == f && NF == 2' "$map" | wc -l)
	[ "$n" = 1 ] || { log "patches/new-files: $f is added $n times (want 1)"; errors=1; }
done
while read -r p f d; do
	case "$p" in ''|'#'*) continue ;; esac
	printf '%s\n' "${series[@]}" | grep -qxF "$p" ||
		{ log "patches/new-files: $p is not in patches/series"; errors=1; }
	[ -f "$KVMX_TOP/$f" ] || { log "patches/new-files: no file $f"; errors=1; }
	[ -z "$d" ] || [ -f "$P/grow/$d" ] || { log "patches/new-files: no patches/grow/$d"; errors=1; }
done <"$map"
[ $errors = 0 ] || die "patches/new-files does not match the tree"

# The stages of the files that grow: stage/<patch>/<path> is the file as
# <patch> leaves it, from the final file back, one grow diff at a time.
stage=$out/stages
rm -rf "$stage"
grown=$(awk 'NF == 3 {print $2}' "$map" | sort -u)
for f in $grown; do
	cur=$(mktemp)
	cp "$KVMX_TOP/$f" "$cur"
	for ((i = ${#series[@]} - 1; i >= 0; i--)); do
		p=${series[$i]}
		d=$(awk -v p="$p" -v f="$f" '$1 == p && $2 == f && NF == 3 {print $3}' "$map")
		a=$(awk -v p="$p" -v f="$f" '$1 == p && $2 == f && NF == 2' "$map")
		if [ -n "$d" ] || [ -n "$a" ]; then
			mkdir -p "$stage/$p/$(dirname "$f")"
			cp "$cur" "$stage/$p/$f"
		fi
		[ -n "$d" ] || continue
		patch -s -R -f --no-backup-if-mismatch "$cur" "$P/grow/$d" >/dev/null ||
			die "patches/grow/$d does not take back from $f as $p leaves it"
	done
	rm -f "$cur"
done

# Files the series touches, taken from the pristine base.
touched=$(for p in "${series[@]}"; do sed -n 's|^+++ b/\([^\t]*\).*|\1|p; s|^--- a/\([^\t]*\).*|\1|p' "$P/$p"; done | sort -u)

mkbase() {	# DIR: a git repo holding the touched base files
	git init -q "$1"
	(cd "$base" && printf '%s\n' $touched | while read -r f; do
		[ -f "$f" ] && cp --parents "$f" "$1/"; done)
	git -C "$1" add -A
	git -C "$1" -c user.name=base -c user.email=base@localhost \
		commit -q --allow-empty -m "Linux $BASE_VERSION ($BASE_PKG)"
}

g=$out/git
mkbase "$g"
for p in "${series[@]}"; do
	hdr=$(sed '/^---$/q' "$P/$p" | sed '$d')
	from=$(printf '%s\n' "$hdr" | sed -n 's/^From: //p' | head -1)
	subj=$(printf '%s\n' "$hdr" | sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\?//p' | head -1)
	body=$(printf '%s\n' "$hdr" | sed '1,/^$/d')
	[ -n "$from" ] && [ -n "$subj" ] || die "$p: header needs From: and Subject:"
	git -C "$g" apply --index "$P/$p" || die "$p does not apply to the base"
	awk -v p="$p" '$1 == p {print $2}' "$map" | while read -r f; do
		mkdir -p "$g/$(dirname "$f")"
		if [ -f "$stage/$p/$f" ]; then
			cp "$stage/$p/$f" "$g/$f"
		else
			cp "$KVMX_TOP/$f" "$g/$f"
		fi
		git -C "$g" add "$f"
	done
	printf '%s\n\n%s\n' "$subj" "$body" |
		git -C "$g" -c user.name="${from% <*}" -c user.email="$(echo "$from" | sed 's/.*<\(.*\)>.*/\1/')" \
			commit -q --author="$from" -F -
done
n=${#series[@]}
git -C "$g" format-patch -q --cover-letter --base=HEAD~"$n" -o "$out/patches" HEAD~"$n"..HEAD 2>/dev/null ||
	git -C "$g" format-patch -q --cover-letter -o "$out/patches" HEAD~"$n"..HEAD
cover=$(ls "$out"/patches/0000-*.patch)
csubj=$(head -1 "$P/cover-letter")
cbody=$(tail -n +3 "$P/cover-letter"; echo; echo "Base: $BASE_PKG $BASE_VERSION (sha256 $BASE_SHA256).")
python3 - "$cover" "$csubj" "$cbody" <<'PY'
import sys
path, subj, body = sys.argv[1:4]
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', subj).replace('*** BLURB HERE ***', body)
open(path, 'w').write(text)
PY
log "series: $n patches and a cover letter in $out/patches"

[ $verify = 1 ] || exit 0
v=$out/verify
mkbase "$v"
mapfile -t mails < <(ls "$out"/patches/0*.patch | grep -v '/0000-')
git -C "$v" -c user.name=v -c user.email=v@localhost am -q "${mails[@]}" ||
	die "the exported series does not git am onto the base"
patched=$(src_dir patched)
bad=0
for f in $touched $(awk '{print $2}' "$map" | sort -u); do
	cmp -s "$v/$f" "$patched/$f" || { log "differs from the tested tree: $f"; bad=1; }
done
[ $bad = 0 ] || die "the exported series is not the tested tree"
log "series verified: git am onto $BASE_VERSION gives the tested tree"
