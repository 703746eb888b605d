// SPDX-License-Identifier: GPL-2.0-only
/* meshcoord's pure decisions: the punch strategy per pair, --stun2's default. */
#include "kselftest_harness.h"
#include "coord_test.h"

#include "proto.h"
#include "server.h"

TEST(pair_strategy)
{
	static const uint8_t all[] = { MP_NAT_UNKNOWN, MP_NAT_EASY, MP_NAT_HARD };
	unsigned int i, j;

	EXPECT_EQ(MP_NOPUNCH_BOTH_HARD, coord_pair_strategy(MP_NAT_HARD, MP_NAT_HARD));
	/* every other pair is punched, as before NAT types existed */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (all[i] != MP_NAT_HARD || all[j] != MP_NAT_HARD)
				EXPECT_EQ(0, coord_pair_strategy(all[i], all[j]))
					TH_LOG("%u %u", all[i], all[j]);
	/* symmetric */
	EXPECT_EQ(coord_pair_strategy(MP_NAT_EASY, MP_NAT_HARD),
		  coord_pair_strategy(MP_NAT_HARD, MP_NAT_EASY));
}

TEST(stun2_default)
{
	struct wgm_err e;
	char out[80];

	ASSERT_EQ(0, coord_stun2_default("[::]:3478", out, sizeof(out), &e));
	EXPECT_STREQ("[::]:3479", out);
	ASSERT_EQ(0, coord_stun2_default("0.0.0.0:3478", out, sizeof(out), &e));
	EXPECT_STREQ("0.0.0.0:3479", out);
	ASSERT_EQ(0, coord_stun2_default("[2001:db8::1]:1", out, sizeof(out), &e));
	EXPECT_STREQ("[2001:db8::1]:2", out);
	ASSERT_EQ(0, coord_stun2_default("127.0.0.1:0", out, sizeof(out), &e));
	EXPECT_STREQ("127.0.0.1:0", out);
	EXPECT_EQ(-1, coord_stun2_default("127.0.0.1:65535", out, sizeof(out), &e));
	EXPECT_NE(NULL, strstr(e.msg, "--stun2"));
	EXPECT_EQ(-1, coord_stun2_default("127.0.0.1", out, sizeof(out), &e));
	EXPECT_EQ(-1, coord_stun2_default("[::]:3478", out, 8, &e));
}

/* --relay-ports: LO-HI or any:N, nothing else */
TEST(relay_ports)
{
	uint16_t lo, hi;
	unsigned int any;
	struct wgm_err e;

	EXPECT_EQ(0, coord_parse_relay_ports("3500-3999", &lo, &hi, &any, &e));
	EXPECT_EQ(3500, lo);
	EXPECT_EQ(3999, hi);
	EXPECT_EQ(0u, any);
	EXPECT_EQ(0, coord_parse_relay_ports("any:16", &lo, &hi, &any, &e));
	EXPECT_EQ(16u, any);
	EXPECT_EQ(-1, coord_parse_relay_ports("any:15", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("any:0", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("any:", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("3999-3500", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("3500-3500", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("0-10", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("10-65536", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("-10", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("10-", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("10-20x", &lo, &hi, &any, &e));
	EXPECT_EQ(-1, coord_parse_relay_ports("", &lo, &hi, &any, &e));
}

TEST_HARNESS_MAIN
