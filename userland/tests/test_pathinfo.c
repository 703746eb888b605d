// SPDX-License-Identifier: GPL-2.0-only
/* ping's verdict and monitor's path lines (pathinfo.h). */
#include "kselftest_harness.h"
#include "testutil.h"

#include "addr.h"
#include "natclass.h"
#include "pathinfo.h"

#define SEC 1000000000ULL
/* the ping's punch went out at 100 s (CLOCK_BOOTTIME) */
#define START (100 * SEC)

static struct mesh_conf_cand *add(struct mesh_conf_peer *p, const char *text,
				  uint8_t state, uint32_t sent, uint32_t lost)
{
	struct mesh_conf_cand *c = mesh_conf_peer_add_cand(p);
	struct wgm_err err;

	if (!c || wgm_parse_candidate(text, c, &err))
		abort();
	c->state = state;
	c->probes_sent = sent;
	c->probes_lost = lost;
	return c;
}

static void answer(struct mesh_conf_cand *c, uint32_t rtt_us, bool active)
{
	c->state = WGM_CANDIDATE_ALIVE;
	c->rtt_us = rtt_us;
	c->last_seen_ns = START + SEC / 2;
	c->flags = active ? WGM_CANDIDATE_F_ACTIVE : 0;
}

/* The peer before (counters) and after the punch. */
static void pair(struct mesh_conf_device *before, struct mesh_conf_device *after)
{
	mesh_conf_device_init(before);
	mesh_conf_device_init(after);
	mesh_conf_device_add_peer(before);
	mesh_conf_device_add_peer(after);
}

static const char *report(struct wgm_buf *b, const struct mesh_conf_device *after,
			   const struct mesh_conf_device *before, unsigned int nat,
			   enum wgm_ping_result *res)
{
	wgm_buf_init(b);
	*res = wgm_ping_report(b, &after->peers[0], before ? &before->peers[0] : NULL,
			       START, nat);
	return b->s;
}

TEST(ping_direct)
{
	struct mesh_conf_device before, after;
	enum wgm_ping_result res;
	struct wgm_buf b;

	pair(&before, &after);
	add(&before.peers[0], "stun:203.0.113.2:53422", WGM_CANDIDATE_ALIVE, 40, 2);
	add(&before.peers[0], "relay:203.0.113.254:3501", WGM_CANDIDATE_ALIVE, 40, 0);
	answer(add(&after.peers[0], "stun:203.0.113.2:53422", WGM_CANDIDATE_ALIVE, 43, 2),
	       812, true);
	answer(add(&after.peers[0], "relay:203.0.113.254:3501", WGM_CANDIDATE_ALIVE, 43, 0),
	       2100, false);
	EXPECT_STREQ("stun      203.0.113.2:53422         alive rtt 0.81 ms, active\n"
		     "relay/udp 203.0.113.254:3501        alive rtt 2.10 ms\n"
		     "pong from 203.0.113.2:53422 (direct) in 0.81 ms\n",
		     report(&b, &after, &before, WGM_NAT_EASY, &res));
	EXPECT_EQ(WGM_PING_DIRECT, res);
	wgm_buf_free(&b);
	mesh_conf_device_free(&before);
	mesh_conf_device_free(&after);
}

TEST(ping_relayed_says_why)
{
	struct mesh_conf_device before, after;
	enum wgm_ping_result res;
	struct wgm_buf b;

	pair(&before, &after);
	/* lifetime counters: only this ping's probes count */
	add(&before.peers[0], "stun:203.0.113.2:40000", WGM_CANDIDATE_PROBING, 500, 497);
	add(&before.peers[0], "local:10.2.0.2:51820", WGM_CANDIDATE_DEAD, 200, 200);
	add(&before.peers[0], "relay:203.0.113.254:3501", WGM_CANDIDATE_ALIVE, 90, 0);
	add(&after.peers[0], "stun:203.0.113.2:40000", WGM_CANDIDATE_PROBING, 505, 500);
	add(&after.peers[0], "local:10.2.0.2:51820", WGM_CANDIDATE_DEAD, 200, 200);
	answer(add(&after.peers[0], "relay:203.0.113.254:3501", WGM_CANDIDATE_ALIVE, 95, 0),
	       2100, true);
	EXPECT_STREQ("stun      203.0.113.2:40000         not answering (3 probes lost)\n"
		     "local     10.2.0.2:51820            dead\n"
		     "relay/udp 203.0.113.254:3501        alive rtt 2.10 ms, active\n"
		     "pong via relay 203.0.113.254:3501 (udp) in 2.10 ms; direct: "
		     "203.0.113.2:40000 not answering (3 probes lost), 10.2.0.2:51820 dead\n",
		     report(&b, &after, &before, WGM_NAT_EASY, &res));
	EXPECT_EQ(WGM_PING_RELAY, res);
	wgm_buf_free(&b);

	/* the relay over meshd's TCP carrier; this host behind a hard NAT */
	after.peers[0].cands[2].local = true;
	after.peers[0].cands[1].probes_lost = 203;
	EXPECT_STREQ("stun      203.0.113.2:40000         not answering (3 probes lost)\n"
		     "local     10.2.0.2:51820            dead (3 probes lost)\n"
		     "relay/tcp 203.0.113.254:3501        alive rtt 2.10 ms, active\n"
		     "pong via relay 203.0.113.254:3501 (tcp) in 2.10 ms; direct: "
		     "203.0.113.2:40000 not answering (3 probes lost), 10.2.0.2:51820 dead "
		     "(3 probes lost); this host's NAT is hard (endpoint-dependent mapping)\n",
		     report(&b, &after, &before, WGM_NAT_HARD, &res));
	EXPECT_EQ(WGM_PING_RELAY, res);
	wgm_buf_free(&b);

	/* a direct path answered but is not chosen yet */
	answer(&after.peers[0].cands[0], 900, false);
	EXPECT_NE(NULL, strstr(report(&b, &after, &before, WGM_NAT_EASY, &res),
			       "; direct: 203.0.113.2:40000 alive rtt 0.90 ms, not in use yet, "
			       "10.2.0.2:51820 dead (3 probes lost)\n"));
	EXPECT_EQ(WGM_PING_RELAY, res);
	wgm_buf_free(&b);
	mesh_conf_device_free(&before);
	mesh_conf_device_free(&after);
}

TEST(ping_no_pong)
{
	struct mesh_conf_device before, after;
	enum wgm_ping_result res;
	struct mesh_conf_cand *c;
	struct wgm_buf b;

	pair(&before, &after);
	/* no snapshot: the counters are taken whole; a new candidate, not probed */
	add(&after.peers[0], "203.0.113.2:40000", WGM_CANDIDATE_PROBING, 2, 0);
	add(&after.peers[0], "static:[2001:db8::2]:51820", WGM_CANDIDATE_UNKNOWN, 0, 0);
	EXPECT_STREQ("direct    203.0.113.2:40000         not answering (2 probes sent, no answer yet)\n"
		     "static    [2001:db8::2]:51820       not probed\n"
		     "no pong: no path; direct: 203.0.113.2:40000 not answering (2 probes sent, "
		     "no answer yet), [2001:db8::2]:51820 not probed; relay: none\n",
		     report(&b, &after, NULL, WGM_NAT_UNKNOWN, &res));
	EXPECT_EQ(WGM_PING_NONE, res);
	wgm_buf_free(&b);

	/* the active relay answered before the ping, not since */
	c = add(&after.peers[0], "relay:203.0.113.254:3501", WGM_CANDIDATE_ALIVE, 9, 1);
	c->flags = WGM_CANDIDATE_F_ACTIVE;
	c->last_seen_ns = START - SEC;
	EXPECT_NE(NULL, strstr(report(&b, &after, NULL, WGM_NAT_UNKNOWN, &res),
			       "no pong: the active path 203.0.113.254:3501 (relay) did not answer; "
			       "direct: 203.0.113.2:40000"));
	EXPECT_NE(NULL, strstr(b.s, "; relay: 203.0.113.254:3501 not answering (1 probe lost)\n"));
	EXPECT_EQ(WGM_PING_NONE, res);
	wgm_buf_free(&b);
	mesh_conf_device_free(&after);

	/* no candidates at all */
	mesh_conf_device_init(&after);
	mesh_conf_device_add_peer(&after);
	EXPECT_STREQ("no pong: the peer has no candidate endpoints\n",
		     report(&b, &after, NULL, WGM_NAT_UNKNOWN, &res));
	EXPECT_EQ(WGM_PING_NONE, res);
	wgm_buf_free(&b);
	mesh_conf_device_free(&before);
	mesh_conf_device_free(&after);
}

TEST(path_classes)
{
	struct mesh_conf_device dev;
	union wgm_sockaddr ep;
	struct wgm_err err;
	struct mesh_conf_cand *c;

	mesh_conf_device_init(&dev);
	mesh_conf_device_add_peer(&dev);
	add(&dev.peers[0], "portmap:203.0.113.2:40000", WGM_CANDIDATE_ALIVE, 0, 0);
	c = add(&dev.peers[0], "relay:203.0.113.254:3501", WGM_CANDIDATE_ALIVE, 0, 0);
	wgm_parse_endpoint("203.0.113.2:40000", &ep, &err);
	EXPECT_EQ(WGM_PATH_DIRECT, wgm_peer_path_class(&dev.peers[0], &ep));
	wgm_parse_endpoint("203.0.113.254:3501", &ep, &err);
	EXPECT_EQ(WGM_PATH_RELAY_UDP, wgm_peer_path_class(&dev.peers[0], &ep));
	c->local = true;
	EXPECT_EQ(WGM_PATH_RELAY_TCP, wgm_peer_path_class(&dev.peers[0], &ep));
	wgm_parse_endpoint("203.0.113.254:3502", &ep, &err);
	EXPECT_EQ(WGM_PATH_UNKNOWN, wgm_peer_path_class(&dev.peers[0], &ep));
	memset(&ep, 0, sizeof(ep));
	EXPECT_EQ(WGM_PATH_UNKNOWN, wgm_peer_path_class(&dev.peers[0], &ep));
	EXPECT_STREQ("relay over tcp", wgm_path_class_name(WGM_PATH_RELAY_TCP));
	mesh_conf_device_free(&dev);
}

static const char *path_event(struct wgm_buf *b, const char *old, const char *nw,
			      uint32_t reason, uint32_t rtt_us,
			      enum wgm_path_class from, enum wgm_path_class to)
{
	struct wgm_event ev = { .present = true, .type = WGM_EVENT_PATH_CHANGED,
				.reason = reason, .value = rtt_us };
	struct wgm_err err;

	if (old)
		wgm_parse_endpoint(old, &ev.old_ep, &err);
	if (nw)
		wgm_parse_endpoint(nw, &ev.new_ep, &err);
	wgm_buf_init(b);
	wgm_event_format(b, &ev, from, to);
	return b->s;
}

TEST(monitor_relay_direct_switches)
{
	struct wgm_buf b;

#define EV(want, ...) do {						\
		EXPECT_STREQ(want, path_event(&b, __VA_ARGS__));	\
		wgm_buf_free(&b);					\
	} while (0)
	EV(" path 203.0.113.254:3501 -> 203.0.113.2:40000 (relay -> direct, faster, rtt 0.42 ms);",
	   "203.0.113.254:3501", "203.0.113.2:40000", WGM_EVENT_REASON_RTT, 420,
	   WGM_PATH_RELAY_UDP, WGM_PATH_DIRECT);
	EV(" path 203.0.113.2:40000 -> 203.0.113.254:3501 (direct -> relay, failover, rtt 2.10 ms);",
	   "203.0.113.2:40000", "203.0.113.254:3501", WGM_EVENT_REASON_FAILOVER, 2100,
	   WGM_PATH_DIRECT, WGM_PATH_RELAY_UDP);
	EV(" path 203.0.113.2:40000 -> 10.1.0.2:40001 (direct -> relay over tcp, failover);",
	   "203.0.113.2:40000", "10.1.0.2:40001", WGM_EVENT_REASON_FAILOVER, 0,
	   WGM_PATH_DIRECT, WGM_PATH_RELAY_TCP);
	/* direct to direct, or a side not known: as before */
	EV(" path 10.0.0.7:51820 -> 198.51.100.7:51820 (failover, rtt 0.42 ms);",
	   "10.0.0.7:51820", "198.51.100.7:51820", WGM_EVENT_REASON_FAILOVER, 420,
	   WGM_PATH_DIRECT, WGM_PATH_DIRECT);
	EV(" path 10.0.0.7:51820 -> 198.51.100.7:51820 (roaming, rtt 0.42 ms);",
	   "10.0.0.7:51820", "198.51.100.7:51820", WGM_EVENT_REASON_ROAMING, 420,
	   WGM_PATH_UNKNOWN, WGM_PATH_DIRECT);
	/* the first path: what it is */
	EV(" path (none) -> 203.0.113.254:3501 (relay, ok, rtt 2.10 ms);",
	   NULL, "203.0.113.254:3501", WGM_EVENT_REASON_PUNCH_OK, 2100,
	   WGM_PATH_UNKNOWN, WGM_PATH_RELAY_UDP);
	/* the path died and nothing took over (yet) */
	EV(" path 203.0.113.2:40000 -> (none) (direct -> none, failover);",
	   "203.0.113.2:40000", NULL, WGM_EVENT_REASON_FAILOVER, 0,
	   WGM_PATH_DIRECT, WGM_PATH_UNKNOWN);
	EV(" path 10.1.0.2:40001 -> (none) (relay over tcp -> none, failover);",
	   "10.1.0.2:40001", NULL, WGM_EVENT_REASON_FAILOVER, 0,
	   WGM_PATH_RELAY_TCP, WGM_PATH_UNKNOWN);
	EV(" path 10.0.0.7:51820 -> (none) (failover);",
	   "10.0.0.7:51820", NULL, WGM_EVENT_REASON_FAILOVER, 0,
	   WGM_PATH_UNKNOWN, WGM_PATH_UNKNOWN);
#undef EV
}

TEST(monitor_other_events)
{
	struct wgm_event ev = { .present = true, .type = WGM_EVENT_PUNCH_DONE,
				.reason = WGM_EVENT_REASON_PUNCH_OK, .value = 180 };
	struct wgm_err err;
	struct wgm_buf b;

	wgm_parse_endpoint("198.51.100.7:51820", &ev.new_ep, &err);
	wgm_buf_init(&b);
	wgm_event_format(&b, &ev, WGM_PATH_UNKNOWN, WGM_PATH_UNKNOWN);
	EXPECT_STREQ(" punch ok via 198.51.100.7:51820 after 180 ms;", b.s);
	wgm_buf_free(&b);
	ev.type = WGM_EVENT_CANDIDATE_STATE;
	ev.reason = WGM_CANDIDATE_DEAD;
	wgm_buf_init(&b);
	wgm_event_format(&b, &ev, WGM_PATH_RELAY_UDP, WGM_PATH_DIRECT);
	EXPECT_STREQ(" candidate 198.51.100.7:51820 is dead;", b.s);
	wgm_buf_free(&b);
	ev.type = WGM_EVENT_STUN_MAPPED;
	wgm_parse_endpoint("203.0.113.1:51820", &ev.old_ep, &err);
	wgm_buf_init(&b);
	wgm_event_format(&b, &ev, WGM_PATH_UNKNOWN, WGM_PATH_UNKNOWN);
	EXPECT_STREQ(" mapped 198.51.100.7:51820 (was 203.0.113.1:51820);", b.s);
	wgm_buf_free(&b);
}

TEST_HARNESS_MAIN
