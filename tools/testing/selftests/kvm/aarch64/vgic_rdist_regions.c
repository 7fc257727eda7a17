// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_rdist_regions - the GICv3 redistributor region ABI: bad input with
 * its errno and no state change, the vCPU limit, and teardown at every
 * stage of setup, including a vCPU creation that fails after the GIC
 * exists.
 *
 * Cases that need the scalability extension (more than 512 vCPUs, regions
 * refused once the vgic is ready, region indices past 255) are skipped on
 * a kernel that lacks it (no KVM_CAP_ARM_VGIC_RDIST_REGIONS).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "test_util.h"
#include "vgic_rdist.h"

#define RDIST_SZ	KVM_VGIC_V3_REDIST_SIZE
#define NR_IRQS		64
#define HIGH_BASE	BIT_ULL(36)
#define RDIST_FLAGS_SHIFT	12	/* KVM_VGIC_V3_RDIST_FLAGS_MASK's place */

static bool has_ext;

static void guest_done(void)
{
	GUEST_DONE();
}

/* Read two redistributors' GICR_TYPER, the second one a hole. */
static void guest_read_typers(u64 rd_ok, u64 rd_hole)
{
	void *ok = (void *)rd_ok, *hole = (void *)rd_hole;

	GUEST_SYNC(readq_relaxed(ok + GICR_TYPER));
	GUEST_SYNC(readq_relaxed(hole + GICR_TYPER));
	GUEST_DONE();
}

static int add_region(int gic, u64 base, u32 count, u32 index, u8 flags)
{
	u64 attr = vgic_rdist_region_attr(base, count, index) |
		   ((u64)flags << RDIST_FLAGS_SHIFT);

	return __kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_ADDR,
				     KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &attr);
}

/* The region at @index as KVM reports it, or 0 with errno set. */
static u64 get_region(int gic, u32 index)
{
	u64 attr = index;

	if (__kvm_device_attr_get(gic, KVM_DEV_ARM_VGIC_GRP_ADDR,
				  KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &attr))
		return 0;
	return attr;
}

static void assert_region(int gic, u32 index, u64 base, u32 count)
{
	u64 got = get_region(gic, index);

	TEST_ASSERT(got == vgic_rdist_region_attr(base, count, index),
		    "region %u: 0x%lx, want base 0x%lx count %u", index, got,
		    base, count);
}

static void assert_no_region(int gic, u32 index)
{
	TEST_ASSERT(!get_region(gic, index) && errno == ENOENT,
		    "region %u should not exist (errno %d)", index, errno);
}

static void expect_add_fails(int gic, u64 base, u32 count, u32 index,
			     u8 flags, int err, const char *why)
{
	int ret = add_region(gic, base, count, index, flags);

	TEST_ASSERT(ret && errno == err, "%s: ret %d errno %d, want %s",
		    why, ret, errno, strerror(err));
}

static int set_dist(int gic, u64 base)
{
	return __kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_ADDR,
				     KVM_VGIC_V3_ADDR_TYPE_DIST, &base);
}

static void vgic_ctrl_init(int gic)
{
	kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_CTRL,
			    KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

static struct kvm_vm *vm_gic(unsigned int nr_vcpus, struct kvm_vcpu **vcpus,
			     void *guest, int *gic)
{
	struct kvm_vm *vm = vm_create_with_vcpus(nr_vcpus, guest, vcpus);
	u32 nr_irqs = NR_IRQS;

	*gic = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	kvm_device_attr_set(*gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	return vm;
}

static void run_to_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT_EQ(uc.cmd, UCALL_DONE);
}

static void test_bad_regions(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	int gic;

	vm = vm_gic(2, vcpus, guest_done, &gic);

	expect_add_fails(gic, HIGH_BASE, 0, 0, 0, EINVAL, "count 0");
	expect_add_fails(gic, HIGH_BASE, 2, 0, 1, EINVAL, "flags set");
	expect_add_fails(gic, HIGH_BASE, 2, 1, 0, EINVAL, "first index not 0");
	expect_add_fails(gic, HIGH_BASE + SZ_4K, 2, 0, 0, EINVAL, "unaligned base");
	assert_no_region(gic, 0);
	assert_no_region(gic, 1);

	TEST_ASSERT(!add_region(gic, HIGH_BASE, 4, 0, 0), "region 0");
	expect_add_fails(gic, HIGH_BASE + 2 * RDIST_SZ, 2, 1, 0, EINVAL,
			 "overlapping the end of region 0");
	expect_add_fails(gic, HIGH_BASE - RDIST_SZ, 2, 1, 0, EINVAL,
			 "overlapping the start of region 0");
	expect_add_fails(gic, 2 * HIGH_BASE, 2, 2, 0, EINVAL, "index gap");
	expect_add_fails(gic, 2 * HIGH_BASE, 2, 0, 0, EINVAL, "index reused");

	/* The default IPA is 40 bits. */
	expect_add_fails(gic, (1ULL << 40) - RDIST_SZ, 2, 1, 0, E2BIG,
			 "straddling the IPA limit");
	expect_add_fails(gic, 1ULL << 40, 1, 1, 0, E2BIG, "beyond the IPA limit");

	/* Nothing of the above left a trace. */
	assert_region(gic, 0, HIGH_BASE, 4);
	assert_no_region(gic, 1);
	assert_no_region(gic, 2);

	TEST_ASSERT(!add_region(gic, 2 * HIGH_BASE, 2, 1, 0), "region 1");
	assert_region(gic, 1, 2 * HIGH_BASE, 2);

	close(gic);
	kvm_vm_free(vm);
}

/* Regions too small for the vCPUs: the first KVM_RUN fails with ENXIO. */
static void test_too_small(void)
{
	struct kvm_vcpu *vcpus[4];
	int gic, ret;

	vm_gic(4, vcpus, guest_done, &gic);
	TEST_ASSERT(!set_dist(gic, GICD_BASE_GPA), "distributor");
	TEST_ASSERT(!add_region(gic, GICR_BASE_GPA, 2, 0, 0), "region 0");
	TEST_ASSERT(!add_region(gic, HIGH_BASE, 1, 1, 0), "region 1");
	vgic_ctrl_init(gic);

	ret = _vcpu_run(vcpus[0]);
	TEST_ASSERT(ret && errno == ENXIO,
		    "KVM_RUN with 3 redistributors for 4 vCPUs: ret %d errno %d",
		    ret, errno);
	/*
	 * KVM has marked the VM dead, so kvm_vm_free() would fail: the
	 * process exit closes the fds, and the kernel destroys the VM.
	 */
}

/* Once the vgic is ready (first run), the layout is fixed: EBUSY. */
static void test_after_ready(void)
{
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	int gic;

	vm = vm_gic(2, vcpus, guest_done, &gic);
	TEST_ASSERT(!set_dist(gic, GICD_BASE_GPA), "distributor");
	TEST_ASSERT(!add_region(gic, GICR_BASE_GPA, 2, 0, 0), "region 0");
	vgic_ctrl_init(gic);
	/* Before the first run, regions may still be added. */
	TEST_ASSERT(!add_region(gic, HIGH_BASE, 1, 1, 0), "region 1 after init");
	run_to_done(vcpus[0]);

	expect_add_fails(gic, 2 * HIGH_BASE, 1, 2, 0, EBUSY, "region after first run");
	assert_no_region(gic, 2);
	assert_region(gic, 1, HIGH_BASE, 1);
	run_to_done(vcpus[1]);

	close(gic);
	kvm_vm_free(vm);
}

/* All 12 bits of the region index count: index 256 is not index 0. */
static void test_index_256(void)
{
	struct kvm_vcpu *vcpus[1];
	struct kvm_vm *vm;
	unsigned int i;
	int gic;

	vm = vm_gic(1, vcpus, guest_done, &gic);
	for (i = 0; i <= 256; i++)
		TEST_ASSERT(!add_region(gic, HIGH_BASE + i * RDIST_SZ, 1, i, 0),
			    "region %u: errno %d", i, errno);
	assert_region(gic, 0, HIGH_BASE, 1);
	assert_region(gic, 256, HIGH_BASE + 256 * RDIST_SZ, 1);
	assert_no_region(gic, 257);
	close(gic);
	kvm_vm_free(vm);
}

/*
 * The capability counts every region index (12 bits), on /dev/kvm and on a
 * VM, and the extension's vCPU limit goes with it.
 */
static void test_cap(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	int n = kvm_check_cap(KVM_CAP_ARM_VGIC_RDIST_REGIONS);

	TEST_ASSERT(n == 4096, "KVM_CAP_ARM_VGIC_RDIST_REGIONS %d, want 4096", n);
	n = vm_check_cap(vm, KVM_CAP_ARM_VGIC_RDIST_REGIONS);
	TEST_ASSERT(n == 4096, "KVM_CAP_ARM_VGIC_RDIST_REGIONS on a VM %d, want 4096", n);
	TEST_ASSERT(kvm_check_cap(KVM_CAP_MAX_VCPUS) > 512, "KVM_CAP_MAX_VCPUS %d",
		    kvm_check_cap(KVM_CAP_MAX_VCPUS));
	kvm_vm_free(vm);
}

/*
 * vCPU ids: max_vcpus - 1 is fine, max_vcpus is EINVAL, an id in use is
 * EEXIST (the last id, and id 0 created after it).
 */
static void test_vcpu_ids(void)
{
	unsigned long max = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	struct kvm_vm *vm = vm_create_barebones();
	int fd, fd0, dup, gic;

	gic = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	fd = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)max);
	TEST_ASSERT(fd < 0 && errno == EINVAL, "vCPU id %lu: fd %d errno %d",
		    max, fd, errno);
	fd = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)(max - 1));
	TEST_ASSERT(fd >= 0, "vCPU id %lu: errno %d", max - 1, errno);
	fd0 = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)0UL);
	TEST_ASSERT(fd0 >= 0, "vCPU id 0: errno %d", errno);
	dup = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)(max - 1));
	TEST_ASSERT(dup < 0 && errno == EEXIST, "vCPU id %lu again: fd %d errno %d",
		    max - 1, dup, errno);
	dup = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)0UL);
	TEST_ASSERT(dup < 0 && errno == EEXIST, "vCPU id 0 again: fd %d errno %d",
		    dup, errno);
	close(fd0);
	close(fd);
	close(gic);
	kvm_vm_free(vm);
}

/* The lowest free fd number: with RLIMIT_NOFILE at it, no fd can open. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	TEST_ASSERT(fd >= 0, "dup");
	close(fd);
	return fd;
}

/*
 * A vCPU whose creation fails after it was given a redistributor (no fd
 * left).  With the extension it gives its slot back and the next vCPU takes
 * it, leaving the region's last slot empty; without it KVM keeps the failed
 * vCPU's slot taken and empty, and the next vCPU takes the following one.
 * Either way the empty slot exits to userspace, the vCPU's slot reports
 * Last, and the VM runs.
 */
static void test_failed_vcpu_create(void)
{
	struct kvm_vcpu *vcpu0, *vcpu1, *vcpu2;
	struct rlimit rl, old;
	struct ucall uc;
	struct kvm_vm *vm;
	u32 nr_irqs = NR_IRQS;
	/* With the extension vCPU 2 sits in slot 2; without it in slot 3. */
	int taken = has_ext ? 2 : 3, empty = has_ext ? 3 : 2;
	int gic, fd;
	u64 typer;

	vm = vm_create(3);
	vcpu0 = vm_vcpu_add(vm, 0, guest_read_typers);
	gic = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	TEST_ASSERT(!set_dist(gic, GICD_BASE_GPA), "distributor");
	TEST_ASSERT(!add_region(gic, GICR_BASE_GPA, 4, 0, 0), "region 0");
	vcpu1 = vm_vcpu_add(vm, 1, guest_done);

	TEST_ASSERT(!getrlimit(RLIMIT_NOFILE, &old), "getrlimit");
	rl = old;
	rl.rlim_cur = lowest_free_fd();
	TEST_ASSERT(!setrlimit(RLIMIT_NOFILE, &rl), "setrlimit");
	fd = __vm_ioctl(vm, KVM_CREATE_VCPU, (void *)2UL);
	TEST_ASSERT(fd < 0 && errno == EMFILE,
		    "vCPU 2 with no fd left: fd %d errno %d", fd, errno);
	TEST_ASSERT(!setrlimit(RLIMIT_NOFILE, &old), "setrlimit");

	vcpu2 = vm_vcpu_add(vm, 2, guest_done);
	virt_map(vm, GICR_BASE_GPA, GICR_BASE_GPA,
		 vm_calc_num_guest_pages(vm->mode, 4 * RDIST_SZ));
	vgic_ctrl_init(gic);

	vcpu_args_set(vcpu0, 2, GICR_BASE_GPA + taken * RDIST_SZ,
		      GICR_BASE_GPA + empty * RDIST_SZ);
	vcpu_run(vcpu0);
	TEST_ASSERT_EQ(get_ucall(vcpu0, &uc), UCALL_SYNC);
	typer = uc.args[1];
	TEST_ASSERT(((typer >> 8) & 0xffff) == 2 && (typer & BIT(4)),
		    "slot %d: GICR_TYPER 0x%lx, want vCPU 2 and Last",
		    taken, typer);
	vcpu_run(vcpu0);
	TEST_ASSERT(vcpu0->run->exit_reason == KVM_EXIT_MMIO &&
		    vcpu0->run->mmio.phys_addr ==
		    GICR_BASE_GPA + empty * RDIST_SZ + GICR_TYPER,
		    "the empty slot should exit to userspace: exit %s at 0x%llx",
		    exit_reason_str(vcpu0->run->exit_reason),
		    vcpu0->run->mmio.phys_addr);
	vcpu_run(vcpu0);
	TEST_ASSERT_EQ(get_ucall(vcpu0, &uc), UCALL_SYNC);
	run_to_done(vcpu0);
	run_to_done(vcpu1);
	run_to_done(vcpu2);

	close(gic);
	kvm_vm_free(vm);
}

enum stage {
	STAGE_VCPUS, STAGE_GIC, STAGE_DIST, STAGE_REGIONS, STAGE_INIT,
	STAGE_RUN, NR_STAGES
};

/*
 * Build a VM up to @stage and destroy it; vCPUs are created before the
 * GIC, or after its regions when @vcpus_last.
 */
static void teardown_at(enum stage stage, bool vcpus_last, unsigned int nr)
{
	struct vgic_rdist_layout l;
	struct kvm_vcpu **vcpus = calloc(nr, sizeof(*vcpus));
	struct kvm_vm *vm;
	u32 nr_irqs = NR_IRQS;
	unsigned int i;
	int gic = -1;
	u64 dist = GICD_BASE_GPA;

	TEST_ASSERT(vcpus, "calloc");
	vgic_rdist_layout_vmm(&l, nr);
	vm = vm_create(nr);
	if (!vcpus_last)
		for (i = 0; i < nr; i++)
			vcpus[i] = vm_vcpu_add(vm, i, guest_done);
	if (stage < STAGE_GIC)
		goto out;
	gic = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	if (stage < STAGE_DIST)
		goto out;
	kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	if (stage < STAGE_REGIONS)
		goto out;
	TEST_ASSERT(!__vgic_rdist_layout_register(gic, &l), "regions");
	if (vcpus_last)
		for (i = 0; i < nr; i++)
			vcpus[i] = vm_vcpu_add(vm, i, guest_done);
	if (stage < STAGE_INIT)
		goto out;
	vgic_ctrl_init(gic);
	if (stage < STAGE_RUN)
		goto out;
	for (i = 0; i < nr; i++)
		run_to_done(vcpus[i]);
out:
	if (gic >= 0)
		close(gic);
	kvm_vm_free(vm);
	free(vcpus);
}

static void test_teardown(void)
{
	enum stage s;

	for (s = STAGE_VCPUS; s < NR_STAGES; s++) {
		teardown_at(s, false, 64);
		teardown_at(s, true, 64);
	}
}

struct test {
	const char *name;
	void (*fn)(void);
	bool needs_ext;
};

static const struct test tests[] = {
	{ "bad regions: errno and no state change",	test_bad_regions },
	{ "regions too small at first run: ENXIO",	test_too_small },
	{ "vCPU ids up to KVM_CAP_MAX_VCPUS - 1, each once", test_vcpu_ids },
	{ "failed vCPU creation after the GIC exists",	test_failed_vcpu_create },
	{ "VM destruction at every stage of setup",	test_teardown },
	{ "regions after the vgic is ready: EBUSY",	test_after_ready, true },
	{ "region index 256",				test_index_256, true },
	{ "KVM_CAP_ARM_VGIC_RDIST_REGIONS",		test_cap, true },
};

int main(void)
{
	struct kvm_vm *vm;
	unsigned int i;
	int status, gic;
	pid_t pid;

	vm = vm_create_barebones();
	gic = __kvm_test_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	kvm_vm_free(vm);
	__TEST_REQUIRE(!gic, "no GICv3 emulation");
	has_ext = kvm_check_cap(KVM_CAP_ARM_VGIC_RDIST_REGIONS) > 0;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		if (tests[i].needs_ext && !has_ext) {
			ksft_test_result_skip("%s (no scalability extension)\n",
					      tests[i].name);
			continue;
		}
		/* Each case in a child, so that one failure reports and the rest run. */
		pid = fork();
		TEST_ASSERT(pid >= 0, "fork");
		if (!pid) {
			tests[i].fn();
			exit(0);
		}
		TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
		ksft_test_result(WIFEXITED(status) && !WEXITSTATUS(status),
				 "%s\n", tests[i].name);
	}
	ksft_finished();
}
