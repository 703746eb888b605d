// SPDX-License-Identifier: GPL-2.0-only
/* meshcoord's pure decisions: the punch strategy per pair, the mapped candidate, --stun2's default. */
#include "kselftest_harness.h"
#include "coord_test.h"

#include <arpa/inet.h>
#include <string.h>

#include "proto.h"
#include "server.h"

TEST(pair_strategy)
{
	static const uint8_t all[] = { MP_NAT_UNKNOWN, MP_NAT_EASY, MP_NAT_HARD };
	struct coord_strategy st;
	unsigned int i, j, b;

	for (b = 0; b < 2; b++) {
		st = coord_pair_strategy(MP_NAT_HARD, MP_NAT_HARD, b);
		EXPECT_EQ(MP_NOPUNCH_BOTH_HARD, st.no_punch);
		EXPECT_EQ(MP_BIRTHDAY_NONE, st.birthday_a);
		EXPECT_EQ(MP_BIRTHDAY_NONE, st.birthday_b);
	}
	/* every other pair is punched, as before NAT types existed */
	for (b = 0; b < 2; b++)
		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++)
				if (all[i] != MP_NAT_HARD || all[j] != MP_NAT_HARD)
					EXPECT_EQ(0, coord_pair_strategy(all[i], all[j], b).no_punch)
						TH_LOG("%u %u %u", all[i], all[j], b);
	/* easy <-> hard: the hard side opens, the easy side sprays */
	st = coord_pair_strategy(MP_NAT_HARD, MP_NAT_EASY, true);
	EXPECT_EQ(MP_BIRTHDAY_OPEN, st.birthday_a);
	EXPECT_EQ(MP_BIRTHDAY_SPRAY, st.birthday_b);
	st = coord_pair_strategy(MP_NAT_EASY, MP_NAT_HARD, true);
	EXPECT_EQ(MP_BIRTHDAY_SPRAY, st.birthday_a);
	EXPECT_EQ(MP_BIRTHDAY_OPEN, st.birthday_b);
	/* ... unless turned off (--no-birthday, an agent before version 5) */
	st = coord_pair_strategy(MP_NAT_EASY, MP_NAT_HARD, false);
	EXPECT_EQ(MP_BIRTHDAY_NONE, st.birthday_a);
	EXPECT_EQ(MP_BIRTHDAY_NONE, st.birthday_b);
	/* an unknown side, easy <-> easy: a plain punch */
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			if ((all[i] == MP_NAT_EASY && all[j] == MP_NAT_HARD) ||
			    (all[i] == MP_NAT_HARD && all[j] == MP_NAT_EASY))
				continue;
			st = coord_pair_strategy(all[i], all[j], true);
			EXPECT_EQ(MP_BIRTHDAY_NONE, st.birthday_a) TH_LOG("%u %u", all[i], all[j]);
			EXPECT_EQ(MP_BIRTHDAY_NONE, st.birthday_b) TH_LOG("%u %u", all[i], all[j]);
		}
	/* symmetric */
	EXPECT_EQ(coord_pair_strategy(MP_NAT_EASY, MP_NAT_HARD, true).birthday_a,
		  coord_pair_strategy(MP_NAT_HARD, MP_NAT_EASY, true).birthday_b);
}

static void cand4(struct mp_candidate *c, const char *ip, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_INET;
	inet_pton(AF_INET, ip, c->addr);
	c->port = port;
}

/* The NAT-mapped candidate: the first IPv4 one at the connection's address. */
TEST(mapped_candidate)
{
	struct mp_candidates c = { 0 };
	struct mp_candidate src;

	cand4(&src, "203.0.113.3", 0);
	EXPECT_EQ(MP_MAPPED_NONE, coord_mapped_cand(&c, &src));
	c.n = 4;
	cand4(&c.c[0], "192.168.1.7", 51820);
	c.c[1].family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::cb00:7103", c.c[1].addr);
	memcpy(c.c[1].addr, src.addr, 4);	/* IPv6 never matches */
	c.c[1].port = 51820;
	cand4(&c.c[2], "203.0.113.3", 40000);
	cand4(&c.c[3], "203.0.113.3", 51820);	/* a port mapping after it */
	EXPECT_EQ(2, coord_mapped_cand(&c, &src));
	cand4(&src, "198.51.100.9", 0);		/* another NAT address */
	EXPECT_EQ(MP_MAPPED_NONE, coord_mapped_cand(&c, &src));
	/* connected over IPv6: nothing to compare */
	memset(&src, 0, sizeof(src));
	src.family = AF_INET6;
	EXPECT_EQ(MP_MAPPED_NONE, coord_mapped_cand(&c, &src));
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

/* Which relay carries a pair: the homes, their RTTs, what is usable, TCP. */
TEST(relay_placement)
{
	static const char *const names[] = { "eu", "us", "asia" };
	bool usable[] = { true, true, true };

	/* nobody measured: the embedded relay */
	EXPECT_EQ(-1, coord_relay_place("", 0, false, "", 0, false, names, usable, 3));
	/* one home: it, whichever side reports it */
	EXPECT_EQ(0, coord_relay_place("eu", 5000, false, "", 0, false, names, usable, 3));
	EXPECT_EQ(1, coord_relay_place("", 0, false, "us", 5000, false, names, usable, 3));
	/* two homes: the one of the node farther from its home, either order */
	EXPECT_EQ(1, coord_relay_place("eu", 5000, false, "us", 9000, false, names, usable, 3));
	EXPECT_EQ(1, coord_relay_place("us", 9000, false, "eu", 5000, false, names, usable, 3));
	/* a tie: the name first in order, either way round */
	EXPECT_EQ(0, coord_relay_place("us", 7000, false, "eu", 7000, false, names, usable, 3));
	EXPECT_EQ(0, coord_relay_place("eu", 7000, false, "us", 7000, false, names, usable, 3));
	/* the first choice unusable (offline, full): the other home */
	usable[1] = false;
	EXPECT_EQ(0, coord_relay_place("eu", 5000, false, "us", 9000, false, names, usable, 3));
	/* neither usable, or a home that is the embedded relay or unknown: embedded */
	usable[0] = false;
	EXPECT_EQ(-1, coord_relay_place("eu", 5000, false, "us", 9000, false, names, usable, 3));
	EXPECT_EQ(-1, coord_relay_place("coord", 5000, false, "mars", 9000, false, names, usable, 3));
	EXPECT_EQ(2, coord_relay_place("coord", 5000, false, "asia", 1000, false, names, usable, 3));
	/* a node whose relays ride TCP: embedded, always */
	EXPECT_EQ(-1, coord_relay_place("asia", 5000, true, "asia", 9000, false, names, usable, 3));
	EXPECT_EQ(-1, coord_relay_place("asia", 5000, false, "asia", 9000, true, names, usable, 3));
	/* no meshrelay at all */
	EXPECT_EQ(-1, coord_relay_place("eu", 5000, false, "us", 9000, false, names, usable, 0));
}

TEST_HARNESS_MAIN
