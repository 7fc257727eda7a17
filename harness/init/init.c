// SPDX-License-Identifier: GPL-2.0
/*
 * init.c - PID 1 of the nested KVM host's initramfs.
 *
 * Mounts the pseudo file systems, then runs every test named in
 * /kvmx/tests (one per line: "<timeout-seconds>[x<attempts>] <name> <argv0>
 * [args...]", argv0 relative to /kvmx/bin, '#' starts a comment).  A test
 * given attempts (timing-sensitive ones under TCG) runs again after a
 * failure, up to that many times; the verdict notes the attempts taken.
 * Each test runs in its own process group with its output relayed to the
 * console as TAP comments ("# ..."); the top-level TAP lines are this
 * program's verdicts: exit 0 is "ok", exit 4 (KSFT_SKIP) is "ok ... #
 * SKIP", anything else, a signal or the timeout is "not ok"; so is a test
 * that passed but left VMs behind (five seconds after its exit, KVM's
 * debugfs has more VM directories than before it started: a reference to
 * a VM leaked).  On a kernel with kmemleak, the objects that boot left
 * unreferenced are forgotten before the first test and the heap is
 * scanned after the last one: what it reports (the "kmemleak: N new
 * suspected memory leaks" line and each object's backtrace) goes to the
 * console.  Finally the kernel log is dumped between markers and the
 * machine is powered off.
 *
 * Before the first test it creates a VM and keeps it open, unless the
 * kernel command line says kvmx.keepvm=0: KVM turns its preempt notifiers
 * (a static key) on with the first VM and off with the last, and under
 * QEMU 7.2's TCG a vCPU thread of the nested host was seen to miss them
 * now and then after such a toggle, so that a VHE host handed a thread
 * another thread's or the guest's TPIDR_EL0 (arm_ext_fuzz, which checks
 * it after every ioctl, caught it; never without jump labels, never with
 * a VM kept open).  No test depends on being the only VM.
 *
 * Static, no dependencies beyond libc.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#define TEST_LIST	"/kvmx/tests"
#define BIN_DIR		"/kvmx/bin"
#define MAX_ARGS	64
#define KSFT_SKIP	4

static FILE *con;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(con, fmt, ap);
	va_end(ap);
	fflush(con);
}

static void setup(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	mkdir("/dev/shm", 01777);
	mount("tmpfs", "/dev/shm", "tmpfs", 0, NULL);
	mkdir("/sys/fs/cgroup", 0755);
	mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);

	con = fopen("/dev/console", "w");
	if (!con)
		con = stdout;
	setenv("PATH", BIN_DIR ":/bin", 1);
	setenv("HOME", "/tmp", 1);
	if (chdir("/tmp"))
		say("# chdir /tmp: %s\n", strerror(errno));
}

/* A run_one() status that is a pass: exit 0, or KSFT_SKIP */
static int passed(int st)
{
	return st >= 0 && WIFEXITED(st) &&
	       (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == KSFT_SKIP);
}

/* See the header: one VM for the whole run, its fd not inherited. */
static void keep_a_vm(void)
{
	char cmdline[4096] = "";
	int fd, kvm, vm;
	ssize_t n;

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, cmdline, sizeof(cmdline) - 1);
		cmdline[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (strstr(cmdline, "kvmx.keepvm=0"))
		return;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);	/* O_CLOEXEC */
	close(kvm);
	if (vm < 0)
		say("# init: KVM_CREATE_VM: %s\n", strerror(errno));
	else
		say("# init: one VM kept open for the run (kvmx.keepvm=0: none)\n");
}

/* VMs alive: KVM's debugfs directories, "<pid>-<fd>"; -1 without debugfs */
static int vms_alive(void)
{
	DIR *d = opendir("/sys/kernel/debug/kvm");
	struct dirent *e;
	int n = 0, pid, fd;
	char c;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "%d-%d%c", &pid, &fd, &c) == 2)
			n++;
	closedir(d);
	return n;
}

/* Relay the child's output line by line as TAP comments. */
static void relay(char *buf, size_t *len, int flush)
{
	char *start = buf, *nl;

	while ((nl = memchr(start, '\n', buf + *len - start))) {
		*nl = '\0';
		say("# %s\n", start);
		start = nl + 1;
	}
	*len = buf + *len - start;
	memmove(buf, start, *len);
	if (flush && *len) {
		buf[*len] = '\0';
		say("# %s\n", buf);
		*len = 0;
	}
}

/*
 * Run one test; returns its wait status, or -1 on timeout.
 */
static int run_one(char **argv, int timeout, double *elapsed)
{
	char buf[8192 + 1];
	size_t len = 0;
	double start = now(), deadline = start + timeout;
	int pfd[2], status = 0, timed_out = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -2;
	pid = fork();
	if (pid < 0)
		return -2;
	if (!pid) {
		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);

	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		double left = deadline - now();
		ssize_t n;

		if (left <= 0) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;	/* every writer has gone */
		len += n;
		relay(buf, &len, len == sizeof(buf) - 1);
	}
	relay(buf, &len, 1);
	close(pfd[0]);
	/* Reap the child; kill stragglers of its group that kept running. */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (waitpid(-pid, NULL, WNOHANG) > 0)
		;
	*elapsed = now() - start;
	return timed_out ? -1 : status;
}

#define KMEMLEAK	"/sys/kernel/debug/kmemleak"

/* Write @cmd to kmemleak's control file; false if there is none. */
static int kmemleak(const char *cmd)
{
	int fd = open(KMEMLEAK, O_WRONLY), ok;

	if (fd < 0)
		return 0;
	ok = write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd);
	if (!ok)
		say("# kmemleak %s: %s\n", cmd, strerror(errno));
	close(fd);
	return ok;
}

/*
 * Scan for leaks twice, a few seconds apart (kmemleak leaves objects
 * younger than 5 s alone), and print what it reports.
 */
static void kmemleak_report(void)
{
	char buf[4096];
	double t = now();
	ssize_t n;
	int fd;

	if (!kmemleak("scan"))
		return;
	sleep(6);
	kmemleak("scan");
	say("# kmemleak: scanned in %.1fs\n", now() - t);
	fd = open(KMEMLEAK, O_RDONLY);
	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		size_t len = n;

		buf[n] = '\0';
		relay(buf, &len, 1);
	}
	close(fd);
}

static void dump_kernel_log(void)
{
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *log;
	int n;

	if (size <= 0)
		size = 1 << 20;
	log = malloc(size + 1);
	if (!log)
		return;
	n = klogctl(3, log, size);		/* SYSLOG_ACTION_READ_ALL */
	say("KVMX-DMESG-BEGIN\n");
	if (n > 0) {
		log[n] = '\0';
		say("%s", log);
		if (log[n - 1] != '\n')
			say("\n");
	}
	say("KVMX-DMESG-END\n");
	free(log);
}

int main(void)
{
	char line[4096], *argv[MAX_ARGS + 1];
	int total = 0, n = 0, pass = 0, skip = 0, fail = 0;
	FILE *list;

	setup();
	list = fopen(TEST_LIST, "r");
	if (!list) {
		say("Bail out! no %s: %s\n", TEST_LIST, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), list))
		if (line[0] != '#' && strspn(line, " \t\n") != strlen(line))
			total++;
	rewind(list);
	/* Boot's own unreferenced objects are not the tests' leaks. */
	if (kmemleak("scan"))
		kmemleak("clear");

	say("TAP version 13\n1..%d\n", total);
	keep_a_vm();
	while (fgets(line, sizeof(line), list)) {
		char *name, *tok, *save, *x, path[512];
		int timeout, attempts = 1, attempt, argc = 0, st, before, after, wait;
		double t = 0;

		if (line[0] == '#' || strspn(line, " \t\n") == strlen(line))
			continue;
		n++;
		tok = strtok_r(line, " \t\n", &save);
		timeout = atoi(tok);
		x = strchr(tok, 'x');
		if (x && atoi(x + 1) > 1)
			attempts = atoi(x + 1);
		name = strtok_r(NULL, " \t\n", &save);
		while ((tok = strtok_r(NULL, " \t\n", &save)) && argc < MAX_ARGS)
			argv[argc++] = tok;
		argv[argc] = NULL;
		if (!name || !argc || timeout <= 0) {
			say("not ok %d - %s # bad test line\n", n, name ? name : "?");
			fail++;
			continue;
		}
		if (argv[0][0] != '/') {
			snprintf(path, sizeof(path), "%s/%s", BIN_DIR, argv[0]);
			argv[0] = path;
		}
		before = vms_alive();
		for (attempt = 1; ; attempt++) {
			say("# === %s (timeout %ds, attempt %d of %d)\n", name,
			    timeout, attempt, attempts);
			st = run_one(argv, timeout, &t);
			if (attempt == attempts || passed(st))
				break;
		}
		/* A dead process's files are closed in the background */
		for (wait = 0; (after = vms_alive()) > before && wait < 50; wait++)
			usleep(100000);
		if (after > before && passed(st)) {
			say("not ok %d - %s # %d VMs outlived the test time=%.2fs\n", n, name,
			    after - before, t);
			fail++;
		} else if (st == -1) {
			say("not ok %d - %s # TIMEOUT after %ds\n", n, name, timeout);
			fail++;
		} else if (st == -2) {
			say("not ok %d - %s # could not start: %s\n", n, name,
			    strerror(errno));
			fail++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			say("ok %d - %s # time=%.2fs attempts=%d\n", n, name, t, attempt);
			pass++;
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == KSFT_SKIP) {
			say("ok %d - %s # SKIP time=%.2fs\n", n, name, t);
			skip++;
		} else if (WIFEXITED(st)) {
			say("not ok %d - %s # exit=%d time=%.2fs\n", n, name,
			    WEXITSTATUS(st), t);
			fail++;
		} else {
			say("not ok %d - %s # signal=%d time=%.2fs\n", n, name,
			    WTERMSIG(st), t);
			fail++;
		}
	}
	fclose(list);
	say("# kvmx: %d passed, %d skipped, %d failed\n", pass, skip, fail);
	kmemleak_report();
out:
	dump_kernel_log();
	say("KVMX-POWEROFF\n");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
