// SPDX-License-Identifier: GPL-2.0
/*
 * arm_ext_memcg - a VM's memory is charged to its creator's memory cgroup.
 *
 * The test moves itself into a cgroup of its own (cgroup v2, memory
 * controller) and, with raw ioctls so that only the kernel allocates:
 *  - measures what the cgroup is charged for a GICv3 VM, for redistributor
 *    regions holding 4096 vCPUs and per vCPU (KVM_CREATE_VCPU and
 *    KVM_ARM_VCPU_INIT), checks each charge is at least what the objects
 *    must take (a vCPU: its struct kvm_vcpu and its kvm_run page; a region:
 *    its vCPU table), and that destroying the VMs gives it all back (the
 *    kernel memory in memory.stat, to a few pages);
 *  - limits the cgroup to -b MiB above what it uses and builds a 4096-vCPU
 *    VM in it: a KVM_CREATE_VCPU fails with -ENOMEM (the test cannot be
 *    OOM-killed: oom_score_adj -1000, alone in its cgroup), the host goes
 *    on; once the limit is lifted the same vCPU id is created (the failure
 *    left nothing behind) and a VM runs a vCPU to GUEST_DONE.
 * Skips without the memory controller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>

#include "kvm_util.h"
#include "gic.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define MAX_VCPUS	4096
#define NR_MEASURED	256

static char cg[128];
static unsigned int budget_mib = 8;

static bool write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

static void cg_write(const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	TEST_ASSERT(write_file(path, val), "writing '%s' to %s: %s", val, path,
		    strerror(errno));
}

static u64 cg_read(const char *file, const char *key)
{
	char path[256], line[256];
	u64 v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	TEST_ASSERT(f, "opening %s", path);
	while (fgets(line, sizeof(line), f)) {
		size_t n = key ? strlen(key) : 0;

		if (!key) {
			v = strtoull(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, n) && line[n] == ' ') {
			v = strtoull(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static u64 charged(void)
{
	return cg_read("memory.current", NULL);
}

/* Into a memory cgroup of our own, where the OOM killer has no victim. */
static void cgroup_enter(void)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s/cgroup.controllers", CG_ROOT);
	__TEST_REQUIRE(!access(buf, R_OK), "no cgroup v2 at " CG_ROOT);
	/* the memory controller for the root's children (may be on already) */
	write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	snprintf(cg, sizeof(cg), CG_ROOT "/arm_ext_memcg.%d", getpid());
	TEST_ASSERT(!mkdir(cg, 0755) || errno == EEXIST, "mkdir %s", cg);
	snprintf(buf, sizeof(buf), "%s/memory.max", cg);
	__TEST_REQUIRE(!access(buf, W_OK), "no memory controller in %s", cg);
	cg_write("cgroup.procs", "0");
	TEST_ASSERT(write_file("/proc/self/oom_score_adj", "-1000"),
		    "setting oom_score_adj");
}

static void cgroup_leave(void)
{
	TEST_ASSERT(write_file(CG_ROOT "/cgroup.procs", "0"), "leaving %s", cg);
	TEST_ASSERT(!rmdir(cg), "rmdir %s: %s", cg, strerror(errno));
}

struct raw_vm {
	int kvm_fd, vm_fd, gic_fd;
	int vcpu_fd[MAX_VCPUS];
	unsigned int nr;
	bool init_failed;	/* the last raw_vcpu_add() failed in its init */
	struct kvm_vcpu_init init;
};

static void raw_vm_create(struct raw_vm *v)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };

	v->nr = 0;
	v->kvm_fd = open_kvm_dev_path_or_exit();
	v->vm_fd = __kvm_ioctl(v->kvm_fd, KVM_CREATE_VM, NULL);
	TEST_ASSERT(v->vm_fd >= 0, "KVM_CREATE_VM: %s", strerror(errno));
	TEST_ASSERT(!ioctl(v->vm_fd, KVM_CREATE_DEVICE, &dev), "KVM_CREATE_DEVICE: %s",
		    strerror(errno));
	v->gic_fd = dev.fd;
	TEST_ASSERT(!ioctl(v->vm_fd, KVM_ARM_PREFERRED_TARGET, &v->init),
		    "KVM_ARM_PREFERRED_TARGET");
	v->init.features[0] |= BIT(KVM_ARM_VCPU_PSCI_0_2);
}

/* Regions for MAX_VCPUS redistributors, the way a VMM lays them out. */
static void raw_vm_regions(struct raw_vm *v)
{
	struct vgic_rdist_layout l;
	u64 dist = GICD_BASE_GPA;

	kvm_device_attr_set(v->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	vgic_rdist_layout_vmm(&l, MAX_VCPUS);
	TEST_ASSERT(!__vgic_rdist_layout_register(v->gic_fd, &l),
		    "registering the regions: %s", strerror(errno));
}

/* Create and initialise the next vCPU; 0 or -errno of the failing step. */
static int raw_vcpu_add(struct raw_vm *v)
{
	int fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, v->nr);

	if (fd < 0)
		return -errno;
	v->vcpu_fd[v->nr++] = fd;
	v->init_failed = ioctl(fd, KVM_ARM_VCPU_INIT, &v->init);
	return v->init_failed ? -errno : 0;
}

static void raw_vm_destroy(struct raw_vm *v)
{
	unsigned int i;

	for (i = 0; i < v->nr; i++)
		close(v->vcpu_fd[i]);
	close(v->gic_fd);
	close(v->vm_fd);
	close(v->kvm_fd);
}

/*
 * Kernel memory charged to the cgroup (memory.stat's "kernel").  Unlike
 * memory.current it does not count the pages each CPU keeps charged in
 * advance (the per-CPU stocks, up to 64 pages per CPU, filled again by
 * every uncharge on that CPU), only what kernel objects hold plus the
 * bytes of a partly used page per CPU.  The counter is exact once the
 * periodic statistics flush (every 2 s) has run.
 */
static u64 kernel_charged(void)
{
	return cg_read("memory.stat", "kernel");
}

/*
 * The longest wait for the kernel charge to come back after the VMs are
 * destroyed: what they freed through RCU (and work queued behind a grace
 * period) is uncharged only then, which under TCG, KASAN or a busy host
 * can take seconds, and the counter lags by up to a flush period.  A bound,
 * not a guess: the time it took is reported.
 */
#define SETTLE_MAX_MS	60000
#define SETTLE_POLL_MS	100
/* memory.stat is exact after the periodic statistics flush (every 2 s) */
#define FLUSH_WAIT_MS	2500

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Poll the kernel charge until it is back to @base (+ @slack), as read past
 * at least one statistics flush, for at most SETTLE_MAX_MS; returns what is
 * left above @base and the time it took in @ms.
 */
static s64 settle(u64 base, u64 slack, double *ms)
{
	double t0 = now_ms();
	s64 left;

	for (;;) {
		left = (s64)kernel_charged() - (s64)base;
		*ms = now_ms() - t0;
		if ((left <= (s64)slack && *ms >= FLUSH_WAIT_MS) || *ms >= SETTLE_MAX_MS)
			return left;
		usleep(SETTLE_POLL_MS * 1000);
	}
}

/*
 * The cgroup is charged for kernel objects a batch of 64 pages at a time
 * (per-CPU stocks), so memory.current may lag what was allocated by up to
 * a batch: small charges are measured over enough VMs that a batch is at
 * most half of what the regions must take (32 VMs with 4K pages, 256 with
 * 64K pages).
 */
#define CHARGE_BATCH	64
#define MAX_VMS		256

static void test_charges(void)
{
	/* on the heap: the test's static data is loaded into every guest */
	struct raw_vm *v = calloc(MAX_VMS, sizeof(*v));
	u64 batch = CHARGE_BATCH * getpagesize(), slack;
	u64 base, c_vm, c_regions, c_vcpus, c, total;
	unsigned int i, nr_vms;
	double ms;
	s64 left;

	TEST_ASSERT(v, "out of memory");
	memset(v, 0, MAX_VMS * sizeof(*v));	/* its page tables before the start */
	/* an exact starting point: past one periodic statistics flush */
	usleep(FLUSH_WAIT_MS * 1000);
	base = kernel_charged();
	nr_vms = 2 * batch / (MAX_VCPUS * sizeof(void *));
	nr_vms = min_t(unsigned int, max(nr_vms, 32u), MAX_VMS);

	c = charged();
	for (i = 0; i < nr_vms; i++)
		raw_vm_create(&v[i]);
	c_vm = (charged() - c) / nr_vms;

	c = charged();
	for (i = 0; i < nr_vms; i++)
		raw_vm_regions(&v[i]);
	c_regions = (charged() - c) / nr_vms;

	c = charged();
	for (i = 0; i < NR_MEASURED; i++)
		TEST_ASSERT(!raw_vcpu_add(&v[0]), "vCPU %u: %s", i, strerror(errno));
	c_vcpus = (charged() - c) / NR_MEASURED;

	ksft_print_msg("charged: a GICv3 VM %lu KiB, regions for %u vCPUs %lu KiB (%u VMs)\n",
		       (unsigned long)c_vm >> 10, MAX_VCPUS, (unsigned long)c_regions >> 10,
		       nr_vms);
	ksft_print_msg("charged: a vCPU %lu KiB (%u created)\n", (unsigned long)c_vcpus >> 10,
		       NR_MEASURED);
	/* a vCPU takes its struct kvm_vcpu (several KiB) and a kvm_run page */
	TEST_ASSERT(c_vcpus >= 8192, "a vCPU charged only %lu bytes", (unsigned long)c_vcpus);
	/*
	 * The regions' tables take a pointer per redistributor (32 KiB for
	 * 4096); at least half of it must show through the batching.
	 */
	TEST_ASSERT(c_regions >= MAX_VCPUS * sizeof(void *) / 2,
		    "regions for %u vCPUs charged only %lu bytes", MAX_VCPUS,
		    (unsigned long)c_regions);

	total = kernel_charged() - base;
	for (i = 0; i < nr_vms; i++)
		raw_vm_destroy(&v[i]);
	free(v);
	/*
	 * What may stay charged without a leak: each CPU's partly used page
	 * of object charges (refilled up to a page, drained above it), and
	 * the page tables of the test's own heap and stack, grown meanwhile.
	 */
	slack = (2 * sysconf(_SC_NPROCESSORS_CONF) + 8) * getpagesize();
	left = settle(base, slack, &ms);
	ksft_print_msg("kernel memory: %lu KiB charged for %u VMs and %u vCPUs\n",
		       (unsigned long)total >> 10, nr_vms, NR_MEASURED);
	ksft_print_msg("destroyed: %ld KiB left, %.0f ms after (allowed: %lu KiB)\n",
		       (long)left >> 10, ms, (unsigned long)slack >> 10);
	TEST_ASSERT(left <= (s64)slack, "%ld KiB still charged %.0f ms after the VMs went away",
		    (long)left >> 10, ms);
}

static void guest_code(void)
{
	GUEST_DONE();
}

static void test_limit(void)
{
	u64 base = charged(), limit = base + ((u64)budget_mib << 20);
	unsigned int refused;
	static struct raw_vm v;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	char buf[32], path[256];
	int ret = 0, max_fd;

	/*
	 * At the limit even opening a file or reading one may fail (both
	 * allocate charged memory): the limit is lifted through a file opened
	 * before, and nothing is read or printed until then.
	 */
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	max_fd = open(path, O_WRONLY);
	TEST_ASSERT(max_fd >= 0, "opening %s", path);
	snprintf(buf, sizeof(buf), "%lu", (unsigned long)limit);
	TEST_ASSERT(pwrite(max_fd, buf, strlen(buf), 0) == (ssize_t)strlen(buf),
		    "setting memory.max");

	raw_vm_create(&v);
	raw_vm_regions(&v);
	while (v.nr < MAX_VCPUS) {
		ret = raw_vcpu_add(&v);
		if (ret)
			break;
	}
	refused = v.init_failed ? v.nr - 1 : v.nr;
	TEST_ASSERT(pwrite(max_fd, "max", 3, 0) == 3, "lifting memory.max");
	close(max_fd);

	TEST_ASSERT(ret, "a %u-vCPU VM fit in %u MiB: raise the vCPU count or lower -b",
		    MAX_VCPUS, budget_mib);
	TEST_ASSERT(ret == -ENOMEM, "vCPU %u failed with %s, not ENOMEM", refused,
		    strerror(-ret));
	TEST_ASSERT(refused > 1, "no room for even one vCPU: raise -b");
	ksft_print_msg("limit %u MiB above use: vCPU %u of %u refused with ENOMEM\n",
		       budget_mib, refused, MAX_VCPUS);
	ksft_print_msg("memory.events: max %lu oom %lu oom_kill %lu\n",
		       (unsigned long)cg_read("memory.events", "max"),
		       (unsigned long)cg_read("memory.events", "oom"),
		       (unsigned long)cg_read("memory.events", "oom_kill"));
	TEST_ASSERT(cg_read("memory.events", "max"), "the limit was never reached");
	TEST_ASSERT(!cg_read("memory.events", "oom_kill"), "the OOM killer killed");

	/*
	 * A refused KVM_CREATE_VCPU leaves nothing (the same id is free), a
	 * refused KVM_ARM_VCPU_INIT a vCPU that can be initialised again.
	 */
	if (v.init_failed)
		ret = ioctl(v.vcpu_fd[v.nr - 1], KVM_ARM_VCPU_INIT, &v.init) ? -errno : 0;
	else
		ret = raw_vcpu_add(&v);
	TEST_ASSERT(!ret, "vCPU %u after the limit was lifted: %s", refused, strerror(-ret));
	ksft_print_msg("the refused %s succeeds once the limit is lifted\n",
		       v.init_failed ? "KVM_ARM_VCPU_INIT" : "KVM_CREATE_VCPU");
	raw_vm_destroy(&v);

	/* the host and KVM go on */
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
	ksft_print_msg("after the limit was lifted: vCPU created, VM destroyed, a new VM ran\n");
}

int main(int argc, char *argv[])
{
	int opt;

	while ((opt = getopt(argc, argv, "b:h")) != -1) {
		switch (opt) {
		case 'b':
			budget_mib = atoi_positive("budget (MiB)", optarg);
			break;
		default:
			printf("usage: %s [-b MiB]\n", argv[0]);
			puts("  -b: what the limited cgroup may use above its start (default 8)");
			/* -h asks for this; any other option is a usage error */
			exit(opt == 'h' ? 0 : KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_ARM_MPIDR_USER) >= 1);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_MAX_VCPUS) >= MAX_VCPUS);
	vgic_scale_raise_nofile(MAX_VCPUS);
	cgroup_enter();

	ksft_print_header();
	ksft_set_plan(2);
	test_charges();
	ksft_test_result_pass("per-VM, per-region and per-vCPU allocations charged and released\n");
	test_limit();
	ksft_test_result_pass("a %u-vCPU VM in a %u MiB cgroup: ENOMEM, host healthy\n",
			      MAX_VCPUS, budget_mib);
	cgroup_leave();
	ksft_finished();
}
