/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Candidate endpoints, authenticated probes (Documentation/probing.rst),
 * hole punching and path selection.  Hooks called by the data path.
 */
#ifndef _WGM_PROBE_H
#define _WGM_PROBE_H

#include <linux/skbuff.h>

#include "peer.h"
#include "uapi/linux/wgmesh.h"

struct wgm_device;
struct wgm_peer;

#define WGM_PROBE_MSG_LEN	64

/*
 * receive.c: called in softirq for a UDP payload of WGM_PROBE_MSG_LEN bytes
 * whose first byte is WGM_MSG_PROBE_REQUEST or WGM_MSG_PROBE_REPLY
 * (@skb->data at the payload, network header = outer IP header) that
 * reached socket @sk; a reply leaves from @sk.  Consumes @skb.
 */
void wgm_probe_receive(struct wgm_device *wg, struct sock *sk, struct sk_buff *skb);

/* Module init, before any device exists: the sender id table. */
void wgm_probe_ids_init(void);

/*
 * receive.c: an authenticated WireGuard packet from @peer arrived from the
 * outer source of @skb (marks that candidate alive).
 */
void wgm_probe_authenticated_rx(struct wgm_peer *peer, const struct sk_buff *skb);

/*
 * timers.c: an authenticated packet (data, keepalive, handshake) went to
 * @peer; and a data packet did.  Any context, cheap, no lock taken on the
 * fast path.  They drive NAT keepalive timing, the "in use" idea and the
 * traffic check (Documentation/probing.rst, "Timing").
 */
void wgm_probe_authenticated_tx(struct wgm_peer *peer);
void wgm_probe_data_sent(struct wgm_peer *peer);

/*
 * Peer lifetime hooks.  Both must hold wg->device_update_lock.
 *
 * wgm_probe_peer_rekey(): call after the peer was created, and whenever its
 * static-static DH (device private key) or preshared key changed, i.e.
 * after wgm_noise_precompute_static_static() / a PSK update.  (Re)derives
 * the probe key and id; creates peer->probe on first use.  May sleep.
 *
 * wgm_probe_peer_remove(): call from wgm_peer_remove() (and so for every
 * peer of a device being destroyed), after the peer is marked dead.  Stops
 * probe timers synchronously, unhashes the id, frees peer->probe after RCU.
 */
void wgm_probe_peer_rekey(struct wgm_peer *peer);
void wgm_probe_peer_remove(struct wgm_peer *peer);

/*
 * Device hooks (device.c), both with wg->device_update_lock held.
 * wgm_probe_device_stop(): ndo_stop, before the sockets close and the
 * sessions are wiped: stops every peer's probe timer synchronously; no
 * probe, punch, handshake kick or rotation runs while the device is down.
 * wgm_probe_device_start(): ndo_open, after the sockets are up: resumes
 * them, probing every candidate at once.  May sleep.
 */
void wgm_probe_device_stop(struct wgm_device *wg);
void wgm_probe_device_start(struct wgm_device *wg);

/*
 * The netlink layer's view (netlink-mesh.c); no attributes cross this
 * line.  All but wgm_probe_report_event() must hold wg->device_update_lock.
 *
 * wgm_probe_get_candidates(): the configured candidates, in order.
 * wgm_probe_set_candidates(): makes @cfg (@n distinct addresses, at most
 * WGM_MAX_CANDIDATES, else -E2BIG) the configured list, keeping the
 * state of addresses already known (their kind is the one given now).
 * Starts a punch burst.
 * wgm_probe_set_nat_keepalive(): WGM_PEER_A_NAT_KEEPALIVE_INTERVAL.
 * wgm_probe_report_peer(): calls @ops->path once, then @ops->cand for
 * every slot in use, under the probe lock (the callbacks must not sleep);
 * stops at and returns the first error.  0 without probe state.
 * wgm_probe_report_event(): the same for an event being built, from the
 * engine's event work (see wgm_nl_mesh_probe_event()).
 * wgm_probe_punch(): WGM_CMD_PUNCH / WGM_CMD_PING for one peer: probe every
 * candidate now and punch for a few seconds.  -ENOKEY without a probe key.
 */

struct wgm_probe_peer;

/* One configured candidate, as netlink gives it. */
struct wgm_cand_cfg {
	struct wgm_endpoint ep;
	u8 kind;			/* enum wgm_candidate_kind */
	bool has_relay_key;		/* a relay candidate to bind */
	u32 relay_id;
	u8 relay_key[WGM_RELAY_KEY_LEN];	/* secret: wipe copies */
};

/* One candidate slot as reported (GET_DEVICE, events). */
struct wgm_cand_info {
	struct wgm_endpoint ep;
	u64 last_sent;			/* boottime ns, 0 = never */
	u64 last_seen;			/* boottime ns, 0 = never */
	u32 srtt_us;
	u32 probes_sent;
	u32 probes_lost;
	u8 state;			/* enum wgm_candidate_state */
	u8 kind;			/* enum wgm_candidate_kind */
	bool active;			/* carries the data */
	u32 relay_id;			/* 0 unless a relay candidate with a bind key */
};

/* A peer's path status as reported. */
struct wgm_path_status {
	u32 flags;			/* WGM_PATH_F_* */
	u32 punches;
	u64 punch_at;
	u64 no_path_since;		/* 0 while a path is active */
	u16 nat_keepalive;		/* seconds */
	u8 punch_result;		/* WGM_EVENT_REASON_PUNCH_*, 0 = none */
	bool has_cands;			/* candidate slots follow (maybe none in use) */
};

struct wgm_probe_report_ops {
	int (*path)(void *ctx, const struct wgm_path_status *path);
	int (*cand)(void *ctx, const struct wgm_cand_info *cand);
};

unsigned int wgm_probe_get_candidates(struct wgm_peer *peer, struct wgm_cand_cfg *cfg,
				      unsigned int max);
int wgm_probe_set_candidates(struct wgm_peer *peer, const struct wgm_cand_cfg *cfg,
			     unsigned int n);
int wgm_probe_set_nat_keepalive(struct wgm_peer *peer, u16 seconds);
int wgm_probe_report_peer(struct wgm_peer *peer, const struct wgm_probe_report_ops *ops,
			  void *ctx);
int wgm_probe_report_event(struct wgm_probe_peer *probe, const struct wgm_probe_report_ops *ops,
			   void *ctx);
int wgm_probe_punch(struct wgm_peer *peer);

/* For birthday.c (see probe.c). */
int wgm_probe_build_request(struct wgm_peer *peer, u8 msg[WGM_PROBE_MSG_LEN]);
bool wgm_probe_direct_path(struct wgm_peer *peer);
void wgm_probe_new_socket(struct wgm_peer *peer);

#endif /* _WGM_PROBE_H */
