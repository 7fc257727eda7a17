// SPDX-License-Identifier: GPL-2.0
/*
 * vm_move.c - move a running guest into a new VM (see vm_move.h).
 */
#include <linux/sizes.h>
#include <string.h>

#include "kvm_util.h"
#include "gic_v3.h"
#include "processor.h"
#include "vm_move.h"

struct vm_move_regs {
	struct kvm_reg_list *list;
	uint8_t *vals;			/* each register at 8-byte aligned offsets */
};

static uint64_t reg_bytes(uint64_t id)
{
	return (KVM_REG_SIZE(id) + 7) & ~7ULL;
}

struct vm_move_regs *vm_move_vcpu_save(struct kvm_vcpu *vcpu)
{
	struct vm_move_regs *r = calloc(1, sizeof(*r));
	uint64_t i, size = 0, off = 0;

	TEST_ASSERT(r, "calloc");
	r->list = vcpu_get_reg_list(vcpu);
	for (i = 0; i < r->list->n; i++)
		size += reg_bytes(r->list->reg[i]);
	r->vals = malloc(size);
	TEST_ASSERT(r->vals, "malloc");
	for (i = 0; i < r->list->n; i++) {
		vcpu_get_reg(vcpu, r->list->reg[i], r->vals + off);
		off += reg_bytes(r->list->reg[i]);
	}
	return r;
}

void vm_move_vcpu_restore(struct kvm_vcpu *vcpu, struct vm_move_regs *r)
{
	struct kvm_one_reg reg;
	uint64_t i, off = 0;

	for (i = 0; i < r->list->n; i++) {
		reg.id = r->list->reg[i];
		reg.addr = (uint64_t)(unsigned long)(r->vals + off);
		TEST_ASSERT(!__vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg),
			    "set reg 0x%llx: errno %d", reg.id, errno);
		off += reg_bytes(reg.id);
	}
	free(r->vals);
	free(r->list);
	free(r);
}

void vm_move_vcpu_regs(struct kvm_vcpu *src, struct kvm_vcpu *dst)
{
	vm_move_vcpu_restore(dst, vm_move_vcpu_save(src));
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

/* GIC */

uint64_t vm_move_gic_accesses;

#define SGI_BASE		SZ_64K
#define NR_PRIVATE_IRQS		32
#define ICC_ATTR(reg)		(KVM_ARM64_SYS_REG(reg) & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK)

/* What a VMM saves of each redistributor (offsets from RD_base). */
static const uint32_t redist_regs[] = {
	GICR_PROPBASER, GICR_PROPBASER + 4, GICR_PENDBASER, GICR_PENDBASER + 4,
	SGI_BASE + GICR_IGROUPR0, SGI_BASE + GICR_ISENABLER0,
	SGI_BASE + GICR_ISPENDR0, SGI_BASE + GICR_ISACTIVER0,
	SGI_BASE + GICR_IPRIORITYR0, SGI_BASE + GICR_IPRIORITYR0 + 4,
	SGI_BASE + GICR_IPRIORITYR0 + 8, SGI_BASE + GICR_IPRIORITYR0 + 12,
	SGI_BASE + GICR_IPRIORITYR0 + 16, SGI_BASE + GICR_IPRIORITYR0 + 20,
	SGI_BASE + GICR_IPRIORITYR0 + 24, SGI_BASE + GICR_IPRIORITYR0 + 28,
	SGI_BASE + GICR_ICFGR0, SGI_BASE + GICR_ICFGR0 + 4,
	GICR_CTLR,		/* last: EnableLPIs once the tables are there */
};

#define NR_REDIST_REGS		ARRAY_SIZE(redist_regs)

/* ... and of each CPU interface, in restore order. */
static const uint64_t icc_regs[] = {
	SYS_ICC_SRE_EL1, SYS_ICC_CTLR_EL1, SYS_ICC_PMR_EL1, SYS_ICC_BPR1_EL1,
	SYS_ICC_IGRPEN1_EL1,
};

#define NR_ICC_REGS		ARRAY_SIZE(icc_regs)

/* ITS registers but GITS_CTLR, in restore order (GITS_IIDR first). */
static const uint32_t its_regs[] = {
	GITS_IIDR, GITS_CBASER, GITS_CREADR, GITS_CWRITER,
	GITS_BASER, GITS_BASER + 8,
};

#define NR_ITS_REGS		ARRAY_SIZE(its_regs)

/* Per-SPI distributor banks: offset, bits per interrupt. */
static const struct { uint32_t off, bits; } dist_banks[] = {
	{ GICD_IGROUPR, 1 }, { GICD_ICFGR, 2 }, { GICD_IPRIORITYR, 8 },
	{ GICD_ISACTIVER, 1 }, { GICD_ISENABLER, 1 }, { GICD_ISPENDR, 1 },
};

struct vm_move_cpu {
	uint64_t mpidr;
	uint32_t redist[NR_REDIST_REGS];
	uint64_t icc[NR_ICC_REGS];
};

struct vm_move_gic {
	unsigned int nr_vcpus;
	uint32_t nr_irqs;
	uint32_t gicd_ctlr;
	uint32_t *dist;			/* the banks of dist_banks[], in order */
	uint32_t *level;		/* line levels, one word per 32 SPIs */
	uint64_t *irouter;
	bool its;
	uint64_t gits[NR_ITS_REGS], gits_ctlr;
	struct vm_move_cpu cpu[];
};

static uint64_t vgic_mpidr(uint64_t mpidr)
{
	return (mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000);
}

static void gic_get(int fd, uint32_t group, uint64_t attr, void *val)
{
	kvm_device_attr_get(fd, group, attr, val);
	vm_move_gic_accesses++;
}

static void gic_set(int fd, uint32_t group, uint64_t attr, void *val)
{
	kvm_device_attr_set(fd, group, attr, val);
	vm_move_gic_accesses++;
}

static uint32_t dist_words(const struct vm_move_gic *g)
{
	uint32_t i, w = 0, spis = g->nr_irqs - NR_PRIVATE_IRQS;

	for (i = 0; i < ARRAY_SIZE(dist_banks); i++)
		w += spis * dist_banks[i].bits / 32;
	return w;
}

/* Walk the SPI registers of the banks in order, getting or setting them. */
static void dist_banks_access(struct vm_move_gic *g, int fd, bool set)
{
	uint32_t i, r, n = 0, spis = g->nr_irqs - NR_PRIVATE_IRQS;

	for (i = 0; i < ARRAY_SIZE(dist_banks); i++) {
		uint32_t first = NR_PRIVATE_IRQS * dist_banks[i].bits / 8;

		for (r = 0; r < spis * dist_banks[i].bits / 32; r++, n++) {
			uint64_t attr = dist_banks[i].off + first + r * 4;

			if (set)
				gic_set(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr, &g->dist[n]);
			else
				gic_get(fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, attr, &g->dist[n]);
		}
	}
}

/* Line levels of 32 SPIs from @intid, named through the first vCPU. */
static uint64_t level_attr(const struct vm_move_gic *g, uint32_t intid)
{
	return vgic_mpidr(g->cpu[0].mpidr) << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT |
	       (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT |
	       intid;
}

struct vm_move_gic *vm_move_gic_save(int gic_fd, int its_fd, struct kvm_vcpu **vcpus,
				     unsigned int nr, uint32_t nr_irqs)
{
	struct vm_move_gic *g = calloc(1, sizeof(*g) + nr * sizeof(g->cpu[0]));
	uint32_t i, spis = nr_irqs - NR_PRIVATE_IRQS;
	unsigned int c;

	TEST_ASSERT(g, "calloc");
	g->nr_vcpus = nr;
	g->nr_irqs = nr_irqs;
	g->dist = calloc(dist_words(g), sizeof(*g->dist));
	g->level = calloc(spis / 32, sizeof(*g->level));
	g->irouter = calloc(spis, sizeof(*g->irouter));
	TEST_ASSERT(g->dist && g->level && g->irouter, "calloc");

	/* LPI pending state and the ITS tables go to guest memory. */
	kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			    KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL);
	if (its_fd >= 0) {
		g->its = true;
		gic_get(its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, &g->gits_ctlr);
		for (i = 0; i < NR_ITS_REGS; i++)
			gic_get(its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, its_regs[i], &g->gits[i]);
		kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				    KVM_DEV_ARM_ITS_SAVE_TABLES, NULL);
	}

	gic_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_CTLR, &g->gicd_ctlr);
	dist_banks_access(g, gic_fd, false);
	for (i = 0; i < spis; i++) {
		uint32_t lo, hi, off = GICD_IROUTER + (NR_PRIVATE_IRQS + i) * 8;

		gic_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &lo);
		gic_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off + 4, &hi);
		g->irouter[i] = (uint64_t)hi << 32 | lo;
	}
	for (c = 0; c < nr; c++) {
		struct vm_move_cpu *cpu = &g->cpu[c];
		uint64_t id;

		vcpu_get_reg(vcpus[c], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &cpu->mpidr);
		id = vgic_mpidr(cpu->mpidr) << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
		for (i = 0; i < NR_REDIST_REGS; i++)
			gic_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				id | redist_regs[i], &cpu->redist[i]);
		for (i = 0; i < NR_ICC_REGS; i++)
			gic_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
				id | ICC_ATTR(icc_regs[i]), &cpu->icc[i]);
	}
	for (i = 0; i < spis / 32; i++)
		gic_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
			level_attr(g, NR_PRIVATE_IRQS + i * 32), &g->level[i]);
	return g;
}

void vm_move_gic_restore(struct vm_move_gic *g, int gic_fd, int its_fd,
			 struct kvm_vcpu **vcpus)
{
	uint32_t i, spis = g->nr_irqs - NR_PRIVATE_IRQS;
	unsigned int c;

	gic_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_CTLR, &g->gicd_ctlr);

	/* Redistributors first: the ITS restore needs their LPI tables. */
	for (c = 0; c < g->nr_vcpus; c++) {
		struct vm_move_cpu *cpu = &g->cpu[c];
		uint64_t id = vgic_mpidr(cpu->mpidr) << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
		uint64_t mpidr;

		vcpu_get_reg(vcpus[c], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);
		TEST_ASSERT(mpidr == cpu->mpidr,
			    "vCPU %u: MPIDR 0x%lx, saved with 0x%lx: restore the vCPUs first",
			    c, mpidr, cpu->mpidr);
		for (i = 0; i < NR_REDIST_REGS; i++)
			gic_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				id | redist_regs[i], &cpu->redist[i]);
		for (i = 0; i < NR_ICC_REGS; i++)
			gic_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
				id | ICC_ATTR(icc_regs[i]), &cpu->icc[i]);
	}

	/* Line levels before pending state, routes before enables. */
	for (i = 0; i < spis / 32; i++)
		gic_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
			level_attr(g, NR_PRIVATE_IRQS + i * 32), &g->level[i]);
	for (i = 0; i < spis; i++) {
		uint32_t lo = g->irouter[i], hi = g->irouter[i] >> 32;
		uint32_t off = GICD_IROUTER + (NR_PRIVATE_IRQS + i) * 8;

		gic_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off, &lo);
		gic_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, off + 4, &hi);
	}
	dist_banks_access(g, gic_fd, true);

	if (g->its) {
		for (i = 0; i < NR_ITS_REGS; i++)
			gic_set(its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, its_regs[i], &g->gits[i]);
		kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				    KVM_DEV_ARM_ITS_RESTORE_TABLES, NULL);
		gic_set(its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, &g->gits_ctlr);
	}

	free(g->dist);
	free(g->level);
	free(g->irouter);
	free(g);
}
