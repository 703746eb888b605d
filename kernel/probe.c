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
