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

/*
 * receive.c: an authenticated WireGuard packet from @peer arrived from the
 * outer source of @skb (marks that candidate alive).
 */
void wgm_probe_authenticated_rx(struct wgm_peer *peer, const struct sk_buff *skb);

/* receive.c: called in softirq for a payload that looks like STUN. Consumes @skb. */
void wgm_stun_receive(struct wgm_device *wg, struct sk_buff *skb);

#endif /* _WGM_PROBE_H */
