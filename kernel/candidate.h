/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to the candidate engine (candidate.c, probe.c, punch.c): the
 * per-peer probe state and the helpers the three files share.
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
#ifndef _WGM_CANDIDATE_H
#define _WGM_CANDIDATE_H

#include <linux/spinlock.h>
#include <linux/rculist_nulls.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "peer.h"
#include "probemsg.h"
#include "probe.h"

#define WGM_PROBE_SLOTS			(WGM_MAX_CANDIDATES + 2)
#define WGM_PROBE_SLOT_ENDPOINT		WGM_MAX_CANDIDATES
#define WGM_PROBE_SLOT_LEARNED		(WGM_MAX_CANDIDATES + 1)

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
#define WGM_PROBE_TRAFFIC_NS		(500 * WGM_PROBE_MS)
/* data sent within this: the peer is in use */
#define WGM_PROBE_IN_USE_NS		(300000 * WGM_PROBE_MS)
/* the side that waits before a handshake kick: this + 2 RTT, capped */
#define WGM_PROBE_KICK_DEFER_NS		(150 * WGM_PROBE_MS)
#define WGM_PROBE_KICK_DEFER_MAX_NS	(1000 * WGM_PROBE_MS)
/* probe due "never" */
#define WGM_PROBE_NEVER			U64_MAX
/* a peer whose last probe reply is older than this counts as not speaking probes */
#define WGM_PROBE_SPEAKS_NS		(10000 * WGM_PROBE_MS)
/* a relay candidate is bound this often (plus jitter) while it exists */
#define WGM_PROBE_BIND_NS		(20000 * WGM_PROBE_MS)
#define WGM_PROBE_BIND_JITTER_NS	(2000 * WGM_PROBE_MS)

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
	u8 kind;			/* enum wgm_candidate_kind */
	bool in_use;
	/* relay binds (Documentation/relay.rst); the key is wiped with the slot */
	bool relay_bind;		/* has a bind key: bind it */
	u32 relay_id;
	u64 bind_ctr;			/* last bind counter sent */
	u64 last_bind;			/* boottime ns, 0 = never */
	u64 next_bind;			/* boottime ns the next bind is due, 0 = now */
	u8 relay_key[WGM_RELAY_KEY_LEN];
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

/* candidate.c */
struct wgm_probe_peer *wgm_probe_deref(struct wgm_peer *peer);
void wgm_probe_state_event(struct wgm_probe_peer *probe, unsigned int i);
void wgm_probe_notify(struct wgm_probe_peer *probe);
void wgm_probe_reselect(struct wgm_probe_peer *probe, u64 now);
void wgm_probe_mark_alive(struct wgm_probe_peer *probe, unsigned int i,
			  u64 now, u64 rtt_ns);
int wgm_probe_find_or_learn(struct wgm_probe_peer *probe, const struct wgm_endpoint *ep);
unsigned int wgm_probe_count_stale(const struct wgm_candidate *c, u64 now);
void wgm_probe_count_lost(struct wgm_candidate *c, unsigned int lost);
void wgm_probe_sync_endpoint(struct wgm_probe_peer *probe);
bool wgm_probe_in_use(const struct wgm_probe_peer *probe, u64 now);
struct wgm_probe_peer *wgm_probe_lookup(struct wgm_device *wg,
					const u8 id[WGM_PROBEMSG_ID_LEN]);

/* probe.c */
bool wgm_probe_enabled(const struct wgm_probe_peer *probe);
void wgm_probe_arm(struct wgm_probe_peer *probe, u64 now, u64 next_ns);
void wgm_probe_timer(struct timer_list *t);

/* punch.c */
void wgm_probe_start_punch(struct wgm_probe_peer *probe, u64 now);
void wgm_probe_punch_done(struct wgm_probe_peer *probe, u64 now);
bool wgm_probe_may_rotate(const struct wgm_probe_peer *probe, u64 now);
void wgm_probe_kick_handshake(struct wgm_peer *peer, u64 path_up);
bool wgm_probe_rotate_handshake(struct wgm_probe_peer *probe, u64 now);
void wgm_probe_kick(struct wgm_probe_peer *probe, u64 now);

#endif /* _WGM_CANDIDATE_H */
