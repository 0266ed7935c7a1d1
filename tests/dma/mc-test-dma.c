// SPDX-License-Identifier: GPL-2.0
/*
 * mc-test-dma: a DMA_MEMCPY dmaengine provider for tests only.
 *
 * QEMU's x86 machine has no dmaengine memcpy device, so without this
 * module dm-mirrorcache's DMA node channel (copy_engine dma) never runs in
 * the VM.  This is a stand-in for IOAT, DSA or PTDMA hardware, not a
 * driver for any: each channel copies its transfers with memcpy() on a
 * kernel thread (a work item per channel) and then runs the completion
 * callback with bottom halves disabled, as a DMA interrupt's tasklet would.
 * It assumes addresses from the DMA API are physical addresses (direct
 * mapping, no IOMMU), which is what the VM has.
 *
 * Module parameters:
 *   channels   number of channels (1..8, default 2)
 *   delay_us   sleep this long before each transfer (default 0), to keep
 *              transfers in flight
 *   fail_every report every Nth transfer as failed (DMA_TRANS_WRITE_FAILED)
 *              after copying only half of it (default 0: never)
 *   transfers  transfers completed so far (read-only)
 *   failed     transfers reported as failed so far (read-only)
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#define MCTD_NAME	"mc_test_dma"
#define MCTD_MAX_CHANS	8

static unsigned int channels = 2;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "Number of channels (1..8)");
static unsigned int delay_us;
module_param(delay_us, uint, 0644);
MODULE_PARM_DESC(delay_us, "Sleep before each transfer, microseconds");
static unsigned int fail_every;
module_param(fail_every, uint, 0644);
MODULE_PARM_DESC(fail_every, "Report every Nth transfer as failed (0: never)");
static atomic_long_t transfers_done = ATOMIC_LONG_INIT(0);
static atomic_long_t transfers_failed = ATOMIC_LONG_INIT(0);

static int mctd_get_count(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

static const struct kernel_param_ops mctd_count_ops = {
	.get = mctd_get_count,
};
module_param_cb(transfers, &mctd_count_ops, &transfers_done, 0444);
MODULE_PARM_DESC(transfers, "Transfers completed");
module_param_cb(failed, &mctd_count_ops, &transfers_failed, 0444);
MODULE_PARM_DESC(failed, "Transfers reported as failed");

struct mctd_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	dma_addr_t dst;
	dma_addr_t src;
	size_t len;
};

struct mctd_chan {
	struct dma_chan chan;
	spinlock_t lock;		/* submitted, issued, cookies */
	struct list_head submitted;
	struct list_head issued;
	struct work_struct work;
};

static struct dma_device mctd_dma;
static struct mctd_chan mctd_chans[MCTD_MAX_CHANS];
static struct workqueue_struct *mctd_wq;
static struct platform_device *mctd_pdev;

static struct mctd_chan *to_mctd_chan(struct dma_chan *chan)
{
	return container_of(chan, struct mctd_chan, chan);
}

static dma_cookie_t mctd_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct mctd_chan *mc = to_mctd_chan(tx->chan);
	struct mctd_desc *d = container_of(tx, struct mctd_desc, tx);
	unsigned long flags;
	dma_cookie_t cookie;

	spin_lock_irqsave(&mc->lock, flags);
	cookie = mc->chan.cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	mc->chan.cookie = cookie;
	tx->cookie = cookie;
	list_add_tail(&d->node, &mc->submitted);
	spin_unlock_irqrestore(&mc->lock, flags);
	return cookie;
}

static struct dma_async_tx_descriptor *
mctd_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		 size_t len, unsigned long flags)
{
	struct mctd_desc *d = kzalloc(sizeof(*d), GFP_NOWAIT);

	if (!d)
		return NULL;
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.flags = flags;
	d->tx.tx_submit = mctd_tx_submit;
	d->dst = dst;
	d->src = src;
	d->len = len;
	INIT_LIST_HEAD(&d->node);
	return &d->tx;
}

/* Copy one transfer; false when it is reported as failed. */
static bool mctd_copy(struct mctd_desc *d)
{
	void *dst = phys_to_virt((phys_addr_t)d->dst);
	void *src = phys_to_virt((phys_addr_t)d->src);
	unsigned int every = READ_ONCE(fail_every);
	long n = atomic_long_inc_return(&transfers_done);

	if (READ_ONCE(delay_us))
		usleep_range(delay_us, delay_us + 10);
	if (every && !(n % every)) {
		memcpy(dst, src, d->len / 2);	/* torn, and said so */
		atomic_long_inc(&transfers_failed);
		return false;
	}
	memcpy(dst, src, d->len);
	return true;
}

/* Complete @d: cookie, callback (bottom halves off, as in a tasklet). */
static void mctd_complete(struct mctd_chan *mc, struct mctd_desc *d, bool ok)
{
	struct dmaengine_result res = {
		.result = ok ? DMA_TRANS_NOERROR : DMA_TRANS_WRITE_FAILED,
	};
	struct dma_async_tx_descriptor *tx = &d->tx;
	unsigned long flags;

	spin_lock_irqsave(&mc->lock, flags);
	mc->chan.completed_cookie = tx->cookie;
	spin_unlock_irqrestore(&mc->lock, flags);
	local_bh_disable();
	if (tx->callback_result)
		tx->callback_result(tx->callback_param, &res);
	else if (tx->callback)
		tx->callback(tx->callback_param);
	local_bh_enable();
	/* Descriptors are not reused here; an unacked one is a client bug. */
	WARN_ON_ONCE(!async_tx_test_ack(tx));
	kfree(d);
}

static void mctd_work(struct work_struct *work)
{
	struct mctd_chan *mc = container_of(work, struct mctd_chan, work);
	struct mctd_desc *d;
	unsigned long flags;

	for (;;) {
		spin_lock_irqsave(&mc->lock, flags);
		d = list_first_entry_or_null(&mc->issued, struct mctd_desc, node);
		if (d)
			list_del(&d->node);
		spin_unlock_irqrestore(&mc->lock, flags);
		if (!d)
			return;
		mctd_complete(mc, d, mctd_copy(d));
		cond_resched();
	}
}

static void mctd_issue_pending(struct dma_chan *chan)
{
	struct mctd_chan *mc = to_mctd_chan(chan);
	unsigned long flags;

	spin_lock_irqsave(&mc->lock, flags);
	list_splice_tail_init(&mc->submitted, &mc->issued);
	spin_unlock_irqrestore(&mc->lock, flags);
	queue_work(mctd_wq, &mc->work);
}

static enum dma_status mctd_tx_status(struct dma_chan *chan,
				      dma_cookie_t cookie,
				      struct dma_tx_state *state)
{
	struct mctd_chan *mc = to_mctd_chan(chan);
	dma_cookie_t used, done;
	unsigned long flags;

	spin_lock_irqsave(&mc->lock, flags);
	used = chan->cookie;
	done = chan->completed_cookie;
	spin_unlock_irqrestore(&mc->lock, flags);
	dma_set_tx_state(state, done, used, 0);
	return dma_async_is_complete(cookie, done, used);
}

static int mctd_alloc_chan_resources(struct dma_chan *chan)
{
	return 0;
}

/* The client has stopped using the channel: nothing may be pending. */
static void mctd_free_chan_resources(struct dma_chan *chan)
{
	struct mctd_chan *mc = to_mctd_chan(chan);

	flush_work(&mc->work);
	WARN_ON_ONCE(!list_empty(&mc->submitted) || !list_empty(&mc->issued));
}

static int mctd_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	unsigned int i;
	int r;

	r = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (r)
		return r;
	dma_cap_zero(mctd_dma.cap_mask);
	dma_cap_set(DMA_MEMCPY, mctd_dma.cap_mask);
	mctd_dma.dev = dev;
	mctd_dma.copy_align = DMAENGINE_ALIGN_1_BYTE;
	mctd_dma.device_alloc_chan_resources = mctd_alloc_chan_resources;
	mctd_dma.device_free_chan_resources = mctd_free_chan_resources;
	mctd_dma.device_prep_dma_memcpy = mctd_prep_memcpy;
	mctd_dma.device_issue_pending = mctd_issue_pending;
	mctd_dma.device_tx_status = mctd_tx_status;
	INIT_LIST_HEAD(&mctd_dma.channels);
	for (i = 0; i < channels; i++) {
		struct mctd_chan *mc = &mctd_chans[i];

		spin_lock_init(&mc->lock);
		INIT_LIST_HEAD(&mc->submitted);
		INIT_LIST_HEAD(&mc->issued);
		INIT_WORK(&mc->work, mctd_work);
		mc->chan.device = &mctd_dma;
		mc->chan.cookie = DMA_MIN_COOKIE;
		mc->chan.completed_cookie = DMA_MIN_COOKIE;
		list_add_tail(&mc->chan.device_node, &mctd_dma.channels);
	}
	r = dma_async_device_register(&mctd_dma);
	if (r)
		return r;
	dev_info(dev, "test DMA_MEMCPY provider, %u channels (a stand-in for DMA hardware)\n",
		 channels);
	return 0;
}

static struct platform_driver mctd_driver = {
	.probe = mctd_probe,
	.driver = {
		.name = MCTD_NAME,
		.suppress_bind_attrs = true,
	},
};

static int __init mctd_init(void)
{
	int r;

	if (!channels || channels > MCTD_MAX_CHANS)
		return -EINVAL;
	mctd_wq = alloc_workqueue("mc_test_dma", WQ_UNBOUND, 0);
	if (!mctd_wq)
		return -ENOMEM;
	r = platform_driver_register(&mctd_driver);
	if (r)
		goto out_wq;
	mctd_pdev = platform_device_register_simple(MCTD_NAME, -1, NULL, 0);
	if (IS_ERR(mctd_pdev)) {
		r = PTR_ERR(mctd_pdev);
		goto out_drv;
	}
	if (!mctd_pdev->dev.driver) {	/* probe failed */
		r = -ENODEV;
		goto out_dev;
	}
	return 0;
out_dev:
	platform_device_unregister(mctd_pdev);
out_drv:
	platform_driver_unregister(&mctd_driver);
out_wq:
	destroy_workqueue(mctd_wq);
	return r;
}

static void __exit mctd_exit(void)
{
	dma_async_device_unregister(&mctd_dma);
	platform_device_unregister(mctd_pdev);
	platform_driver_unregister(&mctd_driver);
	destroy_workqueue(mctd_wq);
}

module_init(mctd_init);
module_exit(mctd_exit);

MODULE_DESCRIPTION("Test-only DMA_MEMCPY dmaengine provider for dm-mirrorcache's VM tests");
MODULE_AUTHOR("The dm-mirrorcache developers");
MODULE_LICENSE("GPL");
