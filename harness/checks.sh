#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# checks.sh OUT.tsv - the static checks, one verdict line each
# ("name<TAB>PASS|FAIL<TAB>detail"):
#  - series: the exported series applies with git am to the base and gives
#    exactly the tested tree;
#  - w1-sparse: arch/arm64/kvm and virt/kvm built with W=1 C=2; no warning
#    in a file the project adds, none in a file it patches that the same
#    build of the base does not give too;
#  - maintainers: every file the series adds is covered by the KVM or
#    KVM/arm64 MAINTAINERS entry (the series adds none of its own);
#  - commit-NN, one per commit of that series: it builds on the commits
#    before it (harness/bisect.sh: the KVM objects with W=1, the KVM
#    selftests, as the commit touches them) and checkpatch.pl --strict
#    finds nothing in it;
#  - qemu-NN, one per patch of the QEMU series (vmm/qemu/patches): QEMU's
#    own scripts/checkpatch.pl finds nothing in it (but a new header under
#    linux-headers/, which QEMU's MAINTAINERS covers by directory but
#    checkpatch asks about all the same).  That the series applies without
#    fuzz and builds is harness/qemu.sh's part.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:?usage: checks.sh OUT.tsv}
: >"$out"
res() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$out"; log "check $1: $2 $3"; }
logs=$BUILD/checks
mkdir -p "$logs"

if "$HARNESS/series.sh" --verify >"$logs/series.log" 2>&1; then
	res series PASS "$(ls "$BUILD"/series/patches/0*.patch | grep -vc /0000-) patches"
else
	res series FAIL "$(tail -3 "$logs/series.log" | tr '\n' ' ')"
fi

# checkpatch's SPDX check (scripts/spdxcheck.py) runs only in a git work
# tree, and reads the licenses from its HEAD commit: checkpatch gets as its
# root a copy of the base made of symbolic links, with LICENSES committed,
# and Debian's python3 (which has python3-ply and python3-git).  The base
# is a tarball without history: a Fixes: tag's commit id cannot be looked
# up there (UNKNOWN_COMMIT_ID); its form and subject are still checked.
spdx=$BUILD/spdx
if [ ! -f "$spdx/.kvmx-ok" ]; then
	rm -rf "$spdx"
	mkdir -p "$spdx/bin"
	for f in "$(src_dir vanilla)"/*; do
		[ "$(basename "$f")" = LICENSES ] || ln -s "$f" "$spdx/"
	done
	cp -r "$(src_dir vanilla)/LICENSES" "$spdx/"
	ln -s /usr/bin/python3 "$spdx/bin/python3"
	git -C "$spdx" init -q && git -C "$spdx" add LICENSES &&
		git -C "$spdx" -c user.name=kvmx -c user.email=kvmx@localhost \
			commit -qm "the base's LICENSES" && touch "$spdx/.kvmx-ok"
fi

# The base is a source package without git history, so checkpatch cannot
# look up the commit a Fixes: tag names (UNKNOWN_COMMIT_ID: "Unknown commit
# id"); the tag's form is still checked.
# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") is asked of every
# commit that adds a file.  The series adds no MAINTAINERS entry: the KVM
# and KVM/arm64 entries cover its files.  That is checked instead, below:
# get_maintainer.pl must name a KVM list for every file the series adds.
declare -A cp_ok
for m in "$BUILD"/series/patches/0*.patch; do
	case $m in */0000-*) continue ;; esac
	cl=$logs/checkpatch-$(basename "$m").log
	if (cd "$spdx" && PATH=$spdx/bin:$PATH perl scripts/checkpatch.pl --strict \
		--no-signoff --ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES --root="$spdx" \
		--summary-file --no-color "$m") >"$cl" 2>&1 && ! grep -q 'CHECK\|WARNING' "$cl"; then
		cp_ok[$m]=1
	else
		sed 's/^/  /' "$cl" >&2
	fi
done
# (a one-line patch adding the file: -f wants the file in the tree)
uncovered=$(cd "$KVMX_TOP" && awk 'NF == 2 {print $2}' patches/new-files | sort -u |
	while read -r f; do
		printf -- '--- /dev/null\n+++ b/%s\n@@ -0,0 +1 @@\n+\n' "$f" >"$logs/new-file.patch"
		(cd "$spdx" && perl scripts/get_maintainer.pl --no-git --no-git-fallback \
			--no-rolestats "$logs/new-file.patch" 2>/dev/null) |
			grep -qE 'kvm@vger\.kernel\.org|kvmarm@lists\.linux\.dev' || echo "$f"
	done)
if [ -z "$uncovered" ]; then
	res maintainers PASS "every new file falls under the KVM or KVM/arm64 MAINTAINERS entry"
else
	res maintainers FAIL "no KVM MAINTAINERS entry covers: $(echo $uncovered)"
fi

# W=1 and sparse over the KVM objects, patched and base.
warnings() {	# TREE -> "file: message" lines, no line numbers
	local src obj
	src=$(src_dir "$1")
	obj=$src/.kvmx-obj/check
	mkdir -p "$obj"
	cp "$(obj_dir "$1" fast)/.config" "$obj/.config"
	make -C "$src" O="$obj" CROSS_COMPILE="$KCROSS" -s olddefconfig >/dev/null
	find "$obj/arch/arm64/kvm" "$obj/virt/kvm" -name '*.o' -delete 2>/dev/null
	make -C "$src" O="$obj" CROSS_COMPILE="$KCROSS" -j"$JOBS" -s W=1 C=2 \
		arch/arm64/kvm/ virt/kvm/ >"$logs/w1-$1.log" 2>&1
	python3 "$HARNESS/warnings.py" "$src" "$obj" "$logs/w1-$1.log"
}
# The base's warnings never change: computed once per base and parser.
base_w=$BUILD/checks/w1-vanilla-$BASE_VERSION-$(sha256sum "$HARNESS/warnings.py" | cut -c1-12).txt
[ -f "$base_w.done" ] || { warnings vanilla >"$base_w" && echo 1 >"$base_w.done"; }
warnings patched >"$logs/w1-patched.txt"
own=$( (cd "$KVMX_TOP" && git ls-files -co --exclude-standard -- arch include virt
	sed -n 's|^+++ b/\([^\t]*\).*|\1|p' patches/*.patch 2>/dev/null) | sort -u)
new=$(new_warnings "$base_w" "$own" <"$logs/w1-patched.txt")
if [ ! -f "$(src_dir patched)/.kvmx-obj/check/arch/arm64/kvm/built-in.a" ]; then
	res w1-sparse FAIL "the W=1 C=2 build failed: $logs/w1-patched.log"
elif [ -n "$new" ]; then
	printf '%s\n' "$new" | sed 's/^/  /' >&2
	res w1-sparse FAIL "$(printf '%s\n' "$new" | wc -l) new W=1/sparse warnings in the project's code"
else
	res w1-sparse PASS "no new W=1/sparse warning ($(wc -l <"$base_w") in the base, all upstream)"
fi

# Every commit of the series builds on the ones before it, and is
# checkpatch clean: one verdict per commit.
KVMX_BASE_W=$base_w "$HARNESS/bisect.sh" "$logs/bisect.tsv" >"$logs/bisect.log" 2>&1
n=0
for m in "$BUILD"/series/patches/0*.patch; do
	case $m in */0000-*) continue ;; esac
	n=$((n + 1))
	nn=$(printf '%02d' $n)
	subj=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$m" | head -1 | cut -c1-60)
	b=$(awk -F'\t' -v n="$nn" '$1 == n' "$logs/bisect.tsv")
	bv=$(cut -f2 <<<"$b")
	bd=$(cut -f3 <<<"$b")
	cp=${cp_ok[$m]:+checkpatch clean}
	if [ "$bv" = PASS ] && [ -n "$cp" ]; then
		res "commit-$nn" PASS "$subj: builds ($bd), $cp"
	else
		res "commit-$nn" FAIL "$subj: ${bd:-not built (see $logs/bisect.log)}; ${cp:-checkpatch findings: $logs/checkpatch-$(basename "$m").log}"
	fi
done
[ $n -gt 0 ] || res commits FAIL "no exported series (see $logs/series.log)"

# The QEMU series, with the checkpatch of the QEMU tree harness/qemu.sh
# unpacked (Debian's source, the series applied).
qsrc=$BUILD/qemu/src
if [ ! -f "$qsrc/scripts/checkpatch.pl" ]; then
	res qemu-series FAIL "no QEMU tree in $qsrc to check the series with (harness/qemu.sh)"
else
	n=0
	for p in $(grep -v '^[[:space:]]*\(#\|$\)' "$KVMX_TOP/vmm/qemu/patches/series"); do
		n=$((n + 1))
		nn=$(printf '%02d' $n)
		pf=$KVMX_TOP/vmm/qemu/patches/$p
		cl=$logs/qemu-checkpatch-$p.log
		(cd "$qsrc" && perl scripts/checkpatch.pl --no-color "$pf") >"$cl" 2>&1
		# the files the patch adds outside linux-headers/
		added=$(awk '/^diff --git / {f = substr($4, 3)} /^new file mode/ {print f}' "$pf" |
			grep -v '^linux-headers/')
		found=$(grep -E '^(ERROR|WARNING):' "$cl" |
			{ if [ -z "$added" ]; then grep -v 'does MAINTAINERS need updating'; else cat; fi })
		subj=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$pf" | head -1 | cut -c1-60)
		if [ -z "$found" ] && grep -q '^total: 0 errors' "$cl"; then
			res "qemu-$nn" PASS "$subj: QEMU's checkpatch clean"
		else
			res "qemu-$nn" FAIL "$subj: $(echo $found | cut -c1-200) ($cl)"
		fi
	done
	[ $n -gt 0 ] || res qemu-series FAIL "vmm/qemu/patches/series lists no patch"
fi
