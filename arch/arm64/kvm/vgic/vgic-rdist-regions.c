// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgic-rdist-regions.c - GICv3 redistributor regions on the MMIO bus.
 *
 * Owns each region's slot table (slot i holds the vCPU whose redistributor
 * frames sit at base + i * KVM_VGIC_V3_REDIST_SIZE), the giving and taking
 * back of slots as vCPUs are created and destroyed (a vCPU takes the lowest
 * free slot), and the region's single MMIO bus device, registered when the
 * vgic's resources are mapped at the first KVM_RUN.  An access goes in O(1)
 * from its offset to the slot's vCPU, whose redistributor iodev handles it;
 * a slot without a vCPU, or an access crossing two slots, exits to
 * userspace.
 *
 * Locking: slot tables and the registration state change with
 * kvm->slots_lock held (and kvm->arch.config_lock for attaching, which
 * goes with the region's free_index).  MMIO dispatch reads the tables
 * under kvm->srcu only, once the region is registered; registering and
 * unregistering wait for an SRCU grace period, so a reader never sees a
 * table being freed or a vCPU being destroyed.
 */

#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <kvm/iodev.h>

#include "vgic.h"
#include "vgic-mmio.h"

/*
 * What the vCPU limit may not outgrow: KVM_IRQ_LINE names a vCPU with the
 * 12 bits of its VCPU and VCPU2 fields, and a region's size (frames times
 * KVM_VGIC_V3_REDIST_SIZE) is computed in int.
 */
static_assert(KVM_MAX_VCPUS <= (KVM_ARM_IRQ_VCPU_MASK + 1) * (KVM_ARM_IRQ_VCPU2_MASK + 1));
static_assert((u64)KVM_MAX_VCPUS * KVM_VGIC_V3_REDIST_SIZE <= INT_MAX);

static struct vgic_redist_region *to_rdreg(struct kvm_io_device *dev)
{
	return container_of(dev, struct vgic_redist_region, dev);
}

/*
 * The redistributor iodev of the vCPU owning [addr, addr + len), or NULL
 * when no vCPU owns the slot or the access is not within a single slot.
 */
static struct kvm_io_device *rdreg_target(struct vgic_redist_region *rdreg,
					  gpa_t addr, int len)
{
	u64 offset = addr - rdreg->base;
	u64 slot = offset / KVM_VGIC_V3_REDIST_SIZE;
	struct kvm_vcpu *vcpu;

	if (slot >= rdreg->nr_slots ||
	    (offset % KVM_VGIC_V3_REDIST_SIZE) + len > KVM_VGIC_V3_REDIST_SIZE)
		return NULL;
	slot = array_index_nospec(slot, rdreg->nr_slots);
	vcpu = READ_ONCE(rdreg->vcpus[slot]);

	return vcpu ? &vcpu->arch.vgic_cpu.rd_iodev.dev : NULL;
}

static int vgic_rdist_region_read(struct kvm_vcpu *vcpu,
				  struct kvm_io_device *dev,
				  gpa_t addr, int len, void *val)
{
	struct kvm_io_device *rd = rdreg_target(to_rdreg(dev), addr, len);

	if (!rd)
		return -EOPNOTSUPP;
	return kvm_io_gic_ops.read(vcpu, rd, addr, len, val);
}

static int vgic_rdist_region_write(struct kvm_vcpu *vcpu,
				   struct kvm_io_device *dev,
				   gpa_t addr, int len, const void *val)
{
	struct kvm_io_device *rd = rdreg_target(to_rdreg(dev), addr, len);

	if (!rd)
		return -EOPNOTSUPP;
	return kvm_io_gic_ops.write(vcpu, rd, addr, len, val);
}

static const struct kvm_io_device_ops vgic_rdist_region_ops = {
	.read	= vgic_rdist_region_read,
	.write	= vgic_rdist_region_write,
};

/**
 * vgic_rdist_region_init() - Give a new region its slot table.
 * @kvm:	the VM
 * @rdreg:	the new (zeroed) region, with its count set (0 for the legacy
 *		single region)
 *
 * A region never holds more vCPUs than the VM may have, so the table has
 * min(count, max_vcpus) slots; the legacy region has max_vcpus.
 *
 * Return: 0, or -ENOMEM.
 */
int vgic_rdist_region_init(struct kvm *kvm, struct vgic_redist_region *rdreg)
{
	lockdep_assert_held(&kvm->arch.config_lock);

	rdreg->nr_slots = rdreg->count ? min_t(u32, rdreg->count, kvm->max_vcpus)
				       : kvm->max_vcpus;
	rdreg->vcpus = kvcalloc(rdreg->nr_slots, sizeof(*rdreg->vcpus),
				GFP_KERNEL_ACCOUNT);
	if (!rdreg->vcpus)
		return -ENOMEM;
	kvm_iodevice_init(&rdreg->dev, &vgic_rdist_region_ops);
	return 0;
}

/**
 * vgic_rdist_region_free() - Release a region's slot table.
 * @kvm:	the VM
 * @rdreg:	the region, no longer on the MMIO bus, about to be freed
 */
void vgic_rdist_region_free(struct kvm *kvm, struct vgic_redist_region *rdreg)
{
	lockdep_assert_held(&kvm->arch.config_lock);

	WARN_ON_ONCE(rdreg->registered);
	kvfree(rdreg->vcpus);
}

/**
 * vgic_rdist_region_attach() - Put a vCPU in the slot it was given.
 * @vcpu:	the vCPU, whose vgic_cpu.rdreg and rdreg_index are set: the
 *		region's free_index, its lowest free slot
 *
 * Slots are handed out lowest first: a slot given back by a vCPU whose
 * creation failed is the next one taken, wherever it lies, so a region's
 * vCPUs sit in its first slots in the order they were given them.  The
 * region's end, one past its highest slot in use, is what GICR_TYPER.Last
 * and the size of the legacy region follow.
 *
 * Return: 0, or -EINVAL if the slot is outside the region's table or
 * taken (neither can happen for the region's free_index: a VM has at most
 * max_vcpus vCPUs).
 */
int vgic_rdist_region_attach(struct kvm_vcpu *vcpu)
{
	struct vgic_cpu *vgic_cpu = &vcpu->arch.vgic_cpu;
	struct vgic_redist_region *rdreg = vgic_cpu->rdreg;
	u32 slot = vgic_cpu->rdreg_index;

	lockdep_assert_held(&vcpu->kvm->slots_lock);
	lockdep_assert_held(&vcpu->kvm->arch.config_lock);

	if (slot >= rdreg->nr_slots || rdreg->vcpus[slot])
		return -EINVAL;
	WRITE_ONCE(rdreg->vcpus[slot], vcpu);
	rdreg->end = max(rdreg->end, slot + 1);
	/*
	 * The next free slot is above: every slot below free_index is taken.
	 * Without a hole (no failed creation) that is the next one.
	 */
	while (rdreg->free_index < rdreg->nr_slots &&
	       rdreg->vcpus[rdreg->free_index])
		rdreg->free_index++;
	return 0;
}

/**
 * vgic_rdist_region_detach() - Empty the slot of a vCPU that goes away.
 * @vcpu:	the vCPU
 *
 * Once this returns, no MMIO dispatch can reach @vcpu through its region.
 * A vCPU goes away while its VM lives only when its creation failed
 * (-ENOMEM, -EMFILE): its slot is given back, and the next vCPU created
 * takes it.  Otherwise every failed KVM_CREATE_VCPU would use up a frame,
 * and with regions sized to the vCPUs the last one would find none and
 * the first KVM_RUN fail with -ENXIO.
 */
void vgic_rdist_region_detach(struct kvm_vcpu *vcpu)
{
	struct vgic_cpu *vgic_cpu = &vcpu->arch.vgic_cpu;
	struct vgic_redist_region *rdreg = vgic_cpu->rdreg;
	u32 slot = vgic_cpu->rdreg_index;

	lockdep_assert_held(&vcpu->kvm->slots_lock);

	if (!rdreg || slot >= rdreg->nr_slots || rdreg->vcpus[slot] != vcpu)
		return;
	WRITE_ONCE(rdreg->vcpus[slot], NULL);
	rdreg->free_index = min(rdreg->free_index, slot);
	while (rdreg->end && !rdreg->vcpus[rdreg->end - 1])
		rdreg->end--;
	if (rdreg->registered)
		synchronize_srcu_expedited(&vcpu->kvm->srcu);
}

/**
 * kvm_vgic_vcpu_postcreate() - Give a new vCPU the frame it may have missed.
 * @vcpu:	the vCPU, just made visible in the VM's vCPU array
 *
 * A vCPU looks for a free slot in kvm_vgic_vcpu_init(), before it is in
 * the vCPU array.  A region registered between that and its insertion
 * gives slots to the vCPUs of the array only (vgic_v3_set_redist_base()),
 * so a vCPU created concurrently with a late region would keep no frame,
 * and the VM's first KVM_RUN fail with -ENXIO, although the regions have
 * room.  Both paths take kvm->slots_lock: whichever comes second gives the
 * vCPU its slot.  An error here (the legacy region growing past the IPA)
 * leaves the vCPU without a frame, which the first KVM_RUN reports.
 */
void kvm_vgic_vcpu_postcreate(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	if (READ_ONCE(kvm->arch.vgic.vgic_model) != KVM_DEV_TYPE_ARM_VGIC_V3)
		return;

	guard(mutex)(&kvm->slots_lock);
	if (IS_VGIC_ADDR_UNDEF(vcpu->arch.vgic_cpu.rd_iodev.base_addr))
		vgic_register_redist_iodev(vcpu);
}

/**
 * vgic_rdist_regions_unregister() - Take every region off the MMIO bus.
 * @kvm:	the VM, with or without a GICv3
 */
void vgic_rdist_regions_unregister(struct kvm *kvm)
{
	struct vgic_redist_region *rdreg;

	lockdep_assert_held(&kvm->slots_lock);

	/* The region list only exists once a GICv3 has been created. */
	if (kvm->arch.vgic.vgic_model != KVM_DEV_TYPE_ARM_VGIC_V3)
		return;
	list_for_each_entry(rdreg, &kvm->arch.vgic.rd_regions, list) {
		if (!rdreg->registered)
			continue;
		kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &rdreg->dev);
		rdreg->registered = false;
	}
}

/**
 * vgic_rdist_regions_register() - Put every region on the MMIO bus.
 * @kvm:	the VM, whose vCPUs all have their redistributor
 *
 * One bus device per region, covering the whole region (the legacy single
 * region covers the slots up to the highest one in use, one per vCPU).
 *
 * Return: 0, or the error of kvm_io_bus_register_dev(), in which case no
 * region is left on the bus.
 */
int vgic_rdist_regions_register(struct kvm *kvm)
{
	struct vgic_redist_region *rdreg;
	int ret;

	lockdep_assert_held(&kvm->slots_lock);

	list_for_each_entry(rdreg, &kvm->arch.vgic.rd_regions, list) {
		size_t size = vgic_v3_rd_region_size(kvm, rdreg);

		if (rdreg->registered || !size)
			continue;
		ret = kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS, rdreg->base,
					      size, &rdreg->dev);
		if (ret) {
			vgic_rdist_regions_unregister(kvm);
			return ret;
		}
		rdreg->registered = true;
	}
	return 0;
}
