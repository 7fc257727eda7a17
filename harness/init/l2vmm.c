// SPDX-License-Identifier: GPL-2.0
/*
 * l2vmm.c - a real VMM with a real guest on the nested host: runs Debian's
 * qemu-system-aarch64 (unmodified, from harness/vmm.sh) as a KVM VMM that
 * boots the L2 guest (the vanilla 6.12 kernel of configs/guest.config and
 * the /init of l2init.c), relays what the guest prints and checks it.
 *
 *   l2vmm -n N [-b K] [-o LIST] [-r] [-s CPU] [-m MB] [-a ARGS]
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
 *     -a ARGS  more guest kernel arguments
 *
 * PASS (exit 0) only if every boot shows: N CPUs present and possible; the
 * expected CPUs online (0..K-1 and LIST; after -s, CPU as well), none else;
 * #redistributor-regions 1, or 2 when N exceeds the first region's frames
 * (123 on QEMU 7.2's virt board); each online CPU booted with the default
 * MPIDR of its vCPU index (Aff0 = index[3:0], Aff1 = index[11:4], Aff2 =
 * index[19:12]), equal to its device-tree reg, and the GIC driver found its
 * redistributor, with that MPIDR in GICR_TYPER, in the region and at the
 * frame the index gives; no guest kernel splat.  Each phase's wall time is
 * printed ("l2vmm: ... s").
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

#include "cpulist.h"

#define QEMU		"/usr/bin/qemu-system-aarch64"
#define KERNEL		"/kvmx/l2/Image"
#define INITRD		"/kvmx/l2/initrd"
#define QMP_PATH	"/tmp/l2vmm-qmp"
#define MIG_FILE	"/tmp/l2vmm.mig"
#define MAX_CPUS	4096
#define MAX_REGIONS	8
#define RDIST_FRAME	0x20000ULL
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
	} cpu[512];
	int errors;		/* "L2: online cpuN error=" lines */
	int splats;
};

/* QEMU and the pipes to it. */
struct vm {
	pid_t pid;
	int in, out;		/* its stdin (the guest's console input), stdout+stderr */
	int qin, qout;		/* QMP, or -1 */
	char buf[16384];
	size_t len;
	int eof;
	char qbuf[65536];
	size_t qlen;
	struct facts f;
};

static struct {
	int n, boot, mem, reboot, save;
	const char *online, *append;
	unsigned char want[MAX_CPUS];
} o = { .n = 1, .boot = -1, .mem = 256, .save = -1, .online = "", .append = "" };

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
		if (sscanf(l, "cpu %d mpidr=%lx dt=%llx midr=%*s rdist=%llx region=%d rd-mpidr=%lx",
			   &c->id, &c->mpidr, &c->dt, &c->rdist, &c->region, &c->rd_mpidr) == 6)
			f->ncpu++;
		else
			fail("cannot parse: %s", l);
		return;
	}
	if (!strncmp(l, "online cpu", 10) && strstr(l, "error=")) {
		f->errors++;
		fail("guest: %s", l);
	}
}

/* Check one boot's facts against what the VM must show. */
static void check(const struct facts *f, const char *what)
{
	char want[2048];
	unsigned long long start = 0, frames0;
	int i, k, bad = failures;

	cpu_list_str(o.want, MAX_CPUS, want, sizeof(want));
	if (f->regions < 1) {
		fail("%s: no GICv3 node in the guest's device tree", what);
		return;
	}
	frames0 = f->size[0] / RDIST_FRAME;
	k = o.n > (int)frames0 ? 2 : 1;
	if (f->regions != k)
		fail("%s: #redistributor-regions=%d, want %d (%d vCPUs, %llu frames in region 0)",
		     what, f->regions, k, o.n, frames0);
	if (!f->have_cpus) {
		fail("%s: the guest printed no CPU facts", what);
		return;
	}
	if (f->present != o.n || f->possible != o.n)
		fail("%s: %d CPUs present, %d possible, want %d", what, f->present,
		     f->possible, o.n);
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
		r = i < (int)frames0 ? 0 : 1;
		start = r ? frames0 : 0;
		rd = f->base[r] + (i - start) * RDIST_FRAME;
		if (c->mpidr != default_mpidr(i) || c->dt != c->mpidr)
			fail("%s: CPU %d booted with MPIDR 0x%lx (device tree 0x%llx), want 0x%lx",
			     what, i, c->mpidr, c->dt, default_mpidr(i));
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
	char append[1024], smp[16], mem[16], *argv[64];
	int in[2], out[2], argc = 0;
	struct rlimit rl = { 65536, 65536 };

	memset(vm, 0, sizeof(*vm));
	vm->qin = vm->qout = -1;
	vm->f.regions = -1;
	snprintf(append, sizeof(append),
		 "console=ttyAMA0 loglevel=4 panic=-1 maxcpus=%d l2.online=%s%s %s",
		 o.boot, o.online, ctl ? " l2.ctl=1" : "", o.append);
	snprintf(smp, sizeof(smp), "%d", o.n);
	snprintf(mem, sizeof(mem), "%dM", o.mem);
	argv[argc++] = QEMU;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-machine";
	argv[argc++] = "virt,gic-version=3,acpi=off";	/* the guest boots with the DT */
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
	if (o.save >= 0) {
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
				if (strstr(reply, "\"error\""))
					fail("QMP %s: %s", cmd ? cmd : "greeting", reply);
				else
					ret = 0;
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

/* Save the running VM to MIG_FILE with QEMU's migration, then stop that QEMU. */
static int save_vm(struct vm *vm)
{
	char reply[8192];
	double t = now();
	struct stat st;

	unlink(MIG_FILE);
	if (qmp(vm, NULL, reply, sizeof(reply), QMP_SECS) ||
	    qmp(vm, "{\"execute\": \"qmp_capabilities\"}\n", reply, sizeof(reply), QMP_SECS) ||
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

static void usage(void)
{
	fprintf(stderr, "usage: l2vmm -n N [-b K] [-o LIST] [-r] [-s CPU] [-m MB] [-a ARGS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct vm vm;
	int c, rc, i;

	t0 = now();
	while ((c = getopt(argc, argv, "n:b:o:rs:m:a:")) != -1) {
		switch (c) {
		case 'n': o.n = atoi(optarg); break;
		case 'b': o.boot = atoi(optarg); break;
		case 'o': o.online = optarg; break;
		case 'r': o.reboot = 1; break;
		case 's': o.save = atoi(optarg); break;
		case 'm': o.mem = atoi(optarg); break;
		case 'a': o.append = optarg; break;
		default: usage();
		}
	}
	if (o.n < 1 || o.n > MAX_CPUS || optind != argc || o.save >= o.n)
		usage();
	if (o.boot < 0 || o.boot > o.n)
		o.boot = o.n;
	for (i = 0; i < o.boot; i++)
		o.want[i] = 1;
	parse_cpu_list(o.online, o.want);
	signal(SIGPIPE, SIG_IGN);

	if (start_vm(&vm, o.reboot || o.save >= 0, NULL))
		return 1;
	if (!wait_for(&vm, "L2: facts")) {
		fail("the guest did not get to its facts (QEMU exited: %d)", vm_exit(&vm));
		return 1;
	}
	say("guest booted and reported (boot %d)", vm.f.boots);
	check(&vm.f, o.reboot ? "first boot" : "boot");

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
		if (qmp(&vm, NULL, (char[256]){0}, 256, QMP_SECS) ||
		    qmp(&vm, "{\"execute\": \"qmp_capabilities\"}\n", (char[256]){0}, 256, QMP_SECS) ||
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
		send(&vm, "poweroff");
		unlink(MIG_FILE);
	}
	rc = vm_exit(&vm);
	if (rc)
		fail("QEMU exit status %d", rc);
	if (vm.f.splats)
		fail("%d guest kernel splats", vm.f.splats);
	say("%s: %d vCPUs, total %.2f s", failures ? "FAIL" : "PASS", o.n, now() - t0);
	return failures ? 1 : 0;
}
