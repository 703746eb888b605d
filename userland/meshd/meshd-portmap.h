/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * meshd's port mapping on the gateway (issue 15): ask the default route's
 * gateway to forward a public UDP port to the tunnel's listen port, by PCP
 * (RFC 6887), then NAT-PMP (RFC 6886), then UPnP IGD (libminiupnpc), and
 * keep it: renewed at half its lifetime and at least every
 * MESHD_PM_CHECK_MS (the renewal's epoch shows a gateway restart, and the
 * answer maps again), deleted on a clean exit.  The mapped address becomes
 * a candidate (kind portmap).  The codecs are userland/lib/portmap*.c.
 *
 * PCP and NAT-PMP run inside meshd's poll loop (one UDP socket connected
 * to the gateway).  UPnP runs only when the other two got no answer, and
 * on a thread of its own: libminiupnpc blocks (discovery waits 1 s, then
 * HTTP to the IGD), and meshd's loop must keep moving meanwhile, above
 * all the relay it carries over TCP (relay.rst).  The thread owns
 * pm->upnp while it runs (upnp_busy); it reads only upnp_port and writes
 * only upnp_ok and upnp_out, then a word on upnp_efd, which meshd polls
 * in state UPNP_WAIT.  A clean exit waits for it.
 */
#ifndef MESHD_MESHD_PORTMAP_H
#define MESHD_MESHD_PORTMAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "portmap.h"

/* Retransmissions: 250 ms, doubling, 4 sends per protocol (3.75 s). */
#define MESHD_PM_RTO_MS		250u
#define MESHD_PM_TRIES		4u
/* The mapping is renewed at least this often (and at half its lifetime). */
#define MESHD_PM_CHECK_MS	120000u
/*
 * Nothing worked (or no gateway): try again MESHD_PM_RETRY_MS later; a
 * gateway that answered PCP or NAT-PMP before is asked again after
 * MESHD_PM_RETRY_MIN_MS, doubling up to MESHD_PM_RETRY_MS, so that one
 * that restarts is mapped again within seconds.
 */
#define MESHD_PM_RETRY_MIN_MS	10000u
#define MESHD_PM_RETRY_MS	120000u

enum meshd_pm_proto {
	MESHD_PM_NONE = 0,
	MESHD_PM_PCP,
	MESHD_PM_NATPMP,
	MESHD_PM_UPNP,
};

enum meshd_pm_state {
	MESHD_PM_IDLE = 0,	/* waiting for next_ms */
	MESHD_PM_ASK_PCP,	/* PCP MAP sent */
	MESHD_PM_ASK_ADDR,	/* NAT-PMP external address request sent */
	MESHD_PM_ASK_MAP,	/* NAT-PMP mapping request sent */
	MESHD_PM_UPNP_WAIT,	/* the UPnP thread runs */
};

struct meshd_upnp;

struct meshd_portmap {
	bool enabled;
	int fd;				/* to gateway:5351, -1: none */
	enum meshd_pm_state state;
	enum meshd_pm_proto proto;	/* holding the mapping, NONE: none */
	uint8_t gw[4];
	uint16_t port;			/* internal: the tunnel's listen port */
	unsigned int tries;
	uint64_t deadline_ms;		/* next retransmission or give-up */
	uint64_t next_ms;		/* IDLE: when to map or renew */
	uint64_t retry_ms;		/* the next wait after a failure */
	bool bad_logged;		/* one log line per request for garbage */
	bool no_gw_logged;
	struct wgm_pcp_req pcp;
	union wgm_sockaddr ext_addr;	/* NAT-PMP: from the address answer */
	union wgm_sockaddr mapped;	/* the candidate, valid with proto */
	uint32_t lifetime;
	bool have_epoch;		/* of this gateway, kept over a loss */
	uint32_t epoch;
	uint64_t epoch_ms;
	struct meshd_upnp *upnp;	/* NULL: no IGD found (yet) */
	bool upnp_busy;			/* upnp_thread runs and owns upnp */
	pthread_t upnp_thread;
	int upnp_efd;			/* it is done: an eventfd, -1: none */
	uint16_t upnp_port;		/* the port it maps */
	bool upnp_ok;			/* its result, with upnp_out */
	union wgm_sockaddr upnp_out;
};

void meshd_portmap_init(struct meshd_portmap *pm, bool enabled);
/* The tunnel's listen port, as GET_DEVICE says: a new one maps anew. */
void meshd_portmap_set_port(struct meshd_portmap *pm, uint16_t port,
			    uint64_t now);
/* The socket to poll for POLLIN, -1 when none. */
int meshd_portmap_fd(const struct meshd_portmap *pm);
/* When meshd_portmap_tick wants to run next (UINT64_MAX: never). */
uint64_t meshd_portmap_wake(const struct meshd_portmap *pm);
/* Timers and the socket; true when the mapped address changed. */
bool meshd_portmap_tick(struct meshd_portmap *pm, uint64_t now);
bool meshd_portmap_readable(struct meshd_portmap *pm, uint64_t now);
/* The mapped address and port; false when there is none. */
bool meshd_portmap_get(const struct meshd_portmap *pm, union wgm_sockaddr *out);
/* Delete the mapping (waiting up to 500 ms for the answer) and close. */
void meshd_portmap_stop(struct meshd_portmap *pm);

#endif /* MESHD_MESHD_PORTMAP_H */
