// SPDX-License-Identifier: GPL-2.0-only
/*
 * Authenticated probes: sending requests, the per-peer timer, receiving
 * requests and replies, and the data path hooks.  Documentation/probing.rst
 * describes the protocol; the pure parts are probemsg.c (messages, windows,
 * rings) and pathsel.c (policy).  The state lives in candidate.c.
 *
 * Timing (one timer per peer): candidates that are not alive are punched
 * every 200 ms (+ up to 50 ms jitter) for WGM_PROBE_PUNCH_MS after the
 * candidates change, a punch request, or a failover.  The active path is
 * probed when nothing authenticated went either way on it for the NAT
 * keepalive interval (default 25 s), so an idle peer costs one probe and
 * its reply per interval, and nothing when WireGuard keepalives already
 * flow.  While the peer is in use (data sent within WGM_PROBE_IN_USE_NS)
 * other alive paths are probed every minute and the rest every two
 * minutes; an idle peer's other paths are left alone.  A missing reply
 * makes a path "suspect" and probed every second until it answers or dies.
 *
 * Traffic check: when data goes out but nothing authenticated came back
 * for WGM_PROBE_TRAFFIC_NS, every alive path is probed at once (at most
 * once per WGM_PROBE_TRAFFIC_NS); when the active path misses that reply
 * and another path answered, traffic moves there (a suspect path does not
 * qualify while a clean one exists) and the rest are punched.
 *
 * Device down: wgm_probe_device_stop() sets probe->stopped and stops the
 * timer; nothing arms it again until wgm_probe_device_start().
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
#include "birthday.h"
#include "uapi/linux/wgmesh.h"

/*
 * Must hold probe->lock.  Interval between probes to slot @i, or
 * WGM_PROBE_NEVER.  The active path's NAT keepalive is handled by
 * wgm_probe_due().
 */
static u64 wgm_probe_interval(const struct wgm_probe_peer *probe, unsigned int i, u64 now)
{
	const struct wgm_candidate *c = &probe->cands[i];
	bool in_use = wgm_probe_in_use(probe, now);

	if (c->state == WGM_CANDIDATE_ALIVE) {
		if (probe->speaks_probes && (c->consecutive_lost || !c->srtt_us))
			return WGM_PROBE_SUSPECT_NS;
		if ((int)i == probe->active && probe->nat_keepalive) {
			u16 pk = READ_ONCE(probe->peer->persistent_keepalive_interval);

			/*
			 * WireGuard's own keepalives hold the mapping open
			 * already; the traffic check watches the path in use.
			 */
			if (pk && pk <= probe->nat_keepalive)
				return WGM_PROBE_NEVER;
			return (u64)probe->nat_keepalive * NSEC_PER_SEC;
		}
		return in_use ? WGM_PROBE_IDLE_NS : WGM_PROBE_NEVER;
	}
	if (now < probe->punch_until)
		return WGM_PROBE_PUNCH_NS + c->jitter_ns;
	if (!in_use)
		return WGM_PROBE_NEVER;
	if (c->state == WGM_CANDIDATE_PROBING)
		return WGM_PROBE_SUSPECT_NS;
	return WGM_PROBE_DEAD_NS;
}

/*
 * Must hold probe->lock.  When slot @i is due for its next probe.  The
 * active path in good standing is due one NAT keepalive interval after
 * the last authenticated packet either way (ours, a probe, or the peer's):
 * any of them refreshes the NAT mappings on the way.
 */
static u64 wgm_probe_due(const struct wgm_probe_peer *probe, unsigned int i, u64 now)
{
	const struct wgm_candidate *c = &probe->cands[i];
	u64 interval, base = c->last_sent;

	if (!c->last_sent)
		return now;
	interval = wgm_probe_interval(probe, i, now);
	if (interval == WGM_PROBE_NEVER)
		return WGM_PROBE_NEVER;
	if ((int)i == probe->active && c->state == WGM_CANDIDATE_ALIVE &&
	    probe->nat_keepalive && interval == (u64)probe->nat_keepalive * NSEC_PER_SEC) {
		base = max(base, c->last_seen);
		/* our packets go to the active path; coarse time lags by a tick */
		base = max(base, READ_ONCE(probe->last_tx));
	}
	return base + interval;
}

/*
 * Must hold probe->lock.  Expires unanswered requests, declares paths dead,
 * fails over.
 */
static void wgm_probe_expire(struct wgm_probe_peer *probe, u64 now)
{
	bool changed = false;
	unsigned int i, lost, stale;

	lockdep_assert_held(&probe->lock);
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		struct wgm_candidate *c = &probe->cands[i];

		if (!c->in_use)
			continue;
		stale = wgm_probe_count_stale(c, now);
		lost = wgm_probemsg_ring_expire(&c->ring, now, WGM_PROBE_REPLY_TIMEOUT_NS);
		if (lost) {
			wgm_probe_count_lost(c, lost - stale);
			/* sent before it came alive: lost, but not in a row */
			c->probes_lost += stale;
		}
		/* the active path missed a reply: another may take over now */
		if (lost > stale && (int)i == probe->active)
			changed = true;
		if (c->consecutive_lost < WGM_PROBE_DEAD_AFTER)
			continue;
		if (c->state == WGM_CANDIDATE_PROBING ||
		    (c->state == WGM_CANDIDATE_ALIVE && probe->speaks_probes)) {
			c->state = WGM_CANDIDATE_DEAD;
			changed = true;
			wgm_probe_notify(probe);
			wgm_probe_state_event(probe, i);
		}
	}
	if (changed)
		wgm_probe_reselect(probe, now);
}

/* Must hold probe->lock.  Is probing of this peer switched on? */
bool wgm_probe_enabled(const struct wgm_probe_peer *probe)
{
	lockdep_assert_held(&probe->lock);
	return !probe->dead && !probe->stopped && probe->keys.valid && probe->cands &&
	       probe->n_cands;
}

/* Must hold probe->lock.  (Re)arms the timer for @next_ns (boottime). */
void wgm_probe_arm(struct wgm_probe_peer *probe, u64 now, u64 next_ns)
{
	unsigned long delay;

	lockdep_assert_held(&probe->lock);
	if (probe->dead || probe->stopped)
		return;
	delay = next_ns > now ? nsecs_to_jiffies(next_ns - now) : 0;
	mod_timer(&probe->timer, jiffies + max(delay, 1UL));
}

/* Builds and sends one request to slot @i.  Takes probe->lock. */
static void wgm_probe_send_request(struct wgm_probe_peer *probe, unsigned int i)
{
	u8 msg[WGM_PROBEMSG_LEN];
	struct wgm_endpoint ep;
	struct wgm_candidate *c;
	u64 counter, now;

	spin_lock_bh(&probe->lock);
	if (!wgm_probe_enabled(probe) || !probe->cands[i].in_use) {
		spin_unlock_bh(&probe->lock);
		return;
	}
	c = &probe->cands[i];
	now = ktime_get_boottime_ns();
	counter = wgm_probemsg_next_counter(&probe->last_counter, ktime_get_real_ns());
	wgm_probemsg_build_request(msg, &probe->keys, counter, probe->local_chal,
				   probe->remote_chal);
	if (wgm_probemsg_ring_add(&c->ring, counter, now))
		wgm_probe_count_lost(c, 1);
	c->probes_sent++;
	c->last_sent = now;
	c->jitter_ns = get_random_u32_below(WGM_PROBE_PUNCH_JITTER_NS);
	if (c->state == WGM_CANDIDATE_UNKNOWN)
		c->state = WGM_CANDIDATE_PROBING;
	ep = c->ep;
	spin_unlock_bh(&probe->lock);

	wgm_socket_send_buffer_for_peer(probe->peer, &ep, msg, sizeof(msg));
}

/*
 * Sends one relay bind to slot @i (Documentation/relay.rst, "Bind
 * message").  Takes probe->lock.  The key never leaves the lock; only the
 * finished message does.
 */
static void wgm_probe_send_bind(struct wgm_probe_peer *probe, unsigned int i)
{
	u8 msg[WGM_PROBEMSG_BIND_LEN];
	struct wgm_endpoint ep;
	struct wgm_candidate *c;
	u64 counter;

	spin_lock_bh(&probe->lock);
	c = &probe->cands[i];
	if (!wgm_probe_enabled(probe) || !c->in_use || !c->relay_bind) {
		spin_unlock_bh(&probe->lock);
		return;
	}
	counter = wgm_probemsg_next_counter(&c->bind_ctr, ktime_get_real_ns());
	wgm_probemsg_build_bind(msg, c->relay_id, counter, c->relay_key);
	c->last_bind = ktime_get_boottime_ns();
	ep = c->ep;
	spin_unlock_bh(&probe->lock);

	wgm_socket_send_buffer_for_peer(probe->peer, &ep, msg, sizeof(msg));
}

/*
 * Must hold probe->lock.  Relay candidates whose bind is due at @now go
 * into @binds; returns when the next one is due.  A bind goes out when
 * the candidate gets its key, then every WGM_PROBE_BIND_NS plus jitter
 * while it exists, whatever its state: it keeps the relay's binding and
 * the NAT mapping towards the relay fresh.  Only configured slots have
 * keys, so at most WGM_PROBE_MAX_CANDIDATES binds per peer per interval.
 */
static u64 wgm_probe_binds_due(struct wgm_probe_peer *probe, u64 now, unsigned long *binds)
{
	u64 next = WGM_PROBE_NEVER;
	unsigned int i;

	lockdep_assert_held(&probe->lock);
	for (i = 0; i < probe->n_cands; i++) {
		struct wgm_candidate *c = &probe->cands[i];

		if (!c->in_use || !c->relay_bind)
			continue;
		if (c->next_bind <= now) {
			__set_bit(i, binds);
			c->next_bind = now + WGM_PROBE_BIND_NS +
				       get_random_u32_below(WGM_PROBE_BIND_JITTER_NS);
		}
		next = min(next, c->next_bind);
	}
	return next;
}

void wgm_probe_timer(struct timer_list *t)
{
	struct wgm_probe_peer *probe = timer_container_of(probe, t, timer);
	unsigned long due = 0, binds = 0;
	u64 now, next = WGM_PROBE_NEVER, at, path_up;
	bool handshake, kick;
	unsigned int i, j;

	BUILD_BUG_ON(WGM_PROBE_SLOTS > BITS_PER_LONG);
	spin_lock_bh(&probe->lock);
	if (!wgm_probe_enabled(probe)) {
		spin_unlock_bh(&probe->lock);
		return;
	}
	now = ktime_get_boottime_ns();
	wgm_probe_sync_endpoint(probe);
	wgm_probe_expire(probe, now);
	if (now >= probe->punch_until)
		wgm_probe_punch_done(probe, now);
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		struct wgm_candidate *c = &probe->cands[i];

		if (!c->in_use)
			continue;
		/* data without answers: check every path that should work */
		if (probe->traffic_check && c->state == WGM_CANDIDATE_ALIVE)
			c->last_sent = 0;
		at = wgm_probe_due(probe, i, now);
		if (at <= now) {
			__set_bit(i, &due);
			/* sent now: due again after a fresh interval, and its reply */
			at = now + min(wgm_probe_interval(probe, i, now),
				       WGM_PROBE_REPLY_TIMEOUT_NS + WGM_PROBE_MS);
		}
		next = min(next, at);
		/* an outstanding request is given up at its reply timeout */
		for (j = 0; j < WGM_PROBEMSG_RING; j++) {
			if (c->ring.slot[j].counter)
				next = min(next, c->ring.slot[j].sent_ns +
					   WGM_PROBE_REPLY_TIMEOUT_NS + WGM_PROBE_MS);
		}
	}
	probe->traffic_check = false;
	next = min(next, wgm_probe_binds_due(probe, now, &binds));
	handshake = wgm_probe_rotate_handshake(probe, now);
	if (probe->active < 0 && wgm_probe_may_rotate(probe, now))
		next = min(next, now + WGM_PROBE_HS_ROTATE_NS);
	kick = probe->hs_kick && now >= probe->hs_kick_at;
	if (kick)
		probe->hs_kick = false;
	else if (probe->hs_kick)
		next = min(next, probe->hs_kick_at);
	path_up = probe->path_up;
	if (next != WGM_PROBE_NEVER)
		wgm_probe_arm(probe, now, next);
	spin_unlock_bh(&probe->lock);

	/* bind first: a probe to a relay that has not bound us yet is dropped */
	for_each_set_bit(i, &binds, WGM_PROBE_SLOTS)
		wgm_probe_send_bind(probe, i);
	for_each_set_bit(i, &due, WGM_PROBE_SLOTS)
		wgm_probe_send_request(probe, i);
	if (handshake)
		wgm_packet_send_queued_handshake_initiation(probe->peer, false);
	if (kick)
		wgm_probe_kick_handshake(probe->peer, path_up);
}

void wgm_probe_device_stop(struct wgm_device *wg)
{
	struct wgm_probe_peer *probe;
	struct wgm_peer *peer;
	unsigned int i;

	lockdep_assert_held(&wg->device_update_lock);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		probe = wgm_probe_deref(peer);
		if (!probe)
			continue;
		spin_lock_bh(&probe->lock);
		probe->stopped = true;	/* nothing arms the timer from now on */
		probe->hs_kick = false;
		probe->traffic_check = false;
		/* requests sent before the stop are not lost while down */
		for (i = 0; probe->cands && i < WGM_PROBE_SLOTS; i++)
			memset(&probe->cands[i].ring, 0, sizeof(probe->cands[i].ring));
		spin_unlock_bh(&probe->lock);
		/* a run in progress finishes its sends first (it sends nothing new) */
		timer_delete_sync(&probe->timer);
	}
}

void wgm_probe_device_start(struct wgm_device *wg)
{
	struct wgm_probe_peer *probe;
	struct wgm_peer *peer;
	unsigned int i;
	u64 now = ktime_get_boottime_ns();

	lockdep_assert_held(&wg->device_update_lock);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		probe = wgm_probe_deref(peer);
		if (!probe)
			continue;
		spin_lock_bh(&probe->lock);
		probe->stopped = false;
		/* the relays forgot us while down, maybe: bind again at once */
		for (i = 0; probe->cands && i < WGM_PROBE_SLOTS; i++)
			probe->cands[i].next_bind = 0;
		/* paths may have changed while down: check them all again */
		wgm_probe_kick(probe, now);
		spin_unlock_bh(&probe->lock);
	}
}

/*
 * Keyed hash of a source address and port for the peer's reply limiter
 * (wgm_probemsg_limit_take()): the key is random, so nobody can choose
 * sources that share a bucket on purpose.
 */
static siphash_key_t wgm_probe_src_key;

static u32 wgm_probe_src_hash(const struct wgm_endpoint *src)
{
	get_random_once(&wgm_probe_src_key, sizeof(wgm_probe_src_key));
	if (src->addr.sa_family == AF_INET)
		return (u32)siphash_2u64((__force u32)src->addr4.sin_addr.s_addr,
					 (__force u16)src->addr4.sin_port, &wgm_probe_src_key);
	return (u32)siphash_3u64(get_unaligned((const u64 *)&src->addr6.sin6_addr.s6_addr[0]),
				 get_unaligned((const u64 *)&src->addr6.sin6_addr.s6_addr[8]),
				 (__force u16)src->addr6.sin6_port, &wgm_probe_src_key);
}

/*
 * Must hold probe->lock.  The peer has a challenge we did not know (a new
 * instance of it, or its first request): our requests can be answered
 * now, and carry our own challenge to it.  Probe every candidate once,
 * at most once a second.  This goes to our own candidates only, never to
 * the source of the request that told us.
 */
static void wgm_probe_challenge_learned(struct wgm_probe_peer *probe, u64 now)
{
	unsigned int i;

	lockdep_assert_held(&probe->lock);
	if (!wgm_probe_enabled(probe) ||
	    (probe->last_chal_probe && now - probe->last_chal_probe < WGM_PROBE_SUSPECT_NS))
		return;
	probe->last_chal_probe = now;
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		if (probe->cands[i].in_use)
			probe->cands[i].last_sent = 0;
	}
	wgm_probe_arm(probe, now, now);
}

/*
 * Must hold probe->lock.  An authenticated request arrived from @src.
 * It proves freshness only by echoing our current challenge for the peer
 * (which changes with every probe state and key): anything else, such as
 * a request captured before and replayed from anywhere, changes no path
 * state and gets no reply.  From a request with the newest counter seen
 * so far we learn the peer's own challenge, to echo in our requests.
 *
 * Returns WGM_PROBE_RX_FRESH when @reply is to be sent; WGM_PROBE_RX_NEW
 * for a request that is the peer's and new to the replay window but does
 * not echo our challenge (a birthday search's socket may take that as
 * proof that its mapping got through, see birthday.h: it moves no path
 * and draws no reply); WGM_PROBE_RX_NONE otherwise.
 */
enum { WGM_PROBE_RX_NONE, WGM_PROBE_RX_NEW, WGM_PROBE_RX_FRESH };

static int wgm_probe_handle_request(struct wgm_probe_peer *probe,
				    const struct wgm_probemsg *msg,
				    const struct wgm_endpoint *src, u64 now,
				    u8 reply[WGM_PROBEMSG_LEN])
{
	struct wgm_device *wg = probe->peer->device;
	u64 counter;

	lockdep_assert_held(&probe->lock);
	if (msg->counter > probe->remote_chal_ctr) {
		bool news = msg->challenge != probe->remote_chal;

		probe->remote_chal = msg->challenge;
		probe->remote_chal_ctr = msg->counter;
		if (news)
			wgm_probe_challenge_learned(probe, now);
	}
	/*
	 * Each request has its own counter, so a request whose echo is
	 * stale may use up its counter: no genuine copy of it can follow.
	 */
	if (!wgm_probemsg_window_check(&probe->window, msg->counter)) {
		atomic64_inc(&wg->rx_drop_replay);
		return WGM_PROBE_RX_NONE;
	}
	if (msg->echo != probe->local_chal) {
		/* zero: the peer has not heard our challenge yet (not an error) */
		if (msg->echo)
			atomic64_inc(&wg->rx_drop_replay);
		return WGM_PROBE_RX_NEW;
	}
	/* the peer's own budget first: no source can spend another peer's */
	if (!wgm_probemsg_limit_take(&probe->limiter, wgm_probe_src_hash(src), now)) {
		atomic64_inc(&wg->rx_drop_ratelimit);
		return WGM_PROBE_RX_NONE;
	}
	probe->speaks_probes = true;
	probe->last_probe_rx = now;
	if (probe->cands)
		wgm_probe_mark_alive(probe, wgm_probe_find_or_learn(probe, src), now, 0);
	counter = wgm_probemsg_next_counter(&probe->last_counter, ktime_get_real_ns());
	if (wgm_probemsg_build_reply(reply, &probe->keys, counter, msg->counter,
				     &src->addr, msg->challenge))
		return WGM_PROBE_RX_NONE;
	return WGM_PROBE_RX_FRESH;
}

/*
 * Must hold probe->lock.  An authenticated reply: the candidate whose ring
 * holds the echoed counter answered (the reply may come from another
 * address when the peer's NAT maps per destination).
 */
static bool wgm_probe_handle_reply(struct wgm_probe_peer *probe,
				   const struct wgm_probemsg *msg, u64 now)
{
	unsigned int i;
	u64 rtt;

	lockdep_assert_held(&probe->lock);
	if (!probe->cands)
		goto replay;
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		if (!probe->cands[i].in_use ||
		    !wgm_probemsg_ring_match(&probe->cands[i].ring, msg->echoed, now, &rtt))
			continue;
		probe->speaks_probes = true;
		probe->last_probe_rx = now;
		wgm_probe_mark_alive(probe, i, now, rtt ? rtt : 1);
		return true;
	}
replay:
	atomic64_inc(&probe->peer->device->rx_drop_replay);
	return false;
}

void wgm_probe_receive(struct wgm_device *wg, struct sock *sk, struct sk_buff *skb)
{
	u8 buf[WGM_PROBEMSG_LEN], reply[WGM_PROBEMSG_LEN], type, id[WGM_PROBEMSG_ID_LEN];
	struct wgm_probe_peer *probe;
	struct wgm_peer *peer = NULL;
	struct wgm_endpoint src;
	struct wgm_probemsg msg;
	bool send_reply = false;
	int proof;
	u64 now;

	if (skb->len != WGM_PROBEMSG_LEN || skb_copy_bits(skb, 0, buf, sizeof(buf)) ||
	    !wgm_probemsg_peek(buf, sizeof(buf), &type, id) ||
	    wgm_socket_endpoint_from_skb(&src, skb)) {
		atomic64_inc(&wg->rx_drop_invalid);
		goto drop;
	}

	rcu_read_lock_bh();
	probe = wgm_probe_lookup(wg, id);
	if (probe)
		peer = wgm_peer_get_maybe_zero(probe->peer);
	if (!peer) {
		rcu_read_unlock_bh();
		atomic64_inc(&wg->rx_drop_auth);
		goto drop;
	}

	spin_lock_bh(&probe->lock);
	if (probe->dead ||
	    !wgm_probemsg_verify(buf, sizeof(buf), &probe->keys, probe->local_chal, &msg)) {
		spin_unlock_bh(&probe->lock);
		rcu_read_unlock_bh();
		atomic64_inc(&wg->rx_drop_auth);
		goto drop_peer;
	}
	now = ktime_get_boottime_ns();
	if (msg.type == WGM_PROBEMSG_TYPE_REQUEST) {
		proof = wgm_probe_handle_request(probe, &msg, &src, now, reply);
		send_reply = proof == WGM_PROBE_RX_FRESH;
	} else {
		proof = wgm_probe_handle_reply(probe, &msg, now) ? WGM_PROBE_RX_FRESH :
								   WGM_PROBE_RX_NONE;
	}
	spin_unlock_bh(&probe->lock);
	rcu_read_unlock_bh();

	/*
	 * Same size as the request, to its source, from the address and the
	 * socket it reached: a NAT in front of a birthday search's socket
	 * lets in only what answers that socket's own mapping.
	 */
	if (send_reply)
		wgm_socket_send_buffer_as_reply_to_skb(wg, sk, skb, reply, sizeof(reply));
	/* the peer's new message on a search's socket: its mapping works */
	if (proof != WGM_PROBE_RX_NONE)
		wgm_birthday_rx(wg, sk, peer);
	wgm_peer_put(peer);
	consume_skb(skb);
	return;

drop_peer:
	wgm_peer_put(peer);
drop:
	kfree_skb(skb);
}

/* Cheap fingerprint of an outer address and port (not a security boundary). */
static u32 wgm_probe_addr_hash(const struct wgm_endpoint *ep)
{
	if (ep->addr.sa_family == AF_INET)
		return jhash_2words((__force u32)ep->addr4.sin_addr.s_addr,
				    (__force u32)ep->addr4.sin_port, AF_INET);
	return jhash2((const u32 *)&ep->addr6.sin6_addr, 4,
		      (__force u32)ep->addr6.sin6_port);
}

void wgm_probe_authenticated_rx(struct wgm_peer *peer, const struct sk_buff *skb)
{
	struct wgm_probe_peer *probe;
	struct wgm_endpoint src;
	u32 src_hash;
	u64 now;

	rcu_read_lock_bh();
	probe = rcu_dereference_bh(peer->probe);
	if (!probe || !READ_ONCE(probe->cands))
		goto out;
	if (wgm_socket_endpoint_from_skb(&src, skb))
		goto out;
	/* the same source again shortly after: nothing new to learn */
	src_hash = wgm_probe_addr_hash(&src);
	now = ktime_get_boottime_ns();
	if (src_hash == READ_ONCE(probe->last_auth_src) &&
	    now - READ_ONCE(probe->last_auth_rx) < WGM_PROBE_RX_REFRESH_NS)
		goto out;
	spin_lock_bh(&probe->lock);
	WRITE_ONCE(probe->last_auth_rx, now);
	WRITE_ONCE(probe->last_auth_src, src_hash);
	if (!probe->dead && probe->cands)
		wgm_probe_mark_alive(probe, wgm_probe_find_or_learn(probe, &src), now, 0);
	spin_unlock_bh(&probe->lock);
out:
	rcu_read_unlock_bh();
}

void wgm_probe_authenticated_tx(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;
	u64 now;

	rcu_read_lock_bh();
	probe = rcu_dereference_bh(peer->probe);
	if (probe && READ_ONCE(probe->cands)) {
		now = ktime_get_coarse_boottime_ns();
		/* one store per tick at most, not one per packet */
		if (READ_ONCE(probe->last_tx) != now)
			WRITE_ONCE(probe->last_tx, now);
	}
	rcu_read_unlock_bh();
}

void wgm_probe_data_sent(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;
	u64 now, was, rx;
	bool idle;

	rcu_read_lock_bh();
	probe = rcu_dereference_bh(peer->probe);
	if (!probe || !READ_ONCE(probe->cands))
		goto out;
	now = ktime_get_coarse_boottime_ns();
	was = READ_ONCE(probe->last_data_tx);
	if (was != now)
		WRITE_ONCE(probe->last_data_tx, now);
	idle = (s64)(now - was) >= (s64)WGM_PROBE_IN_USE_NS;
	rx = READ_ONCE(probe->last_auth_rx);
	/* answers arrive, or we checked a moment ago: nothing to do */
	if (!idle && ((s64)(now - rx) < (s64)WGM_PROBE_TRAFFIC_NS ||
		      (s64)(now - READ_ONCE(probe->last_check)) < (s64)WGM_PROBE_TRAFFIC_NS))
		goto out;
	spin_lock_bh(&probe->lock);
	if (wgm_probe_enabled(probe)) {
		/* back from idle: the timer may have stopped (other paths, rotation) */
		if (idle)
			wgm_probe_arm(probe, now, now);
		if ((s64)(now - probe->last_auth_rx) >= (s64)WGM_PROBE_TRAFFIC_NS &&
		    (s64)(now - probe->last_check) >= (s64)WGM_PROBE_TRAFFIC_NS &&
		    probe->speaks_probes && probe->active >= 0) {
			WRITE_ONCE(probe->last_check, now);
			probe->traffic_check = true;
			wgm_probe_arm(probe, now, now);
		}
	}
	spin_unlock_bh(&probe->lock);
out:
	rcu_read_unlock_bh();
}

/* A random challenge; never 0, which means "none" on the wire. */

/*
 * birthday.c: one request for @peer into @msg, counted like any other but
 * tracked by no candidate (its reply, if one comes, counts as a replay
 * drop; the search succeeds on the peer's own requests).  -ENOKEY when
 * the peer cannot be probed.  Takes probe->lock; any context.
 */
int wgm_probe_build_request(struct wgm_peer *peer, u8 msg[WGM_PROBEMSG_LEN])
{
	struct wgm_probe_peer *probe;
	int ret = -ENOKEY;
	u64 counter;

	rcu_read_lock_bh();
	probe = rcu_dereference_bh(peer->probe);
	if (!probe)
		goto out;
	spin_lock_bh(&probe->lock);
	if (wgm_probe_enabled(probe)) {
		counter = wgm_probemsg_next_counter(&probe->last_counter, ktime_get_real_ns());
		wgm_probemsg_build_request(msg, &probe->keys, counter, probe->local_chal,
					   probe->remote_chal);
		ret = 0;
	}
	spin_unlock_bh(&probe->lock);
out:
	rcu_read_unlock_bh();
	return ret;
}

/* birthday.c: does a candidate other than a relay carry @peer's data? */
bool wgm_probe_direct_path(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;
	bool direct = false;

	rcu_read_lock_bh();
	probe = rcu_dereference_bh(peer->probe);
	if (probe) {
		spin_lock_bh(&probe->lock);
		direct = probe->cands && probe->active >= 0 &&
			 probe->cands[probe->active].kind != WGM_CANDIDATE_KIND_RELAY;
		spin_unlock_bh(&probe->lock);
	}
	rcu_read_unlock_bh();
	return direct;
}

/*
 * birthday.c: the peer's packets leave from another socket now: probe
 * every candidate at once and punch, so the paths through the new
 * socket's mapping come alive without waiting for their next probe.
 */
void wgm_probe_new_socket(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;

	rcu_read_lock_bh();
	probe = rcu_dereference_bh(peer->probe);
	if (probe) {
		spin_lock_bh(&probe->lock);
		if (wgm_probe_enabled(probe))
			wgm_probe_kick(probe, ktime_get_boottime_ns());
		spin_unlock_bh(&probe->lock);
	}
	rcu_read_unlock_bh();
}
