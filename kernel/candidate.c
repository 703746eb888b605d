// SPDX-License-Identifier: GPL-2.0-only
/*
 * Candidate and path state: the per-peer probe state, its sender id hash,
 * the candidate slots and their states, path selection and failover, and
 * the configured candidate list.  Probe send and receive are in probe.c,
 * punching and handshake rotation in punch.c; netlink-mesh.c turns the
 * structs of probe.h into attributes.  Documentation/probing.rst
 * describes the protocol.
 *
 * State.  peer->probe is created by wgm_probe_peer_rekey() (every peer with
 * a probe key answers probes) or by netlink.  It holds the probe key and
 * ids, the request window, the reply token bucket and, once candidates are
 * configured, an array of WGM_PROBE_SLOTS slots:
 *
 *   0 .. n_cands - 1          the configured candidates, in netlink order
 *   WGM_PROBE_SLOT_ENDPOINT   the peer's endpoint when it is none of the
 *                             others (configured endpoint, WireGuard roaming)
 *   WGM_PROBE_SLOT_LEARNED    the source of authenticated traffic from an
 *                             address in no other slot (peer-reflexive)
 *
 * Only peers with configured candidates are probed; the two extra slots
 * just let the endpoint in use compete with them.
 *
 * Candidate states: UNKNOWN (never probed), PROBING (probed, no proof yet),
 * ALIVE (an authenticated reply, request or WireGuard packet came through
 * it), DEAD (WGM_PROBE_DEAD_AFTER replies missing in a row; only a reply
 * revives it).  A peer that never sent us a probe message (a standard
 * WireGuard peer) never has a path declared dead by missing replies.
 *
 * Freshness: each side draws a random challenge per peer (with the probe
 * state and on every key change); a request is answered only when it
 * echoes the current one (Documentation/probing.rst, "Replay").
 *
 * Locking: see candidate.h.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <linux/timer.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/bitops.h>
#include <linux/jhash.h>
#include <linux/siphash.h>
#include <linux/netdevice.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/ipv6.h>
#include <crypto/algapi.h>

#include "compat.h"
#include "device.h"
#include "peer.h"
#include "socket.h"
#include "queueing.h"
#include "pathsel.h"
#include "probemsg.h"
#include "probe.h"
#include "candidate.h"
#include "netlink.h"
#include "uapi/linux/wgmesh.h"

static void wgm_probe_event_work(struct work_struct *work);

/*
 * Sender id -> probe state, one table for the module.  A rekey moves an
 * entry to another bucket while RCU readers may stand on it, so a reader
 * can be carried into the new bucket's chain and miss the rest of its own.
 * Each chain therefore ends in a nulls marker holding its bucket number:
 * a lookup that ends on another bucket's marker was carried off, and starts
 * over (wgm_probe_lookup()).  Writers hold wgm_probe_ids_lock.
 */
#define WGM_PROBE_ID_BITS	12
static struct hlist_nulls_head wgm_probe_ids[1 << WGM_PROBE_ID_BITS];
static DEFINE_SPINLOCK(wgm_probe_ids_lock);	/* writers of wgm_probe_ids */

void wgm_probe_ids_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wgm_probe_ids); i++)
		INIT_HLIST_NULLS_HEAD(&wgm_probe_ids[i], i);
}

static unsigned int wgm_probe_id_bucket(const struct wgm_device *wg, u64 id)
{
	return hash_64(id ^ (u64)(uintptr_t)wg, WGM_PROBE_ID_BITS);
}

static u64 wgm_probe_id_u64(const u8 id[WGM_PROBEMSG_ID_LEN])
{
	u64 v;

	memcpy(&v, id, sizeof(v));
	return v;
}

/* Must hold wg->device_update_lock. */
struct wgm_probe_peer *wgm_probe_deref(struct wgm_peer *peer)
{
	return rcu_dereference_protected(peer->probe,
					 lockdep_is_held(&peer->device->device_update_lock));
}

/* Must hold probe->lock.  Slot whose address is @ep's, or -1. */
static int wgm_probe_find(const struct wgm_probe_peer *probe, const struct wgm_endpoint *ep)
{
	unsigned int i;

	lockdep_assert_held(&probe->lock);
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		if (probe->cands[i].in_use && wgm_endpoint_same_addr_port(&probe->cands[i].ep, ep))
			return i;
	}
	return -1;
}

/* Must hold probe->lock.  Makes slot @i a fresh candidate for @ep. */
static void wgm_probe_slot_reset(struct wgm_probe_peer *probe, unsigned int i,
				 const struct wgm_endpoint *ep)
{
	struct wgm_candidate *c = &probe->cands[i];

	lockdep_assert_held(&probe->lock);
	memset(c, 0, sizeof(*c));
	c->ep = *ep;
	c->state = WGM_CANDIDATE_UNKNOWN;
	c->in_use = true;
	if (probe->active == (int)i)
		probe->active = -1;
}

/* Must hold probe->lock.  Slot @i changed state. */
void wgm_probe_state_event(struct wgm_probe_peer *probe, unsigned int i)
{
	const struct wgm_candidate *c = &probe->cands[i];

	lockdep_assert_held(&probe->lock);
	wgm_genl_event(probe->peer, WGM_EVENT_CANDIDATE_STATE, NULL, &c->ep.addr,
		       c->state, c->srtt_us);
}

/* Must hold probe->lock.  Something a monitor wants to hear about changed. */
void wgm_probe_notify(struct wgm_probe_peer *probe)
{
	lockdep_assert_held(&probe->lock);
	if (probe->dead || probe->event_pending)
		return;
	probe->event_pending = true;
	queue_work(system_wq, &probe->event_work);
}

/*
 * Must hold probe->lock.  Traffic just moved off slot @i while it still
 * counted as alive: probe it at once instead of at the idle interval, so
 * a path that stopped working is reported dead within seconds.
 */
static void wgm_probe_recheck(struct wgm_probe_peer *probe, int i, u64 now)
{
	lockdep_assert_held(&probe->lock);
	if (i < 0 || probe->cands[i].state != WGM_CANDIDATE_ALIVE)
		return;
	probe->cands[i].last_sent = 0;
	wgm_probe_arm(probe, now, now);
}

/* Must hold probe->lock.  Alive, but its last probe(s) went unanswered. */
static bool wgm_probe_suspect(const struct wgm_probe_peer *probe, const struct wgm_candidate *c)
{
	lockdep_assert_held(&probe->lock);
	return probe->speaks_probes && c->state == WGM_CANDIDATE_ALIVE && c->consecutive_lost;
}

/*
 * Must hold probe->lock.  A new active path: if packets wait for a session,
 * start a handshake on it soon (the timer does it, see wgm_probe_timer()).
 * The side whose id sorts higher waits a little, so that both sides finding
 * the path at once do not send crossing initiations.
 */
static void wgm_probe_want_handshake(struct wgm_probe_peer *probe, u64 now, u32 srtt_us)
{
	u64 defer = 0;

	lockdep_assert_held(&probe->lock);
	probe->path_up = ktime_get_coarse_boottime_ns();
	if (skb_queue_empty_lockless(&probe->peer->staged_packet_queue))
		return;
	if (memcmp(probe->keys.local_id, probe->keys.remote_id, WGM_PROBEMSG_ID_LEN) > 0)
		defer = min_t(u64, WGM_PROBE_KICK_DEFER_NS + 2ULL * srtt_us * NSEC_PER_USEC,
			      WGM_PROBE_KICK_DEFER_MAX_NS);
	probe->hs_kick = true;
	probe->hs_kick_at = now + defer;
	if (!probe->dead && !probe->stopped)
		timer_reduce(&probe->timer, jiffies + max(nsecs_to_jiffies(defer), 1UL));
}

/*
 * Must hold probe->lock.  Runs the path selection and moves the peer's
 * endpoint when it picks another path.  Losing the active path without a
 * replacement is a path-changed event with no new endpoint, and starts a
 * punch burst.  A suspect path (alive, last probe unanswered) only
 * qualifies when no clean alive path exists.
 */
void wgm_probe_reselect(struct wgm_probe_peer *probe, u64 now)
{
	struct wgm_path_info info[WGM_PROBE_SLOTS];
	int sel, was = probe->active;
	bool clean = false;
	unsigned int i;
	u32 reason;

	lockdep_assert_held(&probe->lock);
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		const struct wgm_candidate *c = &probe->cands[i];

		clean = clean || (c->in_use && c->state == WGM_CANDIDATE_ALIVE &&
				  !wgm_probe_suspect(probe, c));
	}
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		const struct wgm_candidate *c = &probe->cands[i];

		info[i].alive = c->in_use && c->state == WGM_CANDIDATE_ALIVE &&
				!(clean && wgm_probe_suspect(probe, c));
		info[i].local = c->in_use && wgm_path_addr_is_local(&c->ep.addr);
		info[i].ipv6 = c->ep.addr.sa_family == AF_INET6;
		info[i].relay = c->kind == WGM_CANDIDATE_KIND_RELAY;
		info[i].srtt_us = c->srtt_us;
	}
	sel = wgm_path_select(info, WGM_PROBE_SLOTS, was);
	if (sel == was)
		return;
	probe->active = sel;
	wgm_probe_notify(probe);
	if (sel < 0) {
		/*
		 * Slot resets clear ->active first, so @was still holds the
		 * path that died: say so now, not only when one comes back.
		 */
		wgm_genl_event(probe->peer, WGM_EVENT_PATH_CHANGED,
			       &probe->cands[was].ep.addr, NULL,
			       WGM_EVENT_REASON_FAILOVER, 0);
		if (!probe->no_path_since)
			probe->no_path_since = now;
		wgm_probe_start_punch(probe, now);
		return;
	}
	probe->no_path_since = 0;
	if (was < 0)
		reason = WGM_EVENT_REASON_PUNCH_OK;
	else if (probe->cands[was].state == WGM_CANDIDATE_ALIVE &&
		 !wgm_probe_suspect(probe, &probe->cands[was]))
		reason = WGM_EVENT_REASON_RTT;
	else
		reason = WGM_EVENT_REASON_FAILOVER;
	wgm_genl_event(probe->peer, WGM_EVENT_PATH_CHANGED,
		       was >= 0 ? &probe->cands[was].ep.addr : NULL,
		       &probe->cands[sel].ep.addr, reason, probe->cands[sel].srtt_us);
	/* a burst found a path: report it now (non-alive ones keep being punched) */
	if (now < probe->punch_until)
		wgm_probe_punch_done(probe, now);
	/* failover from a path that died: punch the others too */
	if (reason == WGM_EVENT_REASON_FAILOVER)
		wgm_probe_start_punch(probe, now);
	else if (reason == WGM_EVENT_REASON_RTT)
		wgm_probe_recheck(probe, was, now);
	wgm_socket_set_peer_endpoint(probe->peer, &probe->cands[sel].ep);
	wgm_probe_want_handshake(probe, now, probe->cands[sel].srtt_us);
}

/*
 * Must hold probe->lock.  Authenticated proof that slot @i works: an
 * answer to our probe (@rtt_ns non-zero: both directions work), or a
 * packet the peer sent from it (@rtt_ns zero: its direction works).  For a
 * peer that speaks probes, the latter does not outweigh our own probes to
 * that address going unanswered: a path that lost WGM_PROBE_DEAD_AFTER in
 * a row only comes back by answering.
 */
void wgm_probe_mark_alive(struct wgm_probe_peer *probe, unsigned int i,
			  u64 now, u64 rtt_ns)
{
	struct wgm_candidate *c = &probe->cands[i];
	bool changed = c->state != WGM_CANDIDATE_ALIVE;

	lockdep_assert_held(&probe->lock);
	c->last_seen = now;
	if (rtt_ns || !probe->speaks_probes) {
		c->consecutive_lost = 0;
	} else if (c->consecutive_lost >= WGM_PROBE_DEAD_AFTER) {
		/* the peer gets through here again: ask it now, not in minutes */
		if (now - c->last_sent >= WGM_PROBE_SUSPECT_NS) {
			c->last_sent = 0;
			wgm_probe_arm(probe, now, now);
		}
		return;
	}
	c->state = WGM_CANDIDATE_ALIVE;
	if (changed) {
		c->alive_since = now;
		wgm_probe_notify(probe);
		wgm_probe_state_event(probe, i);
	}
	if (rtt_ns) {
		c->srtt_us = wgm_probemsg_srtt(c->srtt_us,
					       (u32)min_t(u64, div_u64(rtt_ns, NSEC_PER_USEC),
							  U32_MAX));
		changed = true;
	}
	if (changed)
		wgm_probe_reselect(probe, now);
}

/*
 * Must hold probe->lock and probe->cands must exist.  The slot for traffic
 * from @ep: an existing one, else the learned slot (replacing what it held).
 */
int wgm_probe_find_or_learn(struct wgm_probe_peer *probe, const struct wgm_endpoint *ep)
{
	int i = wgm_probe_find(probe, ep);

	if (i >= 0)
		return i;
	wgm_probe_slot_reset(probe, WGM_PROBE_SLOT_LEARNED, ep);
	return WGM_PROBE_SLOT_LEARNED;
}

/*
 * Requests of @c that expire now but were sent before it became alive (a
 * punch's early probes, sent before the far NAT opened): they do not count
 * as replies missing in a row.
 */
unsigned int wgm_probe_count_stale(const struct wgm_candidate *c, u64 now)
{
	unsigned int j, stale = 0;

	for (j = 0; j < WGM_PROBEMSG_RING; j++) {
		u64 sent = c->ring.slot[j].sent_ns;

		if (c->ring.slot[j].counter && now >= sent &&
		    now - sent >= WGM_PROBE_REPLY_TIMEOUT_NS && sent < c->alive_since)
			stale++;
	}
	return stale;
}

void wgm_probe_count_lost(struct wgm_candidate *c, unsigned int lost)
{
	c->probes_lost += lost;
	c->consecutive_lost = min_t(unsigned int, c->consecutive_lost + lost, U8_MAX);
}

/*
 * Must hold probe->lock.  Mirrors the peer's endpoint into its slot when
 * no other slot has that address.  When WireGuard roaming moved the
 * endpoint to another alive path, that path is the active one now (path
 * selection switches back only when another is clearly better).
 */
void wgm_probe_sync_endpoint(struct wgm_probe_peer *probe)
{
	struct wgm_peer *peer = probe->peer;
	struct wgm_endpoint ep;
	int i;

	lockdep_assert_held(&probe->lock);
	read_lock_bh(&peer->endpoint_lock);
	ep = peer->endpoint;
	read_unlock_bh(&peer->endpoint_lock);
	if (ep.addr.sa_family != AF_INET && ep.addr.sa_family != AF_INET6)
		return;
	i = wgm_probe_find(probe, &ep);
	if (i < 0) {
		bool was_active = probe->active == WGM_PROBE_SLOT_ENDPOINT;
		u64 now = ktime_get_boottime_ns();

		wgm_probe_slot_reset(probe, WGM_PROBE_SLOT_ENDPOINT, &ep);
		/* it was the active path: choose again, or punch (not rotate) */
		if (was_active) {
			wgm_probe_reselect(probe, now);
			if (probe->active < 0)
				wgm_probe_start_punch(probe, now);
		}
		return;
	}
	/* roamed onto a path our probes found dead or failing: send where it works */
	if (i != probe->active && probe->active >= 0 && probe->speaks_probes &&
	    (probe->cands[i].state == WGM_CANDIDATE_DEAD ||
	     (wgm_probe_suspect(probe, &probe->cands[i]) &&
	      !wgm_probe_suspect(probe, &probe->cands[probe->active])))) {
		wgm_socket_set_peer_endpoint(peer, &probe->cands[probe->active].ep);
		return;
	}
	if (i != probe->active && probe->cands[i].state == WGM_CANDIDATE_ALIVE) {
		int left = probe->active;

		wgm_genl_event(peer, WGM_EVENT_PATH_CHANGED,
			       left >= 0 ? &probe->cands[left].ep.addr : NULL,
			       &ep.addr, WGM_EVENT_REASON_ROAMING, probe->cands[i].srtt_us);
		probe->active = i;
		wgm_probe_notify(probe);
		/* the peer moved away from the path we were using */
		wgm_probe_recheck(probe, left, ktime_get_boottime_ns());
	}
}

/* Must hold probe->lock.  Has the peer sent data lately? */
bool wgm_probe_in_use(const struct wgm_probe_peer *probe, u64 now)
{
	lockdep_assert_held(&probe->lock);
	return (s64)(now - READ_ONCE(probe->last_data_tx)) < (s64)WGM_PROBE_IN_USE_NS;
}

/* Under rcu_read_lock_bh(): the probe state of @wg's peer with sender id @id. */
struct wgm_probe_peer *wgm_probe_lookup(struct wgm_device *wg,
					const u8 id[WGM_PROBEMSG_ID_LEN])
{
	u64 want = wgm_probe_id_u64(id);
	unsigned int bucket = wgm_probe_id_bucket(wg, want);
	struct wgm_probe_peer *probe;
	struct hlist_nulls_node *pos;

again:
	hlist_nulls_for_each_entry_rcu(probe, pos, &wgm_probe_ids[bucket], id_hash) {
		if (READ_ONCE(probe->hashed_id) == want && probe->peer->device == wg)
			return probe;
	}
	/* carried into another chain by a concurrent rekey: walk ours again */
	if (get_nulls_value(pos) != bucket)
		goto again;
	return NULL;
}

static u64 wgm_probe_new_challenge(void)
{
	u64 c;

	do
		c = get_random_u64();
	while (!c);
	return c;
}

/* Must hold device_update_lock.  peer->probe, created when missing. */
static struct wgm_probe_peer *wgm_probe_get_or_create(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe = wgm_probe_deref(peer);

	if (probe || READ_ONCE(peer->is_dead))
		return probe;
	probe = kzalloc(sizeof(*probe), GFP_KERNEL);
	if (!probe)
		return NULL;
	probe->peer = peer;
	probe->id_hash.pprev = NULL;
	timer_setup(&probe->timer, wgm_probe_timer, 0);
	INIT_WORK(&probe->event_work, wgm_probe_event_work);
	spin_lock_init(&probe->lock);
	probe->active = -1;
	probe->nat_keepalive = WGM_PROBE_NAT_KEEPALIVE_DEFAULT;
	probe->local_chal = wgm_probe_new_challenge();
	/* ndo_open/ndo_stop (wgm_probe_device_start/stop) hold the same lock */
	probe->stopped = !netif_running(peer->device->dev);
	rcu_assign_pointer(peer->probe, probe);
	return probe;
}

void wgm_probe_peer_rekey(struct wgm_peer *peer)
{
	struct wgm_device *wg = peer->device;
	struct wgm_static_identity *si = &wg->static_identity;
	u8 dh[WGM_KEY_BYTES], psk[WGM_KEY_BYTES];
	u8 local[WGM_KEY_BYTES], remote[WGM_KEY_BYTES];
	struct wgm_probemsg_keys keys;
	struct wgm_probe_peer *probe;
	bool have_identity, changed;
	u64 now;

	lockdep_assert_held(&wg->device_update_lock);
	probe = wgm_probe_get_or_create(peer);
	if (!probe)
		return;

	down_read(&si->lock);
	have_identity = si->has_identity;
	memcpy(local, si->static_public, sizeof(local));
	down_read(&peer->handshake.lock);
	memcpy(dh, peer->handshake.precomputed_static_static, sizeof(dh));
	memcpy(psk, peer->handshake.preshared_key, sizeof(psk));
	memcpy(remote, peer->handshake.remote_static, sizeof(remote));
	up_read(&peer->handshake.lock);
	up_read(&si->lock);

	if (!have_identity || !wgm_probemsg_derive(&keys, dh, psk, local, remote))
		memzero_explicit(&keys, sizeof(keys));
	memzero_explicit(dh, sizeof(dh));
	memzero_explicit(psk, sizeof(psk));

	spin_lock_bh(&probe->lock);
	changed = keys.valid != probe->keys.valid ||
		  crypto_memneq(keys.key, probe->keys.key, sizeof(keys.key));
	if (changed) {
		probe->keys = keys;
		memset(&probe->window, 0, sizeof(probe->window));
		/* nothing said under the old key proves freshness any more */
		probe->local_chal = wgm_probe_new_challenge();
		probe->remote_chal = 0;
		probe->remote_chal_ctr = 0;
		probe->last_chal_probe = 0;
		probe->speaks_probes = false;
	}
	spin_unlock_bh(&probe->lock);

	if (changed) {
		spin_lock(&wgm_probe_ids_lock);
		if (probe->hashed)
			hlist_nulls_del_rcu(&probe->id_hash);
		probe->hashed = keys.valid;
		if (keys.valid) {
			u64 id = wgm_probe_id_u64(keys.remote_id);

			WRITE_ONCE(probe->hashed_id, id);
			hlist_nulls_add_head_rcu(&probe->id_hash,
						 &wgm_probe_ids[wgm_probe_id_bucket(wg, id)]);
		}
		spin_unlock(&wgm_probe_ids_lock);

		now = ktime_get_boottime_ns();
		spin_lock_bh(&probe->lock);
		wgm_probe_kick(probe, now);
		spin_unlock_bh(&probe->lock);
	}
	memzero_explicit(&keys, sizeof(keys));
}

/*
 * Must hold device_update_lock.  peer->probe; a peer without one gets it
 * from wgm_probe_peer_rekey(), keys included.  NULL when that failed (no
 * memory, or the peer is being removed).
 */
static struct wgm_probe_peer *wgm_probe_get_keyed(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe = wgm_probe_deref(peer);

	if (probe)
		return probe;
	wgm_probe_peer_rekey(peer);
	return wgm_probe_deref(peer);
}

static void wgm_probe_free_rcu(struct rcu_head *rcu)
{
	struct wgm_probe_peer *probe = container_of(rcu, struct wgm_probe_peer, rcu);

	kfree_sensitive(probe->cands);	/* relay bind keys */
	kfree_sensitive(probe);
}

void wgm_probe_peer_remove(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;
	unsigned int i;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe)
		return;
	spin_lock_bh(&probe->lock);
	probe->dead = true;	/* nothing re-arms the timer from now on */
	memzero_explicit(&probe->keys, sizeof(probe->keys));
	for (i = 0; probe->cands && i < WGM_PROBE_SLOTS; i++)
		memzero_explicit(probe->cands[i].relay_key, sizeof(probe->cands[i].relay_key));
	spin_unlock_bh(&probe->lock);
	timer_delete_sync(&probe->timer);
	cancel_work_sync(&probe->event_work);

	spin_lock(&wgm_probe_ids_lock);
	if (probe->hashed)
		hlist_nulls_del_rcu(&probe->id_hash);
	probe->hashed = false;
	spin_unlock(&wgm_probe_ids_lock);

	RCU_INIT_POINTER(peer->probe, NULL);
	call_rcu(&probe->rcu, wgm_probe_free_rcu);
}

/*
 * A configured candidate's relay bind key: a new or changed key (or id) is
 * bound at the next timer run; without one the slot has none (wiped).
 */
static void wgm_probe_set_relay(struct wgm_candidate *c, const struct wgm_cand_cfg *cfg)
{
	bool same = c->relay_bind && cfg->has_relay_key && c->relay_id == cfg->relay_id &&
		    !crypto_memneq(c->relay_key, cfg->relay_key, sizeof(c->relay_key));

	if (same)
		return;
	memzero_explicit(c->relay_key, sizeof(c->relay_key));
	c->relay_bind = cfg->has_relay_key;
	c->relay_id = 0;
	c->next_bind = 0;
	c->last_bind = 0;
	if (!cfg->has_relay_key)
		return;
	c->relay_id = cfg->relay_id;
	memcpy(c->relay_key, cfg->relay_key, sizeof(c->relay_key));
}

/*
 * Must hold probe->lock.  Makes @want (@n addresses) the configured
 * candidates, keeping the state of addresses already known (in any slot)
 * and taking the kind given now.  @tmp is scratch space for
 * WGM_PROBE_SLOTS candidates.
 */
static void wgm_probe_install(struct wgm_probe_peer *probe, const struct wgm_cand_cfg *want,
			      unsigned int n, struct wgm_candidate *tmp)
{
	struct wgm_candidate *old = probe->cands;
	bool consumed[WGM_PROBE_SLOTS] = { };
	int active = -1;
	unsigned int j;
	int k;

	lockdep_assert_held(&probe->lock);
	memset(tmp, 0, sizeof(*tmp) * WGM_PROBE_SLOTS);
	for (j = 0; j < n; j++) {
		k = wgm_probe_find(probe, &want[j].ep);
		if (k >= 0 && !consumed[k]) {
			tmp[j] = old[k];
			tmp[j].kind = want[j].kind;
			wgm_probe_set_relay(&tmp[j], &want[j]);
			consumed[k] = true;
			if (k == probe->active)
				active = j;
			continue;
		}
		tmp[j].ep = want[j].ep;
		tmp[j].kind = want[j].kind;
		tmp[j].state = WGM_CANDIDATE_UNKNOWN;
		tmp[j].in_use = true;
		wgm_probe_set_relay(&tmp[j], &want[j]);
	}
	for (k = WGM_PROBE_SLOT_ENDPOINT; k <= WGM_PROBE_SLOT_LEARNED; k++) {
		if (consumed[k] || !old[k].in_use)
			continue;
		tmp[k] = old[k];
		if (k == probe->active)
			active = k;
	}
	memcpy(old, tmp, sizeof(*tmp) * WGM_PROBE_SLOTS);
	probe->n_cands = n;
	probe->active = active;
}

/*
 * Must hold wg->device_update_lock.  Copies the configured candidates
 * (netlink order) into @cfg, at most @max; returns how many.
 */
unsigned int wgm_probe_get_candidates(struct wgm_peer *peer, struct wgm_cand_cfg *cfg,
				      unsigned int max)
{
	struct wgm_probe_peer *probe;
	unsigned int n = 0, j;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe)
		return 0;
	spin_lock_bh(&probe->lock);
	if (probe->cands) {
		for (j = 0; j < probe->n_cands && n < max; j++, n++) {
			const struct wgm_candidate *c = &probe->cands[j];

			memset(&cfg[n], 0, sizeof(cfg[n]));
			cfg[n].ep = c->ep;
			cfg[n].kind = c->kind;
			cfg[n].has_relay_key = c->relay_bind;
			cfg[n].relay_id = c->relay_id;
			memcpy(cfg[n].relay_key, c->relay_key, sizeof(cfg[n].relay_key));
		}
	}
	spin_unlock_bh(&probe->lock);
	return n;
}

int wgm_probe_set_candidates(struct wgm_peer *peer, const struct wgm_cand_cfg *want,
			     unsigned int n)
{
	struct wgm_candidate *fresh = NULL, *tmp = NULL;
	struct wgm_probe_peer *probe;
	u64 now;

	lockdep_assert_held(&peer->device->device_update_lock);
	if (n > WGM_MAX_CANDIDATES)
		return -E2BIG;
	probe = wgm_probe_get_keyed(peer);
	if (!probe)
		return -ENOMEM;

	tmp = kcalloc(WGM_PROBE_SLOTS, sizeof(*tmp), GFP_KERNEL);
	if (!probe->cands)
		fresh = kcalloc(WGM_PROBE_SLOTS, sizeof(*fresh), GFP_KERNEL);
	if (!tmp || (!probe->cands && !fresh)) {
		kfree(fresh);
		kfree(tmp);
		return -ENOMEM;
	}

	now = ktime_get_boottime_ns();
	spin_lock_bh(&probe->lock);
	if (!probe->cands) {
		/* read without the lock by the data path hooks */
		WRITE_ONCE(probe->cands, fresh);
		fresh = NULL;
	}
	wgm_probe_install(probe, want, n, tmp);
	if (probe->active < 0)
		wgm_probe_reselect(probe, now);
	wgm_probe_kick(probe, now);
	spin_unlock_bh(&probe->lock);
	kfree(fresh);
	/* scratch copies of the slots hold relay bind keys */
	kfree_sensitive(tmp);
	return 0;
}

int wgm_probe_set_nat_keepalive(struct wgm_peer *peer, u16 seconds)
{
	struct wgm_probe_peer *probe;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_get_keyed(peer);
	if (!probe)
		return -ENOMEM;
	spin_lock_bh(&probe->lock);
	probe->nat_keepalive = seconds;
	spin_unlock_bh(&probe->lock);
	return 0;
}

/* Must hold probe->lock.  Hands the path status and each slot in use to @ops. */
static int wgm_probe_report_locked(const struct wgm_probe_peer *probe,
				   const struct wgm_probe_report_ops *ops, void *ctx)
{
	struct wgm_path_status path = {
		.nat_keepalive = probe->nat_keepalive,
		.punches = probe->punches,
		.punch_result = probe->punch_result,
		.punch_at = probe->punch_at,
		.no_path_since = probe->active < 0 ? probe->no_path_since : 0,
		.has_cands = !!probe->cands,
	};
	unsigned int i;
	int ret;

	lockdep_assert_held(&probe->lock);
	if (probe->keys.valid)
		path.flags |= WGM_PATH_F_PROBE_KEY;
	if (probe->speaks_probes)
		path.flags |= WGM_PATH_F_SPEAKS_PROBES;
	ret = ops->path(ctx, &path);
	if (ret || !probe->cands)
		return ret;
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		const struct wgm_candidate *c = &probe->cands[i];
		struct wgm_cand_info info;

		if (!c->in_use)
			continue;
		info = (struct wgm_cand_info) {
			.ep = c->ep,
			.last_sent = c->last_sent,
			.last_seen = c->last_seen,
			.srtt_us = c->srtt_us,
			.probes_sent = c->probes_sent,
			.probes_lost = c->probes_lost,
			.state = c->state,
			.kind = c->kind,
			.active = probe->active == (int)i,
			.relay_id = c->relay_bind ? c->relay_id : 0,
		};
		ret = ops->cand(ctx, &info);
		if (ret)
			return ret;
	}
	return 0;
}

int wgm_probe_report_peer(struct wgm_peer *peer, const struct wgm_probe_report_ops *ops,
			  void *ctx)
{
	struct wgm_probe_peer *probe;
	int ret;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe)
		return 0;
	spin_lock_bh(&probe->lock);
	ret = wgm_probe_report_locked(probe, ops, ctx);
	spin_unlock_bh(&probe->lock);
	return ret;
}

int wgm_probe_report_event(struct wgm_probe_peer *probe, const struct wgm_probe_report_ops *ops,
			   void *ctx)
{
	int ret;

	spin_lock_bh(&probe->lock);
	probe->event_pending = false;
	ret = wgm_probe_report_locked(probe, ops, ctx);
	spin_unlock_bh(&probe->lock);
	return ret;
}

/*
 * Process context, no locks held.  The netlink layer multicasts one
 * WGM_CMD_EVENT for the peer (wgm_nl_mesh_probe_event()), reading the
 * state back through wgm_probe_report_event().  wgm_probe_peer_remove()
 * waits for this work, so the peer and device are alive.
 */
static void wgm_probe_event_work(struct work_struct *work)
{
	struct wgm_probe_peer *probe = container_of(work, struct wgm_probe_peer, event_work);

	if (!wgm_nl_mesh_probe_event(probe->peer, probe))
		return;
	spin_lock_bh(&probe->lock);
	probe->event_pending = false;
	spin_unlock_bh(&probe->lock);
}
