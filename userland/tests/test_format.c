// SPDX-License-Identifier: GPL-2.0-only
/* Human durations/bytes, JSON escaping and device JSON, show views. */
#include "kselftest_harness.h"
#include "testutil.h"

#include "addr.h"
#include "format.h"

TEST(duration)
{
	char b[128];

	wgm_fmt_duration(b, sizeof(b), 0);
	EXPECT_STREQ("Now", b);
	wgm_fmt_duration(b, sizeof(b), 1);
	EXPECT_STREQ("1 second", b);
	wgm_fmt_duration(b, sizeof(b), 63);
	EXPECT_STREQ("1 minute, 3 seconds", b);
	wgm_fmt_duration(b, sizeof(b), 3600);
	EXPECT_STREQ("1 hour", b);
	wgm_fmt_duration(b, sizeof(b), 2 * 86400 + 2 * 3600 + 1);
	EXPECT_STREQ("2 days, 2 hours, 1 second", b);
	wgm_fmt_duration(b, sizeof(b), 365ULL * 86400 + 120);
	EXPECT_STREQ("1 year, 2 minutes", b);
	wgm_fmt_duration(b, 8, 63);	/* truncation is safe */
	EXPECT_LT(strlen(b), 8);
}

TEST(bytes)
{
	char b[32];

	wgm_fmt_bytes(b, sizeof(b), 0);
	EXPECT_STREQ("0 B", b);
	wgm_fmt_bytes(b, sizeof(b), 1023);
	EXPECT_STREQ("1023 B", b);
	wgm_fmt_bytes(b, sizeof(b), 1024);
	EXPECT_STREQ("1.00 KiB", b);
	wgm_fmt_bytes(b, sizeof(b), 1229);
	EXPECT_STREQ("1.20 KiB", b);
	wgm_fmt_bytes(b, sizeof(b), 3ULL << 20);
	EXPECT_STREQ("3.00 MiB", b);
	wgm_fmt_bytes(b, sizeof(b), (5ULL << 30) + (512ULL << 20));
	EXPECT_STREQ("5.50 GiB", b);
	wgm_fmt_bytes(b, sizeof(b), UINT64_MAX);
	EXPECT_STREQ("16.00 EiB", b);
}

TEST(json_escaping)
{
	struct wgm_buf b;

	wgm_buf_init(&b);
	wgm_json_string(&b, "a\"b\\c\n\t\x01\x1f\x7f/é");
	EXPECT_STREQ("\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\\u007f/é\"", b.s);
	wgm_buf_free(&b);
	wgm_buf_init(&b);
	wgm_json_string(&b, "");
	EXPECT_STREQ("\"\"", b.s);
	wgm_buf_free(&b);
}

/* A device as a dump would report it. */
static void sample(struct mesh_conf_device *dev)
{
	struct mesh_conf_peer *p;
	struct mesh_conf_cand *c;
	struct wgm_err err;

	mesh_conf_device_init(dev);
	snprintf(dev->name, sizeof(dev->name), "wgm0");
	dev->has = MESH_CONF_DEV_HAS_PUBLIC_KEY | MESH_CONF_DEV_HAS_PRIVATE_KEY |
		   MESH_CONF_DEV_HAS_LISTEN_PORT | MESH_CONF_DEV_HAS_FWMARK;
	wgm_key_from_base64(dev->public_key, K1);
	wgm_key_from_base64(dev->private_key, K11);
	dev->listen_port = 51820;
	dev->fwmark = 0x2a;

	p = mesh_conf_device_add_peer(dev);
	wgm_key_from_base64(p->public_key, K2);
	wgm_parse_endpoint("192.0.2.1:51820", &p->endpoint, &err);
	wgm_parse_cidr("10.0.0.2/32", mesh_conf_peer_add_aip(p), &err);
	wgm_parse_cidr("fd00::2/128", mesh_conf_peer_add_aip(p), &err);
	p->last_handshake_sec = 1000000 - 63;
	p->rx_bytes = 1229;
	p->tx_bytes = 3482;
	p->keepalive = 25;
	p->has = MESH_CONF_PEER_HAS_CANDIDATES | MESH_CONF_PEER_HAS_STATS;
	c = mesh_conf_peer_add_cand(p);
	wgm_parse_endpoint("[2001:db8::1]:4500", &c->endpoint, &err);
	c->state = WGM_CANDIDATE_ALIVE;
	c->rtt_us = 1234;
	c->last_seen_ns = 500ULL * 1000000000ULL;
	c->flags = WGM_CANDIDATE_F_ACTIVE;

	p = mesh_conf_device_add_peer(dev);
	wgm_key_from_base64(p->public_key, K3);
}

static const struct wgm_clock clk = {
	.realtime_sec = 1000000,
	.boottime_ns = 510ULL * 1000000000ULL,
};

TEST(json_device)
{
	struct mesh_conf_device dev;
	struct wgm_buf b;

	sample(&dev);
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_STREQ("{\"name\":\"wgm0\",\"public_key\":\"" K1 "\",\"listen_port\":51820,"
		     "\"fwmark\":42,\"peers\":["
		     "{\"public_key\":\"" K2 "\",\"endpoint\":\"192.0.2.1:51820\","
		     "\"allowed_ips\":[\"10.0.0.2/32\",\"fd00::2/128\"],"
		     "\"latest_handshake\":999937,\"rx_bytes\":1229,\"tx_bytes\":3482,"
		     "\"persistent_keepalive\":25,\"candidates\":[{\"endpoint\":"
		     "\"[2001:db8::1]:4500\",\"kind\":\"direct\",\"state\":\"alive\",\"rtt_us\":1234,"
		     "\"last_seen\":999990,\"active\":true}],\"path\":\"direct\"},"
		     "{\"public_key\":\"" K3 "\",\"endpoint\":null,\"allowed_ips\":[],"
		     "\"latest_handshake\":0,\"rx_bytes\":0,\"tx_bytes\":0,"
		     "\"persistent_keepalive\":0}]}\n", b.s);
	/* The private key never appears in JSON. */
	EXPECT_EQ(NULL, strstr(b.s, K11));
	wgm_buf_free(&b);
	mesh_conf_device_free(&dev);
}

TEST(json_device_name_escaped_and_no_key)
{
	struct mesh_conf_device dev;
	struct wgm_buf b;

	mesh_conf_device_init(&dev);
	snprintf(dev.name, sizeof(dev.name), "a\"b");
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_STREQ("{\"name\":\"a\\\"b\",\"public_key\":null,\"listen_port\":0,"
		     "\"fwmark\":0,\"peers\":[]}\n", b.s);
	wgm_buf_free(&b);
}

TEST(show_why_no_path)
{
	struct mesh_conf_device dev;
	struct mesh_conf_cand *c;
	struct mesh_conf_peer *p;
	struct wgm_err err;
	struct wgm_buf b;

	mesh_conf_device_init(&dev);
	snprintf(dev.name, sizeof(dev.name), "wgm0");
	p = mesh_conf_device_add_peer(&dev);
	wgm_key_from_base64(p->public_key, K2);
	p->has = MESH_CONF_PEER_HAS_CANDIDATES | MESH_CONF_PEER_HAS_PATH_STATUS;
	c = mesh_conf_peer_add_cand(p);
	wgm_parse_endpoint("203.0.113.4:51830", &c->endpoint, &err);
	c->state = WGM_CANDIDATE_DEAD;
	c->probes_sent = 25;
	p->path.flags = WGM_PATH_F_PROBE_KEY;
	p->path.punches = 1;
	p->path.punch_result = WGM_EVENT_REASON_PUNCH_FAILED;
	p->path.last_punch_ns = 505ULL * 1000000000ULL;
	p->path.no_path_since_ns = 500ULL * 1000000000ULL;
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_NE(NULL, strstr(b.s, "  path: none (candidates tried 25 times, no answer for 10 seconds; "
			       "peer never answered a probe (a standard WireGuard peer, or no path gets "
			       "through), trying handshakes; "
			       "punch failed 5 seconds ago)\n"));
	wgm_buf_free(&b);
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_NE(NULL, strstr(b.s, "\"path_status\":{\"probe_key\":true,\"speaks_probes\":false,"
			       "\"punches\":1,\"punch_result\":\"failed\",\"last_punch\":999995,"
			       "\"no_path_since\":999990,\"why\":\"candidates tried 25 times"));
	EXPECT_NE(NULL, strstr(b.s, "\"path\":\"none\""));
	wgm_buf_free(&b);
	/* a path is active: nothing to explain, the path is named */
	c->state = WGM_CANDIDATE_ALIVE;
	c->flags = WGM_CANDIDATE_F_ACTIVE;
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_EQ(NULL, strstr(b.s, "path: none"));
	EXPECT_NE(NULL, strstr(b.s, "  path: direct 203.0.113.4:51830\n"));
	wgm_buf_free(&b);
	/* over a relay */
	c = mesh_conf_peer_add_cand(p);
	wgm_parse_candidate("relay:198.51.100.9:3479", c, &err);
	c->state = WGM_CANDIDATE_ALIVE;
	c->flags = WGM_CANDIDATE_F_ACTIVE;
	p->cands[0].state = WGM_CANDIDATE_DEAD;
	p->cands[0].flags = 0;
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_NE(NULL, strstr(b.s, "  path: relay 198.51.100.9:3479 (udp)\n"));
	EXPECT_NE(NULL, strstr(b.s, "  candidates: 203.0.113.4:51830 (dead), "
			       "relay 198.51.100.9:3479 (alive, active)\n"));
	wgm_buf_free(&b);
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_NE(NULL, strstr(b.s, "{\"endpoint\":\"198.51.100.9:3479\",\"kind\":\"relay\","
			       "\"transport\":\"udp\",\"state\":\"alive\""));
	EXPECT_NE(NULL, strstr(b.s, "],\"path\":\"relay\""));
	EXPECT_EQ(NULL, strstr(b.s, "\"kind\":\"direct\",\"transport\""));	/* relays only */
	wgm_buf_free(&b);
	/* a relay on one of our own addresses: meshd's carrier of a relay over TCP */
	c->local = true;
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_NE(NULL, strstr(b.s, "  path: relay 198.51.100.9:3479 (tcp)\n"));
	wgm_buf_free(&b);
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_NE(NULL, strstr(b.s, "\"kind\":\"relay\",\"transport\":\"tcp\""));
	wgm_buf_free(&b);
	mesh_conf_device_free(&dev);
}

TEST(human_show)
{
	struct mesh_conf_device dev;
	struct wgm_buf b;

	sample(&dev);
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_STREQ("interface: wgm0\n"
		     "  public key: " K1 "\n"
		     "  private key: (hidden)\n"
		     "  listening port: 51820\n"
		     "  fwmark: 0x2a\n"
		     "\n"
		     "peer: " K2 "\n"
		     "  endpoint: 192.0.2.1:51820\n"
		     "  allowed ips: 10.0.0.2/32, fd00::2/128\n"
		     "  latest handshake: 1 minute, 3 seconds ago\n"
		     "  transfer: 1.20 KiB received, 3.40 KiB sent\n"
		     "  persistent keepalive: every 25 seconds\n"
		     "  candidates: [2001:db8::1]:4500 (alive, rtt 1.234 ms, active)\n"
		     "  path: direct [2001:db8::1]:4500\n"
		     "\n"
		     "peer: " K3 "\n"
		     "  allowed ips: (none)\n", b.s);
	EXPECT_EQ(NULL, strchr(b.s, '\x1b'));
	wgm_buf_free(&b);

	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, true);
	EXPECT_NE(NULL, strstr(b.s, "\x1b[1;32minterface:\x1b[0m wgm0\n"));
	wgm_buf_free(&b);
	mesh_conf_device_free(&dev);
}

TEST(sort_by_handshake)
{
	struct mesh_conf_device dev;

	sample(&dev);
	dev.peers[1].last_handshake_sec = 2000000;
	mesh_conf_device_sort_peers_by_handshake(&dev);
	EXPECT_EQ(0x40, dev.peers[0].public_key[0]);
	EXPECT_EQ(0x20, dev.peers[1].public_key[0]);
	EXPECT_EQ(2, dev.peers[1].n_aips);
	mesh_conf_device_free(&dev);
}

TEST(fields)
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	struct wgm_buf b;

	sample(&dev);
#define FIELD(f, name, want) do {					\
		wgm_buf_init(&b);					\
		ASSERT_EQ(0, wgm_show_field(&b, &dev, f, name, &err));	\
		EXPECT_STREQ(want, b.s);				\
		wgm_buf_free(&b);					\
	} while (0)
	FIELD("public-key", false, K1 "\n");
	FIELD("private-key", false, K11 "\n");
	FIELD("listen-port", true, "wgm0\t51820\n");
	FIELD("fwmark", false, "0x2a\n");
	FIELD("peers", false, K2 "\n" K3 "\n");
	FIELD("endpoints", false, K2 "\t192.0.2.1:51820\n" K3 "\t(none)\n");
	FIELD("allowed-ips", false, K2 "\t10.0.0.2/32 fd00::2/128\n" K3 "\t(none)\n");
	FIELD("latest-handshakes", false, K2 "\t999937\n" K3 "\t0\n");
	FIELD("transfer", false, K2 "\t1229\t3482\n" K3 "\t0\t0\n");
	FIELD("persistent-keepalive", false, K2 "\t25\n" K3 "\toff\n");
	FIELD("preshared-keys", false, K2 "\t(none)\n" K3 "\t(none)\n");
	FIELD("candidates", false, K2 "\t[2001:db8::1]:4500\n" K3 "\t(none)\n");
	FIELD("dump", true,
	      "wgm0\t" K11 "\t" K1 "\t51820\t0x2a\n"
	      "wgm0\t" K2 "\t(none)\t192.0.2.1:51820\t10.0.0.2/32,fd00::2/128\t999937\t1229\t3482\t25\n"
	      "wgm0\t" K3 "\t(none)\t(none)\t(none)\t0\t0\t0\toff\n");
#undef FIELD
	wgm_buf_init(&b);
	EXPECT_EQ(-1, wgm_show_field(&b, &dev, "bogus", false, &err));
	EXPECT_NE(NULL, strstr(err.msg, "unknown show field 'bogus' (valid: public-key,"));
	wgm_buf_free(&b);
	mesh_conf_device_free(&dev);
}

TEST(peer_nat_and_birthday)
{
	struct mesh_conf_device dev;
	struct mesh_conf_cand *c;
	struct mesh_conf_peer *p;
	struct wgm_err err;
	struct wgm_buf b;

	mesh_conf_device_init(&dev);
	snprintf(dev.name, sizeof(dev.name), "wgm0");
	p = mesh_conf_device_add_peer(&dev);
	wgm_key_from_base64(p->public_key, K2);
	p->has = MESH_CONF_PEER_HAS_CANDIDATES | MESH_CONF_PEER_HAS_NAT |
		 MESH_CONF_PEER_HAS_BIRTHDAY;
	p->nat = WGM_NAT_HARD;
	c = mesh_conf_peer_add_cand(p);
	wgm_parse_endpoint("203.0.113.254:3501", &c->endpoint, &err);
	c->kind = WGM_CANDIDATE_KIND_RELAY;
	c->state = WGM_CANDIDATE_ALIVE;
	c->flags = WGM_CANDIDATE_F_ACTIVE;
	p->bday.state = WGM_BIRTHDAY_STATE_FAILED;
	p->bday.sent = 1024;

	/* ours unknown: the peer's label only */
	EXPECT_FALSE(wgm_relay_only(p, WGM_NAT_UNKNOWN));
	EXPECT_FALSE(wgm_relay_only(p, WGM_NAT_EASY));
	EXPECT_TRUE(wgm_relay_only(p, WGM_NAT_HARD));
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_NE(NULL, strstr(b.s, "  peer nat: hard (endpoint-dependent mapping)\n"));
	EXPECT_EQ(NULL, strstr(b.s, "  direct: not attempted"));
	EXPECT_NE(NULL, strstr(b.s, "  birthday: failed, 1024 probes sent\n"));
	wgm_buf_free(&b);
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_NE(NULL, strstr(b.s, "\"nat\":\"hard\",\"birthday\":{\"state\":\"failed\","
			       "\"sockets\":0,\"sent\":1024,\"port\":0}"));
	wgm_buf_free(&b);

	/* a direct path: nothing to explain */
	c->kind = WGM_CANDIDATE_KIND_STUN;
	EXPECT_FALSE(wgm_relay_only(p, WGM_NAT_HARD));
	p->has &= ~MESH_CONF_PEER_HAS_NAT;
	c->kind = WGM_CANDIDATE_KIND_RELAY;
	EXPECT_FALSE(wgm_relay_only(p, WGM_NAT_HARD));
	mesh_conf_device_free(&dev);
}

TEST(candidate_last_seen)
{
	struct mesh_conf_cand c = { .last_seen_ns = 0 };

	EXPECT_EQ(0, mesh_conf_cand_last_seen_unix(&c, &clk));
	c.last_seen_ns = clk.boottime_ns;
	EXPECT_EQ(clk.realtime_sec, mesh_conf_cand_last_seen_unix(&c, &clk));
	c.last_seen_ns = clk.boottime_ns + 5;	/* clock skew: not in the future */
	EXPECT_EQ(clk.realtime_sec, mesh_conf_cand_last_seen_unix(&c, &clk));
	EXPECT_STREQ("probing", wgm_candidate_state_name(WGM_CANDIDATE_PROBING));
	EXPECT_STREQ("invalid", wgm_candidate_state_name(200));
}

TEST_HARNESS_MAIN
