// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm_ext.c - entry points of the KVM/arm64 scalability extension.
 *
 * Owns the extension's capabilities (KVM_CHECK_EXTENSION) and the dispatch
 * of its VM and vCPU ioctls, all declared in include/uapi/linux/kvm_arm_ext.h.
 * The work is done by the file that owns each feature: mpidr_user.c for the
 * user-defined topology, vcpu_park.c for parked vCPUs.  A VM's IPA size is
 * answered here: it is the VM's stage-2 input size, set at creation.
 */

#include <linux/kvm_host.h>
#include <asm/kvm_mmu.h>
#include <uapi/linux/kvm_arm_ext.h>

#include "vgic/vgic.h"

/**
 * kvm_arm_ext_check_extension() - Answer KVM_CHECK_EXTENSION for the extension.
 * @kvm:	the VM, or NULL when asked on /dev/kvm
 * @ext:	the capability
 *
 * Return: the capability's value, 0 for one the extension does not own.
 */
int kvm_arm_ext_check_extension(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_ARM_MPIDR_USER:
		return KVM_MAX_VCPUS;
	case KVM_CAP_ARM_VCPU_PARK:
		return 1;
	case KVM_CAP_ARM_VM_IPA_BITS:
		return kvm ? kvm_phys_shift(&kvm->arch.mmu) : get_kvm_ipa_limit();
	case KVM_CAP_ARM_VGIC_RDIST_REGIONS:
		return KVM_VGIC_V3_RDIST_INDEX_MASK + 1;
	default:
		return 0;
	}
}

/**
 * kvm_arm_ext_vm_ioctl() - Run one of the extension's VM ioctls.
 * @kvm:	the VM
 * @ioctl:	the ioctl number
 * @arg:	its argument
 *
 * Return: the ioctl's result, -EINVAL for an ioctl that is not the
 * extension's (what KVM answers for an unknown VM ioctl).
 */
long kvm_arm_ext_vm_ioctl(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_ARM_SET_MPIDRS:
		return kvm_mpidr_set_batch(kvm, argp);
	default:
		return -EINVAL;
	}
}

/**
 * kvm_arm_ext_vcpu_ioctl() - Run one of the extension's vCPU ioctls.
 * @vcpu:	the vCPU, its mutex held
 * @ioctl:	the ioctl number
 * @arg:	its argument
 *
 * Return: the ioctl's result; -EINVAL for an argument other than 0, or an
 * ioctl that is not the extension's.
 */
long kvm_arm_ext_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl,
			    unsigned long arg)
{
	switch (ioctl) {
	case KVM_ARM_VCPU_PARK:
		return arg ? -EINVAL : kvm_arm_vcpu_park(vcpu);
	case KVM_ARM_VCPU_UNPARK:
		return arg ? -EINVAL : kvm_arm_vcpu_unpark(vcpu);
	case KVM_ARM_VCPU_PARKED:
		return arg ? -EINVAL : kvm_arm_vcpu_parked(vcpu);
	default:
		return -EINVAL;
	}
}
