#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh - GICv3 VM scaling, patched against vanilla in the same run.
#
# One nested-host session per kernel (fast config, VHE) runs vgic_v3_scale
# (three redistributor regions) at 64, 128, 256 and 512 vCPUs on both
# kernels, and 1024, 2048, 4096 on the patched one, each under
# /kvmx/probe counting kvm_io_bus_register_dev() calls.  Prints, per
# size, vCPU creation, vgic setup, first run of every vCPU, memory taken
# (MemAvailable before VM creation minus after the run: kernel and the
# test's guest memory; and the kernel's part alone: free memory gone less
# anonymous and page-cache growth) and MMIO-bus registrations, with patched/vanilla
# ratios; writes build/bench/bench.md and build/bench/bench.png.
# The same sessions measure, in the guest, the cost of a targeted SGI (to
# the last vCPU and to random ones) at 64 and 512 vCPUs on both kernels
# and 4096 on the patched one, with KVM's default topology and a sparse
# one (mpidr_topology -b); and, on the patched kernel, the cost of a
# refused PSCI CPU_ON (parked vCPU, in the kernel, against the SMCCC filter
# forwarding it to the VMM) and the hot-add latency (vcpu_hotplug -b).
# Migration: vm_move_scale saves a whole VM (GIC distributor,
# redistributors, CPU interfaces, ITS; vCPU registers) and restores it into
# a new one, at 64 and 512 vCPUs on both kernels and 1024, 2048, 4096 on
# the patched one; build/bench/migration.png plots the cost per vCPU.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SIZES_BOTH=${KVMX_BENCH_BOTH:-"64 128 256 512"}
SIZES_PATCHED=${KVMX_BENCH_PATCHED:-"1024 2048 4096"}
SGI_BOTH=${KVMX_BENCH_SGI_BOTH:-"64 512"}
SGI_PATCHED=${KVMX_BENCH_SGI_PATCHED:-"4096"}
MOVE_BOTH=${KVMX_BENCH_MOVE_BOTH:-"64 512"}
MOVE_PATCHED=${KVMX_BENCH_MOVE_PATCHED:-"1024 2048 4096"}
REPS=${KVMX_BENCH_REPS:-3}	# each size this many times, the median reported
out=$BUILD/bench
mkdir -p "$out"
: >"$BUILD/timings"

phase deps "$HARNESS/deps.sh"
for t in vanilla patched; do
	phase "prepare-$t" "$HARNESS/prepare.sh" $t
	phase "kernel-$t-fast" "$HARNESS/build-kernel.sh" $t fast
done
phase selftests-vanilla "$HARNESS/build-selftests.sh" vanilla
phase selftests-patched "$HARNESS/build-selftests.sh" patched

for t in vanilla patched; do
	sizes=$SIZES_BOTH
	[ $t = patched ] && sizes="$sizes $SIZES_PATCHED"
	: >"$out/$t.list"
	sgi_sizes=$SGI_BOTH
	[ $t = patched ] && sgi_sizes="$sgi_sizes $SGI_PATCHED"
	move_sizes=$MOVE_BOTH
	[ $t = patched ] && move_sizes="$move_sizes $MOVE_PATCHED"
	for r in $(seq "$REPS"); do
		for n in $move_sizes; do
			echo "900 move-$n.$r patched/aarch64/vm_move_scale -n $n" >>"$out/$t.list"
		done
		for n in $sizes; do
			echo "900 bench-$n.$r /kvmx/probe kvm_io_bus_register_dev patched/aarch64/vgic_v3_scale -n $n" >>"$out/$t.list"
		done
		[ $t = patched ] && echo "300 hotplug.$r patched/aarch64/vcpu_hotplug -b" >>"$out/$t.list"
		for n in $sgi_sizes; do
			for topo in default sparse; do
				echo "300 sgi-$n-$topo.$r patched/aarch64/mpidr_topology -b -n $n -t $topo" >>"$out/$t.list"
			done
		done
	done
	"$HARNESS/mkinitrd.sh" "$out/$t.list" "$out/$t.cpio"
	phase "bench-$t" "$HARNESS/boot.sh" "$(obj_dir $t fast)/arch/arm64/boot/Image" \
		"$out/$t.cpio" "$out/$t.log" "$(awk '{ t += $1 } END { print t + 120 }' "$out/$t.list")"
	rm -f "$out/$t.cpio"
done
python3 "$HARNESS/bench_report.py" "$out"
