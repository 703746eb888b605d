// SPDX-License-Identifier: GPL-2.0-only
/*
 * The relay core (relay.c, Documentation/relay.rst): allocations, binds,
 * forwarding, limits, and what strangers, forgers and replayers get
 * (nothing).  Also BLAKE2s against Python's hashlib.
 */
#include "kselftest_harness.h"
#include "coord_test.h"

#include <arpa/inet.h>

#include "blake2s.h"
#include "relay.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sscanf(s + 2 * i, "%2hhx", &out[i]);
}

TEST(blake2s_vectors)
{
	uint8_t in[200], key[32], out[32], want[32];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	/* RFC 7693 appendix B */
	ASSERT_EQ(0, wgm_blake2s(out, 32, (const uint8_t *)"abc", 3, NULL, 0));
	hex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982", want, 32);
	EXPECT_EQ(0, memcmp(out, want, 32));
	/* the rest from hashlib.blake2s */
	wgm_blake2s(out, 16, in, 0, key, 32);
	hex("9536f9b267655743dee97b8a670f9f53", want, 16);
	EXPECT_EQ(0, memcmp(out, want, 16));
	wgm_blake2s(out, 16, in, 16, key, 32);
	hex("246519722001f6e8e97a2183f5985e53", want, 16);
	EXPECT_EQ(0, memcmp(out, want, 16));
	wgm_blake2s(out, 32, in, 200, key, 7);
	hex("fca1897beb28529a26bafb6439b4f608128fa796699d5fedbee34758bde06ed0", want, 32);
	EXPECT_EQ(0, memcmp(out, want, 32));
	wgm_blake2s(out, 32, in, 64, NULL, 0);
	hex("56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e", want, 32);
	EXPECT_EQ(0, memcmp(out, want, 32));
	wgm_blake2s(out, 16, in, 128, key, 32);
	hex("8c09f698d03eaf88abf69f8147865ef6", want, 16);
	EXPECT_EQ(0, memcmp(out, want, 16));
	EXPECT_EQ(-1, wgm_blake2s(out, 33, in, 1, NULL, 0));
	EXPECT_EQ(-1, wgm_blake2s(out, 0, in, 1, NULL, 0));
	EXPECT_EQ(-1, wgm_blake2s(out, 16, in, 1, key, 33));
}

static const uint8_t NODE_A[32] = { 0xa };
static const uint8_t NODE_B[32] = { 0xb };
static const uint8_t NODE_C[32] = { 0xc };

static union wgm_sockaddr sa4(const char *ip, uint16_t port)
{
	union wgm_sockaddr s;

	memset(&s, 0, sizeof(s));
	s.in.sin_family = AF_INET;
	s.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &s.in.sin_addr);
	return s;
}

static void rnd_fill(uint8_t *r, uint8_t seed)
{
	for (size_t i = 0; i < RELAY_ALLOC_RANDOM; i++)
		r[i] = (uint8_t)(seed + i * 7);
}

/* A table with one allocation a<->b at time 0: grants in g. */
static int setup(struct relay_table *t, struct relay_grant g[2])
{
	uint8_t rnd[RELAY_ALLOC_RANDOM];

	if (relay_init(t, 3500, 3509, 2, 10000))
		return -1;
	rnd_fill(rnd, 1);
	return relay_alloc(t, NODE_A, NODE_B, rnd, 0, g);
}

static enum relay_verdict in(struct relay_table *t, uint16_t port, union wgm_sockaddr src,
			     const uint8_t *pkt, size_t len, uint64_t now,
			     uint16_t *op, union wgm_sockaddr *oa)
{
	return relay_input(t, port, &src, pkt, len, now, op, oa);
}

TEST(allocation_grants)
{
	struct relay_table t;
	struct relay_grant g[2];
	unsigned int side;

	ASSERT_EQ(0, setup(&t, g));
	EXPECT_EQ(0, memcmp(g[0].peer, NODE_B, 32));
	EXPECT_EQ(0, memcmp(g[1].peer, NODE_A, 32));
	EXPECT_EQ(3500, g[0].port);
	EXPECT_EQ(3501, g[1].port);
	EXPECT_NE(0, memcmp(g[0].key, g[1].key, 32));
	EXPECT_NE(g[0].id, g[1].id);
	EXPECT_EQ(0, relay_port_alloc(&t, 3501, &side));
	EXPECT_EQ(1, side);
	EXPECT_EQ(-1, relay_port_alloc(&t, 3502, &side));	/* not allocated */
	EXPECT_EQ(-1, relay_port_alloc(&t, 3499, &side));
	EXPECT_EQ(0, relay_find(&t, NODE_B, NODE_A));
	relay_free(&t);
}

TEST(limits_on_allocations)
{
	struct relay_table t;
	struct relay_grant g[2];
	uint8_t rnd[RELAY_ALLOC_RANDOM] = { 0 };
	uint8_t n[32];
	int i;

	/* 3500..3509: 5 allocations; 2 per node */
	ASSERT_EQ(0, setup(&t, g));
	EXPECT_EQ(5, t.n);
	EXPECT_EQ(-1, relay_alloc(&t, NODE_A, NODE_B, rnd, 0, g));	/* pair has one */
	EXPECT_EQ(-1, relay_alloc(&t, NODE_C, NODE_C, rnd, 0, g));	/* itself */
	EXPECT_EQ(1, relay_alloc(&t, NODE_A, NODE_C, rnd, 0, g));
	EXPECT_EQ(1, g[0].id);	/* an id of 0 becomes 1 */
	memset(n, 0xd, sizeof(n));
	EXPECT_EQ(-1, relay_alloc(&t, NODE_A, n, rnd, 0, g));	/* a is at its limit */
	for (i = 0; i < 3; i++) {
		uint8_t x[32] = { 0x10 + i }, y[32] = { 0x20 + i };

		EXPECT_EQ(2 + i, relay_alloc(&t, x, y, rnd, 0, g));
	}
	{
		uint8_t x[32] = { 0x30 }, y[32] = { 0x31 };

		EXPECT_EQ(-1, relay_alloc(&t, x, y, rnd, 0, g));	/* ports used up */
	}
	relay_release(&t, 1);
	EXPECT_EQ(1, relay_count_node(&t, NODE_A));
	EXPECT_EQ(1, relay_alloc(&t, NODE_A, n, rnd, 0, g));
	relay_free(&t);
	EXPECT_EQ(-1, relay_init(&t, 0, 10, 1, 0));
	EXPECT_EQ(-1, relay_init(&t, 10, 10, 1, 0));
	EXPECT_EQ(-1, relay_init(&t, 10, 11, 0, 0));
}

TEST(forwarding_needs_both_sides_bound)
{
	struct relay_table t;
	struct relay_grant g[2];
	union wgm_sockaddr a = sa4("198.51.100.1", 40001), b = sa4("198.51.100.2", 40002), oa;
	uint8_t bind[RELAY_BIND_LEN], data[100] = { 4 };
	uint16_t op;

	ASSERT_EQ(0, setup(&t, g));
	/* nobody bound: nothing goes anywhere */
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, a, data, sizeof(data), 1, &op, &oa));
	relay_bind_build(bind, g[0].id, 10, g[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3500, a, bind, sizeof(bind), 2, &op, &oa));
	/* a bound, b not: still nothing */
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, a, data, sizeof(data), 3, &op, &oa));
	relay_bind_build(bind, g[1].id, 5, g[1].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3501, b, bind, sizeof(bind), 4, &op, &oa));
	/* both bound: a -> b from b's port, and back */
	EXPECT_EQ(RELAY_FORWARD, in(&t, 3500, a, data, sizeof(data), 5, &op, &oa));
	EXPECT_EQ(3501, op);
	EXPECT_EQ(oa.in.sin_addr.s_addr, b.in.sin_addr.s_addr);
	EXPECT_EQ(oa.in.sin_port, b.in.sin_port);
	EXPECT_EQ(RELAY_FORWARD, in(&t, 3501, b, data, sizeof(data), 6, &op, &oa));
	EXPECT_EQ(3500, op);
	EXPECT_EQ(oa.in.sin_port, a.in.sin_port);
	EXPECT_EQ(1, t.allocs[0].side[0].fwd_pkts);
	/* a's binding expires: nothing more either way */
	EXPECT_EQ(RELAY_DROP, in(&t, 3501, b, data, sizeof(data), 2 + RELAY_BIND_FRESH_MS, &op, &oa));
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, a, data, sizeof(data), 2 + RELAY_BIND_FRESH_MS, &op, &oa));
	relay_free(&t);
}

TEST(strangers_forgers_and_replayers_get_nothing)
{
	struct relay_table t;
	struct relay_grant g[2];
	union wgm_sockaddr a = sa4("198.51.100.1", 40001), b = sa4("198.51.100.2", 40002);
	union wgm_sockaddr evil = sa4("203.0.113.66", 666), oa;
	uint8_t bind[RELAY_BIND_LEN], old[RELAY_BIND_LEN], forged[RELAY_BIND_LEN];
	uint8_t data[60] = { 1 }, key[32] = { 0 };
	uint16_t op;

	ASSERT_EQ(0, setup(&t, g));
	relay_bind_build(old, g[0].id, 10, g[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3500, a, old, sizeof(old), 1, &op, &oa));
	relay_bind_build(bind, g[1].id, 10, g[1].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3501, b, bind, sizeof(bind), 1, &op, &oa));

	/* a stranger's data on either port, and on a port with no allocation */
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, evil, data, sizeof(data), 2, &op, &oa));
	EXPECT_EQ(RELAY_DROP, in(&t, 3501, evil, data, sizeof(data), 2, &op, &oa));
	EXPECT_EQ(RELAY_DROP, in(&t, 3502, evil, data, sizeof(data), 2, &op, &oa));
	/* a replayed bind from the stranger's address: the counter is old */
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, evil, old, sizeof(old), 3, &op, &oa));
	/* a bind under a wrong key, with the right id and a new counter */
	relay_bind_build(forged, g[0].id, 1000, key);
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, evil, forged, sizeof(forged), 3, &op, &oa));
	/* b's valid bind sent to a's port (wrong id for that side) */
	relay_bind_build(forged, g[1].id, 1000, g[1].key);
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, evil, forged, sizeof(forged), 3, &op, &oa));
	/* a's key with b's id on b's port */
	relay_bind_build(forged, g[1].id, 1000, g[0].key);
	EXPECT_EQ(RELAY_DROP, in(&t, 3501, evil, forged, sizeof(forged), 3, &op, &oa));
	/* a flipped mac bit */
	relay_bind_build(forged, g[0].id, 1000, g[0].key);
	forged[31] ^= 1;
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, evil, forged, sizeof(forged), 3, &op, &oa));
	/* a bind one byte short or long is data from a stranger */
	relay_bind_build(forged, g[0].id, 1000, g[0].key);
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, evil, forged, sizeof(forged) - 1, 3, &op, &oa));
	EXPECT_EQ(5, t.bad_binds);
	/* none of that moved a binding: a and b still talk, evil never gets anything */
	EXPECT_EQ(RELAY_FORWARD, in(&t, 3501, b, data, sizeof(data), 4, &op, &oa));
	EXPECT_EQ(oa.in.sin_addr.s_addr, a.in.sin_addr.s_addr);
	EXPECT_EQ(RELAY_FORWARD, in(&t, 3500, a, data, sizeof(data), 4, &op, &oa));
	EXPECT_EQ(oa.in.sin_addr.s_addr, b.in.sin_addr.s_addr);
	/* a's next bind from a new address (NAT rebinding) moves it; the old one is cut */
	relay_bind_build(bind, g[0].id, 11, g[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3500, sa4("198.51.100.1", 40009), bind, sizeof(bind), 5,
				  &op, &oa));
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, a, data, sizeof(data), 6, &op, &oa));
	/* and the same bind again (a replay) is refused */
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, evil, bind, sizeof(bind), 7, &op, &oa));
	EXPECT_EQ(RELAY_FORWARD, in(&t, 3501, b, data, sizeof(data), 8, &op, &oa));
	EXPECT_EQ(htons(40009), oa.in.sin_port);
	relay_free(&t);
}

TEST(rate_cap_per_side)
{
	struct relay_table t;
	struct relay_grant g[2];
	union wgm_sockaddr a = sa4("198.51.100.1", 1), b = sa4("198.51.100.2", 2), oa;
	uint8_t bind[RELAY_BIND_LEN], data[1000] = { 4 };
	unsigned int i, sent = 0;
	uint16_t op;

	/* 10000 bytes per second, burst 10000 */
	ASSERT_EQ(0, setup(&t, g));
	relay_bind_build(bind, g[0].id, 1, g[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3500, a, bind, sizeof(bind), 0, &op, &oa));
	relay_bind_build(bind, g[1].id, 1, g[1].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3501, b, bind, sizeof(bind), 0, &op, &oa));
	for (i = 0; i < 50; i++)
		sent += in(&t, 3500, a, data, sizeof(data), 0, &op, &oa) == RELAY_FORWARD;
	EXPECT_EQ(10, sent);
	/* b's direction has its own bucket */
	EXPECT_EQ(RELAY_FORWARD, in(&t, 3501, b, data, sizeof(data), 0, &op, &oa));
	/* half a second later: 5000 bytes more */
	sent = 0;
	for (i = 0; i < 50; i++)
		sent += in(&t, 3500, a, data, sizeof(data), 500, &op, &oa) == RELAY_FORWARD;
	EXPECT_EQ(5, sent);
	relay_free(&t);
}

TEST(node_release_and_idle_expiry)
{
	struct relay_table t;
	struct relay_grant g[2];
	uint8_t rnd[RELAY_ALLOC_RANDOM] = { 0 }, bind[RELAY_BIND_LEN];
	union wgm_sockaddr a = sa4("198.51.100.1", 1), oa;
	unsigned int pos = 0;
	uint16_t op;
	int i;

	ASSERT_EQ(0, setup(&t, g));
	EXPECT_EQ(1, relay_alloc(&t, NODE_C, NODE_B, rnd, 0, g));
	EXPECT_EQ(0, relay_next_of_node(&t, NODE_B, &pos));
	EXPECT_EQ(1, relay_next_of_node(&t, NODE_B, &pos));
	EXPECT_EQ(-1, relay_next_of_node(&t, NODE_B, &pos));
	pos = 0;
	EXPECT_EQ(1, relay_next_of_node(&t, NODE_C, &pos));
	/* allocation 0 is bound late; 1 never is */
	relay_bind_build(bind, t.allocs[0].side[0].id, 1, t.allocs[0].side[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3500, a, bind, sizeof(bind), RELAY_IDLE_MS - 1, &op, &oa));
	pos = 0;
	EXPECT_EQ(-1, relay_next_idle(&t, RELAY_IDLE_MS - 1, &pos));
	pos = 0;
	i = relay_next_idle(&t, RELAY_IDLE_MS, &pos);
	EXPECT_EQ(1, i);
	EXPECT_EQ(-1, relay_next_idle(&t, RELAY_IDLE_MS, &pos));
	relay_release(&t, (unsigned int)i);
	EXPECT_EQ(0, relay_count_node(&t, NODE_C));
	/* the released ports say nothing to anyone */
	EXPECT_EQ(RELAY_DROP, in(&t, 3502, a, bind, sizeof(bind), RELAY_IDLE_MS, &op, &oa));
	relay_free(&t);
}

TEST(sides_carried_over_tcp)
{
	struct relay_table t;
	struct relay_grant g[2];
	union wgm_sockaddr b = sa4("198.51.100.2", 40002), other = sa4("198.51.100.9", 9), oa;
	uint8_t bind[RELAY_BIND_LEN], data[100] = { 4 };
	unsigned int side, pos;
	uint16_t op;

	ASSERT_EQ(0, setup(&t, g));
	EXPECT_EQ(0, relay_find_side(&t, NODE_A, g[0].id, &side));
	EXPECT_EQ(0, side);
	EXPECT_EQ(-1, relay_find_side(&t, NODE_B, g[0].id, &side));	/* not b's id */
	EXPECT_EQ(-1, relay_find_side(&t, NODE_A, 0, &side));
	/* only a side's own node can move it to TCP */
	EXPECT_EQ(-1, relay_tcp_set(&t, NODE_B, g[0].id, true, 1));
	EXPECT_EQ(-1, relay_tcp_set(&t, NODE_C, g[0].id, true, 1));
	/* not carried over TCP yet: what a sends over its connection is dropped */
	EXPECT_EQ(RELAY_DROP, relay_tcp_input(&t, NODE_A, g[0].id, sizeof(data), 1, &op, &oa));
	EXPECT_EQ(0, relay_tcp_set(&t, NODE_A, g[0].id, true, 1));
	/* b not bound: nothing goes */
	EXPECT_EQ(RELAY_DROP, relay_tcp_input(&t, NODE_A, g[0].id, sizeof(data), 2, &op, &oa));
	relay_bind_build(bind, g[1].id, 5, g[1].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3501, b, bind, sizeof(bind), 3, &op, &oa));
	/* a (TCP) -> b (UDP): to b's bound address from b's port */
	EXPECT_EQ(RELAY_FORWARD, relay_tcp_input(&t, NODE_A, g[0].id, sizeof(data), 4, &op, &oa));
	EXPECT_EQ(3501, op);
	EXPECT_EQ(oa.in.sin_port, b.in.sin_port);
	/* b (UDP) -> a (TCP): over a's connection */
	EXPECT_EQ(RELAY_FORWARD_TCP, in(&t, 3501, b, data, sizeof(data), 5, &op, &oa));
	EXPECT_EQ(3500, op);
	/* nobody can use a's UDP port while it is carried over TCP */
	EXPECT_EQ(RELAY_DROP, in(&t, 3500, other, data, sizeof(data), 6, &op, &oa));
	/* b's id over a's connection, or a's id over b's: nothing */
	EXPECT_EQ(RELAY_DROP, relay_tcp_input(&t, NODE_A, g[1].id, sizeof(data), 7, &op, &oa));
	EXPECT_EQ(RELAY_DROP, relay_tcp_input(&t, NODE_B, g[0].id, sizeof(data), 7, &op, &oa));
	/* a TCP side stays fresh and its allocation is never idle */
	pos = 0;
	EXPECT_EQ(-1, relay_next_idle(&t, 4 * RELAY_IDLE_MS, &pos));
	relay_bind_build(bind, g[1].id, 6, g[1].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3501, b, bind, sizeof(bind), 2 * RELAY_BIND_FRESH_MS, &op, &oa));
	EXPECT_EQ(RELAY_FORWARD_TCP,
		  in(&t, 3501, b, data, sizeof(data), 2 * RELAY_BIND_FRESH_MS, &op, &oa));
	/* the rate cap holds over TCP too: 10000 bytes a second */
	for (pos = 0; pos < 200; pos++)
		relay_tcp_input(&t, NODE_A, g[0].id, sizeof(data), 3 * RELAY_BIND_FRESH_MS, &op, &oa);
	EXPECT_EQ(RELAY_DROP, relay_tcp_input(&t, NODE_A, g[0].id, sizeof(data),
					      3 * RELAY_BIND_FRESH_MS, &op, &oa));
	/* back to UDP: unbound until the kernel's next bind, which ends TCP too */
	EXPECT_EQ(0, relay_tcp_set(&t, NODE_A, g[0].id, false, 10));
	EXPECT_EQ(RELAY_DROP, in(&t, 3501, b, data, sizeof(data), 11, &op, &oa));
	EXPECT_EQ(0, relay_tcp_set(&t, NODE_A, g[0].id, true, 12));
	relay_bind_build(bind, g[0].id, 7, g[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&t, 3500, other, bind, sizeof(bind), 13, &op, &oa));
	EXPECT_FALSE(t.allocs[0].side[0].tcp);
	EXPECT_EQ(RELAY_DROP, relay_tcp_input(&t, NODE_A, g[0].id, sizeof(data), 14, &op, &oa));
	relay_free(&t);
}

/*
 * meshrelay: the service allocates on its mirror table, the relay
 * installs the same allocation at the same index and forwards with the
 * grants the service handed out; a replacement forgets the old bindings.
 */
TEST(installed_allocation_forwards_like_a_local_one)
{
	struct relay_table svc, rel;
	struct relay_grant g[2];
	union wgm_sockaddr a = sa4("198.51.100.1", 40001), b = sa4("198.51.100.2", 40002), oa;
	uint8_t rnd[RELAY_ALLOC_RANDOM], bind[RELAY_BIND_LEN], data[64] = { 4 };
	uint8_t node[2][RELAY_NODE_LEN], key[2][RELAY_KEY_LEN];
	uint32_t id[2];
	uint16_t op;
	unsigned int s;
	int i;

	ASSERT_EQ(0, relay_init(&svc, 3500, 3509, 2, 0));
	ASSERT_EQ(0, relay_init(&rel, 3500, 3509, 1, 10000));
	rnd_fill(rnd, 1);
	ASSERT_EQ(0, relay_alloc(&svc, NODE_C, NODE_A, rnd, 0, g));
	rnd_fill(rnd, 2);
	i = relay_alloc(&svc, NODE_A, NODE_B, rnd, 0, g);
	ASSERT_EQ(1, i);
	for (s = 0; s < 2; s++) {
		memcpy(node[s], svc.allocs[i].side[s].node, RELAY_NODE_LEN);
		memcpy(key[s], svc.allocs[i].side[s].key, RELAY_KEY_LEN);
		id[s] = svc.allocs[i].side[s].id;
	}
	ASSERT_EQ(0, relay_install(&rel, (unsigned int)i, node, id, key, 100));
	EXPECT_EQ(1, relay_port_alloc(&rel, g[0].port, &s));
	EXPECT_EQ(0, s);
	relay_bind_build(bind, g[0].id, 1, g[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&rel, g[0].port, a, bind, sizeof(bind), 101, &op, &oa));
	relay_bind_build(bind, g[1].id, 1, g[1].key);
	EXPECT_EQ(RELAY_BOUND, in(&rel, g[1].port, b, bind, sizeof(bind), 102, &op, &oa));
	EXPECT_EQ(RELAY_FORWARD, in(&rel, g[0].port, a, data, sizeof(data), 103, &op, &oa));
	EXPECT_EQ(g[1].port, op);
	EXPECT_EQ(oa.in.sin_port, b.in.sin_port);
	/* a stranger's datagram and a bind under the wrong side's key: nothing */
	EXPECT_EQ(RELAY_DROP, in(&rel, g[0].port, sa4("203.0.113.99", 1), data, sizeof(data),
				 104, &op, &oa));
	relay_bind_build(bind, g[0].id, 2, g[1].key);
	EXPECT_EQ(RELAY_DROP, in(&rel, g[0].port, b, bind, sizeof(bind), 105, &op, &oa));
	/* replaced: the old bindings are gone, counters start afresh */
	id[0] = 77;
	ASSERT_EQ(0, relay_install(&rel, (unsigned int)i, node, id, key, 200));
	EXPECT_FALSE(rel.allocs[i].side[1].bound);
	EXPECT_EQ(RELAY_DROP, in(&rel, g[1].port, b, data, sizeof(data), 201, &op, &oa));
	relay_bind_build(bind, 77, 1, g[0].key);
	EXPECT_EQ(RELAY_BOUND, in(&rel, g[0].port, a, bind, sizeof(bind), 202, &op, &oa));
	/* refused: out of range, id 0, one node on both sides */
	EXPECT_EQ(-1, relay_install(&rel, rel.n, node, id, key, 300));
	id[1] = 0;
	EXPECT_EQ(-1, relay_install(&rel, 0, node, id, key, 300));
	id[1] = 5;
	memcpy(node[1], node[0], RELAY_NODE_LEN);
	EXPECT_EQ(-1, relay_install(&rel, 0, node, id, key, 300));
	EXPECT_FALSE(rel.allocs[0].used);
	relay_free(&svc);
	relay_free(&rel);
}

TEST_HARNESS_MAIN
