// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshrelay's pure parts (logic.c): the service's RELAY_ALLOC and
 * RELAY_FREE applied to the table, the reconnect backoff, --relay-ports.
 */
#include "kselftest_harness.h"

#include <arpa/inet.h>
#include <string.h>

#include "meshrelay.h"

static struct mp_msg alloc_msg(uint16_t index, uint32_t id0, uint32_t id1)
{
	struct mp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_ALLOC;
	m.u.relay_alloc.index = index;
	memset(m.u.relay_alloc.side[0].node, 0xa, MP_KEY_LEN);
	memset(m.u.relay_alloc.side[1].node, 0xb, MP_KEY_LEN);
	m.u.relay_alloc.side[0].id = id0;
	m.u.relay_alloc.side[1].id = id1;
	memset(m.u.relay_alloc.side[0].key, 0x11, MP_RELAY_KEY_LEN);
	memset(m.u.relay_alloc.side[1].key, 0x22, MP_RELAY_KEY_LEN);
	return m;
}

TEST(service_messages_change_the_table)
{
	struct relay_table t;
	struct mp_msg m;
	union wgm_sockaddr a, oa;
	uint8_t bind[RELAY_BIND_LEN], key[RELAY_KEY_LEN];
	char log[256];
	uint16_t op;

	ASSERT_EQ(0, relay_init(&t, 4000, 4009, UINT32_MAX, 0));
	m = alloc_msg(2, 7, 8);
	EXPECT_EQ(1, meshrelay_apply(&t, &m, 10, log, sizeof(log)));
	EXPECT_STREQ("coord: allocation 2: ports 4004 and 4005", log);
	EXPECT_TRUE(t.allocs[2].used);
	/* the side binds with the key the service sent */
	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons(5555);
	memset(key, 0x11, sizeof(key));
	relay_bind_build(bind, 7, 1, key);
	EXPECT_EQ(RELAY_BOUND, relay_input(&t, 4004, &a, bind, sizeof(bind), 11, &op, &oa));
	/* beyond the table, or malformed: nothing */
	m = alloc_msg(5, 7, 8);
	EXPECT_EQ(0, meshrelay_apply(&t, &m, 12, log, sizeof(log)));
	EXPECT_NE(NULL, strstr(log, "outside our 5 allocations (ports 4000..4009)"));
	/* RELAY_FREE of another id (the index was reused): left alone */
	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_FREE;
	m.u.relay_free.index = 2;
	m.u.relay_free.id = 8;
	EXPECT_EQ(0, meshrelay_apply(&t, &m, 13, log, sizeof(log)));
	EXPECT_STREQ("", log);
	EXPECT_TRUE(t.allocs[2].used);
	m.u.relay_free.id = 7;
	EXPECT_EQ(1, meshrelay_apply(&t, &m, 14, log, sizeof(log)));
	EXPECT_STREQ("coord: allocation 2 (ports 4004 and 4005) ended", log);
	EXPECT_FALSE(t.allocs[2].used);
	EXPECT_EQ(0, meshrelay_apply(&t, &m, 15, log, sizeof(log)));	/* twice */
	m.u.relay_free.index = 60000;
	EXPECT_EQ(0, meshrelay_apply(&t, &m, 15, log, sizeof(log)));
	/* what a relay never takes */
	m.type = MP_RELAY;
	EXPECT_EQ(-1, meshrelay_apply(&t, &m, 16, log, sizeof(log)));
	m.type = MP_PEER;
	EXPECT_EQ(-1, meshrelay_apply(&t, &m, 16, log, sizeof(log)));
	relay_free(&t);
}

TEST(backoff_and_ports)
{
	unsigned int ms = 0, i;
	uint16_t lo, hi;

	ms = meshrelay_backoff_next(ms);
	EXPECT_EQ(1000u, ms);
	for (i = 0; i < 10; i++)
		ms = meshrelay_backoff_next(ms);
	EXPECT_EQ(60000u, ms);
	EXPECT_EQ(2000u, meshrelay_backoff_next(1000));
	EXPECT_EQ(1000u, meshrelay_backoff_jitter(1000, 0));
	EXPECT_EQ(1249u, meshrelay_backoff_jitter(1000, 249));
	EXPECT_EQ(1000u, meshrelay_backoff_jitter(1000, 250));
	EXPECT_EQ(0, meshrelay_parse_ports("3500-3999", &lo, &hi));
	EXPECT_EQ(3500, lo);
	EXPECT_EQ(3999, hi);
	EXPECT_EQ(-1, meshrelay_parse_ports("3500-3500", &lo, &hi));
	EXPECT_EQ(-1, meshrelay_parse_ports("0-10", &lo, &hi));
	EXPECT_EQ(-1, meshrelay_parse_ports("10-65536", &lo, &hi));
	EXPECT_EQ(-1, meshrelay_parse_ports("10-", &lo, &hi));
	EXPECT_EQ(-1, meshrelay_parse_ports("-10", &lo, &hi));
	EXPECT_EQ(-1, meshrelay_parse_ports("10-20x", &lo, &hi));
}

TEST_HARNESS_MAIN
