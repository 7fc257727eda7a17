// SPDX-License-Identifier: GPL-2.0
/*
 * vm_move.c - move a running guest into a new VM (see vm_move.h).
 */
#include <string.h>

#include "kvm_util.h"
#include "vm_move.h"

void vm_move_vcpu_regs(struct kvm_vcpu *src, struct kvm_vcpu *dst)
{
	struct kvm_reg_list *list = vcpu_get_reg_list(src);
	struct kvm_one_reg reg;
	uint8_t buf[256];
	uint64_t i;

	reg.addr = (uint64_t)(unsigned long)buf;
	for (i = 0; i < list->n; i++) {
		reg.id = list->reg[i];
		TEST_ASSERT(KVM_REG_SIZE(reg.id) <= sizeof(buf), "reg 0x%llx too big", reg.id);
		vcpu_get_reg(src, reg.id, buf);
		TEST_ASSERT(!__vcpu_ioctl(dst, KVM_SET_ONE_REG, &reg),
			    "set reg 0x%llx: errno %d", reg.id, errno);
	}
	free(list);
}

static void move_region(struct kvm_vm *a, struct kvm_vm *b, uint64_t gpa, uint64_t size)
{
	unsigned long from = (unsigned long)addr_gpa2hva(a, gpa);
	unsigned long to = (unsigned long)addr_gpa2hva(b, gpa);
	uint64_t *w = (uint64_t *)to;
	uint64_t i;

	memcpy((void *)to, (void *)from, size);
	for (i = 0; i < size / sizeof(*w); i++)
		if (w[i] >= from && w[i] < from + size)
			w[i] = w[i] - from + to;
}

void vm_move_memory(struct kvm_vm *src, struct kvm_vm *dst)
{
	struct userspace_mem_region *region;
	int bkt;

	hash_for_each(src->regions.slot_hash, bkt, region, slot_node)
		move_region(src, dst, region->region.guest_phys_addr,
			    region->region.memory_size);
}
