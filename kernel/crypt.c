// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parallel packet crypto with per-peer ordering: per-CPU rings and
 * workers, per-peer ordered queues, and the drain protocol (crypt.h).
 *
 * Lock order: queue->list.lock -> a ring's producer lock.  Rings are
 * produced to with BHs off (softirq, or under list.lock taken with
 * spin_lock_bh) and consumed only by their own CPU's worker.
 */

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include <linux/bitops.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ptr_ring.h>
#include <linux/atomic.h>

#include "crypt.h"
#include "queueing.h"

/* Packets a worker handles before it offers the CPU to others. */
#define WGM_CRYPT_BUDGET	32

struct wgm_crypt_cpu {
	struct ptr_ring ring;			/* of struct sk_buff * */
	struct work_struct work;
	struct wgm_crypt_engine *engine;
};

struct wgm_crypt_engine {
	struct wgm_crypt_cpu __percpu *cpus;
	struct workqueue_struct *wq;		/* bound: work runs where queued */
	void (*process)(struct sk_buff *skb);
	atomic_t next_cpu;			/* round robin */
};

static void wgm_crypt_worker(struct work_struct *work)
{
	struct wgm_crypt_cpu *percpu = container_of(work, struct wgm_crypt_cpu, work);
	void (*process)(struct sk_buff *skb) = percpu->engine->process;
	unsigned int done = 0;
	struct sk_buff *skb;

	while ((skb = ptr_ring_consume_bh(&percpu->ring)) != NULL) {
		process(skb);
		if (++done == WGM_CRYPT_BUDGET) {
			done = 0;
			cond_resched();
		}
	}
}

/* Frees the rings that exist (alloc_percpu() zeroed the others) and the engine. */
static void wgm_crypt_engine_free(struct wgm_crypt_engine *engine)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct wgm_crypt_cpu *percpu = per_cpu_ptr(engine->cpus, cpu);

		if (!percpu->ring.queue)
			continue;
		/* the workers ran dry before their workqueue went away */
		WARN_ON(!__ptr_ring_empty(&percpu->ring));
		ptr_ring_cleanup(&percpu->ring, NULL);
	}
	free_percpu(engine->cpus);
	kfree(engine);
}

struct wgm_crypt_engine *wgm_crypt_engine_create(struct workqueue_struct *wq,
						 void (*process)(struct sk_buff *skb))
{
	struct wgm_crypt_engine *engine;
	struct wgm_crypt_cpu *percpu;
	int cpu;

	BUILD_BUG_ON(sizeof(struct wgm_skb_cb) > sizeof_field(struct sk_buff, cb));
	engine = kzalloc(sizeof(*engine), GFP_KERNEL);
	if (!engine)
		goto err_engine;
	engine->wq = wq;
	engine->process = process;
	atomic_set(&engine->next_cpu, 0);
	engine->cpus = alloc_percpu(struct wgm_crypt_cpu);
	if (!engine->cpus)
		goto err_cpus;
	for_each_possible_cpu(cpu) {
		percpu = per_cpu_ptr(engine->cpus, cpu);
		percpu->engine = engine;
		INIT_WORK(&percpu->work, wgm_crypt_worker);
		if (ptr_ring_init(&percpu->ring, WGM_CRYPT_RING_SIZE, GFP_KERNEL))
			goto err_ring;
	}
	return engine;

err_ring:
	wgm_crypt_engine_free(engine);
	return NULL;
err_cpus:
	kfree(engine);
err_engine:
	return NULL;
}

void wgm_crypt_engine_destroy(struct wgm_crypt_engine *engine)
{
	if (engine)
		wgm_crypt_engine_free(engine);
}

void wgm_ordered_queue_init(struct wgm_ordered_queue *queue)
{
	skb_queue_head_init(&queue->list);
	queue->draining = 0;
}

bool wgm_crypt_queue_peer_work(struct workqueue_struct *wq, u64 peer_id,
			       struct work_struct *work)
{
	unsigned int cpu = cpumask_nth(do_div(peer_id, num_online_cpus()), cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		return queue_work(wq, work);
	return queue_work_on(cpu, wq, work);
}

/* The next online CPU, round robin over the online mask. */
static int wgm_crypt_pick_cpu(struct wgm_crypt_engine *engine)
{
	unsigned int online = num_online_cpus();
	unsigned int n = (unsigned int)atomic_inc_return(&engine->next_cpu);
	unsigned int cpu;

	cpu = cpumask_nth(n % online, cpu_online_mask);
	return cpu < nr_cpu_ids ? cpu : raw_smp_processor_id();
}

bool wgm_crypt_submit_locked(struct wgm_crypt_engine *engine,
			     struct wgm_ordered_queue *queue, struct sk_buff *skb)
{
	struct wgm_crypt_cpu *percpu;
	int cpu;

	lockdep_assert_held(&queue->list.lock);
	if (unlikely(skb_queue_len(&queue->list) >= WGM_MAX_INFLIGHT_PACKETS))
		return false;
	cpu = wgm_crypt_pick_cpu(engine);
	percpu = per_cpu_ptr(engine->cpus, cpu);
	/*
	 * On the ordered queue first: a worker that takes it from the ring
	 * drains only after taking list.lock, which we hold until both are
	 * done, so it always finds the packet there.
	 */
	__skb_queue_tail(&queue->list, skb);
	if (unlikely(ptr_ring_produce(&percpu->ring, skb))) {
		__skb_unlink(skb, &queue->list);
		return false;
	}
	queue_work_on(cpu, engine->wq, &percpu->work);
	return true;
}

bool wgm_crypt_submit(struct wgm_crypt_engine *engine, struct wgm_ordered_queue *queue,
		      struct sk_buff *skb)
{
	bool ok;

	spin_lock_bh(&queue->list.lock);
	ok = wgm_crypt_submit_locked(engine, queue, skb);
	spin_unlock_bh(&queue->list.lock);
	return ok;
}

void wgm_crypt_finish(struct sk_buff *skb, bool ok)
{
	/* pairs with the acquire in wgm_ordered_ready() */
	smp_store_release(&WGM_SKB_CB(skb)->state, ok ? WGM_CRYPT_DONE : WGM_CRYPT_FAILED);
	/* the state before the draining bit: see wgm_ordered_release() */
	smp_mb();
}

/* Must hold queue->list.lock. */
static bool wgm_ordered_ready(struct wgm_ordered_queue *queue, struct sk_buff **head)
{
	struct sk_buff *skb = skb_peek(&queue->list);

	*head = skb;
	/* pairs with the release in wgm_crypt_finish(): the crypto is visible */
	return skb && smp_load_acquire(&WGM_SKB_CB(skb)->state) != WGM_CRYPT_PENDING;
}

bool wgm_ordered_claim(struct wgm_ordered_queue *queue)
{
	/* fully ordered: after the caller's wgm_crypt_finish() */
	return !test_and_set_bit(0, &queue->draining);
}

/* Only for the claimant.  The next finished packet in order, or NULL. */
struct sk_buff *wgm_ordered_pop(struct wgm_ordered_queue *queue)
{
	struct sk_buff *skb;

	spin_lock_bh(&queue->list.lock);
	if (wgm_ordered_ready(queue, &skb))
		__skb_unlink(skb, &queue->list);
	else
		skb = NULL;
	spin_unlock_bh(&queue->list.lock);
	return skb;
}

/*
 * Lets go of the queue.  A packet finished meanwhile by someone who found
 * the bit taken may sit at the head: true tells the caller to claim again.
 */
bool wgm_ordered_release(struct wgm_ordered_queue *queue)
{
	struct sk_buff *skb;
	bool ready;

	clear_bit_unlock(0, &queue->draining);
	/* the cleared bit before the state load; pairs with wgm_crypt_finish() */
	smp_mb__after_atomic();
	spin_lock_bh(&queue->list.lock);
	ready = wgm_ordered_ready(queue, &skb);
	spin_unlock_bh(&queue->list.lock);
	return ready;
}
