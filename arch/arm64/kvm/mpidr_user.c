// SPDX-License-Identifier: GPL-2.0-only
/*
 * mpidr_user.c - user-defined vCPU topology: MPIDR_EL1 values and the
 * VM-wide map from MPIDR affinity to vCPU.
 *
 * Values.  Every MPIDR userspace sets, with KVM_SET_ONE_REG or for many
 * vCPUs at once with KVM_ARM_SET_MPIDRS, must be one the GIC can serve:
 * RES1 bit 31 set, U and the RES0 bits clear, Aff0 at most 15 (the reach
 * of an SGI target list) and Aff3 zero (the GIC's affinity routing here
 * ignores it), or -EINVAL, as for any bad register value.  Across the
 * VM, affinities are unique (-EEXIST) and MT is the same for every vCPU
 * (-EINVAL): KVM_ARM_SET_MPIDRS checks the VM as it would be after the
 * call, KVM_SET_ONE_REG leaves that to the VM's first KVM_RUN so that vCPUs
 * can be renumbered one at a time.
 * Once the VM has run, MPIDRs are fixed (-EBUSY for any other value).
 *
 * Map.  SGI dispatch, PSCI (CPU_ON, AFFINITY_INFO), SPI routing (IROUTER)
 * and userspace redistributor access name a vCPU by its MPIDR.  The map is
 * an xarray indexed by the packed affinity (Aff2 << 16 | Aff1 << 8 | Aff0)
 * holding vCPU indices: a lookup costs the same whatever the size of the VM
 * or the shape of its topology.  It is built at the end of the VM's first
 * run, once nothing else of it can fail, and thrown away when a vCPU is
 * created afterwards.  Before the first run, userspace accesses to the GIC
 * get a provisional map, built on demand and dropped whenever an MPIDR
 * changes; where two vCPUs share an affinity it finds the first.  Lookups
 * are lockless (RCU) and a map is freed only after a grace period;
 * building and destroying are serialised by kvm->arch.config_lock.
 */

#include <linux/kvm_host.h>
#include <linux/xarray.h>

#include <asm/cputype.h>
#include <asm/kvm_emulate.h>
#include <uapi/linux/kvm_arm_ext.h>

#include "sys_regs.h"

#define MPIDR_RES1		BIT_ULL(31)
#define MPIDR_RES0		(GENMASK_ULL(63, 40) | GENMASK_ULL(29, 25))

struct kvm_mpidr_data {
	struct xarray	 map;	/* packed affinity -> vCPU index (xa value) */
	bool		 final;	/* built at the first run: MPIDRs are fixed */
	struct rcu_work	 free;
};

/* MPIDR affinity (Aff3 is always 0 here) packed into 32 bits. */
static unsigned long mpidr_key(u64 mpidr)
{
	return MPIDR_AFFINITY_LEVEL(mpidr, 0) |
	       MPIDR_AFFINITY_LEVEL(mpidr, 1) << 8 |
	       MPIDR_AFFINITY_LEVEL(mpidr, 2) << 16 |
	       MPIDR_AFFINITY_LEVEL(mpidr, 3) << 24;
}

/*
 * After the grace period, in process context: lookups that found the map
 * are done with it, and the xarray's lock is only ever taken in process
 * context.
 */
static void mpidr_data_free_work(struct work_struct *work)
{
	struct kvm_mpidr_data *data = container_of(to_rcu_work(work),
						   struct kvm_mpidr_data, free);

	xa_destroy(&data->map);
	kfree(data);
}

/* Free a map no longer published, once no lookup can hold it. */
static void mpidr_data_free(struct kvm_mpidr_data *data)
{
	INIT_RCU_WORK(&data->free, mpidr_data_free_work);
	queue_rcu_work(system_wq, &data->free);
}

/* The MPIDR a vCPU has, or gets at its first KVM_ARM_VCPU_INIT. */
static u64 mpidr_of(struct kvm_vcpu *vcpu)
{
	if (vcpu_get_flag(vcpu, VCPU_INITIALIZED))
		return __vcpu_sys_reg(vcpu, MPIDR_EL1);
	return kvm_default_mpidr(vcpu->vcpu_id);
}

/* The rules on one value. */
static int mpidr_check_value(u64 mpidr)
{
	if (!(mpidr & MPIDR_RES1) || (mpidr & (MPIDR_RES0 | MPIDR_UP_BITMASK)) ||
	    MPIDR_AFFINITY_LEVEL(mpidr, 0) > 15 || MPIDR_AFFINITY_LEVEL(mpidr, 3))
		return -EINVAL;
	return 0;
}

/*
 * Fill @map with the affinity of every vCPU: @vals[vcpu_idx] where given,
 * the vCPU's own MPIDR otherwise.  Checks the VM-wide rules, unless
 * @provisional: then the first vCPU of an affinity keeps it.
 */
static int mpidr_map_fill(struct kvm *kvm, struct xarray *map, const u64 *vals,
			  bool provisional)
{
	struct kvm_vcpu *vcpu;
	unsigned long c;
	u64 mt = 0;
	int ret;

	kvm_for_each_vcpu(c, vcpu, kvm) {
		u64 mpidr = vals ? vals[c] : mpidr_of(vcpu);

		if (!c)
			mt = mpidr & MPIDR_MT_BITMASK;
		else if ((mpidr & MPIDR_MT_BITMASK) != mt && !provisional)
			return -EINVAL;

		ret = xa_insert(map, mpidr_key(mpidr), xa_mk_value(c),
				GFP_KERNEL_ACCOUNT);
		if (ret == -EBUSY && provisional)
			continue;
		if (ret)
			return ret == -EBUSY ? -EEXIST : ret;
	}
	return 0;
}

/* A map of the vCPUs' affinities as they are now; NULL on failure (*@err). */
static struct kvm_mpidr_data *mpidr_data_alloc(struct kvm *kvm, bool final, int *err)
{
	struct kvm_mpidr_data *data;

	lockdep_assert_held(&kvm->arch.config_lock);

	data = kzalloc(sizeof(*data), GFP_KERNEL_ACCOUNT);
	if (!data) {
		*err = -ENOMEM;
		return NULL;
	}
	xa_init(&data->map);
	data->final = final;

	*err = mpidr_map_fill(kvm, &data->map, NULL, !final);
	if (*err) {
		xa_destroy(&data->map);
		kfree(data);
		return NULL;
	}
	return data;
}

/* Make @data (or none) the VM's map; lookups may use the old one a while. */
static void mpidr_data_replace(struct kvm *kvm, struct kvm_mpidr_data *data)
{
	struct kvm_mpidr_data *old;

	old = rcu_replace_pointer(kvm->arch.mpidr_data, data,
				  lockdep_is_held(&kvm->arch.config_lock));
	if (old)
		mpidr_data_free(old);
}

/**
 * kvm_mpidr_map_build() - Check the VM's MPIDRs and build its final map.
 * @kvm:	the VM
 *
 * Called at the end of each vCPU's first run, after every step of it that
 * can fail: once the final map exists MPIDRs are fixed, and a VM whose
 * first run failed has not run.  Replaces a provisional map.
 *
 * Return: 0 on success; -EEXIST if two vCPUs share an affinity, -EINVAL if
 * their MT bits differ, -ENOMEM: the VM cannot run until that is fixed.
 */
int kvm_mpidr_map_build(struct kvm *kvm)
{
	struct kvm_mpidr_data *data;
	int ret;

	guard(mutex)(&kvm->arch.config_lock);

	data = rcu_dereference_protected(kvm->arch.mpidr_data,
					 lockdep_is_held(&kvm->arch.config_lock));
	if ((data && data->final) || atomic_read(&kvm->online_vcpus) == 1)
		return 0;

	data = mpidr_data_alloc(kvm, true, &ret);
	if (!data)
		return ret;
	mpidr_data_replace(kvm, data);
	return 0;
}

/**
 * kvm_mpidr_map_prepare() - Give a VM that has not run a provisional map.
 * @kvm:	the VM
 *
 * For userspace accesses that name vCPUs by MPIDR before the first run, so
 * that restoring a VM does not scan its vCPUs once per register.  Without
 * memory for it, lookups scan the vCPUs as before.  Can sleep.
 */
void kvm_mpidr_map_prepare(struct kvm *kvm)
{
	struct kvm_mpidr_data *data;
	int ret;

	if (rcu_access_pointer(kvm->arch.mpidr_data))
		return;

	guard(mutex)(&kvm->arch.config_lock);

	if (rcu_access_pointer(kvm->arch.mpidr_data) ||
	    atomic_read(&kvm->online_vcpus) < 2)
		return;
	data = mpidr_data_alloc(kvm, false, &ret);
	if (data)
		rcu_assign_pointer(kvm->arch.mpidr_data, data);
}

/**
 * kvm_mpidr_map_destroy() - Drop the MPIDR map of a VM.
 * @kvm:	the VM
 */
void kvm_mpidr_map_destroy(struct kvm *kvm)
{
	guard(mutex)(&kvm->arch.config_lock);

	mpidr_data_replace(kvm, NULL);
}

/**
 * kvm_mpidr_map_lookup() - Find a vCPU by MPIDR through the map.
 * @kvm:	the VM
 * @mpidr:	the affinity, as MPIDR_HWID_BITMASK
 * @vcpu:	set to the vCPU whose affinity is @mpidr, or NULL if none has it
 *
 * Once the final map exists MPIDRs are fixed and unique, so its answer is
 * final, a miss included; a provisional map's miss is not (a vCPU may be
 * under creation).  A vCPU not yet initialised is not found.
 *
 * Return: false if the VM has no map, or a provisional one misses: the
 * caller must search the vCPUs itself.
 */
bool kvm_mpidr_map_lookup(struct kvm *kvm, u64 mpidr, struct kvm_vcpu **vcpu)
{
	struct kvm_mpidr_data *data;
	void *entry = NULL;
	bool final = false;

	rcu_read_lock();
	data = rcu_dereference(kvm->arch.mpidr_data);
	if (data) {
		entry = xa_load(&data->map, mpidr_key(mpidr));
		final = data->final;
	}
	rcu_read_unlock();

	if (!data || (!entry && !final))
		return false;
	*vcpu = entry ? kvm_get_vcpu(kvm, xa_to_value(entry)) : NULL;
	/*
	 * A vCPU not yet initialised holds its future MPIDR in the map (so
	 * that its KVM_ARM_VCPU_INIT cannot collide) but has no MPIDR_EL1
	 * yet: no SGI, PSCI call or userspace access finds it.
	 */
	if (*vcpu && !vcpu_get_flag(*vcpu, VCPU_INITIALIZED))
		*vcpu = NULL;
	return true;
}

/* MPIDRs cannot change once the VM has run or its final map exists. */
static bool mpidrs_fixed(struct kvm *kvm)
{
	struct kvm_mpidr_data *data;

	lockdep_assert_held(&kvm->arch.config_lock);

	data = rcu_dereference_protected(kvm->arch.mpidr_data,
					 lockdep_is_held(&kvm->arch.config_lock));
	return kvm_vm_has_ran_once(kvm) || (data && data->final);
}

/**
 * kvm_mpidr_set_user() - KVM_SET_ONE_REG of MPIDR_EL1.
 * @vcpu:	the vCPU, its mutex held by the ioctl
 * @rd:		the register's descriptor
 * @val:	the value
 *
 * Return: 0, or -EINVAL for a value the rules refuse, -EBUSY for a
 * new value once the VM has run.
 */
int kvm_mpidr_set_user(struct kvm_vcpu *vcpu, const struct sys_reg_desc *rd, u64 val)
{
	struct kvm *kvm = vcpu->kvm;
	int ret;

	ret = mpidr_check_value(val);
	if (ret)
		return ret;

	guard(mutex)(&kvm->arch.config_lock);

	if (__vcpu_sys_reg(vcpu, rd->reg) == val)
		return 0;
	if (mpidrs_fixed(kvm))
		return -EBUSY;
	__vcpu_sys_reg(vcpu, rd->reg) = val;
	mpidr_data_replace(kvm, NULL);	/* a provisional map */
	return 0;
}

/*
 * Check a batch on its own: entries, values, vCPUs.  Fills @vals (indexed
 * by vCPU index) with the MPIDRs the VM would have after it, and @idx
 * with the vCPU index of each entry.  O(entries + vCPUs + vCPU ids).
 */
static int mpidr_batch_check(struct kvm *kvm, const struct kvm_arm_mpidr_entry *e,
			     u32 nr, u64 *vals, u32 *idx)
{
	unsigned long *seen = NULL;
	struct kvm_vcpu *vcpu;
	u32 *idx_of_id, i;
	unsigned long c;
	int ret = -ENOMEM;

	lockdep_assert_held(&kvm->lock);

	idx_of_id = kvmalloc_array(KVM_MAX_VCPU_IDS, sizeof(*idx_of_id),
				   GFP_KERNEL_ACCOUNT);
	if (!idx_of_id)
		goto out;
	seen = bitmap_zalloc(atomic_read(&kvm->online_vcpus), GFP_KERNEL_ACCOUNT);
	if (!seen)
		goto out;

	memset(idx_of_id, 0xff, KVM_MAX_VCPU_IDS * sizeof(*idx_of_id));
	kvm_for_each_vcpu(c, vcpu, kvm) {
		vals[c] = mpidr_of(vcpu);
		idx_of_id[vcpu->vcpu_id] = c;
	}

	for (i = 0, ret = 0; i < nr && !ret; i++) {
		ret = e[i].reserved ? -EINVAL : mpidr_check_value(e[i].mpidr);
		if (ret)
			break;
		if (e[i].vcpu_id >= KVM_MAX_VCPU_IDS ||
		    idx_of_id[e[i].vcpu_id] == U32_MAX) {
			ret = -ENOENT;
			break;
		}
		idx[i] = idx_of_id[e[i].vcpu_id];
		vcpu = kvm_get_vcpu(kvm, idx[i]);
		if (!vcpu_get_flag(vcpu, VCPU_INITIALIZED))
			ret = -ENOEXEC;
		else if (test_and_set_bit(idx[i], seen))
			ret = -EINVAL;
		else
			vals[idx[i]] = e[i].mpidr;
	}
out:
	bitmap_free(seen);
	kvfree(idx_of_id);
	return ret;
}

/**
 * kvm_mpidr_set_batch() - KVM_ARM_SET_MPIDRS: set the MPIDRs of many vCPUs.
 * @kvm:	the VM
 * @argp:	the struct kvm_arm_mpidrs, in userspace
 *
 * The VM as it would be after the call is checked as a whole, so that
 * values can be swapped or a topology replaced without a transient
 * duplicate; either every entry is applied or none.
 *
 * Return: 0; -EFAULT; -EINVAL for flags, a reserved field, a count of 0, a
 * vCPU named twice, a value the rules refuse or MT bits that would differ;
 * -E2BIG for more entries than KVM_CAP_ARM_MPIDR_USER; -ENOENT for a vCPU
 * id that does not exist; -ENOEXEC for a vCPU not initialised yet; -EEXIST
 * for an affinity two vCPUs would share; -EBUSY once the VM has run, or
 * while a vCPU is in an ioctl; -ENOMEM.
 */
int kvm_mpidr_set_batch(struct kvm *kvm, struct kvm_arm_mpidrs __user *argp)
{
	struct kvm_arm_mpidr_entry *e;
	struct kvm_arm_mpidrs hdr;
	struct xarray map;
	u32 *idx = NULL;
	u64 *vals;
	int ret;
	u32 i;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.flags || !hdr.nr_entries)
		return -EINVAL;
	if (hdr.nr_entries > KVM_MAX_VCPUS)
		return -E2BIG;

	e = kvmalloc_array(hdr.nr_entries, sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		return -ENOMEM;
	vals = NULL;
	ret = -EFAULT;
	if (copy_from_user(e, argp->entries, array_size(hdr.nr_entries, sizeof(*e))))
		goto out_free;

	/* vCPUs are created under kvm->lock: their number is stable below. */
	mutex_lock(&kvm->lock);
	ret = -ENOMEM;
	vals = kvmalloc_array(atomic_read(&kvm->online_vcpus), sizeof(*vals),
			      GFP_KERNEL_ACCOUNT);
	idx = kvmalloc_array(hdr.nr_entries, sizeof(*idx), GFP_KERNEL_ACCOUNT);
	if (!vals || !idx)
		goto out_unlock_kvm;
	ret = -EBUSY;
	if (!lock_all_vcpus(kvm))
		goto out_unlock_kvm;
	mutex_lock(&kvm->arch.config_lock);

	if (mpidrs_fixed(kvm))
		goto out_unlock;

	ret = mpidr_batch_check(kvm, e, hdr.nr_entries, vals, idx);
	if (ret)
		goto out_unlock;

	xa_init(&map);
	ret = mpidr_map_fill(kvm, &map, vals, false);
	xa_destroy(&map);
	if (ret)
		goto out_unlock;

	for (i = 0; i < hdr.nr_entries; i++)
		__vcpu_sys_reg(kvm_get_vcpu(kvm, idx[i]), MPIDR_EL1) = e[i].mpidr;
	mpidr_data_replace(kvm, NULL);	/* a provisional map */

out_unlock:
	mutex_unlock(&kvm->arch.config_lock);
	unlock_all_vcpus(kvm);
out_unlock_kvm:
	mutex_unlock(&kvm->lock);
out_free:
	kvfree(idx);
	kvfree(vals);
	kvfree(e);
	return ret;
}
