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
 * Memory (claim 2): the live table lends the link its mirror area and the
 * CBE array of it (mc_link_attach()).  Each connection registers them for
 * the peer's remote writes (fast-registration MRs, at most MC_LINK_PPR
 * pages each) before it sends its HELLO, and announces one REGION message
 * per MR after it.  Once the peer's HELLO and all its REGIONs are in and
 * they cover the peer's mirror area as our table sizes it, the connection
 * is ready: the link tells the table (mc_link_mem->changed), and the node
 * channel writes into the peer's memory with chains of RDMA WRITEs
 * (mc_link_write()), which the peer's CPU never sees.  Posters run in an
 * SRCU read section of the link; a teardown unhooks the ready connection
 * and waits for them before it drains the queue pair, so every chain
 * completes exactly once, with an error when the connection went away.
 *
 * This file knows nothing of controllers: the target hands it its
 * configuration, its HELLO and its memory.
 */
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

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

#if IS_ENABLED(CONFIG_INFINIBAND_ADDR_TRANS)
#include <net/net_namespace.h>
#include <rdma/ib_cm.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#endif

/* The peer's memory a chain writes into (enum of the REGION messages). */
enum { MC_LA_CBE, MC_LA_DATA, MC_LA_NR };

#define MC_LINK_CBE_BYTES	sizeof(struct mc_cbe_raw)
#define MC_LINK_XFER_WR		(2 * MC_NCH_VEC)	/* writes of a chain, at most */

/**
 * struct mc_link_mem - what the live table lends the link (mc_link_attach())
 * @mirror: the pages of our mirror area, which the peer writes into
 * @nr_mirror: how many
 * @cbe: the CBE array of our mirror area (@nr_mirror entries, vmalloc'd)
 * @peer_mirror: pages of the peer's mirror area, as our table sizes it:
 *	the peer's REGIONs must cover that many
 * @changed: the peer's memory became writable or stopped being so, or its
 *	HELLO was accepted; called under the link's lock with interrupts
 *	off: it only queues work
 * @lost: a peer whose HELLO was accepted is gone and its connection torn
 *	down: nothing of it writes into our memory any more.  Called on the
 *	link's work, which sets up nothing else meanwhile (no new connection
 *	gets our memory until it returns); it may sleep, and may withhold
 *	the memory (mc_link_withhold())
 * @ctx: for @changed and @lost, the table
 */
struct mc_link_mem {
	struct page **mirror;
	u32 nr_mirror;
	void *cbe;
	u32 peer_mirror;
	void (*changed)(void *ctx);
	void (*lost)(void *ctx);
	void *ctx;
};

/**
 * struct mc_link_xfer - one chain of RDMA WRITEs into the peer's memory
 * @done: called once, in softirq context, with 0 when every write of the
 *	chain is placed in the peer's memory, else a negative errno (the
 *	connection went away: some writes may have landed)
 * @n: pages of the chain
 * @data: with data, the local pages written into the peer's mirror pages
 *	@slot; NULL: the chain writes CBEs only (a release)
 * @slot: the peer's mirror pages
 * @cbe: the encoded CBEs written into the CBE slots of @slot, after all
 *	the data
 * @zero_len: instead of the above, write zeroes over @zero_len bytes of
 *	the peer's CBE array from byte @zero_off (clearing it); at most
 *	MC_LINK_XFER_WR pages
 * @zero_off: see @zero_len
 */
struct mc_link_xfer {
	void (*done)(struct mc_link_xfer *x, int err);
	u32 n;
	bool data;
	struct page *page[MC_NCH_VEC];
	u32 slot[MC_NCH_VEC];
	struct mc_cbe_raw cbe[MC_NCH_VEC];
	u32 zero_len;
	u64 zero_off;
#if IS_ENABLED(CONFIG_INFINIBAND_ADDR_TRANS)
	/* private to mc-link.c */
	struct ib_cqe cqe;
	struct list_head entry;
	struct mc_link_conn *conn;
	u64 page_dma[MC_NCH_VEC];
	u64 cbe_dma;
	u32 nwr;
	struct ib_rdma_wr wr[MC_LINK_XFER_WR];
	struct ib_sge sge[MC_LINK_XFER_WR];
#endif
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

#define MC_LINK_MAGIC		0x4d434c31	/* "MCL1" */
#define MC_LINK_VERSION		3	/* 2: memory regions, 3: held LUs */
#define MC_LINK_RX		8	/* receives kept posted */
#define MC_LINK_MISSES		4	/* heartbeats missed: the peer is lost */
#define MC_LINK_RETRY_MS	1000	/* controller 1 connects again */
#define MC_LINK_CM_TIMEOUT_MS	2000	/* address and route resolution */
#define MC_LINK_SETUP_MS	10000	/* a connection not established by then
					 * is given up */
#define MC_LINK_RETRY_COUNT	6	/* 7 retransmits for ever (rxe) */
#define MC_LINK_RNR_RETRY	7	/* receive not ready: wait */
#define MC_LINK_PPR		512	/* pages per MR, at most (rxe's limit) */
#define MC_LINK_MAX_REGIONS	64	/* MRs per area: 128 MiB of mirror area */
#define MC_LINK_SQ_DATA		1024	/* send queue slots of the chains */

enum { MC_LM_HELLO = 1, MC_LM_HEARTBEAT, MC_LM_REGION, MC_LM_BYE,
       MC_LM_HANDBACK };
enum { MC_LT_HELLO, MC_LT_HEARTBEAT, MC_LT_BYE, MC_LT_HANDBACK,
       MC_LT_NR };	/* send buffers */

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
 * @ppr: HELLO: pages per memory region of the sender (the last of an area
 *	may have fewer)
 * @nr_regions: HELLO: REGION messages that follow, per area (MC_LA_*)
 * @area: REGION: MC_LA_CBE or MC_LA_DATA
 * @index: REGION: its place in the area (bytes index * ppr * PAGE_SIZE on)
 * @rkey: REGION: the key of its remote writes
 * @iova: REGION: the address of its first byte
 * @length: REGION: its length in bytes
 * @held: HELLO: the LUs (a bit per LU of the table) whose owner in the
 *	table is the receiver and which the sender holds: it serves them,
 *	or keeps the only copies of their dirty pages; HANDBACK: those of
 *	them it gives back, the receiver serves them from now on
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
	__le32 ppr;
	__le32 nr_regions[MC_LA_NR];
	__le32 area;
	__le32 index;
	__le32 rkey;
	__le64 iova;
	__le64 length;
	__le64 held;
};

/* One memory region of ours (an MR over at most MC_LINK_PPR pages). */
struct mc_link_mr {
	struct sg_table sgt;
	int nents;		/* mapped entries, 0 while not mapped */
	struct ib_mr *mr;
};

/* A memory region of the peer, from its REGION message. */
struct mc_link_rregion {
	u64 iova;
	u64 length;
	u32 rkey;
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
 * @ppr: pages per MR of ours
 * @mr: our memory, registered for the peer (MC_LA_*; the link's work)
 * @nr_mr: of @mr, per area
 * @rtx: send buffers of our REGION messages
 * @nr_rtx: how many
 * @peer_hello: the peer's HELLO was accepted on this connection
 * @peer_ppr: its pages per region
 * @rr: the peer's memory regions, per area (its HELLO allocates them)
 * @rr_nr: of @rr, per area
 * @rr_got: REGION messages received
 * @reg_done: our memory is registered, our HELLO and REGIONs are posted and
 *	the zero page is mapped (link->lock)
 * @refused: the peer's HELLO was refused: its REGIONs are ignored
 * @peer_bye: the peer said BYE: it closes the connection on purpose (a
 *	reload, a remove), it is not lost (link->lock)
 * @bye_done: our BYE's send completed
 * @ready: the peer's memory is known, the chains may run (link->lock)
 * @sq_lock: protects @sq_free and @sq_wait (softirq)
 * @sq_free: send queue slots left for chains
 * @sq_wait: chains waiting for slots, in order
 * @err_cqe: completion of the unsignalled writes of a chain: only an
 *	error completes one
 * @zero: a page of zeroes, the source of a clearing chain
 * @zero_dma: its DMA address
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

	u32 ppr;
	struct mc_link_mr *mr[MC_LA_NR];
	u32 nr_mr[MC_LA_NR];
	struct mc_link_buf *rtx;
	u32 nr_rtx;

	bool peer_hello;
	u32 peer_ppr;
	struct mc_link_rregion *rr[MC_LA_NR];
	u32 rr_nr[MC_LA_NR];
	u32 rr_got;
	bool reg_done;
	bool refused;
	bool peer_bye;
	bool ready;
	struct completion bye_done;

	spinlock_t sq_lock;
	u32 sq_free;
	struct list_head sq_wait;
	struct ib_cqe err_cqe;
	struct page *zero;
	u64 zero_dma;
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
 * @unsafe: mc_link_unsafe(): 0, or @losses + 1 as of the loss that left
 *	copies of ours in the peer's memory
 * @refusals: HELLOs refused
 * @last_error: why the last connection ended or was refused
 * @bye: the next reset closes the connection on purpose: it says BYE first
 * @held: the LUs of the peer we hold (mc_link_wire->held), announced in
 *	each HELLO (mc_link_set_held())
 * @peer_held: ours the peer holds: its HELLO's, less its HANDBACKs; valid
 *	while @conn has its HELLO (mc_link_peer_held())
 * @handback: LUs given back since our HELLO, the HANDBACK still to send
 * @mem: the live table's memory and callbacks; @mem.ctx is NULL while no
 *	table is attached (mc_link_attach(), mc_link_detach())
 * @has_mem: the table lends its memory (not withheld)
 * @ready: the connection whose chains may run (the peer's memory is
 *	known), or NULL; posters read it in an @srcu read section
 * @srcu: read side around the posting of a chain
 * @chains: chains completed
 * @chain_errors: chains that failed
 * @connect_work: controller 1: start a connection; controller 0: listen
 *	again after its device went away
 * @hb_work: send a heartbeat, count missed ones
 * @hello_work: register our memory and send our HELLO and REGIONs on a
 *	new connection
 * @reset_work: tear the connection down, start again
 * @msg_work: send the HANDBACK
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
	u64 unsafe;
	u64 refusals;
	const char *last_error;
	bool bye;
	u64 held;
	u64 peer_held;
	u64 handback;
	struct mc_link_mem mem;
	bool has_mem;
	struct mc_link_conn __rcu *ready;
	struct srcu_struct srcu;
	atomic64_t chains;
	atomic64_t chain_errors;

	struct delayed_work connect_work;
	struct delayed_work hb_work;
	struct work_struct hello_work;
	struct work_struct reset_work;
	struct delayed_work msg_work;
};

/*
 * The links of all devices.  A table reload builds the new table while the
 * old one still runs, on the same address: the two share the link.
 */
static LIST_HEAD(mc_links);
static DEFINE_MUTEX(mc_links_lock);

/*
 * Fault injection (debugfs inject_link_silent, a bit per controller): the
 * link acts as the link of a dead host, it sends no heartbeat, neither
 * connects nor accepts.
 */
static bool mc_link_silent(struct mc_link *link)
{
	return READ_ONCE(mc_inject_link_silent) & BIT(link->cfg.local);
}

/*
 * Fault injection (debugfs inject_rdma_error, a bit per controller, which
 * clears itself): the next chain gets a write the peer refuses.
 */
static bool mc_link_inject_error(struct mc_link *link)
{
	u32 mask = READ_ONCE(mc_inject_rdma_error), bit = BIT(link->cfg.local);

	return (mask & bit) &&
	       cmpxchg(&mc_inject_rdma_error, mask, mask & ~bit) == mask;
}

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

static void mc_link_mr_free(struct mc_link_conn *conn, struct mc_link_mr *m)
{
	if (m->mr)
		ib_dereg_mr(m->mr);
	m->mr = NULL;
	if (m->nents)
		ib_dma_unmap_sg(conn->dev, m->sgt.sgl, m->sgt.orig_nents,
				DMA_BIDIRECTIONAL);
	m->nents = 0;
	sg_free_table(&m->sgt);
}

/* Free our registration, the peer's regions and the zero page. */
static void mc_link_conn_free_mem(struct mc_link_conn *conn)
{
	unsigned int a, i;

	for (a = 0; a < MC_LA_NR; a++) {
		for (i = 0; conn->mr[a] && i < conn->nr_mr[a]; i++)
			mc_link_mr_free(conn, &conn->mr[a][i]);
		kfree(conn->mr[a]);
		conn->mr[a] = NULL;
		kfree(conn->rr[a]);
		conn->rr[a] = NULL;
	}
	for (i = 0; conn->rtx && i < conn->nr_rtx; i++)
		mc_link_buf_unmap(conn, &conn->rtx[i], DMA_TO_DEVICE);
	kfree(conn->rtx);
	conn->rtx = NULL;
	if (conn->zero_dma)
		ib_dma_unmap_page(conn->dev, conn->zero_dma, PAGE_SIZE,
				  DMA_TO_DEVICE);
	conn->zero_dma = 0;
	if (conn->zero)
		__free_page(conn->zero);
	conn->zero = NULL;
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
	mc_link_conn_free_mem(conn);
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

/* ---- chains of RDMA WRITEs into the peer's memory ---- */

/*
 * The peer's address and key of @len bytes at byte @off of its area @a, or
 * false when they are not inside one of its regions.
 */
static bool mc_link_raddr(struct mc_link_conn *conn, unsigned int a, u64 off,
			  u32 len, u64 *addr, u32 *rkey)
{
	u64 rbytes = (u64)conn->peer_ppr << PAGE_SHIFT;
	u64 k = div64_u64(off, rbytes);
	struct mc_link_rregion *r;

	if (k >= conn->rr_nr[a])
		return false;
	r = &conn->rr[a][k];
	off -= k * rbytes;
	if (off + len > r->length)
		return false;
	*addr = r->iova + off;
	*rkey = r->rkey;
	return true;
}

/* Add write @k of chain @x: @len bytes from @src to byte @off of area @a. */
static bool mc_link_chain_add(struct mc_link_conn *conn, struct mc_link_xfer *x,
			      u32 k, u64 src, u32 len, unsigned int a, u64 off)
{
	struct ib_rdma_wr *wr = &x->wr[k];

	x->sge[k] = (struct ib_sge) {
		.addr = src, .length = len, .lkey = conn->pd->local_dma_lkey,
	};
	memset(wr, 0, sizeof(*wr));
	wr->wr.wr_cqe = &conn->err_cqe;
	wr->wr.sg_list = &x->sge[k];
	wr->wr.num_sge = 1;
	wr->wr.opcode = IB_WR_RDMA_WRITE;
	if (k)
		x->wr[k - 1].wr.next = &wr->wr;
	return mc_link_raddr(conn, a, off, len, &wr->remote_addr, &wr->rkey);
}

/*
 * Build and post chain @x (its send queue slots are taken): the data of
 * every page, then every CBE, or the zeroes; the last write signalled.
 * RC executes the writes of a queue pair in order, so a CBE is placed only
 * after the data it names.  Under sq_lock.
 */
static int mc_link_chain_post(struct mc_link_conn *conn, struct mc_link_xfer *x)
{
	bool ok = true;
	u32 k = 0, i;
	u64 off;

	if (x->zero_len) {
		for (off = 0; off < x->zero_len; off += PAGE_SIZE)
			ok &= mc_link_chain_add(conn, x, k++, conn->zero_dma,
						min_t(u64, PAGE_SIZE,
						      x->zero_len - off),
						MC_LA_CBE, x->zero_off + off);
	} else {
		for (i = 0; x->data && i < x->n; i++)
			ok &= mc_link_chain_add(conn, x, k++, x->page_dma[i],
						PAGE_SIZE, MC_LA_DATA,
						(u64)x->slot[i] << PAGE_SHIFT);
		for (i = 0; i < x->n; i++)
			ok &= mc_link_chain_add(conn, x, k++,
						x->cbe_dma + i * MC_LINK_CBE_BYTES,
						MC_LINK_CBE_BYTES, MC_LA_CBE,
						(u64)x->slot[i] * MC_LINK_CBE_BYTES);
	}
	if (!ok || !k)
		return -EINVAL;
	if (mc_link_inject_error(conn->link))
		x->wr[0].rkey = ~x->wr[0].rkey;	/* refused by the peer */
	x->wr[k - 1].wr.wr_cqe = &x->cqe;
	x->wr[k - 1].wr.send_flags = IB_SEND_SIGNALED;
	return ib_post_send(conn->id->qp, &x->wr[0].wr, NULL);
}

/* Map what chain @x writes from; its number of writes.  0 or -ENOMEM. */
static int mc_link_chain_map(struct mc_link_conn *conn, struct mc_link_xfer *x)
{
	u32 i;

	x->conn = conn;
	if (x->zero_len) {
		x->nwr = DIV_ROUND_UP(x->zero_len, PAGE_SIZE);
		return x->nwr <= MC_LINK_XFER_WR ? 0 : -EINVAL;
	}
	x->nwr = x->n * (x->data ? 2 : 1);
	x->cbe_dma = ib_dma_map_single(conn->dev, x->cbe,
				       x->n * MC_LINK_CBE_BYTES, DMA_TO_DEVICE);
	if (ib_dma_mapping_error(conn->dev, x->cbe_dma))
		return -ENOMEM;
	for (i = 0; x->data && i < x->n; i++) {
		x->page_dma[i] = ib_dma_map_page(conn->dev, x->page[i], 0,
						 PAGE_SIZE, DMA_TO_DEVICE);
		if (ib_dma_mapping_error(conn->dev, x->page_dma[i]))
			goto unwind;
	}
	return 0;
unwind:
	while (i--)
		ib_dma_unmap_page(conn->dev, x->page_dma[i], PAGE_SIZE,
				  DMA_TO_DEVICE);
	ib_dma_unmap_single(conn->dev, x->cbe_dma, x->n * MC_LINK_CBE_BYTES,
			    DMA_TO_DEVICE);
	return -ENOMEM;
}

/*
 * A connection with our copies in the peer's memory is lost: nothing more
 * is written into that memory (mc_link_write()), and the table hears of
 * it.  Lock held.
 */
static void mc_link_set_unsafe(struct mc_link *link)
{
	if (link->unsafe)
		return;
	link->unsafe = link->losses + 1;
	if (link->mem.ctx)
		link->mem.changed(link->mem.ctx);
}

static void mc_link_chain_unmap(struct mc_link_conn *conn,
				struct mc_link_xfer *x)
{
	u32 i;

	if (x->zero_len)
		return;
	for (i = 0; x->data && i < x->n; i++)
		ib_dma_unmap_page(conn->dev, x->page_dma[i], PAGE_SIZE,
				  DMA_TO_DEVICE);
	ib_dma_unmap_single(conn->dev, x->cbe_dma, x->n * MC_LINK_CBE_BYTES,
			    DMA_TO_DEVICE);
}

/* Chain @x ends: unmap, count, report. */
static void mc_link_chain_end(struct mc_link_xfer *x, int err)
{
	struct mc_link_conn *conn = x->conn;
	struct mc_link *link = conn->link;
	unsigned long flags;

	mc_link_chain_unmap(conn, x);
	atomic64_inc(err ? &link->chain_errors : &link->chains);
	if (err) {
		/* before the write hears of it (an unhooked one: the reset) */
		spin_lock_irqsave(&link->lock, flags);
		if (link->conn == conn && conn->ready)
			mc_link_set_unsafe(link);
		spin_unlock_irqrestore(&link->lock, flags);
	}
	x->done(x, err);
}

/*
 * Give back @nwr send queue slots and post the chains that wait for them,
 * in order; a chain that cannot be posted ends with an error.
 */
static void mc_link_sq_put(struct mc_link_conn *conn, u32 nwr)
{
	struct mc_link_xfer *x, *tmp;
	LIST_HEAD(failed);

	spin_lock_bh(&conn->sq_lock);
	conn->sq_free += nwr;
	list_for_each_entry_safe(x, tmp, &conn->sq_wait, entry) {
		if (conn->sq_free < x->nwr)
			break;
		list_del(&x->entry);
		if (mc_link_chain_post(conn, x))
			list_add_tail(&x->entry, &failed);
		else
			conn->sq_free -= x->nwr;
	}
	spin_unlock_bh(&conn->sq_lock);
	list_for_each_entry_safe(x, tmp, &failed, entry) {
		mc_link_lost(conn, "cannot post a remote write");
		mc_link_chain_end(x, -EIO);
	}
}

/* The signalled last write of a chain completed (softirq). */
static void mc_link_chain_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mc_link_xfer *x = container_of(wc->wr_cqe, struct mc_link_xfer,
					      cqe);
	struct mc_link_conn *conn = x->conn;
	int err = wc->status == IB_WC_SUCCESS ? 0 : -EIO;

	if (err && wc->status != IB_WC_WR_FLUSH_ERR)
		mc_link_lost(conn, "a remote write failed");
	mc_link_sq_put(conn, x->nwr);
	mc_link_chain_end(x, err);
}

/* An unsignalled write or registration completed: only errors do. */
static void mc_link_wr_error(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mc_link_conn *conn = cq->cq_context;

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		mc_link_lost(conn, "a remote write failed");
}

/* End the chains still waiting for slots (the connection is unhooked). */
static void mc_link_sq_fail(struct mc_link_conn *conn)
{
	struct mc_link_xfer *x, *tmp;
	LIST_HEAD(waiting);

	spin_lock_bh(&conn->sq_lock);
	list_splice_init(&conn->sq_wait, &waiting);
	spin_unlock_bh(&conn->sq_lock);
	list_for_each_entry_safe(x, tmp, &waiting, entry)
		mc_link_chain_end(x, -ENOTCONN);
}

/**
 * mc_link_write - post a chain of RDMA WRITEs into the peer's memory
 * @link: the link
 * @x: the chain (struct mc_link_xfer: pages and their CBEs, CBEs only, or
 *	zeroes), which must stay alive until @x->done
 *
 * Never sleeps; not from hard interrupt context.  A chain that finds the
 * send queue full waits for slots in order behind the others.
 *
 * Return: 0: @x->done will be called (softirq or the link's work); or
 * -ENOTCONN (the peer's memory is not writable now) or -ENOMEM: it is not.
 */
static int mc_link_write(struct mc_link *link, struct mc_link_xfer *x)
{
	struct mc_link_conn *conn;
	bool posted = false;
	int idx, r;

	idx = srcu_read_lock(&link->srcu);
	conn = srcu_dereference(link->ready, &link->srcu);
	if (READ_ONCE(link->unsafe))	/* a chain of @conn failed */
		conn = NULL;
	r = conn ? mc_link_chain_map(conn, x) : -ENOTCONN;
	if (r)
		goto out;
	x->cqe.done = mc_link_chain_done;
	spin_lock_bh(&conn->sq_lock);
	if (list_empty(&conn->sq_wait) && conn->sq_free >= x->nwr) {
		r = mc_link_chain_post(conn, x);
		if (!r) {
			conn->sq_free -= x->nwr;
			posted = true;
		}
	} else {
		list_add_tail(&x->entry, &conn->sq_wait);
		posted = true;
	}
	spin_unlock_bh(&conn->sq_lock);
	if (!posted) {
		mc_link_chain_unmap(conn, x);
		mc_link_lost(conn, "cannot post a remote write");
		r = -ENOTCONN;
	}
out:
	srcu_read_unlock(&link->srcu, idx);
	return r;
}

/* ---- messages ---- */

static void mc_link_fill(struct mc_link_conn *conn, struct mc_link_wire *w,
			 u16 type, u64 seq, u64 held)
{
	const struct mc_link_hello *h = &conn->link->ours;
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
	w->ppr = cpu_to_le32(conn->ppr);
	for (i = 0; i < MC_LA_NR; i++)
		w->nr_regions[i] = cpu_to_le32(conn->nr_mr[i]);
	w->held = cpu_to_le64(held);
}

static void mc_link_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mc_link_buf *b = container_of(wc->wr_cqe, struct mc_link_buf, cqe);
	struct mc_link_conn *conn = b->conn;

	clear_bit(b - conn->tx, &conn->tx_busy);
	if (b == &conn->tx[MC_LT_BYE])
		complete(&conn->bye_done);
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		mc_link_lost(conn, "a send failed");
}

/* Post a signalled SEND of buffer @b (filled); from the link's work. */
static int mc_link_post_buf(struct mc_link_conn *conn, struct mc_link_buf *b)
{
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

	ib_dma_sync_single_for_device(conn->dev, b->dma, sizeof(*b->msg),
				      DMA_TO_DEVICE);
	return ib_post_send(conn->id->qp, &wr, NULL);
}

/*
 * Post send buffer @which, @held in it; from the link's work only.
 * Return: false if the buffer's previous message is still on its way.
 */
static bool mc_link_send(struct mc_link_conn *conn, unsigned int which,
			 u16 type, u64 held)
{
	struct mc_link_buf *b = &conn->tx[which];

	if (test_and_set_bit(which, &conn->tx_busy))
		return false;
	mc_link_fill(conn, b->msg, type, ++conn->seq, held);
	if (mc_link_post_buf(conn, b)) {
		clear_bit(which, &conn->tx_busy);
		mc_link_lost(conn, "cannot post a send");
	}
	return true;
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

/* Allocate the peer's region tables its HELLO announces (softirq). */
static const char *mc_link_rr_alloc(struct mc_link_conn *conn,
				    const struct mc_link_wire *w)
{
	unsigned int a;

	conn->peer_ppr = le32_to_cpu(w->ppr);
	for (a = 0; a < MC_LA_NR; a++) {
		conn->rr_nr[a] = le32_to_cpu(w->nr_regions[a]);
		if (conn->rr_nr[a] > MC_LINK_MAX_REGIONS)
			return "the peer announces too many regions";
		if (!conn->rr_nr[a])
			continue;	/* it lends no memory (yet) */
		if (!conn->peer_ppr || conn->peer_ppr > MC_LINK_PPR)
			return "the peer announces a bad region size";
		conn->rr[a] = kcalloc(conn->rr_nr[a], sizeof(*conn->rr[a]),
				      GFP_ATOMIC);
		if (!conn->rr[a])
			return "no memory for the peer's regions";
	}
	return NULL;
}

/*
 * Why the peer's regions do not cover its mirror area of @pages pages as
 * our table sizes it, or NULL.  Every region but an area's last spans
 * peer_ppr pages.
 */
static const char *mc_link_rr_check(struct mc_link_conn *conn, u32 pages)
{
	u64 need[MC_LA_NR] = {
		(u64)pages * MC_LINK_CBE_BYTES, (u64)pages << PAGE_SHIFT,
	};
	u64 rbytes = (u64)conn->peer_ppr << PAGE_SHIFT, have;
	unsigned int a, k;

	for (a = 0; a < MC_LA_NR; a++) {
		have = 0;
		for (k = 0; k < conn->rr_nr[a]; k++) {
			if (k + 1 < conn->rr_nr[a] &&
			    conn->rr[a][k].length != rbytes)
				return "the peer's regions have other sizes";
			have += conn->rr[a][k].length;
		}
		if (have < need[a])
			return "the peer's regions do not cover its mirror area";
	}
	return NULL;
}

/*
 * The peer's memory is writable once its HELLO and all its REGIONs are in
 * and a table lends ours: publish the connection to the posters and tell
 * the table.  link->lock held.  Returns why the regions are refused, or
 * NULL.
 */
static const char *mc_link_check_ready(struct mc_link_conn *conn)
{
	struct mc_link *link = conn->link;
	const char *why;

	if (conn->ready || link->conn != conn || !conn->peer_hello ||
	    !conn->reg_done || !link->has_mem ||
	    !(conn->rr_nr[0] + conn->rr_nr[1]) ||	/* it lends nothing */
	    conn->rr_got < conn->rr_nr[0] + conn->rr_nr[1])
		return NULL;
	why = mc_link_rr_check(conn, link->mem.peer_mirror);
	if (why)
		return why;
	conn->ready = true;
	link->unsafe = 0;	/* the peer's memory holds nothing of ours */
	rcu_assign_pointer(link->ready, conn);
	link->mem.changed(link->mem.ctx);
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
	if (link->conn == conn && !conn->peer_hello) {
		if (!why)
			why = mc_link_rr_alloc(conn, w);
		if (why) {
			link->refusals++;
			conn->refused = true;
		} else {
			conn->peer_hello = true;
			link->peer = p;
			link->peer_held = le64_to_cpu(w->held);
			link->state = MC_LS_CONNECTED;
			link->was_connected = true;
			link->connects++;
			up = true;
			why = mc_link_check_ready(conn);
		}
	}
	spin_unlock_irqrestore(&link->lock, flags);
	if (why && !up) {
		DMERR_LIMIT("ctrl%d: refused peer ctrl%u: %s (peer: %u LUs, caches %u/%u, mirror_ratio %u; ours: %u LUs, caches %u/%u, mirror_ratio %u)",
			    link->cfg.local, p.ctrl, why, p.nr_luns,
			    p.cache_pages[0], p.cache_pages[1], p.mirror_ratio,
			    link->ours.nr_luns, link->ours.cache_pages[0],
			    link->ours.cache_pages[1], link->ours.mirror_ratio);
		mc_link_lost(conn, why);
		return;
	}
	if (up) {
		DMINFO("ctrl%d: connected to peer ctrl%u (generation %llx)",
		       link->cfg.local, p.ctrl, p.generation);
		spin_lock_irqsave(&link->lock, flags);
		if (link->mem.ctx && link->conn == conn)
			link->mem.changed(link->mem.ctx);
		spin_unlock_irqrestore(&link->lock, flags);
	}
	if (why) {
		DMERR_LIMIT("ctrl%d: refused the memory of peer ctrl%u: %s",
			    link->cfg.local, p.ctrl, why);
		mc_link_lost(conn, why);
	}
}

/* The peer closes the connection on purpose (softirq). */
static void mc_link_bye_rx(struct mc_link_conn *conn)
{
	struct mc_link *link = conn->link;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	conn->peer_bye = true;
	spin_unlock_irqrestore(&link->lock, flags);
}

/* The peer gives back LUs it held (softirq): the table serves them. */
static void mc_link_handback_rx(struct mc_link_conn *conn,
				const struct mc_link_wire *w)
{
	struct mc_link *link = conn->link;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	if (link->conn == conn && conn->peer_hello) {
		link->peer_held &= ~le64_to_cpu(w->held);
		if (link->mem.ctx)
			link->mem.changed(link->mem.ctx);
	}
	spin_unlock_irqrestore(&link->lock, flags);
}

/* A REGION of the peer's memory arrived (softirq). */
static void mc_link_region_rx(struct mc_link_conn *conn,
			      const struct mc_link_wire *w)
{
	struct mc_link *link = conn->link;
	u32 a = le32_to_cpu(w->area), k = le32_to_cpu(w->index);
	const char *why = NULL;
	struct mc_link_rregion *r;
	unsigned long flags;

	spin_lock_irqsave(&link->lock, flags);
	if (link->conn != conn || conn->refused) {
		why = NULL;		/* ending anyway */
	} else if (!conn->peer_hello) {
		why = "the peer sent a region before its HELLO";
	} else if (a >= MC_LA_NR || k >= conn->rr_nr[a] ||
		   conn->rr[a][k].length) {
		why = "the peer sent a bad region";
	} else {
		r = &conn->rr[a][k];
		r->iova = le64_to_cpu(w->iova);
		r->length = le64_to_cpu(w->length);
		r->rkey = le32_to_cpu(w->rkey);
		if (!r->length)
			why = "the peer sent an empty region";
		else
			conn->rr_got++;
		if (!why)
			why = mc_link_check_ready(conn);
	}
	spin_unlock_irqrestore(&link->lock, flags);
	if (why) {
		DMERR_LIMIT("ctrl%d: %s", link->cfg.local, why);
		mc_link_lost(conn, why);
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
	else if (le16_to_cpu(w->type) == MC_LM_REGION)
		mc_link_region_rx(conn, w);
	else if (le16_to_cpu(w->type) == MC_LM_BYE)
		mc_link_bye_rx(conn);
	else if (le16_to_cpu(w->type) == MC_LM_HANDBACK)
		mc_link_handback_rx(conn, w);

	ib_dma_sync_single_for_device(conn->dev, b->dma, sizeof(*w),
				      DMA_FROM_DEVICE);
	if (!READ_ONCE(conn->dead) && mc_link_post_recv(conn, b))
		mc_link_lost(conn, "cannot post a receive");
}

/* ---- teardown and reconnection ---- */

/*
 * Tell the peer that we close the connection on purpose (a reload's new
 * memory, a remove), so that it does not count us lost; wait a moment for
 * the send.  The link's work, before the teardown.
 */
static void mc_link_say_bye(struct mc_link *link)
{
	struct mc_link_conn *conn;

	spin_lock_irq(&link->lock);
	conn = link->conn;
	spin_unlock_irq(&link->lock);
	if (!conn || !READ_ONCE(conn->established) || !conn->hello_sent)
		return;
	mc_link_send(conn, MC_LT_BYE, MC_LM_BYE, 0);
	wait_for_completion_timeout(&conn->bye_done, HZ);
}

static void mc_link_reset_work(struct work_struct *work)
{
	struct mc_link *link = container_of(work, struct mc_link, reset_work);
	struct mc_link_conn *conn;
	struct mc_link_mem mem;
	bool lost, was_ready, bye;

	spin_lock_irq(&link->lock);
	bye = link->bye;
	link->bye = false;
	spin_unlock_irq(&link->lock);
	if (bye)
		mc_link_say_bye(link);

	spin_lock_irq(&link->lock);
	conn = link->conn;
	link->conn = NULL;
	link->handback = 0;	/* the next HELLO says what we hold */
	was_ready = rcu_access_pointer(link->ready);
	RCU_INIT_POINTER(link->ready, NULL);
	if (was_ready && link->mem.ctx)
		link->mem.changed(link->mem.ctx);	/* not writable now */
	/* a peer that said BYE is not lost: it reloads or goes away */
	lost = link->state == MC_LS_CONNECTED && !bye &&
	       !(conn && conn->peer_bye);
	if (lost)
		link->losses++;
	if (lost && was_ready)
		mc_link_set_unsafe(link);
	if (bye || (conn && conn->peer_bye)) {
		link->was_connected = false;	/* reconnecting, not lost */
		if (link->unsafe && !was_ready && link->mem.ctx)
			link->mem.changed(link->mem.ctx);	/* safe now */
		link->unsafe = 0;
	}
	if (link->was_connected)
		link->state = MC_LS_LOST;
	else
		link->state = MC_LS_CONNECTING;
	spin_unlock_irq(&link->lock);

	if (lost)
		DMWARN("ctrl%d: lost the peer ctrl%d: %s", link->cfg.local,
		       1 - link->cfg.local, link->last_error);
	else if (conn && conn->peer_bye)
		DMINFO("ctrl%d: the peer ctrl%d closed the connection (BYE)",
		       link->cfg.local, 1 - link->cfg.local);
	if (was_ready)
		synchronize_srcu(&link->srcu);	/* no chain is being posted */
	if (conn) {
		mc_link_sq_fail(conn);
		mc_link_conn_free(conn);	/* the drain ends the posted */
	}

	spin_lock_irq(&link->lock);
	mem = link->mem;
	lost = lost && link->mem.ctx;
	spin_unlock_irq(&link->lock);
	if (lost)
		mem.lost(mem.ctx);	/* the peer's writes into it have ended */

	spin_lock_irq(&link->lock);
	if (!link->stopping && link->cfg.local == 1)
		queue_delayed_work(link->wq, &link->connect_work,
				   msecs_to_jiffies(MC_LINK_RETRY_MS));
	spin_unlock_irq(&link->lock);
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

/* ---- our memory, registered per connection ---- */

/* Pages of area @a of @mem: its CBE array, or its mirror pages. */
static u32 mc_link_mem_pages(const struct mc_link_mem *mem, unsigned int a)
{
	if (a == MC_LA_DATA)
		return mem->nr_mirror;
	return DIV_ROUND_UP(mem->nr_mirror * MC_LINK_CBE_BYTES, PAGE_SIZE);
}

static struct page *mc_link_mem_page(const struct mc_link_mem *mem,
				     unsigned int a, u32 pg)
{
	if (a == MC_LA_DATA)
		return mem->mirror[pg];
	return vmalloc_to_page((u8 *)mem->cbe + ((size_t)pg << PAGE_SHIFT));
}

/* Map @nr pages of area @a from page @first and make MR @m of them. */
static int mc_link_mr_init(struct mc_link_conn *conn, struct mc_link_mr *m,
			   const struct mc_link_mem *mem, unsigned int a,
			   u32 first, u32 nr)
{
	struct scatterlist *sg;
	u32 i;
	int r;

	r = sg_alloc_table(&m->sgt, nr, GFP_KERNEL);
	if (r)
		return r;
	for_each_sg(m->sgt.sgl, sg, nr, i)
		sg_set_page(sg, mc_link_mem_page(mem, a, first + i), PAGE_SIZE,
			    0);
	m->nents = ib_dma_map_sg(conn->dev, m->sgt.sgl, nr, DMA_BIDIRECTIONAL);
	if (!m->nents)
		return -ENOMEM;
	m->mr = ib_alloc_mr(conn->pd, IB_MR_TYPE_MEM_REG, nr);
	if (IS_ERR(m->mr)) {
		r = PTR_ERR(m->mr);
		m->mr = NULL;
		return r;
	}
	r = ib_map_mr_sg(m->mr, m->sgt.sgl, m->nents, NULL, PAGE_SIZE);
	return r == m->nents ? 0 : -EINVAL;
}

/*
 * Register the memory @mem lends for the peer's remote writes on @conn:
 * one MR per MC_LINK_PPR pages (or the device's limit) of each area, then
 * their registration work requests, unsignalled, ahead of our HELLO.
 */
static int mc_link_reg(struct mc_link_conn *conn, const struct mc_link_mem *mem)
{
	struct ib_reg_wr wr;
	unsigned int a;
	u32 pages, k;
	int r;

	conn->ppr = min_t(u32, MC_LINK_PPR,
			  conn->dev->attrs.max_fast_reg_page_list_len);
	if (!conn->ppr)
		return -EOPNOTSUPP;
	for (a = 0; a < MC_LA_NR; a++) {
		pages = mc_link_mem_pages(mem, a);
		conn->nr_mr[a] = DIV_ROUND_UP(pages, conn->ppr);
		if (conn->nr_mr[a] > MC_LINK_MAX_REGIONS)
			return -E2BIG;
		conn->mr[a] = kcalloc(conn->nr_mr[a], sizeof(*conn->mr[a]),
				      GFP_KERNEL);
		if (!conn->mr[a] && conn->nr_mr[a])
			return -ENOMEM;
		for (k = 0; k < conn->nr_mr[a]; k++) {
			r = mc_link_mr_init(conn, &conn->mr[a][k], mem, a,
					    k * conn->ppr,
					    min(conn->ppr, pages - k * conn->ppr));
			if (r)
				return r;
		}
	}
	for (a = 0; a < MC_LA_NR; a++) {
		for (k = 0; k < conn->nr_mr[a]; k++) {
			memset(&wr, 0, sizeof(wr));
			wr.wr.opcode = IB_WR_REG_MR;
			wr.wr.wr_cqe = &conn->err_cqe;
			wr.mr = conn->mr[a][k].mr;
			wr.key = wr.mr->rkey;
			wr.access = IB_ACCESS_LOCAL_WRITE |
				    IB_ACCESS_REMOTE_WRITE;
			r = ib_post_send(conn->id->qp, &wr.wr, NULL);
			if (r)
				return r;
		}
	}
	return 0;
}

/* The page of zeroes a clearing chain writes from. */
static int mc_link_zero_init(struct mc_link_conn *conn)
{
	u64 dma;

	conn->zero = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!conn->zero)
		return -ENOMEM;
	dma = ib_dma_map_page(conn->dev, conn->zero, 0, PAGE_SIZE,
			      DMA_TO_DEVICE);
	if (ib_dma_mapping_error(conn->dev, dma))
		return -ENOMEM;
	conn->zero_dma = dma;
	return 0;
}

/* A REGION send completed. */
static void mc_link_ctl_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct mc_link_buf *b = container_of(wc->wr_cqe, struct mc_link_buf, cqe);

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		mc_link_lost(b->conn, "a send failed");
}

/* Post one REGION message per MR, after our HELLO. */
static int mc_link_send_regions(struct mc_link_conn *conn)
{
	struct mc_link_buf *b;
	struct ib_mr *mr;
	unsigned int a;
	u32 k, i = 0;
	int r;

	conn->nr_rtx = conn->nr_mr[0] + conn->nr_mr[1];
	conn->rtx = kcalloc(conn->nr_rtx, sizeof(*conn->rtx), GFP_KERNEL);
	if (!conn->rtx)
		return conn->nr_rtx ? -ENOMEM : 0;
	for (a = 0; a < MC_LA_NR; a++) {
		for (k = 0; k < conn->nr_mr[a]; k++, i++) {
			b = &conn->rtx[i];
			r = mc_link_buf_init(conn, b, DMA_TO_DEVICE,
					     mc_link_ctl_done);
			if (r)
				return r;
			mr = conn->mr[a][k].mr;
			mc_link_fill(conn, b->msg, MC_LM_REGION, 0, 0);
			b->msg->area = cpu_to_le32(a);
			b->msg->index = cpu_to_le32(k);
			b->msg->rkey = cpu_to_le32(mr->rkey);
			b->msg->iova = cpu_to_le64(mr->iova);
			b->msg->length = cpu_to_le64(mr->length);
			r = mc_link_post_buf(conn, b);
			if (r)
				return r;
		}
	}
	return 0;
}

/*
 * Once per connection, when it is established: register the memory a
 * table lends (if one does), send our HELLO, then our REGIONs (none
 * without memory: the peer then knows who we are but cannot write to us;
 * lending memory later reconnects, mc_link_attach()).
 */
static void mc_link_hello_work(struct work_struct *work)
{
	struct mc_link *link = container_of(work, struct mc_link, hello_work);
	struct mc_link_conn *conn;
	struct mc_link_mem mem;
	bool go = false, has_mem = false;
	const char *why;
	u64 held = 0;
	int r = 0;

	spin_lock_irq(&link->lock);
	conn = link->conn;
	if (conn && !conn->hello_sent && READ_ONCE(conn->established)) {
		/* a later change of link->held goes as a HANDBACK after it */
		conn->hello_sent = true;
		held = link->held;
		has_mem = link->has_mem;
		mem = link->mem;
		go = true;
	}
	spin_unlock_irq(&link->lock);
	if (!go)
		return;
	if (has_mem)
		r = mc_link_reg(conn, &mem);
	if (!r)
		r = mc_link_zero_init(conn);
	if (r) {
		DMERR_LIMIT("ctrl%d: cannot register the mirror area for the peer (%d)",
			    link->cfg.local, r);
		mc_link_lost(conn, "cannot register the mirror area");
		return;
	}
	mc_link_send(conn, MC_LT_HELLO, MC_LM_HELLO, held);
	if (mc_link_send_regions(conn)) {
		mc_link_lost(conn, "cannot send the regions");
		return;
	}
	/* The peer's HELLO and REGIONs may have come first. */
	spin_lock_irq(&link->lock);
	conn->reg_done = true;
	why = mc_link_check_ready(conn);
	spin_unlock_irq(&link->lock);
	if (why)
		mc_link_lost(conn, why);
}

/*
 * Send the LUs given back since our HELLO (mc_link_set_held()) as one
 * HANDBACK; again a moment later while the previous one is on its way.
 */
static void mc_link_msg_work(struct work_struct *work)
{
	struct mc_link *link = container_of(to_delayed_work(work),
					    struct mc_link, msg_work);
	struct mc_link_conn *conn;
	u64 mask;

	spin_lock_irq(&link->lock);
	conn = link->conn;
	mask = link->handback;
	link->handback = 0;
	spin_unlock_irq(&link->lock);
	if (!conn || !mask || mc_link_send(conn, MC_LT_HANDBACK,
					   MC_LM_HANDBACK, mask))
		return;
	spin_lock_irq(&link->lock);
	if (link->conn == conn) {
		link->handback |= mask;
		if (!link->stopping)
			queue_delayed_work(link->wq, &link->msg_work,
					   msecs_to_jiffies(10));
	}
	spin_unlock_irq(&link->lock);
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
		/* also while a side waits to lend its memory (no HELLO yet) */
		send = !mc_link_silent(link);
	} else if (conn && time_after(jiffies, link->last_rx +
				      msecs_to_jiffies(MC_LINK_SETUP_MS))) {
		why = "the connection did not come up";
	}
	spin_unlock_irq(&link->lock);
	if (why)
		mc_link_lost(conn, why);
	else if (send)
		mc_link_send(conn, MC_LT_HEARTBEAT, MC_LM_HEARTBEAT, 0);

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
			.max_recv_wr = MC_LINK_RX + 1,
			.max_send_sge = 1,
			.max_recv_sge = 1,
		},
	};
	u32 ctl = MC_LT_NR + 4 * MC_LINK_MAX_REGIONS + 1, cqe;
	unsigned int i;
	int r;

	conn->dev = conn->id->device;
	/*
	 * Control: HELLO, heartbeat, a registration and a REGION per MR, the
	 * drain's; the rest of what the device allows for the chains.
	 */
	if (conn->dev->attrs.max_qp_wr <= ctl + MC_LINK_XFER_WR)
		return -ENOSPC;
	conn->sq_free = min_t(u32, MC_LINK_SQ_DATA,
			      conn->dev->attrs.max_qp_wr - ctl);
	attr.cap.max_send_wr = ctl + conn->sq_free;
	/* A flushed queue pair completes every request, signalled or not. */
	cqe = min_t(u32, attr.cap.max_send_wr + attr.cap.max_recv_wr + 2,
		    conn->dev->attrs.max_cqe);
	conn->pd = ib_alloc_pd(conn->dev, 0);
	if (IS_ERR(conn->pd)) {
		r = PTR_ERR(conn->pd);
		conn->pd = NULL;
		return r;
	}
	conn->cq = ib_alloc_cq(conn->dev, conn, cqe, 0, IB_POLL_SOFTIRQ);
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
		WRITE_ONCE(conn->established, true);
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

	if (!conn)
		return NULL;
	conn->link = link;
	spin_lock_init(&conn->sq_lock);
	INIT_LIST_HEAD(&conn->sq_wait);
	init_completion(&conn->bye_done);
	conn->err_cqe.done = mc_link_wr_error;
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
	busy = link->stopping || link->conn || link->accepting ||
	       mc_link_silent(link);
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
	bool mine;

	switch (ev->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return mc_link_accept(link, id);
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		spin_lock_irq(&link->lock);
		mine = link->listen_id == id;	/* not taken by a destroy */
		if (mine) {
			link->listen_id = NULL;
			if (!link->stopping)
				queue_delayed_work(link->wq, &link->connect_work,
						   msecs_to_jiffies(MC_LINK_RETRY_MS));
		}
		spin_unlock_irq(&link->lock);
		if (mine)
			DMERR("ctrl%d: the RDMA device of addr went away: listening again once addr has one",
			      link->cfg.local);
		return mine;	/* 1: the connection manager destroys it */
	default:
		return 0;
	}
}

/*
 * Bind an id to this host's address: the listener of controller 0, a
 * check of the address for controller 1 (its connections bind to it again).
 */
static struct rdma_cm_id *mc_link_bind_id(struct mc_link *link, int *err,
					   char **error)
{
	struct rdma_cm_id *id;

	id = rdma_create_id(&init_net, mc_link_listen_handler, link,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id)) {
		*error = "Cannot create an RDMA CM id (is rdma_cm loaded?)";
		*err = PTR_ERR(id);
		return id;
	}
	*err = rdma_bind_addr(id, (struct sockaddr *)&link->cfg.addr);
	if (*err) {
		*error = "Cannot bind to addr: no RDMA device has this address";
	} else if (link->cfg.local == 1) {
		return id;
	} else {
		*err = rdma_listen(id, 1);
		if (!*err)
			return id;
		*error = "Cannot listen on addr (port in use?)";
	}
	rdma_destroy_id(id);
	return ERR_PTR(*err);
}

/*
 * Controller 0, after its listening id's device went away: listen again
 * once addr has an RDMA device (a driver reloaded, an rxe device added
 * again); try every MC_LINK_RETRY_MS until then.
 */
static void mc_link_listen_again(struct mc_link *link)
{
	struct rdma_cm_id *id;
	char *error;
	bool keep;
	int r;

	id = mc_link_bind_id(link, &r, &error);
	spin_lock_irq(&link->lock);
	keep = !IS_ERR(id) && !link->stopping && !link->listen_id;
	if (keep)
		link->listen_id = id;
	else if (IS_ERR(id) && !link->stopping)
		queue_delayed_work(link->wq, &link->connect_work,
				   msecs_to_jiffies(MC_LINK_RETRY_MS));
	spin_unlock_irq(&link->lock);
	if (keep)
		DMINFO("ctrl%d: listens on %pISpc again", link->cfg.local,
		       &link->cfg.addr);
	else if (!IS_ERR(id))
		rdma_destroy_id(id);
}

/*
 * Controller 1: start a connection to the peer's address.  Controller 0:
 * listen again (mc_link_listen_again()).
 */
static void mc_link_connect_work(struct work_struct *work)
{
	struct mc_link *link = container_of(to_delayed_work(work),
					    struct mc_link, connect_work);
	struct sockaddr_storage src = link->cfg.addr;
	struct mc_link_conn *conn;
	struct rdma_cm_id *id;

	if (link->cfg.local == 0) {
		mc_link_listen_again(link);
		return;
	}
	if (mc_link_silent(link))
		goto retry;	/* fault injection: a dead host connects not */
	conn = mc_link_conn_alloc(link);
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
	if (src.ss_family == AF_INET6)	/* any local port */
		((struct sockaddr_in6 *)&src)->sin6_port = 0;
	else
		((struct sockaddr_in *)&src)->sin_port = 0;
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

static int mc_link_bind(struct mc_link *link, char **error)
{
	struct rdma_cm_id *id;
	int r;

	id = mc_link_bind_id(link, &r, error);
	if (IS_ERR(id)) {
		DMERR("cannot bind to %pISc: error %d", &link->cfg.addr, r);
		return r;
	}
	if (link->cfg.local == 1)
		rdma_destroy_id(id);	/* the address has a device: enough */
	else
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
	INIT_DELAYED_WORK(&link->msg_work, mc_link_msg_work);
	if (init_srcu_struct(&link->srcu)) {
		kfree(link);
		*error = "Cannot allocate the link";
		return ERR_PTR(-ENOMEM);
	}
	link->wq = alloc_ordered_workqueue("mc_link%d", WQ_MEM_RECLAIM,
					   cfg->local);
	r = link->wq ? mc_link_bind(link, error) : -ENOMEM;
	if (r) {
		if (link->wq)
			destroy_workqueue(link->wq);
		else
			*error = "Cannot allocate the link's work queue";
		cleanup_srcu_struct(&link->srcu);
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
	cancel_delayed_work_sync(&link->msg_work);
	queue_work(link->wq, &link->reset_work);
	destroy_workqueue(link->wq);		/* runs it, then nothing more */
	cleanup_srcu_struct(&link->srcu);
	kfree(link);
	atomic_dec(&mc_live.links);
}

/*
 * Close the connection on purpose (BYE) and have the link connect again
 * (a reload's table lends other memory, a table goes away).
 */
static void mc_link_reconnect(struct mc_link *link, const char *why)
{
	spin_lock_irq(&link->lock);
	if (link->conn) {
		link->last_error = why;
		link->bye = true;
	}
	queue_work(link->wq, &link->reset_work);
	spin_unlock_irq(&link->lock);
}

/**
 * mc_link_attach - the live table lends its memory to the link
 * @link: the link
 * @mem: its mirror area, CBE array and callbacks (copied)
 *
 * From the table's resume.  A resume of the same table changes nothing; a
 * new table's memory (a reload) closes the connection that registered
 * the old one (BYE, at once on the link's work; the old table's
 * mc_link_detach() waits for it), and the next connection registers the
 * new memory.  Never sleeps.
 */
static void mc_link_attach(struct mc_link *link, const struct mc_link_mem *mem)
{
	bool same, reset;

	spin_lock_irq(&link->lock);
	same = link->has_mem && link->mem.ctx == mem->ctx;
	reset = !same && link->conn && link->conn->hello_sent;
	link->mem = *mem;
	link->has_mem = true;
	spin_unlock_irq(&link->lock);
	if (reset)
		mc_link_reconnect(link, "the table was reloaded");
	else
		queue_work(link->wq, &link->hello_work);
}

/**
 * mc_link_detach - table @ctx goes away: the link gives its memory back
 * @link: the link
 * @ctx: the table (mc_link_mem->ctx)
 *
 * If @ctx lends the link its memory, the connection is closed (BYE).  When
 * this returns no connection reaches @ctx's memory and its callbacks are
 * not called again.  Sleeps.
 */
static void mc_link_detach(struct mc_link *link, void *ctx)
{
	bool mine;

	spin_lock_irq(&link->lock);
	mine = link->mem.ctx == ctx;
	if (mine) {
		link->has_mem = false;
		link->mem.ctx = NULL;
	}
	spin_unlock_irq(&link->lock);
	if (mine)
		mc_link_reconnect(link, "the table went away");
	flush_work(&link->reset_work);	/* and a reload's, queued by attach */
}

/*
 * The peer's HELLO was accepted on the current connection: true, and its
 * generation in *@gen.
 */
static bool mc_link_peer_hello(struct mc_link *link, u64 *gen)
{
	bool hello;

	spin_lock_irq(&link->lock);
	hello = link->conn && link->conn->peer_hello;
	*gen = link->peer.generation;
	spin_unlock_irq(&link->lock);
	return hello;
}

/**
 * mc_link_set_held - the LUs of the peer this host holds now
 * @link: the link
 * @held: a bit per LU of the table whose owner in the table is the peer
 *	and which this host serves, or keeps the only copies of
 *
 * Each HELLO announces them.  LUs that leave @held after this
 * connection's HELLO went out are given back with a HANDBACK, in order
 * after it.  LUs that join it do so only while no peer is connected (its
 * loss, a takeover), so the next HELLO says it.  Never sleeps.
 */
static void mc_link_set_held(struct mc_link *link, u64 held)
{
	unsigned long flags;
	u64 gone;

	spin_lock_irqsave(&link->lock, flags);
	gone = link->held & ~held;
	link->held = held;
	if (gone && link->conn && link->conn->hello_sent && !link->stopping) {
		link->handback |= gone;
		mod_delayed_work(link->wq, &link->msg_work, 0);
	}
	spin_unlock_irqrestore(&link->lock, flags);
}

/*
 * The LUs of ours that the peer holds, in *@held, if its HELLO was
 * accepted on the current connection (else false, *@held 0).
 */
static bool mc_link_peer_held(struct mc_link *link, u64 *held)
{
	bool hello;

	spin_lock_irq(&link->lock);
	hello = link->conn && link->conn->peer_hello;
	*held = hello ? link->peer_held : 0;
	spin_unlock_irq(&link->lock);
	return hello;
}

/*
 * From the link's @lost callback only: lend no memory to new connections
 * until the next mc_link_attach() (the table keeps copies of the lost
 * peer in it that a new connection must not overwrite).
 */
static void mc_link_withhold(struct mc_link *link)
{
	spin_lock_irq(&link->lock);
	link->has_mem = false;
	spin_unlock_irq(&link->lock);
}

/* A table lends its memory to the link (mc_link_attach(), not withheld). */
static bool mc_link_lent(struct mc_link *link)
{
	bool lent;

	spin_lock_irq(&link->lock);
	lent = link->has_mem;
	spin_unlock_irq(&link->lock);
	return lent;
}

/* The peer's memory is writable (a connection is ready). */
static bool mc_link_ready(struct mc_link *link)
{
	return rcu_access_pointer(link->ready);
}

/**
 * mc_link_unsafe - may the peer's memory hold copies we cannot update?
 * @link: the link
 *
 * From the loss of a connection whose memory was writable (a chain of it
 * failed, or it was lost) until a connection is ready again (the peer's
 * memory it lends holds nothing of ours) or was closed on purpose (BYE:
 * the peer's memory goes): the peer may relink copies older than what
 * this host writes now.  Any context.
 *
 * Return: 0, or a number naming that loss.
 */
static u64 mc_link_unsafe(struct mc_link *link)
{
	unsigned long flags;
	u64 u;

	spin_lock_irqsave(&link->lock, flags);
	u = link->unsafe;
	spin_unlock_irqrestore(&link->lock, flags);
	return u;
}

/* The same link: addresses, fencing, heartbeat and the array announced. */
static bool mc_link_same(struct mc_link *link, const struct mc_link_cfg *cfg,
			 const struct mc_link_hello *ours)
{
	struct mc_link_hello h = *ours;
	struct mc_link_cfg c = *cfg;

	h.generation = link->ours.generation;
	c.wait_peer_ms = link->cfg.wait_peer_ms;	/* the table's, not the link's */
	return !memcmp(&link->cfg, &c, sizeof(c)) &&
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

/* Another table holds @link too: the new table of a reload (its ctr). */
static bool mc_link_shared(struct mc_link *link)
{
	bool shared;

	mutex_lock(&mc_links_lock);
	shared = link->refs > 1;
	mutex_unlock(&mc_links_lock);
	return shared;
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
	u64 c, l, r, held, peer_held;
	long age = -1;
	const char *err;

	spin_lock_irq(&link->lock);
	st = link->state;
	if (link->was_connected)
		p = link->peer;
	c = link->connects;
	l = link->losses;
	r = link->refusals;
	err = link->last_error;
	if (link->conn)
		age = jiffies_to_msecs(jiffies - link->last_rx);
	held = link->held;
	peer_held = link->conn && link->conn->peer_hello ? link->peer_held : 0;
	spin_unlock_irq(&link->lock);
	return sysfs_emit(buf, "local %d peer %s connects %llu losses %llu refusals %llu generation %llx peer_generation %llx mirror %s chains %lld chain_errors %lld heartbeat_age_ms %ld held %llx peer_held %llx last_error %s\n",
			  link->cfg.local, mc_link_state_names[st], c, l, r,
			  link->ours.generation, p.generation,
			  mc_link_ready(link) ? "ready" : "none",
			  atomic64_read(&link->chains),
			  atomic64_read(&link->chain_errors), age, held,
			  peer_held, err);
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

static bool mc_link_shared(struct mc_link *link)
{
	return false;
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

static void mc_link_attach(struct mc_link *link, const struct mc_link_mem *mem)
{
}

static void mc_link_detach(struct mc_link *link, void *ctx)
{
}

static bool mc_link_ready(struct mc_link *link)
{
	return false;
}

static u64 mc_link_unsafe(struct mc_link *link)
{
	return 0;
}

static void mc_link_withhold(struct mc_link *link)
{
}

static bool mc_link_peer_hello(struct mc_link *link, u64 *gen)
{
	*gen = 0;
	return false;
}

static bool mc_link_lent(struct mc_link *link)
{
	return false;
}

static void mc_link_set_held(struct mc_link *link, u64 held)
{
}

static bool mc_link_peer_held(struct mc_link *link, u64 *held)
{
	*held = 0;
	return false;
}

static int mc_link_write(struct mc_link *link, struct mc_link_xfer *x)
{
	return -ENOTCONN;
}

#endif
