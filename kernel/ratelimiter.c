// SPDX-License-Identifier: GPL-2.0-only
/*
 * Token buckets for handshake processing under load, one per source:
 * (network namespace, IPv4 address) or (network namespace, IPv6 /64).
 *
 * A bucket holds time in nanoseconds: it refills at one nanosecond per
 * nanosecond up to WGM_RL_BURST packets' worth, and every allowed packet
 * costs NSEC_PER_SEC / WGM_INITIATIONS_PER_SECOND (rlbucket.h).
 *
 * Only sources that proved they receive at their address (a valid mac2,
 * see cookie.c) get here, and the table holds at most WGM_RL_MAX_ENTRIES:
 * beyond that, new sources are refused until the collector, which runs
 * every second, evicts buckets that have been idle for a second (those
 * are full again, so forgetting them changes nothing).
 *
 * Locking: lookups walk the buckets under RCU; wgm_rl_lock (taken with
 * bottom halves off) serialises insertion and removal; each entry's
 * token state has its own spinlock, and the clock is read under it: a
 * time read before the lock may be older than the stamp another CPU left.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/siphash.h>
#include <linux/random.h>
#include <linux/workqueue.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/if_ether.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "ratelimiter.h"
#include "rlbucket.h"
#include "messages.h"

#define WGM_RL_BURST		5
#define WGM_RL_COST_NS		(NSEC_PER_SEC / WGM_INITIATIONS_PER_SECOND)
#define WGM_RL_MAX_TOKENS	(WGM_RL_COST_NS * WGM_RL_BURST)
#define WGM_RL_MAX_ENTRIES	8192
#define WGM_RL_HASH_BITS	12
#define WGM_RL_IDLE_NS		NSEC_PER_SEC

struct wgm_rl_key {
	const struct net *net;
	u64 addr;	/* IPv4 address, or the upper 64 bits of an IPv6 address */
	u32 family;
	u32 pad;
};

struct wgm_rl_entry {
	struct hlist_node node;
	struct wgm_rl_key key;
	spinlock_t lock;	/* protects last_ns and tokens */
	u64 last_ns;
	u64 tokens;
	struct rcu_head rcu;
};

static struct kmem_cache *wgm_rl_cache;
static struct hlist_head *wgm_rl_table;
static DEFINE_SPINLOCK(wgm_rl_lock);	/* insertion, removal */
static unsigned int wgm_rl_count;	/* under wgm_rl_lock */
static siphash_key_t wgm_rl_seed;
static struct delayed_work wgm_rl_gc_work;

static struct hlist_head *wgm_rl_bucket(const struct wgm_rl_key *key)
{
	u64 h = siphash(key, sizeof(*key), &wgm_rl_seed);

	return &wgm_rl_table[h & ((1U << WGM_RL_HASH_BITS) - 1)];
}

static bool wgm_rl_key_eq(const struct wgm_rl_key *a, const struct wgm_rl_key *b)
{
	return a->net == b->net && a->addr == b->addr && a->family == b->family;
}

/* Takes a token from @e if one is there; refills first. */
static bool wgm_rl_take(struct wgm_rl_entry *e)
{
	bool ok;

	spin_lock_bh(&e->lock);
	ok = wgm_rl_bucket_take(&e->tokens, &e->last_ns, ktime_get_coarse_boottime_ns(),
				WGM_RL_COST_NS, WGM_RL_MAX_TOKENS);
	spin_unlock_bh(&e->lock);
	return ok;
}

/* Must hold wgm_rl_lock or the RCU read lock. */
static struct wgm_rl_entry *wgm_rl_find(struct hlist_head *bucket, const struct wgm_rl_key *key)
{
	struct wgm_rl_entry *e;

	hlist_for_each_entry_rcu(e, bucket, node, lockdep_is_held(&wgm_rl_lock)) {
		if (wgm_rl_key_eq(&e->key, key))
			return e;
	}
	return NULL;
}

bool wgm_ratelimiter_allow(struct sk_buff *skb, struct net *net)
{
	struct wgm_rl_entry *e, *fresh;
	struct wgm_rl_key key;
	struct hlist_head *bucket;
	bool ok;

	memset(&key, 0, sizeof(key));	/* padding is hashed too */
	key.net = net;
	if (skb->protocol == htons(ETH_P_IP)) {
		key.family = AF_INET;
		key.addr = (__force u32)ip_hdr(skb)->saddr;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		key.family = AF_INET6;
		memcpy(&key.addr, &ipv6_hdr(skb)->saddr, sizeof(key.addr));
	} else {
		return false;
	}
	bucket = wgm_rl_bucket(&key);

	rcu_read_lock();
	e = wgm_rl_find(bucket, &key);
	if (e) {
		ok = wgm_rl_take(e);
		rcu_read_unlock();
		return ok;
	}
	rcu_read_unlock();

	fresh = kmem_cache_alloc(wgm_rl_cache, GFP_ATOMIC);
	if (unlikely(!fresh))
		return false;
	fresh->key = key;
	spin_lock_init(&fresh->lock);
	/* a new source starts full and spends its first packet */
	fresh->last_ns = ktime_get_coarse_boottime_ns();
	fresh->tokens = WGM_RL_MAX_TOKENS - WGM_RL_COST_NS;

	spin_lock_bh(&wgm_rl_lock);
	/* someone may have added the same source meanwhile */
	e = wgm_rl_find(bucket, &key);
	if (e) {
		spin_unlock_bh(&wgm_rl_lock);
		kmem_cache_free(wgm_rl_cache, fresh);
		rcu_read_lock();
		ok = wgm_rl_take(e);
		rcu_read_unlock();
		return ok;
	}
	if (wgm_rl_count >= WGM_RL_MAX_ENTRIES) {
		spin_unlock_bh(&wgm_rl_lock);
		kmem_cache_free(wgm_rl_cache, fresh);
		return false;
	}
	WRITE_ONCE(wgm_rl_count, wgm_rl_count + 1);
	hlist_add_head_rcu(&fresh->node, bucket);
	spin_unlock_bh(&wgm_rl_lock);
	return true;
}

static void wgm_rl_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(wgm_rl_cache, container_of(rcu, struct wgm_rl_entry, rcu));
}

/* Removes entries idle for WGM_RL_IDLE_NS, or all with @all. */
static void wgm_rl_collect(bool all)
{
	struct wgm_rl_entry *e;
	struct hlist_node *tmp;
	unsigned int i;
	bool idle;

	/* unlocked peek: a source added meanwhile waits for the next round */
	if (!all && !READ_ONCE(wgm_rl_count))
		return;
	for (i = 0; i < (1U << WGM_RL_HASH_BITS); i++) {
		spin_lock_bh(&wgm_rl_lock);
		hlist_for_each_entry_safe(e, tmp, &wgm_rl_table[i], node) {
			/* a stamp newer than a clock read outside the lock would wrap */
			spin_lock(&e->lock);
			idle = wgm_rl_bucket_idle(e->last_ns, ktime_get_coarse_boottime_ns(),
						  WGM_RL_IDLE_NS);
			spin_unlock(&e->lock);
			if (!all && !idle)
				continue;
			hlist_del_rcu(&e->node);
			WRITE_ONCE(wgm_rl_count, wgm_rl_count - 1);
			call_rcu(&e->rcu, wgm_rl_free_rcu);
		}
		spin_unlock_bh(&wgm_rl_lock);
	}
}

static void wgm_rl_gc(struct work_struct *work)
{
	wgm_rl_collect(false);
	queue_delayed_work(system_power_efficient_wq, &wgm_rl_gc_work, HZ);
}

int wgm_ratelimiter_init(void)
{
	unsigned int i;

	wgm_rl_cache = KMEM_CACHE(wgm_rl_entry, 0);
	if (!wgm_rl_cache)
		goto err_cache;
	wgm_rl_table = kvcalloc(1U << WGM_RL_HASH_BITS, sizeof(*wgm_rl_table), GFP_KERNEL);
	if (!wgm_rl_table)
		goto err_table;
	for (i = 0; i < (1U << WGM_RL_HASH_BITS); i++)
		INIT_HLIST_HEAD(&wgm_rl_table[i]);
	get_random_bytes(&wgm_rl_seed, sizeof(wgm_rl_seed));
	wgm_rl_count = 0;
	INIT_DEFERRABLE_WORK(&wgm_rl_gc_work, wgm_rl_gc);
	queue_delayed_work(system_power_efficient_wq, &wgm_rl_gc_work, HZ);
	return 0;

err_table:
	kmem_cache_destroy(wgm_rl_cache);
	wgm_rl_cache = NULL;
err_cache:
	return -ENOMEM;
}

void wgm_ratelimiter_uninit(void)
{
	cancel_delayed_work_sync(&wgm_rl_gc_work);
	wgm_rl_collect(true);
	rcu_barrier();	/* the frees queued above */
	kvfree(wgm_rl_table);
	wgm_rl_table = NULL;
	kmem_cache_destroy(wgm_rl_cache);
	wgm_rl_cache = NULL;
}
