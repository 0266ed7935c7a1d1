// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: host ports, the target type "mcport" (seed 003).
 *
 * Copyright (C) 2026 The dm-mirrorcache developers.
 *
 * A real dual-controller array is reached through a host port on each
 * controller, and hosts run multipath over the ports.  The table line
 *
 *   <start> <length> mcport <mirrorcache device> <ctrl>
 *
 * makes an access path into controller <ctrl> of an existing
 * dm-mirrorcache device: same size, same address space.  The port holds the
 * device open, so the device cannot be removed under it, and finds the
 * device's live table through its array (mc-array.c), so a table reload of
 * the device keeps the port working.
 *
 * Per bio, at the port (seed 003, paragraphs 0008-0014):
 * - the port's controller is not up: the bio fails with a path error
 *   (BLK_STS_TRANSPORT), so dm-multipath fails the path and retries the
 *   bio on the other port;
 * - a write to an LU another controller's port reserved fails with a
 *   reservation conflict (not a path error: dm-multipath passes it on);
 * - the port's controller owns the LU: the bio runs there (the owner path,
 *   ALUA's active/optimized);
 * - a read at the other controller is served locally where that is safe
 *   (mc_peer_read()): from the LU when the owner does not hold the pages
 *   dirty, from this controller's mirror copies of them when it does;
 *   any page with a write pending sends the whole read to the owner;
 * - everything else is forwarded to the owner (the forwarding path,
 *   active/non-optimized): the bio enters the device, whose admission hands
 *   it to the LU's owner, which writes both copies as for any write.  In
 *   one host this hand-off is one function call: no data is copied for it.
 *   Writes through both ports to the same blocks meet at the owner, which
 *   orders writes to one page (seed 003's exclusive status).
 *
 * Errors a port returns that are not the path's fault (a dead LU) become
 * BLK_STS_TARGET, which dm-multipath does not retry on the other path: it
 * would fail there too, and failing every path would queue the I/O forever.
 *
 * This file is the top layer: it calls into the array, the controllers and
 * the read path, and nothing calls into it but device-mapper.
 */

/* Where a bio went, in its per-bio data (mcp_end_io()). */
enum mcp_route {
	MCP_OWNER,	/* into the device, the port's controller owns the LU */
	MCP_FORWARD,	/* into the device, to the other controller */
	MCP_LU,		/* a local read, straight to the LU */
	MCP_ENDED,	/* completed at the port */
};

/**
 * struct mc_port - one port: an access path into one controller
 * @dev: the dm-mirrorcache device
 * @array: its array
 * @ctrl: the controller the port belongs to
 * @owner_ios: bios run on the port's controller, the LU's owner
 * @forwarded: bios forwarded to the owner
 * @local_reads: reads the non-owner served itself (LU or mirror copy)
 * @mirror_reads: of @local_reads, those copied from mirror copies
 * @conflicts: writes refused for another port's reservation
 * @path_errors: bios failed because the port's controller is down
 */
struct mc_port {
	struct dm_dev *dev;
	struct mc_array *array;
	unsigned int ctrl;
	atomic64_t owner_ios;
	atomic64_t forwarded;
	atomic64_t local_reads;
	atomic64_t mirror_reads;
	atomic64_t conflicts;
	atomic64_t path_errors;
};

/*
 * Per-bio data of a port: the route, and for a local read sent straight to
 * an LU the table whose LU it is (mcp_end_io() ends its count there).
 */
struct mcp_io {
	struct mc_target *mc;
	u8 route;
};

static struct mcp_io *mcp_io_of(struct bio *bio)
{
	return dm_per_bio_data(bio, sizeof(struct mcp_io));
}

static u8 *mcp_route_of(struct bio *bio)
{
	return &mcp_io_of(bio)->route;
}

static int mcp_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct mc_port *p;
	char dummy;
	int r;

	if (argc != 2) {
		ti->error = "Expects 2 arguments: <mirrorcache device> <controller>";
		return -EINVAL;
	}
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p) {
		ti->error = "Cannot allocate port";
		return -ENOMEM;
	}
	if (sscanf(argv[1], "%u%c", &p->ctrl, &dummy) != 1 ||
	    p->ctrl >= MC_NR_CTRL) {
		ti->error = "Invalid controller (0 or 1)";
		r = -EINVAL;
		goto bad;
	}
	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &p->dev);
	if (r) {
		ti->error = "Cannot open the mirrorcache device";
		goto bad;
	}
	p->array = mc_array_find(p->dev->bdev->bd_dev);
	if (!p->array) {
		ti->error = "Not a dm-mirrorcache device";
		r = -EINVAL;
		goto bad_dev;
	}
	if (ti->begin || ti->len != bdev_nr_sectors(p->dev->bdev)) {
		ti->error = "A port starts at 0 and has the size of its device";
		r = -EINVAL;
		goto bad_array;
	}
	ti->private = p;
	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct mcp_io);
	atomic_inc(&mc_live.ports);
	return 0;
bad_array:
	mc_array_put(p->array);
bad_dev:
	dm_put_device(ti, p->dev);
bad:
	kfree(p);
	return r;
}

static void mcp_dtr(struct dm_target *ti)
{
	struct mc_port *p = ti->private;

	mc_array_put(p->array);
	dm_put_device(ti, p->dev);
	kfree(p);
	atomic_dec(&mc_live.ports);
}

static int mcp_forward(struct mc_port *p, struct bio *bio, u8 route)
{
	*mcp_route_of(bio) = route;
	if (bio_sectors(bio))	/* flushes are not counted */
		atomic64_inc(route == MCP_OWNER ? &p->owner_ios : &p->forwarded);
	bio_set_dev(bio, p->dev->bdev);
	return DM_MAPIO_REMAPPED;
}

static int mcp_end_now(struct bio *bio, blk_status_t status,
		       atomic64_t *count)
{
	*mcp_route_of(bio) = MCP_ENDED;
	atomic64_inc(count);
	bio->bi_status = status;
	bio_endio(bio);
	return DM_MAPIO_SUBMITTED;
}

/*
 * A read at the controller that does not own @lun: serve it locally when
 * every page can be (all from the LU, or all from mirror copies), else
 * forward it.  Called under rcu_read_lock().
 */
static int mcp_read_local(struct mc_port *p, struct mc_target *mc,
			  struct mc_lun *lun, sector_t sector, struct bio *bio)
{
	struct mc_ctrl *o = &mc->ctrl[READ_ONCE(lun->owner)];
	struct mc_ctrl *c = &mc->ctrl[p->ctrl];
	u64 first = (sector - lun->start) / MC_PAGE_SECTORS;
	u32 i, nr = bio_sectors(bio) / MC_PAGE_SECTORS, kinds = 0;
	struct bvec_iter iter = bio->bi_iter;

	if ((sector | bio_sectors(bio)) & (MC_PAGE_SECTORS - 1))
		return mcp_forward(p, bio, MCP_FORWARD);	/* the device
								 * refuses it */
	/* The mirror copies are in @c's memory: a user of it meanwhile. */
	if (!mc_ctrl_get(c))
		return mcp_end_now(bio, BLK_STS_TRANSPORT, &p->path_errors);
	for (i = 0; i < nr; i++) {
		kinds |= BIT(mc_peer_read(o, lun, first + i, bio, &iter));
		if (kinds & BIT(MC_PR_OWNER))
			break;
	}
	mc_ctrl_put(c);
	if (kinds == BIT(MC_PR_LU)) {
		/* The table waits for it before it suspends (mc_port_reads). */
		*mcp_route_of(bio) = MCP_LU;
		mcp_io_of(bio)->mc = mc;
		atomic_inc(&mc->port_reads);
		atomic64_inc(&p->local_reads);
		bio_set_dev(bio, lun->dev->bdev);
		bio->bi_iter.bi_sector = sector - lun->start;
		return DM_MAPIO_REMAPPED;
	}
	if (kinds != BIT(MC_PR_MIRROR))
		return mcp_forward(p, bio, MCP_FORWARD);	/* partial copies
								 * are overwritten */
	if (!mc_ctrl_alive(c))	/* failed since: a path error all the same */
		return mcp_end_now(bio, BLK_STS_TRANSPORT, &p->path_errors);
	atomic64_inc(&p->mirror_reads);
	return mcp_end_now(bio, BLK_STS_OK, &p->local_reads);
}

/* Map a bio of an LU of the live table @mc; rcu_read_lock() held. */
static int mcp_map_live(struct mc_port *p, struct mc_target *mc,
			struct bio *bio)
{
	sector_t sector = bio->bi_iter.bi_sector, left;
	struct mc_lun *lun;
	int holder;

	if (!mc_ctrl_up(&mc->ctrl[p->ctrl]))
		return mcp_end_now(bio, BLK_STS_TRANSPORT, &p->path_errors);
	if (!bio_sectors(bio) || sector < mc->ti->begin ||
	    sector - mc->ti->begin >= mc->ti->len)
		return mcp_forward(p, bio, MCP_FORWARD);	/* a flush, or not
								 * the target's */
	sector -= mc->ti->begin;
	lun = mc_lun_of(mc, sector);
	left = lun->start + lun->len - sector;
	if (bio_sectors(bio) > left)
		dm_accept_partial_bio(bio, left);	/* one LU per bio */

	if (op_is_write(bio_op(bio))) {
		holder = READ_ONCE(p->array->resv[lun->id]);
		if (holder != MC_NO_CTRL && holder != p->ctrl)
			return mcp_end_now(bio, MC_STS_RESV_CONFLICT,
					   &p->conflicts);
	}
	if (READ_ONCE(lun->owner) == p->ctrl)
		return mcp_forward(p, bio, MCP_OWNER);
	if (bio_op(bio) == REQ_OP_READ && !READ_ONCE(mc->suspended))
		return mcp_read_local(p, mc, lun, sector, bio);
	return mcp_forward(p, bio, MCP_FORWARD);
}

static int mcp_map(struct dm_target *ti, struct bio *bio)
{
	struct mc_port *p = ti->private;
	struct mc_target *mc;
	int r;

	rcu_read_lock();
	mc = rcu_dereference(p->array->live);
	if (mc)
		r = mcp_map_live(p, mc, bio);
	else
		r = mcp_forward(p, bio, MCP_FORWARD);	/* no live table yet */
	rcu_read_unlock();
	return r;
}

/* Is the port's controller up in the live table? */
static bool mcp_ctrl_up(struct mc_port *p)
{
	struct mc_target *mc;
	bool up = true;

	rcu_read_lock();
	mc = rcu_dereference(p->array->live);
	if (mc)
		up = mc_ctrl_up(&mc->ctrl[p->ctrl]);
	rcu_read_unlock();
	return up;
}

/*
 * An error of a bio the port passed on: a path error when the port's
 * controller has failed since (dm-multipath retries the other port);
 * otherwise the LU's own error, which no other path can cure.
 */
static int mcp_end_io(struct dm_target *ti, struct bio *bio,
		      blk_status_t *error)
{
	struct mc_port *p = ti->private;

	if (*mcp_route_of(bio) == MCP_LU)
		mc_port_read_done(mcp_io_of(bio)->mc);
	if (!*error || *mcp_route_of(bio) == MCP_ENDED)
		return DM_ENDIO_DONE;
	if (!mcp_ctrl_up(p)) {
		*error = BLK_STS_TRANSPORT;
		atomic64_inc(&p->path_errors);
	} else if (blk_path_error(*error)) {
		*error = BLK_STS_TARGET;
	}
	return DM_ENDIO_DONE;
}

/*
 * Status (STATUSTYPE_INFO), fields in order:
 *
 *   <ctrl> <ctrl state|->
 *   <#luns> then per LU: <owner|forward> <reserved by: ctrl|->
 *   <owner_ios> <forwarded> <local_reads> <mirror_reads> <conflicts>
 *   <path_errors>
 *
 * "owner" is the owner path (ALUA active/optimized), "forward" the
 * forwarding path (active/non-optimized).  <ctrl state> is "-" and
 * <#luns> 0 while the device has no live table.
 */
static void mcp_status(struct dm_target *ti, status_type_t type,
		       unsigned int status_flags, char *result,
		       unsigned int maxlen)
{
	struct mc_port *p = ti->private;
	struct mc_target *mc;
	unsigned int sz = 0, i;
	int holder;

	switch (type) {
	case STATUSTYPE_INFO:
		rcu_read_lock();
		mc = rcu_dereference(p->array->live);
		DMEMIT("%u %s %u", p->ctrl,
		       mc ? mc_ctrl_state_name(&mc->ctrl[p->ctrl]) : "-",
		       mc ? mc->nr_luns : 0);
		for (i = 0; mc && i < mc->nr_luns; i++) {
			holder = READ_ONCE(p->array->resv[i]);
			DMEMIT(" %s", READ_ONCE(mc->luns[i].owner) == p->ctrl ?
			       "owner" : "forward");
			if (holder == MC_NO_CTRL)
				DMEMIT(" -");
			else
				DMEMIT(" %d", holder);
		}
		rcu_read_unlock();
		DMEMIT(" %llu %llu %llu %llu %llu %llu",
		       (u64)atomic64_read(&p->owner_ios),
		       (u64)atomic64_read(&p->forwarded),
		       (u64)atomic64_read(&p->local_reads),
		       (u64)atomic64_read(&p->mirror_reads),
		       (u64)atomic64_read(&p->conflicts),
		       (u64)atomic64_read(&p->path_errors));
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %u", p->dev->name, p->ctrl);
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/* "reserve <lun>" and "release <lun>" on the live table @mc. */
static int mcp_message_resv(struct mc_port *p, struct mc_target *mc,
			    unsigned int argc, char **argv)
{
	bool reserve = !strcasecmp(argv[0], "reserve");
	unsigned int lun;
	int holder, r;
	char dummy;

	if (argc != 2 || sscanf(argv[1], "%u%c", &lun, &dummy) != 1 ||
	    lun >= mc->nr_luns) {
		DMERR("mcport: %s expects one argument, an LU 0..%u",
		      argv[0], mc->nr_luns - 1);
		return -EINVAL;
	}
	if (!reserve) {
		if (mc_array_release_resv(p->array, lun, p->ctrl))
			return 0;
		DMERR("mcport: LU %u is not reserved through controller %u",
		      lun, p->ctrl);
		return -EINVAL;
	}
	r = mc_array_reserve(p->array, lun, &mc->ctrl[p->ctrl], &holder);
	if (r == -EIO)
		DMERR("mcport: controller %u has failed: no reservation",
		      p->ctrl);
	else if (r)
		DMERR("mcport: LU %u is reserved through controller %d",
		      lun, holder);
	return r;
}

/*
 * Messages: "reserve <lun>" and "release <lun>".  A reservation belongs to
 * the port's controller; the failure of that controller drops it
 * (mc_fail_ctrl(), mc_array_reserve()).  Nothing here sleeps: the live
 * table is kept by rcu_read_lock(), and a message never waits for a
 * failover or a failback in progress.
 */
static int mcp_message(struct dm_target *ti, unsigned int argc, char **argv,
		       char *result, unsigned int maxlen)
{
	struct mc_port *p = ti->private;
	struct mc_target *mc;
	int r;

	if (!argc || (strcasecmp(argv[0], "reserve") &&
		      strcasecmp(argv[0], "release"))) {
		DMERR("mcport: unrecognised message \"%s\" (%u arguments)",
		      argc ? argv[0] : "", argc);
		return -EINVAL;
	}
	rcu_read_lock();
	mc = rcu_dereference(p->array->live);
	if (mc)
		r = mcp_message_resv(p, mc, argc, argv);
	rcu_read_unlock();
	if (!mc) {
		DMERR("mcport: the device has no live table");
		r = -ENODEV;
	}
	return r;
}

static int mcp_iterate_devices(struct dm_target *ti,
			       iterate_devices_callout_fn fn, void *data)
{
	struct mc_port *p = ti->private;

	return fn(ti, p->dev, 0, ti->len, data);
}

static struct target_type mcp_target_type = {
	.name = "mcport",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = mcp_ctr,
	.dtr = mcp_dtr,
	.map = mcp_map,
	.end_io = mcp_end_io,
	.status = mcp_status,
	.message = mcp_message,
	.iterate_devices = mcp_iterate_devices,
};
