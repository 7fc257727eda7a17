// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_v3_scale - create the largest GICv3 VM the kernel allows and run
 * every vCPU once.
 *
 * Each vCPU reports its index and MPIDR_EL1 to the host, which checks the
 * value against the vCPU's MPIDR register and that every vCPU reports
 * exactly once.  Prints the time taken by vCPU creation, vgic setup and
 * the first run of every vCPU, so it doubles as a scaling benchmark.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"

#define NR_IRQS	64

static void guest_code(u64 idx)
{
	GUEST_SYNC2(idx, read_sysreg(mpidr_el1));
	GUEST_DONE();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_once(struct kvm_vcpu *vcpu, u64 idx)
{
	struct ucall uc;
	u64 mpidr;

	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);

	vcpu_args_set(vcpu, 1, idx);
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[0] == idx && uc.args[1] == mpidr,
			    "vCPU %lu: guest saw idx %lu MPIDR 0x%lx, host MPIDR 0x%lx",
			    idx, uc.args[0], uc.args[1], mpidr);
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("vCPU %lu: unexpected exit %s", idx,
			  exit_reason_str(vcpu->run->exit_reason));
	}
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

static void help(const char *name)
{
	printf("usage: %s [-n nr_vcpus]\n"
	       " -n: number of vCPUs (default: KVM_CAP_MAX_VCPUS)\n", name);
	exit(KSFT_SKIP);
}

int main(int argc, char *argv[])
{
	unsigned int nr_vcpus = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	double t0, t_create, t_vgic, t_run;
	struct kvm_vcpu **vcpus;
	struct kvm_vm *vm;
	unsigned int i;
	int opt, gic_fd;

	while ((opt = getopt(argc, argv, "hn:")) != -1) {
		switch (opt) {
		case 'n':
			nr_vcpus = atoi_positive("Number of vCPUs", optarg);
			break;
		default:
			help(argv[0]);
		}
	}
	TEST_REQUIRE(nr_vcpus <= KVM_MAX_VCPUS);
	TEST_REQUIRE(nr_vcpus <= kvm_check_cap(KVM_CAP_MAX_VCPUS));

	ksft_print_header();
	ksft_set_plan(1);

	vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	TEST_ASSERT(vcpus, "calloc(%u vCPUs)", nr_vcpus);

	t0 = now();
	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	t_create = now() - t0;

	t0 = now();
	gic_fd = vgic_v3_setup(vm, nr_vcpus, NR_IRQS);
	__TEST_REQUIRE(gic_fd >= 0, "Failed to create a vgic-v3");
	t_vgic = now() - t0;

	t0 = now();
	for (i = 0; i < nr_vcpus; i++)
		run_once(vcpus[i], i);
	t_run = now() - t0;

	ksft_print_msg("vcpus=%u create=%.3fs vgic=%.3fs run=%.3fs\n",
		       nr_vcpus, t_create, t_vgic, t_run);
	ksft_test_result_pass("%u vCPUs with a GICv3 ran once each\n", nr_vcpus);

	close(gic_fd);
	kvm_vm_free(vm);
	free(vcpus);
	ksft_finished();
}
