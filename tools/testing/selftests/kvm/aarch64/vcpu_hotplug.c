// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu_hotplug - parked vCPUs (KVM_ARM_VCPU_PARK, KVM_ARM_VCPU_UNPARK).
 *
 * Every invalid transition and KVM_RUN on a parked vCPU, each with its
 * errno and no state change (the refused KVM_RUN is not the VM's first
 * run: MPIDRs stay settable); the hotplug lifecycle seen from the guest for
 * many cycles (CPU_ON of a parked vCPU is DENIED; once unparked it starts
 * at the entry point with the context id, calls CPU_OFF and is parked
 * again); SGIs sent to parked vCPUs, none pending after unpark; the parked
 * state carried over to a new VM; a thread parking and unparking while
 * vCPU 0 starts the same vCPUs and sends them SGIs (-r seconds); and, at
 * scale, a VM of -n vCPUs booted with -p present and the rest hot-added in
 * batches, every added vCPU reporting in.
 *
 * Started vCPUs run a stub at a guest-physical address, MMU off: it writes
 * its context id to SIGNAL_GPA (an MMIO exit the host checks) and calls
 * PSCI CPU_OFF.
 *
 * With -b, measures instead the guest's cost of a refused CPU_ON: in the
 * kernel (parked vCPU) and the upstream way, forwarded to this VMM through
 * the SMCCC filter and refused there; and the hot-add latency (unpark until
 * the vCPU runs guest code after CPU_ON).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>
#include <linux/psci.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"
#include "vm_move.h"

#define NR_IRQS		64
#define SIGNAL_GPA	0x60000000ul
#define MAX_VCPUS	GICV3_MAX_CPUS

enum stage {
	STAGE_DENIED = 1, STAGE_STARTED, STAGE_SENT, STAGE_BATCH, STAGE_RACE,
	STAGE_BENCH, STAGE_MP_STATE,
};

/* Shared with the guest. */
static u32 nr_vcpus_g, batch_first_g, batch_end_g;
static u64 stub_gpa_g, cycles_g, race_end_g, bench_target_g, bench_calls_g;

static u64 psci(u32 fn, u64 a0, u64 a1, u64 a2)
{
	struct arm_smccc_res res;

	smccc_hvc(fn, a0, a1, a2, 0, 0, 0, 0, &res);
	return res.a0;
}

/* The default MPIDR affinity of vCPU @i, as KVM gives it. */
static u64 mpidr_of(u32 i)
{
	return (i & 0xf) | ((i >> 4) & 0xff) << 8 | ((i >> 12) & 0xff) << 16;
}

static s64 cpu_on(u32 i, u64 ctx)
{
	return psci(PSCI_0_2_FN64_CPU_ON, mpidr_of(i), stub_gpa_g, ctx);
}

static u64 affinity_info(u32 i)
{
	return psci(PSCI_0_2_FN64_AFFINITY_INFO, mpidr_of(i), 0, 0);
}

/* vCPU 0: cycles of CPU_ON DENIED (parked), then started (unparked). */
static void guest_lifecycle(void)
{
	u64 c;

	for (c = 0; c < cycles_g; c++) {
		u32 t = 1 + c % (nr_vcpus_g - 1);

		s64 r;

		GUEST_ASSERT_EQ(affinity_info(t), PSCI_0_2_AFFINITY_LEVEL_OFF);
		r = cpu_on(t, c);
		__GUEST_ASSERT(r == PSCI_RET_DENIED, "cycle %lu: CPU_ON of parked vCPU %u: %ld",
			       c, t, r);
		GUEST_SYNC_ARGS(STAGE_DENIED, c, t, 0, 0);
		GUEST_ASSERT_EQ(affinity_info(t), PSCI_0_2_AFFINITY_LEVEL_OFF);
		GUEST_ASSERT_EQ(cpu_on(t, c), PSCI_RET_SUCCESS);
		GUEST_ASSERT_EQ(affinity_info(t), PSCI_0_2_AFFINITY_LEVEL_ON);
		GUEST_SYNC_ARGS(STAGE_STARTED, c, t, 0, 0);
	}
	GUEST_DONE();
}

/*
 * vCPU 0: vCPU 1 is parked (KVM_SET_MP_STATE could not make it runnable):
 * AFFINITY_INFO says OFF before and after a DENIED CPU_ON; once the host
 * has unparked it and made it runnable, ON.
 */
static void guest_mp_state(void)
{
	GUEST_ASSERT_EQ(affinity_info(1), PSCI_0_2_AFFINITY_LEVEL_OFF);
	GUEST_ASSERT_EQ(cpu_on(1, 0), PSCI_RET_DENIED);
	GUEST_ASSERT_EQ(affinity_info(1), PSCI_0_2_AFFINITY_LEVEL_OFF);
	GUEST_SYNC(STAGE_MP_STATE);
	GUEST_ASSERT_EQ(affinity_info(1), PSCI_0_2_AFFINITY_LEVEL_ON);
	GUEST_DONE();
}

/* vCPU 0: SGI 1 to all; SGI 2 broadcast and SGI 3 to all; SGI 4 to all. */
static void guest_sgis(void)
{
	u32 i;

	gic_init(GIC_V3, nr_vcpus_g);
	for (i = 1; i < nr_vcpus_g; i++)
		vgic_scale_send_sgi(mpidr_of(i), 1, false);
	GUEST_SYNC(STAGE_SENT);
	vgic_scale_send_sgi(0, 2, true);
	for (i = 1; i < nr_vcpus_g; i++)
		vgic_scale_send_sgi(mpidr_of(i), 3, false);
	GUEST_SYNC(STAGE_SENT);
	for (i = 1; i < nr_vcpus_g; i++)
		vgic_scale_send_sgi(mpidr_of(i), 4, false);
	GUEST_SYNC(STAGE_SENT);
	GUEST_DONE();
}

/*
 * vCPU 0: the last vCPU is parked; then start the vCPUs of each batch the
 * host gives, until an empty one.
 */
static void guest_scale(void)
{
	u32 i;

	GUEST_ASSERT_EQ(cpu_on(nr_vcpus_g - 1, 0), PSCI_RET_DENIED);
	GUEST_SYNC(STAGE_BATCH);
	while (READ_ONCE(batch_first_g) < READ_ONCE(batch_end_g)) {
		for (i = READ_ONCE(batch_first_g); i < READ_ONCE(batch_end_g); i++)
			GUEST_ASSERT_EQ(cpu_on(i, i), PSCI_RET_SUCCESS);
		GUEST_SYNC(STAGE_BATCH);
	}
	GUEST_DONE();
}

/* vCPU 0: start vCPUs 1 and 2 in turn, and send them SGIs, until told. */
static void guest_race(void)
{
	u64 n;

	gic_init(GIC_V3, nr_vcpus_g);
	for (n = 0; !READ_ONCE(race_end_g); n++) {
		u32 t = 1 + n % 2;
		s64 r;

		vgic_scale_send_sgi(mpidr_of(t), 5, false);
		r = cpu_on(t, n);
		GUEST_ASSERT(r == PSCI_RET_SUCCESS || r == PSCI_RET_DENIED);
		GUEST_SYNC_ARGS(STAGE_RACE, n, t, r == PSCI_RET_SUCCESS, 0);
	}
	GUEST_DONE();
}

/* vCPU 0: the cost of a refused CPU_ON, in counter ticks per call. */
static void guest_bench(void)
{
	u64 t0, t1, i;

	t0 = read_sysreg(cntvct_el0);
	isb();
	for (i = 0; i < bench_calls_g; i++)
		GUEST_ASSERT_EQ(cpu_on(bench_target_g, 0), PSCI_RET_DENIED);
	isb();
	t1 = read_sysreg(cntvct_el0);
	GUEST_SYNC_ARGS(STAGE_BENCH, (t1 - t0) * 1000000000ull /
			read_sysreg(cntfrq_el0) / bench_calls_g, 0, 0, 0);
	GUEST_DONE();
}

/*
 * The stub started vCPUs run, MMU off, at stub_gpa_g:
 *   movz x1, #(SIGNAL_GPA >> 16), lsl #16
 *   str  x0, [x1]			// context id: an MMIO exit
 *   movz w0, #0x0002
 *   movk w0, #0x8400, lsl #16		// PSCI_0_2_FN_CPU_OFF
 *   hvc  #0
 *   b    .
 */
static const u32 stub_code[] = {
	0xd2a00000 | (SIGNAL_GPA >> 16) << 5 | 1,
	0xf9000020,
	0x52800040,
	0x72b08000,
	0xd4000002,
	0x14000000,
};

static void no_op(int sig)
{
}

static int park(struct kvm_vcpu *vcpu, unsigned long op)
{
	return ioctl(vcpu->fd, op, 0);
}

static void park_ok(struct kvm_vcpu *vcpu, unsigned long op)
{
	TEST_ASSERT(!park(vcpu, op), "vCPU %u: %s: errno %d", vcpu->id,
		    op == KVM_ARM_VCPU_PARK ? "park" : "unpark", errno);
}

static int parked(struct kvm_vcpu *vcpu)
{
	int r = ioctl(vcpu->fd, KVM_ARM_VCPU_PARKED, 0);

	TEST_ASSERT(r == 0 || r == 1, "KVM_ARM_VCPU_PARKED: %d errno %d", r, errno);
	return r;
}

static u32 mp_state(struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp;

	vcpu_mp_state_get(vcpu, &mp);
	return mp.mp_state;
}

/* The vCPU's binary stat @name. */
static u64 vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	int fd = vcpu_get_stats_fd(vcpu);
	u64 val = ~0ull;
	u32 i;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		if (!strcmp(d->name, name))
			read_stat_data(fd, &header, d, &val, 1);
	}
	free(descs);
	close(fd);
	TEST_ASSERT(val != ~0ull, "no vCPU stat %s", name);
	return val;
}

/* Run a started vCPU to its MMIO signal: it must carry @ctx. */
static void run_to_signal(struct kvm_vcpu *vcpu, u64 ctx)
{
	u64 data = 0;

	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO &&
		    vcpu->run->mmio.phys_addr == SIGNAL_GPA && vcpu->run->mmio.is_write,
		    "vCPU %u: exit %s at 0x%llx, want its signal", vcpu->id,
		    exit_reason_str(vcpu->run->exit_reason), vcpu->run->mmio.phys_addr);
	memcpy(&data, vcpu->run->mmio.data, sizeof(data));
	TEST_ASSERT(data == ctx, "vCPU %u started with context 0x%lx, want 0x%lx",
		    vcpu->id, data, ctx);
}

/* Run a vCPU past its signal until its CPU_OFF has powered it off. */
static void run_to_off(struct kvm_vcpu *vcpu)
{
	struct itimerval t = {
		.it_value = { .tv_usec = 20000 }, .it_interval = { .tv_usec = 20000 },
	};
	int ret;

	/* A powered-off vCPU sleeps in KVM_RUN: a signal ends it */
	setitimer(ITIMER_REAL, &t, NULL);
	while (mp_state(vcpu) != KVM_MP_STATE_STOPPED) {
		ret = __vcpu_run(vcpu);
		TEST_ASSERT(!ret || errno == EINTR, "vCPU %u: KVM_RUN errno %d",
			    vcpu->id, errno);
	}
	setitimer(ITIMER_REAL, &(struct itimerval){}, NULL);
}

/*
 * A VM of @nr vCPUs (PSCI 0.2 and later) running @code, with a GICv3 whose
 * redistributors span three regions, and the stub in a page of its own.
 */
static struct kvm_vm *create_vm(unsigned int nr, void *code, struct kvm_vcpu **vcpus,
				int *gic_fd)
{
	struct vgic_rdist_layout layout;
	struct kvm_vcpu_init init;
	struct kvm_vm *vm;
	unsigned int i;

	vgic_rdist_layout_vmm(&layout, nr);
	vm = __vm_create(VM_SHAPE_DEFAULT, nr, vgic_rdist_layout_pages(&layout) + 1);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < nr; i++)
		vcpus[i] = aarch64_vcpu_add(vm, i, &init, code);
	*gic_fd = vgic_v3_setup_layout(vm, nr, NR_IRQS, &layout);

	stub_gpa_g = vm_phy_page_alloc(vm, 0, 0);
	memcpy(addr_gpa2hva(vm, stub_gpa_g), stub_code, sizeof(stub_code));
	nr_vcpus_g = nr;
	sync_global_to_guest(vm, stub_gpa_g);
	sync_global_to_guest(vm, nr_vcpus_g);
	return vm;
}

/* An operation that must fail with @err and leave @vcpu as it was. */
static void expect_refused(struct kvm_vcpu *vcpu, unsigned long op, unsigned long arg,
			   int err, const char *what)
{
	int was_parked = parked(vcpu);
	u32 was_state = mp_state(vcpu);
	int ret;

	if (op == KVM_RUN)
		ret = __vcpu_run(vcpu);
	else
		ret = ioctl(vcpu->fd, op, arg);
	TEST_ASSERT(ret && errno == err, "%s: ret %d errno %d, want %d",
		    what, ret, errno, err);
	TEST_ASSERT(parked(vcpu) == was_parked && mp_state(vcpu) == was_state &&
		    vcpu_stat(vcpu, "parked") == was_parked,
		    "%s changed the vCPU", what);
}

static void test_transitions(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	struct ucall uc;
	u64 mpidr;
	int gic_fd;

	vm = create_vm(2, guest_sgis, vcpus, &gic_fd);
	TEST_ASSERT_EQ(vm_check_cap(vm, KVM_CAP_ARM_VCPU_PARK), 1);
	TEST_ASSERT(!parked(vcpus[1]) && !vcpu_stat(vcpus[1], "parked"), "parked at creation");

	expect_refused(vcpus[1], KVM_ARM_VCPU_UNPARK, 0, EALREADY, "unpark a present vCPU");
	expect_refused(vcpus[1], KVM_ARM_VCPU_PARK, 1, EINVAL, "park with argument 1");
	expect_refused(vcpus[1], KVM_ARM_VCPU_PARKED, 1, EINVAL, "parked? with argument 1");

	/* Never run, powered on: parking powers it off */
	TEST_ASSERT_EQ(mp_state(vcpus[1]), KVM_MP_STATE_RUNNABLE);
	park_ok(vcpus[1], KVM_ARM_VCPU_PARK);
	TEST_ASSERT(parked(vcpus[1]) && mp_state(vcpus[1]) == KVM_MP_STATE_STOPPED &&
		    vcpu_stat(vcpus[1], "parked") == 1, "park did not take");
	expect_refused(vcpus[1], KVM_ARM_VCPU_PARK, 0, EALREADY, "park a parked vCPU");
	expect_refused(vcpus[1], KVM_RUN, 0, ENODEV, "KVM_RUN on a parked vCPU");
	/* ...which is not the VM's first run: a new MPIDR is still taken */
	vcpu_get_reg(vcpus[1], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);
	vcpu_set_reg(vcpus[1], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), mpidr | 0x80 << 8);
	vcpu_set_reg(vcpus[1], KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), mpidr);
	expect_refused(vcpus[1], KVM_ARM_VCPU_UNPARK, 1, EINVAL, "unpark with argument 1");

	/* Has run and is powered on: cannot be parked */
	vgic_scale_run_to(vcpus[0], STAGE_SENT, &uc);
	expect_refused(vcpus[0], KVM_ARM_VCPU_PARK, 0, EBUSY, "park a running vCPU");

	park_ok(vcpus[1], KVM_ARM_VCPU_UNPARK);
	TEST_ASSERT(!parked(vcpus[1]) && mp_state(vcpus[1]) == KVM_MP_STATE_STOPPED &&
		    !vcpu_stat(vcpus[1], "parked"), "unpark did not take");
	expect_refused(vcpus[1], KVM_ARM_VCPU_UNPARK, 0, EALREADY, "unpark twice");

	close(gic_fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("invalid transitions and KVM_RUN refused, nothing changed\n");
}

/*
 * A parked vCPU stays powered off: KVM_SET_MP_STATE to RUNNABLE or
 * SUSPENDED and KVM_ARM_VCPU_INIT without KVM_ARM_VCPU_POWER_OFF are
 * refused (EBUSY) and change nothing; STOPPED, and an init that powers it
 * off, are taken.  KVM_GET_MP_STATE and the guest's AFFINITY_INFO agree
 * with CPU_ON being DENIED.  The restore order of the documentation:
 * KVM_SET_MP_STATE, then KVM_ARM_VCPU_PARK, works whatever the state.
 */
static void test_mp_state(void)
{
	struct kvm_mp_state runnable = { KVM_MP_STATE_RUNNABLE };
	struct kvm_mp_state suspended = { KVM_MP_STATE_SUSPENDED };
	struct kvm_mp_state stopped = { KVM_MP_STATE_STOPPED };
	struct kvm_vcpu *vcpus[2];
	struct kvm_vcpu_init init;
	struct kvm_vm *vm;
	struct ucall uc;
	int gic_fd;

	vm = create_vm(2, guest_mp_state, vcpus, &gic_fd);
	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;

	/* restore order: the saved state, then park (powers it off) */
	vcpu_mp_state_set(vcpus[1], &runnable);
	park_ok(vcpus[1], KVM_ARM_VCPU_PARK);
	TEST_ASSERT_EQ(mp_state(vcpus[1]), KVM_MP_STATE_STOPPED);

	expect_refused(vcpus[1], KVM_SET_MP_STATE, (unsigned long)&runnable, EBUSY,
		       "KVM_SET_MP_STATE RUNNABLE on a parked vCPU");
	expect_refused(vcpus[1], KVM_SET_MP_STATE, (unsigned long)&suspended, EBUSY,
		       "KVM_SET_MP_STATE SUSPENDED on a parked vCPU");
	expect_refused(vcpus[1], KVM_ARM_VCPU_INIT, (unsigned long)&init, EBUSY,
		       "KVM_ARM_VCPU_INIT (powered on) of a parked vCPU");
	vcpu_mp_state_set(vcpus[1], &stopped);
	init.features[0] |= 1 << KVM_ARM_VCPU_POWER_OFF;
	vcpu_ioctl(vcpus[1], KVM_ARM_VCPU_INIT, &init);
	TEST_ASSERT(parked(vcpus[1]) && mp_state(vcpus[1]) == KVM_MP_STATE_STOPPED,
		    "a parked vCPU set STOPPED or initialised powered off: parked %d, mp_state %u",
		    parked(vcpus[1]), mp_state(vcpus[1]));

	vgic_scale_run_to(vcpus[0], STAGE_MP_STATE, &uc);
	TEST_ASSERT(parked(vcpus[1]) && mp_state(vcpus[1]) == KVM_MP_STATE_STOPPED,
		    "after a DENIED CPU_ON: parked %d, mp_state %u", parked(vcpus[1]),
		    mp_state(vcpus[1]));

	/* unparked, the same calls are taken */
	park_ok(vcpus[1], KVM_ARM_VCPU_UNPARK);
	vcpu_mp_state_set(vcpus[1], &runnable);
	TEST_ASSERT_EQ(mp_state(vcpus[1]), KVM_MP_STATE_RUNNABLE);
	vgic_scale_run_done(vcpus[0]);
	close(gic_fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("a parked vCPU stays off: SET_MP_STATE, VCPU_INIT refused\n");
}

static void test_lifecycle(unsigned int cycles)
{
	struct kvm_vcpu *vcpus[4];
	struct kvm_vm *vm;
	struct ucall uc;
	unsigned int i;
	int gic_fd;

	vm = create_vm(4, guest_lifecycle, vcpus, &gic_fd);
	cycles_g = cycles;
	sync_global_to_guest(vm, cycles_g);
	/* The boot a VMM makes: vCPU 0 present, the others parked */
	for (i = 1; i < 4; i++)
		park_ok(vcpus[i], KVM_ARM_VCPU_PARK);

	for (i = 0; i < cycles; i++) {
		struct kvm_vcpu *t;

		vgic_scale_run_to(vcpus[0], STAGE_DENIED, &uc);
		TEST_ASSERT_EQ(uc.args[2], i);
		t = vcpus[uc.args[3]];
		TEST_ASSERT(parked(t) && mp_state(t) == KVM_MP_STATE_STOPPED,
			    "cycle %u: vCPU %u not parked and off", i, t->id);
		park_ok(t, KVM_ARM_VCPU_UNPARK);

		vgic_scale_run_to(vcpus[0], STAGE_STARTED, &uc);
		TEST_ASSERT_EQ(mp_state(t), KVM_MP_STATE_RUNNABLE);
		expect_refused(t, KVM_ARM_VCPU_PARK, 0, EBUSY, "park a vCPU being started");
		run_to_signal(t, i);
		run_to_off(t);
		park_ok(t, KVM_ARM_VCPU_PARK);
	}
	vgic_scale_run_done(vcpus[0]);
	close(gic_fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("%u hotplug cycles: DENIED, unpark, CPU_ON, CPU_OFF, park\n",
			      cycles);
}

/* vCPU @i's pending SGIs, read through userspace redistributor access. */
static u32 pending_sgis(int gic_fd, u32 i)
{
	u64 val = 0;

	kvm_device_attr_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			    mpidr_of(i) << 32 | (SZ_64K + GICR_ISPENDR0), &val);
	return val & 0xffff;
}

static void test_sgis(void)
{
	struct kvm_vcpu *vcpus[8];
	struct kvm_vm *vm;
	struct ucall uc;
	unsigned int i;
	int gic_fd;

	vm = create_vm(8, guest_sgis, vcpus, &gic_fd);
	vgic_scale_run_to(vcpus[0], STAGE_SENT, &uc);
	for (i = 4; i < 8; i++) {
		TEST_ASSERT_EQ(pending_sgis(gic_fd, i), BIT(1));
		park_ok(vcpus[i], KVM_ARM_VCPU_PARK);
	}
	vgic_scale_run_to(vcpus[0], STAGE_SENT, &uc);
	for (i = 4; i < 8; i++)
		park_ok(vcpus[i], KVM_ARM_VCPU_UNPARK);
	for (i = 1; i < 8; i++)
		TEST_ASSERT(pending_sgis(gic_fd, i) == (i < 4 ? 0xe : 0),
			    "vCPU %u: SGIs 0x%x pending", i, pending_sgis(gic_fd, i));
	vgic_scale_run_to(vcpus[0], STAGE_SENT, &uc);
	for (i = 1; i < 8; i++)
		TEST_ASSERT(pending_sgis(gic_fd, i) == (i < 4 ? 0x1e : BIT(4)),
			    "vCPU %u: SGIs 0x%x pending after unpark", i,
			    pending_sgis(gic_fd, i));
	vgic_scale_run_done(vcpus[0]);
	close(gic_fd);
	kvm_vm_free(vm);
	ksft_test_result_pass("parked vCPUs took no SGI, broadcast or targeted, and kept none\n");
}

/*
 * A VM with vCPUs 1 to 3 parked runs a hotplug cycle, is moved to a new VM (parked state
 * read on the source and set on the destination before it runs, registers,
 * memory), and carries on there.
 */
static void test_move(void)
{
	struct kvm_vcpu *src[4], *dst[4];
	struct kvm_vm *a, *b;
	struct ucall uc;
	unsigned int i;
	int fd_a, fd_b;

	a = create_vm(4, guest_lifecycle, src, &fd_a);
	cycles_g = 4;
	sync_global_to_guest(a, cycles_g);
	for (i = 1; i < 4; i++)
		park_ok(src[i], KVM_ARM_VCPU_PARK);
	/* cycle 0: vCPU 1 denied, unparked, started, off and parked again */
	vgic_scale_run_to(src[0], STAGE_DENIED, &uc);
	park_ok(src[1], KVM_ARM_VCPU_UNPARK);
	vgic_scale_run_to(src[0], STAGE_STARTED, &uc);
	run_to_signal(src[1], 0);
	run_to_off(src[1]);
	park_ok(src[1], KVM_ARM_VCPU_PARK);
	for (i = 0; i < 4; i++)
		if (!parked(src[i]))	/* a parked vCPU cannot KVM_RUN: nothing pends */
			vcpu_run_complete_io(src[i]);

	b = create_vm(4, guest_lifecycle, dst, &fd_b);
	for (i = 0; i < 4; i++) {
		struct kvm_mp_state mp;

		vm_move_vcpu_regs(src[i], dst[i]);
		vcpu_mp_state_get(src[i], &mp);
		vcpu_mp_state_set(dst[i], &mp);
		if (parked(src[i]))
			park_ok(dst[i], KVM_ARM_VCPU_PARK);
	}
	vm_move_memory(a, b);
	close(fd_a);
	kvm_vm_free(a);
	TEST_ASSERT(!parked(dst[0]) && parked(dst[1]) && parked(dst[2]) && parked(dst[3]),
		    "parked state not carried over");

	/* cycles 1..3 on the destination: vCPUs 2, 3, then 1 again */
	for (i = 1; i < 4; i++) {
		struct kvm_vcpu *t = dst[1 + i % 3];

		vgic_scale_run_to(dst[0], STAGE_DENIED, &uc);
		TEST_ASSERT_EQ(uc.args[3], t->id);
		park_ok(t, KVM_ARM_VCPU_UNPARK);
		vgic_scale_run_to(dst[0], STAGE_STARTED, &uc);
		run_to_signal(t, i);
		run_to_off(t);
		park_ok(t, KVM_ARM_VCPU_PARK);
	}
	vgic_scale_run_done(dst[0]);
	close(fd_b);
	kvm_vm_free(b);
	ksft_test_result_pass("a VM with parked vCPUs moved to a new VM carries on\n");
}

struct racer {
	struct kvm_vcpu *vcpu[2];
	bool stop;
	u64 parks, unparks, busy;
};

static void *parker(void *arg)
{
	struct racer *r = arg;
	sigset_t set;
	unsigned int n;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (n = 0; !READ_ONCE(r->stop); n++) {
		struct kvm_vcpu *v = r->vcpu[n % 2];

		if (park(v, KVM_ARM_VCPU_PARK)) {
			TEST_ASSERT(errno == EBUSY, "park: errno %d", errno);
			/* refused: it was started, and stays so */
			TEST_ASSERT(!parked(v), "vCPU %u parked by a refused park", v->id);
			r->busy++;
			continue;
		}
		/* parked and off, whatever CPU_ON vCPU 0 makes meanwhile */
		TEST_ASSERT(parked(v) && mp_state(v) == KVM_MP_STATE_STOPPED,
			    "vCPU %u after park: parked %d, mp_state %u", v->id, parked(v),
			    mp_state(v));
		r->parks++;
		usleep(n % 7 * 100);
		park_ok(v, KVM_ARM_VCPU_UNPARK);
		r->unparks++;
	}
	return NULL;
}

/*
 * A thread parks and unparks vCPUs 1 and 2 for @secs seconds while vCPU 0
 * starts them and sends them SGIs: every CPU_ON that succeeded starts its
 * vCPU exactly once, with its context id.
 */
static void test_race(unsigned int secs)
{
	struct racer r = { 0 };
	struct kvm_vcpu *vcpus[4];
	u64 starts = 0, denied = 0, iters = 0;
	unsigned int i;
	struct kvm_vm *vm;
	struct ucall uc;
	pthread_t th;
	time_t end;
	int gic_fd;

	vm = create_vm(4, guest_race, vcpus, &gic_fd);
	r.vcpu[0] = vcpus[1];
	r.vcpu[1] = vcpus[2];
	park_ok(vcpus[1], KVM_ARM_VCPU_PARK);
	park_ok(vcpus[2], KVM_ARM_VCPU_PARK);
	park_ok(vcpus[1], KVM_ARM_VCPU_UNPARK);
	park_ok(vcpus[2], KVM_ARM_VCPU_UNPARK);
	pthread_create(&th, NULL, parker, &r);

	end = time(NULL) + secs;
	while (time(NULL) < end) {
		struct kvm_vcpu *t;

		vgic_scale_run_to(vcpus[0], STAGE_RACE, &uc);
		iters++;
		t = vcpus[uc.args[3]];
		if (!uc.args[4]) {
			denied++;
			continue;
		}
		starts++;
		/*
		 * The start the guest was told of holds: the parker cannot park
		 * the vCPU until it has run (its park gets EBUSY).
		 */
		TEST_ASSERT(!parked(t) && mp_state(t) == KVM_MP_STATE_RUNNABLE,
			    "CPU_ON %lu of vCPU %u succeeded, now parked %d, mp_state %u",
			    uc.args[2], t->id, parked(t), mp_state(t));
		run_to_signal(t, uc.args[2]);
		run_to_off(t);
	}
	WRITE_ONCE(r.stop, true);
	pthread_join(th, NULL);
	race_end_g = 1;
	sync_global_to_guest(vm, race_end_g);
	vgic_scale_run_done(vcpus[0]);
	/* the parker left both unparked, and both ended powered off */
	for (i = 1; i <= 2; i++)
		TEST_ASSERT(!parked(vcpus[i]) && !vcpu_stat(vcpus[i], "parked") &&
			    mp_state(vcpus[i]) == KVM_MP_STATE_STOPPED,
			    "vCPU %u at the end: parked %d, mp_state %u", i,
			    parked(vcpus[i]), mp_state(vcpus[i]));
	close(gic_fd);
	kvm_vm_free(vm);
	ksft_print_msg("race: %lu CPU_ON (%lu started, %lu denied), %lu parks, %lu refused busy\n",
		       iters, starts, denied, r.parks, r.busy);
	ksft_test_result_pass("park/unpark against CPU_ON and SGIs for %u s: no start lost\n",
			      secs);
}

static void test_scale(unsigned int nr, unsigned int present, unsigned int batch)
{
	struct kvm_vcpu **vcpus = calloc(nr, sizeof(*vcpus));
	unsigned int i, first, batches = 0;
	struct kvm_vm *vm;
	struct ucall uc;
	int gic_fd;

	TEST_ASSERT(vcpus, "calloc");
	vm = create_vm(nr, guest_scale, vcpus, &gic_fd);
	for (i = present; i < nr; i++)
		park_ok(vcpus[i], KVM_ARM_VCPU_PARK);
	for (i = 1; i < present; i++)
		vcpu_mp_state_set(vcpus[i], &(struct kvm_mp_state){ KVM_MP_STATE_STOPPED });

	vgic_scale_run_to(vcpus[0], STAGE_BATCH, &uc);
	/* The present vCPUs first, then the rest in batches */
	for (first = 1; first < nr; first = batch_end_g) {
		batch_first_g = first;
		batch_end_g = first == 1 ? present : min(first + batch, nr);
		sync_global_to_guest(vm, batch_first_g);
		sync_global_to_guest(vm, batch_end_g);
		for (i = first; i < batch_end_g; i++)
			if (parked(vcpus[i]))
				park_ok(vcpus[i], KVM_ARM_VCPU_UNPARK);
		vgic_scale_run_to(vcpus[0], STAGE_BATCH, &uc);
		for (i = first; i < batch_end_g; i++)
			run_to_signal(vcpus[i], i);
		batches++;
	}
	batch_first_g = nr;
	batch_end_g = nr;
	sync_global_to_guest(vm, batch_first_g);
	sync_global_to_guest(vm, batch_end_g);
	vgic_scale_run_done(vcpus[0]);
	close(gic_fd);
	kvm_vm_free(vm);
	free(vcpus);
	ksft_test_result_pass("%u vCPUs, %u present at boot, %u hot-added in %u batches\n",
			      nr, present, nr - present, batches - 1);
}

/* ns per refused CPU_ON, measured by the guest */
static u64 bench_refusal(bool in_kernel, u64 calls)
{
	struct kvm_smccc_filter filter = {
		.base = PSCI_0_2_FN64_CPU_ON, .nr_functions = 1,
		.action = KVM_SMCCC_FILTER_FWD_TO_USER,
	};
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	struct ucall uc;
	int gic_fd;

	vm = create_vm(2, guest_bench, vcpus, &gic_fd);
	bench_target_g = 1;
	bench_calls_g = calls;
	sync_global_to_guest(vm, bench_target_g);
	sync_global_to_guest(vm, bench_calls_g);
	if (in_kernel) {
		park_ok(vcpus[1], KVM_ARM_VCPU_PARK);
	} else {
		kvm_device_attr_set(vm->fd, KVM_ARM_VM_SMCCC_CTRL, KVM_ARM_VM_SMCCC_FILTER,
				    &filter);
	}
	for (;;) {
		vcpu_run(vcpus[0]);
		if (vcpus[0]->run->exit_reason != KVM_EXIT_HYPERCALL)
			break;
		/* The VMM refuses it: x0 = DENIED */
		vcpu_set_reg(vcpus[0], ARM64_CORE_REG(regs.regs[0]), (u64)PSCI_RET_DENIED);
	}
	TEST_ASSERT_EQ(get_ucall(vcpus[0], &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1], STAGE_BENCH);
	close(gic_fd);
	kvm_vm_free(vm);
	return uc.args[2];
}

static void bench(u64 calls)
{
	struct kvm_vcpu *vcpus[2];
	struct timespec t0, t1;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 k, u, add;
	int gic_fd;

	k = bench_refusal(true, calls);
	u = bench_refusal(false, calls);

	/* Hot-add: unpark, the guest's CPU_ON, the vCPU's first instruction */
	vm = create_vm(2, guest_scale, vcpus, &gic_fd);
	park_ok(vcpus[1], KVM_ARM_VCPU_PARK);
	vgic_scale_run_to(vcpus[0], STAGE_BATCH, &uc);
	batch_first_g = 1;
	batch_end_g = 2;
	sync_global_to_guest(vm, batch_first_g);
	sync_global_to_guest(vm, batch_end_g);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	park_ok(vcpus[1], KVM_ARM_VCPU_UNPARK);
	vgic_scale_run_to(vcpus[0], STAGE_BATCH, &uc);
	run_to_signal(vcpus[1], 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	add = (t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec - t0.tv_nsec;
	close(gic_fd);
	kvm_vm_free(vm);

	ksft_print_msg("refused-cpu-on in-kernel=%luns smccc-filter-to-vmm=%luns ratio=%.1f\n",
		       k, u, (double)u / k);
	ksft_print_msg("hot-add latency=%luus (unpark, CPU_ON, first guest instruction)\n",
		       add / 1000);
	ksft_test_result_pass("refused CPU_ON and hot-add measured\n");
}

/* Usage on stdout; -h exits 0, a usage error KSFT_FAIL. */
static void help(const char *name, int status)
{
	printf("usage: %s [-c cycles] [-r race_seconds] [-n nr_vcpus] [-p present] [-b]\n",
	       name);
	exit(status);
}

int main(int argc, char *argv[])
{
	unsigned int cycles = 30, secs = 3, nr = 0, present = 64;
	bool do_bench = false;
	int opt;

	while ((opt = getopt(argc, argv, "hc:r:n:p:b")) != -1) {
		switch (opt) {
		case 'c':
			cycles = atoi_positive("Cycles", optarg);
			break;
		case 'r':
			secs = atoi_positive("Race seconds", optarg);
			break;
		case 'n':
			nr = atoi_positive("Number of vCPUs", optarg);
			break;
		case 'p':
			present = atoi_positive("Present vCPUs", optarg);
			break;
		case 'b':
			do_bench = true;
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_VCPU_PARK));
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = no_op }, NULL);

	ksft_print_header();
	if (do_bench) {
		ksft_set_plan(1);
		bench(1000);
		ksft_finished();
	}
	if (nr) {
		__TEST_REQUIRE(nr <= kvm_check_cap(KVM_CAP_MAX_VCPUS) && nr <= MAX_VCPUS,
			       "%u vCPUs: the kernel allows %d", nr,
			       kvm_check_cap(KVM_CAP_MAX_VCPUS));
		TEST_ASSERT(present >= 2 && present < nr, "-p: 2 .. %u", nr - 1);
		vgic_scale_raise_nofile(nr);
		ksft_set_plan(1);
		test_scale(nr, present, 512);
		ksft_finished();
	}
	ksft_set_plan(6);
	test_transitions();
	test_mp_state();
	test_lifecycle(cycles);
	test_sgis();
	test_move();
	test_race(secs);
	ksft_finished();
}
