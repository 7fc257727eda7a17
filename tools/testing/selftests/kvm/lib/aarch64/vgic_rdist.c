// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_rdist.c - GICv3 redistributor layouts over several regions; see
 * include/aarch64/vgic_rdist.h.
 */
#include <linux/kernel.h>
#include <sys/resource.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "ucall_common.h"
#include "vgic_rdist.h"

void vgic_rdist_layout_add(struct vgic_rdist_layout *l, uint64_t base,
			   uint32_t count)
{
	TEST_ASSERT(l->nr_regions < VGIC_RDIST_MAX_REGIONS, "too many regions");
	TEST_ASSERT(count, "a region holds at least one redistributor");
	l->region[l->nr_regions].base = base;
	l->region[l->nr_regions].count = count;
	l->region[l->nr_regions].gva = 0;
	l->nr_regions++;
}

void vgic_rdist_layout_move(struct vgic_rdist_layout *l, uint64_t offset)
{
	unsigned int i;

	for (i = 0; i < l->nr_regions; i++) {
		if (!l->region[i].gva)
			l->region[i].gva = l->region[i].base;
		l->region[i].base += offset;
	}
}

/* Where the guest sees region @i of @l. */
static uint64_t region_gva(const struct vgic_rdist_layout *l, unsigned int i)
{
	return l->region[i].gva ? l->region[i].gva : l->region[i].base;
}

void vgic_rdist_layout_vmm(struct vgic_rdist_layout *l, unsigned int nr_vcpus)
{
	unsigned int low = max(nr_vcpus / 8, 1u);
	unsigned int high1 = (nr_vcpus - low) * 3 / 5;
	unsigned int high2 = nr_vcpus - low - high1;

	memset(l, 0, sizeof(*l));
	vgic_rdist_layout_add(l, GICR_BASE_GPA, low);
	if (high1)
		vgic_rdist_layout_add(l, VGIC_RDIST_HIGH1_GPA, high1);
	if (high2)
		vgic_rdist_layout_add(l, VGIC_RDIST_HIGH2_GPA, high2);
}

unsigned int vgic_rdist_layout_capacity(const struct vgic_rdist_layout *l)
{
	unsigned int i, n = 0;

	for (i = 0; i < l->nr_regions; i++)
		n += l->region[i].count;
	return n;
}

uint64_t vgic_rdist_layout_base(const struct vgic_rdist_layout *l,
				unsigned int idx, unsigned int *region,
				unsigned int *slot)
{
	unsigned int i;

	for (i = 0; i < l->nr_regions; i++) {
		if (idx < l->region[i].count) {
			if (region)
				*region = i;
			if (slot)
				*slot = idx;
			return l->region[i].base + (uint64_t)idx * KVM_VGIC_V3_REDIST_SIZE;
		}
		idx -= l->region[i].count;
	}
	TEST_FAIL("vCPU beyond the layout's %u redistributors",
		  vgic_rdist_layout_capacity(l));
	return 0;
}

uint64_t vgic_rdist_layout_pages(const struct vgic_rdist_layout *l)
{
	uint64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < l->nr_regions; i++)
		bytes += (uint64_t)l->region[i].count * KVM_VGIC_V3_REDIST_SIZE;
	return bytes / getpagesize();
}

int __vgic_rdist_layout_register(int gic_fd, const struct vgic_rdist_layout *l)
{
	unsigned int i;
	int ret;

	for (i = 0; i < l->nr_regions; i++) {
		uint64_t attr = vgic_rdist_region_attr(l->region[i].base,
						       l->region[i].count, i);

		ret = __kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
					    KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
					    &attr);
		if (ret)
			return -errno;
	}
	return 0;
}

int vgic_v3_setup_layout(struct kvm_vm *vm, unsigned int nr_vcpus,
			 uint32_t nr_irqs, const struct vgic_rdist_layout *l)
{
	uint64_t attr = GICD_BASE_GPA;
	unsigned int i;
	int gic_fd;

	TEST_ASSERT(vgic_rdist_layout_capacity(l) >= nr_vcpus,
		    "layout holds %u redistributors, %u vCPUs",
		    vgic_rdist_layout_capacity(l), nr_vcpus);
	TEST_ASSERT(nr_vcpus <= GICV3_MAX_CPUS, "too many vCPUs for the guest GIC code");

	gic_fd = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_V3_ADDR_TYPE_DIST, &attr);
	virt_map(vm, GICD_BASE_GPA, GICD_BASE_GPA,
		 vm_calc_num_guest_pages(vm->mode, KVM_VGIC_V3_DIST_SIZE));

	TEST_ASSERT(!__vgic_rdist_layout_register(gic_fd, l),
		    "registering the redistributor regions: %s", strerror(errno));
	for (i = 0; i < l->nr_regions; i++)
		virt_map(vm, region_gva(l, i), l->region[i].base,
			 vm_calc_num_guest_pages(vm->mode, (uint64_t)l->region[i].count *
						 KVM_VGIC_V3_REDIST_SIZE));

	for (i = 0; i < nr_vcpus; i++) {
		unsigned int r;
		uint64_t gpa = vgic_rdist_layout_base(l, i, &r, NULL);

		gicv3_redist_base[i] = gpa - l->region[r].base + region_gva(l, r);
	}
	sync_global_to_guest(vm, gicv3_redist_base);

	kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			    KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	return gic_fd;
}

enum vm_guest_mode aarch64_mode_for_ipa(unsigned int ipa)
{
	uint32_t limit = kvm_check_cap(KVM_CAP_ARM_VM_IPA_SIZE), ipa4k, ipa16k, ipa64k;

	aarch64_get_supported_page_sizes(limit ? limit : 40, &ipa4k, &ipa16k, &ipa64k);
	if (ipa <= 36 && ipa4k >= 36)
		return VM_MODE_P36V48_4K;
	if (ipa <= 40 && ipa4k >= 40)
		return VM_MODE_P40V48_4K;
	if (ipa <= 48 && ipa4k >= 48)
		return VM_MODE_P48V48_4K;
	if (ipa4k >= 52)
		return VM_MODE_P52V48_4K;
	if (ipa64k >= 52)
		return VM_MODE_P52V48_64K;
	if (ipa16k >= 52)
		return VM_MODE_P52V48_16K;
	__TEST_REQUIRE(0, "no guest granule takes a %u-bit IPA (4K %u, 16K %u, 64K %u)",
		       ipa, ipa4k, ipa16k, ipa64k);
	return VM_MODE_DEFAULT;
}

void vgic_scale_raise_nofile(unsigned int nr_vcpus)
{
	rlim_t want = nr_vcpus + 64;
	struct rlimit rl;

	TEST_ASSERT(!getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	__TEST_REQUIRE(!setrlimit(RLIMIT_NOFILE, &rl), "cannot open %lu files: %s",
		       (unsigned long)want, strerror(errno));
}

struct ucall *vgic_scale_run_to(struct kvm_vcpu *vcpu, uint64_t stage,
				struct ucall *uc)
{
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, uc)) {
	case UCALL_SYNC:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(*uc);
		break;
	default:
		TEST_FAIL("vCPU %u: exit %s, ucall %lu", vcpu->id,
			  exit_reason_str(vcpu->run->exit_reason), uc->cmd);
	}
	TEST_ASSERT(uc->args[1] == stage, "vCPU %u at stage %lu, want %lu",
		    vcpu->id, uc->args[1], stage);
	return uc;
}

void vgic_scale_run_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
}

void vgic_scale_send_sgi(uint64_t mpidr, uint32_t intid, bool broadcast)
{
	uint64_t val = FIELD_PREP(ICC_SGI1R_SGI_ID_MASK, intid);

	if (broadcast)
		val |= BIT_ULL(ICC_SGI1R_IRQ_ROUTING_MODE_BIT);
	else
		val |= BIT_ULL(mpidr & 0xf) |
		       ((mpidr >> 8) & 0xff) << ICC_SGI1R_AFFINITY_1_SHIFT |
		       ((mpidr >> 16) & 0xff) << ICC_SGI1R_AFFINITY_2_SHIFT |
		       ((mpidr >> 32) & 0xff) << ICC_SGI1R_AFFINITY_3_SHIFT;
	write_sysreg_s(val, SYS_ICC_SGI1R_EL1);
	isb();
}
