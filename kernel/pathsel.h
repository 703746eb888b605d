/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Path selection among a peer's candidate endpoints: a pure function, so
 * that the policy is testable without a kernel (selftests/unit/).
 */
#ifndef _WGM_PATHSEL_H
#define _WGM_PATHSEL_H

#include <linux/types.h>

struct sockaddr;

/* Switch only to a path more than this much faster... */
#define WGM_PATH_HYST_PERCENT	10
/* ...and more than this many microseconds faster. */
#define WGM_PATH_HYST_US	1000

/* What path selection needs to know of one candidate. */
struct wgm_path_info {
	/* Answered an authenticated probe or carried authenticated traffic
	 * within the trust window.
	 */
	bool alive;
	/* Private/LAN address (RFC 1918, link-local, IPv6 ULA). */
	bool local;
	/* IPv6 outer address. */
	bool ipv6;
	/* Through a relay (WGM_CANDIDATE_KIND_RELAY): a last resort. */
	bool relay;
	/* Smoothed RTT in microseconds; 0 means no sample yet. */
	u32 srtt_us;
};

bool wgm_path_addr_is_local(const struct sockaddr *addr);
int wgm_path_select(const struct wgm_path_info *paths, unsigned int n,
		    int active);

#endif /* _WGM_PATHSEL_H */
