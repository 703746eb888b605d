// SPDX-License-Identifier: GPL-2.0-only
/*
 * Candidate endpoints, authenticated probes and hole punching
 * (Documentation/probing.rst).  Minimal hooks for now.
 */

#include <linux/skbuff.h>

#include "device.h"
#include "peer.h"
#include "probe.h"

void wgm_probe_receive(struct wgm_device *wg, struct sk_buff *skb)
{
	kfree_skb(skb);
}

void wgm_probe_authenticated_rx(struct wgm_peer *peer, const struct sk_buff *skb)
{
}

void wgm_stun_receive(struct wgm_device *wg, struct sk_buff *skb)
{
	kfree_skb(skb);
}

void wgm_probe_peer_rekey(struct wgm_peer *peer)
{
}

void wgm_probe_peer_remove(struct wgm_peer *peer)
{
}

int wgm_probe_set_candidates(struct wgm_peer *peer, const struct nlattr *attr,
			     bool replace, struct netlink_ext_ack *extack)
{
	return -EOPNOTSUPP;
}

int wgm_probe_set_nat_keepalive(struct wgm_peer *peer, u16 seconds)
{
	return -EOPNOTSUPP;
}

int wgm_probe_fill_peer(struct sk_buff *skb, struct wgm_peer *peer)
{
	return 0;
}

int wgm_probe_punch(struct wgm_peer *peer)
{
	return -EOPNOTSUPP;
}
