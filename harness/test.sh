#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test.sh - the whole test command: install, prepare, build, check, boot the
# matrix, report.  Ends with "N passed, N failed, N skipped"; exits non-zero
# on any failure.
#
# Knobs (environment):
#   KVMX_RUNS   runs to boot (default: all of the matrix below)
#   KVMX_TESTS  extended regex: only the tests whose name matches
#   KVMX_NO_CHECKS=1  skip the static checks (developer loop)
#   KVMX_LANES=2  boot the runs in two lanes (see below)
#   KVMX_VANILLA=all  run every upstream test on vanilla, not only those
#               that failed on the patched twin (a complete results table)
#   KVMX_REAL_VMM=0  leave out the real-VMM tests (tests/real-vmm.list)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# run tree config mode(kernel args)
MATRIX="patched-vhe patched fast vhe
patched-nvhe patched fast nvhe
vanilla-vhe vanilla fast vhe
vanilla-nvhe vanilla fast nvhe
debug-vhe patched debug vhe
64k-vhe patched 64k vhe
vanilla-64k-vhe vanilla 64k vhe
64k-nvhe patched 64k nvhe
vanilla-64k-nvhe vanilla 64k nvhe
patched-protected patched fast protected
vanilla-protected vanilla fast protected"
# Every run of the matrix is in the default runs (KVMX_RUNS picks some).
RUNS=${KVMX_RUNS:-$(echo "$MATRIX" | awk '{print $1}' | xargs)}
DEBUG_SCALE=${KVMX_DEBUG_SCALE:-4}
# The debug and 64K kernels run the upstream arm64 tests (DEBUG_TESTS
# picks them from upstream.list) and all of the project's tests but for
# the 4096-vCPU ("-max") ones, which the fast runs cover: KASAN and lockdep
# under TCG would take most of CI's time on them, and 4096 vCPUs with 64K
# pages more than the nested host's memory.  The protected runs (the fast
# kernels, booted with kvm-arm.mode=protected) run the same upstream
# tests and all of the project's, the 4096-vCPU ones included (pKVM keeps
# a table of each VM's vCPUs), but for PROTECTED_SKIP: in 6.12 protected
# mode every VM gets the host's IPA size whatever KVM_CREATE_VM asks
# (kvm_init_stage2_mmu(): phys_shift = kvm_ipa_limit), and those tests
# create VMs of chosen sizes and check addresses against them (a 53-bit VM
# is created, KVM_CAP_ARM_VM_IPA_BITS reads 52 for a 48-bit one);
# arch_timer_edge_cases fails all three attempts on both kernels there,
# at a different timing assertion each time.
PROTECTED_SKIP=${KVMX_PROTECTED_SKIP:-'^(aarch64/arch_timer_edge_cases|vgic_rdist_regions|ipa_limits|arm_ext_fuzz|arm_ext_fuzz-seed42)$'}
DEBUG_TESTS=${KVMX_DEBUG_TESTS:-'^aarch64/'}
DEBUG_SKIP=${KVMX_DEBUG_SKIP:-'-max$'}
# The four slowest upstream tests run in VHE mode only: they exercise
# generic KVM (memslots, dirty logging, rseq) and the same stage-2 code in
# both modes, and in nVHE they would add 13 minutes to every run.
NVHE_SKIP=${KVMX_NVHE_SKIP:-'^(memslot_perf_test|dirty_log_test|dirty_log_perf_test|rseq_test)$'}
# A vanilla run is there to tell a regression from a test that fails on
# 6.12 as well, so it runs the upstream tests that did not pass or skip on
# its patched twin (same config and mode, booted before it), and all of the
# project's tests (which must skip there).  That halves the matrix's time.
VANILLA=${KVMX_VANILLA:-failed}
# The RCU stall detector of the nested host waits 60 s, not 21: TCG runs it
# some 50 times slower than hardware, and upstream's stage-2 unmap of a
# memslot (dirty_log_test) reschedules only between 1 GiB chunks, one of
# which took over 21 s of wall time on a busy machine, on vanilla 6.12 as
# well.  A real stall (a loop that never yields) still trips it.
STALL_ARGS=${KVMX_STALL_ARGS:-rcupdate.rcu_cpu_stall_timeout=60}
# The real-VMM tests (harness/tests/real-vmm.list: Debian's QEMU boots a
# Linux guest in the nested host) run in the fast VHE and nVHE runs (a
# vanilla run, as for upstream tests, takes those that failed on its
# patched twin: a boot of 512 vCPUs costs minutes); REAL_VMM_NVHE_SKIP names those nVHE runs leave out: the 512-vCPU
# save and restore, some six minutes (QEMU sets up 512 vCPUs twice), to keep
# the test time down; nVHE runs still boot 124 vCPUs (both redistributor
# regions) and reset a VM.
REAL_VMM=${KVMX_REAL_VMM:-1}
REAL_VMM_NVHE_SKIP=${KVMX_REAL_VMM_NVHE_SKIP:-'^(real-vmm-512|qemu-ext-700)'}
# The project's QEMU (vmm/qemu, harness/qemu.sh) with the same guest
# (harness/tests/qemu-ext.list) runs with the real-VMM tests, in full on
# vanilla too: there each case checks that what needs the extension is
# refused with a clear message, or skips, and that the rest is unchanged.
QEMU_EXT=${KVMX_QEMU_EXT:-1}
# The VHE runs add tests/qemu-ext-4096.list (4096 vCPUs: about 160 s on
# the patched kernel, a refusal on vanilla); KVMX_QEMU_4096=0 leaves it out.
QEMU_4096=${KVMX_QEMU_4096:-1}
# The debug run's nested host has 4 CPUs (KVMX_DEBUG_SMP), so that the
# race tests' threads really run at once under KASAN and lockdep; the
# others have 2 (KVMX_SMP, default of boot.sh).
DEBUG_SMP=${KVMX_DEBUG_SMP:-4}

# twin_failed RUN FILE: write to FILE the upstream tests that failed on the
# patched twin of vanilla run RUN (the patched run of the same config and
# host mode); false (FILE untouched) when that twin did not run.
twin_failed() {
	local twin
	twin=$(echo "$MATRIX" | awk -v r="$1" '$1 == r {c = $3; m = $4}
		$2 == "patched" {p[$3 " " $4] = $1} END {print p[c " " m]}')
	[ -n "$twin" ] && [ -f "$out/$twin.log" ] || return 1
	grep -E '^not ok ' "$out/$twin.log" | awk '{print $5}' >"$2"
}

t_start=$(date +%s)
mkdir -p "$BUILD"
: >"$BUILD/timings"
out=$BUILD/results
rm -rf "$out"
mkdir -p "$out"
fail() { log "$*"; echo "0 passed, 1 failed"; exit 1; }

phase deps "$HARNESS/deps.sh" || fail "installing the dependencies failed"
phase prepare-vanilla "$HARNESS/prepare.sh" vanilla || fail "preparing the base failed"
phase prepare-patched "$HARNESS/prepare.sh" patched || fail "applying the project failed (see above)"

needs() {	# tree config: is it used by a selected run?
	for r in $RUNS; do
		echo "$MATRIX" | awk -v r="$r" -v t="$1" -v c="$2" \
			'$1 == r && $2 == t && $3 == c {f=1} END {exit !f}' && return 0
	done
	return 1
}
phase kernel-vanilla-fast "$HARNESS/build-kernel.sh" vanilla fast ||
	fail "building the vanilla kernel failed"
phase kernel-patched-fast "$HARNESS/build-kernel.sh" patched fast ||
	fail "building the patched kernel failed"
for tc in "patched debug" "patched 64k" "vanilla 64k"; do
	read -r t c <<<"$tc"
	needs "$t" "$c" || continue
	phase "kernel-$t-$c" "$HARNESS/build-kernel.sh" "$t" "$c" ||
		fail "building the $t $c kernel failed"
done
phase selftests-vanilla "$HARNESS/build-selftests.sh" vanilla ||
	fail "building the vanilla selftests failed"
phase selftests-patched "$HARNESS/build-selftests.sh" patched ||
	fail "building the patched selftests failed"
if [ "$REAL_VMM" = 1 ] && { needs patched fast || needs vanilla fast; }; then
	phase real-vmm-parts "$HARNESS/build-l2.sh" ||
		fail "fetching QEMU or building the L2 guest failed"
	if [ "$QEMU_EXT" = 1 ]; then
		phase qemu-ext "$HARNESS/qemu.sh" || fail "building the project's QEMU failed"
	fi
fi

if [ "${KVMX_NO_CHECKS:-0}" != 1 ]; then
	phase static-checks "$HARNESS/checks.sh" "$out/checks.tsv"
fi

# boot_run RUN: make RUN's list and initramfs, boot it, and record it in
# $out/RUN.run (a line of runs.tsv) whatever happens, so that the report
# sees a run that did not boot.
boot_run() {
	local run tree cfg mode list scale only limit args smp
	read -r run tree cfg mode < <(echo "$MATRIX" | awk -v r="$1" '$1 == r')
	[ -n "${run:-}" ] || { log "no run $1 in the matrix"; return 1; }
	printf '%s %s %s %s %s\n' "$run" "$tree" "$cfg" "$mode" "$out/$run.log" >"$out/$run.run"
	list=$out/$run.list
	scale=1
	[ "$cfg" = debug ] && scale=$DEBUG_SCALE
	only=
	[ "$tree" = vanilla ] && [ "$VANILLA" != all ] &&
		twin_failed "$run" "$out/$run.needed" && only=$out/$run.needed
	{
		sed "s|@TREE@|$tree|" "$HARNESS/tests/upstream.list" |
			{ if [ "$cfg" != fast ] || [ "$mode" = protected ]; then
				awk -v re="$DEBUG_TESTS" '$2 ~ re'; else cat; fi } |
			{ if [ -n "$only" ]; then awk 'NR == FNR {f[$1]; next} $2 in f' "$only" -; else cat; fi }
		cat "$HARNESS/tests/project.list"
		if [ "$REAL_VMM" = 1 ] && [ "$cfg" = fast ] && [ "$mode" != protected ]; then
			{ if [ -n "$only" ]; then
				awk 'NR == FNR {f[$1]; next} $2 in f' "$only" -; else cat; fi; } \
				<"$HARNESS/tests/real-vmm.list"
			if [ "$QEMU_EXT" = 1 ]; then
				cat "$HARNESS/tests/qemu-ext.list"
				[ "$QEMU_4096" != 1 ] || [ "$mode" != vhe ] ||
					cat "$HARNESS/tests/qemu-ext-4096.list"
			fi
		fi
	} | grep -v '^[[:space:]]*\(#\|$\)' |
		awk -v s=$scale '{ split($1, t, "x"); $1 = t[1] * s (t[2] ? "x" t[2] : ""); print }' |
		{ if [ "$cfg" = debug ] || [ "$cfg" = 64k ]; then awk -v skip="$DEBUG_SKIP" '$2 !~ skip'; else cat; fi } |
		{ if [ "$mode" != vhe ]; then awk -v skip="$NVHE_SKIP" '$2 !~ skip'; else cat; fi } |
		{ if [ "$mode" = nvhe ]; then awk -v skip="$REAL_VMM_NVHE_SKIP" '$2 !~ skip'; else cat; fi } |
		{ if [ "$mode" = protected ]; then awk -v skip="$PROTECTED_SKIP" '$2 !~ skip'; else cat; fi } |
		{ if [ -n "${KVMX_TESTS:-}" ]; then awk -v re="$KVMX_TESTS" '$2 ~ re'; else cat; fi } >"$list"
	limit=$(awk '{ split($1, t, "x"); t[2] = t[2] ? t[2] : 1; s += t[1] * t[2] } END { print s + 180 }' "$list")
	args=$STALL_ARGS
	[ "$mode" = vhe ] || args="$args kvm-arm.mode=$mode"
	"$HARNESS/mkinitrd.sh" "$list" "$out/$run.cpio" || { log "initramfs for $run failed"; return 1; }
	smp=${KVMX_SMP:-2}
	[ "$cfg" = debug ] && smp=$DEBUG_SMP
	KVMX_SMP=$smp phase "boot-$run ($(wc -l <"$list") tests)" "$HARNESS/boot.sh" \
		"$(obj_dir "$tree" "$cfg")/arch/arm64/boot/Image" "$out/$run.cpio" \
		"$out/$run.log" "$limit" $args
	grep -E '^(not )?ok ' "$out/$run.log" | sed "s/^/  [$run] /" >&2
	rm -f "$out/$run.cpio"
}

lane() { local r; for r in "$@"; do boot_run "$r"; done; }
runs_in_mode() { local r; for r in $RUNS; do echo "$MATRIX" | awk -v r="$r" -v m="$1" '$1 == r && $4 == m {print r}'; done; }

# KVMX_LANES=2 boots the runs in two lanes, one per host mode, side by
# side (a vanilla run follows its patched twin in its lane).  A nested host
# keeps about one core busy most of the time, but tests whose host and
# guest threads hand over by spinning (memslot_perf_test) crawl when two
# QEMUs share the two cores: past 800 s instead of 280.  So one lane is
# the default.
if [ "${KVMX_LANES:-1}" = 1 ]; then
	lane $RUNS
else
	lane $(runs_in_mode vhe) &
	lane $(runs_in_mode nvhe) $(runs_in_mode protected) &
	wait
fi
for r in $RUNS; do
	[ ! -f "$out/$r.run" ] || cat "$out/$r.run"
done >"$out/runs.tsv"

printf '%-40s %5ds\n' total $(($(date +%s) - t_start)) >>"$BUILD/timings"
cp "$BUILD/timings" "$out/timings"
log "timings:"
sed 's/^/  /' "$BUILD/timings" >&2
python3 "$HARNESS/report.py" "$out"
