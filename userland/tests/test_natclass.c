// SPDX-License-Identifier: GPL-2.0-only
/* NAT mapping classification from STUN snapshots, and how show prints it. */
#include "kselftest_harness.h"
#include "testutil.h"

#include "addr.h"
#include "format.h"
#include "natclass.h"

/* Server and mapped as text ("" = no answer yet). */
static void obs(struct mesh_conf_stun *s, const char *server, const char *mapped)
{
	struct wgm_err err;

	memset(s, 0, sizeof(*s));
	if (wgm_parse_endpoint(server, &s->endpoint, &err))
		abort();
	if (*mapped && wgm_parse_endpoint(mapped, &s->mapped, &err))
		abort();
}

TEST(names)
{
	EXPECT_STREQ("unknown", wgm_nat_name(WGM_NAT_UNKNOWN));
	EXPECT_STREQ("easy", wgm_nat_name(WGM_NAT_EASY));
	EXPECT_STREQ("hard", wgm_nat_name(WGM_NAT_HARD));
	EXPECT_STREQ("unknown", wgm_nat_name(3));
	EXPECT_STREQ("unknown", wgm_nat_name(255));
	EXPECT_STREQ("endpoint-dependent mapping", wgm_nat_describe(WGM_NAT_HARD));
}

TEST(nothing_or_one_answer_is_unknown)
{
	struct mesh_conf_stun s[4];

	EXPECT_EQ(WGM_NAT_UNKNOWN, wgm_nat_classify(NULL, 0));
	obs(&s[0], "198.51.100.1:3478", "203.0.113.1:40000");
	EXPECT_EQ(WGM_NAT_UNKNOWN, wgm_nat_classify(s, 1));
	/* the second server has not answered (yet) */
	obs(&s[1], "198.51.100.1:3479", "");
	EXPECT_EQ(WGM_NAT_UNKNOWN, wgm_nat_classify(s, 2));
	/* one answer per family is not two answers */
	obs(&s[2], "[2001:db8::1]:3478", "[2001:db8:1::5]:51820");
	obs(&s[3], "[2001:db8::1]:3479", "");
	EXPECT_EQ(WGM_NAT_UNKNOWN, wgm_nat_classify(s, 4));
}

TEST(same_mapping_from_both_is_easy)
{
	struct mesh_conf_stun s[2];

	obs(&s[0], "198.51.100.1:3478", "203.0.113.1:40000");
	obs(&s[1], "198.51.100.1:3479", "203.0.113.1:40000");
	EXPECT_EQ(WGM_NAT_EASY, wgm_nat_classify(s, 2));
	/* two server addresses instead of two ports: the same */
	obs(&s[1], "198.51.100.2:3478", "203.0.113.1:40000");
	EXPECT_EQ(WGM_NAT_EASY, wgm_nat_classify(s, 2));
}

TEST(different_port_or_address_is_hard)
{
	struct mesh_conf_stun s[2];

	obs(&s[0], "198.51.100.1:3478", "203.0.113.1:40000");
	obs(&s[1], "198.51.100.1:3479", "203.0.113.1:40001");
	EXPECT_EQ(WGM_NAT_HARD, wgm_nat_classify(s, 2));
	/* same port, another public address (a NAT with an address pool) */
	obs(&s[1], "198.51.100.1:3479", "203.0.113.2:40000");
	EXPECT_EQ(WGM_NAT_HARD, wgm_nat_classify(s, 2));
}

TEST(no_nat_mapped_is_local_is_easy)
{
	struct mesh_conf_stun s[2];

	/* the host has a public address: both see it with its own port */
	obs(&s[0], "198.51.100.1:3478", "192.0.2.10:51820");
	obs(&s[1], "198.51.100.1:3479", "192.0.2.10:51820");
	EXPECT_EQ(WGM_NAT_EASY, wgm_nat_classify(s, 2));
}

TEST(ipv6)
{
	struct mesh_conf_stun s[2];

	obs(&s[0], "[2001:db8::1]:3478", "[2001:db8:1::5]:51820");
	obs(&s[1], "[2001:db8::1]:3479", "[2001:db8:1::5]:51820");
	EXPECT_EQ(WGM_NAT_EASY, wgm_nat_classify(s, 2));
	/* an IPv6 NAT (NAT66/NPT with port translation) that maps per server */
	obs(&s[1], "[2001:db8::1]:3479", "[2001:db8:1::5]:61000");
	EXPECT_EQ(WGM_NAT_HARD, wgm_nat_classify(s, 2));
}

TEST(dual_stack_families_apart)
{
	struct mesh_conf_stun s[4];

	/* IPv4 and IPv6 see different addresses by nature: not "hard" */
	obs(&s[0], "198.51.100.1:3478", "203.0.113.1:40000");
	obs(&s[1], "[2001:db8::1]:3478", "[2001:db8:1::5]:51820");
	obs(&s[2], "198.51.100.1:3479", "203.0.113.1:40000");
	obs(&s[3], "[2001:db8::1]:3479", "[2001:db8:1::5]:51820");
	EXPECT_EQ(WGM_NAT_EASY, wgm_nat_classify(s, 4));
	/* IPv6 easy but the IPv4 NAT hard: hard wins */
	obs(&s[2], "198.51.100.1:3479", "203.0.113.1:50000");
	EXPECT_EQ(WGM_NAT_HARD, wgm_nat_classify(s, 4));
	/* IPv4 has one answer only, IPv6 shows easy: easy */
	obs(&s[2], "198.51.100.1:3479", "");
	EXPECT_EQ(WGM_NAT_EASY, wgm_nat_classify(s, 4));
}

TEST(repeated_server_counts_once)
{
	struct mesh_conf_stun s[2];

	obs(&s[0], "198.51.100.1:3478", "203.0.113.1:40000");
	obs(&s[1], "198.51.100.1:3478", "203.0.113.1:40000");
	EXPECT_EQ(WGM_NAT_UNKNOWN, wgm_nat_classify(s, 2));
}

TEST(mapped_of_another_family_ignored)
{
	struct mesh_conf_stun s[2];

	/* a garbled snapshot: an IPv4 server reporting an IPv6 mapping */
	obs(&s[0], "198.51.100.1:3478", "[2001:db8:1::5]:51820");
	obs(&s[1], "198.51.100.1:3479", "203.0.113.1:40000");
	EXPECT_EQ(WGM_NAT_UNKNOWN, wgm_nat_classify(s, 2));
}

static const struct wgm_clock clk = { .realtime_sec = 1000, .boottime_ns = 0 };

TEST(show_and_json)
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	struct wgm_buf b;

	mesh_conf_device_init(&dev);
	snprintf(dev.name, sizeof(dev.name), "wgm0");
	dev.has = MESH_CONF_DEV_HAS_STUN;
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_NE(NULL, strstr(b.s, ",\"stun_dropped\":0,\"nat\":\"unknown\"}\n"));
	wgm_buf_free(&b);
	/* no STUN server: no nat line in the human view */
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_EQ(NULL, strstr(b.s, "nat:"));
	wgm_buf_free(&b);

	obs(&dev.stun[0], "198.51.100.1:3478", "203.0.113.1:40000");
	obs(&dev.stun[1], "198.51.100.1:3479", "203.0.113.1:40001");
	dev.n_stun = 2;
	wgm_buf_init(&b);
	wgm_json_device(&b, &dev, &clk);
	EXPECT_NE(NULL, strstr(b.s, ",\"nat\":\"hard\"}\n"));
	wgm_buf_free(&b);
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, false);
	EXPECT_NE(NULL, strstr(b.s, "\n  nat: hard (endpoint-dependent mapping)\n"));
	wgm_buf_free(&b);
	wgm_buf_init(&b);
	ASSERT_EQ(0, wgm_show_field(&b, &dev, "nat", true, &err));
	EXPECT_STREQ("wgm0\thard\n", b.s);
	wgm_buf_free(&b);

	obs(&dev.stun[1], "198.51.100.1:3479", "203.0.113.1:40000");
	wgm_buf_init(&b);
	ASSERT_EQ(0, wgm_show_field(&b, &dev, "nat", false, &err));
	EXPECT_STREQ("easy\n", b.s);
	wgm_buf_free(&b);
	mesh_conf_device_free(&dev);
}

TEST_HARNESS_MAIN
