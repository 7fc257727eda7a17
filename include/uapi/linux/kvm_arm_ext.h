/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvm_arm_ext.h - userspace ABI of the KVM/arm64 scalability extension.
 *
 * Capabilities, ioctls and structures a VMM uses on top of <linux/kvm.h>:
 * user-defined vCPU topology (batch MPIDR setting), vCPU hotplug (parked
 * vCPUs), reading back a VM's IPA size, and telling that the GICv3
 * redistributor regions are those of the extension.  Semantics and errors
 * are in Documentation/virt/kvm/arm-scalability.rst.
 *
 * The capability and ioctl numbers are provisional: capabilities live in a
 * range of their own, far above the generic ones, and the ioctls use KVMIO
 * numbers that no kernel of this series defines.
 */
#ifndef _UAPI_LINUX_KVM_ARM_EXT_H
#define _UAPI_LINUX_KVM_ARM_EXT_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The ioctl type of KVM, as KVMIO in <linux/kvm.h> */
#define KVM_ARM_EXT_IO			0xAE

/* KVM_CHECK_EXTENSION, on the /dev/kvm or a VM file descriptor */
#define KVM_CAP_ARM_EXT_BASE		0x10000
/* > 0: KVM_ARM_SET_MPIDRS exists; the value is the most entries per call */
#define KVM_CAP_ARM_MPIDR_USER		(KVM_CAP_ARM_EXT_BASE + 0)
/* 1: KVM_ARM_VCPU_PARK, KVM_ARM_VCPU_UNPARK and KVM_ARM_VCPU_PARKED exist */
#define KVM_CAP_ARM_VCPU_PARK		(KVM_CAP_ARM_EXT_BASE + 1)
/*
 * On a VM: the VM's IPA size in bits, as chosen by KVM_CREATE_VM (40 for
 * type 0).  On /dev/kvm: the largest IPA size a VM may have, as
 * KVM_CAP_ARM_VM_IPA_SIZE.
 */
#define KVM_CAP_ARM_VM_IPA_BITS		(KVM_CAP_ARM_EXT_BASE + 2)
/*
 * > 0: GICv3 redistributor regions as this extension handles them (up to
 * KVM_CAP_MAX_VCPUS vCPUs, each region one MMIO bus device, regions added
 * once the vgic is ready refused with -EBUSY); the value is the number of
 * region indices, 4096 (all of KVM_VGIC_V3_RDIST_INDEX_MASK).
 */
#define KVM_CAP_ARM_VGIC_RDIST_REGIONS	(KVM_CAP_ARM_EXT_BASE + 3)

/* One vCPU's MPIDR_EL1, as KVM_ARM_SET_MPIDRS takes it */
struct kvm_arm_mpidr_entry {
	__u32 vcpu_id;		/* as given to KVM_CREATE_VCPU */
	__u32 reserved;		/* must be 0 */
	__u64 mpidr;		/* the MPIDR_EL1 value, RES1 bit 31 set */
};

struct kvm_arm_mpidrs {
	__u32 nr_entries;	/* 1 .. KVM_CHECK_EXTENSION(KVM_CAP_ARM_MPIDR_USER) */
	__u32 flags;		/* must be 0 */
	struct kvm_arm_mpidr_entry entries[];
};

/* VM ioctl: set the MPIDR_EL1 of several vCPUs at once, checked as a whole */
#define KVM_ARM_SET_MPIDRS		_IOW(KVM_ARM_EXT_IO, 0xf0, struct kvm_arm_mpidrs)

/*
 * vCPU ioctls, argument 0.  PARK makes a vCPU absent (powered off, cannot
 * run, refused by PSCI CPU_ON, deaf to SGIs), UNPARK present again (powered
 * off); PARKED returns 1 for a parked vCPU, 0 otherwise.
 */
#define KVM_ARM_VCPU_PARK		_IO(KVM_ARM_EXT_IO, 0xf1)
#define KVM_ARM_VCPU_UNPARK		_IO(KVM_ARM_EXT_IO, 0xf2)
#define KVM_ARM_VCPU_PARKED		_IO(KVM_ARM_EXT_IO, 0xf3)

#endif /* _UAPI_LINUX_KVM_ARM_EXT_H */
