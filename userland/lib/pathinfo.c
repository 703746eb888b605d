// SPDX-License-Identifier: GPL-2.0-only
/* How a peer is reached, in words (ping and monitor); see pathinfo.h. */
#include "pathinfo.h"

#include <stdio.h>

#include "addr.h"
#include "format.h"
#include "natclass.h"

enum wgm_path_class wgm_cand_path_class(const struct mesh_conf_cand *c)
{
	if (c->kind != WGM_CANDIDATE_KIND_RELAY)
		return WGM_PATH_DIRECT;
	return c->local ? WGM_PATH_RELAY_TCP : WGM_PATH_RELAY_UDP;
}

static const struct mesh_conf_cand *find_cand(const struct mesh_conf_peer *p,
					      const union wgm_sockaddr *ep)
{
	size_t i;

	if (ep->sa.sa_family != AF_INET && ep->sa.sa_family != AF_INET6)
		return NULL;
	for (i = 0; i < p->n_cands; i++)
		if (wgm_endpoint_equal(&p->cands[i].endpoint, ep))
			return &p->cands[i];
	return NULL;
}

enum wgm_path_class wgm_peer_path_class(const struct mesh_conf_peer *p,
					const union wgm_sockaddr *ep)
{
	const struct mesh_conf_cand *c = find_cand(p, ep);

	return c ? wgm_cand_path_class(c) : WGM_PATH_UNKNOWN;
}

const char *wgm_path_class_name(enum wgm_path_class cls)
{
	switch (cls) {
	case WGM_PATH_DIRECT:
		return "direct";
	case WGM_PATH_RELAY_UDP:
		return "relay";
	case WGM_PATH_RELAY_TCP:
		return "relay over tcp";
	case WGM_PATH_UNKNOWN:
		break;
	}
	return "?";
}

static bool is_relay(enum wgm_path_class cls)
{
	return cls == WGM_PATH_RELAY_UDP || cls == WGM_PATH_RELAY_TCP;
}

/* ---- ping ---- */

/* @c answered a probe sent after @since_ns. */
static bool answered(const struct mesh_conf_cand *c, uint64_t since_ns)
{
	return c->state == WGM_CANDIDATE_ALIVE && c->last_seen_ns >= since_ns;
}

/* Counter @now less its value @then (the whole of it when it went back). */
static uint32_t delta(uint32_t now, const struct mesh_conf_cand *before, uint32_t then)
{
	return before && then <= now ? now - then : now;
}

static void put_rtt(struct wgm_buf *b, uint32_t rtt_us)
{
	wgm_buf_printf(b, "%u.%02u ms", rtt_us / 1000, rtt_us % 1000 / 10);
}

static void put_probes(struct wgm_buf *b, uint32_t n, const char *what)
{
	wgm_buf_printf(b, " (%u probe%s %s)", n, n == 1 ? "" : "s", what);
}

void wgm_ping_cand_state(struct wgm_buf *b, const struct mesh_conf_cand *c,
			 const struct mesh_conf_cand *before, uint64_t since_ns)
{
	uint32_t sent = delta(c->probes_sent, before, before ? before->probes_sent : 0);
	uint32_t lost = delta(c->probes_lost, before, before ? before->probes_lost : 0);

	if (answered(c, since_ns)) {
		wgm_buf_puts(b, "alive rtt ");
		put_rtt(b, c->rtt_us);
		return;
	}
	if (c->state == WGM_CANDIDATE_DEAD) {
		wgm_buf_puts(b, "dead");
		if (lost)
			put_probes(b, lost, "lost");
		return;
	}
	if (!sent && !lost) {
		wgm_buf_puts(b, "not probed");
		return;
	}
	wgm_buf_puts(b, "not answering");
	if (lost)
		put_probes(b, lost, "lost");
	else
		put_probes(b, sent, "sent, no answer yet");
}

/* The same candidate (address and kind) in @before, or NULL. */
static const struct mesh_conf_cand *before_cand(const struct mesh_conf_peer *before,
						const struct mesh_conf_cand *c)
{
	const struct mesh_conf_cand *o;

	if (!before)
		return NULL;
	o = find_cand(before, &c->endpoint);
	return o && o->kind == c->kind ? o : NULL;
}

/*
 * "203.0.113.2:40000 not answering (3 probes lost), 10.2.0.2:51820 dead"
 * over the candidates of one sort (relays or direct ones); "none" when
 * there is none.
 */
static void put_list(struct wgm_buf *b, const struct mesh_conf_peer *p,
		     const struct mesh_conf_peer *before, uint64_t since_ns,
		     bool relays)
{
	char ep[WGM_ADDRSTRLEN];
	const struct mesh_conf_cand *c;
	size_t i, n = 0;

	for (i = 0; i < p->n_cands; i++) {
		c = &p->cands[i];
		if (is_relay(wgm_cand_path_class(c)) != relays)
			continue;
		wgm_buf_printf(b, "%s%s ", n++ ? ", " : "",
			       wgm_format_endpoint(&c->endpoint, ep, sizeof(ep)));
		wgm_ping_cand_state(b, c, before_cand(before, c), since_ns);
		if (answered(c, since_ns) && !(c->flags & WGM_CANDIDATE_F_ACTIVE))
			wgm_buf_puts(b, ", not in use yet");
	}
	if (!n)
		wgm_buf_puts(b, "none");
}

enum wgm_ping_result wgm_ping_report(struct wgm_buf *b, const struct mesh_conf_peer *p,
				     const struct mesh_conf_peer *before,
				     uint64_t since_ns, unsigned int nat)
{
	char ep[WGM_ADDRSTRLEN], kind[16];
	const struct mesh_conf_cand *c, *active = NULL;
	enum wgm_ping_result res;
	enum wgm_path_class cls;
	size_t i;

	if (!p->n_cands) {
		wgm_buf_puts(b, "no pong: the peer has no candidate endpoints\n");
		return WGM_PING_NONE;
	}
	for (i = 0; i < p->n_cands; i++) {
		c = &p->cands[i];
		cls = wgm_cand_path_class(c);
		if (c->flags & WGM_CANDIDATE_F_ACTIVE)
			active = c;
		snprintf(kind, sizeof(kind), "%s%s", mesh_conf_cand_kind_name(c->kind),
			 cls == WGM_PATH_RELAY_TCP ? "/tcp" :
			 cls == WGM_PATH_RELAY_UDP ? "/udp" : "");
		wgm_buf_printf(b, "%-9s %-24s  ", kind,
			       wgm_format_endpoint(&c->endpoint, ep, sizeof(ep)));
		wgm_ping_cand_state(b, c, before_cand(before, c), since_ns);
		wgm_buf_puts(b, c->flags & WGM_CANDIDATE_F_ACTIVE ? ", active\n" : "\n");
	}
	if (active && answered(active, since_ns)) {
		cls = wgm_cand_path_class(active);
		wgm_format_endpoint(&active->endpoint, ep, sizeof(ep));
		if (!is_relay(cls)) {
			wgm_buf_printf(b, "pong from %s (direct) in ", ep);
			put_rtt(b, active->rtt_us);
			wgm_buf_puts(b, "\n");
			return WGM_PING_DIRECT;
		}
		wgm_buf_printf(b, "pong via relay %s (%s) in ", ep,
			       cls == WGM_PATH_RELAY_TCP ? "tcp" : "udp");
		put_rtt(b, active->rtt_us);
		wgm_buf_puts(b, "; direct: ");
		put_list(b, p, before, since_ns, false);
		res = WGM_PING_RELAY;
	} else {
		if (active)
			wgm_buf_printf(b, "no pong: the active path %s (%s) did not answer",
				       wgm_format_endpoint(&active->endpoint, ep, sizeof(ep)),
				       wgm_path_class_name(wgm_cand_path_class(active)));
		else
			wgm_buf_puts(b, "no pong: no path");
		wgm_buf_puts(b, "; direct: ");
		put_list(b, p, before, since_ns, false);
		wgm_buf_puts(b, "; relay: ");
		put_list(b, p, before, since_ns, true);
		res = WGM_PING_NONE;
	}
	if (nat == WGM_NAT_HARD)
		wgm_buf_printf(b, "; this host's NAT is hard (%s)", wgm_nat_describe(nat));
	wgm_buf_puts(b, "\n");
	return res;
}

/* ---- monitor ---- */

static const char *event_type_name(uint8_t type)
{
	switch (type) {
	case WGM_EVENT_HANDSHAKE_COMPLETE:
		return "handshake";
	case WGM_EVENT_PATH_CHANGED:
		return "path";
	case WGM_EVENT_CANDIDATE_STATE:
		return "candidate";
	case WGM_EVENT_PUNCH_DONE:
		return "punch";
	case WGM_EVENT_STUN_MAPPED:
		return "mapped";
	}
	return NULL;
}

static const char *reason_name(uint32_t reason)
{
	switch (reason) {
	case WGM_EVENT_REASON_RTT:
		return "faster";
	case WGM_EVENT_REASON_FAILOVER:
		return "failover";
	case WGM_EVENT_REASON_ROAMING:
		return "roaming";
	case WGM_EVENT_REASON_CONFIG:
		return "config";
	case WGM_EVENT_REASON_PUNCH_OK:
		return "ok";
	case WGM_EVENT_REASON_PUNCH_FAILED:
		return "failed";
	}
	return NULL;
}

/*
 * "relay -> direct, " when the data moved between a relay and a direct
 * path (or between the relay's two transports); "relay, " for a first
 * path; "direct -> none, " when the path died with nothing to take over;
 * nothing when the sort did not change or is not known.
 */
static void put_switch(struct wgm_buf *b, const struct wgm_event *ev,
		       enum wgm_path_class from, enum wgm_path_class to)
{
	if (ev->new_ep.sa.sa_family == AF_UNSPEC) {
		if (from != WGM_PATH_UNKNOWN)
			wgm_buf_printf(b, "%s -> none, ", wgm_path_class_name(from));
		return;
	}
	if (to == WGM_PATH_UNKNOWN)
		return;
	if (ev->old_ep.sa.sa_family == AF_UNSPEC) {
		wgm_buf_printf(b, "%s, ", wgm_path_class_name(to));
		return;
	}
	if (from == WGM_PATH_UNKNOWN || from == to)
		return;
	wgm_buf_printf(b, "%s -> %s, ", wgm_path_class_name(from), wgm_path_class_name(to));
}

void wgm_event_format(struct wgm_buf *b, const struct wgm_event *ev,
		      enum wgm_path_class from, enum wgm_path_class to)
{
	char old[WGM_ADDRSTRLEN], nw[WGM_ADDRSTRLEN];
	const char *name = event_type_name(ev->type);
	const char *why = reason_name(ev->reason);

	wgm_format_endpoint(&ev->old_ep, old, sizeof(old));
	wgm_format_endpoint(&ev->new_ep, nw, sizeof(nw));
	if (name)
		wgm_buf_printf(b, " %s", name);
	else
		wgm_buf_printf(b, " event %u", ev->type);
	switch (ev->type) {
	case WGM_EVENT_HANDSHAKE_COMPLETE:
		wgm_buf_printf(b, " with %s", nw);
		break;
	case WGM_EVENT_PATH_CHANGED:
		wgm_buf_printf(b, " %s -> %s (", old, nw);
		put_switch(b, ev, from, to);
		wgm_buf_puts(b, why ? why : "?");
		if (ev->value) {
			wgm_buf_puts(b, ", rtt ");
			put_rtt(b, ev->value);
		}
		wgm_buf_puts(b, ")");
		break;
	case WGM_EVENT_CANDIDATE_STATE:
		wgm_buf_printf(b, " %s is %s", nw,
			       wgm_candidate_state_name((uint8_t)ev->reason));
		break;
	case WGM_EVENT_PUNCH_DONE:
		wgm_buf_printf(b, " %s", why ? why : "?");
		if (ev->new_ep.sa.sa_family != AF_UNSPEC)
			wgm_buf_printf(b, " via %s", nw);
		wgm_buf_printf(b, " after %u ms", ev->value);
		break;
	case WGM_EVENT_STUN_MAPPED:
		/* the tunnel socket's NAT mapping, as a STUN server saw it */
		wgm_buf_printf(b, " %s", nw);
		if (ev->old_ep.sa.sa_family != AF_UNSPEC)
			wgm_buf_printf(b, " (was %s)", old);
		break;
	default:
		wgm_buf_printf(b, " %s -> %s reason %u value %u", old, nw,
			       ev->reason, ev->value);
	}
	wgm_buf_puts(b, ";");
}
