#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh - the main job: build the patched kernel, boot it as a nested KVM
# host and show what it does, with timings.
#   - the largest GICv3 VM the kernel allows, every vCPU run once;
#   - a 4096-vCPU VM with a user topology (Aff2 groups of 16 x 16) set with
#     KVM_ARM_SET_MPIDRS, its vCPUs exchanging SGIs by affinity;
#   - vCPU hotplug: a 4096-vCPU VM booted with 64 vCPUs, the rest hot-added
#     (unpark, guest CPU_ON) in batches, and cycles of hot-add and removal;
#   - a 52-bit VM: 4096 vCPUs whose redistributors and ITS sit above 2^48,
#     taking SGIs, an SPI and an LPI; and the IPA rule at every size;
#   - a real VMM: Debian's QEMU boots a Linux guest of 124 vCPUs, which
#     brings CPU 123, the first in the second redistributor region, online
#     (the guest's own lines, its kernel's boot messages included, are shown);
#   - the project's QEMU (vmm/qemu): a Linux guest booted with 2 of 8 vCPUs
#     grows to 8 over QMP (vcpu-unpark, then the guest brings each online;
#     before its unpark, the guest's online of a CPU is refused), and a
#     guest on a 2 x 2 x 2 x 2 topology shows it in sysfs and its MPIDRs;
#     and a Linux guest on 4096 vCPUs (nine redistributor regions) brings
#     CPUs of several regions online, up to 4095.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
mkdir -p "$BUILD"
: >"$BUILD/timings"
phase deps "$HARNESS/deps.sh"
phase prepare-vanilla "$HARNESS/prepare.sh" vanilla
phase prepare-patched "$HARNESS/prepare.sh" patched
phase kernel-patched-fast "$HARNESS/build-kernel.sh" patched fast
phase selftests-patched "$HARNESS/build-selftests.sh" patched
phase real-vmm-parts "$HARNESS/build-l2.sh"
phase qemu-ext "$HARNESS/qemu.sh"

d=$BUILD/demo
mkdir -p "$d"
cat >"$d/tests" <<'LIST'
900 largest-gicv3-vm patched/aarch64/vgic_v3_scale
900 user-topology-4096 patched/aarch64/mpidr_topology -t wide -n 4096
900 hot-add-4096 patched/aarch64/vcpu_hotplug -n 4096 -p 64
300 hotplug-cycles patched/aarch64/vcpu_hotplug -c 30 -r 3
900 gic-above-2^48 patched/aarch64/vgic_scale_irqs -i 52
300 ipa-32-to-52 patched/aarch64/ipa_limits
600 real-vmm-124 /kvmx/l2vmm -n 124 -b 1 -o 122,123 -a loglevel=7
300 qemu-grow-2-to-8 /kvmx/l2vmm -q /kvmx/qemu/qemu-system-aarch64 -n 2 -p 8 -H O2,u2,o2,u3,o3,u4,o4,u5,o5,u6,o6,u7,o7
300 qemu-topology /kvmx/l2vmm -q /kvmx/qemu/qemu-system-aarch64 -n 16 -t 2,2,2,2
LIST
# the 4096-vCPU guest, as tests/qemu-ext-4096.list has it
grep -v '^[[:space:]]*\(#\|$\)' "$HARNESS/tests/qemu-ext-4096.list" |
	sed 's/ qemu-ext-4096 / qemu-guest-4096 /' >>"$d/tests"
"$HARNESS/mkinitrd.sh" "$d/tests" "$d/initrd.cpio"
log "booting the patched kernel as a nested KVM host (TCG, 2 CPUs, VHE)"
tb=$(date +%s)
KVMX_TEE=1 "$HARNESS/boot.sh" "$(obj_dir patched fast)/arch/arm64/boot/Image" \
	"$d/initrd.cpio" "$d/serial.log" 1800 || true
tb=$(($(date +%s) - tb))

echo
echo "=== What the nested host did"
grep -m1 'Linux version' "$d/serial.log" | sed 's/^<[0-9]>//; s/^\[[^]]*\] //; s/^/kernel: /' || true
grep -m1 'kvm \[1\]: .*mode\|Hyp mode\|VHE mode\|nVHE mode' "$d/serial.log" | sed 's/^<[0-9]>//; s/^\[[^]]*\] //; s/^/host: /' || true
grep -E '^# (# )?vcpus=' "$d/serial.log" | sed 's/^# \(# \)\?/GICv3 VM: /' || true
grep -E '^# ok [0-9]+ ' "$d/serial.log" | sed 's/^# ok [0-9]* /  /' || true
grep -E '^# # race:' "$d/serial.log" | sed 's/^# # /  /' || true
grep -E '^# # ([0-9]+-bit IPA|host pages)' "$d/serial.log" | sed 's/^# # /  /' || true
echo
echo "=== A real VMM: Debian's QEMU in the nested host, a Linux guest of 124 vCPUs (its own lines)"
sed -n '/=== real-vmm-124/,/^ok\|^not ok/p' "$d/serial.log" |
	grep -E '^# (l2> |l2vmm: .*(starting|ok:|PASS|FAIL))' |
	grep -v 'exceeds the recommended cpus' | sed 's/^# //' || true
echo
echo "=== The project's QEMU: a guest grows from 2 to 8 CPUs over QMP, then a 2x2x2x2 topology"
sed -n '/=== qemu-grow-2-to-8/,/=== qemu-guest-4096/p' "$d/serial.log" |
	grep -E '^# (l2> L2: (cpus|cpu |online)|l2vmm: .*(starting|step|ok:|as expected|PASS|FAIL))' |
	sed 's/^# //' || true
echo
echo "=== The project's QEMU at KVM's limit: a Linux guest on 4096 vCPUs in nine redistributor regions"
sed -n '/=== qemu-guest-4096/,$p' "$d/serial.log" |
	grep -E '^# (l2> L2: (cpus|online|gic)|l2vmm: .*(starting|ok:|PASS|FAIL))' |
	sed 's/^# //' || true
echo
grep -E '^(not )?ok ' "$d/serial.log" || true
echo "boot and run: ${tb}s; whole job: $(($(date +%s) - t0))s; serial log: $d/serial.log"
! grep -qE '^not ok ' "$d/serial.log" && grep -qE '^ok .*real-vmm-124' "$d/serial.log" &&
	grep -qE '^ok .*qemu-grow-2-to-8' "$d/serial.log"
