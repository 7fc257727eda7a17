// SPDX-License-Identifier: GPL-2.0
/*
 * l2vmm.c - a real VMM with a real guest on the nested host: runs Debian's
 * qemu-system-aarch64 (unmodified, from harness/vmm.sh) as a KVM VMM that
 * boots the L2 guest (the vanilla 6.12 kernel of configs/guest.config and
 * the /init of l2init.c), relays what the guest prints and checks it.
 *
 *   l2vmm -n N [-b K] [-o LIST] [-r] [-s CPU] [-m MB] [-a ARGS] [-q QEMU]
 *         [-x OPTS] [-p M] [-t S,C,K,T] [-H STEPS] [-V MSG] [-R]
 *     -n N     vCPUs (QEMU -smp N)
 *     -b K     CPUs the guest brings up at boot (its maxcpus=K; default N)
 *     -o LIST  CPUs the guest brings online through sysfs (l2.online=LIST)
 *     -r       reboot once: the guest reboots after its facts, QEMU resets
 *              every vCPU and the GIC, and the second boot must show the
 *              same facts
 *     -s CPU   save the running VM to a file with QEMU's migration
 *              (QMP "migrate" to "exec:cat > FILE"), stop that QEMU, start
 *              a new one with -incoming "exec:cat FILE"; the restored guest
 *              (not booted again) brings CPU online and keeps the others
 *     -m MB    guest memory (default 256)
 *     -a ARGS  more guest kernel arguments ('+' for a space: earlycon+loglevel=7)
 *     -q QEMU  the QEMU binary (default: Debian's); the project's QEMU
 *              (vmm/qemu) is /kvmx/qemu/qemu-system-aarch64
 *     -x OPTS  more -machine options (e.g. vcpu-park=on); OPTS that start
 *              with virt-X.Y name that version of the board first
 *     -p M     -smp maxcpus=M: with KVM's parked vCPUs (KVM_CAP_ARM_VCPU_PARK)
 *              the project's QEMU creates M vCPUs and parks those past N
 *     -t S,C,K,T  -smp sockets=S,clusters=C,cores=K,threads=T; the guest's
 *              sysfs topology of each online CPU must follow the cpu-map,
 *              and with KVM_CAP_ARM_MPIDR_USER (and QEMU's mpidr-topology
 *              not off) its MPIDR the topology's (Aff0 the thread with MT,
 *              or the core; Aff1 the core or the cluster; Aff2 the rest)
 *     -H STEPS after the boot, comma-separated: uK/pK QMP vcpu-unpark/
 *              vcpu-park of vCPU K, which must succeed; UK/PK the same,
 *              which QEMU must refuse; oK/fK the guest brings CPU K online/
 *              offline, which must succeed; OK online, which the guest must
 *              see fail (a parked vCPU: PSCI CPU_ON DENIED).  With -s, the
 *              steps after a "/" run on the restored VM.
 *     -V MSG   on a kernel without the scalability extension (no
 *              KVM_CAP_ARM_VCPU_PARK on /dev/kvm), QEMU must refuse to start
 *              this command line, saying MSG ("+" for a space: a test
 *              list splits its lines at spaces): PASS if it does
 *     -R       needs the scalability extension: SKIP (exit 4) without it
 *
 * PASS (exit 0) only if every boot shows: V CPUs present and possible (V =
 * M with parked vCPUs, else N); the expected CPUs online (0..K-1 and LIST,
 * and what the steps did; after -s, CPU as well), none else;
 * #redistributor-regions 1 up to the first region's frames (123 on QEMU
 * 7.2's virt board), 2 up to 512 more, then one more region per 512 (the
 * project's QEMU), each past the first 64 MiB and none contiguous with the
 * one before; each online CPU booted with the default MPIDR of its vCPU
 * index (Aff0 = index[3:0], Aff1 = index[11:4], Aff2 = index[19:12]) or
 * the topology's (-t), equal to its device-tree reg, and the GIC driver
 * found its redistributor, with that MPIDR in GICR_TYPER, in the region and
 * at the frame the index gives; no guest kernel splat.  Each phase's wall
 * time is printed ("l2vmm: ... s").
 *
 * Static, no dependencies beyond libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/kvm_arm_ext.h>

#include "cpulist.h"

#define QEMU		"/usr/bin/qemu-system-aarch64"
#define KERNEL		"/kvmx/l2/Image"
#define INITRD		"/kvmx/l2/initrd"
#define QMP_PATH	"/tmp/l2vmm-qmp"
#define MIG_FILE	"/tmp/l2vmm.mig"
#define MAX_CPUS	4096
#define MAX_REGIONS	16
#define RDIST_FRAME	0x20000ULL
#define MORE_FRAMES	512		/* frames of a region past the first */
/*
 * QEMU answers QMP only once its main loop runs, after it has set up every
 * vCPU: over two minutes for 512 vCPUs in an nVHE nested host.  The test
 * list's time limit bounds the whole case; this one only ends a hang.
 */
#define QMP_SECS	1200

static double t0;
static int failures;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("l2vmm: [%7.2fs] ", now() - t0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("l2vmm: [%7.2fs] FAIL: ", now() - t0);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures++;
}

/* What one boot (or one restored VM) of the guest showed. */
struct facts {
	int boots;		/* boots seen by this QEMU ("L2: kernel" lines) */
	int regions;		/* #redistributor-regions, -1 if not seen */
	unsigned long long base[MAX_REGIONS], size[MAX_REGIONS];
	int present, possible, online_n;
	char online[2048];
	int have_cpus;		/* an "L2: cpus" line was seen */
	int ncpu;		/* "L2: cpu" lines after it */
	struct cpu {
		int id;
		unsigned long mpidr, rd_mpidr;
		unsigned long long dt, rdist;
		int region;
		int pkg, cluster, core;
	} cpu[512];
	int errors;		/* "L2: online cpuN error=" lines */
	int splats;
};

/* QEMU and the pipes to it. */
struct vm {
	pid_t pid;
	int in, out;		/* its stdin (the guest's console input), stdout+stderr */
	int qin, qout;		/* QMP, or -1 */
	int qstarted;		/* greeting read, capabilities negotiated */
	char buf[16384];
	size_t len;
	int eof;
	char qbuf[65536];
	size_t qlen;
	struct facts f;
};

static struct {
	int n, boot, mem, reboot, save, max, ext, need_ext;
	int topo[4];		/* sockets, clusters, cores, threads; [0] = 0: none */
	const char *online, *append, *qemu, *machine, *steps, *refuse;
	unsigned char want[MAX_CPUS];
} o = { .n = 1, .boot = -1, .mem = 256, .save = -1, .online = "", .append = "",
	.qemu = QEMU, .machine = "" };

/* -V: the refusal message was seen in QEMU's output */
static int refused;
/* A guest "online cpuN error=" that a step expects (-H OK), or -1 */
static int online_error_ok = -1, online_error_seen;

/* vCPUs QEMU creates: -smp maxcpus with parked vCPUs, else -smp cpus */
static int nr_vcpus(void)
{
	return o.max && o.ext ? o.max : o.n;
}

/* The vCPUs get the MPIDRs of the -t topology (see the project's QEMU) */
static int topology_mpidrs(void)
{
	if (!o.topo[0] || !o.ext || strstr(o.machine, "mpidr-topology=off"))
		return 0;
	return strstr(o.machine, "mpidr-topology=on") || o.topo[0] > 1 ||
	       o.topo[1] > 1 || o.topo[3] > 1;
}

static unsigned long topology_mpidr(int i)
{
	int c = o.topo[1], k = o.topo[2], t = o.topo[3];
	unsigned long thread = i % t, core = i / t % k, cluster = i / (t * k) % c;
	unsigned long socket = i / (t * k * c);

	if (t > 1)
		return 1UL << 24 | thread | core << 8 | (socket * c + cluster) << 16;
	return core | cluster << 8 | socket << 16;
}

static unsigned long default_mpidr(int i)
{
	return (i & 0xf) | ((unsigned long)((i >> 4) & 0xff) << 8) |
	       ((unsigned long)((i >> 12) & 0xff) << 16);
}

static void parse_cpu_list(const char *s, unsigned char *set)
{
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b; a++)
			if (a >= 0 && a < MAX_CPUS)
				set[a] = 1;
		s = *end == ',' ? end + 1 : end;
	}
}

static void parse_line(struct facts *f, const char *l)
{
	static const char *const splat[] = {
		"Kernel panic", "BUG:", "WARNING:", "Oops", "Internal error",
		"Unable to handle", "rcu: INFO", "soft lockup", "cut here",
	};
	struct cpu *c;
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(splat) / sizeof(splat[0]); i++)
		if (strstr(l, splat[i])) {
			f->splats++;
			fail("guest kernel: %s", l);
		}
	/* QEMU's warnings on stderr may end without a newline: look inside lines */
	l = strstr(l, "L2: ");
	if (!l)
		return;
	l += 4;
	if (!strncmp(l, "kernel ", 7)) {	/* the guest's /init starts: a boot */
		int boots = f->boots + 1;

		memset(f, 0, sizeof(*f));
		f->boots = boots;
		f->regions = -1;
		return;
	}
	if (!strncmp(l, "splat: ", 7)) {
		f->splats++;
		fail("guest kernel log: %s", l + 7);
		return;
	}
	if (sscanf(l, "gic regions=%d", &f->regions) == 1)
		return;
	if (sscanf(l, "gic region %d ", &r) == 1 && r >= 0 && r < MAX_REGIONS) {
		sscanf(l, "gic region %*d base=%llx size=%llx", &f->base[r], &f->size[r]);
		return;
	}
	if (!strncmp(l, "cpus ", 5)) {
		char pres[2048], poss[2048];

		f->have_cpus = 1;
		f->ncpu = 0;
		if (sscanf(l, "cpus present=%2047[^/]/%d online=%2047[^/]/%d possible=%2047[^/]/%d",
			   pres, &f->present, f->online, &f->online_n, poss, &f->possible) != 6)
			fail("cannot parse: %s", l);
		return;
	}
	if (!strncmp(l, "cpu ", 4) && f->ncpu < (int)(sizeof(f->cpu) / sizeof(f->cpu[0]))) {
		c = &f->cpu[f->ncpu];
		c->pkg = c->cluster = c->core = -2;
		if (sscanf(l, "cpu %d mpidr=%lx dt=%llx midr=%*s rdist=%llx region=%d rd-mpidr=%lx pkg=%d cluster=%d core=%d",
			   &c->id, &c->mpidr, &c->dt, &c->rdist, &c->region, &c->rd_mpidr,
			   &c->pkg, &c->cluster, &c->core) >= 6)
			f->ncpu++;
		else
			fail("cannot parse: %s", l);
		return;
	}
	if ((!strncmp(l, "online cpu", 10) || !strncmp(l, "offline cpu", 11)) &&
	    strstr(l, "error=")) {
		int cpu = -1;

		sscanf(l, "online cpu%d", &cpu);
		if (cpu >= 0 && cpu == online_error_ok) {
			online_error_seen = 1;
			say("guest, as expected: %s", l);
			return;
		}
		f->errors++;
		fail("guest: %s", l);
	}
}

/* Check one boot's facts against what the VM must show. */
static void check(const struct facts *f, const char *what)
{
	char want[2048];
	unsigned long long start = 0, frames0;
	int i, k, bad = failures, nv = nr_vcpus();

	cpu_list_str(o.want, MAX_CPUS, want, sizeof(want));
	if (f->regions < 1) {
		fail("%s: no GICv3 node in the guest's device tree", what);
		return;
	}
	frames0 = f->size[0] / RDIST_FRAME;
	k = nv <= (int)frames0 ? 1 : 2 + (nv - (int)frames0 - 1) / MORE_FRAMES;
	if (f->regions != k)
		fail("%s: #redistributor-regions=%d, want %d (%d vCPUs, %llu frames in region 0)",
		     what, f->regions, k, nv, frames0);
	for (i = 1; i < f->regions && i < MAX_REGIONS; i++) {
		if (f->size[i] != MORE_FRAMES * RDIST_FRAME)
			fail("%s: redistributor region %d of 0x%llx bytes, want 0x%llx",
			     what, i, f->size[i], MORE_FRAMES * RDIST_FRAME);
		if (f->base[i] == f->base[i - 1] + f->size[i - 1])
			fail("%s: redistributor region %d at 0x%llx follows region %d directly",
			     what, i, f->base[i], i - 1);
	}
	if (!f->have_cpus) {
		fail("%s: the guest printed no CPU facts", what);
		return;
	}
	if (f->present != nv || f->possible != nv)
		fail("%s: %d CPUs present, %d possible, want %d", what, f->present,
		     f->possible, nv);
	if (strcmp(f->online, want))
		fail("%s: online %s, want %s", what, f->online, want);
	for (i = 0; i < MAX_CPUS; i++) {
		const struct cpu *c = NULL;
		unsigned long long rd;
		int j, r;

		if (!o.want[i])
			continue;
		for (j = 0; j < f->ncpu; j++)
			if (f->cpu[j].id == i)
				c = &f->cpu[j];
		if (!c) {
			fail("%s: no facts of CPU %d", what, i);
			continue;
		}
		r = i < (int)frames0 ? 0 : 1 + (i - (int)frames0) / MORE_FRAMES;
		start = r ? frames0 + (r - 1) * MORE_FRAMES : 0;
		rd = f->base[r < MAX_REGIONS ? r : 0] + (i - start) * RDIST_FRAME;
		{
			unsigned long m = topology_mpidrs() ? topology_mpidr(i) : default_mpidr(i);

			/* the guest prints MPIDR_EL1 & MPIDR_HWID_BITMASK: no MT */
			m &= 0xff00ffffffUL;
			if (c->mpidr != m || c->dt != c->mpidr)
				fail("%s: CPU %d booted with MPIDR 0x%lx (device tree 0x%llx), want 0x%lx",
				     what, i, c->mpidr, c->dt, m);
		}
		if (o.topo[0]) {
			int t = o.topo[3], kk = o.topo[2], cl = o.topo[1];
			int pkg = i / (t * kk * cl), cluster = i / (t * kk) % cl, core = i / t % kk;

			if (c->pkg != pkg || c->cluster != cluster || c->core != core)
				fail("%s: CPU %d: topology package %d cluster %d core %d, want %d %d %d",
				     what, i, c->pkg, c->cluster, c->core, pkg, cluster, core);
		}
		if (c->region != r || c->rdist != rd || c->rd_mpidr != c->mpidr)
			fail("%s: CPU %d: redistributor of MPIDR 0x%lx found in region %d at 0x%llx, want region %d at 0x%llx",
			     what, i, c->rd_mpidr, c->region, c->rdist, r, rd);
	}
	if (failures == bad)
		say("%s: ok: %d/%d CPUs online (%s), %d redistributor region%s, each online CPU's redistributor where its index puts it",
		    what, f->online_n, f->present, f->online, f->regions, f->regions > 1 ? "s" : "");
}

static int start_vm(struct vm *vm, int ctl, const char *incoming)
{
	char append[1024], smp[128], mem[16], machine[256], *argv[64];
	int qmp_on = o.save >= 0 || o.steps;
	int in[2], out[2], argc = 0;
	struct rlimit rl = { 65536, 65536 };

	memset(vm, 0, sizeof(*vm));
	vm->qin = vm->qout = -1;
	vm->f.regions = -1;
	snprintf(append, sizeof(append),
		 "console=ttyAMA0 loglevel=4 panic=-1 maxcpus=%d l2.online=%s%s %s",
		 o.boot, o.online, ctl ? " l2.ctl=1" : "", o.append);
	{
		int len = snprintf(smp, sizeof(smp), "cpus=%d", o.n);

		if (o.max)
			len += snprintf(smp + len, sizeof(smp) - len, ",maxcpus=%d", o.max);
		if (o.topo[0])
			snprintf(smp + len, sizeof(smp) - len,
				 ",sockets=%d,clusters=%d,cores=%d,threads=%d",
				 o.topo[0], o.topo[1], o.topo[2], o.topo[3]);
	}
	snprintf(mem, sizeof(mem), "%dM", o.mem);
	/* -x virt-6.1,...: another version of the board */
	if (!strncmp(o.machine, "virt-", 5))
		snprintf(machine, sizeof(machine), "%s,gic-version=3,acpi=off", o.machine);
	else
		snprintf(machine, sizeof(machine), "virt,gic-version=3,acpi=off%s%s",
			 *o.machine ? "," : "", o.machine);
	argv[argc++] = (char *)o.qemu;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-machine";
	argv[argc++] = machine;	/* acpi=off: the guest boots with the DT */
	argv[argc++] = "-accel";
	argv[argc++] = "kvm";
	argv[argc++] = "-cpu";
	argv[argc++] = "host";
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "-smp";
	argv[argc++] = smp;
	argv[argc++] = "-kernel";
	argv[argc++] = KERNEL;
	argv[argc++] = "-initrd";
	argv[argc++] = INITRD;
	argv[argc++] = "-append";
	argv[argc++] = append;
	argv[argc++] = "-serial";
	argv[argc++] = "stdio";
	if (!o.reboot) {
		argv[argc++] = "-no-reboot";
	}
	if (qmp_on) {
		argv[argc++] = "-chardev";
		argv[argc++] = "pipe,id=qmp,path=" QMP_PATH;
		argv[argc++] = "-mon";
		argv[argc++] = "chardev=qmp,mode=control";
		unlink(QMP_PATH ".in");
		unlink(QMP_PATH ".out");
		if (mkfifo(QMP_PATH ".in", 0600) || mkfifo(QMP_PATH ".out", 0600)) {
			fail("mkfifo %s: %s", QMP_PATH, strerror(errno));
			return -1;
		}
		vm->qin = open(QMP_PATH ".in", O_RDWR | O_CLOEXEC);
		vm->qout = open(QMP_PATH ".out", O_RDWR | O_CLOEXEC);
	}
	if (incoming) {
		argv[argc++] = "-incoming";
		argv[argc++] = (char *)incoming;
	}
	argv[argc] = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
		fail("pipe: %s", strerror(errno));
		return -1;
	}
	/* One descriptor per vCPU and more: 512 vCPUs pass the default 1024. */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		say("setrlimit(RLIMIT_NOFILE, 65536): %s", strerror(errno));
	{
		char cmd[2048];
		int i, len = 0;

		for (i = 0; i < argc && len < (int)sizeof(cmd); i++)
			len += snprintf(cmd + len, sizeof(cmd) - len,
					strchr(argv[i], ' ') ? "%s\"%s\"" : "%s%s",
					i ? " " : "", argv[i]);
		say("starting %s", cmd);
	}
	vm->pid = fork();
	if (vm->pid < 0) {
		fail("fork: %s", strerror(errno));
		return -1;
	}
	if (!vm->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	vm->in = in[1];
	vm->out = out[0];
	return 0;
}

/*
 * While QEMU says nothing (it sets up thousands of vCPUs before the guest
 * prints a line), every PROGRESS_SECS: its CPU time so far, in user space
 * (QEMU) and in the kernel (KVM), and its threads (one per vCPU created).
 */
#define PROGRESS_SECS	60

static void progress(const struct vm *vm)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	long threads = 0, hz = sysconf(_SC_CLK_TCK);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)vm->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* past the command name */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld",
			 &ut, &st, &threads) != 3)
		return;
	say("QEMU still quiet: %.0f s of CPU in QEMU, %.0f s in the kernel, %ld threads",
	    (double)ut / hz, (double)st / hz, threads);
}

/*
 * Relay QEMU's output line by line until a guest line holding @until
 * (returns 1), or QEMU's exit (returns 0).
 */
static int wait_for(struct vm *vm, const char *until)
{
	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(vm->buf, '\n', vm->len))) {
			int hit;

			*nl = '\0';
			if (nl > vm->buf && nl[-1] == '\r')
				nl[-1] = '\0';
			printf("l2> %s\n", vm->buf);
			fflush(stdout);
			parse_line(&vm->f, vm->buf);
			if (o.refuse && strstr(vm->buf, o.refuse))
				refused = 1;
			hit = until && strstr(vm->buf, until);
			vm->len -= nl + 1 - vm->buf;
			memmove(vm->buf, nl + 1, vm->len);
			if (hit)
				return 1;
		}
		if (vm->eof)
			return 0;
		if (vm->len == sizeof(vm->buf) - 1) {	/* a very long line: cut */
			vm->buf[vm->len++] = '\n';
			continue;
		}
		{
			struct pollfd pf = { .fd = vm->out, .events = POLLIN };

			if (poll(&pf, 1, PROGRESS_SECS * 1000) == 0) {
				progress(vm);
				continue;
			}
		}
		n = read(vm->out, vm->buf + vm->len, sizeof(vm->buf) - 1 - vm->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vm->eof = 1;
			if (vm->len)
				vm->buf[vm->len++] = '\n';
			continue;
		}
		vm->len += n;
	}
}

static int vm_exit(struct vm *vm)
{
	int st = 0;

	wait_for(vm, NULL);
	while (waitpid(vm->pid, &st, 0) < 0 && errno == EINTR)
		;
	close(vm->in);
	close(vm->out);
	if (vm->qin >= 0) {
		close(vm->qin);
		close(vm->qout);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static void send(struct vm *vm, const char *cmd)
{
	say("to the guest's console: %s", cmd);
	if (write(vm->in, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || write(vm->in, "\n", 1) != 1)
		fail("write to QEMU: %s", strerror(errno));
}

/*
 * One QMP command; @reply gets the line with its "return" or "error".
 * Events in between are printed.  Waits at most @secs.
 */
static int qmp_error_ok;	/* an "error" answer is what the caller wants */

static int qmp(struct vm *vm, const char *cmd, char *reply, size_t size, int secs)
{
	char *buf = vm->qbuf;
	size_t len = vm->qlen;
	double end = now() + secs;
	int ret = -1;

	if (cmd && write(vm->qin, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		fail("QMP write: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = vm->qout, .events = POLLIN },
				       { .fd = vm->out, .events = POLLIN } };
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = '\0';
			if (strstr(buf, "\"return\"") || strstr(buf, "\"error\"") ||
			    (!cmd && strstr(buf, "\"QMP\""))) {
				size_t rl = strlen(buf) < size - 1 ? strlen(buf) : size - 1;

				memcpy(reply, buf, rl);
				reply[rl] = '\0';
				len -= nl + 1 - buf;
				memmove(buf, nl + 1, len);
				if (strstr(reply, "\"error\"") && qmp_error_ok) {
					say("QMP, refused as expected: %s", reply);
					ret = 1;
				} else if (strstr(reply, "\"error\"")) {
					fail("QMP %s: %s", cmd ? cmd : "greeting", reply);
				} else {
					ret = 0;
				}
				goto out;
			}
			if (strstr(buf, "\"event\""))
				say("QMP event: %s", buf);
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len);
		}
		if (now() > end) {
			fail("QMP %s: no answer in %d s", cmd ? cmd : "greeting", secs);
			goto out;
		}
		if (poll(p, 2, 200) <= 0)
			continue;
		if (p[1].revents) {
			/* guest output meanwhile: relay what is there */
			n = read(vm->out, vm->buf + vm->len, sizeof(vm->buf) - 1 - vm->len);
			if (n > 0) {
				char *l;

				vm->len += n;
				while ((l = memchr(vm->buf, '\n', vm->len))) {
					*l = '\0';
					if (l > vm->buf && l[-1] == '\r')
						l[-1] = '\0';
					printf("l2> %s\n", vm->buf);
					parse_line(&vm->f, vm->buf);
					vm->len -= l + 1 - vm->buf;
					memmove(vm->buf, l + 1, vm->len);
				}
			} else if (n == 0) {
				fail("QEMU exited during a QMP exchange");
				goto out;
			}
		}
		if (p[0].revents & POLLIN) {
			n = read(vm->qout, buf + len, sizeof(vm->qbuf) - 1 - len);
			if (n > 0)
				len += n;
		}
	}
out:
	vm->qlen = len;
	return ret;
}

static int qmp_wait_status(struct vm *vm, const char *query, const char *key,
			   const char *want, int secs)
{
	char reply[8192], pat[128];
	double end = now() + secs;

	snprintf(pat, sizeof(pat), "\"%s\": \"%s\"", key, want);
	while (now() < end) {
		if (qmp(vm, query, reply, sizeof(reply), secs))
			return -1;
		if (strstr(reply, pat))
			return 0;
		if (strstr(reply, "\"status\": \"failed\"")) {
			fail("migration failed: %s", reply);
			return -1;
		}
		usleep(200000);
	}
	fail("%s: no %s in %d s (last: %s)", query, pat, secs, reply);
	return -1;
}

static int qmp_start(struct vm *vm);

/* Save the running VM to MIG_FILE with QEMU's migration, then stop that QEMU. */
static int save_vm(struct vm *vm)
{
	char reply[8192];
	double t = now();
	struct stat st;

	unlink(MIG_FILE);
	if (qmp_start(vm) ||
	    qmp(vm, "{\"execute\": \"migrate-set-parameters\", \"arguments\": "
		"{\"max-bandwidth\": 1099511627776}}\n", reply, sizeof(reply), QMP_SECS) ||
	    qmp(vm, "{\"execute\": \"migrate\", \"arguments\": "
		"{\"uri\": \"exec:cat > " MIG_FILE "\"}}\n", reply, sizeof(reply), QMP_SECS) ||
	    qmp_wait_status(vm, "{\"execute\": \"query-migrate\"}\n", "status",
			    "completed", QMP_SECS))
		return -1;
	if (stat(MIG_FILE, &st)) {
		fail("no %s after the migration: %s", MIG_FILE, strerror(errno));
		return -1;
	}
	say("saved the running VM to %s: %lld bytes in %.2f s", MIG_FILE,
	    (long long)st.st_size, now() - t);
	qmp(vm, "{\"execute\": \"quit\"}\n", reply, sizeof(reply), QMP_SECS);
	return 0;
}

/* A copy of ARG with each '+' a space: one test-list word for several. */
static const char *spaced(const char *arg)
{
	char *s = strdup(arg), *c;

	for (c = s; c && *c; c++)
		if (*c == '+')
			*c = ' ';
	return s;
}

static void usage(void)
{
	fprintf(stderr, "usage: l2vmm -n N [-b K] [-o LIST] [-r] [-s CPU] [-m MB] [-a ARGS] [-q QEMU]\n"
		"             [-x OPTS] [-p M] [-t S,C,K,T] [-H STEPS] [-V MSG] [-R]\n");
	exit(2);
}

/* Does the nested host's KVM have the scalability extension? */
static int kvm_has_ext(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return 0;
	r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VCPU_PARK);
	close(fd);
	return r > 0;
}

static int qmp_start(struct vm *vm)
{
	char reply[8192];

	if (vm->qstarted)
		return 0;
	if (qmp(vm, NULL, reply, sizeof(reply), QMP_SECS) ||
	    qmp(vm, "{\"execute\": \"qmp_capabilities\"}\n", reply, sizeof(reply), QMP_SECS))
		return -1;
	vm->qstarted = 1;
	return 0;
}

/*
 * Run the -H steps from @s up to a "/" or the end; returns where it
 * stopped (past the "/"), or NULL on a failure that ends the test.
 */
static const char *run_steps(struct vm *vm, const char *s)
{
	while (*s && *s != '/') {
		char op = *s, cmd[160], reply[8192];
		char *end;
		long cpu = strtol(s + 1, &end, 10);
		int r;

		if (end == s + 1 || cpu < 0 || cpu >= MAX_CPUS) {
			fail("bad step at \"%s\"", s);
			return NULL;
		}
		s = *end == ',' ? end + 1 : end;
		switch (op) {
		case 'u': case 'U': case 'p': case 'P':
			if (qmp_start(vm))
				return NULL;
			snprintf(cmd, sizeof(cmd),
				 "{\"execute\": \"vcpu-%s\", \"arguments\": {\"cpu-index\": %ld}}\n",
				 op == 'u' || op == 'U' ? "unpark" : "park", cpu);
			say("step %c%ld: QMP %.*s", op, cpu, (int)strlen(cmd) - 1, cmd);
			qmp_error_ok = op == 'U' || op == 'P';
			r = qmp(vm, cmd, reply, sizeof(reply), QMP_SECS);
			qmp_error_ok = 0;
			if (r < 0)
				return NULL;
			if (r == 0 && (op == 'U' || op == 'P'))
				fail("QMP %.*s succeeded, want an error", (int)strlen(cmd) - 1, cmd);
			break;
		case 'o': case 'O': case 'f':
			snprintf(cmd, sizeof(cmd), "%s %ld", op == 'f' ? "offline" : "online", cpu);
			say("step %c%ld", op, cpu);
			online_error_ok = op == 'O' ? cpu : -1;
			online_error_seen = 0;
			send(vm, cmd);
			if (!wait_for(vm, "L2: ready")) {
				fail("the guest did not answer \"%s\" (QEMU exited: %d)", cmd, vm_exit(vm));
				return NULL;
			}
			online_error_ok = -1;
			if (op == 'O' && !online_error_seen)
				fail("the guest brought CPU %ld online, want a refusal", cpu);
			if (op == 'o')
				o.want[cpu] = 1;
			if (op == 'f')
				o.want[cpu] = 0;
			snprintf(cmd, sizeof(cmd), "after step %c%ld", op, cpu);
			check(&vm->f, cmd);
			break;
		default:
			fail("bad step %c", op);
			return NULL;
		}
	}
	return *s == '/' ? s + 1 : s;
}

int main(int argc, char **argv)
{
	struct vm vm;
	const char *steps;
	int c, rc, i;

	t0 = now();
	while ((c = getopt(argc, argv, "n:b:o:rs:m:a:q:x:p:t:H:V:R")) != -1) {
		switch (c) {
		case 'n': o.n = atoi(optarg); break;
		case 'b': o.boot = atoi(optarg); break;
		case 'o': o.online = optarg; break;
		case 'r': o.reboot = 1; break;
		case 's': o.save = atoi(optarg); break;
		case 'm': o.mem = atoi(optarg); break;
		case 'a': o.append = spaced(optarg); break;
		case 'q': o.qemu = optarg; break;
		case 'x': o.machine = optarg; break;
		case 'p': o.max = atoi(optarg); break;
		case 't':
			if (sscanf(optarg, "%d,%d,%d,%d", &o.topo[0], &o.topo[1],
				   &o.topo[2], &o.topo[3]) != 4 || o.topo[0] < 1 ||
			    o.topo[1] < 1 || o.topo[2] < 1 || o.topo[3] < 1)
				usage();
			break;
		case 'H': o.steps = optarg; break;
		case 'V': o.refuse = spaced(optarg); break;
		case 'R': o.need_ext = 1; break;
		default: usage();
		}
	}
	if (o.n < 1 || o.n > MAX_CPUS || optind != argc || o.save >= (o.max ? o.max : o.n) ||
	    (o.max && (o.max < o.n || o.max > MAX_CPUS)))
		usage();
	o.ext = kvm_has_ext();
	say("KVM %s the scalability extension", o.ext ? "has" : "lacks");
	if (o.need_ext && !o.ext) {
		say("SKIP: this test needs the scalability extension");
		return 4;
	}
	if (o.boot < 0 || o.boot > o.n)
		o.boot = o.n;
	for (i = 0; i < o.boot; i++)
		o.want[i] = 1;
	parse_cpu_list(o.online, o.want);
	signal(SIGPIPE, SIG_IGN);

	if (o.refuse && !o.ext) {
		/* The command line needs the extension: QEMU must say so and stop */
		if (start_vm(&vm, 0, NULL))
			return 1;
		rc = vm_exit(&vm);
		if (!rc)
			fail("QEMU started without the scalability extension (exit 0)");
		if (!refused)
			fail("QEMU did not say \"%s\"", o.refuse);
		if (vm.f.boots)
			fail("the guest booted");
		say("%s: QEMU refused to start (exit %d), saying \"%s\"",
		    failures ? "FAIL" : "PASS", rc, o.refuse);
		return failures ? 1 : 0;
	}
	if (start_vm(&vm, o.reboot || o.save >= 0 || o.steps, NULL))
		return 1;
	if (!wait_for(&vm, "L2: facts")) {
		fail("the guest did not get to its facts (QEMU exited: %d)", vm_exit(&vm));
		return 1;
	}
	say("guest booted and reported (boot %d)", vm.f.boots);
	check(&vm.f, o.reboot ? "first boot" : "boot");
	steps = o.steps;
	if (steps) {
		wait_for(&vm, "L2: ready");
		steps = run_steps(&vm, steps);
		if (!steps)
			return 1;
		if (o.save < 0 && !o.reboot)
			send(&vm, "poweroff");
	}

	if (o.reboot) {
		wait_for(&vm, "L2: ready");
		send(&vm, "reboot");
		if (!wait_for(&vm, "L2: facts")) {
			fail("no second boot (QEMU exited: %d)", vm_exit(&vm));
			return 1;
		}
		if (vm.f.boots != 2)
			fail("the guest booted %d times, want 2", vm.f.boots);
		say("guest rebooted and reported");
		check(&vm.f, "after the reboot");
		wait_for(&vm, "L2: ready");
		send(&vm, "poweroff");
	}
	if (o.save >= 0) {
		struct facts before;
		double t;

		if (!o.steps)
			wait_for(&vm, "L2: ready");
		before = vm.f;
		if (save_vm(&vm))
			return 1;
		rc = vm_exit(&vm);
		say("saved QEMU exited: %d", rc);
		t = now();
		if (start_vm(&vm, 1, "exec:cat " MIG_FILE))
			return 1;
		vm.f = before;
		vm.f.boots = 0;
		if (qmp_start(&vm) ||
		    qmp_wait_status(&vm, "{\"execute\": \"query-status\"}\n", "status",
				    "running", QMP_SECS))
			return 1;
		say("restored VM running after %.2f s", now() - t);
		o.want[o.save] = 1;
		{
			char cmd[32];

			snprintf(cmd, sizeof(cmd), "online %d", o.save);
			send(&vm, cmd);
		}
		if (!wait_for(&vm, "L2: ready")) {
			fail("the restored guest did not answer (QEMU exited: %d)", vm_exit(&vm));
			return 1;
		}
		if (vm.f.boots)
			fail("the guest booted again instead of going on from the saved state");
		check(&vm.f, "restored VM");
		if (steps && *steps) {
			steps = run_steps(&vm, steps);
			if (!steps)
				return 1;
		}
		send(&vm, "poweroff");
		unlink(MIG_FILE);
	}
	rc = vm_exit(&vm);
	if (rc)
		fail("QEMU exit status %d", rc);
	if (vm.f.splats)
		fail("%d guest kernel splats", vm.f.splats);
	say("%s: %d vCPUs, total %.2f s", failures ? "FAIL" : "PASS", nr_vcpus(), now() - t0);
	return failures ? 1 : 0;
}
