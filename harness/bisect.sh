#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bisect.sh OUT.tsv - build every commit of the exported series, in order,
# on a copy of the base, as a vendor bisecting it would: after a commit
# that touches the kernel, arch/arm64/kvm/ and virt/kvm/ with W=1 (fast
# config); after one that touches the KVM selftests, the selftests for
# arm64 against the uapi headers of that commit.  One line per commit in
# OUT.tsv: "NN<TAB>PASS|FAIL<TAB>what was built or what failed"; a W=1
# warning in a file the project adds or patches that the base does not
# have is a failure.  Needs build/series/git (harness/series.sh).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:?usage: bisect.sh OUT.tsv}
: >"$out"
g=$BUILD/series/git
base=$(src_dir vanilla)
t=$(src_dir bisect)
obj=$(obj_dir bisect check)	# the depth and flags of checks.sh's W=1 build: ccache hits
logs=$BUILD/checks/bisect
st=$BUILD/bisect/selftests
hdr=$BUILD/bisect/hdr
base_w=${KVMX_BASE_W:?the base W=1 warnings (checks.sh)}
[ -d "$g/.git" ] || die "no exported series in $g: harness/series.sh"
mkdir -p "$logs" "$st" "$hdr"
rm -f "$logs"/*

# A copy of the base, once per base; then every file the series changes
# is put back to the base's.
if [ "$(cat "$t/.kvmx-base" 2>/dev/null)" != "$BASE_SHA256" ]; then
	rm -rf "$t"
	mkdir -p "$t"
	(cd "$base" && find . -mindepth 1 -maxdepth 1 ! -name .kvmx-obj ! -name .pc \
		! -name patches ! -name .kvmx-base -exec cp -a {} "$t/" \;)
	echo "$BASE_SHA256" >"$t/.kvmx-base"
fi
root=$(git -C "$g" rev-list --max-parents=0 HEAD)
mapfile -t commits < <(git -C "$g" rev-list --reverse "$root"..HEAD)
git -C "$g" diff --name-only "$root" HEAD | while read -r f; do
	rm -f "$t/$f"
	[ -f "$base/$f" ] && cp "$base/$f" "$t/$f"
done
own=$(git -C "$g" diff --name-only "$root" HEAD)

mkdir -p "$obj"
cp "$(obj_dir patched fast)/.config" "$obj/.config"
make -C "$t" O="$obj" CROSS_COMPILE="$KCROSS" -s olddefconfig >/dev/null

res() { printf '%s\t%s\t%s\n' "$nn" "$1" "$2" >>"$out"; log "commit $nn: $1 $2"; }
n=0
for c in "${commits[@]}"; do
	n=$((n + 1))
	nn=$(printf '%02d' $n)
	files=$(git -C "$g" diff-tree --no-commit-id --name-only -r "$c")
	l=$logs/$nn.log
	if ! git -C "$g" diff-tree -p --binary "$c" |
		(cd "$t" && patch -p1 -s -f --no-backup-if-mismatch) >"$l" 2>&1; then
		res FAIL "does not apply to the commit before: $l"
		break	# every later commit would fail alike
	fi
	built=()
	if grep -qE '^(arch|include|virt)/' <<<"$files"; then
		if make -C "$t" O="$obj" CROSS_COMPILE="$KCROSS" -j"$JOBS" -s W=1 \
			arch/arm64/kvm/ virt/kvm/ >>"$l" 2>&1; then
			new=$(python3 "$HARNESS/warnings.py" "$t" "$obj" "$l" |
				new_warnings "$base_w" "$own")
			if [ -n "$new" ]; then
				res FAIL "new W=1 warnings: $(head -1 <<<"$new") ($l)"
				continue
			fi
			built+=("arch/arm64/kvm virt/kvm W=1")
		else
			res FAIL "arch/arm64/kvm or virt/kvm does not build: $(grep -m1 -E 'error|Error' "$l") ($l)"
			continue
		fi
	fi
	if grep -q '^tools/testing/selftests/kvm/' <<<"$files"; then
		if make -C "$t" O="$obj" -s headers_install INSTALL_HDR_PATH="$hdr" >>"$l" 2>&1 &&
		   make -C "$t/tools/testing/selftests/kvm" -s -j"$JOBS" ARCH=arm64 \
			CROSS_COMPILE="$CROSS" CC="${KCROSS}gcc" EXTRA_CFLAGS=-static \
			KHDR_INCLUDES="-isystem $hdr/include" OUTPUT="$st" >>"$l" 2>&1; then
			built+=("KVM selftests")
		else
			res FAIL "the KVM selftests do not build: $(grep -m1 -E 'error|Error' "$l") ($l)"
			continue
		fi
	fi
	[ ${#built[@]} = 0 ] && built=("nothing to build: $(head -1 <<<"$files")")
	res PASS "$(IFS=,; echo "${built[*]}")"
done
