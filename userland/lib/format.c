// SPDX-License-Identifier: GPL-2.0-only
#include "format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "natclass.h"

void wgm_clock_now(struct wgm_clock *clk)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	clk->realtime_sec = ts.tv_sec;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	clk->boottime_ns = (uint64_t)ts.tv_sec * 1000000000ULL +
			   (uint64_t)ts.tv_nsec;
}

void wgm_fmt_duration(char *buf, size_t len, uint64_t secs)
{
	static const struct {
		const char *name;
		uint64_t secs;
	} units[] = {
		{ "year", 365ULL * 24 * 3600 },
		{ "day", 24 * 3600 },
		{ "hour", 3600 },
		{ "minute", 60 },
		{ "second", 1 },
	};
	size_t used = 0, i;
	uint64_t n;
	int w;

	if (len)
		buf[0] = '\0';
	if (!secs) {
		snprintf(buf, len, "Now");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		n = secs / units[i].secs;
		secs %= units[i].secs;
		if (!n)
			continue;
		w = snprintf(buf + used, len - used, "%s%" PRIu64 " %s%s",
			     used ? ", " : "", n, units[i].name,
			     n == 1 ? "" : "s");
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

void wgm_fmt_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
					     "EiB" };
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	v /= 1024;
	while (v >= 1024 && i + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.2f %s", v, units[i]);
}

const char *wgm_candidate_state_name(uint8_t state)
{
	switch (state) {
	case WGM_CANDIDATE_UNKNOWN:
		return "unknown";
	case WGM_CANDIDATE_PROBING:
		return "probing";
	case WGM_CANDIDATE_ALIVE:
		return "alive";
	case WGM_CANDIDATE_DEAD:
		return "dead";
	}
	return "invalid";
}

int64_t mesh_conf_cand_last_seen_unix(const struct mesh_conf_cand *c,
				     const struct wgm_clock *clk)
{
	uint64_t age;

	if (!c->last_seen_ns)
		return 0;
	age = c->last_seen_ns <= clk->boottime_ns ?
	      (clk->boottime_ns - c->last_seen_ns) / 1000000000ULL : 0;
	return clk->realtime_sec - (int64_t)age;
}

/* Seconds from CLOCK_BOOTTIME @ns to now; 0 for the future. */
static uint64_t boot_age_sec(uint64_t ns, const struct wgm_clock *clk)
{
	return ns <= clk->boottime_ns ? (clk->boottime_ns - ns) / 1000000000ULL : 0;
}

static int64_t boot_to_unix(uint64_t ns, const struct wgm_clock *clk)
{
	return ns ? clk->realtime_sec - (int64_t)boot_age_sec(ns, clk) : 0;
}

/* The candidate carrying the data, or NULL. */
static const struct mesh_conf_cand *active_cand(const struct mesh_conf_peer *peer)
{
	size_t i;

	for (i = 0; i < peer->n_cands; i++)
		if (peer->cands[i].flags & WGM_CANDIDATE_F_ACTIVE)
			return &peer->cands[i];
	return NULL;
}

static bool peer_has_active(const struct mesh_conf_peer *peer)
{
	return active_cand(peer) != NULL;
}

/*
 * Why @peer has no working path, in words, or nothing (b->len stays 0)
 * when it has one or is a plain WireGuard peer with an endpoint.
 */
static void why_no_path(struct wgm_buf *b, const struct mesh_conf_peer *peer,
			const struct wgm_clock *clk)
{
	const struct mesh_conf_path *st = &peer->path;
	bool status = peer->has & MESH_CONF_PEER_HAS_PATH_STATUS;
	uint64_t tries = 0;
	const char *sep = "";
	char d[128];
	size_t i;

	if (!peer->n_cands) {
		/* a plain WireGuard peer (no probe state reported) shows as wg does */
		if (status && peer->endpoint.sa.sa_family != AF_INET &&
		    peer->endpoint.sa.sa_family != AF_INET6)
			wgm_buf_puts(b, "no endpoint and no candidates");
		return;
	}
	if (peer_has_active(peer))
		return;
	for (i = 0; i < peer->n_cands; i++)
		tries += peer->cands[i].probes_sent;
	if (status && !(st->flags & WGM_PATH_F_PROBE_KEY)) {
		wgm_buf_puts(b, "no probe key (the device has no private key)");
		return;
	}
	if (!tries) {
		wgm_buf_puts(b, "candidates not probed yet");
		sep = "; ";
	} else {
		wgm_buf_printf(b, "candidates tried %" PRIu64 " times", tries);
		if (status && st->no_path_since_ns) {
			wgm_fmt_duration(d, sizeof(d),
					 boot_age_sec(st->no_path_since_ns, clk));
			wgm_buf_printf(b, ", no answer for %s", d);
		} else {
			wgm_buf_puts(b, " with no answer");
		}
		sep = "; ";
	}
	if (status && tries && !(st->flags & WGM_PATH_F_SPEAKS_PROBES)) {
		wgm_buf_printf(b, "%speer never answered a probe (a standard WireGuard peer, or no path gets through), trying handshakes",
			       sep);
		sep = "; ";
	}
	if (status && st->punch_result == WGM_EVENT_REASON_PUNCH_FAILED) {
		wgm_fmt_duration(d, sizeof(d), boot_age_sec(st->last_punch_ns, clk));
		wgm_buf_printf(b, "%spunch failed %s ago", sep, d);
	}
}

void wgm_json_string(struct wgm_buf *b, const char *s)
{
	const unsigned char *p;

	wgm_buf_puts(b, "\"");
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			wgm_buf_puts(b, "\\\"");
			break;
		case '\\':
			wgm_buf_puts(b, "\\\\");
			break;
		case '\n':
			wgm_buf_puts(b, "\\n");
			break;
		case '\r':
			wgm_buf_puts(b, "\\r");
			break;
		case '\t':
			wgm_buf_puts(b, "\\t");
			break;
		case '\b':
			wgm_buf_puts(b, "\\b");
			break;
		case '\f':
			wgm_buf_puts(b, "\\f");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				wgm_buf_printf(b, "\\u%04x", *p);
			else
				wgm_buf_printf(b, "%c", *p);
		}
	}
	wgm_buf_puts(b, "\"");
}

static void json_key(struct wgm_buf *b, const uint8_t key[WGM_KEY_LEN])
{
	char k[WGM_KEY_B64_LEN + 1];

	wgm_key_to_base64(k, key);
	wgm_json_string(b, k);
}

static void json_peer(struct wgm_buf *b, const struct mesh_conf_peer *peer,
		      const struct wgm_clock *clk)
{
	const struct mesh_conf_cand *active;
	char tmp[WGM_ADDRSTRLEN];
	size_t i;

	wgm_buf_puts(b, "{\"public_key\":");
	json_key(b, peer->public_key);
	wgm_buf_puts(b, ",\"endpoint\":");
	if (peer->endpoint.sa.sa_family == AF_INET ||
	    peer->endpoint.sa.sa_family == AF_INET6)
		wgm_json_string(b, wgm_format_endpoint(&peer->endpoint, tmp,
						       sizeof(tmp)));
	else
		wgm_buf_puts(b, "null");
	wgm_buf_puts(b, ",\"allowed_ips\":[");
	for (i = 0; i < peer->n_aips; i++) {
		if (i)
			wgm_buf_puts(b, ",");
		wgm_json_string(b, wgm_format_cidr(&peer->aips[i], tmp,
						   sizeof(tmp)));
	}
	wgm_buf_printf(b, "],\"latest_handshake\":%" PRId64
		       ",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
		       ",\"persistent_keepalive\":%u",
		       peer->last_handshake_sec, peer->rx_bytes,
		       peer->tx_bytes, peer->keepalive);
	if (peer->has & MESH_CONF_PEER_HAS_CANDIDATES) {
		wgm_buf_puts(b, ",\"candidates\":[");
		for (i = 0; i < peer->n_cands; i++) {
			const struct mesh_conf_cand *c = &peer->cands[i];

			wgm_buf_puts(b, i ? ",{\"endpoint\":" : "{\"endpoint\":");
			wgm_json_string(b, wgm_format_endpoint(&c->endpoint, tmp,
							       sizeof(tmp)));
			wgm_buf_puts(b, ",\"kind\":");
			wgm_json_string(b, mesh_conf_cand_kind_name(c->kind));
			if (c->kind == WGM_CANDIDATE_KIND_RELAY)
				wgm_buf_printf(b, ",\"transport\":\"%s\"", c->local ? "tcp" : "udp");
			wgm_buf_puts(b, ",\"state\":");
			wgm_json_string(b, wgm_candidate_state_name(c->state));
			wgm_buf_printf(b, ",\"rtt_us\":%u,\"last_seen\":%" PRId64
				       ",\"active\":%s}", c->rtt_us,
				       mesh_conf_cand_last_seen_unix(c, clk),
				       c->flags & WGM_CANDIDATE_F_ACTIVE ? "true" : "false");
		}
		wgm_buf_puts(b, "]");
		active = active_cand(peer);
		wgm_buf_printf(b, ",\"path\":\"%s\"", !active ? "none" :
			       active->kind == WGM_CANDIDATE_KIND_RELAY ? "relay" : "direct");
	}
	if (peer->has & MESH_CONF_PEER_HAS_PATH_STATUS) {
		const struct mesh_conf_path *st = &peer->path;
		struct wgm_buf why;

		wgm_buf_printf(b, ",\"path_status\":{\"probe_key\":%s,\"speaks_probes\":%s,"
			       "\"punches\":%u,\"punch_result\":%s,\"last_punch\":%" PRId64
			       ",\"no_path_since\":%" PRId64 ",\"why\":",
			       st->flags & WGM_PATH_F_PROBE_KEY ? "true" : "false",
			       st->flags & WGM_PATH_F_SPEAKS_PROBES ? "true" : "false",
			       st->punches,
			       st->punch_result == WGM_EVENT_REASON_PUNCH_OK ? "\"ok\"" :
			       st->punch_result == WGM_EVENT_REASON_PUNCH_FAILED ? "\"failed\"" :
			       "null",
			       boot_to_unix(st->last_punch_ns, clk),
			       boot_to_unix(st->no_path_since_ns, clk));
		wgm_buf_init(&why);
		why_no_path(&why, peer, clk);
		if (why.len && why.s)
			wgm_json_string(b, why.s);
		else
			wgm_buf_puts(b, "null");
		wgm_buf_free(&why);
		wgm_buf_puts(b, "}");
	}
	if ((peer->has & MESH_CONF_PEER_HAS_NAT) && peer->nat)
		wgm_buf_printf(b, ",\"nat\":\"%s\"", wgm_nat_name(peer->nat));
	if (peer->has & MESH_CONF_PEER_HAS_BIRTHDAY)
		wgm_buf_printf(b, ",\"birthday\":{\"state\":\"%s\",\"sockets\":%u,\"sent\":%u,"
			       "\"port\":%u}", mesh_conf_bday_state_name(peer->bday.state),
			       peer->bday.sockets, peer->bday.sent, peer->bday.port);
	wgm_buf_puts(b, "}");
}

/* Seconds since a boottime stamp; -1 for never. */
static int64_t since_boottime(uint64_t ns, const struct wgm_clock *clk)
{
	if (!ns)
		return -1;
	return ns < clk->boottime_ns ? (int64_t)((clk->boottime_ns - ns) / 1000000000u) : 0;
}

/* ,"stun_servers":[...],"mapped":[...],"stun_dropped":N,"nat":"..." */
static void json_stun(struct wgm_buf *b, const struct mesh_conf_device *dev,
		      const struct wgm_clock *clk)
{
	char tmp[WGM_ADDRSTRLEN];
	size_t i;

	wgm_buf_puts(b, ",\"stun_servers\":[");
	for (i = 0; i < dev->n_stun; i++) {
		const struct mesh_conf_stun *s = &dev->stun[i];

		wgm_buf_puts(b, i ? ",{\"endpoint\":" : "{\"endpoint\":");
		wgm_json_string(b, wgm_format_endpoint(&s->endpoint, tmp, sizeof(tmp)));
		wgm_buf_puts(b, ",\"mapped\":");
		if (s->mapped.sa.sa_family == AF_UNSPEC)
			wgm_buf_puts(b, "null");
		else
			wgm_json_string(b, wgm_format_endpoint(&s->mapped, tmp,
							       sizeof(tmp)));
		wgm_buf_printf(b, ",\"last_success_age\":%" PRId64
			       ",\"requests\":%u,\"responses\":%u}",
			       since_boottime(s->last_success_ns, clk),
			       s->requests, s->responses);
	}
	wgm_buf_puts(b, "],\"mapped\":[");
	for (i = 0; i < dev->n_mapped; i++) {
		const struct mesh_conf_mapped *m = &dev->mapped[i];

		wgm_buf_puts(b, i ? ",{\"endpoint\":" : "{\"endpoint\":");
		wgm_json_string(b, wgm_format_endpoint(&m->endpoint, tmp, sizeof(tmp)));
		wgm_buf_puts(b, ",\"server\":");
		wgm_json_string(b, wgm_format_endpoint(&m->server, tmp, sizeof(tmp)));
		wgm_buf_printf(b, ",\"age_ms\":%u}", m->age_ms);
	}
	wgm_buf_printf(b, "],\"stun_dropped\":%u,\"nat\":\"%s\"",
		       dev->stun_dropped,
		       wgm_nat_name(wgm_nat_classify(dev->stun, dev->n_stun)));
}

void wgm_json_device(struct wgm_buf *b, const struct mesh_conf_device *dev,
		     const struct wgm_clock *clk)
{
	size_t i;

	wgm_buf_puts(b, "{\"name\":");
	wgm_json_string(b, dev->name);
	wgm_buf_puts(b, ",\"public_key\":");
	if (dev->has & MESH_CONF_DEV_HAS_PUBLIC_KEY && !wgm_key_is_zero(dev->public_key))
		json_key(b, dev->public_key);
	else
		wgm_buf_puts(b, "null");
	wgm_buf_printf(b, ",\"listen_port\":%u,\"fwmark\":%u,\"peers\":[",
		       dev->listen_port, dev->fwmark);
	for (i = 0; i < dev->n_peers; i++) {
		if (i)
			wgm_buf_puts(b, ",");
		json_peer(b, &dev->peers[i], clk);
	}
	wgm_buf_puts(b, "]");
	/* kernels with STUN always report the (maybe empty) server list */
	if (dev->has & MESH_CONF_DEV_HAS_STUN)
		json_stun(b, dev, clk);
	wgm_buf_puts(b, "}\n");
}

#define C_RESET "\x1b[0m"
#define C_BOLD "\x1b[1m"
#define C_GREEN "\x1b[1;32m"
#define C_YELLOW "\x1b[1;33m"

/* "  label: " with the label in bold when colouring. */
static void label(struct wgm_buf *b, bool color, const char *name)
{
	wgm_buf_printf(b, "  %s%s:%s ", color ? C_BOLD : "", name,
		       color ? C_RESET : "");
}

static void show_key(char out[WGM_KEY_B64_LEN + 1], const uint8_t *key)
{
	if (wgm_key_is_zero(key))
		snprintf(out, WGM_KEY_B64_LEN + 1, "(none)");
	else
		wgm_key_to_base64(out, key);
}

/*
 * "birthday: running, 256 sockets, 256 probes sent" or "birthday: direct,
 * 1024 probes sent, own port 40123": the last birthday search and the
 * socket it gave the peer.
 */
static void show_birthday(struct wgm_buf *b, const struct mesh_conf_peer *peer, bool color)
{
	const struct mesh_conf_bday *st = &peer->bday;

	if (!(peer->has & MESH_CONF_PEER_HAS_BIRTHDAY))
		return;
	label(b, color, "birthday");
	wgm_buf_puts(b, mesh_conf_bday_state_name(st->state));
	if (st->sockets)
		wgm_buf_printf(b, ", %u sockets", st->sockets);
	wgm_buf_printf(b, ", %u probes sent", st->sent);
	if (st->port)
		wgm_buf_printf(b, ", own port %u", st->port);
	wgm_buf_puts(b, "\n");
}

/*
 * The peer's NAT as its agent reported it ("peer nat: hard (...)") and,
 * when it and ours (@own, from our STUN servers) both map per destination
 * while the relay carries the pair, why no direct path is tried.
 */
bool wgm_relay_only(const struct mesh_conf_peer *peer, unsigned int own)
{
	const struct mesh_conf_cand *act = active_cand(peer);

	return act && act->kind == WGM_CANDIDATE_KIND_RELAY &&
	       (peer->has & MESH_CONF_PEER_HAS_NAT) && peer->nat == WGM_NAT_HARD &&
	       own == WGM_NAT_HARD;
}

static void show_peer_nat(struct wgm_buf *b, const struct mesh_conf_peer *peer,
			  enum wgm_nat_type own, bool color)
{
	if (!(peer->has & MESH_CONF_PEER_HAS_NAT) || !peer->nat)
		return;
	label(b, color, "peer nat");
	wgm_buf_printf(b, "%s (%s)\n", wgm_nat_name(peer->nat), wgm_nat_describe(peer->nat));
	if (wgm_relay_only(peer, own)) {
		label(b, color, "direct");
		wgm_buf_puts(b, "not attempted (both NATs map per destination: "
			     "the pair stays on the relay)\n");
	}
}

static void show_peer(struct wgm_buf *b, const struct mesh_conf_peer *peer,
		      enum wgm_nat_type own, const struct wgm_clock *clk, bool color)
{
	char k[WGM_KEY_B64_LEN + 1], tmp[WGM_ADDRSTRLEN], d[128], r[32], t[32];
	size_t i;

	wgm_key_to_base64(k, peer->public_key);
	wgm_buf_printf(b, "\n%speer:%s %s\n", color ? C_YELLOW : "",
		       color ? C_RESET : "", k);
	if ((peer->has & MESH_CONF_PEER_HAS_PSK) &&
	    !wgm_key_is_zero(peer->preshared_key)) {
		label(b, color, "preshared key");
		wgm_buf_puts(b, "(hidden)\n");
	}
	if (peer->endpoint.sa.sa_family == AF_INET ||
	    peer->endpoint.sa.sa_family == AF_INET6) {
		label(b, color, "endpoint");
		wgm_buf_printf(b, "%s\n", wgm_format_endpoint(&peer->endpoint,
							      tmp,
							      sizeof(tmp)));
	}
	label(b, color, "allowed ips");
	if (!peer->n_aips)
		wgm_buf_puts(b, "(none)");
	for (i = 0; i < peer->n_aips; i++)
		wgm_buf_printf(b, "%s%s", i ? ", " : "",
			       wgm_format_cidr(&peer->aips[i], tmp, sizeof(tmp)));
	wgm_buf_puts(b, "\n");
	if (peer->last_handshake_sec) {
		/* both come from outside: no overflow whatever their values */
		int64_t age = 0;

		if (peer->last_handshake_sec < clk->realtime_sec &&
		    __builtin_sub_overflow(clk->realtime_sec,
					   peer->last_handshake_sec, &age))
			age = INT64_MAX;
		wgm_fmt_duration(d, sizeof(d), age > 0 ? (uint64_t)age : 0);
		label(b, color, "latest handshake");
		wgm_buf_printf(b, "%s%s\n", d, age > 0 ? " ago" : "");
	}
	if (peer->rx_bytes || peer->tx_bytes) {
		wgm_fmt_bytes(r, sizeof(r), peer->rx_bytes);
		wgm_fmt_bytes(t, sizeof(t), peer->tx_bytes);
		label(b, color, "transfer");
		wgm_buf_printf(b, "%s received, %s sent\n", r, t);
	}
	if (peer->keepalive) {
		wgm_fmt_duration(d, sizeof(d), peer->keepalive);
		label(b, color, "persistent keepalive");
		wgm_buf_printf(b, "every %s\n", d);
	}
	if (peer->n_cands) {
		label(b, color, "candidates");
		for (i = 0; i < peer->n_cands; i++) {
			const struct mesh_conf_cand *c = &peer->cands[i];

			wgm_buf_printf(b, "%s%s%s%s (%s", i ? ", " : "",
				       c->kind ? mesh_conf_cand_kind_name(c->kind) : "",
				       c->kind ? " " : "",
				       wgm_format_endpoint(&c->endpoint, tmp,
							   sizeof(tmp)),
				       wgm_candidate_state_name(c->state));
			if (c->rtt_us)
				wgm_buf_printf(b, ", rtt %u.%03u ms",
					       c->rtt_us / 1000,
					       c->rtt_us % 1000);
			if (c->flags & WGM_CANDIDATE_F_ACTIVE)
				wgm_buf_puts(b, ", active");
			wgm_buf_puts(b, ")");
		}
		wgm_buf_puts(b, "\n");
	}
	{
		struct wgm_buf why;

		const struct mesh_conf_cand *act = active_cand(peer);

		wgm_buf_init(&why);
		why_no_path(&why, peer, clk);
		if (why.len && why.s) {
			label(b, color, "path");
			wgm_buf_printf(b, "none (%s)\n", why.s);
		} else if (act) {
			/*
			 * "direct 203.0.113.2:53422", "relay 203.0.113.254:3479
			 * (udp)", or "relay 10.0.0.2:40000 (tcp)": meshd's local
			 * carrier of a relay over TCP
			 */
			label(b, color, "path");
			wgm_buf_printf(b, "%s %s%s\n",
				       act->kind == WGM_CANDIDATE_KIND_RELAY ? "relay" : "direct",
				       wgm_format_endpoint(&act->endpoint, tmp, sizeof(tmp)),
				       act->kind != WGM_CANDIDATE_KIND_RELAY ? "" :
				       act->local ? " (tcp)" : " (udp)");
		}
		wgm_buf_free(&why);
	}
	show_peer_nat(b, peer, own, color);
	show_birthday(b, peer, color);
}

/*
 * "stun servers: ..." and one "mapped address: ..." line per family, then
 * "nat: ..." (the mapping behaviour the servers' answers show).
 */
static void show_stun(struct wgm_buf *b, const struct mesh_conf_device *dev,
		      bool color)
{
	char tmp[WGM_ADDRSTRLEN], d[128];
	size_t i;

	if (dev->n_stun) {
		label(b, color, "stun servers");
		for (i = 0; i < dev->n_stun; i++)
			wgm_buf_printf(b, "%s%s", i ? ", " : "",
				       wgm_format_endpoint(&dev->stun[i].endpoint,
							   tmp, sizeof(tmp)));
		wgm_buf_puts(b, "\n");
	}
	for (i = 0; i < dev->n_mapped; i++) {
		const struct mesh_conf_mapped *m = &dev->mapped[i];

		label(b, color, "mapped address");
		wgm_buf_printf(b, "%s", wgm_format_endpoint(&m->endpoint, tmp,
							    sizeof(tmp)));
		wgm_fmt_duration(d, sizeof(d), m->age_ms / 1000);
		wgm_buf_printf(b, " (%s%s, from %s)\n", d,
			       m->age_ms >= 1000 ? " ago" : "",
			       wgm_format_endpoint(&m->server, tmp, sizeof(tmp)));
	}
	if (dev->n_stun) {
		enum wgm_nat_type t = wgm_nat_classify(dev->stun, dev->n_stun);

		label(b, color, "nat");
		wgm_buf_printf(b, "%s (%s)\n", wgm_nat_name(t),
			       wgm_nat_describe(t));
	}
}

void wgm_show_device(struct wgm_buf *b, const struct mesh_conf_device *dev,
		     const struct wgm_clock *clk, bool color)
{
	char k[WGM_KEY_B64_LEN + 1];
	size_t i;

	wgm_buf_printf(b, "%sinterface:%s %s\n", color ? C_GREEN : "",
		       color ? C_RESET : "", dev->name);
	if ((dev->has & MESH_CONF_DEV_HAS_PUBLIC_KEY) &&
	    !wgm_key_is_zero(dev->public_key)) {
		wgm_key_to_base64(k, dev->public_key);
		label(b, color, "public key");
		wgm_buf_printf(b, "%s\n", k);
	}
	if ((dev->has & MESH_CONF_DEV_HAS_PRIVATE_KEY) &&
	    !wgm_key_is_zero(dev->private_key)) {
		label(b, color, "private key");
		wgm_buf_puts(b, "(hidden)\n");
	}
	if (dev->listen_port) {
		label(b, color, "listening port");
		wgm_buf_printf(b, "%u\n", dev->listen_port);
	}
	if (dev->fwmark) {
		label(b, color, "fwmark");
		wgm_buf_printf(b, "0x%x\n", dev->fwmark);
	}
	show_stun(b, dev, color);
	for (i = 0; i < dev->n_peers; i++)
		show_peer(b, &dev->peers[i], wgm_nat_classify(dev->stun, dev->n_stun), clk, color);
}

const char *const wgm_show_fields[] = {
	"public-key", "private-key", "listen-port", "fwmark", "peers",
	"preshared-keys", "endpoints", "allowed-ips", "latest-handshakes",
	"transfer", "persistent-keepalive", "candidates", "dump",
	"stun-servers", "mapped", "stun-dropped", "nat", NULL
};

static void prefix(struct wgm_buf *b, const struct mesh_conf_device *dev,
		   bool with_name)
{
	if (with_name)
		wgm_buf_printf(b, "%s\t", dev->name);
}

static void peer_aips(struct wgm_buf *b, const struct mesh_conf_peer *peer,
		      const char *sep)
{
	char tmp[WGM_ADDRSTRLEN];
	size_t i;

	if (!peer->n_aips)
		wgm_buf_puts(b, "(none)");
	for (i = 0; i < peer->n_aips; i++)
		wgm_buf_printf(b, "%s%s", i ? sep : "",
			       wgm_format_cidr(&peer->aips[i], tmp, sizeof(tmp)));
}

static void peer_psk(struct wgm_buf *b, const struct mesh_conf_peer *peer)
{
	char k[WGM_KEY_B64_LEN + 1];

	show_key(k, peer->preshared_key);
	wgm_buf_puts(b, k);
}

static void dev_fwmark(struct wgm_buf *b, const struct mesh_conf_device *dev)
{
	if (dev->fwmark)
		wgm_buf_printf(b, "0x%x", dev->fwmark);
	else
		wgm_buf_puts(b, "off");
}

int wgm_show_field(struct wgm_buf *b, const struct mesh_conf_device *dev,
		   const char *field, bool with_name, struct wgm_err *err)
{
	char k[WGM_KEY_B64_LEN + 1], tmp[WGM_ADDRSTRLEN];
	bool dump = !strcmp(field, "dump");
	size_t i, j;

	if (!strcmp(field, "public-key") || !strcmp(field, "private-key")) {
		prefix(b, dev, with_name);
		show_key(k, field[1] == 'u' ? dev->public_key :
			 dev->private_key);
		wgm_buf_printf(b, "%s\n", k);
		return 0;
	}
	if (!strcmp(field, "listen-port")) {
		prefix(b, dev, with_name);
		wgm_buf_printf(b, "%u\n", dev->listen_port);
		return 0;
	}
	if (!strcmp(field, "fwmark")) {
		prefix(b, dev, with_name);
		dev_fwmark(b, dev);
		wgm_buf_puts(b, "\n");
		return 0;
	}
	if (!strcmp(field, "stun-dropped")) {
		prefix(b, dev, with_name);
		wgm_buf_printf(b, "%u\n", dev->stun_dropped);
		return 0;
	}
	if (!strcmp(field, "nat")) {
		prefix(b, dev, with_name);
		wgm_buf_printf(b, "%s\n", wgm_nat_name(wgm_nat_classify(dev->stun,
									dev->n_stun)));
		return 0;
	}
	/* one line per server: server, what it saw, requests, responses */
	if (!strcmp(field, "stun-servers")) {
		for (i = 0; i < dev->n_stun; i++) {
			const struct mesh_conf_stun *s = &dev->stun[i];

			prefix(b, dev, with_name);
			wgm_buf_printf(b, "%s\t", wgm_format_endpoint(&s->endpoint, tmp,
								      sizeof(tmp)));
			wgm_buf_printf(b, "%s\t%u\t%u\n",
				       wgm_format_endpoint(&s->mapped, tmp, sizeof(tmp)),
				       s->requests, s->responses);
		}
		return 0;
	}
	/* one line per family: mapped address, age in ms, server */
	if (!strcmp(field, "mapped")) {
		for (i = 0; i < dev->n_mapped; i++) {
			const struct mesh_conf_mapped *m = &dev->mapped[i];

			prefix(b, dev, with_name);
			wgm_buf_printf(b, "%s\t%u\t", wgm_format_endpoint(&m->endpoint, tmp,
									 sizeof(tmp)),
				       m->age_ms);
			wgm_buf_printf(b, "%s\n", wgm_format_endpoint(&m->server, tmp,
								      sizeof(tmp)));
		}
		return 0;
	}
	for (i = 0; wgm_show_fields[i]; i++)
		if (!strcmp(field, wgm_show_fields[i]))
			break;
	if (!wgm_show_fields[i]) {
		struct wgm_buf list;

		wgm_buf_init(&list);
		for (i = 0; wgm_show_fields[i]; i++)
			wgm_buf_printf(&list, "%s%s", i ? ", " : "",
				       wgm_show_fields[i]);
		wgm_err_set(err, "unknown show field '%s' (valid: %s)", field,
			    list.s ? list.s : "");
		wgm_buf_free(&list);
		return -1;
	}
	if (dump) {
		char pk[WGM_KEY_B64_LEN + 1];

		prefix(b, dev, with_name);
		show_key(k, dev->private_key);
		show_key(pk, dev->public_key);
		wgm_buf_printf(b, "%s\t%s\t%u\t", k, pk, dev->listen_port);
		dev_fwmark(b, dev);
		wgm_buf_puts(b, "\n");
	}
	for (i = 0; i < dev->n_peers; i++) {
		const struct mesh_conf_peer *peer = &dev->peers[i];

		prefix(b, dev, with_name);
		wgm_key_to_base64(k, peer->public_key);
		wgm_buf_puts(b, k);
		if (dump) {
			wgm_buf_puts(b, "\t");
			peer_psk(b, peer);
			wgm_buf_printf(b, "\t%s\t",
				       wgm_format_endpoint(&peer->endpoint, tmp,
							   sizeof(tmp)));
			peer_aips(b, peer, ",");
			wgm_buf_printf(b, "\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64
				       "\t", peer->last_handshake_sec,
				       peer->rx_bytes, peer->tx_bytes);
			if (peer->keepalive)
				wgm_buf_printf(b, "%u", peer->keepalive);
			else
				wgm_buf_puts(b, "off");
		} else if (!strcmp(field, "preshared-keys")) {
			wgm_buf_puts(b, "\t");
			peer_psk(b, peer);
		} else if (!strcmp(field, "endpoints")) {
			wgm_buf_printf(b, "\t%s",
				       wgm_format_endpoint(&peer->endpoint, tmp,
							   sizeof(tmp)));
		} else if (!strcmp(field, "allowed-ips")) {
			wgm_buf_puts(b, "\t");
			peer_aips(b, peer, " ");
		} else if (!strcmp(field, "latest-handshakes")) {
			wgm_buf_printf(b, "\t%" PRId64, peer->last_handshake_sec);
		} else if (!strcmp(field, "transfer")) {
			wgm_buf_printf(b, "\t%" PRIu64 "\t%" PRIu64,
				       peer->rx_bytes, peer->tx_bytes);
		} else if (!strcmp(field, "persistent-keepalive")) {
			if (peer->keepalive)
				wgm_buf_printf(b, "\t%u", peer->keepalive);
			else
				wgm_buf_puts(b, "\toff");
		} else if (!strcmp(field, "candidates")) {
			wgm_buf_puts(b, "\t");
			if (!peer->n_cands)
				wgm_buf_puts(b, "(none)");
			for (j = 0; j < peer->n_cands; j++)
				wgm_buf_printf(b, "%s%s", j ? "," : "",
					       wgm_format_endpoint(&peer->cands[j].endpoint,
								   tmp, sizeof(tmp)));
		}
		wgm_buf_puts(b, "\n");
	}
	return 0;
}
