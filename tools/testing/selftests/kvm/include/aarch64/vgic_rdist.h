/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vgic_rdist.h - GICv3 redistributor layouts over several regions.
 *
 * A VMM with many vCPUs cannot put every redistributor in one window below
 * 4 GiB: it registers several KVM_VGIC_V3_ADDR_TYPE_REDIST_REGIONs, some
 * of them high.  These helpers build such layouts, set them up in a VM and
 * tell the guest's GIC code where each vCPU's redistributor is.
 */
#ifndef SELFTEST_KVM_VGIC_RDIST_H
#define SELFTEST_KVM_VGIC_RDIST_H

#include <linux/sizes.h>
#include "kvm_util.h"

#define VGIC_RDIST_MAX_REGIONS	16
/* The two high windows of vgic_rdist_layout_vmm(). */
#define VGIC_RDIST_HIGH1_GPA	(4ULL * SZ_1G)
#define VGIC_RDIST_HIGH2_GPA	(256ULL * SZ_1G)

struct vgic_rdist_region {
	uint64_t base;
	uint32_t count;		/* redistributors the region holds */
	uint64_t gva;		/* where the guest maps it; 0: at base */
};

struct vgic_rdist_layout {
	unsigned int nr_regions;
	struct vgic_rdist_region region[VGIC_RDIST_MAX_REGIONS];
};

/*
 * Three regions of different sizes for @nr_vcpus vCPUs: one after the
 * distributor below 4 GiB (an eighth of the vCPUs), one at 4 GiB and one at
 * 256 GiB (the rest, split 3:2).  Fewer regions when there are very few
 * vCPUs.
 */
void vgic_rdist_layout_vmm(struct vgic_rdist_layout *l, unsigned int nr_vcpus);

/* Append a region to @l. */
void vgic_rdist_layout_add(struct vgic_rdist_layout *l, uint64_t base,
			   uint32_t count);

/*
 * Move every region of @l @offset bytes up the guest-physical space; the
 * guest keeps seeing each at its old address (for regions beyond the
 * guest's virtual address space, above 2^48 in a 52-bit VM).
 */
void vgic_rdist_layout_move(struct vgic_rdist_layout *l, uint64_t offset);

/* Redistributors in @l. */
unsigned int vgic_rdist_layout_capacity(const struct vgic_rdist_layout *l);

/*
 * Where vCPU @idx's redistributor lands under @l (vCPUs fill regions in
 * index order): its base, and optionally its region and slot in it.
 */
uint64_t vgic_rdist_layout_base(const struct vgic_rdist_layout *l,
				unsigned int idx, unsigned int *region,
				unsigned int *slot);

/*
 * Pages the regions of @l span: the extra pages to give
 * __vm_create_with_vcpus(), so that memslot 0 has room for the page
 * tables that map them into the guest.
 */
uint64_t vgic_rdist_layout_pages(const struct vgic_rdist_layout *l);

/*
 * Create a GICv3 with @nr_irqs interrupts, the distributor at
 * GICD_BASE_GPA and the redistributor regions of @l, identity-map them in
 * the guest, tell the guest where each vCPU's redistributor is, and
 * initialize the vgic.  All vCPUs must exist.  Returns the device fd.
 */
int vgic_v3_setup_layout(struct kvm_vm *vm, unsigned int nr_vcpus,
			 uint32_t nr_irqs, const struct vgic_rdist_layout *l);

/* Register the regions of @l on @gic_fd; returns 0 or -errno of the first failure. */
int __vgic_rdist_layout_register(int gic_fd, const struct vgic_rdist_layout *l);

/* The KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION attribute value of a region. */
static inline uint64_t vgic_rdist_region_attr(uint64_t base, uint32_t count,
					      uint32_t index)
{
	return ((uint64_t)count << 52) | base | index;
}

/* Helpers the scale tests share */

/*
 * The guest mode for a VM with an IPA of @ipa bits: the smallest 4K mode
 * that holds it, else a 52-bit mode of a granule the host supports with
 * 52 bits (LPA2 with 4K or 16K, LPA with 64K).  Skips when there is none.
 */
enum vm_guest_mode aarch64_mode_for_ipa(unsigned int ipa);

/* Let the test open a file per vCPU (and a few more); skips if it cannot. */
void vgic_scale_raise_nofile(unsigned int nr_vcpus);

/* Run @vcpu to its next GUEST_SYNC, which must report @stage (args[1]). */
struct ucall *vgic_scale_run_to(struct kvm_vcpu *vcpu, uint64_t stage,
				struct ucall *uc);

/* Run @vcpu to its GUEST_DONE. */
void vgic_scale_run_done(struct kvm_vcpu *vcpu);

/*
 * Guest code: send SGI @intid to the CPU whose MPIDR is @mpidr (by
 * affinity, ICC_SGI1R_EL1), or with @broadcast to every other CPU.
 */
void vgic_scale_send_sgi(uint64_t mpidr, uint32_t intid, bool broadcast);

#endif /* SELFTEST_KVM_VGIC_RDIST_H */
