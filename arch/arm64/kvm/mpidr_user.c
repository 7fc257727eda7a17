// SPDX-License-Identifier: GPL-2.0-only
/*
 * mpidr_user.c - the VM-wide map from MPIDR affinity to vCPU.
 *
 * SGI dispatch, PSCI (CPU_ON, AFFINITY_INFO), SPI routing (IROUTER) and
 * userspace redistributor access all name a vCPU by its MPIDR.  Upstream
 * resolves that through a table indexed by the MPIDR bits that vary across
 * the VM, which must fit in a page: past ~1024 vCPUs with the default
 * layout, or with a sparse topology, every lookup scans all vCPUs, and the
 * table is recomputed (in vain) on every vCPU's first run.
 *
 * Here the map is an xarray indexed by the packed affinity
 * (Aff3 << 24 | Aff2 << 16 | Aff1 << 8 | Aff0), holding vCPU indices: a
 * lookup walks at most ceil(32 / XA_CHUNK_SHIFT) levels whatever the size
 * of the VM or the shape of its topology, and the map takes memory in
 * proportion to the vCPUs, dense or sparse.  It is built once, when the
 * first vCPU runs, and thrown away when a vCPU is created afterwards (the
 * next first run builds it again).  Lookups are lockless (RCU); building
 * and destroying are serialised by kvm->arch.config_lock.
 */

#include <linux/kvm_host.h>
#include <linux/xarray.h>

#include <asm/cputype.h>
#include <asm/kvm_emulate.h>

struct kvm_mpidr_data {
	struct xarray	map;	/* packed affinity -> vCPU index (xa value) */
	struct rcu_head	rcu;
};

/* MPIDR affinity (as MPIDR_HWID_BITMASK) packed into 32 bits. */
static unsigned long mpidr_key(u64 mpidr)
{
	return MPIDR_AFFINITY_LEVEL(mpidr, 0) |
	       MPIDR_AFFINITY_LEVEL(mpidr, 1) << 8 |
	       MPIDR_AFFINITY_LEVEL(mpidr, 2) << 16 |
	       MPIDR_AFFINITY_LEVEL(mpidr, 3) << 24;
}

static void mpidr_data_free(struct kvm_mpidr_data *data)
{
	xa_destroy(&data->map);
	kfree_rcu(data, rcu);
}

/**
 * kvm_mpidr_map_build() - Build the MPIDR map of a VM, if it has none.
 * @kvm:	the VM
 *
 * Where two vCPUs share an affinity, the map keeps the first, as a scan
 * of the vCPUs would find it.  On allocation failure there is no map and
 * lookups fall back to scanning.
 */
void kvm_mpidr_map_build(struct kvm *kvm)
{
	struct kvm_mpidr_data *data;
	struct kvm_vcpu *vcpu;
	unsigned long c;
	int ret;

	guard(mutex)(&kvm->arch.config_lock);

	if (rcu_access_pointer(kvm->arch.mpidr_data) ||
	    atomic_read(&kvm->online_vcpus) == 1)
		return;

	data = kzalloc(sizeof(*data), GFP_KERNEL_ACCOUNT);
	if (!data)
		return;
	xa_init(&data->map);

	kvm_for_each_vcpu(c, vcpu, kvm) {
		ret = xa_insert(&data->map, mpidr_key(kvm_vcpu_get_mpidr_aff(vcpu)),
				xa_mk_value(c), GFP_KERNEL_ACCOUNT);
		if (ret && ret != -EBUSY) {
			mpidr_data_free(data);
			return;
		}
	}

	rcu_assign_pointer(kvm->arch.mpidr_data, data);
}

/**
 * kvm_mpidr_map_destroy() - Drop the MPIDR map of a VM.
 * @kvm:	the VM
 */
void kvm_mpidr_map_destroy(struct kvm *kvm)
{
	struct kvm_mpidr_data *data;

	guard(mutex)(&kvm->arch.config_lock);

	data = rcu_dereference_protected(kvm->arch.mpidr_data,
					 lockdep_is_held(&kvm->arch.config_lock));
	if (!data)
		return;
	rcu_assign_pointer(kvm->arch.mpidr_data, NULL);
	mpidr_data_free(data);
}

/**
 * kvm_mpidr_map_lookup() - Find a vCPU by MPIDR through the map.
 * @kvm:	the VM
 * @mpidr:	the affinity, as MPIDR_HWID_BITMASK
 *
 * Return: the vCPU whose MPIDR affinity is @mpidr, or NULL when the VM has
 * no map yet, the map has no such affinity, or the vCPU it names has
 * changed its MPIDR since the map was built (the caller then scans).
 */
struct kvm_vcpu *kvm_mpidr_map_lookup(struct kvm *kvm, u64 mpidr)
{
	struct kvm_mpidr_data *data;
	struct kvm_vcpu *vcpu = NULL;
	void *entry = NULL;

	rcu_read_lock();
	data = rcu_dereference(kvm->arch.mpidr_data);
	if (data)
		entry = xa_load(&data->map, mpidr_key(mpidr));
	rcu_read_unlock();

	if (entry)
		vcpu = kvm_get_vcpu(kvm, xa_to_value(entry));
	if (vcpu && kvm_vcpu_get_mpidr_aff(vcpu) != mpidr)
		vcpu = NULL;
	return vcpu;
}
