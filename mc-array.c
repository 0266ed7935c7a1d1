// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: the array, what a mapped device keeps across its tables.
 *
 * Copyright (C) 2026 The dm-mirrorcache developers.
 *
 * A mapped device keeps its identity across table reloads, and each reload
 * builds a new struct mc_target.  What belongs to the device rather than to
 * one table lives here, in struct mc_array: which table instance is live
 * (resumed), the way in for the ports of the device (mc-port.c), and the
 * reservations of its LUs (seed 003's reserved status), which a reload
 * keeps.  There is one mc_array per mapped device, shared by its table
 * instances and its ports and freed with the last of them.
 *
 * The live instance is an RCU pointer: a port reads it around the mapping
 * of one bio, and a table instance is freed only after it is unpublished
 * and a grace period has passed (mc_array_unpublish()).
 */
#include <linux/rculist.h>

static LIST_HEAD(mc_arrays);
static DEFINE_MUTEX(mc_arrays_lock);

static struct mc_array *mc_array_new(struct mapped_device *md)
{
	struct mc_array *a = kzalloc(sizeof(*a), GFP_KERNEL);
	unsigned int i;

	if (!a)
		return NULL;
	kref_init(&a->ref);
	a->md = md;
	a->devt = disk_devt(dm_disk(md));
	spin_lock_init(&a->lock);
	for (i = 0; i < MC_MAX_LUNS; i++)
		a->resv[i] = MC_NO_CTRL;
	list_add(&a->list, &mc_arrays);
	atomic_inc(&mc_live.arrays);
	return a;
}

/* The array of @md, or of @devt when @md is NULL, with a reference. */
static struct mc_array *__mc_array_find(struct mapped_device *md, dev_t devt)
{
	struct mc_array *a;

	list_for_each_entry(a, &mc_arrays, list) {
		if (md ? a->md == md : a->devt == devt) {
			kref_get(&a->ref);
			return a;
		}
	}
	return NULL;
}

/**
 * mc_array_get - the array of mapped device @md, created on first use
 * @md: the mapped device of a table being constructed
 *
 * Return: a reference, or NULL when out of memory.
 */
static struct mc_array *mc_array_get(struct mapped_device *md)
{
	struct mc_array *a;

	mutex_lock(&mc_arrays_lock);
	a = __mc_array_find(md, 0);
	if (!a)
		a = mc_array_new(md);
	mutex_unlock(&mc_arrays_lock);
	return a;
}

/**
 * mc_array_find - the array of the dm-mirrorcache device @devt
 * @devt: device number of a mapped device
 *
 * Return: a reference, or NULL when @devt has no dm-mirrorcache table.
 */
static struct mc_array *mc_array_find(dev_t devt)
{
	struct mc_array *a;

	mutex_lock(&mc_arrays_lock);
	a = __mc_array_find(NULL, devt);
	mutex_unlock(&mc_arrays_lock);
	return a;
}

static void mc_array_release(struct kref *ref)
{
	struct mc_array *a = container_of(ref, struct mc_array, ref);

	list_del(&a->list);
	kfree(a);
	atomic_dec(&mc_live.arrays);
}

static void mc_array_put(struct mc_array *a)
{
	mutex_lock(&mc_arrays_lock);
	kref_put(&a->ref, mc_array_release);
	mutex_unlock(&mc_arrays_lock);
}

/* @mc is the device's live table now (resume). */
static void mc_array_publish(struct mc_array *a, struct mc_target *mc)
{
	mutex_lock(&mc_arrays_lock);
	rcu_assign_pointer(a->live, mc);
	mutex_unlock(&mc_arrays_lock);
}

/**
 * mc_array_unpublish - @mc is going away: no port may reach it any more
 * @a: its array
 * @mc: a table instance being destroyed
 *
 * Waits for the ports that found @mc live to finish with it.
 */
static void mc_array_unpublish(struct mc_array *a, struct mc_target *mc)
{
	mutex_lock(&mc_arrays_lock);
	if (rcu_access_pointer(a->live) == mc)
		RCU_INIT_POINTER(a->live, NULL);
	mutex_unlock(&mc_arrays_lock);
	synchronize_rcu();
}

/**
 * mc_array_reserve - reserve LU @lun for the ports of controller @c
 * @a: the array
 * @lun: LU index
 * @c: the controller of the reserving port
 * @holder: set to the controller that holds the reservation afterwards
 *
 * A failure of @c drops its reservations under a->lock after @c's state
 * changed (mc_array_drop_ctrl()), so checking the state under the same
 * lock orders a reservation against a failure without the state mutex.
 *
 * Return: 0 (also when @c held the reservation already), -EBUSY when the
 * other controller holds it, -EIO when @c is not up.
 */
static int mc_array_reserve(struct mc_array *a, unsigned int lun, struct mc_ctrl *c,
		     int *holder)
{
	int r = 0;

	spin_lock(&a->lock);
	if (!mc_ctrl_up(c))
		r = -EIO;
	else if (a->resv[lun] == MC_NO_CTRL)
		WRITE_ONCE(a->resv[lun], c->id);
	else if (a->resv[lun] != c->id)
		r = -EBUSY;
	*holder = a->resv[lun];
	spin_unlock(&a->lock);
	return r;
}

/* Release @ctrl's reservation of @lun; false when @ctrl does not hold it. */
static bool mc_array_release_resv(struct mc_array *a, unsigned int lun,
			   unsigned int ctrl)
{
	bool held;

	spin_lock(&a->lock);
	held = a->resv[lun] == ctrl;
	if (held)
		WRITE_ONCE(a->resv[lun], MC_NO_CTRL);
	spin_unlock(&a->lock);
	return held;
}

/* Controller @ctrl failed: its reservations go.  Returns how many. */
static unsigned int mc_array_drop_ctrl(struct mc_array *a, unsigned int ctrl)
{
	unsigned int i, n = 0;

	spin_lock(&a->lock);
	for (i = 0; i < MC_MAX_LUNS; i++) {
		if (a->resv[i] == ctrl) {
			WRITE_ONCE(a->resv[i], MC_NO_CTRL);
			n++;
		}
	}
	spin_unlock(&a->lock);
	return n;
}
