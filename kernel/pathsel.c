// SPDX-License-Identifier: GPL-2.0-only
/*
 * Path selection.  See Documentation/probing.rst, "Path selection".
 *
 * Only alive candidates qualify.  Lower smoothed RTT wins when it is clearly
 * lower (more than WGM_PATH_HYST_PERCENT and more than WGM_PATH_HYST_US);
 * otherwise the RTTs count as equal and a local address beats a public one,
 * then IPv6 beats IPv4.  The active path is left only for a candidate that
 * is clearly faster, or equally fast and of a preferred class, so that two
 * paths of similar RTT never flap.  A candidate without an RTT sample counts
 * as slower than any with one.
 *
 * Relay paths are a last resort (Documentation/relay.rst): while any path
 * that is not a relay is alive, only those compete and a relay path in use
 * is left at once; only when none is alive do the relay paths compete
 * among themselves, under the same rules.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>

#include "pathsel.h"

/* Is @a clearly faster than @b? */
static bool wgm_path_clearly_faster(u32 a, u32 b)
{
	u64 diff;

	if (!a || !b)
		return a && !b;
	if (a >= b)
		return false;
	diff = b - a;
	return diff * 100 > (u64)b * WGM_PATH_HYST_PERCENT &&
	       diff > WGM_PATH_HYST_US;
}

/* Address class: 2 local IPv6, 1 local IPv4 or public IPv6, 0 public IPv4. */
static int wgm_path_class(const struct wgm_path_info *p)
{
	return (p->local ? 2 : 0) + (p->ipv6 ? 1 : 0);
}

/* Is @a a better path than @b? */
static bool wgm_path_better(const struct wgm_path_info *a,
			    const struct wgm_path_info *b)
{
	if (wgm_path_clearly_faster(a->srtt_us, b->srtt_us))
		return true;
	if (wgm_path_clearly_faster(b->srtt_us, a->srtt_us))
		return false;
	return wgm_path_class(a) > wgm_path_class(b);
}

/**
 * wgm_path_select - choose the path to carry a peer's traffic
 * @paths: the peer's candidates
 * @n: number of entries in @paths
 * @active: index of the path in use, or -1
 *
 * Return: the index of the path to use (@active when it should stay), or -1
 * when no candidate is alive.  Never a relay path while another is alive.
 */
int wgm_path_select(const struct wgm_path_info *paths, unsigned int n,
		    int active)
{
	bool relay = true;	/* the class that competes */
	int best = -1;
	unsigned int i;

	/* relay paths compete only when no other path is alive */
	for (i = 0; i < n; i++) {
		if (paths[i].alive && !paths[i].relay)
			relay = false;
	}
	for (i = 0; i < n; i++) {
		if (!paths[i].alive || paths[i].relay != relay)
			continue;
		if (best < 0 || wgm_path_better(&paths[i], &paths[best]))
			best = i;
	}
	if (active < 0 || active >= (int)n || !paths[active].alive ||
	    paths[active].relay != relay)
		return best;
	if (best >= 0 && best != active &&
	    wgm_path_better(&paths[best], &paths[active]))
		return best;
	return active;
}

/**
 * wgm_path_addr_is_local - is @addr a private/LAN address?
 * @addr: a struct sockaddr_in or sockaddr_in6
 *
 * IPv4 10/8, 172.16/12, 192.168/16, 169.254/16; IPv6 fc00::/7, fe80::/10.
 * Carrier-grade NAT space (100.64/10) is not local: it is the far side of a
 * provider's NAT.
 */
bool wgm_path_addr_is_local(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)addr;
		u32 a = be32_to_cpu(sin->sin_addr.s_addr);

		return (a >> 24) == 10 || (a >> 20) == 0xac1 ||
		       (a >> 16) == 0xc0a8 || (a >> 16) == 0xa9fe;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)addr;
		const u8 *b = sin6->sin6_addr.s6_addr;

		return (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return false;
}
