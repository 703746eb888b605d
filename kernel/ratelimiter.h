/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-source-address token bucket for handshake messages processed while
 * the device is under load.  Module-global table, bounded in size, entries
 * keyed by (netns, source IPv4 address or IPv6 /64) and garbage collected.
 */
#ifndef _WGM_RATELIMITER_H
#define _WGM_RATELIMITER_H

#include <linux/skbuff.h>

struct net;

int wgm_ratelimiter_init(void);		/* module init */
void wgm_ratelimiter_uninit(void);	/* module exit */
/* true when @skb's outer source may have another handshake processed now */
bool wgm_ratelimiter_allow(struct sk_buff *skb, struct net *net);

#endif /* _WGM_RATELIMITER_H */
