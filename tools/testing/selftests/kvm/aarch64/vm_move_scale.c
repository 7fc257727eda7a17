// SPDX-License-Identifier: GPL-2.0
/*
 * vm_move_scale - move a whole GICv3 VM into a new one, as a VMM migrates
 * it, at any size up to the kernel's limit.
 *
 * The source VM (-n vCPUs, redistributors over three regions, an ITS) has
 * a user topology (vCPU i takes the MPIDR of position n-1-i, where the
 * kernel has KVM_CAP_ARM_MPIDR_USER) and parked vCPUs (every 101st, where
 * it has KVM_CAP_ARM_VCPU_PARK).  Every vCPU brings up its GIC CPU
 * interface and masks interrupts; vCPU 0 routes an edge SPI to the last
 * vCPU, maps an LPI to the one before it through the ITS, and sends SGI A
 * to every other present vCPU by affinity; userspace raises the SPI and
 * signals the LPI.  All of that is pending when the VM is saved: every
 * vCPU register, mp_state and parked state, the distributor, every
 * redistributor and CPU interface, the ITS and its tables, and memory, in
 * the order a VMM uses; then a new VM is built and the state restored.
 *
 * In the new VM each present vCPU unmasks interrupts and must take exactly
 * what was pending for it (SGI A; the SPI on the last vCPU, the LPI on the
 * one before).  vCPU 0 then sends SGI B to every other present vCPU,
 * through the moved MPIDRs, which each must take once, and PSCI CPU_ON of
 * a parked vCPU must be DENIED.  Parked vCPUs stay parked.
 *
 * Before that, a small VM checks that a running vCPU still makes every
 * kind of userspace GIC and ITS access fail with EBUSY, changing nothing,
 * and that the same accesses succeed once it has stopped.
 *
 * It prints the time taken to save and to restore, per vCPU, and the
 * number of GIC accesses: the figures of the migration benchmark.
 */
#include <linux/psci.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "gic_v3_its.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"
#include "vm_move.h"

#define NR_IRQS		64
#define SGI_A		3
#define SGI_B		4
#define SPI_ID		(MIN_SPI + 5)
#define LPI_ID		8192
#define ITS_MEMSLOT	1
#define ITS_MEM_GPA	(2ULL * SZ_1G)
#define PARK_EVERY	101
#define MPIDR_AFF	0xff00ffffffULL

enum { ITS_DEV, ITS_COLL, ITS_CMDQ, ITS_ITT, ITS_PROP, ITS_PEND, NR_ITS_TABLES };
enum stage { STAGE_READY = 1, STAGE_SENT, STAGE_TOOK, STAGE_SENT_B, STAGE_TOOK_B };
enum kind { SEEN_A, SEEN_B, SEEN_SPI, SEEN_LPI, SEEN_OTHER, NR_KINDS };

/* Shared with the guest. */
static u32 nr_vcpus_g, spi_target_g, lpi_target_g, parked_target_g;
static u64 mpidr_g[KVM_MAX_VCPUS];
static u8 parked_g[KVM_MAX_VCPUS];
static u32 seen_g[NR_KINDS][KVM_MAX_VCPUS];
static u64 spinning_g, stop_g;

static void guest_irq_handler(struct ex_regs *regs)
{
	u32 intid = gic_get_and_ack_irq();
	u32 cpu = guest_get_vcpuid();
	enum kind k;

	if (intid == IAR_SPURIOUS)
		return;
	switch (intid) {
	case SGI_A:
		k = SEEN_A;
		break;
	case SGI_B:
		k = SEEN_B;
		break;
	case SPI_ID:
		k = SEEN_SPI;
		break;
	case LPI_ID:
		k = SEEN_LPI;
		break;
	default:
		k = SEEN_OTHER;
	}
	WRITE_ONCE(seen_g[k][cpu], READ_ONCE(seen_g[k][cpu]) + 1);
	gic_set_eoi(intid);
}

static u64 its_table(int t)
{
	return ITS_MEM_GPA + t * SZ_64K;
}

static void guest_send_to_all(u32 intid)
{
	u32 i;

	for (i = 1; i < nr_vcpus_g; i++)
		if (!parked_g[i])
			vgic_scale_send_sgi(mpidr_g[i], intid, false);
}

/* Unmask interrupts a while: whatever is pending is taken. */
static void guest_take_irqs(void)
{
	int i;

	local_irq_enable();
	for (i = 0; i < 1000; i++)
		cpu_relax();
	local_irq_disable();
}

static void guest_code(u64 idx)
{
	u64 spi = mpidr_g[spi_target_g];
	void *cmdq = (void *)its_table(ITS_CMDQ);
	struct arm_smccc_res res;

	gic_init(GIC_V3, nr_vcpus_g);
	gic_irq_enable(SGI_A);
	gic_irq_enable(SGI_B);
	if (idx == lpi_target_g)
		gic_rdist_enable_lpis(its_table(ITS_PROP), SZ_64K, its_table(ITS_PEND));
	if (idx == 0) {
		gic_irq_set_config(SPI_ID, true);
		writeq_relaxed((spi & 0xffffff) | ((spi >> 8) & 0xff00000000ULL),
			       GICD_BASE_GVA + GICD_IROUTER + SPI_ID * 8);
		gic_irq_enable(SPI_ID);
	}
	GUEST_SYNC(STAGE_READY);

	if (idx == 0) {
		/* Every redistributor is up: map the LPI, send the SGIs. */
		its_init(its_table(ITS_COLL), SZ_64K, its_table(ITS_DEV), SZ_64K,
			 its_table(ITS_CMDQ), SZ_64K);
		its_send_mapc_cmd(cmdq, lpi_target_g, 0, true);
		its_send_mapd_cmd(cmdq, 0, its_table(ITS_ITT), SZ_64K, true);
		its_send_mapti_cmd(cmdq, 0, 0, 0, LPI_ID);
		its_send_invall_cmd(cmdq, 0);
		guest_send_to_all(SGI_A);
		GUEST_SYNC(STAGE_SENT);
	}
	/* The VM is moved here. */
	guest_take_irqs();
	GUEST_SYNC(STAGE_TOOK);

	if (idx == 0) {
		guest_send_to_all(SGI_B);
		if (parked_target_g) {
			smccc_hvc(PSCI_0_2_FN64_CPU_ON, mpidr_g[parked_target_g] & MPIDR_AFF,
				  0, 0, 0, 0, 0, 0, &res);
			__GUEST_ASSERT((long)res.a0 == PSCI_RET_DENIED,
				       "CPU_ON of parked vCPU %u: %ld", parked_target_g,
				       (long)res.a0);
		}
		GUEST_SYNC(STAGE_SENT_B);
	}
	guest_take_irqs();
	GUEST_SYNC(STAGE_TOOK_B);
	GUEST_DONE();
}

static void guest_spin(void)
{
	WRITE_ONCE(spinning_g, 1);
	while (!READ_ONCE(stop_g))
		cpu_relax();
	GUEST_DONE();
}

static void *run_spinner(void *arg)
{
	vgic_scale_run_done(arg);
	return NULL;
}

/*
 * Every kind of userspace vgic access, with @prio as the priorities
 * written; each must fail with @err (0: succeed).
 */
static void gic_accesses(int gic_fd, int its_fd, u64 mpidr, u32 prio, int err)
{
	u64 id = (mpidr & 0xffffff) << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
	u64 its_ctlr, icc_pmr = 0xf0;
	u32 val = prio * 0x01010101;
	const struct {
		int fd;
		u32 group;
		u64 attr;
		void *val;
		const char *what;
	} acc[] = {
		{ gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, GICD_IPRIORITYR + (SPI_ID & ~3), &val,
		  "distributor" },
		{ gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, id | (SZ_64K + GICR_IPRIORITYR0), &val,
		  "redistributor" },
		{ gic_fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
		  id | (KVM_ARM64_SYS_REG(SYS_ICC_PMR_EL1) & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK),
		  &icc_pmr, "CPU interface" },
		{ gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL,
		  "LPI pending tables save" },
		{ its_fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, &its_ctlr, "ITS register" },
		{ its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, NULL,
		  "ITS tables save" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(acc); i++) {
		if (acc[i].group == KVM_DEV_ARM_VGIC_GRP_ITS_REGS)
			ret = __kvm_device_attr_get(acc[i].fd, acc[i].group, acc[i].attr,
						    acc[i].val);
		else
			ret = __kvm_device_attr_set(acc[i].fd, acc[i].group, acc[i].attr,
						    acc[i].val);
		TEST_ASSERT(err ? ret && errno == err : !ret,
			    "%s access: ret %d errno %d, want errno %d", acc[i].what, ret,
			    ret ? errno : 0, err);
	}
}

static u32 spi_priorities(int gic_fd)
{
	u32 val;

	kvm_device_attr_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
			    GICD_IPRIORITYR + (SPI_ID & ~3), &val);
	return val;
}

/* A running vCPU makes every access fail with EBUSY, and changes nothing. */
static void test_busy_while_running(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	int gic_fd, its_fd;
	pthread_t thread;
	u64 mpidr;

	vm = vm_create_with_vcpus(2, guest_spin, vcpus);
	gic_fd = vgic_v3_setup(vm, 2, NR_IRQS);
	its_fd = vgic_its_setup(vm);
	vcpu_get_reg(vcpus[0], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);
	gic_accesses(gic_fd, its_fd, mpidr, 0x80, 0);

	pthread_create(&thread, NULL, run_spinner, vcpus[1]);
	while (!READ_ONCE(*(u64 *)addr_gva2hva(vm, (vm_vaddr_t)&spinning_g)))
		usleep(1000);
	gic_accesses(gic_fd, its_fd, mpidr, 0x40, EBUSY);

	WRITE_ONCE(*(u64 *)addr_gva2hva(vm, (vm_vaddr_t)&stop_g), 1);
	pthread_join(thread, NULL);
	TEST_ASSERT_EQ(spi_priorities(gic_fd), 0x80808080);
	gic_accesses(gic_fd, its_fd, mpidr, 0x40, 0);
	TEST_ASSERT_EQ(spi_priorities(gic_fd), 0x40404040);
	close(its_fd);
	close(gic_fd);
	kvm_vm_free(vm);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct vm_gic {
	struct kvm_vm *vm;
	struct kvm_vcpu **vcpus;
	int gic_fd, its_fd;
};

/* A VM of @nr vCPUs with PSCI, a GICv3 over three regions and an ITS. */
static void create_vm(struct vm_gic *v, unsigned int nr)
{
	struct vgic_rdist_layout layout;
	struct kvm_vcpu_init init;
	unsigned int i, pages;
	u8 *prop;

	v->vcpus = calloc(nr, sizeof(*v->vcpus));
	TEST_ASSERT(v->vcpus, "calloc");
	vgic_rdist_layout_vmm(&layout, nr);
	v->vm = __vm_create(VM_SHAPE_DEFAULT, nr, vgic_rdist_layout_pages(&layout));
	vm_ioctl(v->vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < nr; i++)
		v->vcpus[i] = aarch64_vcpu_add(v->vm, i, &init, guest_code);
	v->gic_fd = vgic_v3_setup_layout(v->vm, nr, NR_IRQS, &layout);

	pages = NR_ITS_TABLES * SZ_64K / v->vm->page_size;
	vm_userspace_mem_region_add(v->vm, VM_MEM_SRC_ANONYMOUS, ITS_MEM_GPA,
				    ITS_MEMSLOT, pages, 0);
	virt_map(v->vm, ITS_MEM_GPA, ITS_MEM_GPA, pages);
	prop = addr_gpa2hva(v->vm, its_table(ITS_PROP));
	prop[LPI_ID - 8192] = 0xa0 | LPI_PROP_GROUP1 | LPI_PROP_ENABLED;
	v->its_fd = vgic_its_setup(v->vm);

	vm_init_descriptor_tables(v->vm);
	vm_install_exception_handler(v->vm, VECTOR_IRQ_CURRENT, guest_irq_handler);
	for (i = 0; i < nr; i++) {
		vcpu_init_descriptor_tables(v->vcpus[i]);
		vcpu_args_set(v->vcpus[i], 1, i);
	}
}

static void free_vm(struct vm_gic *v)
{
	close(v->its_fd);
	close(v->gic_fd);
	kvm_vm_free(v->vm);
	free(v->vcpus);
}

/* vCPU i takes position n-1-i of a sparse 3-level topology. */
static u64 topo_mpidr(unsigned int pos)
{
	return BIT_ULL(31) | (pos % 8) | ((pos / 8 % 32 * 2 + 1) << 8) |
	       ((u64)(pos / 256) << 16);
}

static void set_topology(struct vm_gic *v, unsigned int nr)
{
	struct kvm_arm_mpidrs *b = calloc(1, sizeof(*b) + nr * sizeof(b->entries[0]));
	unsigned int i;

	TEST_ASSERT(b, "calloc");
	b->nr_entries = nr;
	for (i = 0; i < nr; i++) {
		b->entries[i].vcpu_id = v->vcpus[i]->id;
		b->entries[i].mpidr = topo_mpidr(nr - 1 - i);
	}
	vm_ioctl(v->vm, KVM_ARM_SET_MPIDRS, b);
	free(b);
}

static int parked(struct kvm_vcpu *vcpu)
{
	return __vcpu_ioctl(vcpu, KVM_ARM_VCPU_PARKED, NULL);
}

static void signal_lpi(struct kvm_vm *vm)
{
	u64 db = GITS_BASE_GPA + GITS_TRANSLATER;
	struct kvm_msi msi = {
		.address_lo	= db,
		.address_hi	= db >> 32,
		.data		= 0,
		.devid		= 0,
		.flags		= KVM_MSI_VALID_DEVID,
	};

	TEST_ASSERT(__vm_ioctl(vm, KVM_SIGNAL_MSI, &msi) == 1,
		    "KVM_SIGNAL_MSI: errno %d", errno);
}

/* What each present vCPU must have taken: @a SGI A, @b SGI B. */
static void check_seen(struct kvm_vm *vm, unsigned int nr, u32 a, u32 b)
{
	unsigned int i;

	sync_global_from_guest(vm, seen_g);
	for (i = 0; i < nr; i++) {
		u32 want_a = parked_g[i] || !i ? 0 : a;
		u32 want_b = parked_g[i] || !i ? 0 : b;
		u32 want_spi = i == spi_target_g, want_lpi = i == lpi_target_g;

		TEST_ASSERT(seen_g[SEEN_A][i] == want_a && seen_g[SEEN_B][i] == want_b &&
			    seen_g[SEEN_SPI][i] == want_spi &&
			    seen_g[SEEN_LPI][i] == want_lpi && !seen_g[SEEN_OTHER][i],
			    "vCPU %u (MPIDR 0x%lx%s): SGI A/B, SPI, LPI, other %u/%u, %u, %u, %u; want %u/%u, %u, %u, 0",
			    i, mpidr_g[i], parked_g[i] ? ", parked" : "",
			    seen_g[SEEN_A][i], seen_g[SEEN_B][i], seen_g[SEEN_SPI][i],
			    seen_g[SEEN_LPI][i], seen_g[SEEN_OTHER][i], want_a, want_b,
			    want_spi, want_lpi);
	}
}

/* Run every present vCPU but vCPU 0 to @stage. */
static void run_others(struct vm_gic *v, unsigned int nr, enum stage stage)
{
	struct ucall uc;
	unsigned int i;

	for (i = 1; i < nr; i++)
		if (!parked_g[i])
			vgic_scale_run_to(v->vcpus[i], stage, &uc);
}

struct saved_vcpu {
	struct vm_move_regs *regs;
	struct kvm_mp_state mp;
	int parked;
};

static void print_usage(const char *name)
{
	printf("usage: %s [-n nr_vcpus]\n", name);
}

int main(int argc, char *argv[])
{
	unsigned int nr = kvm_check_cap(KVM_CAP_MAX_VCPUS), nr_parked = 0, i;
	bool user_mpidr = kvm_has_cap(KVM_CAP_ARM_MPIDR_USER);
	bool park = kvm_has_cap(KVM_CAP_ARM_VCPU_PARK);
	double t0, t_regs_save, t_save, t_create, t_regs_restore, t_restore, t_ctl;
	struct saved_vcpu *saved;
	struct vm_move_gic *gic;
	struct vm_gic src, dst;
	u64 acc_save, acc_restore;
	struct ucall uc;
	int opt;

	while ((opt = getopt(argc, argv, "hn:")) != -1) {
		switch (opt) {
		case 'n':
			nr = atoi_positive("Number of vCPUs", optarg);
			break;
		case 'h':
			print_usage(argv[0]);
			exit(0);
		default:
			print_usage(argv[0]);
			exit(KSFT_FAIL);
		}
	}
	__TEST_REQUIRE(nr <= kvm_check_cap(KVM_CAP_MAX_VCPUS),
		       "%u vCPUs: the kernel allows %d", nr, kvm_check_cap(KVM_CAP_MAX_VCPUS));
	TEST_REQUIRE(nr >= 4);

	ksft_print_header();
	ksft_set_plan(2);
	test_busy_while_running();
	ksft_test_result_pass("a running vCPU makes every GIC and ITS access fail with EBUSY\n");
	vgic_scale_raise_nofile(2 * nr);

	create_vm(&src, nr);
	if (user_mpidr)
		set_topology(&src, nr);
	spi_target_g = nr - 1;
	lpi_target_g = nr - 2;
	for (i = 0; i < nr; i++) {
		vcpu_get_reg(src.vcpus[i], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr_g[i]);
		if (park && i && i % PARK_EVERY == PARK_EVERY / 2 && i < nr - 2) {
			vcpu_ioctl(src.vcpus[i], KVM_ARM_VCPU_PARK, NULL);
			parked_g[i] = 1;
			parked_target_g = parked_target_g ? parked_target_g : i;
			nr_parked++;
		}
	}
	nr_vcpus_g = nr;
	sync_global_to_guest(src.vm, nr_vcpus_g);
	sync_global_to_guest(src.vm, spi_target_g);
	sync_global_to_guest(src.vm, lpi_target_g);
	sync_global_to_guest(src.vm, parked_target_g);
	sync_global_to_guest(src.vm, mpidr_g);
	sync_global_to_guest(src.vm, parked_g);

	/* Everything pending, interrupts masked. */
	vgic_scale_run_to(src.vcpus[0], STAGE_READY, &uc);
	run_others(&src, nr, STAGE_READY);
	vgic_scale_run_to(src.vcpus[0], STAGE_SENT, &uc);
	kvm_arm_irq_line(src.vm, SPI_ID, 1);
	kvm_arm_irq_line(src.vm, SPI_ID, 0);
	signal_lpi(src.vm);

	/* Save, as a VMM does: the GIC (into memory too), the vCPUs. */
	saved = calloc(nr, sizeof(*saved));
	TEST_ASSERT(saved, "calloc");
	vm_move_gic_accesses = 0;
	t0 = now();
	gic = vm_move_gic_save(src.gic_fd, src.its_fd, src.vcpus, nr, NR_IRQS);
	acc_save = vm_move_gic_accesses;
	t_save = now();
	for (i = 0; i < nr; i++) {
		saved[i].regs = vm_move_vcpu_save(src.vcpus[i]);
		vcpu_mp_state_get(src.vcpus[i], &saved[i].mp);
		saved[i].parked = park ? parked(src.vcpus[i]) : 0;
		TEST_ASSERT(saved[i].parked == parked_g[i], "vCPU %u: parked %d", i,
			    saved[i].parked);
	}
	t_regs_save = now() - t_save;
	t_save -= t0;

	/*
	 * A control: as many KVM_GET_ONE_REG per vCPU as the save made GIC
	 * accesses, each O(1) in KVM whatever the VM's size.  Their cost per
	 * vCPU tells how the nested host's own cost grows with the VM.
	 */
	t0 = now();
	for (i = 0; i < nr; i++) {
		u64 v, k;

		for (k = 0; k < acc_save / nr; k++)
			vcpu_get_reg(src.vcpus[i], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &v);
	}
	t_ctl = now() - t0;

	/* Restore into a new VM: memory, the vCPUs, then the GIC. */
	t0 = now();
	create_vm(&dst, nr);
	t_create = now() - t0;
	vm_move_memory(src.vm, dst.vm);
	t0 = now();
	for (i = 0; i < nr; i++) {
		vm_move_vcpu_restore(dst.vcpus[i], saved[i].regs);
		vcpu_mp_state_set(dst.vcpus[i], &saved[i].mp);
		if (saved[i].parked)
			vcpu_ioctl(dst.vcpus[i], KVM_ARM_VCPU_PARK, NULL);
	}
	t_regs_restore = now() - t0;
	vm_move_gic_accesses = 0;
	t0 = now();
	vm_move_gic_restore(gic, dst.gic_fd, dst.its_fd, dst.vcpus);
	t_restore = now() - t0;
	acc_restore = vm_move_gic_accesses;
	free_vm(&src);

	/* The moved guest goes on. */
	for (i = 0; i < nr; i++) {
		u64 mpidr;

		vcpu_get_reg(dst.vcpus[i], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);
		TEST_ASSERT(mpidr == mpidr_g[i], "vCPU %u: MPIDR 0x%lx after the move, was 0x%lx",
			    i, mpidr, mpidr_g[i]);
		TEST_ASSERT(!park || parked(dst.vcpus[i]) == parked_g[i],
			    "vCPU %u: parked %d after the move", i, parked(dst.vcpus[i]));
	}
	vgic_scale_run_to(dst.vcpus[0], STAGE_TOOK, &uc);
	run_others(&dst, nr, STAGE_TOOK);
	check_seen(dst.vm, nr, 1, 0);
	vgic_scale_run_to(dst.vcpus[0], STAGE_SENT_B, &uc);
	run_others(&dst, nr, STAGE_TOOK_B);
	check_seen(dst.vm, nr, 1, 1);
	for (i = 0; i < nr; i++) {
		if (parked_g[i]) {
			TEST_ASSERT(_vcpu_run(dst.vcpus[i]) == -1 && errno == ENODEV,
				    "KVM_RUN of parked vCPU %u after the move: errno %d", i, errno);
			continue;
		}
		if (i)
			vgic_scale_run_done(dst.vcpus[i]);
	}
	vgic_scale_run_to(dst.vcpus[0], STAGE_TOOK_B, &uc);
	vgic_scale_run_done(dst.vcpus[0]);

	ksft_print_msg("%u vCPUs (%s topology, %u parked) moved with SGIs, SPI, LPI pending\n",
		       nr, user_mpidr ? "user" : "default", nr_parked);
	ksft_print_msg("save: GIC %.3f s (%lu accesses), vCPUs %.3f s\n",
		       t_save, acc_save, t_regs_save);
	ksft_print_msg("new VM %.3f s; restore: vCPUs %.3f s, GIC %.3f s (%lu accesses)\n",
		       t_create, t_regs_restore, t_restore, acc_restore);
	ksft_print_msg("per vCPU: GIC save %.1f us, restore %.1f us\n",
		       t_save * 1e6 / nr, t_restore * 1e6 / nr);
	ksft_print_msg("per vCPU: registers save %.1f us, restore %.1f us\n",
		       t_regs_save * 1e6 / nr, t_regs_restore * 1e6 / nr);
	ksft_print_msg("per vCPU: control (%lu KVM_GET_ONE_REG) %.1f us\n", acc_save / nr,
		       t_ctl * 1e6 / nr);
	printf("# bench-move: vcpus=%u gic_save=%.6f gic_restore=%.6f ", nr, t_save, t_restore);
	printf("regs_save=%.6f regs_restore=%.6f create=%.6f accesses=%lu control=%.6f\n",
	       t_regs_save, t_regs_restore, t_create, acc_save + acc_restore, t_ctl);
	ksft_test_result_pass("%u vCPUs moved, interrupts delivered as before\n", nr);
	free_vm(&dst);
	free(saved);
	ksft_finished();
}
