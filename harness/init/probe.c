// SPDX-License-Identifier: GPL-2.0
/*
 * probe.c - count calls of a kernel function while a command runs.
 *
 *   kvmx-probe FUNCTION COMMAND [ARGS...]
 *
 * Puts a kprobe event on FUNCTION (tracefs), runs COMMAND, and prints
 * "probe: FUNCTION calls=N" from kprobe_profile before taking the probe
 * away.  Exits with COMMAND's status.  Used by the benchmark to count
 * kvm_io_bus_register_dev() calls: measured, not derived.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"

static int put(const char *file, const char *text, int append)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

static long hits(const char *event)
{
	char line[512], name[256];
	long n, miss;
	FILE *f = fopen(TRACEFS "/kprobe_profile", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %ld %ld", name, &n, &miss) == 3 &&
		    !strcmp(name, event)) {
			fclose(f);
			return n;
		}
	fclose(f);
	return -1;
}

int main(int argc, char *argv[])
{
	char def[256];
	int status = 0;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FUNCTION COMMAND [ARGS...]\n", argv[0]);
		return 2;
	}
	mkdir(TRACEFS, 0755);
	mount("tracefs", TRACEFS, "tracefs", 0, NULL);
	snprintf(def, sizeof(def), "p:kvmx_probe %s\n", argv[1]);
	if (put("kprobe_events", def, 1) ||
	    put("events/kprobes/kvmx_probe/enable", "1\n", 0)) {
		fprintf(stderr, "cannot probe %s: %s\n", argv[1], strerror(errno));
		return 4;	/* KSFT_SKIP: no kprobe events in this kernel */
	}
	pid = fork();
	if (!pid) {
		char path[512];

		/* Programs are named as in test lists: relative to /kvmx/bin */
		if (argv[2][0] != '/') {
			snprintf(path, sizeof(path), "/kvmx/bin/%s", argv[2]);
			argv[2] = path;
		}
		execv(argv[2], argv + 2);
		fprintf(stderr, "exec %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	waitpid(pid, &status, 0);
	printf("probe: %s calls=%ld\n", argv[1], hits("kvmx_probe"));
	fflush(stdout);
	put("events/kprobes/kvmx_probe/enable", "0\n", 0);
	put("kprobe_events", "-:kvmx_probe\n", 1);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
