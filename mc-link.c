// SPDX-License-Identifier: GPL-2.0
/*
 * dm-mirrorcache: the RDMA link to the peer host (two-host tables).
 *
 * In a two-host table (Documentation/two-hosts.rst) each host runs one
 * controller and reaches the other over one RC queue pair set up through
 * the RDMA connection manager: controller 0 listens on its address,
 * controller 1 connects to it and tries again every second while the peer
 * is absent, so either host can start first or restart.
 *
 * Once connected, each side sends a HELLO (an RDMA SEND) that announces
 * what it is (claim 2, the mutual size notification): which controller,
 * both cache sizes and the mirror ratio of its table, a hash of its LU
 * list and a generation drawn at each table load.  A HELLO that does not
 * describe the same array is refused: the connection is closed, both hosts
 * log why.  Then each side sends a heartbeat every heartbeat_ms and counts
 * the peer lost after MC_LINK_MISSES intervals without a receive (a side
 * that only waits to receive never learns that a crashed peer is gone),
 * or at once on a connection-manager event or a completion error.
 *
 * Concurrency: the connection manager calls mc_link_cm_handler() under the
 * id's handler mutex; completions run in softirq context, queue-pair events
 * perhaps in interrupt context (the link's lock is taken with interrupts
 * off everywhere).  None of them blocks:
 * what sleeps runs on the link's ordered work queue (@wq), which also
 * serialises the posting of sends with the teardown of a connection.  A
 * connection is torn down as a whole (mc_link_conn_free()) by the reset
 * work after it has been unhooked from the link under @lock, so a handler
 * that still runs sees it gone, or sees @dead set under its handler mutex.
 *
 * This file knows nothing of controllers: the target hands it its
 * configuration and its HELLO.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "dm-mirrorcache.h"

/**
 * struct mc_link_hello - what a host announces in its HELLO (host order)
 * @ctrl: its controller
 * @nr_luns: LUs of its table
 * @cache_pages: both cache sizes of its table
 * @mirror_ratio: its mirror_ratio
 * @lun_hash: mc_link_hash_lun() of its LU list
 * @generation: drawn at each table load
 */
struct mc_link_hello {
	u32 ctrl;
	u32 nr_luns;
	u32 cache_pages[MC_NR_CTRL];
	u32 mirror_ratio;
	u32 lun_hash;
	u64 generation;
};

/*
 * Fold one LU into the hash of an LU list (start with the number of LUs):
 * both hosts must list LUs of the same sizes with the same owners.
 */
static u32 mc_link_hash_lun(u32 h, u64 sectors, u32 owner)
{
	return jhash_3words(lower_32_bits(sectors), upper_32_bits(sectors),
			    owner, h);
}

#if IS_ENABLED(CONFIG_INFINIBAND_ADDR_TRANS)

#include <net/net_namespace.h>
#include <rdma/ib_cm.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#define MC_LINK_MAGIC		0x4d434c31	/* "MCL1" */
#define MC_LINK_VERSION		1
#define MC_LINK_RX		8	/* receives kept posted */
#define MC_LINK_MISSES		4	/* heartbeats missed: the peer is lost */
#define MC_LINK_RETRY_MS	1000	/* controller 1 connects again */
#define MC_LINK_CM_TIMEOUT_MS	2000	/* address and route resolution */
#define MC_LINK_SETUP_MS	10000	/* a connection not established by then
					 * is given up */
#define MC_LINK_RETRY_COUNT	6	/* 7 retransmits for ever (rxe) */
#define MC_LINK_RNR_RETRY	7	/* receive not ready: wait */

enum { MC_LM_HELLO = 1, MC_LM_HEARTBEAT };
enum { MC_LT_HELLO, MC_LT_HEARTBEAT, MC_LT_NR };	/* send buffers */

/**
 * struct mc_link_wire - a control message on the wire (little endian)
 * @magic: MC_LINK_MAGIC
 * @version: MC_LINK_VERSION
 * @type: MC_LM_*
 * @ctrl: the sender's controller
 * @nr_luns: LUs of the sender's table
 * @cache_pages: both cache sizes of the sender's table
 * @mirror_ratio: the sender's mirror_ratio
 * @lun_hash: hash of the sender's LU list (sizes and owners)
 * @generation: drawn when the sender's table was loaded
 * @seq: heartbeats sent on this connection
 */
struct mc_link_wire {
	__le32 magic;
	__le16 version;
	__le16 type;
	__le32 ctrl;
	__le32 nr_luns;
	__le32 cache_pages[MC_NR_CTRL];
	__le32 mirror_ratio;
	__le32 lun_hash;
	__le64 generation;
	__le64 seq;
};

/* One registered message buffer and its completion. */
struct mc_link_buf {
	struct ib_cqe cqe;
	struct mc_link_conn *conn;
	struct mc_link_wire *msg;
	u64 dma;
	bool mapped;
};

/**
 * struct mc_link_conn - one RDMA connection to the peer, torn down whole
 * @link: the link
 * @id: its connection-manager id (owns the queue pair)
 * @dev: the RDMA device of @id, once known
 * @pd: protection domain
 * @cq: completion queue of sends and receives
 * @has_qp: a queue pair exists on @id
 * @established: the queue pair was connected (handler mutex of @id)
 * @hello_sent: our HELLO was posted (the link's work)
 * @dead: teardown started: handlers do nothing (set under the handler
 *	mutex of @id, read by completions without it)
 * @tx_busy: bit per send buffer: a send is posted and not completed
 * @seq: heartbeats sent
 * @rx: receive buffers, all posted while connected
 * @tx: send buffers (MC_LT_*)
 */
struct mc_link_conn {
	struct mc_link *link;
	struct rdma_cm_id *id;
	struct ib_device *dev;
	struct ib_pd *pd;
	struct ib_cq *cq;
	bool has_qp;
	bool established;
	bool hello_sent;
	bool dead;
	unsigned long tx_busy;
	u64 seq;
	struct mc_link_buf rx[MC_LINK_RX];
	struct mc_link_buf tx[MC_LT_NR];
};

enum mc_link_state {
	MC_LS_CONNECTING,	/* no peer yet */
	MC_LS_HELLO,		/* connected, the HELLOs are exchanged */
	MC_LS_CONNECTED,	/* the peer announced the same array */
	MC_LS_LOST,		/* was connected; connecting again */
};

static const char * const mc_link_state_names[] = {
	[MC_LS_CONNECTING] = "connecting",
	[MC_LS_HELLO] = "connecting",
	[MC_LS_CONNECTED] = "connected",
	[MC_LS_LOST] = "lost",
};

/**
 * struct mc_link - the link of a two-host table to its peer host
 * @entry: in mc_links
 * @owner: the mapped device's array: the tables of one device (a reload)
 *	share its link
 * @refs: tables holding the link; mc_links_lock
 * @cfg: addresses, heartbeat interval (the table line)
 * @ours: our HELLO
 * @wq: ordered: connects, sends, heartbeats, resets
 * @listen_id: controller 0's listening id, or NULL
 * @lock: protects the fields below it
 * @conn: the connection, or NULL
 * @state: enum mc_link_state
 * @stopping: the target goes away: nothing is started again
 * @accepting: controller 0 sets up a connection the peer asked for
 * @was_connected: a HELLO was accepted since the last loss
 * @last_rx: jiffies of the last receive, or of the connection's start or
 *	establishment
 * @peer: the peer's last accepted HELLO
 * @connects: HELLOs accepted
 * @losses: connections lost after their HELLO was accepted
 * @refusals: HELLOs refused
 * @last_error: why the last connection ended or was refused
 * @connect_work: controller 1: start a connection
 * @hb_work: send a heartbeat, count missed ones
 * @hello_work: send our HELLO on a new connection
 * @reset_work: tear the connection down, start again
 */
struct mc_link {
	struct list_head entry;
	const void *owner;
	unsigned int refs;
	struct mc_link_cfg cfg;
	struct mc_link_hello ours;
	struct workqueue_struct *wq;
	struct rdma_cm_id *listen_id;

	spinlock_t lock;
	struct mc_link_conn *conn;
	enum mc_link_state state;
	bool stopping;
	bool accepting;
	bool was_connected;
	unsigned long last_rx;
	struct mc_link_hello peer;
	u64 connects;
	u64 losses;
	u64 refusals;
	const char *last_error;

	struct delayed_work connect_work;
	struct delayed_work hb_work;
	struct work_struct hello_work;
	struct work_struct reset_work;
};

/*
 * The links of all devices.  A table reload builds the new table while the
 * old one still runs, on the same address: the two share the link.
 */
static LIST_HEAD(mc_links);
static DEFINE_MUTEX(mc_links_lock);

/* ---- connection teardown ---- */

static void mc_link_buf_unmap(struct mc_link_conn *conn, struct mc_link_buf *b,
			      enum dma_data_direction dir)
{
	if (b->mapped)
		ib_dma_unmap_single(conn->dev, b->dma, sizeof(*b->msg), dir);
	b->mapped = false;
	kfree(b->msg);
	b->msg = NULL;
}

/*
 * Free what mc_link_conn_setup() built: the queue pair first, after the
 * connection is closed and every request posted on it has completed (a
 * queue pair that never connected has only receives, which its
 * destruction flushes; the completion queue goes after it).
 */
static void mc_link_conn_free_res(struct mc_link_conn *conn)
{
	unsigned int i;

	if (conn->has_qp) {
		if (conn->established) {
			rdma_disconnect(conn->id);
			ib_drain_qp(conn->id->qp);
		}
		rdma_destroy_qp(conn->id);
		conn->has_qp = false;
	}
	if (conn->cq)
		ib_free_cq(conn->cq);
	conn->cq = NULL;
	for (i = 0; i < MC_LINK_RX; i++)
		mc_link_buf_unmap(conn, &conn->rx[i], DMA_FROM_DEVICE);
	for (i = 0; i < MC_LT_NR; i++)
		mc_link_buf_unmap(conn, &conn->tx[i], DMA_TO_DEVICE);
	if (conn->pd)
		ib_dealloc_pd(conn->pd);
	conn->pd = NULL;
}

/* Tear down an unhooked connection: from the link's work, never a handler. */
static void mc_link_conn_free(struct mc_link_conn *conn)
{
	rdma_lock_handler(conn->id);
	conn->dead = true;
	rdma_unlock_handler(conn->id);
	mc_link_conn_free_res(conn);
	rdma_destroy_id(conn->id);
	kfree(conn);
}

/**
 * mc_link_lost - end connection @conn, if it is still the link's
 * @conn: the connection
 * @why: logged, and shown in sysfs as the last error
 *
 * Any context.  The reset work tears it down and starts again.
 */
static void mc_link_lost(struct mc_link_conn *conn, const char *why)
{
	struct mc_link *link = conn->link;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	if (link->conn == conn && !READ_ONCE(conn->dead)) {
		link->last_error = why;
		queue_work(link->wq, &link->reset_work);
	}
	spin_unlock_irqrestore(&link->lock, flags);
}

static void mc_link_reset_work(struct work_struct *work)
{
	struct mc_link *link = container_of(work, struct mc_link, reset_work);
	struct mc_link_conn *conn;
	bool lost;

	spin_lock_irq(&link->lock);
	conn = link->conn;
	link->conn = NULL;
	lost = link->state == MC_LS_CONNECTED;
	if (lost)
		link->losses++;
	if (link->was_connected)
		link->state = MC_LS_LOST;
	else
		link->state = MC_LS_CONNECTING;
	spin_unlock_irq(&link->lock);

	if (lost)
		DMWARN("ctrl%d: lost the peer ctrl%d: %s", link->cfg.local,
		       1 - link->cfg.local, link->last_error);
	if (conn)
		mc_link_conn_free(conn);

	spin_lock_irq(&link->lock);
	if (!link->stopping && link->cfg.local == 1)
		queue_delayed_work(link->wq, &link->connect_work,
				   msecs_to_jiffies(MC_LINK_RETRY_MS));
	spin_unlock_irq(&link->lock);
}

/* ---- messages ---- */

static void mc_link_fill(struct mc_link *link, struct mc_link_wire *w,
			 u16 type, u64 seq)
{
	const struct mc_link_hello *h = &link->ours;
	unsigned int i;

	memset(w, 0, sizeof(*w));
	w->magic = cpu_to_le32(MC_LINK_MAGIC);
	w->version = cpu_to_le16(MC_LINK_VERSION);
	w->type = cpu_to_le16(type);
	w->ctrl = cpu_to_le32(h->ctrl);
	w->nr_luns = cpu_to_le32(h->nr_luns);
	for (i = 0; i < MC_NR_CTRL; i++)
		w->cache_pages[i] = cpu_to_le32(h->cache_pages[i]);
	w->mirror_ratio = cpu_to_le32(h->mirror_ratio);
	w->lun_hash = cpu_to_le32(h->lun_hash);
	w->generation = cpu_to_le64(h->generation);
	w->seq = cpu_to_le64(seq);
}

static void mc_link_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mc_link_buf *b = container_of(wc->wr_cqe, struct mc_link_buf, cqe);
	struct mc_link_conn *conn = b->conn;

	clear_bit(b - conn->tx, &conn->tx_busy);
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		mc_link_lost(conn, "a send failed");
}

/* Post send buffer @which; from the link's work only. */
static void mc_link_send(struct mc_link_conn *conn, unsigned int which,
			 u16 type)
{
	struct mc_link_buf *b = &conn->tx[which];
	struct ib_sge sge = {
		.addr = b->dma,
		.length = sizeof(*b->msg),
		.lkey = conn->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = &b->cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};

	if (test_and_set_bit(which, &conn->tx_busy))
		return;		/* the previous one is still on its way */
	mc_link_fill(conn->link, b->msg, type, ++conn->seq);
	ib_dma_sync_single_for_device(conn->dev, b->dma, sizeof(*b->msg),
				      DMA_TO_DEVICE);
	if (ib_post_send(conn->id->qp, &wr, NULL)) {
		clear_bit(which, &conn->tx_busy);
		mc_link_lost(conn, "cannot post a send");
	}
}

static int mc_link_post_recv(struct mc_link_conn *conn, struct mc_link_buf *b)
{
	struct ib_sge sge = {
		.addr = b->dma,
		.length = sizeof(*b->msg),
		.lkey = conn->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &b->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	return ib_post_recv(conn->id->qp, &wr, NULL);
}

static void mc_link_wire_to_hello(const struct mc_link_wire *w,
				  struct mc_link_hello *h)
{
	unsigned int i;

	h->ctrl = le32_to_cpu(w->ctrl);
	h->nr_luns = le32_to_cpu(w->nr_luns);
	for (i = 0; i < MC_NR_CTRL; i++)
		h->cache_pages[i] = le32_to_cpu(w->cache_pages[i]);
	h->mirror_ratio = le32_to_cpu(w->mirror_ratio);
	h->lun_hash = le32_to_cpu(w->lun_hash);
	h->generation = le64_to_cpu(w->generation);
}

/* Why the peer's HELLO @p does not describe our array, or NULL. */
static const char *mc_link_hello_mismatch(const struct mc_link_hello *ours,
					  const struct mc_link_hello *p)
{
	if (p->ctrl != 1 - ours->ctrl)
		return "the peer runs the same controller";
	if (p->cache_pages[0] != ours->cache_pages[0] ||
	    p->cache_pages[1] != ours->cache_pages[1])
		return "the peer's table has other cache sizes";
	if (p->mirror_ratio != ours->mirror_ratio)
		return "the peer's table has another mirror_ratio";
	if (p->nr_luns != ours->nr_luns || p->lun_hash != ours->lun_hash)
		return "the peer's table lists other LUs or owners";
	return NULL;
}

/* A HELLO arrived (softirq): accept the peer or refuse it. */
static void mc_link_hello_rx(struct mc_link_conn *conn,
			     const struct mc_link_wire *w)
{
	struct mc_link *link = conn->link;
	struct mc_link_hello p;
	unsigned long flags;
	const char *why;
	bool up = false;

	mc_link_wire_to_hello(w, &p);
	why = mc_link_hello_mismatch(&link->ours, &p);
	/*
	 * The peer's HELLO may overtake our own ESTABLISHED event (the
	 * passive side learns of it last): any HELLO on the connection counts.
	 */
	spin_lock_irqsave(&link->lock, flags);
	if (link->conn == conn && link->state != MC_LS_CONNECTED) {
		if (why) {
			link->refusals++;
		} else {
			link->peer = p;
			link->state = MC_LS_CONNECTED;
			link->was_connected = true;
			link->connects++;
			up = true;
		}
	}
	spin_unlock_irqrestore(&link->lock, flags);
	if (why) {
		DMERR_LIMIT("ctrl%d: refused peer ctrl%u: %s (peer: %u LUs, caches %u/%u, mirror_ratio %u; ours: %u LUs, caches %u/%u, mirror_ratio %u)",
			    link->cfg.local, p.ctrl, why, p.nr_luns,
			    p.cache_pages[0], p.cache_pages[1], p.mirror_ratio,
			    link->ours.nr_luns, link->ours.cache_pages[0],
			    link->ours.cache_pages[1], link->ours.mirror_ratio);
		mc_link_lost(conn, why);
	} else if (up) {
		DMINFO("ctrl%d: connected to peer ctrl%u (generation %llx)",
		       link->cfg.local, p.ctrl, p.generation);
	}
}

static void mc_link_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mc_link_buf *b = container_of(wc->wr_cqe, struct mc_link_buf, cqe);
	struct mc_link_conn *conn = b->conn;
	struct mc_link *link = conn->link;
	const struct mc_link_wire *w = b->msg;
	unsigned long flags;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			mc_link_lost(conn, "a receive failed");
		return;
	}
	ib_dma_sync_single_for_cpu(conn->dev, b->dma, sizeof(*w),
				   DMA_FROM_DEVICE);
	if (wc->byte_len < sizeof(*w) ||
	    le32_to_cpu(w->magic) != MC_LINK_MAGIC ||
	    le16_to_cpu(w->version) != MC_LINK_VERSION) {
		mc_link_lost(conn, "the peer speaks another protocol");
		return;
	}
	spin_lock_irqsave(&link->lock, flags);
	if (link->conn == conn)
		link->last_rx = jiffies;
	spin_unlock_irqrestore(&link->lock, flags);
	if (le16_to_cpu(w->type) == MC_LM_HELLO)
		mc_link_hello_rx(conn, w);

	ib_dma_sync_single_for_device(conn->dev, b->dma, sizeof(*w),
				      DMA_FROM_DEVICE);
	if (!READ_ONCE(conn->dead) && mc_link_post_recv(conn, b))
		mc_link_lost(conn, "cannot post a receive");
}

/* Send our HELLO once per connection, whatever the peer's did already. */
static void mc_link_hello_work(struct work_struct *work)
{
	struct mc_link *link = container_of(work, struct mc_link, hello_work);
	struct mc_link_conn *conn;

	spin_lock_irq(&link->lock);
	conn = link->conn;
	spin_unlock_irq(&link->lock);
	if (conn && !conn->hello_sent) {
		conn->hello_sent = true;
		mc_link_send(conn, MC_LT_HELLO, MC_LM_HELLO);
	}
}

/*
 * Every heartbeat_ms: send a heartbeat on a connected link, and lose a
 * connection that received nothing for MC_LINK_MISSES intervals once
 * established (the HELLO exchange included), or that is not established
 * MC_LINK_SETUP_MS after it started (a peer gone in the middle).
 */
static void mc_link_hb_work(struct work_struct *work)
{
	struct mc_link *link = container_of(to_delayed_work(work),
					    struct mc_link, hb_work);
	unsigned long hb = msecs_to_jiffies(link->cfg.heartbeat_ms);
	bool up, send = false;
	const char *why = NULL;
	struct mc_link_conn *conn;

	spin_lock_irq(&link->lock);
	conn = link->conn;
	up = link->state == MC_LS_HELLO || link->state == MC_LS_CONNECTED;
	if (conn && up) {
		if (time_after(jiffies, link->last_rx + MC_LINK_MISSES * hb))
			why = "no heartbeat";
		send = link->state == MC_LS_CONNECTED &&
		       !(READ_ONCE(mc_inject_link_silent) & BIT(link->cfg.local));
	} else if (conn && time_after(jiffies, link->last_rx +
				      msecs_to_jiffies(MC_LINK_SETUP_MS))) {
		why = "the connection did not come up";
	}
	spin_unlock_irq(&link->lock);
	if (why)
		mc_link_lost(conn, why);
	else if (send)
		mc_link_send(conn, MC_LT_HEARTBEAT, MC_LM_HEARTBEAT);

	spin_lock_irq(&link->lock);
	if (!link->stopping)
		queue_delayed_work(link->wq, &link->hb_work, hb);
	spin_unlock_irq(&link->lock);
}

/* ---- connection setup ---- */

static void mc_link_qp_event(struct ib_event *ev, void *ctx)
{
	struct mc_link_conn *conn = ctx;

	switch (ev->event) {
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
		mc_link_lost(conn, "queue pair error");
		break;
	default:
		break;
	}
}

static int mc_link_buf_init(struct mc_link_conn *conn, struct mc_link_buf *b,
			    enum dma_data_direction dir,
			    void (*done)(struct ib_cq *, struct ib_wc *))
{
	b->conn = conn;
	b->cqe.done = done;
	b->msg = kzalloc(sizeof(*b->msg), GFP_KERNEL);
	if (!b->msg)
		return -ENOMEM;
	b->dma = ib_dma_map_single(conn->dev, b->msg, sizeof(*b->msg), dir);
	if (ib_dma_mapping_error(conn->dev, b->dma))
		return -ENOMEM;
	b->mapped = true;
	return 0;
}

/*
 * Protection domain, completion queue, queue pair and buffers on the
 * device of @conn->id, receives posted.  From a connection-manager handler
 * of @conn->id (route resolved, or connect request).
 */
static int mc_link_conn_setup(struct mc_link_conn *conn)
{
	struct ib_qp_init_attr attr = {
		.event_handler = mc_link_qp_event,
		.qp_context = conn,
		.sq_sig_type = IB_SIGNAL_REQ_WR,
		.qp_type = IB_QPT_RC,
		.cap = {
			.max_send_wr = MC_LT_NR + 1,	/* + the drain's */
			.max_recv_wr = MC_LINK_RX + 1,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
	};
	unsigned int i;
	int r;

	conn->dev = conn->id->device;
	conn->pd = ib_alloc_pd(conn->dev, 0);
	if (IS_ERR(conn->pd)) {
		r = PTR_ERR(conn->pd);
		conn->pd = NULL;
		return r;
	}
	conn->cq = ib_alloc_cq(conn->dev, conn, MC_LT_NR + MC_LINK_RX + 2, 0,
			       IB_POLL_SOFTIRQ);
	if (IS_ERR(conn->cq)) {
		r = PTR_ERR(conn->cq);
		conn->cq = NULL;
		return r;
	}
	attr.send_cq = conn->cq;
	attr.recv_cq = conn->cq;
	for (i = 0; i < MC_LT_NR; i++) {
		r = mc_link_buf_init(conn, &conn->tx[i], DMA_TO_DEVICE,
				     mc_link_send_done);
		if (r)
			return r;
	}
	for (i = 0; i < MC_LINK_RX; i++) {
		r = mc_link_buf_init(conn, &conn->rx[i], DMA_FROM_DEVICE,
				     mc_link_recv_done);
		if (r)
			return r;
	}
	r = rdma_create_qp(conn->id, conn->pd, &attr);
	if (r)
		return r;
	conn->has_qp = true;
	for (i = 0; i < MC_LINK_RX; i++) {
		r = mc_link_post_recv(conn, &conn->rx[i]);
		if (r)
			return r;
	}
	return 0;
}

static void mc_link_conn_param(struct rdma_conn_param *p)
{
	memset(p, 0, sizeof(*p));
	p->responder_resources = 1;
	p->initiator_depth = 1;
	p->retry_count = MC_LINK_RETRY_COUNT;
	p->rnr_retry_count = MC_LINK_RNR_RETRY;
}

/* The queue pair is connected: exchange the HELLOs. */
static void mc_link_established(struct mc_link_conn *conn)
{
	struct mc_link *link = conn->link;

	spin_lock_irq(&link->lock);
	if (link->conn == conn) {
		if (link->state != MC_LS_CONNECTED)
			link->state = MC_LS_HELLO;
		link->last_rx = jiffies;
		queue_work(link->wq, &link->hello_work);
	}
	spin_unlock_irq(&link->lock);
}

/* Events of a connection's id (both sides).  Never destroys the id. */
static int mc_link_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct mc_link_conn *conn = id->context;
	struct rdma_conn_param param;
	int r;

	if (conn->dead)
		return 0;
	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		r = rdma_resolve_route(id, MC_LINK_CM_TIMEOUT_MS);
		if (r)
			mc_link_lost(conn, "cannot resolve the route to the peer");
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		r = mc_link_conn_setup(conn);
		if (!r) {
			mc_link_conn_param(&param);
			r = rdma_connect_locked(id, &param);
		}
		if (r)
			mc_link_lost(conn, "cannot set up the queue pair");
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		conn->established = true;
		mc_link_established(conn);
		break;
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_CONNECT_RESPONSE:
		break;
	case RDMA_CM_EVENT_REJECTED:
		mc_link_lost(conn, "the peer rejected the connection");
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		mc_link_lost(conn, "the peer disconnected");
		break;
	default:
		mc_link_lost(conn, rdma_event_msg(ev->event));
		break;
	}
	return 0;
}

static struct mc_link_conn *mc_link_conn_alloc(struct mc_link *link)
{
	struct mc_link_conn *conn = kzalloc(sizeof(*conn), GFP_KERNEL);

	if (conn)
		conn->link = link;
	return conn;
}

/*
 * Install @conn as the link's connection unless the link stops; end an
 * accept in either case (@conn NULL: it failed).
 */
static bool mc_link_install(struct mc_link *link, struct mc_link_conn *conn)
{
	bool ok;

	spin_lock_irq(&link->lock);
	ok = conn && !link->stopping && !link->conn;
	if (ok) {
		link->conn = conn;
		link->last_rx = jiffies;
	}
	link->accepting = false;
	spin_unlock_irq(&link->lock);
	return ok;
}

/*
 * Controller 0: the peer asks to connect (listener's handler, for the new
 * id).  One connection at a time; another one is refused until the first
 * is gone.  Returns non-zero to have the connection manager destroy @id
 * (which rejects the request).
 */
static int mc_link_accept(struct mc_link *link, struct rdma_cm_id *id)
{
	struct mc_link_conn *conn;
	struct rdma_conn_param param;
	bool busy;
	int r;

	spin_lock_irq(&link->lock);
	busy = link->stopping || link->conn || link->accepting;
	if (!busy)
		link->accepting = true;
	spin_unlock_irq(&link->lock);
	if (busy) {
		rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
		return 1;
	}

	conn = mc_link_conn_alloc(link);
	if (conn) {
		conn->id = id;
		r = mc_link_conn_setup(conn);
		if (!r) {
			mc_link_conn_param(&param);
			id->context = conn;
			id->event_handler = mc_link_cm_handler;
			r = rdma_accept(id, &param);
		}
		if (!r && mc_link_install(link, conn))
			return 0;
		conn->dead = true;
		mc_link_conn_free_res(conn);
		kfree(conn);
	}
	mc_link_install(link, NULL);
	return 1;
}

/* Controller 0's listening id (and new ids, until accepted). */
static int mc_link_listen_handler(struct rdma_cm_id *id,
				  struct rdma_cm_event *ev)
{
	struct mc_link *link = id->context;

	switch (ev->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return mc_link_accept(link, id);
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		DMERR("ctrl%d: the RDMA device of addr went away: the link stops listening",
		      link->cfg.local);
		spin_lock_irq(&link->lock);
		link->listen_id = NULL;
		spin_unlock_irq(&link->lock);
		return 1;	/* the connection manager destroys it */
	default:
		return 0;
	}
}

/* Controller 1: start a connection to the peer's address. */
static void mc_link_connect_work(struct work_struct *work)
{
	struct mc_link *link = container_of(to_delayed_work(work),
					    struct mc_link, connect_work);
	struct sockaddr_in src = link->cfg.addr;
	struct mc_link_conn *conn = mc_link_conn_alloc(link);
	struct rdma_cm_id *id;

	if (!conn)
		goto retry;
	id = rdma_create_id(&init_net, mc_link_cm_handler, conn, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id)) {
		kfree(conn);
		goto retry;
	}
	conn->id = id;
	if (!mc_link_install(link, conn)) {
		rdma_destroy_id(id);
		kfree(conn);
		return;
	}
	src.sin_port = 0;
	if (rdma_resolve_addr(id, (struct sockaddr *)&src,
			      (struct sockaddr *)&link->cfg.peer,
			      MC_LINK_CM_TIMEOUT_MS))
		mc_link_lost(conn, "cannot resolve the peer's address");
	return;
retry:
	spin_lock_irq(&link->lock);
	if (!link->stopping)
		queue_delayed_work(link->wq, &link->connect_work,
				   msecs_to_jiffies(MC_LINK_RETRY_MS));
	spin_unlock_irq(&link->lock);
}

/*
 * Bind an id to this host's address: the listener of controller 0, a
 * check of the address for controller 1 (its connections bind to it again).
 */
static int mc_link_bind(struct mc_link *link, char **error)
{
	struct rdma_cm_id *id;
	int r;

	id = rdma_create_id(&init_net, mc_link_listen_handler, link,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id)) {
		*error = "Cannot create an RDMA CM id (is rdma_cm loaded?)";
		return PTR_ERR(id);
	}
	r = rdma_bind_addr(id, (struct sockaddr *)&link->cfg.addr);
	if (r) {
		rdma_destroy_id(id);
		DMERR("cannot bind to %pI4: error %d", &link->cfg.addr.sin_addr, r);
		*error = "Cannot bind to addr: no RDMA device has this address";
		return r;
	}
	if (link->cfg.local == 1) {
		rdma_destroy_id(id);
		return 0;
	}
	r = rdma_listen(id, 1);
	if (r) {
		rdma_destroy_id(id);
		*error = "Cannot listen on addr (port in use?)";
		return r;
	}
	link->listen_id = id;
	return 0;
}

/*
 * Controller 0 listens at once, controller 1 starts connecting; neither
 * waits for the peer.
 */
static struct mc_link *mc_link_create(const struct mc_link_cfg *cfg,
				      const struct mc_link_hello *ours,
				      char **error)
{
	struct mc_link *link = kzalloc(sizeof(*link), GFP_KERNEL);
	int r;

	if (!link) {
		*error = "Cannot allocate the link";
		return ERR_PTR(-ENOMEM);
	}
	link->cfg = *cfg;
	link->ours = *ours;
	link->last_error = "-";
	spin_lock_init(&link->lock);
	INIT_DELAYED_WORK(&link->connect_work, mc_link_connect_work);
	INIT_DELAYED_WORK(&link->hb_work, mc_link_hb_work);
	INIT_WORK(&link->hello_work, mc_link_hello_work);
	INIT_WORK(&link->reset_work, mc_link_reset_work);
	link->wq = alloc_ordered_workqueue("mc_link%d", WQ_MEM_RECLAIM,
					   cfg->local);
	if (!link->wq) {
		kfree(link);
		*error = "Cannot allocate the link's work queue";
		return ERR_PTR(-ENOMEM);
	}
	r = mc_link_bind(link, error);
	if (r) {
		destroy_workqueue(link->wq);
		kfree(link);
		return ERR_PTR(r);
	}
	queue_delayed_work(link->wq, &link->hb_work,
			   msecs_to_jiffies(cfg->heartbeat_ms));
	if (cfg->local == 1)
		queue_delayed_work(link->wq, &link->connect_work, 0);
	atomic_inc(&mc_live.links);
	return link;
}

/* Close the connection, stop listening and connecting, free the link. */
static void mc_link_destroy(struct mc_link *link)
{
	struct rdma_cm_id *listen_id;

	spin_lock_irq(&link->lock);
	link->stopping = true;
	listen_id = link->listen_id;
	link->listen_id = NULL;
	spin_unlock_irq(&link->lock);
	if (listen_id)
		rdma_destroy_id(listen_id);	/* waits for a connect request */
	cancel_delayed_work_sync(&link->connect_work);
	cancel_delayed_work_sync(&link->hb_work);
	queue_work(link->wq, &link->reset_work);
	destroy_workqueue(link->wq);		/* runs it, then nothing more */
	kfree(link);
	atomic_dec(&mc_live.links);
}

/* The same link: addresses, fencing, heartbeat and the array announced. */
static bool mc_link_same(struct mc_link *link, const struct mc_link_cfg *cfg,
			 const struct mc_link_hello *ours)
{
	struct mc_link_hello h = *ours;

	h.generation = link->ours.generation;
	return !memcmp(&link->cfg, cfg, sizeof(*cfg)) &&
	       !memcmp(&link->ours, &h, sizeof(h));
}

/**
 * mc_link_get - the link of a two-host table of @owner
 * @owner: the mapped device's array
 * @cfg: the table's two-host part (cfg->local is 0 or 1)
 * @ours: the HELLO this host announces (its generation is drawn anew for
 *	a new link; a reload keeps the link's)
 * @error: the table line's error, on failure
 *
 * A reload of a device shares the link of its live table; it must not
 * change it (remove the device for that).
 *
 * Return: a reference on the link, or an ERR_PTR().
 */
static struct mc_link *mc_link_get(const void *owner,
				   const struct mc_link_cfg *cfg,
				   const struct mc_link_hello *ours,
				   char **error)
{
	struct mc_link *link;

	mutex_lock(&mc_links_lock);
	list_for_each_entry(link, &mc_links, entry) {
		if (link->owner != owner)
			continue;
		if (!mc_link_same(link, cfg, ours)) {
			link = ERR_PTR(-EBUSY);
			*error = "A reload cannot change a two-host table's link or array: remove the device first";
		} else {
			link->refs++;
		}
		goto out;
	}
	link = mc_link_create(cfg, ours, error);
	if (!IS_ERR(link)) {
		link->owner = owner;
		link->refs = 1;
		list_add(&link->entry, &mc_links);
	}
out:
	mutex_unlock(&mc_links_lock);
	return link;
}

/* Drop a table's reference; the last one closes the link. */
static void mc_link_put(struct mc_link *link)
{
	bool last;

	mutex_lock(&mc_links_lock);
	last = !--link->refs;
	if (last)
		list_del(&link->entry);
	mutex_unlock(&mc_links_lock);
	if (last)
		mc_link_destroy(link);
}

/* Status: " peer <connecting|connected|lost> <connects> <losses>". */
static unsigned int mc_link_emit(struct mc_link *link, char *result,
				 unsigned int maxlen, unsigned int sz)
{
	enum mc_link_state st;
	u64 c, l;

	spin_lock_irq(&link->lock);
	st = link->state;
	c = link->connects;
	l = link->losses;
	spin_unlock_irq(&link->lock);
	DMEMIT(" peer %s %llu %llu", mc_link_state_names[st], c, l);
	return sz;
}

/* sysfs "link": one line, see Documentation/two-hosts.rst. */
static ssize_t mc_link_show(struct mc_link *link, char *buf)
{
	struct mc_link_hello p = {};
	enum mc_link_state st;
	u64 c, l, r;
	const char *err;

	spin_lock_irq(&link->lock);
	st = link->state;
	if (link->was_connected)
		p = link->peer;
	c = link->connects;
	l = link->losses;
	r = link->refusals;
	err = link->last_error;
	spin_unlock_irq(&link->lock);
	return sysfs_emit(buf, "local %d peer %s connects %llu losses %llu refusals %llu generation %llx peer_generation %llx last_error %s\n",
			  link->cfg.local, mc_link_state_names[st], c, l, r,
			  link->ours.generation, p.generation, err);
}

#else /* !CONFIG_INFINIBAND_ADDR_TRANS: no RDMA CM, no two-host tables */

struct mc_link {
	int unused;
};

static struct mc_link *mc_link_get(const void *owner,
				   const struct mc_link_cfg *cfg,
				   const struct mc_link_hello *ours,
				   char **error)
{
	*error = "Two-host tables need the RDMA CM: this kernel has no CONFIG_INFINIBAND_ADDR_TRANS";
	return ERR_PTR(-EOPNOTSUPP);
}

static void mc_link_put(struct mc_link *link)
{
}

static unsigned int mc_link_emit(struct mc_link *link, char *result,
				 unsigned int maxlen, unsigned int sz)
{
	return sz;
}

static ssize_t mc_link_show(struct mc_link *link, char *buf)
{
	return sysfs_emit(buf, "none\n");
}

#endif
