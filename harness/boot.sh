#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# boot.sh IMAGE INITRD LOG TIMEOUT [kernel args...] - boot the nested KVM
# host under TCG with EL2, serial console to LOG (and to stdout when
# KVMX_TEE=1).  The wall-clock limit kills QEMU; the log keeps what it said.
# KVMX_APPEND adds kernel arguments (e.g. rcupdate.rcu_cpu_stall_timeout=3
# to find long sections without a quiescent state).  No network (-nic none):
# the default virtio NIC needs a boot ROM (efi-virtio.rom, package
# ipxe-qemu) that a machine without recommended packages lacks.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

img=${1:?usage: boot.sh IMAGE INITRD LOG TIMEOUT [args]}
initrd=$2 logf=$3 limit=$4
shift 4
mkdir -p "$(dirname "$logf")"
qemu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3
      -cpu max,pauth-impdef=on -smp "${KVMX_SMP:-2}" -m "${KVMX_MEM:-4G}"
      -display none -monitor none -serial stdio -no-reboot -nic none
      -kernel "$img" -initrd "$initrd"
      -append "console=ttyAMA0 panic=-1 loglevel=4 $* ${KVMX_APPEND:-}")
t0=$(date +%s)
if [ "${KVMX_TEE:-0}" = 1 ]; then
	timeout -k 10 "$limit" "${qemu[@]}" </dev/null | tee "$logf"
	rc=${PIPESTATUS[0]}
else
	timeout -k 10 "$limit" "${qemu[@]}" </dev/null >"$logf" 2>&1
	rc=$?
fi
echo "KVMX-HOST: qemu rc=$rc wall=$(($(date +%s) - t0))s" >>"$logf"
[ $rc = 124 ] && log "boot timed out after ${limit}s: $logf"
exit $rc
