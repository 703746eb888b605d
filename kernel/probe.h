/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Candidate endpoints, authenticated probes (Documentation/probing.rst),
 * hole punching and path selection.  Hooks called by the data path.
 */
#ifndef _WGM_PROBE_H
#define _WGM_PROBE_H

#include <linux/skbuff.h>

struct wgm_device;
struct wgm_peer;

#define WGM_PROBE_MSG_LEN	64

/*
 * receive.c: called in softirq for a UDP payload of WGM_PROBE_MSG_LEN bytes
 * whose first byte is WGM_MSG_PROBE_REQUEST or WGM_MSG_PROBE_REPLY
 * (@skb->data at the payload, network header = outer IP header).
 * Consumes @skb.
 */
void wgm_probe_receive(struct wgm_device *wg, struct sk_buff *skb);

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
 * Netlink (netlink.c).  All must hold wg->device_update_lock.
 *
 * wgm_probe_set_candidates(): @attr is WGM_PEER_A_CANDIDATES (nested array
 * of nests with WGM_CANDIDATE_A_ENDPOINT).  @replace (WGM_PEER_F_REPLACE_
 * CANDIDATES) replaces the list, otherwise endpoints are added (duplicates
 * ignored).  -E2BIG above WGM_PROBE_MAX_CANDIDATES, -EINVAL on a malformed
 * endpoint (then nothing changed).  Starts a punch burst.
 * wgm_probe_set_nat_keepalive(): WGM_PEER_A_NAT_KEEPALIVE_INTERVAL.
 * wgm_probe_fill_peer(): adds WGM_PEER_A_NAT_KEEPALIVE_INTERVAL and the
 * WGM_PEER_A_CANDIDATES nest to a peer's dump; -EMSGSIZE when it does not
 * fit (the skb is then left as it was).
 * wgm_probe_punch(): WGM_CMD_PUNCH / WGM_CMD_PING for one peer: probe every
 * candidate now and punch for a few seconds.  -ENOKEY without a probe key.
 */
#define WGM_PROBE_MAX_CANDIDATES	16

struct nlattr;
struct netlink_ext_ack;

int wgm_probe_set_candidates(struct wgm_peer *peer, const struct nlattr *attr,
			     bool replace, struct netlink_ext_ack *extack);
int wgm_probe_set_nat_keepalive(struct wgm_peer *peer, u16 seconds);
int wgm_probe_fill_peer(struct sk_buff *skb, struct wgm_peer *peer);
int wgm_probe_punch(struct wgm_peer *peer);

#endif /* _WGM_PROBE_H */
