// SPDX-License-Identifier: GPL-2.0
/*
 * arm_ext_fuzz - a seeded random ioctl-sequence fuzzer over the KVM/arm64
 * scalability extension's ABI and its neighbours.
 *
 * Each iteration tries a few invalid VM types (KVM_CREATE_VM must refuse
 * them with EINVAL), then creates a VM with a random IPA size (type 0 or
 * 32 bits to the host's limit) and a few "runner" vCPUs made by the
 * library, and has -t threads issue -o random operations on it each:
 * KVM_CREATE_VCPU with random ids, KVM_ARM_VCPU_INIT, a GICv3 and an ITS
 * with random addresses, redistributor regions, NR_IRQS, CTRL_INIT and
 * userspace redistributor reads, KVM_ARM_SET_MPIDRS batches,
 * KVM_ARM_VCPU_PARK/UNPARK/PARKED, KVM_CHECK_EXTENSION, the SMCCC filter,
 * memslots, and KVM_RUN.  Runners execute guest code that calls PSCI
 * CPU_ON (to a stub) and AFFINITY_INFO for random MPIDRs and sends SGIs
 * by affinity; vCPUs started by CPU_ON or created raw run a stub, MMU off,
 * that exits once to userspace (MMIO) and calls PSCI CPU_OFF.  A thread
 * signals the workers every few milliseconds, so that no KVM_RUN blocks.
 *
 * Every ioctl must succeed or fail with an errno its documentation allows
 * (Documentation/virt/kvm/arm-scalability.rst, api.rst,
 * devices/arm-vgic-v3.rst); some cheap invariants are checked too (a
 * second GIC or a duplicate vCPU id is refused, PARKED follows the last
 * PARK/UNPARK, CHECK_EXTENSION is consistent, the distributor address
 * reads back, GICR_TYPER has the affinity asked for, the thread's
 * TPIDR_EL0 is still its own...).  A failure prints the seed, the
 * iteration, the thread, the operation and its arguments; so does a crash
 * of the fuzzer itself (a signal handler that mends a broken thread
 * pointer first).
 * Every few iterations a tiny VM is run to GUEST_DONE to check the host.
 *
 * The seed (-s, printed at the start) drives everything: each thread draws
 * from its own generator seeded from (seed, iteration, thread), a fixed
 * number of values per operation whatever the state, so the argument
 * stream replays exactly.  With -t 1 the run replays (except how far a
 * guest got before a timer signal ended its KVM_RUN); with several threads
 * the interleaving does not, but the argument stream does.
 *
 * Soak: arm_ext_fuzz -i 1000000 -d 3600 -t 4 -o 400 -n 256
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>
#include <linux/psci.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"
#include "vgic.h"
#include "vgic_rdist.h"

#define MAX_THREADS	16
#define MAX_IDS		4096
#define MAX_RUNNERS	4u
#define MAX_ITS		2
#define NR_FUZZ_SLOTS	16
#define FUZZ_MEM_SIZE	SZ_4M
#define SIGNAL_GPA	0x60000000ul
#define GUEST_ACTIONS	8
#define HEALTH_EVERY	5
#define KICK_US		5000
#define NR_ERRNO	135
#define UNDEF_ADDR	(~0ULL)

enum op {
	OP_CREATE_VM_BAD, OP_CREATE_VCPU, OP_VCPU_INIT, OP_CREATE_GIC,
	OP_GIC_DIST, OP_GIC_GET_DIST, OP_GIC_REDIST, OP_GIC_REGION,
	OP_GIC_NR_IRQS, OP_GIC_INIT, OP_RDIST_REG, OP_CREATE_ITS, OP_ITS_BASE,
	OP_ITS_INIT, OP_SET_MPIDRS, OP_PARK, OP_UNPARK, OP_PARKED,
	OP_CHECK_EXT, OP_SMCCC_FILTER, OP_MEMSLOT, OP_RUN, OP_HEALTH,
	NR_OPS,
};

static const char * const op_name[NR_OPS] = {
	"create_vm_bad", "create_vcpu", "vcpu_init", "create_gic",
	"gic_dist", "gic_get_dist", "gic_redist", "gic_region",
	"gic_nr_irqs", "gic_init", "rdist_reg", "create_its", "its_base",
	"its_init", "set_mpidrs", "park", "unpark", "parked",
	"check_ext", "smccc_filter", "memslot", "run", "health",
};

/* How often each operation is drawn, out of the sum. */
static const unsigned int op_weight[NR_OPS] = {
	[OP_CREATE_VCPU] = 14, [OP_VCPU_INIT] = 8, [OP_CREATE_GIC] = 2,
	[OP_GIC_DIST] = 3, [OP_GIC_GET_DIST] = 2, [OP_GIC_REDIST] = 2,
	[OP_GIC_REGION] = 4, [OP_GIC_NR_IRQS] = 2, [OP_GIC_INIT] = 2,
	[OP_RDIST_REG] = 5, [OP_CREATE_ITS] = 1, [OP_ITS_BASE] = 2,
	[OP_ITS_INIT] = 1, [OP_SET_MPIDRS] = 8, [OP_PARK] = 8,
	[OP_UNPARK] = 6, [OP_PARKED] = 6, [OP_CHECK_EXT] = 4,
	[OP_SMCCC_FILTER] = 3, [OP_MEMSLOT] = 5, [OP_RUN] = 14,
};

struct stats {
	u64 ok[NR_OPS];
	u64 err[NR_OPS][NR_ERRNO];
};

struct vslot {
	int fd;			/* -1: not created */
	struct kvm_vcpu *lib;	/* a runner made by the library */
	struct kvm_run *run;	/* mapped by the owner thread, raw vCPUs */
	bool inited;		/* owner only: KVM_ARM_VCPU_INIT succeeded */
	int parked;		/* owner only: after the last PARK/UNPARK */
};

struct fvm {
	struct kvm_vm *vm;
	unsigned int ipa, nr_ids, nr_runners, iter;
	struct vslot *slot;
	int gic_fd, its_fd[MAX_ITS];
	int gic_inited, dead, running, regions;
	u64 dist_base;
	u64 *has_gic_hva;
	void *mem;
	struct kvm_vcpu_init init;
};

struct worker {
	pthread_t th;
	struct fvm *f;
	unsigned int tid;
	u64 rng;
	struct stats st;
	/* the operation in progress, for failure messages */
	unsigned int opno;
	enum op op;
	char args[160];
};

/* Settings and host values */
static u64 seed;
static unsigned int nr_threads = 4, nr_ops = 200, max_ids = 64;
static int kvm_fd;
static unsigned int ipa_limit, mpidr_cap, max_vcpus_cap, max_vcpu_id_cap;
static size_t run_size;
static long page_size;
static int kick_stop;

/* Shared with the guest */
static u64 stub_gpa_g, guest_seed_g, has_gic_g;
static u32 nr_ids_g;

/*
 * The stub started vCPUs run, MMU off, at stub_gpa_g:
 *   movz x1, #(SIGNAL_GPA >> 16), lsl #16
 *   str  x0, [x1]			// context id: an MMIO exit
 *   1: movz w0, #0x0002
 *   movk w0, #0x8400, lsl #16		// PSCI_0_2_FN_CPU_OFF
 *   hvc  #0
 *   b    1b
 */
static const u32 stub_code[] = {
	0xd2a00000 | (SIGNAL_GPA >> 16) << 5 | 1,
	0xf9000020,
	0x52800040,
	0x72b08000,
	0xd4000002,
	0x17fffffd,
};

/* The default MPIDR affinity of vCPU @i, as KVM gives it. */
static u64 mpidr_of(u32 i)
{
	return (i & 0xf) | ((i >> 4) & 0xff) << 8 | ((i >> 12) & 0xff) << 16;
}

static u64 guest_psci(u32 fn, u64 a0, u64 a1, u64 a2)
{
	struct arm_smccc_res res;

	smccc_hvc(fn, a0, a1, a2, 0, 0, 0, 0, &res);
	return res.a0;
}

static u64 guest_target(u64 x)
{
	if (x & 1)
		return mpidr_of((x >> 1) % (nr_ids_g + 2));
	return (x >> 8) & 0x0303ff;	/* random affinity, mostly absent */
}

/*
 * Runners: rounds of random PSCI calls and SGIs, each ended by a
 * GUEST_SYNC.  A PSCI call the SMCCC filter forwards is answered DENIED by
 * the host.
 */
static void guest_code(void)
{
	u64 x = READ_ONCE(guest_seed_g) ^ read_sysreg(mpidr_el1), round, i;
	s64 r;

	for (round = 0;; round++) {
		for (i = 0; i < GUEST_ACTIONS; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			switch ((x >> 40) % 4) {
			case 0:
				r = guest_psci(PSCI_0_2_FN64_CPU_ON, guest_target(x),
					       READ_ONCE(stub_gpa_g), x);
				__GUEST_ASSERT(r <= 0 && r >= PSCI_RET_INTERNAL_FAILURE,
					       "CPU_ON 0x%lx: %ld", guest_target(x), r);
				break;
			case 1:
				r = guest_psci(PSCI_0_2_FN64_AFFINITY_INFO,
					       guest_target(x), 0, 0);
				__GUEST_ASSERT(r >= PSCI_RET_DENIED &&
					       r <= PSCI_0_2_AFFINITY_LEVEL_ON_PENDING,
					       "AFFINITY_INFO 0x%lx: %ld", guest_target(x), r);
				break;
			case 2:
				if (READ_ONCE(has_gic_g))
					vgic_scale_send_sgi(guest_target(x), x % 16, false);
				break;
			case 3:
				if (READ_ONCE(has_gic_g))
					vgic_scale_send_sgi(0, x % 16, !(x & 0x100));
				break;
			}
		}
		GUEST_SYNC(round);
	}
}

static void guest_done(void)
{
	GUEST_DONE();
}

/* Random numbers: splitmix64 to seed, xorshift64* to draw. */
static u64 splitmix(u64 x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static u64 rnd(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static u64 rng_seed(unsigned int iter, unsigned int tid)
{
	return splitmix(splitmix(seed) ^ splitmix((u64)iter << 20 | tid)) | 1;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Fail the test, saying where in the run and how to replay it. */
static void __printf(2, 3) __noreturn
fail_at(struct worker *w, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TEST_FAIL("seed %lu iteration %u thread %u op #%u %s(%s): %s\n"
		  "  replay: -s %lu -t %u -o %u -n %u (iteration %u)",
		  seed, w->f->iter, w->tid, w->opno, op_name[w->op], w->args, msg,
		  seed, nr_threads, nr_ops, max_ids, w->f->iter);
}

#define FAIL(w, fmt, ...)	fail_at(w, fmt, ##__VA_ARGS__)

#define CHECK(w, cond, fmt, ...)						\
	do {									\
		if (!(cond))							\
			FAIL(w, fmt, ##__VA_ARGS__);				\
	} while (0)

static void set_args(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->args, sizeof(w->args), fmt, ap);
	va_end(ap);
}

/* The errnos an operation may fail with, 0-terminated. */
#define ERRS(...)	((const int []){ __VA_ARGS__, 0 })

/*
 * Account @ret of the operation in progress; fail unless it succeeded or
 * failed with an errno of @ok.  EIO is allowed on a VM that may be dead:
 * one whose first KVM_RUN failed, or while a KVM_RUN is in flight.
 * Returns 0 on success, the errno otherwise.
 */
static int account(struct worker *w, long ret, const int *ok)
{
	int err = errno, i;

	if (ret >= 0) {
		w->st.ok[w->op]++;
		return 0;
	}
	if (err < NR_ERRNO)
		w->st.err[w->op][err]++;
	for (i = 0; ok[i]; i++)
		if (ok[i] == err)
			return err;
	/*
	 * A KVM_RUN marks the VM dead before it stops counting as running:
	 * read in the other order.
	 */
	if (err == EIO && (__atomic_load_n(&w->f->running, __ATOMIC_SEQ_CST) ||
			   __atomic_load_n(&w->f->dead, __ATOMIC_SEQ_CST)))
		return err;
	FAIL(w, "unexpected errno %d (%s)", err, strerror(err));
	return err;
}

/* A vCPU id: mostly in the VM's range, sometimes at or past the limit. */
static u32 pick_id(struct fvm *f, u64 r)
{
	switch (r % 16) {
	case 0:
		return max_vcpu_id_cap + (r >> 8) % 4;
	case 1:
		return r >> 32;
	default:
		return (r >> 8) % f->nr_ids;
	}
}

/* A vCPU this thread owns (id % threads == tid), or -1. */
static int owned_id(struct worker *w, u64 r)
{
	u32 id = (r >> 8) % w->f->nr_ids;

	id = id - id % nr_threads + w->tid;
	if (id >= w->f->nr_ids || READ_ONCE(w->f->slot[id].fd) < 0)
		return -1;
	return id;
}

/* A guest-physical base aligned on @align, mostly inside the IPA. */
static u64 pick_base(struct fvm *f, u64 r, u64 r2, u64 align, u64 size)
{
	u64 top = 1ull << f->ipa, lo = SZ_2G;

	switch (r % 10) {
	case 0:		/* not aligned */
		return (lo + r2 % (top - lo)) | 0x1000;
	case 1:		/* ending exactly at the top */
		return top - size;
	case 2:		/* straddling the top */
		return top - align;
	case 3:		/* beyond the top */
		return top + (r2 % 64) * align;
	case 4:		/* the library's low memory, the GIC's usual place */
		return (r2 % 256) * align;
	default:
		return (lo + r2 % (top - lo - size)) & ~(align - 1);
	}
}

static void op_create_vcpu(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	u32 id = pick_id(f, r[0]);
	bool existed = id < f->nr_ids && READ_ONCE(f->slot[id].fd) >= 0;
	bool inited = READ_ONCE(f->gic_inited);
	int fd, err, old = -1;

	set_args(w, "id %u", id);
	fd = __vm_ioctl(f->vm, KVM_CREATE_VCPU, (void *)(unsigned long)id);
	err = account(w, fd, ERRS(EEXIST, EINVAL, EBUSY, E2BIG, ENOMEM));
	if (err) {
		if (id >= max_vcpu_id_cap)
			CHECK(w, err == EINVAL || err == EIO, "id past the limit");
		if (inited)
			CHECK(w, err == EBUSY || err == EINVAL || err == EIO,
			      "vgic initialised: errno %d, want EBUSY", err);
		return;
	}
	CHECK(w, !existed, "a duplicate id accepted");
	CHECK(w, !inited, "a vCPU created after CTRL_INIT succeeded");
	CHECK(w, id < max_vcpu_id_cap, "an id past KVM_CAP_MAX_VCPU_ID accepted");
	if (id >= f->nr_ids) {	/* outside the fuzzed range: keep it closed */
		close(fd);
		return;
	}
	CHECK(w, __atomic_compare_exchange_n(&f->slot[id].fd, &old, fd, false,
					     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST),
	      "id created twice (fds %d, %d)", old, fd);
}

static void op_vcpu_init(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	struct kvm_vcpu_init init = f->init;
	int id = owned_id(w, r[0]);
	u64 pc = stub_gpa_g;
	struct kvm_one_reg reg = {
		.id = ARM64_CORE_REG(regs.pc), .addr = (u64)&pc,
	};
	struct vslot *s;
	int ret, err;

	if (id < 0 || f->slot[id].lib)
		return;
	s = &f->slot[id];
	if (r[1] % 2)
		init.features[0] |= 1 << KVM_ARM_VCPU_POWER_OFF;
	if (r[1] % 16 == 3)
		init.features[0] |= 1u << (20 + r[2] % 12);
	if (r[1] % 16 == 5)
		init.target = r[2] % 64;
	set_args(w, "id %u target %u features 0x%x", id, init.target, init.features[0]);
	ret = ioctl(s->fd, KVM_ARM_VCPU_INIT, &init);
	/* EBUSY: a parked vCPU initialised powered on */
	err = account(w, ret, ERRS(EINVAL, ENOENT, EBUSY));
	if (err)
		return;
	/* Start at the stub, not at 0 where the library's memory is */
	ret = ioctl(s->fd, KVM_SET_ONE_REG, &reg);
	CHECK(w, !ret || errno == EIO, "setting PC: errno %d", errno);
	s->inited = true;
}

static void op_create_gic(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	bool existed = READ_ONCE(f->gic_fd) >= 0;
	int ret, err, old = -1;

	set_args(w, "GICv3%s", existed ? ", one exists" : "");
	ret = __vm_ioctl(f->vm, KVM_CREATE_DEVICE, &cd);
	/* kvm_vgic_create() tries the vCPU locks (EBUSY) before EEXIST */
	err = account(w, ret, ERRS(EEXIST, EBUSY, E2BIG, ENOMEM));
	if (err) {
		CHECK(w, !existed || err == EEXIST || err == EBUSY || err == EIO,
		      "a second GIC: errno %d, want EEXIST", err);
		return;
	}
	CHECK(w, !existed, "a second GICv3 accepted");
	CHECK(w, __atomic_compare_exchange_n(&f->gic_fd, &old, cd.fd, false,
					     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST),
	      "two GICv3 created");
	WRITE_ONCE(*f->has_gic_hva, 1);
}

static int gic_attr(int fd, bool set, u32 group, u64 attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (u64)val,
	};

	return ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

static void op_gic_dist(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	int fd = READ_ONCE(f->gic_fd);
	u64 base = pick_base(f, r[1], r[2], SZ_64K, KVM_VGIC_V3_DIST_SIZE);
	u64 had = READ_ONCE(f->dist_base), old = UNDEF_ADDR;

	if (fd < 0)
		return;
	set_args(w, "base 0x%lx", base);
	if (account(w, gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_V3_ADDR_TYPE_DIST, &base),
		    ERRS(EEXIST, EINVAL, E2BIG, EBUSY)))
		return;
	CHECK(w, had == UNDEF_ADDR, "distributor set twice (was 0x%lx)", had);
	CHECK(w, base + KVM_VGIC_V3_DIST_SIZE <= 1ull << f->ipa && !(base % SZ_64K),
	      "a distributor beyond the IPA or unaligned accepted");
	CHECK(w, __atomic_compare_exchange_n(&f->dist_base, &old, base, false,
					     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST),
	      "distributor set twice (0x%lx)", old);
}

static void op_gic_get_dist(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	int fd = READ_ONCE(f->gic_fd);
	u64 had = READ_ONCE(f->dist_base), val = 0;

	if (fd < 0)
		return;
	set_args(w, "recorded 0x%lx", had);
	if (account(w, gic_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_V3_ADDR_TYPE_DIST, &val), ERRS(EBUSY)))
		return;
	CHECK(w, had == UNDEF_ADDR || val == had, "read back 0x%lx", val);
}

static void op_gic_redist(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	int fd = READ_ONCE(f->gic_fd);
	u64 base = pick_base(f, r[1], r[2], SZ_64K, KVM_VGIC_V3_REDIST_SIZE);

	if (fd < 0)
		return;
	set_args(w, "legacy base 0x%lx", base);
	account(w, gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_V3_ADDR_TYPE_REDIST, &base),
		ERRS(EEXIST, EINVAL, E2BIG, EBUSY, ENOMEM));
}

static void op_gic_region(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	int fd = READ_ONCE(f->gic_fd), err;
	u32 count = r[3] % 8 ? 1 + (r[3] >> 8) % (f->nr_ids + 8) : 0;
	u32 index = r[4] % 8 < 6 ? READ_ONCE(f->regions) : (r[4] >> 8) % 300;
	u64 base = pick_base(f, r[1], r[2], SZ_64K, (u64)count * KVM_VGIC_V3_REDIST_SIZE);
	u64 flags = r[4] % 16 == 15 ? 1ull << 12 : 0;
	u64 val = vgic_rdist_region_attr(base & GENMASK_ULL(51, 16), count, index) | flags;

	if (fd < 0)
		return;
	set_args(w, "base 0x%lx count %u index %u flags 0x%lx", base, count, index, flags);
	err = account(w, gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				  KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &val),
		      ERRS(EINVAL, E2BIG, EBUSY, EEXIST, ENOMEM, ENOSPC));
	if (!err) {
		CHECK(w, count && !flags, "a region of count 0 or with flags accepted");
		__atomic_add_fetch(&f->regions, 1, __ATOMIC_SEQ_CST);
	}
}

static void op_gic_nr_irqs(struct worker *w, u64 *r)
{
	int fd = READ_ONCE(w->f->gic_fd), err;
	u32 val = r[1] % 4 ? 64 + 32 * ((r[1] >> 8) % 31) : r[1] >> 32;
	bool valid = val >= 64 && val <= 1024 && !(val % 32);

	if (fd < 0)
		return;
	set_args(w, "%u", val);
	err = account(w, gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &val),
		      ERRS(EINVAL, EBUSY));
	CHECK(w, valid || err == EINVAL || err == EIO, "invalid count: errno %d", err);
}

static void op_gic_init(struct worker *w, u64 *r)
{
	int fd = READ_ONCE(w->f->gic_fd);

	if (fd < 0)
		return;
	set_args(w, "CTRL_INIT");
	if (!account(w, gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
				 KVM_DEV_ARM_VGIC_CTRL_INIT, NULL),
		     ERRS(EBUSY, ENXIO, EINVAL, ENOMEM)))
		WRITE_ONCE(w->f->gic_inited, 1);
}

static void op_rdist_reg(struct worker *w, u64 *r)
{
	static const u32 offs[] = {
		GICR_TYPER, GICR_TYPER + 4, 0, SZ_64K + GICR_ISPENDR0,
	};
	struct fvm *f = w->f;
	int fd = READ_ONCE(f->gic_fd);
	u64 aff = r[1] % 4 ? mpidr_of((r[1] >> 8) % (f->nr_ids + 2)) : (r[1] >> 8) & 0xffffffff;
	u32 off = r[2] % 8 ? offs[(r[2] >> 8) % 4] : ((r[2] >> 8) % (2 * SZ_64K)) & ~3;
	u32 val = 0;

	if (fd < 0)
		return;
	set_args(w, "mpidr 0x%lx offset 0x%x", aff, off);
	if (account(w, gic_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				aff << 32 | off, &val),
		    ERRS(EINVAL, EBUSY, ENXIO)))
		return;
	/* MPIDRs are fixed when no other thread can change them */
	if (off == GICR_TYPER + 4 && nr_threads == 1)
		CHECK(w, val == aff, "GICR_TYPER affinity 0x%x", val);
}

static void op_create_its(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS };
	int idx = r[1] % MAX_ITS, old = -1, ret;

	set_args(w, "ITS %d", idx);
	ret = __vm_ioctl(f->vm, KVM_CREATE_DEVICE, &cd);
	if (account(w, ret, ERRS(ENODEV, EBUSY, ENOMEM, EINVAL, EEXIST)))
		return;
	if (!__atomic_compare_exchange_n(&f->its_fd[idx], &old, cd.fd, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		close(cd.fd);
}

static void op_its_base(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	int fd = READ_ONCE(f->its_fd[r[0] % MAX_ITS]);
	u64 base = pick_base(f, r[1], r[2], SZ_64K, KVM_VGIC_V3_ITS_SIZE);

	if (fd < 0)
		return;
	set_args(w, "ITS %lu base 0x%lx", r[0] % MAX_ITS, base);
	account(w, gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE,
			    &base),
		ERRS(EEXIST, EINVAL, E2BIG, EBUSY, ENXIO, ENOSPC, ENOMEM));
}

static void op_its_init(struct worker *w, u64 *r)
{
	int fd = READ_ONCE(w->f->its_fd[r[0] % MAX_ITS]);

	if (fd < 0)
		return;
	set_args(w, "ITS %lu CTRL_INIT", r[0] % MAX_ITS);
	account(w, gic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
			    NULL),
		ERRS(EBUSY, ENXIO, EINVAL));
}

static void op_set_mpidrs(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	unsigned int n = 1 + r[1] % 4, i, kind = r[0] % 16, alloc;
	struct kvm_arm_mpidrs *m;
	bool mt = r[2] % 8 == 0;
	u64 x = r[3];
	int err;

	if (kind == 0)
		n = 0;
	else if (kind == 1)
		n = mpidr_cap + 1;
	alloc = max(n, 1u);
	m = calloc(1, sizeof(*m) + alloc * sizeof(m->entries[0]));
	TEST_ASSERT(m, "calloc");
	m->nr_entries = n;
	m->flags = kind == 2 ? 1u << (r[4] % 32) : 0;
	for (i = 0; i < n && i < 64; i++) {
		x = splitmix(x);
		/* mostly the runners, initialised: the batch can succeed */
		if (x % 4)
			m->entries[i].vcpu_id = (r[2] + i) % f->nr_runners;
		else
			m->entries[i].vcpu_id = x % 16 ? (x >> 8) % f->nr_ids : (x >> 8) % 5000;
		/* A small space: duplicates are common */
		m->entries[i].mpidr = BIT(31) | (mt ? BIT(24) : 0) | (x >> 16) % 16 |
				      ((x >> 24) % 4) << 8 | ((x >> 32) % 2) << 16;
	}
	if (kind == 3)
		m->entries[0].reserved = 1;
	else if (kind == 4)
		m->entries[0].mpidr &= ~BIT(31);
	else if (kind == 5)
		m->entries[0].mpidr |= 20;
	else if (kind == 6)
		m->entries[0].mpidr |= 1ull << 32;
	else if (kind == 7)
		m->entries[0].mpidr |= BIT(30);
	set_args(w, "n %u flags 0x%x kind %u [0] id %u mpidr 0x%llx", n, m->flags, kind,
		 m->entries[0].vcpu_id, m->entries[0].mpidr);
	err = account(w, __vm_ioctl(f->vm, KVM_ARM_SET_MPIDRS, m),
		      ERRS(EINVAL, EEXIST, E2BIG, ENOENT, ENOEXEC, EBUSY, ENOMEM));
	free(m);
	if (kind == 0 || kind == 2)
		CHECK(w, err == EINVAL || err == EIO, "errno %d, want EINVAL", err);
	else if (kind == 1)
		CHECK(w, err == E2BIG || err == EIO, "errno %d, want E2BIG", err);
	else if (kind >= 3 && kind <= 7)
		CHECK(w, err, "an invalid entry accepted");
}

static void op_park(struct worker *w, u64 *r, unsigned long op)
{
	int id = owned_id(w, r[0]), ret, err;
	unsigned long arg = r[1] % 16 ? 0 : r[1] >> 32 | 1;
	struct vslot *s;

	if (id < 0)
		return;
	s = &w->f->slot[id];
	set_args(w, "id %d arg 0x%lx recorded %d", id, arg, s->parked);
	ret = ioctl(s->fd, op, arg);
	if (op == KVM_ARM_VCPU_PARKED) {
		err = account(w, ret, ERRS(EINVAL));
		CHECK(w, !arg || err == EINVAL || err == EIO, "nonzero argument accepted");
		if (!err)
			CHECK(w, ret == s->parked, "PARKED returned %d", ret);
		return;
	}
	err = account(w, ret, ERRS(EALREADY, EBUSY, EINVAL));
	CHECK(w, !arg || err == EINVAL || err == EIO, "nonzero argument accepted");
	CHECK(w, ret <= 0, "returned %d", ret);
	if (op == KVM_ARM_VCPU_PARK) {
		CHECK(w, s->parked ? err == EALREADY || err == EIO || err == EINVAL :
		      err != EALREADY, "errno %d for a vCPU %sparked", err,
		      s->parked ? "" : "not ");
		if (!err)
			s->parked = 1;
	} else {
		CHECK(w, s->parked ? err != EALREADY && err != EBUSY :
		      err == EALREADY || err == EIO || err == EINVAL,
		      "errno %d for a vCPU %sparked", err, s->parked ? "" : "not ");
		if (!err)
			s->parked = 0;
	}
}

static void op_check_ext(struct worker *w, u64 *r)
{
	static const long caps[] = {
		KVM_CAP_ARM_VM_IPA_BITS, KVM_CAP_ARM_MPIDR_USER, KVM_CAP_ARM_VCPU_PARK,
		KVM_CAP_MAX_VCPUS, KVM_CAP_ARM_VGIC_RDIST_REGIONS,
	};
	struct fvm *f = w->f;
	long cap = caps[r[1] % 5];
	bool on_vm = r[2] % 2;
	long want[] = { on_vm ? f->ipa : ipa_limit, mpidr_cap, 1, max_vcpus_cap, 4096 };
	int ret;

	set_args(w, "cap 0x%lx on %s", cap, on_vm ? "VM" : "/dev/kvm");
	ret = ioctl(on_vm ? f->vm->fd : kvm_fd, KVM_CHECK_EXTENSION, cap);
	if (account(w, ret, ERRS(0)))
		return;
	CHECK(w, ret == want[r[1] % 5], "returned %d, want %ld", ret, want[r[1] % 5]);
}

static void op_smccc_filter(struct worker *w, u64 *r)
{
	static const u32 bases[] = {
		PSCI_0_2_FN_BASE, PSCI_0_2_FN64_BASE, PSCI_0_2_FN64_CPU_ON,
		PSCI_0_2_FN64_AFFINITY_INFO, PSCI_0_2_FN_CPU_OFF,
	};
	struct kvm_smccc_filter filter = {
		.base = r[1] % 8 < 5 ? bases[r[1] % 8] : r[1] >> 32,
		.nr_functions = r[2] % 8 ? 1 + (r[2] >> 8) % 32 : 0,
		.action = r[3] % 8 ? r[3] % 3 : 3 + (r[3] >> 8) % 250,
	};
	bool bad = !filter.nr_functions || filter.action > 2 ||
		   (u64)filter.base + filter.nr_functions - 1 > UINT32_MAX;
	int err;

	if (r[4] % 16 == 0) {
		filter.pad[r[4] % 15] = 1;
		bad = true;
	}
	set_args(w, "base 0x%x nr %u action %u%s", filter.base, filter.nr_functions,
		 filter.action, r[4] % 16 ? "" : " pad");
	err = account(w, __kvm_device_attr_set(w->f->vm->fd, KVM_ARM_VM_SMCCC_CTRL,
					       KVM_ARM_VM_SMCCC_FILTER, &filter),
		      ERRS(EINVAL, EEXIST, EBUSY, ENOMEM));
	if (bad)
		CHECK(w, err == EINVAL || err == EIO, "errno %d, want EINVAL", err);
}

static void op_memslot(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	u64 npages = 1 + r[3] % 256, size = r[3] % 16 ? npages * page_size : 0;
	u64 gpa = pick_base(f, r[1], r[2], page_size, npages * page_size);
	struct kvm_userspace_memory_region mr = {
		.slot = 1 + r[0] % NR_FUZZ_SLOTS,
		.flags = r[4] % 8 ? 0 : KVM_MEM_READONLY,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (u64)f->mem +
			(r[4] >> 8) % (FUZZ_MEM_SIZE / page_size - npages) * page_size,
	};
	int err;

	if (r[4] % 32 == 1)
		mr.memory_size += 8;
	set_args(w, "slot %u gpa 0x%llx size 0x%llx flags 0x%x", mr.slot,
		 mr.guest_phys_addr, mr.memory_size, mr.flags);
	err = account(w, __vm_ioctl(f->vm, KVM_SET_USER_MEMORY_REGION, &mr),
		      ERRS(EINVAL, EEXIST, EFAULT, ENOMEM));
	if (mr.memory_size && gpa >= 1ull << f->ipa)
		CHECK(w, err == EFAULT || err == EINVAL || err == EIO,
		      "a memslot beyond the IPA: errno %d, want EFAULT", err);
}

/* A runner's KVM_RUN: a ucall, the stub's signal or a forwarded PSCI call. */
static void check_exit(struct worker *w, struct kvm_vcpu *lib, struct kvm_run *run, int fd)
{
	struct ucall uc;
	u64 x0 = (u64)PSCI_RET_DENIED;
	struct kvm_one_reg reg = { .id = ARM64_CORE_REG(regs.regs[0]), .addr = (u64)&x0 };

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (run->mmio.phys_addr == SIGNAL_GPA)
			return;
		if (lib) {
			switch (get_ucall(lib, &uc)) {
			case UCALL_SYNC:
				return;
			case UCALL_ABORT:
				ksft_print_msg("seed %lu iteration %u thread %u op #%u: %s\n",
					       seed, w->f->iter, w->tid, w->opno, "guest assert");
				REPORT_GUEST_ASSERT(uc);
				return;
			default:
				break;
			}
		}
		FAIL(w, "MMIO exit at 0x%llx", run->mmio.phys_addr);
		return;
	case KVM_EXIT_HYPERCALL:
		/* the SMCCC filter forwarded it: refuse it */
		if (ioctl(fd, KVM_SET_ONE_REG, &reg))
			CHECK(w, errno == EIO, "setting x0: errno %d", errno);
		return;
	default:
		FAIL(w, "exit %s", exit_reason_str(run->exit_reason));
	}
}

static void op_run(struct worker *w, u64 *r)
{
	struct fvm *f = w->f;
	int id = owned_id(w, r[0]), ret, err;
	struct kvm_run *run;
	struct vslot *s;

	if (id < 0)
		return;
	s = &f->slot[id];
	if (!s->lib && !s->run) {
		s->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
		TEST_ASSERT(s->run != MAP_FAILED, "mmap of kvm_run");
	}
	run = s->lib ? s->lib->run : s->run;
	set_args(w, "id %d%s parked %d inited %d", id, s->lib ? " (runner)" : "",
		 s->parked, s->inited || s->lib);
	__atomic_add_fetch(&f->running, 1, __ATOMIC_SEQ_CST);
	ret = ioctl(s->fd, KVM_RUN, NULL);
	err = account(w, ret, ERRS(EINTR, ENOEXEC, ENODEV, ENXIO, EINVAL, EEXIST,
				   EBUSY, ENOMEM, E2BIG));
	if (err && err != EINTR && err != ENOEXEC && err != ENODEV && err != EEXIST)
		__atomic_store_n(&f->dead, 1, __ATOMIC_SEQ_CST);	/* vgic or MPIDRs */
	__atomic_sub_fetch(&f->running, 1, __ATOMIC_SEQ_CST);
	/*
	 * A parked vCPU is refused before anything else (and its refused
	 * KVM_RUN is not the VM's first run); a dead VM answers EIO first.
	 */
	if (s->parked)
		CHECK(w, err == ENODEV || err == EIO, "a parked vCPU: errno %d, not ENODEV",
		      err);
	else if (!s->lib && !s->inited)
		CHECK(w, err == ENOEXEC || err == EIO, "an uninitialised vCPU ran");
	if (!err)
		check_exit(w, s->lib, run, s->fd);
}

static void do_op(struct worker *w, enum op which, u64 *r)
{
	switch (which) {
	case OP_CREATE_VCPU:	return op_create_vcpu(w, r);
	case OP_VCPU_INIT:	return op_vcpu_init(w, r);
	case OP_CREATE_GIC:	return op_create_gic(w, r);
	case OP_GIC_DIST:	return op_gic_dist(w, r);
	case OP_GIC_GET_DIST:	return op_gic_get_dist(w, r);
	case OP_GIC_REDIST:	return op_gic_redist(w, r);
	case OP_GIC_REGION:	return op_gic_region(w, r);
	case OP_GIC_NR_IRQS:	return op_gic_nr_irqs(w, r);
	case OP_GIC_INIT:	return op_gic_init(w, r);
	case OP_RDIST_REG:	return op_rdist_reg(w, r);
	case OP_CREATE_ITS:	return op_create_its(w, r);
	case OP_ITS_BASE:	return op_its_base(w, r);
	case OP_ITS_INIT:	return op_its_init(w, r);
	case OP_SET_MPIDRS:	return op_set_mpidrs(w, r);
	case OP_PARK:		return op_park(w, r, KVM_ARM_VCPU_PARK);
	case OP_UNPARK:		return op_park(w, r, KVM_ARM_VCPU_UNPARK);
	case OP_PARKED:		return op_park(w, r, KVM_ARM_VCPU_PARKED);
	case OP_CHECK_EXT:	return op_check_ext(w, r);
	case OP_SMCCC_FILTER:	return op_smccc_filter(w, r);
	case OP_MEMSLOT:	return op_memslot(w, r);
	case OP_RUN:		return op_run(w, r);
	default:
		TEST_FAIL("op %d", which);
	}
}

static enum op pick_op(u64 r)
{
	unsigned int total = 0, i;

	for (i = 0; i < NR_OPS; i++)
		total += op_weight[i];
	r %= total;
	for (i = 0; i < NR_OPS; i++) {
		if (r < op_weight[i])
			return i;
		r -= op_weight[i];
	}
	return OP_CHECK_EXT;
}

/*
 * The fuzzer's threads and their thread pointers: a crash (SIGSEGV,
 * SIGBUS...) reports the thread's TPIDR_EL0 if it is not the one the
 * thread started with, and where in the replay and the program it was.
 */
static struct known_thread {
	pid_t tid;
	u64 tp;
	struct worker *w;
} known[MAX_THREADS + 2];

static void known_thread(unsigned int slot, struct worker *w)
{
	known[slot].tp = read_sysreg(tpidr_el0);
	known[slot].w = w;
	WRITE_ONCE(known[slot].tid, syscall(SYS_gettid));
}

/* The thread's TLS pointer is its own after @what, not another's or the guest's */
static void check_own_tp(struct worker *w, const char *what)
{
	u64 tp = known[w->tid].tp, now = read_sysreg(tpidr_el0);

	if (now != tp) {
		write_sysreg(tp, tpidr_el0);
		FAIL(w, "TPIDR_EL0 0x%lx after %s, was 0x%lx", now, what, tp);
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	u64 r[5];
	unsigned int j;

	known_thread(w->tid, w);
	for (w->opno = 0; w->opno < nr_ops; w->opno++) {
		w->op = pick_op(rnd(&w->rng));
		for (j = 0; j < ARRAY_SIZE(r); j++)
			r[j] = rnd(&w->rng);
		w->args[0] = 0;
		/* Set up for a quarter of the operations before any run */
		if (w->op == OP_RUN && w->opno < nr_ops / 4)
			continue;
		do_op(w, w->op, r);
		check_own_tp(w, "the operation");
	}
	return NULL;
}

static void no_op(int sig)
{
}

static void crash_report(int sig, siginfo_t *si, void *uc_)
{
	u64 tp = read_sysreg(tpidr_el0);
	pid_t me = syscall(SYS_gettid);
	struct known_thread *k = NULL;
	ucontext_t *uc = uc_;
	struct worker *w;
	unsigned int i;

	/* Mend the thread pointer first: printf and errno go through it */
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (READ_ONCE(known[i].tid) == me)
			k = &known[i];
	if (k && k->tp != tp)
		write_sysreg(k->tp, tpidr_el0);
	printf("# signal %d at pc 0x%llx lr 0x%llx, address %p; seed %lu\n", sig,
	       uc->uc_mcontext.pc, uc->uc_mcontext.regs[30], si->si_addr, seed);
	if (k && k->tp != tp)
		printf("# TPIDR_EL0 of thread %d was 0x%lx, not 0x%lx\n", me, tp, k->tp);
	w = k ? k->w : NULL;
	if (w && w->f)
		printf("# iteration %u thread %u op #%u %s(%s)\n", w->f->iter, w->tid,
		       w->opno, op_name[w->op], w->args);
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct kicker {
	pthread_t th;
	struct worker *w;
};

/* Signal every worker now and then: no KVM_RUN blocks for long. */
static void *kicker_fn(void *arg)
{
	struct kicker *k = arg;
	unsigned int i;

	known_thread(MAX_THREADS + 1, NULL);
	while (!READ_ONCE(kick_stop)) {
		usleep(KICK_US);
		for (i = 0; i < nr_threads; i++)
			pthread_kill(k->w[i].th, SIGUSR1);
	}
	return NULL;
}

/* KVM_CREATE_VM of invalid types must fail with EINVAL. */
static void try_bad_types(struct worker *w, u64 r)
{
	u64 types[] = {
		31, ipa_limit + 1, 53, 1 + r % 31, (r >> 8) | 0x100, 32 | 1ull << (8 + r % 56),
	};
	unsigned int i = r % ARRAY_SIZE(types);
	int fd;

	w->op = OP_CREATE_VM_BAD;
	set_args(w, "type 0x%lx", types[i]);
	fd = ioctl(kvm_fd, KVM_CREATE_VM, types[i]);
	if (fd >= 0)
		close(fd);
	CHECK(w, fd < 0 && errno == EINVAL, "ret %d errno %d, want EINVAL", fd, errno);
	account(w, fd, ERRS(EINVAL));
}

static void free_dead_vm(struct kvm_vm *vm)
{
	struct userspace_mem_region *region;
	struct kvm_vcpu *vcpu, *tmp;
	struct hlist_node *node;
	int ctr;

	/*
	 * kvm_vm_free() deletes memslots, which a dead VM refuses: release
	 * the fds and the memory, and leak the library's bookkeeping.
	 */
	list_for_each_entry_safe(vcpu, tmp, &vm->vcpus, list) {
		munmap(vcpu->run, run_size);
		close(vcpu->fd);
	}
	hash_for_each_safe(vm->regions.slot_hash, ctr, node, region, slot_node)
		munmap(region->mmap_start, region->mmap_size);
	if (vm->stats_fd)
		close(vm->stats_fd);
	close(vm->fd);
	close(vm->kvm_fd);
}

/* A tiny VM whose vCPU runs to GUEST_DONE. */
static void health_check(struct worker *w)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	w->op = OP_HEALTH;
	vm = vm_create_with_one_vcpu(&vcpu, guest_done);
	vcpu_run(vcpu);
	check_own_tp(w, "KVM_RUN");
	CHECK(w, get_ucall(vcpu, &uc) == UCALL_DONE, "the host is not healthy: exit %s",
	      exit_reason_str(vcpu->run->exit_reason));
	kvm_vm_free(vm);
	w->st.ok[OP_HEALTH]++;
}

static void iteration(unsigned int iter, struct worker *workers, struct worker *mw)
{
	u64 rng = rng_seed(iter, MAX_THREADS), x;
	struct vm_shape shape;
	struct kicker k = { .w = workers };
	struct fvm f = { .iter = iter, .gic_fd = -1, .dist_base = UNDEF_ADDR };
	unsigned int i;
	bool dead;
	int err;

	mw->f = &f;
	mw->tid = MAX_THREADS;
	mw->opno = 0;
	x = rnd(&rng);
	if (x % 3 == 0)
		try_bad_types(mw, rnd(&rng));

	x = rnd(&rng);
	f.ipa = (x % 8 == 0 && ipa_limit >= 40) ? 0 : 32 + (x >> 8) % (ipa_limit - 31);
	shape = VM_SHAPE(aarch64_mode_for_ipa(f.ipa ? f.ipa : 40));
	shape.type = f.ipa;
	if (!f.ipa)
		f.ipa = 40;
	x = rnd(&rng);
	f.nr_ids = 2 + x % (max_ids - 1);
	f.nr_runners = 1 + (x >> 16) % min(f.nr_ids, MAX_RUNNERS);
	f.slot = calloc(f.nr_ids, sizeof(*f.slot));
	TEST_ASSERT(f.slot, "calloc");
	for (i = 0; i < f.nr_ids; i++)
		f.slot[i].fd = -1;
	for (i = 0; i < MAX_ITS; i++)
		f.its_fd[i] = -1;

	f.vm = __vm_create(shape, f.nr_runners, 0);
	vm_ioctl(f.vm, KVM_ARM_PREFERRED_TARGET, &f.init);
	f.init.features[0] |= 1 << KVM_ARM_VCPU_PSCI_0_2;
	for (i = 0; i < f.nr_runners; i++) {
		f.slot[i].lib = aarch64_vcpu_add(f.vm, i, &f.init, guest_code);
		f.slot[i].fd = f.slot[i].lib->fd;
	}
	stub_gpa_g = vm_phy_page_alloc(f.vm, 0, 0);
	memcpy(addr_gpa2hva(f.vm, stub_gpa_g), stub_code, sizeof(stub_code));
	guest_seed_g = rnd(&rng) | 1;
	nr_ids_g = f.nr_ids;
	has_gic_g = 0;
	sync_global_to_guest(f.vm, stub_gpa_g);
	sync_global_to_guest(f.vm, guest_seed_g);
	sync_global_to_guest(f.vm, nr_ids_g);
	sync_global_to_guest(f.vm, has_gic_g);
	f.has_gic_hva = addr_gva2hva(f.vm, (vm_vaddr_t)&has_gic_g);

	/* Half of the VMs get a GIC that can work, not initialised yet */
	x = rnd(&rng);
	if (x % 2 == 0) {
		u64 attr = GICD_BASE_GPA;

		f.gic_fd = kvm_create_device(f.vm, KVM_DEV_TYPE_ARM_VGIC_V3);
		kvm_device_attr_set(f.gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_V3_ADDR_TYPE_DIST, &attr);
		attr = vgic_rdist_region_attr(GICR_BASE_GPA, f.nr_ids, 0);
		kvm_device_attr_set(f.gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &attr);
		f.dist_base = GICD_BASE_GPA;
		f.regions = 1;
		*f.has_gic_hva = 1;
	}
	f.mem = mmap(NULL, FUZZ_MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(f.mem != MAP_FAILED, "mmap");

	for (i = 0; i < nr_threads; i++) {
		workers[i].f = &f;
		workers[i].tid = i;
		workers[i].rng = rng_seed(iter, i);
	}
	WRITE_ONCE(kick_stop, 0);
	for (i = 0; i < nr_threads; i++) {
		err = pthread_create(&workers[i].th, NULL, worker_fn, &workers[i]);
		TEST_ASSERT(!err, "VM %u: worker %u: pthread_create: %s", iter, i,
			    strerror(err));
	}
	err = pthread_create(&k.th, NULL, kicker_fn, &k);
	TEST_ASSERT(!err, "VM %u: kicker: pthread_create: %s", iter, strerror(err));
	for (i = 0; i < nr_threads; i++)
		pthread_join(workers[i].th, NULL);
	WRITE_ONCE(kick_stop, 1);
	pthread_join(k.th, NULL);

	dead = f.dead || (__vm_ioctl(f.vm, KVM_CHECK_EXTENSION,
				     (void *)KVM_CAP_USER_MEMORY) < 0 && errno == EIO);
	for (i = 0; i < f.nr_ids; i++) {
		if (f.slot[i].lib || f.slot[i].fd < 0)
			continue;
		if (f.slot[i].run)
			munmap(f.slot[i].run, run_size);
		close(f.slot[i].fd);
	}
	for (i = 0; i < MAX_ITS; i++)
		if (f.its_fd[i] >= 0)
			close(f.its_fd[i]);
	if (f.gic_fd >= 0)
		close(f.gic_fd);
	if (dead)
		free_dead_vm(f.vm);
	else
		kvm_vm_free(f.vm);
	munmap(f.mem, FUZZ_MEM_SIZE);
	free(f.slot);
}

static void print_stats(struct stats *st)
{
	u64 total = 0, errs;
	char line[512];
	int op, e, n;

	ksft_print_msg("%-14s %8s  errors\n", "operation", "ok");
	for (op = 0; op < NR_OPS; op++) {
		n = 0;
		errs = 0;
		line[0] = 0;
		for (e = 0; e < NR_ERRNO; e++) {
			if (!st->err[op][e])
				continue;
			errs += st->err[op][e];
			n += snprintf(line + n, sizeof(line) - n, " %s:%lu",
				      strerrorname_np(e) ?: "?", st->err[op][e]);
			if (n >= (int)sizeof(line))
				break;
		}
		total += st->ok[op] + errs;
		if (st->ok[op] || errs)
			ksft_print_msg("%-14s %8lu %s\n", op_name[op], st->ok[op], line);
	}
	ksft_print_msg("ioctls: %lu\n", total);
}

/* Usage on stdout; -h exits 0, a usage error KSFT_FAIL. */
static void help(const char *name, int status)
{
	printf("usage: %s [-s seed] [-i iterations] [-t threads] [-o ops] [-d secs] [-n ids]\n"
	       "  -s: seed (default: from the clock); -t 1 replays exactly\n"
	       "  -i: VMs to create (default 150)\n"
	       "  -t: threads per VM (default 4, at most %d)\n"
	       "  -o: operations per thread per VM (default 200)\n"
	       "  -d: start no iteration after this many seconds (default 0: no cap)\n"
	       "  -n: vCPU ids used, 2..%d (default 64)\n", name, MAX_THREADS, MAX_IDS);
	exit(status);
}

int main(int argc, char *argv[])
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction crash = {
		.sa_sigaction = crash_report, .sa_flags = SA_SIGINFO | SA_NODEFER,
	};
	unsigned int iters = 150, secs = 0, iter, i, op, e;
	struct worker *workers, mw = { .tid = MAX_THREADS };
	struct stats *sum;
	u64 t0, elapsed;
	int opt;

	seed = now_ns();
	while ((opt = getopt(argc, argv, "hs:i:t:o:d:n:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'i':
			iters = atoi_positive("Iterations", optarg);
			break;
		case 't':
			nr_threads = atoi_positive("Threads", optarg);
			break;
		case 'o':
			nr_ops = atoi_positive("Operations", optarg);
			break;
		case 'd':
			secs = atoi_non_negative("Seconds", optarg);
			break;
		case 'n':
			max_ids = atoi_positive("vCPU ids", optarg);
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], KSFT_FAIL);
		}
	}
	TEST_ASSERT(nr_threads <= MAX_THREADS, "-t: at most %d", MAX_THREADS);
	TEST_ASSERT(max_ids >= 2 && max_ids <= MAX_IDS, "-n: 2 .. %d", MAX_IDS);
	printf("seed: %lu (replay with -s %lu)\n", seed, seed);
	fflush(stdout);

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_MPIDR_USER));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_VCPU_PARK));
	kvm_fd = open_kvm_dev_path_or_exit();
	ipa_limit = kvm_check_cap(KVM_CAP_ARM_VM_IPA_SIZE);
	TEST_REQUIRE(ipa_limit >= 32);
	mpidr_cap = kvm_check_cap(KVM_CAP_ARM_MPIDR_USER);
	max_vcpus_cap = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	max_vcpu_id_cap = kvm_check_cap(KVM_CAP_MAX_VCPU_ID);
	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_VM_IPA_BITS), ipa_limit);
	__TEST_REQUIRE(max_ids <= max_vcpu_id_cap, "-n %u: the kernel allows %u",
		       max_ids, max_vcpu_id_cap);
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	page_size = getpagesize();
	vgic_scale_raise_nofile(max_ids + 16);
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = no_op }, NULL);
	for (i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &crash, NULL);
	known_thread(MAX_THREADS, &mw);

	ksft_print_header();
	ksft_set_plan(1);
	ksft_print_msg("IPA limit %u, MPIDR_USER %u, MAX_VCPUS %u, MAX_VCPU_ID %u; "
		       "%u iterations, %u threads x %u ops, ids < %u\n",
		       ipa_limit, mpidr_cap, max_vcpus_cap, max_vcpu_id_cap,
		       iters, nr_threads, nr_ops, max_ids);
	workers = calloc(nr_threads, sizeof(*workers));
	TEST_ASSERT(workers, "calloc");

	t0 = now_ns();
	for (iter = 0; iter < iters; iter++) {
		if (secs && now_ns() - t0 >= secs * 1000000000ull)
			break;
		iteration(iter, workers, &mw);
		if ((iter + 1) % HEALTH_EVERY == 0)
			health_check(&mw);
	}
	health_check(&mw);
	elapsed = now_ns() - t0;

	sum = &mw.st;
	for (i = 0; i < nr_threads; i++) {
		for (op = 0; op < NR_OPS; op++) {
			sum->ok[op] += workers[i].st.ok[op];
			for (e = 0; e < NR_ERRNO; e++)
				sum->err[op][e] += workers[i].st.err[op][e];
		}
	}
	print_stats(sum);
	ksft_print_msg("iterations: %u, elapsed %lu.%03lu s, seed %lu\n", iter,
		       elapsed / 1000000000, elapsed / 1000000 % 1000, seed);
	free(workers);
	close(kvm_fd);
	ksft_test_result_pass("%u VMs fuzzed, every errno allowed, invariants held\n", iter);
	ksft_finished();
}
