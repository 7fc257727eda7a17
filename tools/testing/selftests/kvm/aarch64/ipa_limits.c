// SPDX-License-Identifier: GPL-2.0
/*
 * ipa_limits - a VM's IPA size, read back and honoured by every address.
 *
 * For every IPA size from 32 bits to the host's limit:
 *  - KVM_CAP_ARM_VM_IPA_BITS on the VM returns it (40 for type 0), on
 *    /dev/kvm the limit (as KVM_CAP_ARM_VM_IPA_SIZE);
 *  - a memslot ending at the very top of the space is touched by the guest
 *    (written by the guest, read back by the host, and the other way), and
 *    above 48 bits with 64K guest pages as well when the CPU has FEAT_LPA;
 *  - each object KVM takes an address for is refused, with its errno, when
 *    it lies beyond the top or straddles it, and nothing is registered: a
 *    memslot (-EFAULT), the distributor, the legacy redistributor region,
 *    a redistributor region and an ITS (-E2BIG); the same object ending
 *    exactly at the top is accepted;
 *  - the legacy region grows with each new vCPU, as it always did: a vCPU
 *    whose frame crosses the top is created, and the first KVM_RUN fails
 *    with -EINVAL.
 * A VM one bit larger than the limit, or smaller than 32 bits, is refused
 * with -EINVAL.
 */
#include <linux/kvm_arm_ext.h>
#include <linux/sizes.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "vgic.h"
#include "vgic_rdist.h"

#define TOP_SLOT	1
#define TOP_SIZE	SZ_2M
#define TOP_GVA		BIT_ULL(46)
#define GUEST_WORD	0x6a6b766d69706121ULL
#define HOST_WORD	0x686f737421ULL

/* The last page of the top memslot, as the guest sees it. */
static u64 last_page_gva;
static u64 page_size_g;

static void guest_code(void)
{
	u64 *first = (u64 *)TOP_GVA;
	u64 *last = (u64 *)(last_page_gva + page_size_g - sizeof(u64));

	WRITE_ONCE(*first, GUEST_WORD);
	WRITE_ONCE(*last, ~GUEST_WORD);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(READ_ONCE(*first), HOST_WORD);
	GUEST_ASSERT_EQ(READ_ONCE(*last), ~HOST_WORD);
	GUEST_DONE();
}

static unsigned int ipa_bits_of(struct kvm_vm *vm)
{
	return vm_check_cap(vm, KVM_CAP_ARM_VM_IPA_BITS);
}

static struct kvm_vm *vm_in_mode(enum vm_guest_mode mode, unsigned int ipa,
				 struct kvm_vcpu **vcpu)
{
	struct vm_shape shape = VM_SHAPE(mode);

	shape.type = ipa;
	return vm_create_shape_with_one_vcpu(shape, vcpu, guest_code);
}

/* -errno of KVM_SET_USER_MEMORY_REGION for a slot of @size at @gpa */
static int try_memslot(struct kvm_vm *vm, u32 slot, u64 gpa, u64 size, void *hva)
{
	int ret = __vm_set_user_memory_region(vm, slot, 0, gpa, size, hva);

	return ret ? -errno : 0;
}

/*
 * A memslot at the top of a @ipa-bit VM, touched both ways; memslots
 * beyond the top or straddling it refused with -EFAULT.
 */
static struct kvm_vm *vm_with_ipa(unsigned int ipa, struct kvm_vcpu **vcpu)
{
	return vm_in_mode(aarch64_mode_for_ipa(ipa), ipa, vcpu);
}

static void test_top_memslot(enum vm_guest_mode mode, unsigned int ipa)
{
	u64 top = 1ULL << ipa, gpa = top - TOP_SIZE;
	u64 host_page = getpagesize();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u64 *first, *last;
	void *mem;

	vm = vm_in_mode(mode, ipa, &vcpu);
	TEST_ASSERT_EQ(ipa_bits_of(vm), ipa);
	TEST_ASSERT_EQ(vm->pa_bits, ipa);

	mem = mmap(NULL, 2 * TOP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	TEST_ASSERT_EQ(try_memslot(vm, TOP_SLOT, top, TOP_SIZE, mem), -EFAULT);
	TEST_ASSERT_EQ(try_memslot(vm, TOP_SLOT, gpa + host_page, TOP_SIZE, mem), -EFAULT);
	TEST_ASSERT_EQ(try_memslot(vm, TOP_SLOT, gpa, 2 * TOP_SIZE, mem), -EFAULT);
	/* Nothing registered: the slot is free, and a slot past the top too. */
	TEST_ASSERT_EQ(try_memslot(vm, TOP_SLOT + 1, top - host_page, 2 * host_page, mem),
		       -EFAULT);
	munmap(mem, 2 * TOP_SIZE);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, gpa, TOP_SLOT,
				    TOP_SIZE / vm->page_size, 0);
	virt_map(vm, TOP_GVA, gpa, TOP_SIZE / vm->page_size);
	last_page_gva = TOP_GVA + TOP_SIZE - vm->page_size;
	page_size_g = vm->page_size;
	sync_global_to_guest(vm, last_page_gva);
	sync_global_to_guest(vm, page_size_g);

	first = addr_gpa2hva(vm, gpa);
	last = addr_gpa2hva(vm, top - sizeof(u64));
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(*first == GUEST_WORD && *last == ~GUEST_WORD,
		    "%u-bit IPA: the guest's words at 0x%lx and 0x%lx are 0x%lx, 0x%lx",
		    ipa, gpa, top - 8, *first, *last);
	*first = HOST_WORD;
	*last = ~HOST_WORD;
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		TEST_FAIL("%u-bit IPA: unexpected ucall %lu", ipa, uc.cmd);
	}
	kvm_vm_free(vm);
}

static int try_addr(int fd, u64 attr, u64 addr)
{
	return __kvm_device_attr_set(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, attr, &addr) ? -errno : 0;
}

static u64 get_addr(int fd, u64 attr)
{
	u64 addr;

	kvm_device_attr_get(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, attr, &addr);
	return addr;
}

static void expect(int ret, int want, const char *what, unsigned int ipa)
{
	TEST_ASSERT(ret == want, "%u-bit IPA: %s: %d (%s), want %d",
		    ipa, what, ret, ret ? strerror(-ret) : "success", want);
}

/* Distributor, legacy redistributor region and ITS: beyond or straddling. */
static void test_gic_frames(unsigned int ipa)
{
	const u64 undef = ~0ULL, top = 1ULL << ipa;
	const u64 rdist = KVM_VGIC_V3_REDIST_SIZE;
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	int gic, its;

	vm = vm_with_ipa(ipa, &vcpus[0]);
	vcpus[1] = vm_vcpu_add(vm, 1, guest_code);
	gic = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);

	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_DIST, top), -E2BIG,
	       "distributor at the top", ipa);
	TEST_ASSERT_EQ(get_addr(gic, KVM_VGIC_V3_ADDR_TYPE_DIST), undef);
	/* Two vCPUs: the legacy region is two frames. */
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST, top - rdist), -E2BIG,
	       "legacy region of 2 with room for 1", ipa);
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST, top), -E2BIG,
	       "legacy region at the top", ipa);
	TEST_ASSERT_EQ(get_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST), undef);
	/* Nothing registered: a region index 0 can still be added. */
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
			vgic_rdist_region_attr(top - rdist, 2, 0)), -E2BIG,
	       "region of 2 with room for 1", ipa);
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
			vgic_rdist_region_attr(top - SZ_64K, 1, 0)), -E2BIG,
	       "region of 1 with half a frame of room", ipa);
	/* The attribute's base is bits 51:16: 2^52 cannot be said. */
	if (ipa < 52)
		expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				vgic_rdist_region_attr(top, 1, 0)), -E2BIG,
		       "region at the top", ipa);
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
			vgic_rdist_region_attr(top - 2 * rdist, 2, 0)), 0,
	       "region of 2 ending at the top", ipa);
	/* Straddling and overlapping region 0: the IPA is checked first. */
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
			vgic_rdist_region_attr(top - rdist, 2, 1)), -E2BIG,
	       "region straddling the top over region 0", ipa);
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_DIST, top - KVM_VGIC_V3_DIST_SIZE - 2 * rdist),
	       0, "distributor just below the regions", ipa);

	its = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_ITS);
	expect(try_addr(its, KVM_VGIC_ITS_ADDR_TYPE, top - SZ_64K), -E2BIG,
	       "ITS straddling the top", ipa);
	expect(try_addr(its, KVM_VGIC_ITS_ADDR_TYPE, top), -E2BIG, "ITS at the top", ipa);
	TEST_ASSERT_EQ(get_addr(its, KVM_VGIC_ITS_ADDR_TYPE), undef);
	expect(try_addr(its, KVM_VGIC_ITS_ADDR_TYPE, top - SZ_1M), 0,
	       "ITS below the top", ipa);
	kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	close(its);
	close(gic);
	kvm_vm_free(vm);
}

/*
 * The legacy region set before the vCPUs, with room for two: a third vCPU,
 * whose frame crosses the top, is created as it always was, the region stays
 * where it was set, and the first KVM_RUN fails with -EINVAL.
 */
static void test_legacy_growth(unsigned int ipa)
{
	const u64 top = 1ULL << ipa, rdist = KVM_VGIC_V3_REDIST_SIZE;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int gic, ret;

	vm = vm_with_ipa(ipa, &vcpu);
	gic = kvm_create_device(vm, KVM_DEV_TYPE_ARM_VGIC_V3);
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_DIST, SZ_1G), 0, "distributor", ipa);
	expect(try_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST, top - 2 * rdist), 0,
	       "legacy region with room for 2", ipa);
	vm_vcpu_add(vm, 1, guest_code);
	vm_vcpu_add(vm, 2, guest_code);
	TEST_ASSERT_EQ(get_addr(gic, KVM_VGIC_V3_ADDR_TYPE_REDIST), top - 2 * rdist);
	kvm_device_attr_set(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	ret = __vcpu_run(vcpu);
	TEST_ASSERT(ret < 0 && errno == EINVAL,
		    "%u-bit IPA: first run with a frame past the top: %d errno %d, want EINVAL",
		    ipa, ret, errno);
	close(gic);
	kvm_vm_free(vm);
}

static void test_creation(unsigned int limit)
{
	int kvm_fd = open_kvm_dev_path_or_exit();
	int fd;

	fd = __kvm_ioctl(kvm_fd, KVM_CREATE_VM, (void *)(unsigned long)(limit + 1));
	TEST_ASSERT(fd < 0 && errno == EINVAL,
		    "a VM of %u bits, one more than the limit: %d errno %d", limit + 1, fd, errno);
	fd = __kvm_ioctl(kvm_fd, KVM_CREATE_VM, (void *)31UL);
	TEST_ASSERT(fd < 0 && errno == EINVAL, "a VM of 31 bits: %d errno %d", fd, errno);
	fd = __kvm_ioctl(kvm_fd, KVM_CREATE_VM, (void *)0UL);
	TEST_ASSERT(fd >= 0, "a VM of type 0: errno %d", errno);
	TEST_ASSERT_EQ(__kvm_ioctl(fd, KVM_CHECK_EXTENSION, (void *)KVM_CAP_ARM_VM_IPA_BITS), 40);
	close(fd);
	close(kvm_fd);
}

int main(int argc, char *argv[])
{
	unsigned int limit, ipa, nr_64k = 0;
	u32 ipa4k, ipa16k, ipa64k;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ARM_VM_IPA_BITS));
	limit = kvm_check_cap(KVM_CAP_ARM_VM_IPA_SIZE);
	TEST_REQUIRE(limit >= 32);
	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_ARM_VM_IPA_BITS), limit);

	ksft_print_header();
	ksft_set_plan(4);
	ksft_print_msg("host pages %d KiB, IPA limit %u bits, %u-bit guests in mode %s\n",
		       getpagesize() / 1024, limit, limit,
		       vm_guest_mode_string(aarch64_mode_for_ipa(limit)));
	test_creation(limit);
	ksft_test_result_pass("type 0 is 40 bits; %u and 31 bits refused (EINVAL)\n", limit + 1);

	aarch64_get_supported_page_sizes(limit, &ipa4k, &ipa16k, &ipa64k);
	for (ipa = 32; ipa <= limit; ipa++) {
		test_top_memslot(aarch64_mode_for_ipa(ipa), ipa);
		/* Above 48 bits, the guest's 64K granule too (FEAT_LPA). */
		if (ipa > 48 && ipa64k >= 52 &&
		    aarch64_mode_for_ipa(ipa) != VM_MODE_P52V48_64K) {
			test_top_memslot(VM_MODE_P52V48_64K, ipa);
			nr_64k++;
		}
	}
	ksft_test_result_pass("32..%u-bit IPAs (%u with 64K guest pages too): top touched\n",
			      limit, nr_64k);
	for (ipa = 32; ipa <= limit; ipa++)
		test_gic_frames(ipa);
	ksft_test_result_pass("GIC frames beyond or straddling the top refused (E2BIG)\n");
	for (ipa = 32; ipa <= limit; ipa++)
		test_legacy_growth(ipa);
	ksft_test_result_pass("a vCPU growing the legacy region past the top refused (E2BIG)\n");
	ksft_finished();
}
