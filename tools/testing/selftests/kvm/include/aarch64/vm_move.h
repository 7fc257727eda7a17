/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_move.h - move a running guest into a new VM, as a VMM restores one.
 *
 * The destination is built like the source (same vCPUs, memslots, GIC
 * layout); the helpers copy what a VMM saves: every register in
 * KVM_GET_REG_LIST and guest memory.
 */
#ifndef SELFTEST_KVM_VM_MOVE_H
#define SELFTEST_KVM_VM_MOVE_H

#include "kvm_util.h"

/*
 * Copy every register KVM_GET_REG_LIST names, in its order, from @src to
 * @dst.  Complete @src's pending MMIO first (vcpu_run_complete_io()).
 */
void vm_move_vcpu_regs(struct kvm_vcpu *src, struct kvm_vcpu *dst);

/*
 * Copy the memory of every memslot of @src into the same memslot of @dst.
 * The library keeps host addresses in guest memory (each ucall structure
 * holds its own): those that point into @src's copy are rebased onto @dst's.
 */
void vm_move_memory(struct kvm_vm *src, struct kvm_vm *dst);

#endif /* SELFTEST_KVM_VM_MOVE_H */
