// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peer life cycle.
 *
 * A peer is born with one reference, owned by the device's peer list.
 * Everything else that touches it from a lookup (allowed IPs, public key,
 * receiver index) takes a temporary reference with
 * wgm_peer_get_maybe_zero(), which fails once the count reached zero.
 *
 * Removal happens in two steps so that removing many peers costs one RCU
 * grace period instead of one each:
 *   1. unlink (under device_update_lock): mark dead, take it out of every
 *      lookup structure and the list;
 *   2. after synchronize_net(): no new lookup can find it; stop its timers
 *      and work, wipe sessions and handshake, drop queued packets and the
 *      list's reference.
 * The last wgm_peer_put() frees it after another grace period.
 */

#include <linux/slab.h>
#include <linux/rculist.h>
#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/err.h>

#include "peer.h"
#include "birthday.h"
#include "device.h"
#include "peerlookup.h"
#include "timers.h"
#include "queueing.h"
#include "noise.h"
#include "cookie.h"
#include "probe.h"

static atomic64_t wgm_peer_id_counter = ATOMIC64_INIT(0);

struct wgm_peer *wgm_peer_create(struct wgm_device *wg,
				 const u8 public_key[WGM_KEY_BYTES],
				 const u8 preshared_key[WGM_KEY_BYTES])
{
	struct wgm_peer *peer, *existing;
	int ret;

	lockdep_assert_held(&wg->device_update_lock);

	if (wg->num_peers >= WGM_MAX_PEERS_PER_DEVICE)
		return ERR_PTR(-ENOSPC);
	existing = wgm_pubkey_hashtable_lookup(wg->peer_hashtable, public_key);
	if (existing) {
		wgm_peer_put(existing);
		return ERR_PTR(-EEXIST);
	}

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return ERR_PTR(-ENOMEM);
	ret = dst_cache_init(&peer->endpoint_cache, GFP_KERNEL);
	if (ret)
		goto err_dst_cache;

	peer->device = wg;
	kref_init(&peer->refcount);
	peer->internal_id = atomic64_inc_return(&wgm_peer_id_counter);
	INIT_LIST_HEAD(&peer->peer_list);
	INIT_HLIST_NODE(&peer->pubkey_hash);
	INIT_LIST_HEAD(&peer->allowedips_list);
	rwlock_init(&peer->endpoint_lock);
	spin_lock_init(&peer->walltime_lock);
	skb_queue_head_init(&peer->staged_packet_queue);
	wgm_ordered_queue_init(&peer->tx_queue);
	wgm_ordered_queue_init(&peer->rx_queue);
	INIT_WORK(&peer->transmit_work, wgm_packet_tx_worker);
	INIT_WORK(&peer->receive_work, wgm_packet_rx_worker);
	INIT_WORK(&peer->transmit_handshake_work, wgm_packet_handshake_send_worker);

	wgm_noise_handshake_init(&peer->handshake, &wg->static_identity,
				 public_key, preshared_key, peer);
	wgm_keypairs_init(&peer->keypairs);
	wgm_cookie_holder_init(&peer->cookie, public_key);
	wgm_timers_init(peer);
	/* No handshake sent yet: the first one must not wait REKEY_TIMEOUT. */
	atomic64_set(&peer->last_sent_handshake,
		     ktime_get_coarse_boottime_ns() -
		     (u64)(WGM_REKEY_TIMEOUT + 1) * NSEC_PER_SEC);

	wgm_pubkey_hashtable_add(wg->peer_hashtable, peer);
	list_add_tail_rcu(&peer->peer_list, &wg->peer_list);
	wg->num_peers++;
	wg->peer_list_gen++;
	return peer;

err_dst_cache:
	kfree(peer);
	return ERR_PTR(ret);
}

struct wgm_peer *wgm_peer_get_maybe_zero(struct wgm_peer *peer)
{
	if (unlikely(!peer || !kref_get_unless_zero(&peer->refcount)))
		return NULL;
	return peer;
}

static void wgm_peer_free_rcu(struct rcu_head *rcu)
{
	struct wgm_peer *peer = container_of(rcu, struct wgm_peer, rcu);

	/* the handshake and sessions were wiped at removal; be thorough */
	kfree_sensitive(peer);
}

static void wgm_peer_release(struct kref *kref)
{
	struct wgm_peer *peer = container_of(kref, struct wgm_peer, refcount);

	/*
	 * Removal took the handshake out of the index table, and nothing
	 * puts it back for a dead peer.  Should that ever fail, say so and
	 * unhash it now: lookups may still see it until the grace period
	 * below ends, but find a zero refcount; none can see it afterwards.
	 */
	if (WARN_ON_ONCE(!hlist_nulls_unhashed(&peer->handshake.entry.index_hash)))
		wgm_index_hashtable_remove(peer->device->index_hashtable,
					   &peer->handshake.entry);
	/* Nobody holds a reference any more, so nobody sends through the cache. */
	dst_cache_destroy(&peer->endpoint_cache);
	call_rcu(&peer->rcu, wgm_peer_free_rcu);
}

void wgm_peer_put(struct wgm_peer *peer)
{
	if (peer)
		kref_put(&peer->refcount, wgm_peer_release);
}

/*
 * The writer runs in softirq (a confirming data packet) or in the
 * handshake worker, the reader (a netlink dump) in process context: _bh,
 * so that a softirq never spins on a holder it interrupted.
 */
void wgm_peer_stamp_handshake_walltime(struct wgm_peer *peer)
{
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	spin_lock_bh(&peer->walltime_lock);
	peer->walltime_last_handshake = now;
	spin_unlock_bh(&peer->walltime_lock);
}

void wgm_peer_read_handshake_walltime(struct wgm_peer *peer, struct timespec64 *ts)
{
	spin_lock_bh(&peer->walltime_lock);
	*ts = peer->walltime_last_handshake;
	spin_unlock_bh(&peer->walltime_lock);
}

/*
 * Step 1 of removal: no lookup finds the peer any more (it stays on
 * peer_list, where RCU walkers see is_dead).  Must hold device_update_lock.
 */
static void wgm_peer_unhash(struct wgm_peer *peer)
{
	struct wgm_device *wg = peer->device;

	lockdep_assert_held(&wg->device_update_lock);
	WRITE_ONCE(peer->is_dead, true);
	wgm_allowedips_remove_by_peer(&wg->peer_allowedips, peer, &wg->device_update_lock);
	wgm_pubkey_hashtable_remove(wg->peer_hashtable, peer);
}

/*
 * Step 2 of removal: after a grace period following wgm_peer_unhash(), so
 * no packet path can newly find the peer.  Must hold device_update_lock.
 */
static void wgm_peer_finish(struct wgm_peer *peer)
{
	struct wgm_device *wg = peer->device;

	lockdep_assert_held(&wg->device_update_lock);
	list_del_rcu(&peer->peer_list);
	wg->num_peers--;
	wg->peer_list_gen++;

	/* Timers check is_dead before re-arming; stop them, then their work. */
	wgm_timers_stop(peer);
	/* probe timers and candidate state (candidate.c) */
	wgm_probe_peer_remove(peer);
	/* its birthday search and its own socket (birthday.c) */
	wgm_birthday_peer_remove(peer);
	flush_work(&peer->transmit_handshake_work);

	/* Sessions and handshake leave the index table and are wiped. */
	wgm_keypairs_drop_all(&peer->keypairs);
	wgm_noise_handshake_clear(&peer->handshake);

	/*
	 * Anything a packet in flight queued meanwhile.  Packets on tx_queue
	 * and rx_queue hold their own references; the crypto workers finish
	 * them and, seeing is_dead, drop them.
	 */
	flush_work(&peer->transmit_handshake_work);
	wgm_packet_purge_staged(peer);

	wgm_peer_put(peer);
}

/*
 * Step 2 for every peer that step 1 took out: one grace period for all of
 * them, however many, then each leaves peer_list.  Must hold
 * device_update_lock, which also keeps new peers from being taken out
 * meanwhile: every dead peer on the list is one of ours.
 */
static void wgm_peers_reap(struct wgm_device *wg)
{
	struct wgm_peer *peer, *next;

	lockdep_assert_held(&wg->device_update_lock);
	synchronize_net();
	list_for_each_entry_safe(peer, next, &wg->peer_list, peer_list) {
		if (READ_ONCE(peer->is_dead))
			wgm_peer_finish(peer);
	}
}

void wgm_peer_remove(struct wgm_peer *peer)
{
	struct wgm_device *wg;

	if (unlikely(!peer) || READ_ONCE(peer->is_dead))
		return;
	wg = peer->device;
	wgm_peer_unhash(peer);
	wgm_peers_reap(wg);
}

void wgm_peer_remove_all(struct wgm_device *wg)
{
	struct wgm_peer *peer;

	lockdep_assert_held(&wg->device_update_lock);
	list_for_each_entry(peer, &wg->peer_list, peer_list)
		wgm_peer_unhash(peer);
	wgm_peers_reap(wg);
}

int wgm_peer_init(void)
{
	return 0;
}

void wgm_peer_uninit(void)
{
	/* peers freed by call_rcu() must be gone before the module text */
	rcu_barrier();
}
