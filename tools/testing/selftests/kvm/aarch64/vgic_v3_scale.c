// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_v3_scale - a GICv3 VM as large as the kernel allows, its
 * redistributors spread over several regions, every vCPU run once.
 *
 * Each vCPU reads its own GICR_TYPER through guest MMIO and reports it
 * with its index and MPIDR_EL1.  The host checks, for every vCPU:
 *  - MPIDR_EL1 is the vCPU's MPIDR register;
 *  - GICR_TYPER.Processor_Number is the vCPU id, its affinity the MPIDR's;
 *  - GICR_TYPER.Last is set exactly on the last vCPU of each region;
 *  - userspace reads the same GICR_TYPER (KVM_DEV_ARM_VGIC_GRP_REDIST_REGS;
 *    every vCPU);
 *  - every vCPU reported exactly once.
 * It prints the time taken by vCPU creation, vgic setup and the first run
 * of every vCPU, and the memory the VM took, so it doubles as a benchmark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"

#define RUN_SLICE	256	/* vCPUs timed apart at each end of the run */
#define NR_IRQS		64
#define TYPER_LAST	BIT(4)

static u64 guest_typer[KVM_MAX_VCPUS];

static void guest_code(u64 idx, u64 rd_base)
{
	void *rd = (void *)rd_base;	/* identity-mapped */
	u64 typer = readq_relaxed(rd + GICR_TYPER);

	ucall(UCALL_SYNC, 3, idx, read_sysreg(mpidr_el1), typer);
	GUEST_DONE();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct meminfo {
	long avail, free, anon, cached, buffers;
	long slab, vmalloc, pgtables, sec_pgtables, kstack, percpu;
};

static void read_meminfo(struct meminfo *mi)
{
	const struct { const char *name; long *kb; } fields[] = {
		{ "MemAvailable:", &mi->avail },	{ "MemFree:", &mi->free },
		{ "AnonPages:", &mi->anon },		{ "Cached:", &mi->cached },
		{ "Buffers:", &mi->buffers },		{ "Slab:", &mi->slab },
		{ "VmallocUsed:", &mi->vmalloc },	{ "PageTables:", &mi->pgtables },
		{ "SecPageTables:", &mi->sec_pgtables },
		{ "KernelStack:", &mi->kstack },	{ "Percpu:", &mi->percpu },
	};
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned int i;

	memset(mi, 0, sizeof(*mi));
	TEST_ASSERT(f, "/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < ARRAY_SIZE(fields); i++)
			if (!strncmp(line, fields[i].name, strlen(fields[i].name)))
				*fields[i].kb = strtol(line + strlen(fields[i].name), NULL, 10);
	fclose(f);
}

/*
 * Memory the kernel took between two readings: the free memory that went,
 * less what went to anonymous memory (the guest's RAM, the test's own
 * allocations) and to the page cache.  Slab, vmalloc, page tables, kvm_run
 * pages and hypervisor mappings are all in it.
 */
static long kernel_kb(const struct meminfo *a, const struct meminfo *b)
{
	return (a->free - b->free) - (b->anon - a->anon) -
	       (b->cached - a->cached) - (b->buffers - a->buffers);
}

static u64 uaccess_typer(int gic_fd, u64 mpidr)
{
	/* The attribute names the vCPU by Aff3.Aff2.Aff1.Aff0, packed */
	u64 attr = ((mpidr & 0xffffff) | ((mpidr >> 8) & 0xff000000)) <<
		   KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
	u32 lo, hi;

	kvm_device_attr_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			    attr | GICR_TYPER, &lo);
	kvm_device_attr_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			    attr | (GICR_TYPER + 4), &hi);
	return ((u64)hi << 32) | lo;
}

static void run_once(struct kvm_vcpu *vcpu, unsigned int idx,
		     const struct vgic_rdist_layout *l)
{
	unsigned int region, slot;
	u64 rd_base = vgic_rdist_layout_base(l, idx, &region, &slot);
	bool last = slot == l->region[region].count - 1;
	struct ucall uc;
	u64 mpidr, typer;

	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);
	vcpu_args_set(vcpu, 2, idx, rd_base);
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("vCPU %u: unexpected exit %s", idx,
			  exit_reason_str(vcpu->run->exit_reason));
	}
	typer = uc.args[2];
	TEST_ASSERT(uc.args[0] == idx, "vCPU %u reported as %lu", idx, uc.args[0]);
	TEST_ASSERT(uc.args[1] == mpidr, "vCPU %u: guest MPIDR 0x%lx, host 0x%lx",
		    idx, uc.args[1], mpidr);
	TEST_ASSERT(((typer >> 8) & 0xffff) == vcpu->id,
		    "vCPU %u: GICR_TYPER processor number %lu",
		    idx, (typer >> 8) & 0xffff);
	TEST_ASSERT((typer >> 32) == (mpidr & 0xffffff),
		    "vCPU %u: GICR_TYPER affinity 0x%lx, MPIDR 0x%lx",
		    idx, typer >> 32, mpidr);
	TEST_ASSERT(!!(typer & TYPER_LAST) == last,
		    "vCPU %u (region %u slot %u of %u): GICR_TYPER.Last %d",
		    idx, region, slot, l->region[region].count,
		    !!(typer & TYPER_LAST));
	guest_typer[idx] = typer;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

/*
 * Userspace reads the GICR_TYPER the guest read, for every vCPU.  Returns
 * how many were checked.
 */
static unsigned int check_uaccess(struct kvm_vcpu **vcpus, unsigned int nr,
				  int gic_fd, const struct vgic_rdist_layout *l)
{
	unsigned int i, n = 0;
	u64 mpidr, typer;

	for (i = 0; i < nr; i++) {
		vcpu_get_reg(vcpus[i], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);
		typer = uaccess_typer(gic_fd, mpidr);
		TEST_ASSERT(typer == guest_typer[i],
			    "vCPU %u: userspace GICR_TYPER 0x%lx, guest 0x%lx",
			    i, typer, guest_typer[i]);
		n++;
	}
	return n;
}

/* Usage on stdout; -h exits 0, a usage error KSFT_FAIL. */
static void help(const char *name, int status)
{
	printf("usage: %s [-n nr_vcpus] [-s]\n"
	       " -n: number of vCPUs (default: KVM_CAP_MAX_VCPUS)\n"
	       " -s: one redistributor region (default: three, two above 4 GiB)\n",
	       name);
	exit(status);
}

int main(int argc, char *argv[])
{
	unsigned int nr_vcpus = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	double t0, t_create, t_vgic, t_run, t_first = 0, t_last = 0;
	double t_last_start = 0;
	struct vgic_rdist_layout layout;
	struct kvm_vcpu **vcpus;
	bool single = false;
	struct kvm_vm *vm;
	struct meminfo mem0, mem1;
	unsigned int i, checked;
	int opt, gic_fd;

	while ((opt = getopt(argc, argv, "hn:s")) != -1) {
		switch (opt) {
		case 'n':
			nr_vcpus = atoi_positive("Number of vCPUs", optarg);
			break;
		case 's':
			single = true;
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], KSFT_FAIL);
		}
	}
	__TEST_REQUIRE(nr_vcpus <= kvm_check_cap(KVM_CAP_MAX_VCPUS),
		       "%u vCPUs: the kernel allows %d", nr_vcpus,
		       kvm_check_cap(KVM_CAP_MAX_VCPUS));
	TEST_REQUIRE(nr_vcpus <= KVM_MAX_VCPUS);

	if (single) {
		memset(&layout, 0, sizeof(layout));
		vgic_rdist_layout_add(&layout, GICR_BASE_GPA, nr_vcpus);
	} else {
		vgic_rdist_layout_vmm(&layout, nr_vcpus);
	}

	ksft_print_header();
	ksft_set_plan(1);

	vgic_scale_raise_nofile(nr_vcpus);
	vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	TEST_ASSERT(vcpus, "calloc(%u vCPUs)", nr_vcpus);

	read_meminfo(&mem0);
	t0 = now();
	vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, nr_vcpus,
				    vgic_rdist_layout_pages(&layout),
				    guest_code, vcpus);
	t_create = now() - t0;

	t0 = now();
	gic_fd = vgic_v3_setup_layout(vm, nr_vcpus, NR_IRQS, &layout);
	t_vgic = now() - t0;

	/*
	 * The first and the last 256 runs are timed apart: a cost per vCPU
	 * that grew with the VM (a scan) would show as a last slice slower
	 * than the first.
	 */
	t0 = now();
	for (i = 0; i < nr_vcpus; i++) {
		if (i == RUN_SLICE)
			t_first = now() - t0;
		if (i == nr_vcpus - RUN_SLICE)
			t_last_start = now();
		run_once(vcpus[i], i, &layout);
	}
	t_run = now() - t0;
	t_last = t0 + t_run - t_last_start;
	read_meminfo(&mem1);
	if (nr_vcpus >= 2 * RUN_SLICE)
		ksft_print_msg("first run: vCPUs 0-%u %.1f us each, vCPUs %u-%u %.1f us each\n",
			       RUN_SLICE - 1, t_first * 1e6 / RUN_SLICE,
			       nr_vcpus - RUN_SLICE, nr_vcpus - 1,
			       t_last * 1e6 / RUN_SLICE);

	t0 = now();
	checked = check_uaccess(vcpus, nr_vcpus, gic_fd, &layout);
	ksft_print_msg("vcpus=%u regions=%u create=%.3fs vgic=%.3fs run=%.3fs",
		       nr_vcpus, layout.nr_regions, t_create, t_vgic, t_run);
	printf(" mem=%ldkB kmem=%ldkB\n", mem0.avail - mem1.avail, kernel_kb(&mem0, &mem1));
	ksft_print_msg("kernel memory: slab=%ldkB vmalloc=%ldkB pagetables=%ldkB",
		       mem1.slab - mem0.slab, mem1.vmalloc - mem0.vmalloc,
		       mem1.pgtables - mem0.pgtables);
	printf(" secpagetables=%ldkB kstack=%ldkB percpu=%ldkB anon=%ldkB\n",
	       mem1.sec_pgtables - mem0.sec_pgtables, mem1.kstack - mem0.kstack,
	       mem1.percpu - mem0.percpu, mem1.anon - mem0.anon);
	ksft_print_msg("userspace GICR_TYPER of %u vCPUs checked in %.3fs\n",
		       checked, now() - t0);
	ksft_test_result_pass("%u vCPUs over %u redistributor regions ran once each\n",
			      nr_vcpus, layout.nr_regions);

	close(gic_fd);
	kvm_vm_free(vm);
	free(vcpus);
	ksft_finished();
}
