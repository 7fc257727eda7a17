// SPDX-License-Identifier: GPL-2.0
/*
 * l2init.c - PID 1 of the L2 guest's initramfs (the real-VMM runs).
 *
 * The guest is the vanilla 6.12 kernel (harness/configs/guest.config),
 * booted by Debian's QEMU (virt board, GICv3, KVM) inside the nested host.
 * This program prints what the guest saw, one fact per "L2: " line, for
 * harness/init/l2vmm.c to check:
 *
 *   L2: kernel RELEASE uptime=SECONDS       (when /init starts)
 *   L2: gic regions=N                      (#redistributor-regions of the GIC node)
 *   L2: gic region I base=0x.. size=0x.. frames=F   (its reg, 128 KiB frames)
 *   L2: online cpuN ok|error=ERRNO time=S  (each CPU of l2.online=, via sysfs)
 *   L2: cpu N mpidr=0x.. dt=0x.. midr=0x.. rdist=0x.. region=I rd-mpidr=0x..
 *          pkg=P cluster=C core=K
 *          (every online CPU: the MPIDR and MIDR it booted with, from the
 *          kernel's "Booting Linux on physical CPU" / "Booted secondary
 *          processor" lines, the reg of its device-tree node, MIDR_EL1
 *          from sysfs, and the redistributor the GIC driver found for it:
 *          "GICv3: CPUn: found redistributor MPIDR region I:ADDR"; its
 *          topology/physical_package_id, cluster_id and core_id in sysfs)
 *   L2: cpus present=LIST/N online=LIST/N possible=LIST/N
 *   L2: splat: LINE                        (a kernel log line telling of a bug)
 *
 * Kernel command line: l2.online=1,122,123,511 (CPUs to bring online
 * through /sys/devices/system/cpu/cpuN/online; with the kernel's maxcpus=
 * the others stay offline but present); l2.ctl=1: after the facts, print
 * "L2: ready" and take commands, one a line, from the console: "online N"
 * and "offline N" (then the facts again; "L2: offline cpuN ok|error=..."),
 * "reboot", "poweroff".  Without it, power off.
 * Before powering off or rebooting it prints "L2: done poweroff|reboot".
 *
 * Static, no dependencies beyond libc.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cpulist.h"

#define MAX_CPUS	4096
#define RDIST_FRAME	(2 * 65536)	/* GICv3: RD_base + SGI_base */

static char cmdline[4096];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read a whole (small) file; returns its length or -1. */
static ssize_t slurp(const char *path, void *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)len < size && (n = read(fd, (char *)buf + len, size - len)) > 0)
		len += n;
	close(fd);
	return len;
}

static void read_line(const char *path, char *buf, size_t size)
{
	ssize_t n = slurp(path, buf, size - 1);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static uint64_t be(const unsigned char *p, int cells)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 4 * cells; i++)
		v = v << 8 | p[i];
	return v;
}

/* The GIC node: the /proc/device-tree child with compatible "arm,gic-v3". */
static int gic_node(char *path, size_t size)
{
	char compat[256], p[512];
	struct dirent *d;
	DIR *dir = opendir("/proc/device-tree");
	ssize_t n;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/device-tree/%s/compatible", d->d_name);
		n = slurp(p, compat, sizeof(compat) - 1);
		if (n > 0 && memmem(compat, n, "arm,gic-v3", 11)) {
			snprintf(path, size, "/proc/device-tree/%s", d->d_name);
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	return -1;
}

static int dt_cells(const char *dir, const char *name, int def)
{
	char p[512];
	unsigned char v[4];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return slurp(p, v, 4) == 4 ? (int)be(v, 1) : def;
}

static void gic_facts(void)
{
	unsigned char reg[64 * 16], v[4];
	char node[300], p[512];
	int ac, sc, nr = 1, i;
	ssize_t n;

	if (gic_node(node, sizeof(node))) {
		printf("L2: gic none\n");
		return;
	}
	ac = dt_cells("/proc/device-tree", "#address-cells", 2);
	sc = dt_cells("/proc/device-tree", "#size-cells", 2);
	snprintf(p, sizeof(p), "%s/#redistributor-regions", node);
	if (slurp(p, v, 4) == 4)
		nr = be(v, 1);
	printf("L2: gic regions=%d node=%s\n", nr, node + strlen("/proc/device-tree/"));
	snprintf(p, sizeof(p), "%s/reg", node);
	n = slurp(p, reg, sizeof(reg));
	/* reg: the distributor, then the redistributor regions */
	for (i = 0; i < nr && (i + 2) * 4 * (ac + sc) <= n; i++) {
		const unsigned char *e = reg + (i + 1) * 4 * (ac + sc);
		uint64_t base = be(e, ac), size = be(e + 4 * ac, sc);

		printf("L2: gic region %d base=0x%llx size=0x%llx frames=%llu\n", i,
		       (unsigned long long)base, (unsigned long long)size,
		       (unsigned long long)(size / RDIST_FRAME));
	}
}

/* Parse a kernel cpu list file ("0-3,8") into @set; returns how many. */
static int parse_list(const char *s, unsigned char *set)
{
	int count = 0;

	memset(set, 0, MAX_CPUS);
	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (; a <= b && a < MAX_CPUS; a++, count++)
			set[a] = 1;
		s = *end == ',' ? end + 1 : end;
	}
	return count;
}

static void cpus_facts(unsigned char *online)
{
	static unsigned char set[MAX_CPUS];
	static const char *const what[] = { "present", "online", "possible" };
	char buf[8192], p[64], out[3][2048];
	int i, n[3];

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "/sys/devices/system/cpu/%s", what[i]);
		read_line(p, buf, sizeof(buf));
		n[i] = parse_list(buf, i == 1 ? online : set);
		cpu_list_str(i == 1 ? online : set, MAX_CPUS, out[i], sizeof(out[i]));
	}
	printf("L2: cpus present=%s/%d online=%s/%d possible=%s/%d\n",
	       out[0], n[0], out[1], n[1], out[2], n[2]);
}

/* The kernel log's word on CPU @cpu: MPIDR/MIDR it booted with, its redistributor. */
static void cpu_from_log(const char *log, int cpu, unsigned long *mpidr,
			 unsigned int *midr, unsigned long *rd_mpidr, int *region,
			 unsigned long long *rd)
{
	const char *l;
	char key[80];

	*mpidr = *rd_mpidr = ~0UL;
	*midr = 0;
	*region = -1;
	*rd = 0;
	/* The last boot of this CPU is the one that counts: scan them all. */
	for (l = log; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *s;

		if (cpu == 0 && (s = strstr(l, "Booting Linux on physical CPU 0x")) &&
		    s < strchrnul(l, '\n'))
			sscanf(s, "Booting Linux on physical CPU 0x%lx [0x%x]", mpidr, midr);
		snprintf(key, sizeof(key), "CPU%d: Booted secondary processor 0x", cpu);
		if ((s = strstr(l, key)) && s < strchrnul(l, '\n'))
			sscanf(s + strlen(key) - 2, "0x%lx [0x%x]", mpidr, midr);
		snprintf(key, sizeof(key), "GICv3: CPU%d: found redistributor ", cpu);
		if ((s = strstr(l, key)) && s < strchrnul(l, '\n'))
			sscanf(s + strlen(key), "%lx region %d:%llx", rd_mpidr, region, rd);
	}
}

/* Kernel log lines that tell of a bug, each printed once. */
static void splats(const char *log)
{
	static const char *const pat[] = {
		"Kernel panic", "BUG:", "WARNING:", "Oops", "Internal error",
		"Unable to handle", "rcu: INFO", "soft lockup", "cut here",
	};
	static size_t done;	/* the log's length at the last look */
	size_t len = strlen(log);
	const char *l;
	unsigned int i;

	for (l = log + (done <= len ? done : 0); *l; l = *strchrnul(l, '\n') ?
	     strchrnul(l, '\n') + 1 : strchrnul(l, '\n')) {
		int n = strchrnul(l, '\n') - l;

		for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++)
			if (memmem(l, n, pat[i], strlen(pat[i]))) {
				printf("L2: splat: %.*s\n", n > 200 ? 200 : n, l);
				break;
			}
	}
	done = len;
}

/* /sys/devices/system/cpu/cpuN/topology/@what, or -1 */
static int topology(int cpu, const char *what)
{
	char p[128], v[32];

	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, what);
	read_line(p, v, sizeof(v));
	return v[0] ? atoi(v) : -1;
}

static void cpu_facts(const unsigned char *online)
{
	int size = klogctl(10, NULL, 0), n, cpu;
	char *log;

	if (size <= 0)
		size = 1 << 20;
	log = malloc(size + 1);
	if (!log)
		return;
	n = klogctl(3, log, size);
	log[n > 0 ? n : 0] = '\0';
	splats(log);
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		unsigned long mpidr, rd_mpidr;
		unsigned long long rd, dt = ~0ULL;
		unsigned char reg[8];
		char p[128], midr[32];
		unsigned int bmidr;
		int region;
		ssize_t len;

		if (!online[cpu])
			continue;
		cpu_from_log(log, cpu, &mpidr, &bmidr, &rd_mpidr, &region, &rd);
		snprintf(p, sizeof(p), "/proc/device-tree/cpus/cpu@%d/reg", cpu);
		len = slurp(p, reg, sizeof(reg));
		if (len == 4 || len == 8)
			dt = be(reg, len / 4);
		snprintf(p, sizeof(p),
			 "/sys/devices/system/cpu/cpu%d/regs/identification/midr_el1", cpu);
		read_line(p, midr, sizeof(midr));
		printf("L2: cpu %d mpidr=0x%lx dt=0x%llx midr=%s rdist=0x%llx region=%d rd-mpidr=0x%lx pkg=%d cluster=%d core=%d\n",
		       cpu, mpidr, dt, midr[0] ? midr : "?", rd, region, rd_mpidr,
		       topology(cpu, "physical_package_id"), topology(cpu, "cluster_id"),
		       topology(cpu, "core_id"));
	}
	free(log);
}

static void facts(void)
{
	static unsigned char online[MAX_CPUS];

	cpus_facts(online);
	cpu_facts(online);
	fflush(stdout);
}

/* Bring @cpu online (@on) or offline through sysfs */
static void online_cpu(int cpu, int on)
{
	const char *what = on ? "online" : "offline";
	char p[80];
	double t = now();
	int fd, err = 0;

	snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(p, O_WRONLY);
	if (fd < 0 || write(fd, on ? "1" : "0", 1) != 1)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (err)
		printf("L2: %s cpu%d error=%s time=%.2f\n", what, cpu, strerror(err), now() - t);
	else
		printf("L2: %s cpu%d ok time=%.2f\n", what, cpu, now() - t);
	fflush(stdout);
}

/* The value of "@key=" on the kernel command line, or NULL. */
static const char *arg(const char *key)
{
	static char val[1024];
	const char *s = cmdline;
	size_t kl = strlen(key);

	while ((s = strstr(s, key))) {
		if ((s == cmdline || s[-1] == ' ') && s[kl] == '=') {
			size_t n = strcspn(s + kl + 1, " \n");

			snprintf(val, sizeof(val), "%.*s", (int)n, s + kl + 1);
			return val;
		}
		s += kl;
	}
	return NULL;
}

static void __attribute__((noreturn)) finish(int how)
{
	printf("L2: done %s\n", how == RB_AUTOBOOT ? "reboot" : "poweroff");
	fflush(stdout);
	sync();
	reboot(how);
	for (;;)
		pause();
}

int main(void)
{
	const char *s;
	struct utsname u;
	char line[256];
	double t0 = now();

	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_line("/proc/cmdline", cmdline, sizeof(cmdline));

	uname(&u);
	read_line("/proc/uptime", line, sizeof(line));
	printf("L2: kernel %s uptime=%.*s\n", u.release, (int)strcspn(line, " "), line);
	gic_facts();
	s = arg("l2.online");
	while (s && *s) {
		char *end;
		long cpu = strtol(s, &end, 10);

		if (end == s)
			break;
		online_cpu(cpu, 1);
		s = *end == ',' ? end + 1 : end;
	}
	facts();
	printf("L2: facts time=%.2f\n", now() - t0);
	s = arg("l2.ctl");
	if (!s || strcmp(s, "1"))
		finish(RB_POWER_OFF);
	for (;;) {
		int cpu;

		printf("L2: ready\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			finish(RB_POWER_OFF);
		if (sscanf(line, "online %d", &cpu) == 1) {
			online_cpu(cpu, 1);
			facts();
		} else if (sscanf(line, "offline %d", &cpu) == 1) {
			online_cpu(cpu, 0);
			facts();
		} else if (!strncmp(line, "reboot", 6)) {
			finish(RB_AUTOBOOT);
		} else if (!strncmp(line, "poweroff", 8)) {
			finish(RB_POWER_OFF);
		} else {
			printf("L2: unknown command: %s", line);
		}
	}
}
