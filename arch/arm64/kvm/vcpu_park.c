// SPDX-License-Identifier: GPL-2.0-only
/*
 * vcpu_park.c - parked vCPUs, for vCPU hotplug.
 *
 * On arm64 every possible vCPU exists before the GIC is initialised, so a
 * VMM offering vCPU hotplug creates them all at boot and keeps the absent
 * ones parked (KVM_ARM_VCPU_PARK).  A parked vCPU is powered off and stays
 * so: KVM_RUN fails (-ENODEV), the guest's PSCI CPU_ON for it is answered
 * DENIED in the kernel, and the SGIs sent to it are dropped (any pending
 * when it is parked too, in the vPE as well with GICv4.1), so that nothing
 * stale is pending when it is unparked (KVM_ARM_VCPU_UNPARK), powered off,
 * for the guest to CPU_ON it.  It stays powered off until then:
 * KVM_SET_MP_STATE and KVM_ARM_VCPU_INIT cannot power it on (-EBUSY), so
 * KVM_GET_MP_STATE and the guest's PSCI AFFINITY_INFO report it off.
 *
 * Two writes still make an SGI pending on a parked vCPU, as on any
 * powered-off one: a guest write to its GICR_ISPENDR0, and userspace's
 * (KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, a restore).  It is taken once the
 * vCPU is unparked and started.
 *
 * The parked flag is written under the vCPU's mp_state_lock, which PSCI
 * CPU_ON holds while it checks it, so a start and a park never cross; the
 * SGI path reads it under each SGI's irq_lock, which parking takes to drop
 * what is pending.  The ioctls run under the vCPU's mutex: the vCPU is not
 * running.
 */

#include <linux/interrupt.h>
#include <linux/kvm_host.h>

#include <asm/kvm_emulate.h>

#include "vgic/vgic.h"

/*
 * Drop the SGIs pending on @vcpu; later ones sent by the guest see it
 * parked.  With GICv4.1 an SGI the vPE takes directly (irq->hw) keeps its
 * pending state in the vPE, not in pending_latch: the GIC is asked to
 * clear it there, as a guest write to GICR_ICPENDR0 does.
 */
static void vcpu_park_drop_sgis(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	unsigned long flags;
	u32 intid;

	if (!irqchip_in_kernel(kvm) || !vcpu->arch.vgic_cpu.private_irqs)
		return;

	for (intid = 0; intid < VGIC_NR_SGIS; intid++) {
		struct vgic_irq *irq = vgic_get_irq(kvm, vcpu, intid);

		raw_spin_lock_irqsave(&irq->irq_lock, flags);
		if (irq->hw) {
			int err = irq_set_irqchip_state(irq->host_irq,
							IRQCHIP_STATE_PENDING,
							false);

			WARN_RATELIMIT(err, "IRQ %d", irq->host_irq);
		}
		irq->pending_latch = false;
		irq->source = 0;
		raw_spin_unlock_irqrestore(&irq->irq_lock, flags);
		vgic_put_irq(kvm, irq);
	}
}

/**
 * kvm_arm_vcpu_park() - KVM_ARM_VCPU_PARK: make a vCPU absent.
 * @vcpu:	the vCPU, its mutex held
 *
 * Only a vCPU that is powered off, or has never run and has no PSCI CPU_ON
 * pending, can be parked: a start the guest was told succeeded is never
 * lost.
 *
 * Return: 0; -EALREADY if it is parked; -EBUSY if it is powered on and has
 * run or is being started.
 */
int kvm_arm_vcpu_park(struct kvm_vcpu *vcpu)
{
	int ret = 0;

	lockdep_assert_held(&vcpu->mutex);

	spin_lock(&vcpu->arch.mp_state_lock);
	if (vcpu->arch.parked)
		ret = -EALREADY;
	else if (!kvm_arm_vcpu_stopped(vcpu) &&
		 (vcpu_has_run_once(vcpu) || vcpu->arch.reset_state.reset))
		ret = -EBUSY;
	if (!ret) {
		WRITE_ONCE(vcpu->arch.parked, true);
		__kvm_arm_vcpu_power_off(vcpu);
	}
	spin_unlock(&vcpu->arch.mp_state_lock);
	if (ret)
		return ret;

	vcpu_park_drop_sgis(vcpu);
	vcpu->stat.parked = 1;
	return 0;
}

/**
 * kvm_arm_vcpu_unpark() - KVM_ARM_VCPU_UNPARK: make a parked vCPU present.
 * @vcpu:	the vCPU, its mutex held
 *
 * It is left powered off, with no SGI pending, for the guest to start with
 * PSCI CPU_ON.
 *
 * Return: 0, or -EALREADY if it is not parked.
 */
int kvm_arm_vcpu_unpark(struct kvm_vcpu *vcpu)
{
	int ret = 0;

	lockdep_assert_held(&vcpu->mutex);

	spin_lock(&vcpu->arch.mp_state_lock);
	if (!vcpu->arch.parked) {
		ret = -EALREADY;
	} else {
		__kvm_arm_vcpu_power_off(vcpu);
		WRITE_ONCE(vcpu->arch.parked, false);
	}
	spin_unlock(&vcpu->arch.mp_state_lock);

	if (!ret)
		vcpu->stat.parked = 0;
	return ret;
}
