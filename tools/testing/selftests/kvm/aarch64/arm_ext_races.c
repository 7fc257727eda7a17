// SPDX-License-Identifier: GPL-2.0
/*
 * arm_ext_races - concurrent callers of the redistributor-region and vCPU
 * paths, and VM destruction under running vCPUs.
 *
 * create: per iteration, a GICv3 VM where -t threads create and initialise
 *   -n vCPUs (ids handed out from a shared counter) while another thread
 *   registers redistributor regions of random sizes (apart from each other,
 *   together holding about -n redistributors, sometimes fewer) and, part
 *   way through, initialises the vgic.  Each call succeeds or fails with
 *   its documented errno (KVM_CREATE_VCPU -EBUSY once the vgic is
 *   initialised, VGIC_CTRL_INIT -EBUSY while a vCPU is in an ioctl).  Then
 *   every created vCPU's GICR_TYPER is read from userspace: exactly
 *   min(vCPUs, capacity) vCPUs have a redistributor, their processor
 *   numbers are distinct, and GICR_TYPER.Last is set once per region that
 *   holds a vCPU (no slot given twice, none lost).
 * dup: per iteration (at most 8), a GICv3 VM whose redistributors (the legacy single
 *   region, or 2 to 4 regions apart from each other, in turn) are exactly
 *   n = max(-n, 256) and registered before the vCPUs exist.  One thread
 *   creates and initialises vCPUs 1 to n-1 in order while max(-t, 8) other
 *   threads keep calling KVM_CREATE_VCPU with ids in use, which must fail
 *   with EEXIST and change nothing.  Then vCPU 0's guest reads GICR_TYPER of every
 *   frame: no access may exit to userspace, frame i must hold vCPU i
 *   (processor number i, its default MPIDR's affinity), Last is set on the
 *   last frame of each region only, and userspace's GICR_TYPER of each
 *   vCPU is the one the guest read at its frame.
 * destroy: per iteration, a child process runs -n vCPUs (guests spinning
 *   and exiting to userspace in turn, one vCPU parked) in threads and is
 *   torn down at a random moment: by its own exit_group() or by SIGKILL
 *   from this process; it must not hang, and KVM must create and run a
 *   new VM afterwards.
 * Park/unpark against PSCI CPU_ON and SGIs races in vcpu_hotplug -r.
 * Prints the iterations, calls and outcomes.  Meant for a host with 4 or
 * more CPUs, where the threads really run at once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm_arm_ext.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"

#define NR_IRQS		64
#define MAX_THREADS	16
#define MAX_N		512
#define REGION_GPA	(4ULL * SZ_1G)
/*
 * The dup race: at least this many vCPUs and threads creating ids in use.
 * A duplicate's window is short; with fewer, a kernel that lets a refused
 * creation take a frame passed 10 iterations in the nested host, with
 * these it failed at the first.
 */
#define DUP_MIN_VCPUS	256
#define DUP_CALLERS	8
/* at most this many dup iterations: each builds a 256-vCPU VM */
#define DUP_MAX_ITER	8

static unsigned int nr_iter = 20, nr_threads = 3, nr_vcpus = 64;
static unsigned int seed;

struct create_race {
	struct kvm_vm *vm;
	int gic_fd;
	pthread_barrier_t start;
	atomic_uint next_id;
	int fd[MAX_N];
	struct kvm_vcpu_init init;
	/* the registrar's plan and outcome */
	unsigned int nr_regions, init_after, capacity, registered;
	u32 count[VGIC_RDIST_MAX_REGIONS];
	u64 base[VGIC_RDIST_MAX_REGIONS];
	/* outcomes */
	atomic_uint created, create_ebusy, init_ebusy, init_ok;
};

static struct {
	unsigned long calls, created, create_ebusy, init_ebusy, regions, enxio;
	unsigned long dup_refused, dup_frames;
	unsigned long destroyed_exit, destroyed_kill, runs;
} total;

static void *creator(void *arg)
{
	struct create_race *r = arg;
	unsigned int id;

	pthread_barrier_wait(&r->start);
	while ((id = atomic_fetch_add(&r->next_id, 1)) < nr_vcpus) {
		int fd = __vm_ioctl(r->vm, KVM_CREATE_VCPU, (void *)(unsigned long)id);

		if (fd < 0) {
			TEST_ASSERT(errno == EBUSY, "KVM_CREATE_VCPU %u: %s (want EBUSY)", id,
				    strerror(errno));
			atomic_fetch_add(&r->create_ebusy, 1);
			r->fd[id] = -1;
			continue;
		}
		TEST_ASSERT(!ioctl(fd, KVM_ARM_VCPU_INIT, &r->init),
			    "KVM_ARM_VCPU_INIT %u: %s", id, strerror(errno));
		r->fd[id] = fd;
		atomic_fetch_add(&r->created, 1);
	}
	return NULL;
}

static void vgic_init_retrying(struct create_race *r)
{
	while (__kvm_device_attr_set(r->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				     KVM_DEV_ARM_VGIC_CTRL_INIT, NULL)) {
		TEST_ASSERT(errno == EBUSY, "VGIC_CTRL_INIT: %s (want EBUSY)", strerror(errno));
		atomic_fetch_add(&r->init_ebusy, 1);
		sched_yield();
	}
	atomic_fetch_add(&r->init_ok, 1);
}

static void *registrar(void *arg)
{
	struct create_race *r = arg;
	unsigned int i;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < r->nr_regions; i++) {
		u64 attr = vgic_rdist_region_attr(r->base[i], r->count[i], i);

		if (i == r->init_after)
			vgic_init_retrying(r);
		kvm_device_attr_set(r->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &attr);
		r->capacity += r->count[i];
		r->registered++;
	}
	if (r->init_after >= r->nr_regions)
		vgic_init_retrying(r);
	return NULL;
}

/* GICR_TYPER of the vCPU with @id's default MPIDR, read from userspace. */
static u64 typer_of(int gic_fd, unsigned int id)
{
	u64 mpidr = (id & 0xf) | ((id >> 4) & 0xff) << 8 | (u64)((id >> 12) & 0xff) << 16;
	u64 attr = mpidr << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
	u32 lo, hi;

	kvm_device_attr_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			    attr | GICR_TYPER, &lo);
	kvm_device_attr_get(gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
			    attr | (GICR_TYPER + 4), &hi);
	return (u64)hi << 32 | lo;
}

static void create_race_once(unsigned int iter)
{
	static struct create_race r;
	pthread_t th[MAX_THREADS + 1];
	unsigned int i, want, lasts = 0, regions_used;
	static bool seen[MAX_N];
	u64 attr = NR_IRQS, gpa = REGION_GPA;

	memset(&r, 0, sizeof(r));
	memset(seen, 0, sizeof(seen));
	r.vm = vm_create_barebones();
	r.gic_fd = kvm_create_device(r.vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	kvm_device_attr_set(r.gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &attr);
	attr = GICD_BASE_GPA;
	kvm_device_attr_set(r.gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
			    &attr);
	vm_ioctl(r.vm, KVM_ARM_PREFERRED_TARGET, &r.init);
	r.init.features[0] |= BIT(KVM_ARM_VCPU_PSCI_0_2);

	/* about nr_vcpus redistributors, one iteration in four fewer */
	want = iter % 4 == 3 ? nr_vcpus * 3 / 4 : nr_vcpus;
	while (r.capacity < want && r.nr_regions < VGIC_RDIST_MAX_REGIONS) {
		u32 c = 1 + random() % (nr_vcpus / 4 + 1);

		c = min(c, want - r.capacity);
		if (r.nr_regions == VGIC_RDIST_MAX_REGIONS - 1)
			c = want - r.capacity;
		r.count[r.nr_regions] = c;
		r.base[r.nr_regions] = gpa;
		/* a 64 KiB gap: Last is per region */
		gpa += (u64)c * KVM_VGIC_V3_REDIST_SIZE + SZ_64K;
		r.capacity += c;
		r.nr_regions++;
	}
	r.capacity = 0;
	r.init_after = random() % (r.nr_regions + 1);
	TEST_ASSERT(!pthread_barrier_init(&r.start, NULL, nr_threads + 1), "barrier");

	for (i = 0; i < nr_threads; i++)
		pthread_create(&th[i], NULL, creator, &r);
	pthread_create(&th[nr_threads], NULL, registrar, &r);
	for (i = 0; i <= nr_threads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&r.start);

	for (i = 0; i < nr_vcpus; i++) {
		unsigned int proc;
		u64 typer;

		if (r.fd[i] < 0)
			continue;
		typer = typer_of(r.gic_fd, i);
		proc = (typer >> 8) & 0xffff;
		TEST_ASSERT(proc < nr_vcpus && !seen[proc],
			    "iteration %u: vCPU %u has processor number %u, seen before or out of range",
			    iter, i, proc);
		seen[proc] = true;
		lasts += !!(typer & GICR_TYPER_LAST);
	}
	/*
	 * vCPUs take the first free slot in region order and a late region
	 * takes the vCPUs left without one, so the slots in use are the first
	 * min(vCPUs, capacity) ones, and Last marks the last one in use of
	 * each region holding any (the regions are apart).
	 */
	regions_used = 0;
	want = min_t(unsigned int, r.created, r.capacity);
	for (i = 0; i < r.nr_regions && want; i++) {
		regions_used++;
		want -= min(want, r.count[i]);
	}
	TEST_ASSERT(lasts == regions_used,
		    "iteration %u: %u vCPUs, %u redistributors: GICR_TYPER.Last on %u vCPUs, %u regions in use",
		    iter, r.created, r.capacity, lasts, regions_used);
	/* more vCPUs than redistributors: the first KVM_RUN says so */
	if (r.created > r.capacity) {
		for (i = 0; r.fd[i] < 0; i++)
			;
		TEST_ASSERT(ioctl(r.fd[i], KVM_RUN, NULL) && errno == ENXIO,
			    "iteration %u: KVM_RUN with %u vCPUs, %u redistributors: %s",
			    iter, r.created, r.capacity, strerror(errno));
		total.enxio++;
	}

	/* creates, inits, regions, vgic inits, GICR_TYPER reads */
	total.calls += nr_vcpus + r.created + r.nr_regions + r.init_ebusy + 1 +
		       2 * r.created + (r.created > r.capacity);
	total.created += r.created;
	total.create_ebusy += r.create_ebusy;
	total.init_ebusy += r.init_ebusy;
	total.regions += r.nr_regions;
	for (i = 0; i < nr_vcpus; i++)
		if (r.fd[i] >= 0)
			close(r.fd[i]);
	close(r.gic_fd);
	kvm_vm_free(r.vm);
}

/* dup */

static u64 dup_frame[MAX_N];	/* guest address of each frame (identity-mapped) */
static u64 dup_typer[MAX_N];	/* what the guest read there */
static u32 dup_nr;
static unsigned int dup_vcpus, dup_callers;

static void guest_read_frames(void)
{
	u32 i;

	for (i = 0; i < dup_nr; i++)
		dup_typer[i] = readq_relaxed((void *)dup_frame[i] + GICR_TYPER);
	GUEST_DONE();
}

struct dup_race {
	struct kvm_vm *vm;
	pthread_barrier_t start;
	atomic_uint next_id;	/* ids below it exist */
	atomic_bool done;
	int fd[MAX_N];
	struct kvm_vcpu_init init;
	atomic_ulong refused;
};

static void *dup_creator(void *arg)
{
	struct dup_race *r = arg;
	unsigned int id;

	pthread_barrier_wait(&r->start);
	for (id = 1; id < dup_vcpus; id++) {
		int fd = __vm_ioctl(r->vm, KVM_CREATE_VCPU, (void *)(unsigned long)id);

		TEST_ASSERT(fd >= 0, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		TEST_ASSERT(!ioctl(fd, KVM_ARM_VCPU_INIT, &r->init),
			    "KVM_ARM_VCPU_INIT %u: %s", id, strerror(errno));
		r->fd[id] = fd;
		atomic_store(&r->next_id, id + 1);
	}
	atomic_store(&r->done, true);
	return NULL;
}

static void *dup_caller(void *arg)
{
	struct dup_race *r = arg;
	unsigned long n = 0;

	pthread_barrier_wait(&r->start);
	while (!atomic_load(&r->done)) {
		unsigned int id = random() % atomic_load(&r->next_id);
		int fd = __vm_ioctl(r->vm, KVM_CREATE_VCPU, (void *)(unsigned long)id);

		TEST_ASSERT(fd < 0 && errno == EEXIST,
			    "KVM_CREATE_VCPU %u (in use): %d, %s (want EEXIST)", id, fd,
			    strerror(errno));
		n++;
	}
	atomic_fetch_add(&r->refused, n);
	return NULL;
}

static void dup_race_once(unsigned int iter)
{
	static struct dup_race r;
	unsigned int i, j, nr_regions = iter % 2 ? 2 + random() % 3 : 0;
	u32 count[VGIC_RDIST_MAX_REGIONS];
	u64 base[VGIC_RDIST_MAX_REGIONS], attr = NR_IRQS, gpa = REGION_GPA;
	pthread_t th[DUP_CALLERS + MAX_THREADS + 1];
	struct kvm_vcpu *vcpu0;
	bool last[MAX_N] = {};
	struct ucall uc;
	int gic_fd;

	memset(&r, 0, sizeof(r));
	r.vm = __vm_create_with_one_vcpu(&vcpu0, 1024, guest_read_frames);
	gic_fd = kvm_create_device(r.vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &attr);
	attr = GICD_BASE_GPA;
	kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
			    &attr);
	/* vCPU 0's features (the library's default), the others powered off */
	vm_ioctl(r.vm, KVM_ARM_PREFERRED_TARGET, &r.init);
	r.init.features[0] = BIT(KVM_ARM_VCPU_POWER_OFF);

	/* the legacy region, or regions apart (Last is per region) holding nr_vcpus */
	if (!nr_regions) {
		count[0] = dup_vcpus;
		base[0] = gpa;
		kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_V3_ADDR_TYPE_REDIST, &gpa);
	} else {
		unsigned int left = dup_vcpus;

		for (i = 0; i < nr_regions; i++) {
			count[i] = i == nr_regions - 1 ? left :
				   1 + random() % (left - (nr_regions - 1 - i));
			left -= count[i];
			base[i] = gpa;
			attr = vgic_rdist_region_attr(base[i], count[i], i);
			kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
					    KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, &attr);
			gpa += (u64)count[i] * KVM_VGIC_V3_REDIST_SIZE + SZ_64K;
		}
	}
	dup_nr = 0;
	for (i = 0; i < max(nr_regions, 1u); i++) {
		virt_map(r.vm, base[i], base[i],
			 vm_calc_num_guest_pages(r.vm->mode,
						 (u64)count[i] * KVM_VGIC_V3_REDIST_SIZE));
		for (j = 0; j < count[i]; j++)
			dup_frame[dup_nr++] = base[i] + (u64)j * KVM_VGIC_V3_REDIST_SIZE;
		last[dup_nr - 1] = true;
	}
	sync_global_to_guest(r.vm, dup_frame);
	sync_global_to_guest(r.vm, dup_nr);

	atomic_store(&r.next_id, 1);
	TEST_ASSERT(!pthread_barrier_init(&r.start, NULL, dup_callers + 1), "barrier");
	pthread_create(&th[0], NULL, dup_creator, &r);
	for (i = 1; i <= dup_callers; i++)
		pthread_create(&th[i], NULL, dup_caller, &r);
	for (i = 0; i <= dup_callers; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&r.start);

	kvm_device_attr_set(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	vcpu_run(vcpu0);
	if (get_ucall(vcpu0, &uc) != UCALL_DONE) {
		TEST_ASSERT(vcpu0->run->exit_reason != KVM_EXIT_MMIO,
			    "iteration %u (%s): guest read at %#llx exited to userspace, %lu duplicates refused",
			    iter, nr_regions ? "regions" : "legacy", vcpu0->run->mmio.phys_addr,
			    atomic_load(&r.refused));
		TEST_FAIL("iteration %u: guest stopped: %s", iter,
			  exit_reason_str(vcpu0->run->exit_reason));
	}
	sync_global_from_guest(r.vm, dup_typer);

	for (i = 0; i < dup_vcpus; i++) {
		u64 t = dup_typer[i], mpidr = (i & 0xf) | ((i >> 4) & 0xff) << 8;

		TEST_ASSERT(((t >> 8) & 0xffff) == i,
			    "iteration %u (%s, %u regions): frame %u (%#lx) holds vCPU %lu, not %u; %lu duplicates refused",
			    iter, nr_regions ? "regions" : "legacy", max(nr_regions, 1u), i,
			    dup_frame[i], (t >> 8) & 0xffff, i, atomic_load(&r.refused));
		TEST_ASSERT((t >> 32) == mpidr,
			    "iteration %u: frame %u: affinity %#lx, vCPU %u's MPIDR %#lx",
			    iter, i, t >> 32, i, mpidr);
		TEST_ASSERT(!!(t & GICR_TYPER_LAST) == last[i],
			    "iteration %u: frame %u: GICR_TYPER.Last %d", iter, i,
			    !!(t & GICR_TYPER_LAST));
		TEST_ASSERT(typer_of(gic_fd, i) == t,
			    "iteration %u: vCPU %u: userspace GICR_TYPER %#lx, guest %#lx",
			    iter, i, typer_of(gic_fd, i), t);
	}

	total.dup_refused += atomic_load(&r.refused);
	total.dup_frames += dup_vcpus;
	for (i = 1; i < dup_vcpus; i++)
		close(r.fd[i]);
	close(gic_fd);
	kvm_vm_free(r.vm);
}

/* destroy */

static void guest_spin(void)
{
	for (;;) {
		unsigned int i;

		for (i = 0; i < 10000; i++)
			cpu_relax();
		GUEST_SYNC(0);
	}
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;

	for (;;)
		vcpu_run(vcpu);
	return NULL;
}

/* The child: run every vCPU but the parked one until torn down. */
static void destroy_child(unsigned int iter, int pipe_fd)
{
	struct kvm_vcpu *vcpus[MAX_N];
	pthread_t th[MAX_N];
	struct kvm_vm *vm;
	unsigned int i;
	int gic_fd;

	vm = vm_create_with_vcpus(nr_vcpus, guest_spin, vcpus);
	gic_fd = vgic_v3_setup(vm, nr_vcpus, NR_IRQS);
	TEST_ASSERT(gic_fd >= 0, "vgic setup");
	vcpu_ioctl(vcpus[nr_vcpus - 1], KVM_ARM_VCPU_PARK, NULL);
	for (i = 0; i < nr_vcpus - 1; i++)
		pthread_create(&th[i], NULL, vcpu_thread, vcpus[i]);
	/* tell the parent the vCPUs are running */
	TEST_ASSERT(write(pipe_fd, "r", 1) == 1, "pipe");
	usleep(random() % 20000);
	if (iter % 2)
		_exit(0);	/* exit_group() with vCPUs in KVM_RUN */
	pause();		/* the parent sends SIGKILL */
	_exit(1);
}

static void destroy_race_once(unsigned int iter)
{
	int pfd[2], status;
	char c;
	pid_t pid;

	TEST_ASSERT(!pipe(pfd), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		close(pfd[0]);
		srandom(seed + iter);
		destroy_child(iter, pfd[1]);
	}
	close(pfd[1]);
	TEST_ASSERT(read(pfd[0], &c, 1) == 1, "iteration %u: child failed before running", iter);
	close(pfd[0]);
	if (!(iter % 2)) {
		usleep(random() % 20000);
		kill(pid, SIGKILL);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	if (iter % 2) {
		TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
			    "iteration %u: child status %#x", iter, status);
		total.destroyed_exit++;
	} else {
		TEST_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			    "iteration %u: child status %#x", iter, status);
		total.destroyed_kill++;
	}
}

static void guest_done(void)
{
	GUEST_DONE();
}

static void host_healthy(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_done);
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);
	total.runs++;
}

/* Usage on stdout; -h exits 0, a usage error KSFT_FAIL. */
static void help(const char *name, int status)
{
	printf("usage: %s [-i iterations] [-t threads] [-n vcpus] [-s seed]\n", name);
	puts("  -i: iterations of each race (default 20)");
	puts("  -t: vCPU-creating threads in the create race (default 3), threads");
	puts("      creating ids in use in the dup race (at least 8)");
	puts("  -n: vCPUs per VM (default 64, at most 512; 4 in the destroy race)");
	puts("  -s: seed of the random sizes and delays (default: the clock)");
	exit(status);
}

int main(int argc, char *argv[])
{
	unsigned int i, n;
	int opt;

	seed = time(NULL) ^ getpid() << 16 ^ (unsigned int)clock();
	while ((opt = getopt(argc, argv, "i:t:n:s:h")) != -1) {
		switch (opt) {
		case 'i':
			nr_iter = atoi_positive("iterations", optarg);
			break;
		case 't':
			nr_threads = min_t(unsigned int, atoi_positive("threads", optarg),
					   MAX_THREADS);
			break;
		case 'n':
			nr_vcpus = min_t(unsigned int, atoi_positive("vCPUs", optarg), MAX_N);
			break;
		case 's':
			seed = atoi_non_negative("seed", optarg);
			break;
		case 'h':
			help(argv[0], 0);
			break;
		default:
			help(argv[0], KSFT_FAIL);
		}
	}
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_ARM_VCPU_PARK));
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_MAX_VCPUS) >= (int)nr_vcpus);
	nr_vcpus = max(nr_vcpus, 8u);
	vgic_scale_raise_nofile(nr_vcpus);
	srandom(seed);

	ksft_print_header();
	ksft_set_plan(3);
	ksft_print_msg("seed %u, %ld CPUs online\n", seed, sysconf(_SC_NPROCESSORS_ONLN));

	for (i = 0; i < nr_iter; i++)
		create_race_once(i);
	host_healthy();
	ksft_print_msg("create: %u iterations, %lu calls, %lu regions, %lu vCPUs created\n",
		       nr_iter, total.calls, total.regions, total.created);
	ksft_print_msg("create: EBUSY for %lu vCPUs and %lu vgic inits\n",
		       total.create_ebusy, total.init_ebusy);
	ksft_print_msg("create: %lu VMs short of redistributors refused at KVM_RUN (ENXIO)\n",
		       total.enxio);
	ksft_test_result_pass("vCPU creation against region registration and vgic init\n");

	dup_vcpus = max_t(unsigned int, nr_vcpus, DUP_MIN_VCPUS);
	dup_callers = max_t(unsigned int, nr_threads, DUP_CALLERS);
	vgic_scale_raise_nofile(dup_vcpus);
	for (i = 0; i < min_t(unsigned int, nr_iter, DUP_MAX_ITER); i++)
		dup_race_once(i);
	ksft_print_msg("dup: %u iterations of %u vCPUs, %u threads creating ids in use\n",
		       i, dup_vcpus, dup_callers);
	ksft_print_msg("dup: %lu KVM_CREATE_VCPU refused (EEXIST), %lu frames with their vCPU\n",
		       total.dup_refused, total.dup_frames);
	ksft_test_result_pass("vCPU creation against KVM_CREATE_VCPU of ids in use\n");

	n = nr_vcpus;
	nr_vcpus = 4;
	for (i = 0; i < nr_iter; i++) {
		destroy_race_once(i);
		host_healthy();
	}
	nr_vcpus = n;
	ksft_print_msg("destroy: %u iterations (%lu by exit, %lu by SIGKILL), then a VM ran\n",
		       nr_iter, total.destroyed_exit, total.destroyed_kill);
	ksft_test_result_pass("VM destruction against running vCPUs\n");
	ksft_finished();
}
