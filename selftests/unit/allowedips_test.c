// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for kernel/allowedips.c, built in userspace through
 * selftests/unit/kshim.h.  The source is included directly so a structural
 * checker can verify the trie invariants after every batch of operations;
 * results are compared against a brute-force reference table.
 */
#include "allowedips.c"

#include <sanitizer/lsan_interface.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define NPEERS 64
#define META struct __test_metadata *_metadata
/* "family" meaning: alternate between both */
#define FAM_BOTH (AF_INET | AF_INET6 << 8)

/* ---- reference model: a flat array, searched exhaustively ---- */

struct ref_entry {
	int fam;
	u8 ip[16];
	u8 cidr;
	struct wgm_peer *peer;
};

struct ref {
	struct ref_entry *e;
	size_t n, cap;
	unsigned int max;
};

static unsigned int fam_bits(int fam)
{
	return fam == AF_INET ? 32 : 128;
}

static void mask_ip(u8 ip[16], unsigned int cidr)
{
	unsigned int i;

	for (i = 0; i < 16; ++i) {
		if (8 * i >= cidr)
			ip[i] = 0;
		else if (cidr - 8 * i < 8)
			ip[i] &= (u8)(0xff << (8 - (cidr - 8 * i)));
	}
}

static bool prefix_match(const u8 prefix[16], unsigned int cidr, const u8 addr[16])
{
	u8 a[16];

	memcpy(a, addr, 16);
	mask_ip(a, cidr);
	return !memcmp(a, prefix, 16);
}

static long ref_find(const struct ref *r, int fam, const u8 ip[16], u8 cidr)
{
	size_t i;

	for (i = 0; i < r->n; ++i)
		if (r->e[i].fam == fam && r->e[i].cidr == cidr && !memcmp(r->e[i].ip, ip, 16))
			return (long)i;
	return -1;
}

/* Same contract as the table; @ip must be masked. */
static int ref_insert(struct ref *r, int fam, const u8 ip[16], u8 cidr, struct wgm_peer *peer)
{
	long i = ref_find(r, fam, ip, cidr);

	if (!peer || cidr > fam_bits(fam))
		return -EINVAL;
	if (i >= 0) {
		r->e[i].peer = peer;
		return 0;
	}
	if (r->n >= r->max)
		return -ENOSPC;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->e = realloc(r->e, r->cap * sizeof(*r->e));
		KSHIM_CHECK(r->e);
	}
	r->e[r->n].fam = fam;
	memcpy(r->e[r->n].ip, ip, 16);
	r->e[r->n].cidr = cidr;
	r->e[r->n].peer = peer;
	++r->n;
	return 0;
}

static int ref_remove(struct ref *r, int fam, const u8 ip[16], u8 cidr, struct wgm_peer *peer)
{
	long i = ref_find(r, fam, ip, cidr);

	if (!peer || cidr > fam_bits(fam))
		return -EINVAL;
	if (i < 0 || r->e[i].peer != peer)
		return -ENOENT;
	r->e[i] = r->e[--r->n];
	return 0;
}

static void ref_remove_peer(struct ref *r, struct wgm_peer *peer)
{
	size_t i = 0;

	while (i < r->n) {
		if (r->e[i].peer == peer)
			r->e[i] = r->e[--r->n];
		else
			++i;
	}
}

static struct wgm_peer *ref_lookup(const struct ref *r, int fam, const u8 addr[16])
{
	struct wgm_peer *best = NULL;
	int best_cidr = -1;
	size_t i;

	for (i = 0; i < r->n; ++i)
		if (r->e[i].fam == fam && r->e[i].cidr > best_cidr &&
		    prefix_match(r->e[i].ip, r->e[i].cidr, addr)) {
			best = r->e[i].peer;
			best_cidr = r->e[i].cidr;
		}
	return best;
}

/* ---- calling the API with byte-array addresses ---- */

struct ctx {
	struct wgm_allowedips t;
	struct mutex lock;
	struct wgm_peer peers[NPEERS];
	struct ref ref;
};

static int api_insert(struct ctx *c, int fam, const u8 ip[16], u8 cidr, struct wgm_peer *peer)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (fam == AF_INET) {
		memcpy(&a4.s_addr, ip, 4);
		return wgm_allowedips_insert_v4(&c->t, &a4, cidr, peer, &c->lock);
	}
	memcpy(a6.s6_addr, ip, 16);
	return wgm_allowedips_insert_v6(&c->t, &a6, cidr, peer, &c->lock);
}

static int api_remove(struct ctx *c, int fam, const u8 ip[16], u8 cidr, struct wgm_peer *peer)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (fam == AF_INET) {
		memcpy(&a4.s_addr, ip, 4);
		return wgm_allowedips_remove_v4(&c->t, &a4, cidr, peer, &c->lock);
	}
	memcpy(a6.s6_addr, ip, 16);
	return wgm_allowedips_remove_v6(&c->t, &a6, cidr, peer, &c->lock);
}

static struct wgm_peer *api_lookup(struct ctx *c, int fam, const u8 ip[16])
{
	struct wgm_peer *peer;
	struct in6_addr a6;
	struct in_addr a4;

	rcu_read_lock_bh();
	if (fam == AF_INET) {
		memcpy(&a4.s_addr, ip, 4);
		peer = wgm_allowedips_lookup_v4(&c->t, &a4);
	} else {
		memcpy(a6.s6_addr, ip, 16);
		peer = wgm_allowedips_lookup_v6(&c->t, &a6);
	}
	rcu_read_unlock_bh();
	return peer;
}

/* Apply to both table and reference; the return codes must agree. */
static int do_insert(META, struct ctx *c, int fam, const u8 ip[16], u8 cidr,
		     struct wgm_peer *peer)
{
	u8 masked[16];
	int ret;

	memcpy(masked, ip, 16);
	mask_ip(masked, cidr);
	ret = ref_insert(&c->ref, fam, masked, cidr, peer);
	EXPECT_EQ(ret, api_insert(c, fam, ip, cidr, peer));
	return ret;
}

static int do_remove(META, struct ctx *c, int fam, const u8 ip[16], u8 cidr,
		     struct wgm_peer *peer)
{
	u8 masked[16];
	int ret;

	memcpy(masked, ip, 16);
	mask_ip(masked, cidr);
	ret = ref_remove(&c->ref, fam, masked, cidr, peer);
	EXPECT_EQ(ret, api_remove(c, fam, ip, cidr, peer));
	return ret;
}

static void ip4(u8 ip[16], u8 a, u8 b, u8 cc, u8 d)
{
	memset(ip, 0, 16);
	ip[0] = a;
	ip[1] = b;
	ip[2] = cc;
	ip[3] = d;
}

static void ip6(u8 ip[16], const char *text)
{
	KSHIM_CHECK(inet_pton(AF_INET6, text, ip) == 1);
}

/* ---- structural checker (uses the trie internals) ---- */

struct walk_stats {
	unsigned int nodes, peered;
};

static void check_subtree(META, struct ctx *c, struct wgm_allowedips_node *node,
			  struct wgm_allowedips_node *parent, unsigned int bits,
			  struct walk_stats *st)
{
	struct wgm_allowedips_node *child[2];
	struct wgm_aip_key k;
	unsigned int i;

	ASSERT_NE(NULL, node);
	ASSERT_EQ(parent, node->parent);
	ASSERT_EQ(bits, node->bits);
	ASSERT_LE(node->cidr, bits);
	k = node->key;
	key_mask(&k, node->cidr);
	ASSERT_EQ(k.hi, node->key.hi);
	ASSERT_EQ(k.lo, node->key.lo);
	if (parent) {
		ASSERT_GT(node->cidr, parent->cidr);
		ASSERT_GE(key_common(&node->key, &parent->key), parent->cidr);
	}
	++st->nodes;
	for (i = 0; i < 2; ++i)
		child[i] = deref_locked(node->bit[i], &c->lock);
	if (rcu_access_pointer(node->peer)) {
		++st->peered;
		ASSERT_FALSE(list_empty(&node->peer_list));
	} else {
		/* join nodes exist only to split two subtrees */
		ASSERT_NE(NULL, child[0]);
		ASSERT_NE(NULL, child[1]);
		ASSERT_TRUE(list_empty(&node->peer_list));
	}
	for (i = 0; i < 2; ++i) {
		if (!child[i])
			continue;
		ASSERT_LT(node->cidr, bits);
		ASSERT_EQ(i, key_bit(&child[i]->key, node->cidr));
		check_subtree(_metadata, c, child[i], node, bits, st);
	}
}

static void check_structure(META, struct ctx *c)
{
	struct wgm_allowedips_node *node;
	struct walk_stats st = { 0, 0 };
	unsigned int listed = 0, i;

	node = deref_locked(c->t.root4, &c->lock);
	if (node)
		check_subtree(_metadata, c, node, NULL, 32, &st);
	node = deref_locked(c->t.root6, &c->lock);
	if (node)
		check_subtree(_metadata, c, node, NULL, 128, &st);

	ASSERT_EQ(c->ref.n, st.peered);
	ASSERT_EQ(c->ref.n, c->t.entries);
	/* join nodes are fewer than peered nodes (binary tree, >= 2 children) */
	if (st.peered)
		ASSERT_LT(st.nodes, 2 * st.peered);
	ASSERT_EQ((long)st.nodes, kshim_slab.live);
	for (i = 0; i < NPEERS; ++i) {
		wgm_allowedips_for_each_peer_node(node, &c->peers[i]) {
			ASSERT_EQ(&c->peers[i], deref_locked(node->peer, &c->lock));
			++listed;
		}
	}
	ASSERT_EQ(st.peered, listed);
}

/* ---- random inputs clustered around a few bases, so prefixes nest ---- */

struct gen {
	struct prng rng;
	u8 base[16][16];
};

static void gen_init(struct gen *g, uint64_t seed)
{
	unsigned int i, j;

	g->rng.s = seed;
	for (i = 0; i < 16; ++i)
		for (j = 0; j < 16; ++j)
			g->base[i][j] = (u8)prng_next(&g->rng);
}

/* Keep the first @keep bits of @ip, randomise the rest of the family's bits. */
static void randomise_tail(struct gen *g, u8 ip[16], unsigned int keep, unsigned int bits)
{
	unsigned int i;
	u8 r, m;

	for (i = 0; i < bits / 8; ++i) {
		r = (u8)prng_next(&g->rng);
		if (8 * i >= keep)
			m = 0;
		else if (keep - 8 * i < 8)
			m = (u8)(0xff << (8 - (keep - 8 * i)));
		else
			m = 0xff;
		ip[i] = (ip[i] & m) | (r & ~m);
	}
	for (; i < 16; ++i)
		ip[i] = 0;
}

static void gen_addr(struct gen *g, int fam, u8 ip[16])
{
	unsigned int bits = fam_bits(fam);

	memcpy(ip, g->base[prng_below(&g->rng, 16)], 16);
	randomise_tail(g, ip, (unsigned int)prng_below(&g->rng, bits + 1), bits);
}

static void gen_lookup_addr(struct gen *g, struct ctx *c, int fam, u8 ip[16])
{
	unsigned int kind = (unsigned int)prng_below(&g->rng, 10), tries;
	const struct ref_entry *e;

	if (kind < 4) {
		for (tries = 0; c->ref.n && tries < 16; ++tries) {
			e = &c->ref.e[prng_below(&g->rng, c->ref.n)];
			if (e->fam != fam)
				continue;
			memcpy(ip, e->ip, 16);
			if (kind)	/* else: the network address itself */
				randomise_tail(g, ip, e->cidr, fam_bits(fam));
			return;
		}
	}
	if (kind < 8) {
		gen_addr(g, fam, ip);
		return;
	}
	randomise_tail(g, ip, 0, fam_bits(fam));
}

static void check_lookups(META, struct ctx *c, struct gen *g, unsigned int n, int fam_mask)
{
	unsigned int i;
	int fam;
	u8 ip[16];

	for (i = 0; i < n; ++i) {
		fam = (fam_mask == FAM_BOTH) ?
		      ((i & 1) ? AF_INET6 : AF_INET) : fam_mask;
		gen_lookup_addr(g, c, fam, ip);
		ASSERT_EQ(ref_lookup(&c->ref, fam, ip), api_lookup(c, fam, ip));
	}
}

/* ---- fixture ---- */

static void ctx_setup(META, struct ctx *c, unsigned int max_entries)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	kshim_slab.fail_after = -1;
	kshim_slab.live = 0;
	ASSERT_EQ(0, wgm_allowedips_slab_init());
	mutex_init(&c->lock);
	mutex_lock(&c->lock);
	wgm_allowedips_init(&c->t, max_entries);
	c->ref.max = max_entries;
	for (i = 0; i < NPEERS; ++i) {
		INIT_LIST_HEAD(&c->peers[i].allowedips_list);
		c->peers[i].id = i;
	}
}

static void ctx_teardown(META, struct ctx *c)
{
	unsigned int i;

	wgm_allowedips_free(&c->t, &c->lock);
	EXPECT_EQ(0, kshim_slab.live);
	for (i = 0; i < NPEERS; ++i)
		EXPECT_TRUE(list_empty(&c->peers[i].allowedips_list));
	mutex_unlock(&c->lock);
	if (kshim_slab.live == 0)	/* otherwise destroy would abort */
		wgm_allowedips_slab_uninit();
	free(c->ref.e);
}

FIXTURE(trie) {
	struct ctx c;
};

FIXTURE_SETUP(trie)
{
	ctx_setup(_metadata, &self->c, 1000000);
}

FIXTURE_TEARDOWN(trie)
{
	ctx_teardown(_metadata, &self->c);
}

TEST_F(trie, default_routes_and_host_routes)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	u8 ip[16], any[16] = { 0 };

	ip4(ip, 1, 2, 3, 4);
	EXPECT_EQ(NULL, api_lookup(c, AF_INET, ip));
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, any, 0, &p[1]));
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	ip4(ip, 255, 255, 255, 255);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	/* families are separate tables */
	ip6(ip, "::");
	EXPECT_EQ(NULL, api_lookup(c, AF_INET6, ip));
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, any, 0, &p[2]));
	ip6(ip, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET6, ip));

	/* /32 and /128 match one address only, including all-zero / all-one */
	ip4(ip, 1, 2, 3, 4);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 32, &p[3]));
	EXPECT_EQ(&p[3], api_lookup(c, AF_INET, ip));
	ip4(ip, 1, 2, 3, 5);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	ip4(ip, 255, 255, 255, 255);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 32, &p[4]));
	EXPECT_EQ(&p[4], api_lookup(c, AF_INET, ip));
	ip4(ip, 255, 255, 255, 254);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	ip4(ip, 0, 0, 0, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 32, &p[5]));
	EXPECT_EQ(&p[5], api_lookup(c, AF_INET, ip));
	ip4(ip, 0, 0, 0, 1);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));

	ip6(ip, "::1");
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, ip, 128, &p[6]));
	EXPECT_EQ(&p[6], api_lookup(c, AF_INET6, ip));
	ip6(ip, "::");
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET6, ip));
	ip6(ip, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, ip, 128, &p[7]));
	EXPECT_EQ(&p[7], api_lookup(c, AF_INET6, ip));
	ip6(ip, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET6, ip));
	/* an address that matches only in the low 64 bits is not a match */
	ip6(ip, "8000::1");
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET6, ip));

	/* a v4 /32 does not leak into v6 lookups of the same leading bytes */
	ip6(ip, "102:304::");
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET6, ip));
	check_structure(_metadata, c);
}

TEST_F(trie, host_bits_are_masked)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	struct wgm_allowedips_node *node;
	u8 ip[16], out[16], want[16], cidr;

	ip4(ip, 10, 1, 2, 3);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 8, &p[1]));
	node = wgm_allowedips_peer_first(&p[1]);
	ASSERT_NE(NULL, node);
	memset(out, 0xaa, sizeof(out));
	ASSERT_EQ(AF_INET, wgm_allowedips_read_node(node, out, &cidr));
	ip4(want, 10, 0, 0, 0);
	EXPECT_EQ(8, cidr);
	EXPECT_EQ(0, memcmp(want, out, 4));
	ip4(ip, 10, 200, 0, 1);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	ip4(ip, 11, 0, 0, 0);
	EXPECT_EQ(NULL, api_lookup(c, AF_INET, ip));

	/* a mask boundary inside a byte, and across the 64-bit word in v6 */
	ip4(ip, 192, 168, 255, 255);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 13, &p[2]));
	ip4(want, 192, 168, 0, 0);
	ip4(ip, 192, 175, 1, 1);
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET, ip));
	ip4(ip, 192, 176, 0, 0);
	EXPECT_EQ(NULL, api_lookup(c, AF_INET, ip));
	node = wgm_allowedips_peer_first(&p[2]);
	ASSERT_EQ(AF_INET, wgm_allowedips_read_node(node, out, &cidr));
	EXPECT_EQ(13, cidr);
	EXPECT_EQ(0, memcmp(want, out, 4));

	ip6(ip, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, ip, 67, &p[3]));
	node = wgm_allowedips_peer_first(&p[3]);
	ASSERT_EQ(AF_INET6, wgm_allowedips_read_node(node, out, &cidr));
	ip6(want, "2001:db8:ffff:ffff:e000::");
	EXPECT_EQ(67, cidr);
	EXPECT_EQ(0, memcmp(want, out, 16));
	ip6(ip, "2001:db8:ffff:ffff:efff::1");
	EXPECT_EQ(&p[3], api_lookup(c, AF_INET6, ip));
	ip6(ip, "2001:db8:ffff:ffff:dfff::1");
	EXPECT_EQ(NULL, api_lookup(c, AF_INET6, ip));

	/* removal masks too: any address inside the prefix names it */
	ip4(ip, 10, 9, 9, 9);
	EXPECT_EQ(0, do_remove(_metadata, c, AF_INET, ip, 8, &p[1]));
	ip6(ip, "2001:db8:ffff:ffff:e123:4567::");
	EXPECT_EQ(0, do_remove(_metadata, c, AF_INET6, ip, 67, &p[3]));
	check_structure(_metadata, c);
}

TEST_F(trie, reinsert_moves_prefix_to_new_peer)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	u8 ip[16];
	u64 seq;

	ip4(ip, 192, 168, 0, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 16, &p[1]));
	ip4(ip, 192, 168, 1, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 24, &p[1]));
	seq = c->t.seq;
	ip4(ip, 192, 168, 55, 5);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 16, &p[2]));
	EXPECT_NE(seq, c->t.seq);
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET, ip));
	ip4(ip, 192, 168, 1, 1);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	EXPECT_EQ(1, wgm_allowedips_count_peer(&p[1]));
	EXPECT_EQ(1, wgm_allowedips_count_peer(&p[2]));
	EXPECT_EQ(2, c->t.entries);

	/* same prefix, same peer: nothing changes */
	seq = c->t.seq;
	ip4(ip, 192, 168, 0, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 16, &p[2]));
	EXPECT_EQ(seq, c->t.seq);
	EXPECT_EQ(1, wgm_allowedips_count_peer(&p[2]));

	ip6(ip, "fd00::");
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, ip, 8, &p[3]));
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, ip, 8, &p[4]));
	EXPECT_EQ(0, wgm_allowedips_count_peer(&p[3]));
	ip6(ip, "fd12::34");
	EXPECT_EQ(&p[4], api_lookup(c, AF_INET6, ip));
	/* the old owner can no longer remove it */
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET6, ip, 8, &p[3]));
	check_structure(_metadata, c);
}

TEST_F(trie, remove_only_for_owning_peer)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	u8 ip[16];
	u64 seq;

	ip4(ip, 10, 0, 0, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 24, &p[1]));
	ip4(ip, 10, 0, 1, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 24, &p[2]));
	ip6(ip, "2001:db8::");
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, ip, 32, &p[1]));
	check_structure(_metadata, c);
	seq = c->t.seq;

	/* wrong peer, wrong length, the internal 10.0.0.0/23 join, absent */
	ip4(ip, 10, 0, 0, 0);
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET, ip, 24, &p[2]));
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET, ip, 25, &p[1]));
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET, ip, 23, &p[1]));
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET, ip, 16, &p[1]));
	ip4(ip, 11, 0, 0, 0);
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET, ip, 24, &p[1]));
	/* the v6 prefix is not reachable through the v4 call */
	ip4(ip, 0x20, 0x01, 0x0d, 0xb8);
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET, ip, 32, &p[1]));
	EXPECT_EQ(seq, c->t.seq);
	EXPECT_EQ(3, c->t.entries);
	ip4(ip, 10, 0, 0, 9);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));

	ip4(ip, 10, 0, 0, 0);
	EXPECT_EQ(0, do_remove(_metadata, c, AF_INET, ip, 24, &p[1]));
	EXPECT_NE(seq, c->t.seq);
	EXPECT_EQ(-ENOENT, do_remove(_metadata, c, AF_INET, ip, 24, &p[1]));
	ip4(ip, 10, 0, 0, 9);
	EXPECT_EQ(NULL, api_lookup(c, AF_INET, ip));
	ip4(ip, 10, 0, 1, 9);
	EXPECT_EQ(&p[2], api_lookup(c, AF_INET, ip));
	ip6(ip, "2001:db8::");
	EXPECT_EQ(0, do_remove(_metadata, c, AF_INET6, ip, 32, &p[1]));
	EXPECT_EQ(0, wgm_allowedips_count_peer(&p[1]));
	check_structure(_metadata, c);
}

TEST_F(trie, invalid_arguments_change_nothing)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	u8 ip[16];
	u64 seq;

	ip4(ip, 10, 0, 0, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 8, &p[1]));
	seq = c->t.seq;
	EXPECT_EQ(-EINVAL, do_insert(_metadata, c, AF_INET, ip, 33, &p[1]));
	EXPECT_EQ(-EINVAL, do_insert(_metadata, c, AF_INET, ip, 255, &p[1]));
	EXPECT_EQ(-EINVAL, do_insert(_metadata, c, AF_INET, ip, 8, NULL));
	EXPECT_EQ(-EINVAL, do_remove(_metadata, c, AF_INET, ip, 33, &p[1]));
	EXPECT_EQ(-EINVAL, do_remove(_metadata, c, AF_INET, ip, 8, NULL));
	ip6(ip, "fe80::");
	EXPECT_EQ(-EINVAL, do_insert(_metadata, c, AF_INET6, ip, 129, &p[1]));
	EXPECT_EQ(-EINVAL, do_remove(_metadata, c, AF_INET6, ip, 129, &p[1]));
	EXPECT_EQ(seq, c->t.seq);
	EXPECT_EQ(1, c->t.entries);
	check_structure(_metadata, c);
}

TEST_F(trie, remove_by_peer_leaves_others)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	struct gen g;
	unsigned int i;
	u8 ip[16];
	u64 seq;
	int fam;

	gen_init(&g, 0x5eed0001);
	for (i = 0; i < 3000; ++i) {
		fam = (i & 1) ? AF_INET6 : AF_INET;
		gen_addr(&g, fam, ip);
		do_insert(_metadata, c, fam, ip,
			  (u8)prng_below(&g.rng, fam_bits(fam) + 1),
			  &p[prng_below(&g.rng, 8)]);
	}
	check_structure(_metadata, c);
	for (i = 0; i < 8; i += 2) {
		ASSERT_NE(0, wgm_allowedips_count_peer(&p[i]));
		wgm_allowedips_remove_by_peer(&c->t, &p[i], &c->lock);
		ref_remove_peer(&c->ref, &p[i]);
		EXPECT_EQ(0, wgm_allowedips_count_peer(&p[i]));
		check_structure(_metadata, c);
		check_lookups(_metadata, c, &g, 2000, FAM_BOTH);
	}
	/* a peer without prefixes: no-op */
	seq = c->t.seq;
	wgm_allowedips_remove_by_peer(&c->t, &p[0], &c->lock);
	wgm_allowedips_remove_by_peer(&c->t, &p[40], &c->lock);
	EXPECT_EQ(seq, c->t.seq);
	for (i = 1; i < 8; i += 2)
		wgm_allowedips_remove_by_peer(&c->t, &p[i], &c->lock);
	EXPECT_EQ(0, c->t.entries);
	EXPECT_EQ(NULL, rcu_access_pointer(c->t.root4));
	EXPECT_EQ(NULL, rcu_access_pointer(c->t.root6));
	EXPECT_EQ(0, kshim_slab.live);
}

TEST_F(trie, max_entries_enospc_changes_nothing)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	long live;
	u8 ip[16];
	u64 seq;

	wgm_allowedips_init(&c->t, 4);
	c->ref.max = 4;
	ip4(ip, 10, 0, 0, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 24, &p[1]));
	ip4(ip, 10, 0, 1, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 24, &p[1]));
	ip4(ip, 172, 16, 0, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 12, &p[2]));
	ip6(ip, "fd00::");
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET6, ip, 8, &p[3]));
	EXPECT_EQ(4, c->t.entries);

	seq = c->t.seq;
	live = kshim_slab.live;
	ip4(ip, 10, 0, 2, 0);
	EXPECT_EQ(-ENOSPC, do_insert(_metadata, c, AF_INET, ip, 24, &p[1]));
	ip4(ip, 10, 0, 0, 0);
	EXPECT_EQ(-ENOSPC, do_insert(_metadata, c, AF_INET, ip, 16, &p[1]));	/* above */
	EXPECT_EQ(-ENOSPC, do_insert(_metadata, c, AF_INET, ip, 23, &p[4]));	/* join */
	EXPECT_EQ(-ENOSPC, do_insert(_metadata, c, AF_INET, ip, 32, &p[4]));	/* below */
	ip6(ip, "fe80::");
	EXPECT_EQ(-ENOSPC, do_insert(_metadata, c, AF_INET6, ip, 64, &p[4]));	/* shared cap */
	EXPECT_EQ(seq, c->t.seq);
	EXPECT_EQ(live, kshim_slab.live);
	EXPECT_EQ(4, c->t.entries);
	EXPECT_EQ(0, wgm_allowedips_count_peer(&p[4]));
	ip4(ip, 10, 0, 0, 1);
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	ip4(ip, 10, 0, 2, 1);
	EXPECT_EQ(NULL, api_lookup(c, AF_INET, ip));
	check_structure(_metadata, c);

	/* replacing an existing prefix is still allowed when full */
	ip4(ip, 172, 16, 0, 0);
	EXPECT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 12, &p[4]));
	ip4(ip, 172, 20, 0, 1);
	EXPECT_EQ(&p[4], api_lookup(c, AF_INET, ip));

	/* after a removal, the join node's prefix takes the free slot in place */
	ip6(ip, "fd00::");
	ASSERT_EQ(0, do_remove(_metadata, c, AF_INET6, ip, 8, &p[3]));
	live = kshim_slab.live;
	ip4(ip, 10, 0, 0, 0);
	EXPECT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 23, &p[4]));
	EXPECT_EQ(live, kshim_slab.live);
	EXPECT_EQ(4, c->t.entries);
	check_structure(_metadata, c);
}

TEST_F(trie, allocation_failure_changes_nothing)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	u8 ip[16];
	u64 seq;

	seq = c->t.seq;
	kshim_slab.fail_after = 0;
	ip4(ip, 10, 0, 0, 0);
	EXPECT_EQ(-ENOMEM, api_insert(c, AF_INET, ip, 24, &p[1]));
	EXPECT_EQ(seq, c->t.seq);
	EXPECT_EQ(0, kshim_slab.live);
	kshim_slab.fail_after = -1;
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 24, &p[1]));

	/* a diverging prefix needs a leaf and a join: fail the second */
	seq = c->t.seq;
	kshim_slab.fail_after = 1;
	ip4(ip, 10, 0, 1, 0);
	EXPECT_EQ(-ENOMEM, api_insert(c, AF_INET, ip, 24, &p[2]));
	kshim_slab.fail_after = -1;
	EXPECT_EQ(seq, c->t.seq);
	EXPECT_EQ(1, kshim_slab.live);
	EXPECT_EQ(0, wgm_allowedips_count_peer(&p[2]));
	ip4(ip, 10, 0, 1, 1);
	EXPECT_EQ(NULL, api_lookup(c, AF_INET, ip));
	check_structure(_metadata, c);
	ip4(ip, 10, 0, 1, 0);
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 24, &p[2]));
	EXPECT_EQ(3, kshim_slab.live);
	check_structure(_metadata, c);
}

TEST_F(trie, read_node_round_trip)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers, *me = &p[7];
	struct wgm_allowedips_node *node, *half = NULL;
	unsigned int i, seen = 0, n = 0;
	struct gen g;
	u8 ip[16], cidr;
	size_t j;
	long k;
	int fam;

	gen_init(&g, 0x5eed0002);
	for (i = 0; i < 600; ++i) {
		fam = prng_below(&g.rng, 2) ? AF_INET6 : AF_INET;
		gen_addr(&g, fam, ip);
		do_insert(_metadata, c, fam, ip, (u8)prng_below(&g.rng, fam_bits(fam) + 1),
			  (i % 3) ? &p[i % NPEERS] : me);
	}
	for (j = 0; j < c->ref.n; ++j)
		n += c->ref.e[j].peer == me;
	ASSERT_LT(10, n);
	EXPECT_EQ(n, wgm_allowedips_count_peer(me));

	wgm_allowedips_for_each_peer_node(node, me) {
		memset(ip, 0x55, sizeof(ip));
		fam = wgm_allowedips_read_node(node, ip, &cidr);
		ASSERT_TRUE(fam == AF_INET || fam == AF_INET6);
		if (fam == AF_INET)
			memset(ip + 4, 0, 12);	/* only 4 bytes are defined */
		k = ref_find(&c->ref, fam, ip, cidr);
		ASSERT_LE(0, k);
		ASSERT_EQ(me, c->ref.e[k].peer);
		c->ref.e[k].peer = NULL;	/* mark: each prefix exactly once */
		if (++seen == n / 2)
			half = node;
	}
	EXPECT_EQ(n, seen);
	EXPECT_EQ(NULL, node);	/* a complete walk ends with NULL */
	for (j = 0; j < c->ref.n; ++j)
		if (!c->ref.e[j].peer)
			c->ref.e[j].peer = me;

	/* break keeps the node; resume a walk after a saved node */
	seen = 0;
	wgm_allowedips_for_each_peer_node(node, me)
		if (++seen == n / 2)
			break;
	EXPECT_EQ(half, node);
	node = half;
	seen = n / 2;
	wgm_allowedips_for_each_peer_node_continue(node, me)
		++seen;
	EXPECT_EQ(n, seen);
	check_structure(_metadata, c);
}

TEST_F(trie, free_releases_everything)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	unsigned int i;
	struct gen g;
	u8 ip[16];
	int fam;

	gen_init(&g, 0x5eed0003);
	for (i = 0; i < 4000; ++i) {
		fam = (i & 1) ? AF_INET6 : AF_INET;
		gen_addr(&g, fam, ip);
		do_insert(_metadata, c, fam, ip, (u8)prng_below(&g.rng, fam_bits(fam) + 1),
			  &p[prng_below(&g.rng, NPEERS)]);
	}
	check_structure(_metadata, c);
	ASSERT_LT(0, kshim_slab.live);
	wgm_allowedips_free(&c->t, &c->lock);
	EXPECT_EQ(0, kshim_slab.live);
	EXPECT_EQ(0, c->t.entries);
	for (i = 0; i < NPEERS; ++i)
		EXPECT_EQ(0, wgm_allowedips_count_peer(&p[i]));
	ip4(ip, 1, 2, 3, 4);
	EXPECT_EQ(NULL, api_lookup(c, AF_INET, ip));
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());

	/* the table is usable again after free */
	c->ref.n = 0;
	ASSERT_EQ(0, do_insert(_metadata, c, AF_INET, ip, 8, &p[1]));
	EXPECT_EQ(&p[1], api_lookup(c, AF_INET, ip));
	check_structure(_metadata, c);
}

/*
 * The deepest possible trie: every length 0..bits along the all-ones
 * address, each with a sibling differing in its last bit, so every node
 * but the leaves has two children.  Lookups at every depth, then a free
 * that must release all 2 * bits + 1 nodes.
 */
static void deepest(META, struct ctx *c, int fam)
{
	unsigned int bits = fam_bits(fam), len;
	u8 ip[16], sib[16];
	struct gen g;

	gen_init(&g, 0x5eed0004);
	memset(ip, 0xff, 16);
	mask_ip(ip, bits);
	for (len = 0; len <= bits; ++len) {
		ASSERT_EQ(0, do_insert(_metadata, c, fam, ip, (u8)len, &c->peers[len % NPEERS]));
		if (!len)
			continue;
		memcpy(sib, ip, 16);
		sib[(len - 1) / 8] ^= (u8)(0x80 >> ((len - 1) % 8));
		ASSERT_EQ(0, do_insert(_metadata, c, fam, sib, (u8)len,
				       &c->peers[(len + 1) % NPEERS]));
	}
	check_structure(_metadata, c);
	EXPECT_EQ(2 * bits + 1, kshim_slab.live);
	check_lookups(_metadata, c, &g, 3000, fam);
	for (len = 0; len <= bits; ++len) {
		memcpy(sib, ip, 16);
		mask_ip(sib, len);
		randomise_tail(&g, sib, len, bits);
		ASSERT_EQ(ref_lookup(&c->ref, fam, sib), api_lookup(c, fam, sib));
	}
	wgm_allowedips_free(&c->t, &c->lock);
	EXPECT_EQ(0, kshim_slab.live);
}

TEST_F(trie, deepest_trie_v4)
{
	deepest(_metadata, &self->c, AF_INET);
}

TEST_F(trie, deepest_trie_v6)
{
	deepest(_metadata, &self->c, AF_INET6);
}

/* ---- randomised comparison against the reference, per family ---- */

FIXTURE(random) {
	struct ctx c;
};

FIXTURE_VARIANT(random) {
	int fam;	/* AF_INET, AF_INET6 or FAM_BOTH */
	uint64_t seed;
};

FIXTURE_VARIANT_ADD(random, v4) {
	.fam = AF_INET,
	.seed = 0x4444,
};

FIXTURE_VARIANT_ADD(random, v6) {
	.fam = AF_INET6,
	.seed = 0x6666,
};

FIXTURE_VARIANT_ADD(random, mixed) {
	.fam = FAM_BOTH,
	.seed = 0x4646,
};

FIXTURE_SETUP(random)
{
	ctx_setup(_metadata, &self->c, 1000000);
}

FIXTURE_TEARDOWN(random)
{
	ctx_teardown(_metadata, &self->c);
}

static int pick_fam(struct gen *g, int fam_mask)
{
	if (fam_mask != FAM_BOTH)
		return fam_mask;
	return prng_below(&g->rng, 2) ? AF_INET6 : AF_INET;
}

TEST_F(random, matches_brute_force)
{
	struct ctx *c = &self->c;
	struct wgm_peer *p = c->peers;
	const struct ref_entry *e;
	struct ref_entry copy;
	unsigned int i, op;
	struct gen g;
	u8 ip[16];
	int fam;

	gen_init(&g, variant->seed);

	/* 1: bulk insert, including many exact repeats (moves) */
	for (i = 0; i < 3000; ++i) {
		fam = pick_fam(&g, variant->fam);
		gen_addr(&g, fam, ip);
		ASSERT_EQ(0, do_insert(_metadata, c, fam, ip,
				       (u8)prng_below(&g.rng, fam_bits(fam) + 1),
				       &p[prng_below(&g.rng, NPEERS)]));
	}
	check_structure(_metadata, c);
	check_lookups(_metadata, c, &g, 6000, variant->fam);

	/* 2: mixed inserts, moves, removals (right and wrong owner) */
	for (i = 0; i < 3000; ++i) {
		op = (unsigned int)prng_below(&g.rng, 10);
		if (op < 4 || !c->ref.n) {
			fam = pick_fam(&g, variant->fam);
			gen_addr(&g, fam, ip);
			do_insert(_metadata, c, fam, ip,
				  (u8)prng_below(&g.rng, fam_bits(fam) + 1),
				  &p[prng_below(&g.rng, NPEERS)]);
			continue;
		}
		e = &c->ref.e[prng_below(&g.rng, c->ref.n)];
		copy = *e;	/* do_* may reorder the reference array */
		memcpy(ip, copy.ip, 16);
		randomise_tail(&g, ip, copy.cidr, fam_bits(copy.fam));
		if (op < 6) {
			do_insert(_metadata, c, copy.fam, ip, copy.cidr,
				  &p[prng_below(&g.rng, NPEERS)]);
		} else if (op < 8) {
			ASSERT_EQ(0, do_remove(_metadata, c, copy.fam, ip, copy.cidr, copy.peer));
		} else if (op < 9) {
			ASSERT_EQ(-ENOENT, do_remove(_metadata, c, copy.fam, ip, copy.cidr,
						     &p[(copy.peer->id + 1) % NPEERS]));
		} else {
			do_remove(_metadata, c, copy.fam, ip,
				  (u8)prng_below(&g.rng, fam_bits(copy.fam) + 1), copy.peer);
		}
		if (i % 500 == 0)
			check_structure(_metadata, c);
	}
	check_structure(_metadata, c);
	check_lookups(_metadata, c, &g, 6000, variant->fam);

	/* 3: drop half the peers wholesale */
	for (i = 0; i < NPEERS; i += 2) {
		wgm_allowedips_remove_by_peer(&c->t, &p[i], &c->lock);
		ref_remove_peer(&c->ref, &p[i]);
	}
	check_structure(_metadata, c);
	check_lookups(_metadata, c, &g, 4000, variant->fam);

	/* 4: remove everything else one prefix at a time */
	while (c->ref.n) {
		copy = c->ref.e[prng_below(&g.rng, c->ref.n)];
		ASSERT_EQ(0, do_remove(_metadata, c, copy.fam, copy.ip, copy.cidr, copy.peer));
		if (c->ref.n % 256 == 0) {
			check_structure(_metadata, c);
			check_lookups(_metadata, c, &g, 200, variant->fam);
		}
	}
	EXPECT_EQ(0, c->t.entries);
	EXPECT_EQ(NULL, rcu_access_pointer(c->t.root4));
	EXPECT_EQ(NULL, rcu_access_pointer(c->t.root6));
	EXPECT_EQ(0, kshim_slab.live);
}

TEST_HARNESS_MAIN
