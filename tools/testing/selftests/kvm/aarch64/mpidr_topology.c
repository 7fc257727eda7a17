// SPDX-License-Identifier: GPL-2.0
/*
 * mpidr_topology - user-defined vCPU topologies (KVM_ARM_SET_MPIDRS).
 *
 * The rules on MPIDR values, on KVM_ARM_SET_MPIDRS and on a VM's first
 * run, each bad input with its errno and no MPIDR changed; then a VM of
 * -n vCPUs with the -t topology (default, sparse, threads, wide), set in
 * reverse vCPU order: every vCPU checks its MPIDR_EL1 and its
 * redistributor's GICR_TYPER, sends an SGI by affinity to two others
 * (whose pending SGIs must be exactly the ones sent to them), PSCI CPU_ON
 * and AFFINITY_INFO name vCPUs by their user MPIDR, and a VM moved to a
 * new one (registers, memory, MPIDRs) carries on sending and taking SGIs.
 *
 * With -b, measures instead the guest's cost of a targeted SGI (to the
 * last vCPU and to random ones) for the topology: on a kernel without
 * KVM_ARM_SET_MPIDRS the topology is set with KVM_SET_ONE_REG.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"
#include "vm_move.h"

#define NR_IRQS		64
#define MPIDR_RES1	BIT_ULL(31)
#define MPIDR_MT	BIT_ULL(24)
#define MPIDR_AFF	0xff00ffffffULL
#define MPIDR_REG	KVM_ARM64_SYS_REG(SYS_MPIDR_EL1)
#define NR_RANDOM	64
#define CPU_ON_ENTRY	0xfeed0000ul
#define CPU_ON_CTX	0xc0de0000ul

enum topo { TOPO_DEFAULT, TOPO_SPARSE, TOPO_THREADS, TOPO_WIDE, NR_TOPOS };
static const char * const topo_name[] = { "default", "sparse", "threads", "wide" };

enum stage { STAGE_CHECKED = 1, STAGE_SENT, STAGE_PENDING, STAGE_BENCH, STAGE_PSCI };

/* Shared with the guest. */
static u32 nr_vcpus_g, sgis_g;
static u64 mpidr_g[GICV3_MAX_CPUS];
static u64 random_mpidr_g[NR_RANDOM];

static u64 aff(u64 mpidr, int level)
{
	return (mpidr >> (level == 3 ? 32 : level * 8)) & 0xff;
}

/* Aff3..Aff0 packed as in GICR_TYPER[63:32] */
static u64 aff_packed(u64 mpidr)
{
	return aff(mpidr, 3) << 24 | aff(mpidr, 2) << 16 | aff(mpidr, 1) << 8 |
	       aff(mpidr, 0);
}

/* The MPIDR vCPU @i gets in topology @t. */
static u64 topo_mpidr(enum topo t, unsigned int i)
{
	u64 a0, a1, a2, mt = 0;

	switch (t) {
	case TOPO_SPARSE:	/* gaps at every level */
		a0 = (i % 4) * 3;
		a1 = ((i / 4) % 32) * 7 + 2;
		a2 = (i / 128) * 7 + 1;
		break;
	case TOPO_THREADS:	/* 2 threads, 8 cores per cluster */
		mt = MPIDR_MT;
		a0 = i % 2;
		a1 = (i / 2) % 8;
		a2 = i / 16;
		break;
	case TOPO_WIDE:		/* 16 x 16 per Aff2 group */
		a0 = i % 16;
		a1 = (i / 16) % 16;
		a2 = i / 256;
		break;
	default:		/* what KVM gives */
		a0 = i & 0xf;
		a1 = (i >> 4) & 0xff;
		a2 = (i >> 12) & 0xff;
		break;
	}
	return MPIDR_RES1 | mt | a2 << 16 | a1 << 8 | a0;
}

/* vCPU i sends SGI i % 16 to vCPUs i + 1 and i + 5. */
static u32 sgi_target(u32 i, int k)
{
	return (i + (k ? 5 : 1)) % nr_vcpus_g;
}

static u64 sgi_bench(const u64 *targets, unsigned int nr)
{
	u64 t0, t1;
	u32 i;

	t0 = read_sysreg(cntvct_el0);
	isb();
	for (i = 0; i < sgis_g; i++)
		vgic_scale_send_sgi(targets[i % nr], 1, false);
	isb();
	t1 = read_sysreg(cntvct_el0);
	return (t1 - t0) * 1000000000ull / read_sysreg(cntfrq_el0) / sgis_g;
}

static u64 psci_call(u32 fn, u64 a0, u64 a1, u64 a2)
{
	struct arm_smccc_res res;

	smccc_hvc(fn, a0, a1, a2, 0, 0, 0, 0, &res);
	return res.a0;
}

static void guest_code(void)
{
	u32 cpu = guest_get_vcpuid();
	u64 mpidr = read_sysreg(mpidr_el1);
	void *rd = (void *)gicv3_redist_base[cpu];
	u64 typer = readq_relaxed(rd + GICR_TYPER);
	int k;

	GUEST_ASSERT_EQ(mpidr, mpidr_g[cpu]);
	GUEST_ASSERT_EQ(typer >> 32, aff_packed(mpidr));
	GUEST_ASSERT_EQ((typer >> 8) & 0xffff, cpu);
	gic_init(GIC_V3, nr_vcpus_g);
	GUEST_SYNC(STAGE_CHECKED);

	for (k = 0; k < 2; k++)
		vgic_scale_send_sgi(mpidr_g[sgi_target(cpu, k)], cpu % 16, false);
	GUEST_SYNC(STAGE_SENT);

	GUEST_SYNC_ARGS(STAGE_PENDING,
			readl_relaxed(rd + SZ_64K + GICR_ISPENDR0) & 0xffff, 0, 0, 0);
	GUEST_DONE();
}

static void guest_bench(void)
{
	u64 last = mpidr_g[nr_vcpus_g - 1];

	gic_init(GIC_V3, nr_vcpus_g);
	GUEST_SYNC_ARGS(STAGE_BENCH, sgi_bench(&last, 1),
			sgi_bench(random_mpidr_g, NR_RANDOM), 0, 0);
	GUEST_DONE();
}

/* vCPU 0: AFFINITY_INFO and CPU_ON of every other vCPU, by user MPIDR. */
static void guest_psci(void)
{
	u32 i;

	for (i = 1; i < nr_vcpus_g; i++) {
		u64 target = mpidr_g[i] & MPIDR_AFF;

		GUEST_ASSERT_EQ(psci_call(PSCI_0_2_FN64_AFFINITY_INFO, target, 0, 0),
				PSCI_0_2_AFFINITY_LEVEL_OFF);
		GUEST_ASSERT_EQ(psci_call(PSCI_0_2_FN64_CPU_ON, target,
					  CPU_ON_ENTRY + i * 4, CPU_ON_CTX + i), 0);
		GUEST_ASSERT_EQ(psci_call(PSCI_0_2_FN64_AFFINITY_INFO, target, 0, 0),
				PSCI_0_2_AFFINITY_LEVEL_ON);
		GUEST_SYNC_ARGS(STAGE_PSCI, i, 0, 0, 0);
	}
	GUEST_DONE();
}

static u64 get_mpidr(struct kvm_vcpu *vcpu)
{
	u64 v;

	vcpu_get_reg(vcpu, MPIDR_REG, &v);
	return v;
}

/* A struct kvm_arm_mpidrs of @n entries. */
static struct kvm_arm_mpidrs *batch_alloc(unsigned int n)
{
	struct kvm_arm_mpidrs *b;

	b = calloc(1, sizeof(*b) + n * sizeof(b->entries[0]));
	TEST_ASSERT(b, "calloc");
	b->nr_entries = n;
	return b;
}

static int set_batch(struct kvm_vm *vm, struct kvm_arm_mpidrs *b)
{
	return __vm_ioctl(vm, KVM_ARM_SET_MPIDRS, b);
}

/*
 * Set topology @t, vCPU i taking the MPIDR of position nr - 1 - i; the
 * default topology is KVM's own, left as it is.
 */
static void set_topology(struct kvm_vm *vm, struct kvm_vcpu **vcpus,
			 unsigned int nr, enum topo t)
{
	struct kvm_arm_mpidrs *b;
	unsigned int i;

	for (i = 0; i < nr; i++)
		mpidr_g[i] = t == TOPO_DEFAULT ? get_mpidr(vcpus[i]) :
			     topo_mpidr(t, nr - 1 - i);

	if (t == TOPO_DEFAULT) {
		TEST_ASSERT_EQ(mpidr_g[nr - 1], topo_mpidr(t, nr - 1));
	} else if (!kvm_has_cap(KVM_CAP_ARM_MPIDR_USER)) {
		/* KVM_SET_ONE_REG one by one: no transient duplicate for these */
		for (i = 0; i < nr; i++)
			vcpu_set_reg(vcpus[i], MPIDR_REG, mpidr_g[i]);
	} else {
		b = batch_alloc(nr);
		for (i = 0; i < nr; i++) {
			b->entries[i].vcpu_id = vcpus[i]->id;
			b->entries[i].mpidr = mpidr_g[i];
		}
		TEST_ASSERT(!set_batch(vm, b), "KVM_ARM_SET_MPIDRS: errno %d", errno);
		free(b);
	}
	for (i = 0; i < nr; i++)
		TEST_ASSERT_EQ(get_mpidr(vcpus[i]), mpidr_g[i]);
	sync_global_to_guest(vm, mpidr_g);
}

/*
 * A GICv3 VM of @nr vCPUs running @code, its redistributors in 3 regions;
 * with PSCI 0.2 or later if @psci.
 */
static struct kvm_vm *create_vm(unsigned int nr, void *code, struct kvm_vcpu **vcpus,
				bool psci, int *gic_fd)
{
	struct vgic_rdist_layout layout;
	struct kvm_vcpu_init init;
	struct kvm_vm *vm;
	unsigned int i;

	vgic_rdist_layout_vmm(&layout, nr);
	vm = __vm_create(VM_SHAPE_DEFAULT, nr, vgic_rdist_layout_pages(&layout));
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	if (psci)
		init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < nr; i++)
		vcpus[i] = aarch64_vcpu_add(vm, i, &init, code);
	*gic_fd = vgic_v3_setup_layout(vm, nr, NR_IRQS, &layout);
	nr_vcpus_g = nr;
	sync_global_to_guest(vm, nr_vcpus_g);
	return vm;
}

/* Every vCPU's MPIDR is still mpidr_g[]. */
static void assert_unchanged(struct kvm_vcpu **vcpus, unsigned int nr, const char *what)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		TEST_ASSERT(get_mpidr(vcpus[i]) == mpidr_g[i],
			    "%s: vCPU %u MPIDR 0x%lx, was 0x%lx", what, i,
			    get_mpidr(vcpus[i]), mpidr_g[i]);
}

static void test_value_rules(void)
{
	static const struct { u64 val; int err; const char *what; } bad[] = {
		{ 0x0,				EINVAL, "RES1 bit 31 clear" },
		{ MPIDR_RES1 | BIT_ULL(30),	EINVAL, "U set" },
		{ MPIDR_RES1 | BIT_ULL(25),	EINVAL, "RES0 bit 25" },
		{ MPIDR_RES1 | BIT_ULL(40),	EINVAL, "RES0 bit 40" },
		{ MPIDR_RES1 | BIT_ULL(63),	EINVAL, "RES0 bit 63" },
		{ MPIDR_RES1 | 16,		EINVAL, "Aff0 16" },
		{ MPIDR_RES1 | 0xff,		EINVAL, "Aff0 255" },
		{ MPIDR_RES1 | BIT_ULL(32),	EINVAL, "Aff3 1" },
	};
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	unsigned int i;
	int ret;

	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	for (i = 0; i < 2; i++)
		mpidr_g[i] = get_mpidr(vcpus[i]);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = __vcpu_set_reg(vcpus[1], MPIDR_REG, bad[i].val);
		TEST_ASSERT(ret && errno == bad[i].err,
			    "KVM_SET_ONE_REG MPIDR %s: ret %d errno %d, want %d",
			    bad[i].what, ret, errno, bad[i].err);
		assert_unchanged(vcpus, 2, bad[i].what);
	}
	/* Allowed: MT, Aff2, Aff1, Aff0 up to 15 (a duplicate waits for KVM_RUN) */
	vcpu_set_reg(vcpus[1], MPIDR_REG, MPIDR_RES1 | MPIDR_MT | 0xfe << 16 | 0xab << 8 | 15);
	kvm_vm_free(vm);
	ksft_test_result_pass("KVM_SET_ONE_REG(MPIDR_EL1): %zu bad values refused\n",
			      ARRAY_SIZE(bad));
}

/* Two entries: vCPUs 0 and 1 to fresh affinities. */
static void reset_batch(struct kvm_arm_mpidrs *b)
{
	memset(b, 0, sizeof(*b) + 2 * sizeof(b->entries[0]));
	b->nr_entries = 2;
	b->entries[0].vcpu_id = 0;
	b->entries[0].mpidr = MPIDR_RES1 | 0x10000;
	b->entries[1].vcpu_id = 1;
	b->entries[1].mpidr = MPIDR_RES1 | 0x10001;
}

static unsigned int nr_refused;

/* @b must fail with @err and change no vCPU's MPIDR. */
static void expect_batch(struct kvm_vm *vm, struct kvm_arm_mpidrs *b,
			 struct kvm_vcpu **vcpus, int err, const char *what)
{
	int ret = set_batch(vm, b);

	TEST_ASSERT(ret && errno == err, "%s: ret %d errno %d, want %d",
		    what, ret, errno, err);
	assert_unchanged(vcpus, 4, what);
	nr_refused++;
}

static void test_batch_rules(void)
{
	struct kvm_vcpu *vcpus[4];
	struct kvm_arm_mpidrs *b;
	struct kvm_vm *vm;
	unsigned int i;
	int fd, ret;

	vm = vm_create_with_vcpus(4, guest_code, vcpus);
	for (i = 0; i < 4; i++)
		mpidr_g[i] = get_mpidr(vcpus[i]);
	b = batch_alloc(2);

	reset_batch(b);
	b->flags = 1;
	expect_batch(vm, b, vcpus, EINVAL, "flags 1");
	reset_batch(b);
	b->nr_entries = 0;
	expect_batch(vm, b, vcpus, EINVAL, "no entries");
	reset_batch(b);
	b->nr_entries = kvm_check_cap(KVM_CAP_ARM_MPIDR_USER) + 1;
	expect_batch(vm, b, vcpus, E2BIG, "more entries than the capability");
	reset_batch(b);
	b->entries[1].reserved = 1;
	expect_batch(vm, b, vcpus, EINVAL, "reserved field set");
	reset_batch(b);
	b->entries[1].vcpu_id = 4;
	expect_batch(vm, b, vcpus, ENOENT, "vCPU 4 does not exist");
	reset_batch(b);
	b->entries[1].vcpu_id = 0;
	expect_batch(vm, b, vcpus, EINVAL, "vCPU 0 twice");
	reset_batch(b);
	b->entries[1].mpidr = b->entries[0].mpidr;
	expect_batch(vm, b, vcpus, EEXIST, "duplicate within the batch");
	reset_batch(b);
	b->entries[1].mpidr = mpidr_g[3];
	expect_batch(vm, b, vcpus, EEXIST, "duplicate of vCPU 3, not in the batch");
	reset_batch(b);
	b->entries[1].mpidr |= MPIDR_MT;
	expect_batch(vm, b, vcpus, EINVAL, "MT set on one vCPU only");
	reset_batch(b);
	b->entries[1].mpidr = MPIDR_RES1 | 16;
	expect_batch(vm, b, vcpus, EINVAL, "Aff0 16");
	reset_batch(b);
	b->entries[1].mpidr = MPIDR_RES1 | BIT_ULL(32);
	expect_batch(vm, b, vcpus, EINVAL, "Aff3 1");
	reset_batch(b);
	b->entries[1].mpidr &= ~MPIDR_RES1;
	expect_batch(vm, b, vcpus, EINVAL, "RES1 clear");
	ret = ioctl(vm->fd, KVM_ARM_SET_MPIDRS, (void *)8);
	TEST_ASSERT(ret && errno == EFAULT, "bad pointer: ret %d errno %d", ret, errno);
	assert_unchanged(vcpus, 4, "bad pointer");
	nr_refused++;

	/* A vCPU that is not initialised yet */
	fd = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)5ul);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_VCPU 5: errno %d", errno);
	reset_batch(b);
	b->entries[1].vcpu_id = 5;
	expect_batch(vm, b, vcpus, ENOEXEC, "vCPU 5 not initialised");

	/* Swap two vCPUs' values: only as a whole */
	reset_batch(b);
	b->entries[0].mpidr = mpidr_g[1];
	b->entries[1].mpidr = mpidr_g[0];
	TEST_ASSERT(!set_batch(vm, b), "swap: errno %d", errno);
	TEST_ASSERT(get_mpidr(vcpus[0]) == mpidr_g[1] && get_mpidr(vcpus[1]) == mpidr_g[0],
		    "swap not applied");
	close(fd);
	free(b);
	kvm_vm_free(vm);
	ksft_test_result_pass("KVM_ARM_SET_MPIDRS: %u bad batches refused, a swap applied\n",
			      nr_refused);
}

/* KVM_SET_ONE_REG may leave a duplicate or mixed MT until KVM_RUN. */
static void test_run_rules(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_arm_mpidrs *b;
	struct kvm_vm *vm;
	int vtimer, ptimer;
	u64 m0, m1;
	int ret, gic_fd;
	struct ucall uc;

	vm = create_vm(2, guest_code, vcpus, false, &gic_fd);
	m0 = get_mpidr(vcpus[0]);
	m1 = get_mpidr(vcpus[1]);

	/*
	 * A first run that fails at its last steps, after the vgic is ready
	 * (the virtual and physical timers on one PPI: EINVAL from the timer),
	 * has not run the VM: the MPIDRs stay settable.  The virtual timer
	 * takes the physical one's PPI: KVM claims the physical timer's first
	 * and keeps the claim, so the VM runs once the virtual one has its
	 * own PPI back.
	 */
	vcpu_device_attr_get(vcpus[0], KVM_ARM_VCPU_TIMER_CTRL,
			     KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &vtimer);
	vcpu_device_attr_get(vcpus[0], KVM_ARM_VCPU_TIMER_CTRL,
			     KVM_ARM_VCPU_TIMER_IRQ_PTIMER, &ptimer);
	vcpu_device_attr_set(vcpus[0], KVM_ARM_VCPU_TIMER_CTRL,
			     KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &ptimer);
	ret = __vcpu_run(vcpus[0]);
	TEST_ASSERT(ret && errno == EINVAL, "KVM_RUN with both timers on PPI %d: ret %d errno %d",
		    ptimer, ret, errno);
	ret = __vcpu_set_reg(vcpus[1], MPIDR_REG, m1 + 1);
	TEST_ASSERT(!ret, "KVM_SET_ONE_REG of a new MPIDR after a failed first run: errno %d (%s)",
		    errno, strerror(errno));
	vcpu_set_reg(vcpus[1], MPIDR_REG, m1);
	vcpu_device_attr_set(vcpus[0], KVM_ARM_VCPU_TIMER_CTRL,
			     KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &vtimer);

	vcpu_set_reg(vcpus[1], MPIDR_REG, m0);
	ret = __vcpu_run(vcpus[0]);
	TEST_ASSERT(ret && errno == EEXIST, "KVM_RUN with a duplicate: ret %d errno %d",
		    ret, errno);
	vcpu_set_reg(vcpus[1], MPIDR_REG, m1 | MPIDR_MT);
	ret = __vcpu_run(vcpus[1]);
	TEST_ASSERT(ret && errno == EINVAL, "KVM_RUN with MT mixed: ret %d errno %d",
		    ret, errno);
	vcpu_set_reg(vcpus[1], MPIDR_REG, m1);

	mpidr_g[0] = m0;
	mpidr_g[1] = m1;
	sync_global_to_guest(vm, mpidr_g);
	vgic_scale_run_to(vcpus[0], STAGE_CHECKED, &uc);

	/* Fixed from now on: the same value is fine, another is not */
	vcpu_set_reg(vcpus[1], MPIDR_REG, m1);
	ret = __vcpu_set_reg(vcpus[1], MPIDR_REG, m1 + 1);
	TEST_ASSERT(ret && errno == EBUSY, "KVM_SET_ONE_REG after run: ret %d errno %d",
		    ret, errno);
	b = batch_alloc(1);
	b->entries[0].vcpu_id = 1;
	b->entries[0].mpidr = m1 + 1;
	ret = set_batch(vm, b);
	TEST_ASSERT(ret && errno == EBUSY, "KVM_ARM_SET_MPIDRS after run: ret %d errno %d",
		    ret, errno);
	assert_unchanged(vcpus, 2, "after run");
	vgic_scale_run_to(vcpus[1], STAGE_CHECKED, &uc);
	free(b);
	close(gic_fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("first KVM_RUN: a failed one fixes nothing; duplicates, mixed MT\n");
}

/* Run every vCPU to @stage; for STAGE_PENDING check each one's SGIs. */
static void run_all(struct kvm_vcpu **vcpus, unsigned int nr, u64 stage)
{
	struct ucall uc;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		u64 want = BIT(((i + nr - 1) % nr) % 16) | BIT(((i + nr - 5) % nr) % 16);

		vgic_scale_run_to(vcpus[i], stage, &uc);
		if (stage == STAGE_PENDING)
			TEST_ASSERT(uc.args[2] == want,
				    "vCPU %u: SGIs pending 0x%lx, want 0x%lx",
				    i, uc.args[2], want);
	}
}

static void test_topology(unsigned int nr, enum topo t)
{
	struct kvm_vcpu **vcpus = calloc(nr, sizeof(*vcpus));
	struct kvm_vm *vm;
	unsigned int i;
	int gic_fd;

	TEST_ASSERT(vcpus, "calloc");
	vm = create_vm(nr, guest_code, vcpus, false, &gic_fd);
	set_topology(vm, vcpus, nr, t);
	run_all(vcpus, nr, STAGE_CHECKED);
	run_all(vcpus, nr, STAGE_SENT);
	run_all(vcpus, nr, STAGE_PENDING);
	for (i = 0; i < nr; i++)
		vgic_scale_run_done(vcpus[i]);
	close(gic_fd);
	kvm_vm_free(vm);
	free(vcpus);
	ksft_test_result_pass("%s topology, %u vCPUs: MPIDR_EL1, GICR_TYPER and SGIs by affinity\n",
			      topo_name[t], nr);
}

static void test_psci(enum topo t)
{
	struct kvm_vcpu_init init;
	struct kvm_mp_state mp;
	struct kvm_vcpu *vcpus[8];
	struct kvm_vm *vm;
	unsigned int i, j;
	struct ucall uc;
	u64 pc, x0;
	int gic_fd;

	vm = create_vm(8, guest_psci, vcpus, true, &gic_fd);
	set_topology(vm, vcpus, 8, t);
	for (i = 1; i < 8; i++)
		vcpu_mp_state_set(vcpus[i], &(struct kvm_mp_state){ KVM_MP_STATE_STOPPED });

	for (i = 1; i < 8; i++) {
		vgic_scale_run_to(vcpus[0], STAGE_PSCI, &uc);
		TEST_ASSERT_EQ(uc.args[2], i);
		for (j = 1; j < 8; j++) {
			vcpu_mp_state_get(vcpus[j], &mp);
			TEST_ASSERT(mp.mp_state == (j <= i ? KVM_MP_STATE_RUNNABLE :
						    KVM_MP_STATE_STOPPED),
				    "CPU_ON of vCPU %u: vCPU %u in state %u", i, j,
				    mp.mp_state);
		}
		vcpu_get_reg(vcpus[i], ARM64_CORE_REG(regs.pc), &pc);
		vcpu_get_reg(vcpus[i], ARM64_CORE_REG(regs.regs[0]), &x0);
		TEST_ASSERT(pc == CPU_ON_ENTRY + i * 4 && x0 == CPU_ON_CTX + i,
			    "vCPU %u started at 0x%lx with 0x%lx", i, pc, x0);
	}
	/* The register reads above made each CPU_ON's reset: MPIDRs stay. */
	assert_unchanged(vcpus, 8, "PSCI CPU_ON reset");
	vgic_scale_run_done(vcpus[0]);
	/* So does a VMM's reset of the whole VM. */
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < 8; i++)
		vcpu_ioctl(vcpus[i], KVM_ARM_VCPU_INIT, &init);
	assert_unchanged(vcpus, 8, "KVM_ARM_VCPU_INIT after the first run");
	close(gic_fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("%s topology: PSCI CPU_ON and AFFINITY_INFO by user MPIDR\n",
			      topo_name[t]);
}

/*
 * Run every vCPU of a VM with topology @t through its checks, move it
 * (registers in reg-list order, MPIDR included, and memory) to a new VM,
 * and let it send and take its SGIs there.
 */
static void test_move(unsigned int nr, enum topo t)
{
	struct kvm_vcpu **src = calloc(nr, sizeof(*src));
	struct kvm_vcpu **dst = calloc(nr, sizeof(*dst));
	struct kvm_vm *a, *b;
	int fd_a, fd_b;
	unsigned int i;

	TEST_ASSERT(src && dst, "calloc");
	a = create_vm(nr, guest_code, src, false, &fd_a);
	set_topology(a, src, nr, t);
	run_all(src, nr, STAGE_CHECKED);
	/* Complete the ucall's MMIO exit, as a VMM does before saving */
	for (i = 0; i < nr; i++)
		vcpu_run_complete_io(src[i]);

	b = create_vm(nr, guest_code, dst, false, &fd_b);
	for (i = 0; i < nr; i++)
		vm_move_vcpu_regs(src[i], dst[i]);
	vm_move_memory(a, b);
	close(fd_a);
	kvm_vm_free(a);
	for (i = 0; i < nr; i++)
		TEST_ASSERT_EQ(get_mpidr(dst[i]), mpidr_g[i]);

	run_all(dst, nr, STAGE_SENT);
	run_all(dst, nr, STAGE_PENDING);
	for (i = 0; i < nr; i++)
		vgic_scale_run_done(dst[i]);
	close(fd_b);
	kvm_vm_free(b);
	free(src);
	free(dst);
	ksft_test_result_pass("%s topology, %u vCPUs moved to a new VM: SGIs by affinity there\n",
			      topo_name[t], nr);
}

static void measure_sgis(unsigned int nr, enum topo t, u32 sgis)
{
	struct kvm_vcpu **vcpus = calloc(nr, sizeof(*vcpus));
	struct kvm_vm *vm;
	struct ucall uc;
	unsigned int i;
	int gic_fd;

	TEST_ASSERT(vcpus, "calloc");
	vm = create_vm(nr, guest_bench, vcpus, false, &gic_fd);
	set_topology(vm, vcpus, nr, t);
	srandom(nr);
	for (i = 0; i < NR_RANDOM; i++)
		random_mpidr_g[i] = mpidr_g[1 + random() % (nr - 1)];
	sgis_g = sgis;
	sync_global_to_guest(vm, random_mpidr_g);
	sync_global_to_guest(vm, sgis_g);
	vgic_scale_run_to(vcpus[0], STAGE_BENCH, &uc);
	ksft_print_msg("sgi-bench vcpus=%u topology=%s last=%luns random=%luns\n",
		       nr, topo_name[t], uc.args[2], uc.args[3]);
	vgic_scale_run_done(vcpus[0]);
	close(gic_fd);
	kvm_vm_free(vm);
	free(vcpus);
	ksft_test_result_pass("SGI cost measured: %u vCPUs, %s topology\n", nr, topo_name[t]);
}

/* Usage on stdout; -h exits 0, a usage error KSFT_FAIL. */
static void help(const char *name, int status)
{
	printf("usage: %s [-n nr_vcpus] [-t default|sparse|threads|wide] [-b] [-s sgis]\n",
	       name);
	exit(status);
}

int main(int argc, char *argv[])
{
	unsigned int nr_vcpus = 64, i;
	enum topo t = TOPO_SPARSE;
	bool do_bench = false;
	u32 sgis = 2000;
	int opt;

	while ((opt = getopt(argc, argv, "hn:t:bs:")) != -1) {
		switch (opt) {
		case 'n':
			nr_vcpus = atoi_positive("Number of vCPUs", optarg);
			break;
		case 't':
			for (i = 0; i < NR_TOPOS; i++)
				if (!strcmp(optarg, topo_name[i]))
					break;
			if (i == NR_TOPOS)
				help(argv[0], KSFT_FAIL);
			t = i;
			break;
		case 'b':
			do_bench = true;
			break;
		case 's':
			sgis = atoi_positive("SGIs", optarg);
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
	TEST_REQUIRE(nr_vcpus >= 8);
	vgic_scale_raise_nofile(nr_vcpus);

	ksft_print_header();
	if (do_bench) {
		ksft_set_plan(1);
		measure_sgis(nr_vcpus, t, sgis);
		ksft_finished();
	}

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_MPIDR_USER));
	ksft_set_plan(6);
	test_value_rules();
	test_batch_rules();
	test_run_rules();
	test_topology(nr_vcpus, t);
	test_psci(t);
	test_move(nr_vcpus < 64 ? nr_vcpus : 64, t);
	ksft_finished();
}
