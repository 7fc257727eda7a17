// SPDX-License-Identifier: GPL-2.0
/*
 * arm_ext_faults - allocation failures injected into the extension's paths.
 *
 * Builds a GICv3 VM of -n vCPUs the way a VMM does (redistributor regions
 * for all of them, vCPUs created after the regions, a user topology set
 * with KVM_ARM_SET_MPIDRS, some vCPUs parked, an ITS) and sweeps each step
 * with fault injection scoped to this thread (/proc/thread-self/fail-nth,
 * failslab and fail_page_alloc, GFP_KERNEL allocations included): the
 * step's first allocation fails, then its second, and so on until the step
 * completes without reaching the failing one.  After every injected
 * failure the step must have returned -ENOMEM (or -EFAULT for the first
 * KVM_RUN: guest memory not faulted in; any other errno fails the test)
 * and left nothing behind: the same step then succeeds (no -EEXIST, no index taken) and
 * read-backs (MPIDR_EL1, PARKED, region attributes) are unchanged.  A
 * failure a step absorbs (a fallback allocation) ends its sweep and the
 * next step of the same kind goes on from the following point.
 *
 * With more vCPUs than -s, vCPU creation and initialisation are swept for
 * every -s'th vCPU only.  Finally vCPUs of the VM run (every -r'th one and
 * the last), each reporting the MPIDR it was given, the parked ones are
 * refused, and the VM is destroyed; kmemleak and KASAN (debug kernel)
 * see the error paths.  Prints, per step, the fault points found and
 * what each injected failure became.
 *
 * Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC
 * and debugfs; skips without them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>
#include <linux/list.h>

#include "kvm_util.h"
#include "gic.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"

#define MPIDR_REG	KVM_ARM64_SYS_REG(SYS_MPIDR_EL1)
#define NR_IRQS		64
/* where the library puts vCPU stacks (lib/aarch64/processor.c) */
#define STACK_VADDR_MIN	0xac0000
#define DEBUGFS		"/sys/kernel/debug"

enum step {
	S_CREATE_VM, S_CREATE_GIC, S_REGION, S_CREATE_VCPU, S_VCPU_INIT,
	S_SET_MPIDRS, S_VGIC_INIT, S_ITS, S_PARK, S_UNPARK, S_FIRST_RUN,
	NR_STEPS
};

static const char * const step_name[NR_STEPS] = {
	"KVM_CREATE_VM", "KVM_CREATE_DEVICE(GICv3)", "REDIST_REGION",
	"KVM_CREATE_VCPU", "KVM_ARM_VCPU_INIT", "KVM_ARM_SET_MPIDRS",
	"VGIC_CTRL_INIT", "ITS create+base+init", "KVM_ARM_VCPU_PARK",
	"KVM_ARM_VCPU_UNPARK", "first KVM_RUN",
};

struct step_stats {
	unsigned int runs;	/* times the step ran to completion */
	unsigned int points;	/* most fault points seen in one run */
	unsigned int next;	/* first point the next run injects */
	unsigned int injected, enomem, absorbed, other;
	int other_errno;
};

static struct step_stats stats[NR_STEPS];
static int fail_nth_fd = -1;
static unsigned int nr_vcpus = 512, stride = 64, run_stride = 64;

/* Each vCPU reports the MPIDR_EL1 it sees. */
static void guest_code(void)
{
	GUEST_SYNC(read_sysreg(mpidr_el1));
	GUEST_DONE();
}

static void debugfs_write(const char *file, const char *val)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), DEBUGFS "/%s", file);
	fd = open(path, O_WRONLY);
	__TEST_REQUIRE(fd >= 0, "no %s (fault injection not built in)", path);
	n = write(fd, val, strlen(val));
	TEST_ASSERT(n == (int)strlen(val), "writing %s to %s", val, path);
	close(fd);
}

/*
 * Make failslab and fail_page_alloc fail GFP_KERNEL allocations too, and
 * quietly: injection itself is scoped by fail-nth to this thread.
 */
static void fault_injection_setup(void)
{
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	__TEST_REQUIRE(fail_nth_fd >= 0, "no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)");
	debugfs_write("failslab/ignore-gfp-wait", "N");
	debugfs_write("failslab/verbose", "0");
	debugfs_write("fail_page_alloc/ignore-gfp-wait", "N");
	debugfs_write("fail_page_alloc/ignore-gfp-highmem", "N");
	debugfs_write("fail_page_alloc/min-order", "0");
	debugfs_write("fail_page_alloc/verbose", "0");
}

static void fail_nth_set(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	TEST_ASSERT(pwrite(fail_nth_fd, buf, len, 0) == len, "writing fail-nth");
}

/* What is left of the count: 0 once the failure was injected. */
static unsigned int fail_nth_left(void)
{
	char buf[16] = {};

	TEST_ASSERT(pread(fail_nth_fd, buf, sizeof(buf) - 1, 0) > 0, "reading fail-nth");
	return atoi(buf);
}

/*
 * What an injected allocation failure may become, per step, as documented
 * (Documentation/virt/kvm/arm-scalability.rst, "Hardening"): -ENOMEM, and
 * for the first KVM_RUN also -EFAULT, which is what KVM answers when the
 * page of guest memory the guest touches cannot be faulted in (the VMM's
 * memory, allocated by get_user_pages() at the stage-2 fault), as
 * without the extension.  Any other errno fails the test, with the step and the
 * fault point.
 */
#define ERRNO_BIT(e)	BIT_ULL(e)
static const u64 step_errnos[NR_STEPS] = {
	[0 ... NR_STEPS - 1] = ERRNO_BIT(ENOMEM),
	[S_FIRST_RUN] = ERRNO_BIT(ENOMEM) | ERRNO_BIT(EFAULT),
};

static void judge(enum step s, unsigned int n, int err)
{
	struct step_stats *st = &stats[s];

	if (err == ENOMEM) {
		st->enomem++;
		return;
	}
	st->other++;
	st->other_errno = err;
	TEST_ASSERT(err > 0 && err < 64 && (step_errnos[s] & ERRNO_BIT(err)),
		    "%s: failing fault point %u gave %s, not an errno documented for it",
		    step_name[s], n, strerror(err));
	ksft_print_msg("%s: failing fault point %u gave %s (documented)\n", step_name[s], n,
		       strerror(err));
}

/*
 * Run one step @op(@arg) (0 or -errno) with every fault point from the
 * step's next one failing in turn; @undone(@arg) checks after a failure
 * that nothing changed.  Returns the step's result once it completed.
 */
static int sweep(enum step s, int (*op)(void *), void (*undone)(void *), void *arg)
{
	struct step_stats *st = &stats[s];
	unsigned int n;
	int ret;

	for (n = max(st->next, 1u); ; n++) {
		fail_nth_set(n);
		ret = op(arg);
		if (fail_nth_left()) {
			fail_nth_set(0);
			st->points = max(st->points, n - 1);
			break;
		}
		st->injected++;
		if (!ret) {
			/* absorbed: the step is done; go on from n + 1 next time */
			st->absorbed++;
			st->next = n + 1;
			st->points = max(st->points, n);
			break;
		}
		judge(s, n, -ret);
		if (undone)
			undone(arg);
	}
	st->runs++;
	return ret;
}

/* Run @op once without injection. */
static int plain(enum step s, int (*op)(void *), void *arg)
{
	stats[s].runs++;
	return op(arg);
}

static int neg_errno(int ret)
{
	return ret < 0 ? -errno : 0;
}

/* Steps */

struct vm_ctx {
	struct kvm_vm *vm;
	int gic_fd, its_fd, vm_fd;
	struct vgic_rdist_layout layout;
	int *vcpu_fd;
	struct kvm_arm_mpidrs *batch;
	u64 *mpidr_before;	/* of every stride'th vCPU */
	unsigned int idx;	/* the vCPU or region a step is about */
	unsigned int nr, nr_parked;
};

static int op_create_vm(void *arg)
{
	int kvm_fd = *(int *)arg, fd;

	fd = ioctl(kvm_fd, KVM_CREATE_VM, KVM_VM_TYPE_ARM_IPA_SIZE(40));
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int op_create_gic(void *arg)
{
	struct vm_ctx *c = arg;

	c->gic_fd = __kvm_create_device(c->vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	return c->gic_fd < 0 ? -errno : 0;
}

static int op_region(void *arg)
{
	struct vm_ctx *c = arg;
	const struct vgic_rdist_region *r = &c->layout.region[c->idx];
	u64 attr = vgic_rdist_region_attr(r->base, r->count, c->idx);

	return neg_errno(__kvm_device_attr_set(c->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
					       KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &attr));
}

static void region_undone(void *arg)
{
	struct vm_ctx *c = arg;
	u64 attr = c->idx;

	TEST_ASSERT(__kvm_device_attr_get(c->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
					  KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &attr) &&
		    errno == ENOENT,
		    "region %u registered by a failed call", c->idx);
}

static int op_create_vcpu(void *arg)
{
	struct vm_ctx *c = arg;
	int fd = __vm_ioctl(c->vm, KVM_CREATE_VCPU, (void *)(unsigned long)c->idx);

	if (fd < 0)
		return -errno;
	c->vcpu_fd[c->idx] = fd;
	return 0;
}

/* The KVM_ARM_VCPU_INIT argument of every vCPU. */
static struct kvm_vcpu_init vcpu_init_of(struct kvm_vm *vm)
{
	struct kvm_vcpu_init init;

	vm_ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= BIT(KVM_ARM_VCPU_PSCI_0_2);
	return init;
}

static int op_vcpu_init(void *arg)
{
	struct vm_ctx *c = arg;
	struct kvm_vcpu_init init = vcpu_init_of(c->vm);

	return neg_errno(ioctl(c->vcpu_fd[c->idx], KVM_ARM_VCPU_INIT, &init));
}

static u64 topo_mpidr(unsigned int i)
{
	/* four threads a core, 256 cores a cluster: not KVM's default */
	return BIT(31) | (i & 3) | ((i >> 2) & 0xff) << 8 | (u64)(i >> 10) << 16;
}

static u64 vcpu_mpidr(struct vm_ctx *c, unsigned int i)
{
	u64 v;
	struct kvm_one_reg reg = { .id = MPIDR_REG, .addr = (u64)&v };

	TEST_ASSERT(!ioctl(c->vcpu_fd[i], KVM_GET_ONE_REG, &reg), "reading MPIDR_EL1");
	return v;
}

static int op_set_mpidrs(void *arg)
{
	struct vm_ctx *c = arg;

	return neg_errno(__vm_ioctl(c->vm, KVM_ARM_SET_MPIDRS, c->batch));
}

static void mpidrs_undone(void *arg)
{
	struct vm_ctx *c = arg;
	unsigned int i;

	for (i = 0; i < c->nr; i += stride)
		TEST_ASSERT(vcpu_mpidr(c, i) == c->mpidr_before[i / stride],
			    "vCPU %u has a new MPIDR after a failed batch", i);
}

static int op_vgic_init(void *arg)
{
	struct vm_ctx *c = arg;

	return neg_errno(__kvm_device_attr_set(c->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
					       KVM_DEV_ARM_VGIC_CTRL_INIT, NULL));
}

static int op_its(void *arg)
{
	struct vm_ctx *c = arg;
	u64 base = GITS_BASE_GPA;
	int ret;

	if (c->its_fd < 0) {
		c->its_fd = __kvm_create_device(c->vm, KVM_DEV_TYPE_ARM_VGIC_ITS);
		if (c->its_fd < 0)
			return -errno;
	}
	ret = __kvm_device_attr_set(c->its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_ITS_ADDR_TYPE, &base);
	/* the base is set once; a retry after a later failure finds it set */
	if (ret && errno != EEXIST)
		return -errno;
	return neg_errno(__kvm_device_attr_set(c->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
					       KVM_DEV_ARM_VGIC_CTRL_INIT, NULL));
}

static int parked(struct vm_ctx *c, unsigned int i)
{
	int ret = ioctl(c->vcpu_fd[i], KVM_ARM_VCPU_PARKED, 0);

	TEST_ASSERT(ret >= 0, "KVM_ARM_VCPU_PARKED: %s", strerror(errno));
	return ret;
}

static int op_park(void *arg)
{
	struct vm_ctx *c = arg;

	return neg_errno(ioctl(c->vcpu_fd[c->idx], KVM_ARM_VCPU_PARK, 0));
}

static void park_undone(void *arg)
{
	struct vm_ctx *c = arg;

	TEST_ASSERT(!parked(c, c->idx), "vCPU %u parked by a failed call", c->idx);
}

static int op_unpark(void *arg)
{
	struct vm_ctx *c = arg;

	return neg_errno(ioctl(c->vcpu_fd[c->idx], KVM_ARM_VCPU_UNPARK, 0));
}

static void unpark_undone(void *arg)
{
	struct vm_ctx *c = arg;

	TEST_ASSERT(parked(c, c->idx), "vCPU %u unparked by a failed call", c->idx);
}

static int op_first_run(void *arg)
{
	struct kvm_vcpu *vcpu = arg;

	return neg_errno(__vcpu_run(vcpu));
}

/*
 * Give the selftest library a vCPU that was created with a raw
 * KVM_CREATE_VCPU: map its kvm_run, give it a stack, point it at
 * guest_code.
 */
static struct kvm_vcpu *adopt_vcpu(struct kvm_vm *vm, unsigned int id, int fd)
{
	size_t stack_size = vm->page_size == 4096 ? DEFAULT_STACK_PGS * vm->page_size :
						    vm->page_size;
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	struct kvm_vcpu_init init = vcpu_init_of(vm);
	int run_size = __kvm_ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	u64 stack;

	TEST_ASSERT(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = fd;
	vcpu->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap of vCPU %u", id);
	list_add(&vcpu->list, &vm->vcpus);

	stack = __vm_vaddr_alloc(vm, stack_size, STACK_VADDR_MIN,
				 MEM_REGION_DATA);
	aarch64_vcpu_setup(vcpu, &init);
	vcpu_set_reg(vcpu, ARM64_CORE_REG(sp_el1), stack + stack_size);
	vcpu_arch_set_entry_point(vcpu, guest_code);
	return vcpu;
}

static bool runs(unsigned int i)
{
	return i % run_stride == 0 || i == nr_vcpus - 1;
}

/* Parked at the end: the vCPUs just before each run sample. */
static bool stays_parked(struct vm_ctx *c, unsigned int i)
{
	return i % run_stride == run_stride - 1 && i != c->nr - 1;
}

static void run_vcpu(struct kvm_vcpu *vcpu, u64 want)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(uc.args[1] == want, "vCPU %u sees MPIDR %#lx, given %#lx",
		    vcpu->id, (unsigned long)uc.args[1], (unsigned long)want);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

/*
 * Steps after which KVM may leave the VM unusable but destroyable (a GIC
 * created but no device fd: the retry gets -EEXIST; a first KVM_RUN that
 * failed in the vgic's resource mapping: kvm_vm_dead(), -EIO from then on)
 * are swept on scratch VMs, one per fault point.
 */
static unsigned int nr_dead_vms;

static struct vm_ctx *build_vm(unsigned int nr, bool inject);
static void free_vm(struct vm_ctx *c);
static void free_dead_vm(struct vm_ctx *c);

/* A step, swept if @inj, else run once without injection. */
static int maybe_sweep(bool inj, enum step s, int (*op)(void *),
		       void (*undone)(void *), void *arg)
{
	return inj ? sweep(s, op, undone, arg) : plain(s, op, arg);
}

/* KVM_CREATE_DEVICE of the GIC, each fault point on a fresh VM. */
static void sweep_create_gic(void)
{
	struct step_stats *st = &stats[S_CREATE_GIC];
	unsigned int n;
	int ret;

	for (n = 1; ; n++) {
		struct vm_ctx c = { .vm = vm_create_barebones() };

		fail_nth_set(n);
		ret = op_create_gic(&c);
		if (fail_nth_left()) {
			fail_nth_set(0);
			TEST_ASSERT(!ret, "KVM_CREATE_DEVICE without injection: %s",
				    strerror(-ret));
			st->points = n - 1;
			st->runs++;
			close(c.gic_fd);
			kvm_vm_free(c.vm);
			return;
		}
		st->injected++;
		if (!ret) {
			st->absorbed++;
			close(c.gic_fd);
		} else {
			judge(S_CREATE_GIC, n, -ret);
			ret = op_create_gic(&c);
			TEST_ASSERT(!ret || ret == -EEXIST,
				    "KVM_CREATE_DEVICE after a failure at point %u: %s",
				    n, strerror(-ret));
			if (ret) {
				ksft_print_msg("%s: point %u leaves a GIC, no fd\n",
					       step_name[S_CREATE_GIC], n);
				nr_dead_vms++;
			} else {
				close(c.gic_fd);
			}
		}
		kvm_vm_free(c.vm);
	}
}

/* The VM's first KVM_RUN, each fault point on a fresh VM. */
static void sweep_first_run(void)
{
	struct step_stats *st = &stats[S_FIRST_RUN];
	unsigned int n;
	int ret;

	for (n = 1; ; n++) {
		struct vm_ctx *c = build_vm(8, false);
		struct kvm_vcpu *vcpu = adopt_vcpu(c->vm, 0, c->vcpu_fd[0]);
		struct ucall uc;

		fail_nth_set(n);
		ret = op_first_run(vcpu);
		if (fail_nth_left()) {
			fail_nth_set(0);
			TEST_ASSERT(!ret, "first KVM_RUN without injection: %s", strerror(-ret));
			TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
			st->points = n - 1;
			st->runs++;
			free_vm(c);
			return;
		}
		st->injected++;
		if (!ret) {
			st->absorbed++;
		} else {
			judge(S_FIRST_RUN, n, -ret);
			ret = op_first_run(vcpu);
			TEST_ASSERT(!ret || ret == -EIO,
				    "KVM_RUN after a failure at point %u: %s", n, strerror(-ret));
			if (ret) {
				nr_dead_vms++;
				free_dead_vm(c);
				continue;
			}
			TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
		}
		free_vm(c);
	}
}

/*
 * A GICv3 VM of @nr vCPUs as a VMM builds one, every step swept when
 * @inject; the vCPUs are raw (c->vcpu_fd), none has run.
 */
static struct vm_ctx *build_vm(unsigned int nr, bool inject)
{
	struct vm_ctx *c = calloc(1, sizeof(*c));
	unsigned int i, every = inject ? stride : nr;
	u64 attr;

	TEST_ASSERT(c, "out of memory");
	c->its_fd = -1;
	c->nr = nr;
	c->vm = __vm_create(VM_SHAPE_DEFAULT, nr / run_stride + 2, 0);
	c->vcpu_fd = calloc(nr, sizeof(int));
	c->batch = calloc(1, sizeof(*c->batch) + nr * sizeof(c->batch->entries[0]));
	c->mpidr_before = calloc(nr / stride + 1, sizeof(u64));
	TEST_ASSERT(c->vcpu_fd && c->batch && c->mpidr_before, "out of memory");

	TEST_ASSERT(!op_create_gic(c), "creating the GIC: %s", strerror(errno));
	attr = NR_IRQS;
	kvm_device_attr_set(c->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &attr);
	attr = GICD_BASE_GPA;
	kvm_device_attr_set(c->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_V3_ADDR_TYPE_DIST, &attr);

	vgic_rdist_layout_vmm(&c->layout, nr);
	for (c->idx = 0; c->idx < c->layout.nr_regions; c->idx++)
		TEST_ASSERT(!maybe_sweep(inject, S_REGION, op_region, region_undone, c),
			    "registering region %u: %s", c->idx, strerror(errno));

	for (c->idx = 0; c->idx < nr; c->idx++) {
		bool s = inject && (c->idx % every == 0 || c->idx == nr - 1);

		TEST_ASSERT(!maybe_sweep(s, S_CREATE_VCPU, op_create_vcpu, NULL, c),
			    "creating vCPU %u: %s", c->idx, strerror(errno));
		TEST_ASSERT(!maybe_sweep(s, S_VCPU_INIT, op_vcpu_init, NULL, c),
			    "initialising vCPU %u: %s", c->idx, strerror(errno));
	}

	for (i = 0; i < nr; i += stride)
		c->mpidr_before[i / stride] = vcpu_mpidr(c, i);
	c->batch->nr_entries = nr;
	for (i = 0; i < nr; i++) {
		c->batch->entries[i].vcpu_id = i;
		c->batch->entries[i].mpidr = topo_mpidr(i);
	}
	TEST_ASSERT(!maybe_sweep(inject, S_SET_MPIDRS, op_set_mpidrs, mpidrs_undone, c),
		    "setting the topology: %s", strerror(errno));
	for (i = 0; i < nr; i += stride)
		TEST_ASSERT_EQ(vcpu_mpidr(c, i), topo_mpidr(i));

	/* park and unpark a sample, park some for good */
	for (c->idx = 1; inject && c->idx < nr; c->idx += stride) {
		TEST_ASSERT(!sweep(S_PARK, op_park, park_undone, c), "parking");
		TEST_ASSERT(!sweep(S_UNPARK, op_unpark, unpark_undone, c), "unparking");
	}
	for (c->idx = 0; c->idx < nr; c->idx++) {
		if (!stays_parked(c, c->idx))
			continue;
		TEST_ASSERT(!maybe_sweep(inject, S_PARK, op_park, park_undone, c), "parking");
		c->nr_parked++;
	}

	TEST_ASSERT(!maybe_sweep(inject, S_VGIC_INIT, op_vgic_init, NULL, c), "vgic init: %s",
		    strerror(errno));
	TEST_ASSERT(!maybe_sweep(inject, S_ITS, op_its, NULL, c), "ITS: %s", strerror(errno));
	return c;
}

static void free_vm(struct vm_ctx *c)
{
	struct kvm_vcpu *vcpu;
	unsigned int i;

	/* the vCPUs the library does not know about are closed by hand */
	for (i = 0; i < c->nr; i++) {
		bool known = false;

		list_for_each_entry(vcpu, &c->vm->vcpus, list)
			known |= vcpu->id == i;
		if (!known)
			close(c->vcpu_fd[i]);
	}
	close(c->gic_fd);
	if (c->its_fd >= 0)
		close(c->its_fd);
	kvm_vm_free(c->vm);
	free(c->vcpu_fd);
	free(c->batch);
	free(c->mpidr_before);
	free(c);
}

/*
 * Destroy a VM that KVM killed (every ioctl -EIO, so the library's memslot
 * deletion would fail): close its files, unmap its memory.
 */
static void free_dead_vm(struct vm_ctx *c)
{
	struct userspace_mem_region *region;
	struct hlist_node *node;
	struct kvm_vcpu *vcpu, *tmp;
	unsigned int i;
	int bkt;

	list_for_each_entry_safe(vcpu, tmp, &c->vm->vcpus, list) {
		munmap(vcpu->run, __kvm_ioctl(c->vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL));
		list_del(&vcpu->list);
		free(vcpu);
	}
	for (i = 0; i < c->nr; i++)
		close(c->vcpu_fd[i]);
	close(c->gic_fd);
	if (c->its_fd >= 0)
		close(c->its_fd);
	hash_for_each_safe(c->vm->regions.slot_hash, bkt, node, region, slot_node)
		munmap(region->mmap_start, region->mmap_size);
	TEST_ASSERT(!close(c->vm->fd), "closing a dead VM");
	close(c->vm->kvm_fd);
	free(c->vcpu_fd);
	free(c->batch);
	free(c->mpidr_before);
	free(c);
}

static void test_vm(void)
{
	int kvm_fd = open_kvm_dev_path_or_exit();
	unsigned int i, nr_run = 0;
	struct kvm_vcpu *vcpu;
	struct vm_ctx *c;

	/* KVM_CREATE_VM itself, four times over */
	for (i = 0; i < 4; i++)
		TEST_ASSERT(!sweep(S_CREATE_VM, op_create_vm, NULL, &kvm_fd),
			    "KVM_CREATE_VM without injection: %s", strerror(errno));
	close(kvm_fd);
	sweep_create_gic();
	sweep_first_run();

	c = build_vm(nr_vcpus, true);
	for (i = 0; i < nr_vcpus; i++) {
		if (!runs(i))
			continue;
		vcpu = adopt_vcpu(c->vm, i, c->vcpu_fd[i]);
		run_vcpu(vcpu, topo_mpidr(i));
		nr_run++;
	}
	for (i = 0; i < nr_vcpus; i++) {
		if (!stays_parked(c, i))
			continue;
		TEST_ASSERT(ioctl(c->vcpu_fd[i], KVM_RUN, NULL) && errno == ENODEV,
			    "parked vCPU %u ran", i);
	}
	ksft_print_msg("%u vCPUs: %u ran and reported their MPIDR, %u parked ones refused\n",
		       nr_vcpus, nr_run, c->nr_parked);
	free_vm(c);
}

static void report(void)
{
	unsigned int s, injected = 0;

	ksft_print_msg("%-26s %5s %6s %8s %6s %8s %s\n", "step", "runs", "points",
		       "injected", "ENOMEM", "absorbed", "other errno");
	for (s = 0; s < NR_STEPS; s++) {
		struct step_stats *st = &stats[s];

		ksft_print_msg("%-26s %5u %6u %8u %6u %8u %u%s%s\n", step_name[s], st->runs,
			       st->points, st->injected, st->enomem, st->absorbed, st->other,
			       st->other ? " last " : "",
			       st->other ? strerror(st->other_errno) : "");
		injected += st->injected;
	}
	ksft_print_msg("%u failures injected: all surfaced with a documented errno or absorbed\n",
		       injected);
	ksft_print_msg("%u VMs left unusable by a failure, destroyed cleanly\n", nr_dead_vms);
	TEST_ASSERT(injected, "no failure injected: is fault injection working?");
}

/* Usage on stdout; -h exits 0, a usage error KSFT_FAIL. */
static void help(const char *name, int status)
{
	printf("usage: %s [-n vcpus] [-s sweep-stride] [-r run-stride]\n", name);
	puts("  -n: vCPUs of the VM (default 512)");
	puts("  -s: sweep vCPU creation and init for every s'th vCPU (default 64)");
	puts("  -r: run every r'th vCPU (default 64)");
	exit(status);
}

int main(int argc, char *argv[])
{
	int opt;

	while ((opt = getopt(argc, argv, "n:s:r:h")) != -1) {
		switch (opt) {
		case 'n':
			nr_vcpus = atoi_positive("vCPUs", optarg);
			break;
		case 's':
			stride = atoi_positive("sweep stride", optarg);
			break;
		case 'r':
			run_stride = atoi_positive("run stride", optarg);
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_ARM_MPIDR_USER) >= 1);
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_ARM_VCPU_PARK));
	TEST_REQUIRE(nr_vcpus <= (unsigned int)kvm_check_cap(KVM_CAP_MAX_VCPUS));
	TEST_ASSERT(run_stride >= 2, "-r must leave room for parked vCPUs");
	vgic_scale_raise_nofile(nr_vcpus);
	fault_injection_setup();

	ksft_print_header();
	ksft_set_plan(1);
	test_vm();
	report();
	ksft_test_result_pass("%u-vCPU VM built with every allocation failed in turn\n",
			      nr_vcpus);
	ksft_finished();
}
