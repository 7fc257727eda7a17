// SPDX-License-Identifier: GPL-2.0
/*
 * vgic_scale_irqs - interrupt delivery in a GICv3 VM at scale.
 *
 * A VM as large as the kernel allows (or -n vCPUs), its redistributors
 * over three regions.  The receivers are the first and last vCPU of each
 * region (vCPU 1 stands in for vCPU 0, the sender) and the VM's last vCPU;
 * the neighbours are the vCPUs just before each receiver.  Receivers and
 * neighbours bring up their GIC CPU interface and unmask interrupts; vCPU 0
 * then sends an SGI to every receiver by affinity (ICC_SGI1R_EL1) and
 * routes an edge SPI to the last vCPU (GICD_IROUTER), which userspace
 * raises with KVM_IRQ_LINE, and maps an LPI to the last vCPU through the
 * ITS (MAPC to its processor number), which userspace signals with
 * KVM_SIGNAL_MSI.  Each receiver must have taken exactly its SGI (and the
 * last vCPU its SPI and its LPI), each neighbour nothing.
 *
 * With -i BITS the VM has an IPA of BITS bits (at least 40), and the
 * redistributor regions and the ITS sit 512 GiB below its top (above 2^48
 * in a 52-bit VM), each mapped in the guest at its usual address.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kvm_util.h"
#include "gic.h"
#include "gic_v3.h"
#include "processor.h"
#include "test_util.h"
#include "gic_v3_its.h"
#include "vgic.h"
#include "vgic_rdist.h"

#define NR_IRQS		64
#define SGI_ID		5
#define SPI_ID		(MIN_SPI + 7)
#define MAX_TARGETS	(2 * VGIC_RDIST_MAX_REGIONS + 1)
#define LPI_ID		8192
#define ITS_MEMSLOT	1
#define ITS_MEM_GPA	(2ULL * SZ_1G)
/* With -i: the GIC frames but the distributor move this far below the top. */
#define HIGH_SPAN	(512ULL * SZ_1G)

/* The ITS's tables, each 64 KiB, in a memslot of their own. */
enum { ITS_DEV, ITS_COLL, ITS_CMDQ, ITS_ITT, ITS_PROP, ITS_PEND, NR_ITS_TABLES };

enum role { ROLE_SENDER = 1, ROLE_RECEIVER, ROLE_NEIGHBOUR };
enum stage { STAGE_READY = 1, STAGE_SENT, STAGE_TOOK };

/* Shared with the guest. */
static u32 nr_vcpus_g, nr_targets_g;
static u64 target_mpidr_g[MAX_TARGETS];
static u64 spi_target_mpidr_g;
static u32 lpi_target_g;
static u32 sgi_seen[GICV3_MAX_CPUS], spi_seen[GICV3_MAX_CPUS], other_seen[GICV3_MAX_CPUS];
static u32 lpi_seen[GICV3_MAX_CPUS];

static void guest_irq_handler(struct ex_regs *regs)
{
	u32 intid = gic_get_and_ack_irq();
	u32 cpu = guest_get_vcpuid();

	if (intid == IAR_SPURIOUS)
		return;
	if (intid == SGI_ID)
		WRITE_ONCE(sgi_seen[cpu], READ_ONCE(sgi_seen[cpu]) + 1);
	else if (intid == SPI_ID)
		WRITE_ONCE(spi_seen[cpu], READ_ONCE(spi_seen[cpu]) + 1);
	else if (intid == LPI_ID)
		WRITE_ONCE(lpi_seen[cpu], READ_ONCE(lpi_seen[cpu]) + 1);
	else
		WRITE_ONCE(other_seen[cpu], READ_ONCE(other_seen[cpu]) + 1);
	gic_set_eoi(intid);
}

static u64 its_table(int t)
{
	return ITS_MEM_GPA + t * SZ_64K;
}

/* Map event 0 of device 0 to LPI_ID on the last vCPU. */
static void guest_map_lpi(void)
{
	void *cmdq = (void *)its_table(ITS_CMDQ);

	its_init(its_table(ITS_COLL), SZ_64K, its_table(ITS_DEV), SZ_64K,
		 its_table(ITS_CMDQ), SZ_64K);
	its_send_mapc_cmd(cmdq, lpi_target_g, 0, true);
	its_send_mapd_cmd(cmdq, 0, its_table(ITS_ITT), SZ_64K, true);
	its_send_mapti_cmd(cmdq, 0, 0, 0, LPI_ID);
	its_send_invall_cmd(cmdq, 0);
}

static void guest_code(u64 role)
{
	u32 cpu = guest_get_vcpuid();
	u64 target = spi_target_mpidr_g;
	unsigned int i;

	gic_init(GIC_V3, nr_vcpus_g);
	gic_irq_enable(SGI_ID);

	if (role == ROLE_SENDER) {
		gic_irq_set_config(SPI_ID, true);
		writeq_relaxed((target & 0xffffff) | ((target >> 8) & 0xff00000000ULL),
			       GICD_BASE_GVA + GICD_IROUTER + SPI_ID * 8);
		gic_irq_enable(SPI_ID);
		for (i = 0; i < nr_targets_g; i++)
			vgic_scale_send_sgi(target_mpidr_g[i], SGI_ID, false);
		guest_map_lpi();
		GUEST_SYNC(STAGE_SENT);
		GUEST_DONE();
	}

	if (cpu == lpi_target_g)
		gic_rdist_enable_lpis(its_table(ITS_PROP), SZ_64K,
				      its_table(ITS_PEND));
	local_irq_enable();
	GUEST_SYNC(STAGE_READY);
	/* Back from the host: whatever is pending is taken by now. */
	for (i = 0; i < 1000; i++)
		cpu_relax();
	local_irq_disable();
	GUEST_SYNC_ARGS(STAGE_TOOK, READ_ONCE(sgi_seen[cpu]),
			READ_ONCE(spi_seen[cpu]), READ_ONCE(lpi_seen[cpu]),
			READ_ONCE(other_seen[cpu]));
	GUEST_DONE();
}

/* Where the ITS is: GITS_BASE_GPA, or that far below the top with -i. */
static u64 its_gpa = GITS_BASE_GPA;

/*
 * The ITS's memory, its LPI configuration, and the ITS itself, mapped in
 * the guest at GITS_BASE_GVA wherever it is.
 */
static int setup_its(struct kvm_vm *vm)
{
	unsigned int pages = NR_ITS_TABLES * SZ_64K / vm->page_size;
	int its_fd;
	u8 *prop;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ITS_MEM_GPA,
				    ITS_MEMSLOT, pages, 0);
	virt_map(vm, ITS_MEM_GPA, ITS_MEM_GPA, pages);
	prop = addr_gpa2hva(vm, its_table(ITS_PROP));
	prop[LPI_ID - 8192] = 0xa0 | LPI_PROP_GROUP1 | LPI_PROP_ENABLED;
	if (its_gpa == GITS_BASE_GPA)
		return vgic_its_setup(vm);

	its_fd = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS);
	kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_ITS_ADDR_TYPE, &its_gpa);
	kvm_device_attr_set(its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			    KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	virt_map(vm, (u64)GITS_BASE_GVA, its_gpa,
		 vm_calc_num_guest_pages(vm->mode, KVM_VGIC_V3_ITS_SIZE));
	return its_fd;
}

static void signal_lpi(struct kvm_vm *vm)
{
	u64 db = its_gpa + GITS_TRANSLATER;
	struct kvm_msi msi = {
		.address_lo	= db,
		.address_hi	= db >> 32,
		.data		= 0,
		.devid		= 0,
		.flags		= KVM_MSI_VALID_DEVID,
	};

	/* 1: delivered, as the ITS has a translation for it */
	TEST_ASSERT(__vm_ioctl(vm, KVM_SIGNAL_MSI, &msi) == 1,
		    "KVM_SIGNAL_MSI: errno %d", errno);
}

static u64 mpidr_of(struct kvm_vcpu *vcpu)
{
	u64 mpidr;

	vcpu_get_reg(vcpu, KVM_ARM64_SYS_REG(SYS_MPIDR_EL1), &mpidr);
	return mpidr;
}

int main(int argc, char *argv[])
{
	unsigned int nr_vcpus = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	unsigned int receivers[MAX_TARGETS], neighbours[MAX_TARGETS];
	unsigned int nr_rx = 0, nr_nb = 0, first = 0, i, r;
	struct vm_shape shape = VM_SHAPE_DEFAULT;
	struct vgic_rdist_layout layout;
	unsigned int ipa = 0, ipa_limit;
	struct kvm_vcpu **vcpus;
	struct kvm_vm *vm;
	struct ucall uc;
	int opt, gic_fd, its_fd;

	while ((opt = getopt(argc, argv, "hi:n:")) != -1) {
		switch (opt) {
		case 'i':
			ipa = atoi_positive("IPA bits", optarg);
			break;
		case 'n':
			nr_vcpus = atoi_positive("Number of vCPUs", optarg);
			break;
		default:
			printf("usage: %s [-n nr_vcpus] [-i ipa_bits]\n", argv[0]);
			/* -h asks for this; any other option is a usage error */
			exit(opt == 'h' ? 0 : KSFT_FAIL);
		}
	}
	if (ipa) {
		ipa_limit = kvm_check_cap(KVM_CAP_ARM_VM_IPA_SIZE);
		TEST_ASSERT(ipa >= 40, "-i: at least 40 bits");
		__TEST_REQUIRE(ipa <= ipa_limit, "a %u-bit IPA: the host allows %u bits",
			       ipa, ipa_limit);
		shape = VM_SHAPE(aarch64_mode_for_ipa(ipa));
		shape.type = ipa;
		its_gpa += (1ULL << ipa) - HIGH_SPAN;
	}
	__TEST_REQUIRE(nr_vcpus <= kvm_check_cap(KVM_CAP_MAX_VCPUS),
		       "%u vCPUs: the kernel allows %d", nr_vcpus,
		       kvm_check_cap(KVM_CAP_MAX_VCPUS));
	TEST_REQUIRE(nr_vcpus >= 8);
	vgic_rdist_layout_vmm(&layout, nr_vcpus);
	if (ipa)
		vgic_rdist_layout_move(&layout, (1ULL << ipa) - HIGH_SPAN);

	/* Receivers: both ends of each region; neighbours: just before them. */
	for (r = 0; r < layout.nr_regions; r++) {
		unsigned int lo = first ? first : 1;
		unsigned int hi = first + layout.region[r].count - 1;

		receivers[nr_rx++] = lo;
		if (hi != lo)
			receivers[nr_rx++] = hi;
		if (hi - 1 > lo)
			neighbours[nr_nb++] = hi - 1;
		first += layout.region[r].count;
	}

	ksft_print_header();
	ksft_set_plan(1);
	vgic_scale_raise_nofile(nr_vcpus);
	vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	TEST_ASSERT(vcpus, "calloc");
	vm = __vm_create_with_vcpus(shape, nr_vcpus,
				    vgic_rdist_layout_pages(&layout),
				    guest_code, vcpus);
	gic_fd = vgic_v3_setup_layout(vm, nr_vcpus, NR_IRQS, &layout);
	its_fd = setup_its(vm);
	vm_init_descriptor_tables(vm);
	vm_install_exception_handler(vm, VECTOR_IRQ_CURRENT, guest_irq_handler);

	nr_vcpus_g = nr_vcpus;
	nr_targets_g = nr_rx;
	for (i = 0; i < nr_rx; i++)
		target_mpidr_g[i] = mpidr_of(vcpus[receivers[i]]);
	spi_target_mpidr_g = mpidr_of(vcpus[nr_vcpus - 1]);
	lpi_target_g = nr_vcpus - 1;
	sync_global_to_guest(vm, nr_vcpus_g);
	sync_global_to_guest(vm, nr_targets_g);
	sync_global_to_guest(vm, target_mpidr_g);
	sync_global_to_guest(vm, spi_target_mpidr_g);
	sync_global_to_guest(vm, lpi_target_g);

	/* Receivers and neighbours get ready, then vCPU 0 sends. */
	for (i = 0; i < nr_rx + nr_nb; i++) {
		struct kvm_vcpu *v = vcpus[i < nr_rx ? receivers[i] : neighbours[i - nr_rx]];

		vcpu_init_descriptor_tables(v);
		vcpu_args_set(v, 1, i < nr_rx ? ROLE_RECEIVER : ROLE_NEIGHBOUR);
		vgic_scale_run_to(v, STAGE_READY, &uc);
	}
	vcpu_init_descriptor_tables(vcpus[0]);
	vcpu_args_set(vcpus[0], 1, ROLE_SENDER);
	vgic_scale_run_to(vcpus[0], STAGE_SENT, &uc);
	kvm_arm_irq_line(vm, SPI_ID, 1);
	kvm_arm_irq_line(vm, SPI_ID, 0);
	signal_lpi(vm);

	for (i = 0; i < nr_rx + nr_nb; i++) {
		unsigned int idx = i < nr_rx ? receivers[i] : neighbours[i - nr_rx];
		u64 want_sgi = i < nr_rx, want_last = idx == nr_vcpus - 1;

		vgic_scale_run_to(vcpus[idx], STAGE_TOOK, &uc);
		TEST_ASSERT(uc.args[2] == want_sgi && uc.args[3] == want_last &&
			    uc.args[4] == want_last && !uc.args[5],
			    "vCPU %u %s: SGI/SPI/LPI/other %lu/%lu/%lu/%lu, want %lu/%lu/%lu/0",
			    idx, i < nr_rx ? "receiver" : "neighbour", uc.args[2],
			    uc.args[3], uc.args[4], uc.args[5], want_sgi, want_last,
			    want_last);
		vcpu_run(vcpus[idx]);
		TEST_ASSERT_EQ(get_ucall(vcpus[idx], &uc), UCALL_DONE);
	}
	vcpu_run(vcpus[0]);
	TEST_ASSERT_EQ(get_ucall(vcpus[0], &uc), UCALL_DONE);

	ksft_print_msg("%u vCPUs: SGIs to %u receivers over %u regions, LPI and SPI to vCPU %u\n",
		       nr_vcpus, nr_rx, layout.nr_regions, nr_vcpus - 1);
	ksft_print_msg("%u-bit IPA: redistributor regions from 0x%lx, ITS at 0x%lx\n",
		       vm->pa_bits, layout.region[0].base, its_gpa);
	ksft_test_result_pass("interrupts reached exactly their targets, none the %u neighbours\n",
			      nr_nb);
	close(its_fd);
	close(gic_fd);
	kvm_vm_free(vm);
	free(vcpus);
	ksft_finished();
}
