/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpulist.h - a set of CPU numbers as the kernel prints it ("0-3,8"), for
 * the real-VMM launcher (l2vmm.c) and the L2 guest's /init (l2init.c).
 */
#ifndef KVMX_CPULIST_H
#define KVMX_CPULIST_H

#include <stdio.h>

/* "0-3,8" style list of the CPUs set in @set[0..@max); returns how many. */
static int cpu_list_str(const unsigned char *set, int max, char *out, size_t size)
{
	int i = 0, count = 0, len = 0;

	out[0] = '\0';
	while (i < max) {
		int j;

		if (!set[i]) {
			i++;
			continue;
		}
		for (j = i; j + 1 < max && set[j + 1]; j++)
			;
		count += j - i + 1;
		if ((size_t)len < size)
			len += snprintf(out + len, size - len, "%s%d", len ? "," : "", i);
		if (j > i && (size_t)len < size)
			len += snprintf(out + len, size - len, "-%d", j);
		i = j + 1;
	}
	if (!len)
		snprintf(out, size, "none");
	return count;
}

#endif
