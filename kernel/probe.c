// SPDX-License-Identifier: GPL-2.0-only
/*
 * Candidate endpoints, authenticated probes, hole punching and path
 * selection.  Documentation/probing.rst describes the protocol; the pure
 * parts are probemsg.c (messages, windows, rings) and pathsel.c (policy).
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
 * Handshake kick: when a path becomes the active one while packets wait
 * for a session, a handshake initiation goes out on it at once instead of
 * at the next REKEY_TIMEOUT retry.  Of two peers, the one whose probe id
 * sorts higher waits briefly first, so that two simultaneous initiations
 * do not cancel each other.
 *
 * Freshness: each side draws a random challenge per peer (with the probe
 * state and on every key change); a request is answered only when it
 * echoes the current one (Documentation/probing.rst, "Replay").
 *
 * Device down: wgm_probe_device_stop() sets probe->stopped and stops the
 * timer; nothing arms it again until wgm_probe_device_start().
 *
 * Locking.  probe->lock (spin_lock_bh) protects everything in struct
 * wgm_probe_peer except the id hash linkage (wgm_probe_ids_lock, RCU
 * readers) and the peer->probe pointer (device_update_lock, RCU readers).
 * probe->cands is set once, under device_update_lock and probe->lock, with
 * WRITE_ONCE(); the data path hooks test it with READ_ONCE() before taking
 * the lock.  The last_* times the hooks read without the lock are written
 * with WRITE_ONCE() too.
 * Lock order: device_update_lock -> probe->lock -> peer->endpoint_lock.
 * Nothing sleeps under probe->lock; messages are sent after dropping it.
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
#include <net/netlink.h>
#include <net/genetlink.h>
#include <crypto/algapi.h>

#include "compat.h"
#include "device.h"
#include "peer.h"
#include "socket.h"
#include "queueing.h"
#include "pathsel.h"
#include "probemsg.h"
#include "probe.h"
#include "netlink.h"
#include "uapi/linux/wgmesh.h"

#define WGM_PROBE_SLOTS			(WGM_PROBE_MAX_CANDIDATES + 2)
#define WGM_PROBE_SLOT_ENDPOINT		WGM_PROBE_MAX_CANDIDATES
#define WGM_PROBE_SLOT_LEARNED		(WGM_PROBE_MAX_CANDIDATES + 1)

#define WGM_PROBE_MS			((u64)NSEC_PER_MSEC)
#define WGM_PROBE_PUNCH_NS		(200 * WGM_PROBE_MS)
#define WGM_PROBE_PUNCH_JITTER_NS	(50 * WGM_PROBE_MS)
#define WGM_PROBE_PUNCH_MS		5000
#define WGM_PROBE_REPLY_TIMEOUT_NS	(1000 * WGM_PROBE_MS)
#define WGM_PROBE_SUSPECT_NS		(1000 * WGM_PROBE_MS)
#define WGM_PROBE_IDLE_NS		(60000 * WGM_PROBE_MS)
#define WGM_PROBE_DEAD_NS		(120000 * WGM_PROBE_MS)
#define WGM_PROBE_DEAD_AFTER		3
#define WGM_PROBE_NAT_KEEPALIVE_DEFAULT	25	/* seconds */
/* authenticated WireGuard packets refresh a path at most this often */
#define WGM_PROBE_RX_REFRESH_NS		(250 * WGM_PROBE_MS)
/* standard peers: handshake initiation to the next candidate this often */
#define WGM_PROBE_HS_ROTATE_NS		((u64)WGM_REKEY_TIMEOUT * NSEC_PER_SEC)
/* ... for this long after candidates change or a punch, else only in use */
#define WGM_PROBE_HS_ROTATE_FOR_NS	(120000 * WGM_PROBE_MS)
/* data sent without anything authenticated back this long: check paths */
#define WGM_PROBE_TRAFFIC_NS		(1000 * WGM_PROBE_MS)
/* data sent within this: the peer is in use */
#define WGM_PROBE_IN_USE_NS		(300000 * WGM_PROBE_MS)
/* the side that waits before a handshake kick: this + 2 RTT, capped */
#define WGM_PROBE_KICK_DEFER_NS		(150 * WGM_PROBE_MS)
#define WGM_PROBE_KICK_DEFER_MAX_NS	(1000 * WGM_PROBE_MS)
/* probe due "never" */
#define WGM_PROBE_NEVER			U64_MAX
/* a peer whose last probe reply is older than this counts as not speaking probes */
#define WGM_PROBE_SPEAKS_NS		(10000 * WGM_PROBE_MS)

struct wgm_candidate {
	struct wgm_endpoint ep;
	struct wgm_probemsg_ring ring;
	u64 last_sent;			/* boottime ns, 0 = never */
	u64 last_seen;			/* boottime ns of the last authenticated proof */
	u64 alive_since;		/* boottime ns it last became ALIVE */
	u64 jitter_ns;			/* added to the punch interval, drawn per send */
	u32 srtt_us;			/* 0 = no sample */
	u32 probes_sent;
	u32 probes_lost;
	u8 consecutive_lost;
	u8 state;			/* enum wgm_candidate_state */
	bool in_use;
};

struct wgm_probe_peer {
	struct wgm_peer *peer;		/* owner; this is freed first */
	struct hlist_nulls_node id_hash; /* wgm_probe_ids, under wgm_probe_ids_lock */
	u64 hashed_id;			/* remote id as hashed */
	bool hashed;
	struct timer_list timer;
	struct work_struct event_work;	/* multicasts WGM_CMD_EVENT */
	struct rcu_head rcu;

	spinlock_t lock;		/* everything below */
	bool dead;			/* set by wgm_probe_peer_remove() */
	bool stopped;			/* the device is down: no timer, no sending */
	bool event_pending;		/* event_work queued, not yet run */
	struct wgm_probemsg_keys keys;
	u64 last_counter;
	struct wgm_probemsg_window window;
	/*
	 * Freshness (Documentation/probing.rst, "Replay"): our random
	 * challenge for this peer, drawn with the probe state and on every
	 * key change; the peer's challenge as learned from its request with
	 * the newest counter so far (0: none), and that counter.
	 */
	u64 local_chal;
	u64 remote_chal;
	u64 remote_chal_ctr;
	u64 last_chal_probe;		/* last probe round for a new remote challenge */
	struct wgm_probemsg_limiter limiter;
	u64 last_auth_rx;		/* READ_ONCE without the lock */
	u32 last_auth_src;		/* hash of its source; READ_ONCE too */
	u64 last_tx;			/* coarse; any authenticated packet sent; READ_ONCE */
	u64 last_data_tx;		/* coarse; a data packet sent; READ_ONCE */
	u64 last_check;			/* coarse; last traffic check; READ_ONCE */
	bool traffic_check;		/* probe every alive path at the next run */
	bool hs_kick;			/* a handshake kick is due at hs_kick_at */
	u64 hs_kick_at;
	u64 path_up;			/* coarse; the active path last changed */
	u64 last_kick;			/* candidates changed or punch requested */
	u64 punch_until;
	u64 punch_started;		/* 0 = no burst to report */
	u32 punches;			/* bursts reported */
	u8 punch_result;		/* WGM_EVENT_REASON_PUNCH_*, 0 = none yet */
	u64 punch_at;			/* when the last burst ended */
	u64 no_path_since;		/* no active path since; 0 = one is active */
	u64 last_probe_rx;		/* any authenticated probe message from the peer */
	bool speaks_probes;
	u64 last_hs_rotate;
	unsigned int hs_rotate_next;
	u16 nat_keepalive;		/* seconds, 0 = off */
	int active;			/* slot carrying data, -1 = none chosen */
	unsigned int n_cands;
	struct wgm_candidate *cands;	/* WGM_PROBE_SLOTS entries, or NULL */
};

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
static struct wgm_probe_peer *wgm_probe_deref(struct wgm_peer *peer)
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

static void wgm_probe_notify(struct wgm_probe_peer *probe);

static void wgm_probe_start_punch(struct wgm_probe_peer *probe, u64 now)
{
	lockdep_assert_held(&probe->lock);
	if (!probe->punch_started)
		probe->punch_started = now;
	probe->punch_until = now + (u64)WGM_PROBE_PUNCH_MS * NSEC_PER_MSEC;
}

/* Must hold probe->lock.  Reports the end of a punch burst once. */
static void wgm_probe_punch_done(struct wgm_probe_peer *probe, u64 now)
{
	const struct sockaddr *to = NULL;
	u32 ms;

	lockdep_assert_held(&probe->lock);
	if (!probe->punch_started)
		return;
	ms = (u32)min_t(u64, div_u64(now - probe->punch_started, NSEC_PER_MSEC), U32_MAX);
	if (probe->active >= 0)
		to = &probe->cands[probe->active].ep.addr;
	probe->punch_result = to ? WGM_EVENT_REASON_PUNCH_OK : WGM_EVENT_REASON_PUNCH_FAILED;
	probe->punch_at = now;
	probe->punches++;
	wgm_genl_event(probe->peer, WGM_EVENT_PUNCH_DONE, NULL, to, probe->punch_result, ms);
	wgm_probe_notify(probe);
	probe->punch_started = 0;
}

/* Must hold probe->lock.  Slot @i changed state. */
static void wgm_probe_state_event(struct wgm_probe_peer *probe, unsigned int i)
{
	const struct wgm_candidate *c = &probe->cands[i];

	lockdep_assert_held(&probe->lock);
	wgm_genl_event(probe->peer, WGM_EVENT_CANDIDATE_STATE, NULL, &c->ep.addr,
		       c->state, c->srtt_us);
}

/* Must hold probe->lock.  Something a monitor wants to hear about changed. */
static void wgm_probe_notify(struct wgm_probe_peer *probe)
{
	lockdep_assert_held(&probe->lock);
	if (probe->dead || probe->event_pending)
		return;
	probe->event_pending = true;
	queue_work(system_wq, &probe->event_work);
}

static void wgm_probe_arm(struct wgm_probe_peer *probe, u64 now, u64 next_ns);

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
 * replacement starts a punch burst.  A suspect path (alive, last probe
 * unanswered) only qualifies when no clean alive path exists.
 */
static void wgm_probe_reselect(struct wgm_probe_peer *probe, u64 now)
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
		info[i].srtt_us = c->srtt_us;
	}
	sel = wgm_path_select(info, WGM_PROBE_SLOTS, was);
	if (sel == was)
		return;
	probe->active = sel;
	wgm_probe_notify(probe);
	if (sel < 0) {
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
static void wgm_probe_mark_alive(struct wgm_probe_peer *probe, unsigned int i,
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
static int wgm_probe_find_or_learn(struct wgm_probe_peer *probe, const struct wgm_endpoint *ep)
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
static unsigned int wgm_probe_count_stale(const struct wgm_candidate *c, u64 now)
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

static void wgm_probe_count_lost(struct wgm_candidate *c, unsigned int lost)
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
static void wgm_probe_sync_endpoint(struct wgm_probe_peer *probe)
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
static bool wgm_probe_in_use(const struct wgm_probe_peer *probe, u64 now)
{
	lockdep_assert_held(&probe->lock);
	return (s64)(now - READ_ONCE(probe->last_data_tx)) < (s64)WGM_PROBE_IN_USE_NS;
}

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
static bool wgm_probe_enabled(const struct wgm_probe_peer *probe)
{
	lockdep_assert_held(&probe->lock);
	return !probe->dead && !probe->stopped && probe->keys.valid && probe->cands &&
	       probe->n_cands;
}

/* Must hold probe->lock.  (Re)arms the timer for @next_ns (boottime). */
static void wgm_probe_arm(struct wgm_probe_peer *probe, u64 now, u64 next_ns)
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

	wgm_socket_send_buffer_to_endpoint(probe->peer->device, &ep, msg, sizeof(msg));
}

/*
 * Must hold probe->lock.  Handshake rotation runs for a while after the
 * candidates changed or a punch was asked for, and while the peer is in use
 * or has packets waiting; an idle peer whose paths are all gone stays
 * quiet, as WireGuard does.
 */
static bool wgm_probe_may_rotate(const struct wgm_probe_peer *probe, u64 now)
{
	lockdep_assert_held(&probe->lock);
	return now - probe->last_kick < WGM_PROBE_HS_ROTATE_FOR_NS ||
	       wgm_probe_in_use(probe, now) ||
	       !skb_queue_empty_lockless(&probe->peer->staged_packet_queue);
}

/*
 * No locks held.  A path became active at coarse boottime @path_up: if
 * packets still wait for a session and no handshake message went out
 * since (e.g. our response to the peer's initiation), send an initiation
 * now rather than at the REKEY_TIMEOUT retry.  The retry rate limit is
 * lifted for this one initiation only: the last one went to a path that
 * did not work.
 */
static void wgm_probe_kick_handshake(struct wgm_peer *peer, u64 path_up)
{
	s64 last = atomic64_read(&peer->last_sent_handshake);

	if (skb_queue_empty_lockless(&peer->staged_packet_queue))
		return;
	if (last && (s64)(last - path_up) >= 0)
		return;
	atomic64_cmpxchg(&peer->last_sent_handshake, last, 0);
	wgm_packet_send_staged(peer);
}

/*
 * Must hold probe->lock.  Standard WireGuard peers never answer probes:
 * with no path alive after a punch burst, point the endpoint at the next
 * candidate in turn and let a handshake initiation find out (the response
 * roams the endpoint to where it came from, and
 * wgm_probe_authenticated_rx() marks that candidate alive).  True when an
 * initiation should be sent.
 */
static bool wgm_probe_rotate_handshake(struct wgm_probe_peer *probe, u64 now)
{
	unsigned int k, i;

	lockdep_assert_held(&probe->lock);
	if (probe->active >= 0 || now < probe->punch_until || !wgm_probe_may_rotate(probe, now))
		return false;
	if (probe->speaks_probes && now - probe->last_probe_rx < WGM_PROBE_SPEAKS_NS)
		return false;
	if (probe->last_hs_rotate && now - probe->last_hs_rotate < WGM_PROBE_HS_ROTATE_NS)
		return false;
	for (k = 0; k < WGM_PROBE_SLOTS; k++) {
		i = (probe->hs_rotate_next + k) % WGM_PROBE_SLOTS;
		if (!probe->cands[i].in_use)
			continue;
		probe->hs_rotate_next = i + 1;
		probe->last_hs_rotate = now;
		wgm_socket_set_peer_endpoint(probe->peer, &probe->cands[i].ep);
		return true;
	}
	return false;
}

static void wgm_probe_timer(struct timer_list *t)
{
	struct wgm_probe_peer *probe = timer_container_of(probe, t, timer);
	unsigned long due = 0;
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

	for_each_set_bit(i, &due, WGM_PROBE_SLOTS)
		wgm_probe_send_request(probe, i);
	if (handshake)
		wgm_packet_send_queued_handshake_initiation(probe->peer, false);
	if (kick)
		wgm_probe_kick_handshake(probe->peer, path_up);
}

/* Must hold probe->lock.  Probe everything now and punch for a while. */
static void wgm_probe_kick(struct wgm_probe_peer *probe, u64 now)
{
	unsigned int i;

	lockdep_assert_held(&probe->lock);
	if (!wgm_probe_enabled(probe))
		return;
	for (i = 0; i < WGM_PROBE_SLOTS; i++)
		probe->cands[i].last_sent = 0;
	probe->last_kick = now;
	if (probe->active < 0 && !probe->no_path_since)
		probe->no_path_since = now;
	wgm_probe_start_punch(probe, now);
	wgm_probe_arm(probe, now, now);
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
	u64 now = ktime_get_boottime_ns();

	lockdep_assert_held(&wg->device_update_lock);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		probe = wgm_probe_deref(peer);
		if (!probe)
			continue;
		spin_lock_bh(&probe->lock);
		probe->stopped = false;
		/* paths may have changed while down: check them all again */
		wgm_probe_kick(probe, now);
		spin_unlock_bh(&probe->lock);
	}
}

/* Under rcu_read_lock_bh(): the probe state of @wg's peer with sender id @id. */
static struct wgm_probe_peer *wgm_probe_lookup(struct wgm_device *wg,
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
 */
static bool wgm_probe_handle_request(struct wgm_probe_peer *probe,
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
	if (msg->echo != probe->local_chal) {
		/* zero: the peer has not heard our challenge yet (not an error) */
		if (msg->echo)
			atomic64_inc(&wg->rx_drop_replay);
		return false;
	}
	if (!wgm_probemsg_window_check(&probe->window, msg->counter)) {
		atomic64_inc(&wg->rx_drop_replay);
		return false;
	}
	/* the peer's own budget first: no source can spend another peer's */
	if (!wgm_probemsg_limit_take(&probe->limiter, wgm_probe_src_hash(src), now)) {
		atomic64_inc(&wg->rx_drop_ratelimit);
		return false;
	}
	probe->speaks_probes = true;
	probe->last_probe_rx = now;
	if (probe->cands)
		wgm_probe_mark_alive(probe, wgm_probe_find_or_learn(probe, src), now, 0);
	counter = wgm_probemsg_next_counter(&probe->last_counter, ktime_get_real_ns());
	return !wgm_probemsg_build_reply(reply, &probe->keys, counter, msg->counter,
					 &src->addr, msg->challenge);
}

/*
 * Must hold probe->lock.  An authenticated reply: the candidate whose ring
 * holds the echoed counter answered (the reply may come from another
 * address when the peer's NAT maps per destination).
 */
static void wgm_probe_handle_reply(struct wgm_probe_peer *probe,
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
		return;
	}
replay:
	atomic64_inc(&probe->peer->device->rx_drop_replay);
}

void wgm_probe_receive(struct wgm_device *wg, struct sk_buff *skb)
{
	u8 buf[WGM_PROBEMSG_LEN], reply[WGM_PROBEMSG_LEN], type, id[WGM_PROBEMSG_ID_LEN];
	struct wgm_probe_peer *probe;
	struct wgm_peer *peer = NULL;
	struct wgm_endpoint src;
	struct wgm_probemsg msg;
	bool send_reply = false;
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
	if (msg.type == WGM_PROBEMSG_TYPE_REQUEST)
		send_reply = wgm_probe_handle_request(probe, &msg, &src, now, reply);
	else
		wgm_probe_handle_reply(probe, &msg, now);
	spin_unlock_bh(&probe->lock);
	rcu_read_unlock_bh();

	/* same size as the request, to its source, from the address it reached */
	if (send_reply)
		wgm_socket_send_buffer_as_reply_to_skb(wg, skb, reply, sizeof(reply));
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

static void wgm_probe_free_rcu(struct rcu_head *rcu)
{
	struct wgm_probe_peer *probe = container_of(rcu, struct wgm_probe_peer, rcu);

	kfree(probe->cands);
	kfree_sensitive(probe);
}

void wgm_probe_peer_remove(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe)
		return;
	spin_lock_bh(&probe->lock);
	probe->dead = true;	/* nothing re-arms the timer from now on */
	memzero_explicit(&probe->keys, sizeof(probe->keys));
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

/* A candidate endpoint from netlink: AF_INET or AF_INET6 of the right size, port set. */
static int wgm_probe_parse_endpoint(struct wgm_endpoint *ep, const struct nlattr *attr)
{
	const struct sockaddr *sa = nla_data(attr);
	int len = nla_len(attr);

	memset(ep, 0, sizeof(*ep));
	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		memcpy(&ep->addr4, sa, sizeof(ep->addr4));
		if (!ep->addr4.sin_port || ep->addr4.sin_addr.s_addr == htonl(INADDR_ANY))
			return -EINVAL;
		return 0;
	}
	if (len == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
		memcpy(&ep->addr6, sa, sizeof(ep->addr6));
		if (!ep->addr6.sin6_port || ipv6_addr_any(&ep->addr6.sin6_addr))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

/*
 * Must hold probe->lock.  Makes @want (@n addresses) the configured
 * candidates, keeping the state of addresses already known (in any slot).
 * @tmp is scratch space for WGM_PROBE_SLOTS candidates.
 */
static void wgm_probe_install(struct wgm_probe_peer *probe, const struct wgm_endpoint *want,
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
		k = wgm_probe_find(probe, &want[j]);
		if (k >= 0 && !consumed[k]) {
			tmp[j] = old[k];
			consumed[k] = true;
			if (k == probe->active)
				active = j;
			continue;
		}
		tmp[j].ep = want[j];
		tmp[j].state = WGM_CANDIDATE_UNKNOWN;
		tmp[j].in_use = true;
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

int wgm_probe_set_candidates(struct wgm_peer *peer, const struct nlattr *attr,
			     bool replace, struct netlink_ext_ack *extack)
{
	struct wgm_candidate *fresh = NULL, *tmp = NULL;
	struct nlattr *tb[WGM_CANDIDATE_A_MAX + 1];
	struct wgm_endpoint *want = NULL;
	struct wgm_probe_peer *probe;
	const struct nlattr *nest;
	unsigned int n = 0, j;
	int rem, ret;
	u64 now;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe) {
		wgm_probe_peer_rekey(peer);
		probe = wgm_probe_deref(peer);
		if (!probe)
			return -ENOMEM;
	}

	want = kcalloc(WGM_PROBE_SLOTS, sizeof(*want), GFP_KERNEL);
	tmp = kcalloc(WGM_PROBE_SLOTS, sizeof(*tmp), GFP_KERNEL);
	if (!probe->cands)
		fresh = kcalloc(WGM_PROBE_SLOTS, sizeof(*fresh), GFP_KERNEL);
	if (!want || !tmp || (!probe->cands && !fresh)) {
		ret = -ENOMEM;
		goto out;
	}

	/* the list asked for: (old configured ones unless replacing) + new ones */
	spin_lock_bh(&probe->lock);
	if (!replace && probe->cands) {
		for (j = 0; j < probe->n_cands; j++)
			want[n++] = probe->cands[j].ep;
	}
	spin_unlock_bh(&probe->lock);

	if (attr) {
		nla_for_each_nested(nest, attr, rem) {
			struct wgm_endpoint ep;
			bool dup = false;

			ret = nla_parse_nested_deprecated(tb, WGM_CANDIDATE_A_MAX,
							  (struct nlattr *)nest, NULL, extack);
			if (ret)
				goto out;
			if (!tb[WGM_CANDIDATE_A_ENDPOINT]) {
				NL_SET_ERR_MSG_ATTR(extack, nest, "candidate without endpoint");
				ret = -EINVAL;
				goto out;
			}
			ret = wgm_probe_parse_endpoint(&ep, tb[WGM_CANDIDATE_A_ENDPOINT]);
			if (ret) {
				NL_SET_ERR_MSG_ATTR(extack, tb[WGM_CANDIDATE_A_ENDPOINT],
						    "bad candidate endpoint");
				goto out;
			}
			for (j = 0; j < n; j++)
				dup = dup || wgm_endpoint_same_addr_port(&want[j], &ep);
			if (dup)
				continue;
			if (n >= WGM_PROBE_MAX_CANDIDATES) {
				NL_SET_ERR_MSG_ATTR(extack, nest, "too many candidates (16 max)");
				ret = -E2BIG;
				goto out;
			}
			want[n++] = ep;
		}
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
	ret = 0;
out:
	kfree(fresh);
	kfree(tmp);
	kfree(want);
	return ret;
}

int wgm_probe_set_nat_keepalive(struct wgm_peer *peer, u16 seconds)
{
	struct wgm_probe_peer *probe;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe) {
		wgm_probe_peer_rekey(peer);
		probe = wgm_probe_deref(peer);
		if (!probe)
			return -ENOMEM;
	}
	spin_lock_bh(&probe->lock);
	probe->nat_keepalive = seconds;
	spin_unlock_bh(&probe->lock);
	return 0;
}

/* Must hold probe->lock. */
static int wgm_probe_fill_candidate(struct sk_buff *skb, const struct wgm_probe_peer *probe,
				    unsigned int i)
{
	const struct wgm_candidate *c = &probe->cands[i];
	struct nlattr *nest = nla_nest_start(skb, 0);
	size_t len = c->ep.addr.sa_family == AF_INET ? sizeof(c->ep.addr4) : sizeof(c->ep.addr6);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put(skb, WGM_CANDIDATE_A_ENDPOINT, len, &c->ep.addr) ||
	    nla_put_u8(skb, WGM_CANDIDATE_A_STATE, c->state) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_RTT_US, c->srtt_us) ||
	    nla_put_u64_64bit(skb, WGM_CANDIDATE_A_LAST_SENT, c->last_sent,
			      WGM_CANDIDATE_A_PAD) ||
	    nla_put_u64_64bit(skb, WGM_CANDIDATE_A_LAST_SEEN, c->last_seen,
			      WGM_CANDIDATE_A_PAD) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_PROBES_SENT, c->probes_sent) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_PROBES_LOST, c->probes_lost) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_FLAGS,
			probe->active == (int)i ? WGM_CANDIDATE_F_ACTIVE : 0)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Must hold probe->lock.  The WGM_PEER_A_PATH_STATUS nest. */
static int wgm_probe_fill_status(struct sk_buff *skb, const struct wgm_probe_peer *probe)
{
	struct nlattr *nest = nla_nest_start(skb, WGM_PEER_A_PATH_STATUS);
	u32 flags = 0;

	lockdep_assert_held(&probe->lock);
	if (!nest)
		return -EMSGSIZE;
	if (probe->keys.valid)
		flags |= WGM_PATH_F_PROBE_KEY;
	if (probe->speaks_probes)
		flags |= WGM_PATH_F_SPEAKS_PROBES;
	if (nla_put_u32(skb, WGM_PATH_A_FLAGS, flags) ||
	    nla_put_u32(skb, WGM_PATH_A_PUNCHES, probe->punches) ||
	    nla_put_u8(skb, WGM_PATH_A_PUNCH_RESULT, probe->punch_result) ||
	    nla_put_u64_64bit(skb, WGM_PATH_A_LAST_PUNCH, probe->punch_at, WGM_PATH_A_PAD) ||
	    nla_put_u64_64bit(skb, WGM_PATH_A_NO_PATH_SINCE,
			      probe->active < 0 ? probe->no_path_since : 0, WGM_PATH_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Must hold probe->lock.  NAT keepalive, path status and candidates; -EMSGSIZE (skb untouched). */
static int wgm_probe_fill_locked(struct sk_buff *skb, const struct wgm_probe_peer *probe)
{
	unsigned char *mark = skb_tail_pointer(skb);
	struct nlattr *cands;
	unsigned int i;

	lockdep_assert_held(&probe->lock);
	if (nla_put_u16(skb, WGM_PEER_A_NAT_KEEPALIVE_INTERVAL, probe->nat_keepalive) ||
	    wgm_probe_fill_status(skb, probe))
		goto too_big;
	if (!probe->cands)
		return 0;
	cands = nla_nest_start(skb, WGM_PEER_A_CANDIDATES);
	if (!cands)
		goto too_big;
	for (i = 0; i < WGM_PROBE_SLOTS; i++) {
		if (probe->cands[i].in_use && wgm_probe_fill_candidate(skb, probe, i))
			goto too_big;
	}
	nla_nest_end(skb, cands);
	return 0;

too_big:
	nlmsg_trim(skb, mark);
	return -EMSGSIZE;
}

int wgm_probe_fill_peer(struct sk_buff *skb, struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;
	int ret;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe)
		return 0;
	spin_lock_bh(&probe->lock);
	ret = wgm_probe_fill_locked(skb, probe);
	spin_unlock_bh(&probe->lock);
	return ret;
}

/*
 * Process context, no locks held.  Multicasts one WGM_CMD_EVENT in the
 * GET_DEVICE layout: the device, and this peer with its candidates.
 * wgm_probe_peer_remove() waits for it, so the peer and device are alive.
 */
static void wgm_probe_event_work(struct work_struct *work)
{
	struct wgm_probe_peer *probe = container_of(work, struct wgm_probe_peer, event_work);
	struct wgm_peer *peer = probe->peer;
	struct net_device *dev = peer->device->dev;
	u8 pub[WGM_KEY_BYTES];
	struct nlattr *peers, *one;
	struct wgm_endpoint ep;
	struct sk_buff *skb;
	void *hdr;
	int ret;

	if (!wgm_genetlink_has_listeners(dev_net(dev)))
		goto err_alloc;
	down_read(&peer->handshake.lock);
	memcpy(pub, peer->handshake.remote_static, sizeof(pub));
	up_read(&peer->handshake.lock);
	read_lock_bh(&peer->endpoint_lock);
	ep = peer->endpoint;
	read_unlock_bh(&peer->endpoint_lock);

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		goto err_alloc;
	hdr = wgm_genetlink_event_put(skb);
	if (!hdr)
		goto err_fill;
	if (nla_put_u32(skb, WGM_DEVICE_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, WGM_DEVICE_A_IFNAME, dev->name))
		goto err_fill;
	peers = nla_nest_start(skb, WGM_DEVICE_A_PEERS);
	if (!peers)
		goto err_fill;
	one = nla_nest_start(skb, 0);
	if (!one || nla_put(skb, WGM_PEER_A_PUBLIC_KEY, sizeof(pub), pub))
		goto err_fill;
	if ((ep.addr.sa_family == AF_INET &&
	     nla_put(skb, WGM_PEER_A_ENDPOINT, sizeof(ep.addr4), &ep.addr4)) ||
	    (ep.addr.sa_family == AF_INET6 &&
	     nla_put(skb, WGM_PEER_A_ENDPOINT, sizeof(ep.addr6), &ep.addr6)))
		goto err_fill;
	spin_lock_bh(&probe->lock);
	probe->event_pending = false;
	ret = wgm_probe_fill_locked(skb, probe);
	spin_unlock_bh(&probe->lock);
	if (ret)
		goto err_fill;
	nla_nest_end(skb, one);
	nla_nest_end(skb, peers);
	genlmsg_end(skb, hdr);
	wgm_genetlink_event_send(dev_net(dev), skb);
	return;

err_fill:
	nlmsg_free(skb);
err_alloc:
	spin_lock_bh(&probe->lock);
	probe->event_pending = false;
	spin_unlock_bh(&probe->lock);
}

int wgm_probe_punch(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;
	int ret = 0;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe)
		return -ENOKEY;
	spin_lock_bh(&probe->lock);
	if (!probe->keys.valid)
		ret = -ENOKEY;
	else if (!probe->cands || !probe->n_cands)
		ret = -EDESTADDRREQ;
	else
		wgm_probe_kick(probe, ktime_get_boottime_ns());
	spin_unlock_bh(&probe->lock);
	return ret;
}
