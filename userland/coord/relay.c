// SPDX-License-Identifier: GPL-2.0-only
/*
 * The relay's core; see relay.h and Documentation/relay.rst.  Every check a
 * datagram must pass before anything changes is in relay_input(); nothing
 * here allocates memory after relay_init().
 */
#include "relay.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "blake2s.h"

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return !d;
}

void relay_bind_build(uint8_t out[RELAY_BIND_LEN], uint32_t id, uint64_t counter,
		      const uint8_t key[RELAY_KEY_LEN])
{
	out[0] = RELAY_BIND_TYPE;
	memcpy(out + 1, "wgm", 3);
	put_le32(out + 4, id);
	put_le64(out + 8, counter);
	wgm_blake2s(out + 16, RELAY_BIND_MAC_LEN, out, 16, key, RELAY_KEY_LEN);
}

int relay_init(struct relay_table *t, uint16_t lo, uint16_t hi,
	       unsigned int max_per_node, uint64_t rate)
{
	memset(t, 0, sizeof(*t));
	if (!lo || hi <= lo || !max_per_node)
		return -1;
	t->n = ((unsigned int)hi - lo + 1) / 2;
	t->allocs = calloc(t->n, sizeof(*t->allocs));
	if (!t->allocs)
		return -1;
	t->port_lo = lo;
	t->max_per_node = max_per_node;
	t->rate = rate;
	return 0;
}

void relay_free(struct relay_table *t)
{
	if (t->allocs) {
		explicit_bzero(t->allocs, t->n * sizeof(*t->allocs));
		free(t->allocs);
	}
	memset(t, 0, sizeof(*t));
}

static bool involves(const struct relay_alloc *al, const uint8_t node[RELAY_NODE_LEN])
{
	return al->used && (!memcmp(al->side[0].node, node, RELAY_NODE_LEN) ||
			    !memcmp(al->side[1].node, node, RELAY_NODE_LEN));
}

unsigned int relay_count_node(const struct relay_table *t,
			      const uint8_t node[RELAY_NODE_LEN])
{
	unsigned int i, n = 0;

	for (i = 0; i < t->n; i++)
		n += involves(&t->allocs[i], node);
	return n;
}

int relay_find(const struct relay_table *t, const uint8_t a[RELAY_NODE_LEN],
	       const uint8_t b[RELAY_NODE_LEN])
{
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		const struct relay_alloc *al = &t->allocs[i];

		if (involves(al, a) && involves(al, b))
			return (int)i;
	}
	return -1;
}

uint16_t relay_port_of(const struct relay_table *t, unsigned int i, unsigned int side)
{
	return (uint16_t)(t->port_lo + 2 * i + side);
}

int relay_port_alloc(const struct relay_table *t, uint16_t port, unsigned int *side)
{
	unsigned int off;

	if (port < t->port_lo)
		return -1;
	off = (unsigned int)port - t->port_lo;
	if (off / 2 >= t->n || !t->allocs[off / 2].used)
		return -1;
	*side = off % 2;
	return (int)(off / 2);
}

int relay_alloc(struct relay_table *t, const uint8_t a[RELAY_NODE_LEN],
		const uint8_t b[RELAY_NODE_LEN], const uint8_t *rnd,
		uint64_t now_ms, struct relay_grant grant[2])
{
	struct relay_alloc *al = NULL;
	unsigned int i, s;

	if (!memcmp(a, b, RELAY_NODE_LEN) || relay_find(t, a, b) >= 0 ||
	    relay_count_node(t, a) >= t->max_per_node ||
	    relay_count_node(t, b) >= t->max_per_node)
		return -1;
	for (i = 0; i < t->n && !al; i++)
		if (!t->allocs[i].used)
			al = &t->allocs[i];
	if (!al)
		return -1;
	i = (unsigned int)(al - t->allocs);
	memset(al, 0, sizeof(*al));
	al->used = true;
	al->created_ms = now_ms;
	memcpy(al->side[0].node, a, RELAY_NODE_LEN);
	memcpy(al->side[1].node, b, RELAY_NODE_LEN);
	for (s = 0; s < 2; s++) {
		struct relay_side *sd = &al->side[s];

		memcpy(sd->key, rnd + s * RELAY_KEY_LEN, RELAY_KEY_LEN);
		sd->id = get_le32(rnd + 2 * RELAY_KEY_LEN + 4 * s);
		if (!sd->id)
			sd->id = 1;
		sd->tokens = t->rate;
		sd->refill_ms = now_ms;
		/* side s's node sends to its own side's port */
		memcpy(grant[s].peer, al->side[!s].node, RELAY_NODE_LEN);
		grant[s].port = relay_port_of(t, i, s);
		grant[s].id = sd->id;
		memcpy(grant[s].key, sd->key, RELAY_KEY_LEN);
	}
	return (int)i;
}

int relay_install(struct relay_table *t, unsigned int i,
		  const uint8_t node[2][RELAY_NODE_LEN], const uint32_t id[2],
		  const uint8_t key[2][RELAY_KEY_LEN], uint64_t now_ms)
{
	struct relay_alloc *al;
	unsigned int s;

	if (i >= t->n || !id[0] || !id[1] || !memcmp(node[0], node[1], RELAY_NODE_LEN))
		return -1;
	al = &t->allocs[i];
	explicit_bzero(al, sizeof(*al));
	al->used = true;
	al->created_ms = now_ms;
	for (s = 0; s < 2; s++) {
		struct relay_side *sd = &al->side[s];

		memcpy(sd->node, node[s], RELAY_NODE_LEN);
		memcpy(sd->key, key[s], RELAY_KEY_LEN);
		sd->id = id[s];
		sd->tokens = t->rate;
		sd->refill_ms = now_ms;
	}
	return 0;
}

void relay_release(struct relay_table *t, unsigned int i)
{
	if (i < t->n)
		explicit_bzero(&t->allocs[i], sizeof(t->allocs[i]));
}

int relay_next_of_node(const struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
		       unsigned int *pos)
{
	for (; *pos < t->n; (*pos)++) {
		if (involves(&t->allocs[*pos], node))
			return (int)(*pos)++;
	}
	return -1;
}

/* A side can be sent to: carried over TCP, or bound within the last minute. */
static bool fresh(const struct relay_side *sd, uint64_t now_ms)
{
	return sd->tcp || (sd->bound && now_ms - sd->bound_ms < RELAY_BIND_FRESH_MS);
}

int relay_next_idle(const struct relay_table *t, uint64_t now_ms, unsigned int *pos)
{
	for (; *pos < t->n; (*pos)++) {
		const struct relay_alloc *al = &t->allocs[*pos];
		uint64_t last = al->created_ms;
		unsigned int s;

		if (!al->used || al->side[0].tcp || al->side[1].tcp)
			continue;	/* a side over TCP is in use while its node is */
		for (s = 0; s < 2; s++)
			if (al->side[s].bound && al->side[s].bound_ms > last)
				last = al->side[s].bound_ms;
		if (now_ms >= last && now_ms - last >= RELAY_IDLE_MS)
			return (int)(*pos)++;
	}
	return -1;
}

/* Takes @len bytes from the side's bucket; false when it has not enough. */
static bool take_tokens(const struct relay_table *t, struct relay_side *sd,
			size_t len, uint64_t now_ms)
{
	if (!t->rate)
		return true;
	if (now_ms > sd->refill_ms) {
		uint64_t add = (now_ms - sd->refill_ms) * t->rate / 1000;

		sd->tokens = sd->tokens + add > t->rate ? t->rate : sd->tokens + add;
		sd->refill_ms = now_ms;
	}
	if (sd->tokens < len)
		return false;
	sd->tokens -= len;
	return true;
}

/* Checks a bind for side @sd; on success binds @src. */
static bool bind_ok(struct relay_side *sd, const union wgm_sockaddr *src,
		    const uint8_t *pkt, uint64_t now_ms)
{
	uint8_t mac[RELAY_BIND_MAC_LEN];
	uint64_t ctr = get_le64(pkt + 8);
	bool ok;

	if (get_le32(pkt + 4) != sd->id)
		return false;
	wgm_blake2s(mac, sizeof(mac), pkt, 16, sd->key, RELAY_KEY_LEN);
	ok = ct_equal(mac, pkt + 16, sizeof(mac));
	explicit_bzero(mac, sizeof(mac));
	/* a replay (or an older bind overtaken by a newer one) changes nothing */
	if (!ok || ctr <= sd->last_ctr)
		return false;
	sd->last_ctr = ctr;
	sd->addr = *src;
	sd->bound = true;
	sd->tcp = false;		/* the node's kernel reaches us over UDP again */
	sd->bound_ms = now_ms;
	return true;
}

/*
 * Side @side of allocation @i sends @len bytes to the other side: to its
 * bound address, or over TCP to its node, when it is fresh and the
 * sender's bucket has room.
 */
static enum relay_verdict forward(struct relay_table *t, unsigned int i, unsigned int side,
				  size_t len, uint64_t now_ms, uint16_t *out_port,
				  union wgm_sockaddr *out_addr)
{
	struct relay_side *in = &t->allocs[i].side[side];
	struct relay_side *out = &t->allocs[i].side[!side];

	if (!fresh(out, now_ms) || !take_tokens(t, in, len, now_ms)) {
		t->drops++;
		return RELAY_DROP;
	}
	in->fwd_pkts++;
	in->fwd_bytes += len;
	t->fwd_pkts++;
	t->fwd_bytes += len;
	*out_port = relay_port_of(t, i, !side);
	if (out->tcp) {
		memset(out_addr, 0, sizeof(*out_addr));
		return RELAY_FORWARD_TCP;
	}
	*out_addr = out->addr;
	return RELAY_FORWARD;
}

enum relay_verdict relay_input(struct relay_table *t, uint16_t port,
			       const union wgm_sockaddr *src, const uint8_t *pkt,
			       size_t len, uint64_t now_ms, uint16_t *out_port,
			       union wgm_sockaddr *out_addr)
{
	struct relay_side *in;
	struct relay_alloc *al;
	unsigned int side;
	int i;

	i = relay_port_alloc(t, port, &side);
	if (i < 0 || (src->sa.sa_family != AF_INET && src->sa.sa_family != AF_INET6))
		goto drop;
	al = &t->allocs[i];
	in = &al->side[side];
	if (len == RELAY_BIND_LEN && pkt[0] == RELAY_BIND_TYPE && !memcmp(pkt + 1, "wgm", 3)) {
		if (bind_ok(in, src, pkt, now_ms))
			return RELAY_BOUND;
		t->bad_binds++;
		goto drop;
	}
	/* a side carried over TCP takes nothing over UDP but binds */
	if (!len || in->tcp || !fresh(in, now_ms) || !wgm_endpoint_equal(src, &in->addr))
		goto drop;
	return forward(t, (unsigned int)i, side, len, now_ms, out_port, out_addr);
drop:
	t->drops++;
	return RELAY_DROP;
}

int relay_find_side(const struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
		    uint32_t id, unsigned int *side)
{
	unsigned int i, s;

	for (i = 0; id && i < t->n; i++) {
		const struct relay_alloc *al = &t->allocs[i];

		for (s = 0; al->used && s < 2; s++) {
			if (al->side[s].id == id &&
			    !memcmp(al->side[s].node, node, RELAY_NODE_LEN)) {
				*side = s;
				return (int)i;
			}
		}
	}
	return -1;
}

int relay_tcp_set(struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
		  uint32_t id, bool on, uint64_t now_ms)
{
	struct relay_side *sd;
	unsigned int side;
	int i = relay_find_side(t, node, id, &side);

	if (i < 0)
		return -1;
	sd = &t->allocs[i].side[side];
	sd->tcp = on;
	if (!on)
		sd->bound = false;	/* until the kernel's next bind */
	sd->bound_ms = now_ms;
	return 0;
}

enum relay_verdict relay_tcp_input(struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
				   uint32_t id, size_t len, uint64_t now_ms,
				   uint16_t *out_port, union wgm_sockaddr *out_addr)
{
	unsigned int side;
	int i = relay_find_side(t, node, id, &side);

	if (i < 0 || !len || !t->allocs[i].side[side].tcp) {
		t->drops++;
		return RELAY_DROP;
	}
	return forward(t, (unsigned int)i, side, len, now_ms, out_port, out_addr);
}
