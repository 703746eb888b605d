/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How a peer is reached, in words: the answer of `meshadm ping` and the
 * path lines of `meshadm monitor`.
 *
 * A path is direct (any candidate kind but relay: the peer's own address,
 * its NAT mapping, a port mapped on its router, one given by hand) or
 * relayed.  A relay candidate is carried over UDP to the relay, or over
 * meshd's TCP connection to meshcoord when no UDP gets out; the kernel
 * cannot tell the two apart, meshadm can: a relay over TCP is a candidate
 * on one of this host's own addresses (meshd's local carrier socket,
 * Documentation/relay.rst, "TCP fallback"), which the caller marks in
 * mesh_conf_cand.local before calling these.
 *
 * ping.  The punch probes every candidate; what the kernel reports a few
 * seconds later says which path carries the data, how fast it answered,
 * and, when that path is a relay, why no direct one is in use: each direct
 * candidate is alive (not chosen yet), dead (given up after probes went
 * unanswered), not answering (probes lost, not yet given up) or not
 * probed; a host behind a hard NAT is named as the likely reason.  The
 * probe counters are compared with a snapshot taken before the punch, so
 * "3 probes lost" counts this ping's probes, not the candidate's life.
 *
 *   pong from 203.0.113.2:53422 (direct) in 0.80 ms
 *   pong via relay 203.0.113.254:3501 (udp) in 2.10 ms; direct:
 *     203.0.113.2:40000 not answering (3 probes lost), 10.2.0.2:51820 dead
 *
 * monitor.  A path event names two endpoints; looked up among the peer's
 * candidates they say whether the data moved between a relay and a direct
 * path: "(relay -> direct, faster, rtt 0.42 ms)".
 *
 * Pure: no system calls (the callers fetch the device and mark the local
 * relays); tested in userland/tests/test_pathinfo.c.
 */
#ifndef WGM_PATHINFO_H
#define WGM_PATHINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "nlevents.h"

enum wgm_path_class {
	WGM_PATH_UNKNOWN,	/* no such candidate, or no endpoint */
	WGM_PATH_DIRECT,
	WGM_PATH_RELAY_UDP,
	WGM_PATH_RELAY_TCP,	/* over meshd's connection to meshcoord */
};

/* The class of candidate @c (its kind and local mark). */
enum wgm_path_class wgm_cand_path_class(const struct mesh_conf_cand *c);
/* The class of @p's candidate at @ep; WGM_PATH_UNKNOWN when it has none. */
enum wgm_path_class wgm_peer_path_class(const struct mesh_conf_peer *p,
					const union wgm_sockaddr *ep);
/* "direct", "relay", "relay over tcp"; "?" for WGM_PATH_UNKNOWN. */
const char *wgm_path_class_name(enum wgm_path_class cls);

/* What ping found (its exit status: 0 only for direct). */
enum wgm_ping_result {
	WGM_PING_DIRECT,	/* the active path is direct and answered */
	WGM_PING_RELAY,		/* the active path is a relay and answered */
	WGM_PING_NONE,		/* no active path, or it did not answer */
};

/*
 * Candidate @c of a ping started at @since_ns (CLOCK_BOOTTIME, when the
 * punch was sent), @before the same candidate before the punch (NULL when
 * it was not there): "alive rtt 0.42 ms", "dead (3 probes lost)", "not
 * answering (2 probes lost)", "not probed"... appended to @b.
 */
void wgm_ping_cand_state(struct wgm_buf *b, const struct mesh_conf_cand *c,
			 const struct mesh_conf_cand *before, uint64_t since_ns);

/*
 * One line per candidate ("relay   203.0.113.254:3501        alive rtt
 * 2.10 ms (udp, active)"), then the verdict line ("pong from ...", "pong
 * via relay ...", "no pong: ..."), each ending in '\n'.  @before: the
 * peer before the punch (NULL: counters taken whole); @nat: this host's
 * NAT type (enum wgm_nat_type), said when a relay or nothing answered.
 */
enum wgm_ping_result wgm_ping_report(struct wgm_buf *b, const struct mesh_conf_peer *p,
				     const struct mesh_conf_peer *before,
				     uint64_t since_ns, unsigned int nat);

/*
 * One event as monitor prints it, after the peer's key: " path A -> B
 * (relay -> direct, faster, rtt 0.42 ms);", " handshake with A;", ...
 * @from/@to: the classes of a path event's old and new endpoints
 * (WGM_PATH_UNKNOWN when not known; ignored for other events).
 */
void wgm_event_format(struct wgm_buf *b, const struct wgm_event *ev,
		      enum wgm_path_class from, enum wgm_path_class to);

#endif /* WGM_PATHINFO_H */
