/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vm_move.h - move a running guest into a new VM, as a VMM restores one.
 *
 * The destination is built like the source (same vCPUs, memslots, GIC
 * layout); the helpers copy what a VMM saves: every register in
 * KVM_GET_REG_LIST, guest memory, and the state of a GICv3 and its ITS.
 * A VMM's order: save the GIC (which writes the ITS and LPI pending tables
 * into guest memory), the vCPUs and memory; restore memory, the vCPUs
 * (MPIDR_EL1 among their registers), then the GIC.
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

/* A vCPU's registers, as KVM_GET_REG_LIST names them. */
struct vm_move_regs;

struct vm_move_regs *vm_move_vcpu_save(struct kvm_vcpu *vcpu);
/* Restore @regs into @vcpu, and free them. */
void vm_move_vcpu_restore(struct kvm_vcpu *vcpu, struct vm_move_regs *regs);

/* The state of a GICv3 (distributor, redistributors, CPU interfaces) and its ITS. */
struct vm_move_gic;

/*
 * Save the GIC @gic_fd of the @nr vCPUs @vcpus, with @nr_irqs interrupts,
 * and the ITS @its_fd (-1: none).  Flushes LPI pending state and the ITS
 * tables into guest memory (KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
 * KVM_DEV_ARM_ITS_SAVE_TABLES): save memory after this.
 */
struct vm_move_gic *vm_move_gic_save(int gic_fd, int its_fd, struct kvm_vcpu **vcpus,
				     unsigned int nr, uint32_t nr_irqs);

/*
 * Restore @g into the initialised GIC @gic_fd and ITS @its_fd of a VM
 * built like the source, its memory and vCPU registers already restored,
 * in the order Documentation/virt/kvm/arm-scalability.rst gives; frees @g.
 */
void vm_move_gic_restore(struct vm_move_gic *g, int gic_fd, int its_fd,
			 struct kvm_vcpu **vcpus);

/* Userspace accesses to the GIC that a save or restore made, so far. */
extern uint64_t vm_move_gic_accesses;

#endif /* SELFTEST_KVM_VM_MOVE_H */
