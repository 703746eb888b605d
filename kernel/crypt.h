/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parallel packet crypto with per-peer ordering.
 *
 * An engine (one for encryption, one for decryption, per device) owns a
 * bounded ring and a work item on every possible CPU.  A packet is
 * submitted to two places at once, under its ordered queue's lock: the
 * tail of its peer's ordered queue (bounded, one per peer and direction)
 * and the ring of the next CPU in round-robin order.  That CPU's worker
 * runs the engine's process function on it, which marks the packet done
 * or failed in its control block and then kicks the peer's work, which
 * drains the peer's queue on the peer's CPU.
 *
 * Draining hands out the packets at the head of an ordered queue that are
 * no longer pending, in submission order, to one drainer at a time (bit 0
 * of @draining).  Whoever finishes a packet tries to become the drainer;
 * if someone else already is, the drainer notices the packet when it lets
 * go of the bit (both sides order their store before their load with a
 * full barrier), so no finished packet is ever left behind.
 */
#ifndef _WGM_CRYPT_H
#define _WGM_CRYPT_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>

#define WGM_CRYPT_RING_SIZE	512	/* per CPU and engine */
#define WGM_MAX_INFLIGHT_PACKETS 1024	/* per peer and direction */

enum wgm_crypt_state {
	WGM_CRYPT_PENDING = 0,
	WGM_CRYPT_DONE,
	WGM_CRYPT_FAILED,
};

/* Opaque (crypt.c): per-CPU rings and workers. */
struct wgm_crypt_engine;

/* A peer's packets of one direction in submission order; list.lock guards it. */
struct wgm_ordered_queue {
	struct sk_buff_head list;		/* at most WGM_MAX_INFLIGHT_PACKETS */
	unsigned long draining;			/* bit 0: someone hands packets out */
};

/*
 * Process context.  The workers run on @wq, which must be per-CPU (bound)
 * and run @process on one packet each time; @process must call
 * wgm_crypt_finish() on it.  NULL when memory is short.
 */
struct wgm_crypt_engine *wgm_crypt_engine_create(struct workqueue_struct *wq,
						 void (*process)(struct sk_buff *skb));
/* After @wq was drained or destroyed: every ring is empty then. */
void wgm_crypt_engine_destroy(struct wgm_crypt_engine *engine);

void wgm_ordered_queue_init(struct wgm_ordered_queue *queue);

/*
 * Must hold queue->list.lock (spin_lock_bh).  Queues @skb, whose control
 * block says WGM_CRYPT_PENDING, on @queue and on a CPU's ring.  False if
 * either is full; @skb is then the caller's again.
 */
bool wgm_crypt_submit_locked(struct wgm_crypt_engine *engine,
			     struct wgm_ordered_queue *queue, struct sk_buff *skb);
/* The same, taking the lock. */
bool wgm_crypt_submit(struct wgm_crypt_engine *engine, struct wgm_ordered_queue *queue,
		      struct sk_buff *skb);

/* The process function's verdict; @skb may be gone right after this. */
void wgm_crypt_finish(struct sk_buff *skb, bool ok);

/*
 * Queues @work, for a peer with @peer_id, on that peer's CPU of @wq (the
 * same CPU every time while the online CPUs stay the same).  True if it
 * was not pending already.
 */
bool wgm_crypt_queue_peer_work(struct workqueue_struct *wq, u64 peer_id,
			       struct work_struct *work);

/* Drain protocol: claim; pop until NULL; release, and again if it says so. */
bool wgm_ordered_claim(struct wgm_ordered_queue *queue);
struct sk_buff *wgm_ordered_pop(struct wgm_ordered_queue *queue);
bool wgm_ordered_release(struct wgm_ordered_queue *queue);

#endif /* _WGM_CRYPT_H */
