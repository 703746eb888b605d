// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cryptokey routing: a path-compressed binary trie per address family.
 *
 * Addresses are handled as 128-bit keys held in two host-order u64 words,
 * most significant bit first; an IPv4 address occupies the top 32 bits of
 * the high word.  Each node covers the prefix (key, cidr) with every bit
 * past cidr cleared.  A child's prefix is strictly longer than its parent's
 * and extends it; the child hangs off bit[b] where b is the child's key bit
 * at position parent->cidr.  Hence a root-to-leaf path has at most
 * bits + 1 nodes.
 *
 * A node either maps to a peer or is a "join" node that only exists to
 * split two subtrees diverging at its cidr; a join node always has exactly
 * two children, and is removed as soon as it would have fewer.
 *
 * A node's key and cidr never change once it is reachable; writers only
 * publish new nodes (fully initialised) with rcu_assign_pointer(), swap a
 * node's peer pointer, or unlink nodes and free them after a grace period.
 * Readers therefore see either the old or the new shape of the trie.
 */

#include "allowedips.h"
#include "peer.h"

#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/slab.h>
#include <linux/socket.h>

struct wgm_aip_key {
	u64 hi, lo;
};

struct wgm_allowedips_node {
	/* read by lookups */
	struct wgm_allowedips_node __rcu *bit[2];
	struct wgm_peer __rcu *peer;
	struct wgm_aip_key key;
	u8 cidr;
	u8 bits;		/* 32 or 128: the family */
	/* writer side only, protected by the table's mutex */
	struct wgm_allowedips_node *parent;
	union {
		struct list_head peer_list;	/* while linked in the trie */
		struct rcu_head rcu;		/* once unlinked */
	};
};

static struct kmem_cache *node_cache;

int wgm_allowedips_slab_init(void)
{
	node_cache = KMEM_CACHE(wgm_allowedips_node, 0);
	return node_cache ? 0 : -ENOMEM;
}

void wgm_allowedips_slab_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(node_cache);
	node_cache = NULL;
}

static void node_free_rcu(struct rcu_head *rcu)
{
	kmem_cache_free(node_cache, container_of(rcu, struct wgm_allowedips_node, rcu));
}

/* Node must already be unreachable from the trie and from any peer list. */
static void node_free(struct wgm_allowedips_node *node)
{
	call_rcu(&node->rcu, node_free_rcu);
}

static inline u64 mask64(unsigned int len)
{
	return len ? ~0ULL << (64 - len) : 0;
}

static inline void key_mask(struct wgm_aip_key *k, unsigned int cidr)
{
	if (cidr <= 64) {
		k->hi &= mask64(cidr);
		k->lo = 0;
	} else {
		k->lo &= mask64(cidr - 64);
	}
}

/* Number of leading bits @a and @b have in common, 0..128. */
static inline unsigned int key_common(const struct wgm_aip_key *a, const struct wgm_aip_key *b)
{
	u64 x = a->hi ^ b->hi;

	if (x)
		return 64 - fls64(x);
	x = a->lo ^ b->lo;
	if (x)
		return 128 - fls64(x);
	return 128;
}

/* Bit @pos (0 = most significant) of @k; pos < 128. */
static inline unsigned int key_bit(const struct wgm_aip_key *k, unsigned int pos)
{
	if (pos < 64)
		return (k->hi >> (63 - pos)) & 1;
	return (k->lo >> (127 - pos)) & 1;
}

static inline void key_from_v4(struct wgm_aip_key *k, const struct in_addr *ip)
{
	k->hi = (u64)be32_to_cpu(ip->s_addr) << 32;
	k->lo = 0;
}

static inline void key_from_v6(struct wgm_aip_key *k, const struct in6_addr *ip)
{
	k->hi = (u64)be32_to_cpu(ip->s6_addr32[0]) << 32 | be32_to_cpu(ip->s6_addr32[1]);
	k->lo = (u64)be32_to_cpu(ip->s6_addr32[2]) << 32 | be32_to_cpu(ip->s6_addr32[3]);
}

static inline bool node_covers(const struct wgm_allowedips_node *node, const struct wgm_aip_key *k)
{
	return key_common(&node->key, k) >= node->cidr;
}

static struct wgm_peer *trie_lookup(struct wgm_allowedips_node __rcu **root,
				    const struct wgm_aip_key *k)
{
	struct wgm_allowedips_node *node = rcu_dereference_bh(*root);
	struct wgm_peer *found = NULL, *peer;

	while (node && node_covers(node, k)) {
		peer = rcu_dereference_bh(node->peer);
		if (peer)
			found = peer;
		if (node->cidr == node->bits)
			break;
		node = rcu_dereference_bh(node->bit[key_bit(k, node->cidr)]);
	}
	return found;
}

struct wgm_peer *wgm_allowedips_lookup_v4(struct wgm_allowedips *table, const struct in_addr *addr)
{
	struct wgm_aip_key k;

	key_from_v4(&k, addr);
	return trie_lookup(&table->root4, &k);
}

struct wgm_peer *wgm_allowedips_lookup_v6(struct wgm_allowedips *table,
					  const struct in6_addr *addr)
{
	struct wgm_aip_key k;

	key_from_v6(&k, addr);
	return trie_lookup(&table->root6, &k);
}

#define deref_locked(p, lock) rcu_dereference_protected(p, lockdep_is_held(lock))

static struct wgm_allowedips_node *node_alloc(const struct wgm_aip_key *k, u8 cidr, u8 bits,
					      struct wgm_allowedips_node *parent)
{
	struct wgm_allowedips_node *node = kmem_cache_zalloc(node_cache, GFP_KERNEL);

	if (!node)
		return NULL;
	node->key = *k;
	key_mask(&node->key, cidr);
	node->cidr = cidr;
	node->bits = bits;
	node->parent = parent;
	INIT_LIST_HEAD(&node->peer_list);
	return node;
}

/* The pointer that references @node: a root or a slot in its parent. */
static struct wgm_allowedips_node __rcu **node_slot(struct wgm_allowedips *table,
						    struct wgm_allowedips_node *node)
{
	struct wgm_allowedips_node *parent = node->parent;

	if (!parent)
		return node->bits == 32 ? &table->root4 : &table->root6;
	return &parent->bit[key_bit(&node->key, parent->cidr)];
}

/* Must hold the table's mutex. */
static int node_set_peer(struct wgm_allowedips *table, struct wgm_allowedips_node *node,
			 struct wgm_peer *peer, struct mutex *lock)
{
	struct wgm_peer *old = deref_locked(node->peer, lock);

	if (old == peer)
		return 0;
	if (!old) {
		if (table->entries >= table->max_entries)
			return -ENOSPC;
		++table->entries;
	}
	rcu_assign_pointer(node->peer, peer);
	list_move_tail(&node->peer_list, &peer->allowedips_list);
	++table->seq;
	return 0;
}

static int trie_insert(struct wgm_allowedips *table, struct wgm_allowedips_node __rcu **root,
		       u8 bits, const struct wgm_aip_key *key, u8 cidr, struct wgm_peer *peer,
		       struct mutex *lock)
{
	struct wgm_allowedips_node __rcu **slot = root;
	struct wgm_allowedips_node *node, *parent = NULL, *newnode, *join;
	unsigned int common = 0;
	struct wgm_aip_key k;

	lockdep_assert_held(lock);
	if (cidr > bits || !peer)
		return -EINVAL;
	k = *key;
	key_mask(&k, cidr);

	/* Descend while the node's prefix contains the new one. */
	for (;;) {
		node = deref_locked(*slot, lock);
		if (!node)
			break;
		common = min3(key_common(&k, &node->key), (unsigned int)cidr,
			      (unsigned int)node->cidr);
		if (common < node->cidr)
			break;
		if (node->cidr == cidr)
			return node_set_peer(table, node, peer, lock);
		parent = node;
		slot = &node->bit[key_bit(&k, node->cidr)];
	}

	if (table->entries >= table->max_entries)
		return -ENOSPC;
	newnode = node_alloc(&k, cidr, bits, parent);
	if (!newnode)
		return -ENOMEM;
	RCU_INIT_POINTER(newnode->peer, peer);

	if (!node) {
		/* Empty slot: plain leaf. */
		rcu_assign_pointer(*slot, newnode);
	} else if (common == cidr) {
		/* The new prefix contains @node: put it above. */
		RCU_INIT_POINTER(newnode->bit[key_bit(&node->key, cidr)], node);
		node->parent = newnode;
		rcu_assign_pointer(*slot, newnode);
	} else {
		/* The prefixes diverge at bit @common: join them. */
		join = node_alloc(&k, common, bits, parent);
		if (!join) {
			kmem_cache_free(node_cache, newnode);
			return -ENOMEM;
		}
		RCU_INIT_POINTER(join->bit[key_bit(&k, common)], newnode);
		RCU_INIT_POINTER(join->bit[key_bit(&node->key, common)], node);
		newnode->parent = join;
		node->parent = join;
		rcu_assign_pointer(*slot, join);
	}
	list_add_tail(&newnode->peer_list, &peer->allowedips_list);
	++table->entries;
	++table->seq;
	return 0;
}

/* Find the node for exactly (key, cidr), with or without a peer. */
static struct wgm_allowedips_node *find_exact(struct wgm_allowedips_node __rcu **root,
					      const struct wgm_aip_key *k, u8 cidr,
					      struct mutex *lock)
{
	struct wgm_allowedips_node *node = deref_locked(*root, lock);

	while (node && node->cidr <= cidr && node_covers(node, k)) {
		if (node->cidr == cidr)
			return node;
		node = deref_locked(node->bit[key_bit(k, node->cidr)], lock);
	}
	return NULL;
}

/*
 * Drop @node's peer and restore the trie invariants: a node without a peer
 * needs two children, otherwise it is spliced out (which may in turn leave
 * its parent, if that is a join node, with a single child).
 * Must hold the table's mutex.
 */
static void node_unset_peer(struct wgm_allowedips *table, struct wgm_allowedips_node *node,
			    struct mutex *lock)
{
	struct wgm_allowedips_node __rcu **slot;
	struct wgm_allowedips_node *child0, *child1, *child, *parent;

	RCU_INIT_POINTER(node->peer, NULL);
	list_del_init(&node->peer_list);
	--table->entries;
	++table->seq;

	child0 = deref_locked(node->bit[0], lock);
	child1 = deref_locked(node->bit[1], lock);
	if (child0 && child1)
		return;		/* stays as a join node */

	parent = node->parent;
	slot = node_slot(table, node);
	child = child0 ? child0 : child1;
	if (child) {
		child->parent = parent;
		rcu_assign_pointer(*slot, child);
		node_free(node);
		return;
	}
	RCU_INIT_POINTER(*slot, NULL);
	node_free(node);

	if (!parent || rcu_access_pointer(parent->peer))
		return;
	/* @parent is a join node left with one child: splice it out too. */
	child = deref_locked(parent->bit[0], lock);
	if (!child)
		child = deref_locked(parent->bit[1], lock);
	if (WARN_ON_ONCE(!child))
		return;
	slot = node_slot(table, parent);
	child->parent = parent->parent;
	rcu_assign_pointer(*slot, child);
	node_free(parent);
}

static int trie_remove(struct wgm_allowedips *table, struct wgm_allowedips_node __rcu **root,
		       u8 bits, const struct wgm_aip_key *key, u8 cidr, struct wgm_peer *peer,
		       struct mutex *lock)
{
	struct wgm_allowedips_node *node;
	struct wgm_aip_key k;

	lockdep_assert_held(lock);
	if (cidr > bits || !peer)
		return -EINVAL;
	k = *key;
	key_mask(&k, cidr);
	node = find_exact(root, &k, cidr, lock);
	if (!node || deref_locked(node->peer, lock) != peer)
		return -ENOENT;
	node_unset_peer(table, node, lock);
	return 0;
}

int wgm_allowedips_insert_v4(struct wgm_allowedips *table, const struct in_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock)
{
	struct wgm_aip_key k;

	key_from_v4(&k, ip);
	return trie_insert(table, &table->root4, 32, &k, cidr, peer, lock);
}

int wgm_allowedips_insert_v6(struct wgm_allowedips *table, const struct in6_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock)
{
	struct wgm_aip_key k;

	key_from_v6(&k, ip);
	return trie_insert(table, &table->root6, 128, &k, cidr, peer, lock);
}

int wgm_allowedips_remove_v4(struct wgm_allowedips *table, const struct in_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock)
{
	struct wgm_aip_key k;

	key_from_v4(&k, ip);
	return trie_remove(table, &table->root4, 32, &k, cidr, peer, lock);
}

int wgm_allowedips_remove_v6(struct wgm_allowedips *table, const struct in6_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock)
{
	struct wgm_aip_key k;

	key_from_v6(&k, ip);
	return trie_remove(table, &table->root6, 128, &k, cidr, peer, lock);
}

void wgm_allowedips_remove_by_peer(struct wgm_allowedips *table, struct wgm_peer *peer,
				   struct mutex *lock)
{
	struct wgm_allowedips_node *node, *tmp;

	lockdep_assert_held(lock);
	/* Splicing only ever frees nodes without a peer, never @tmp. */
	list_for_each_entry_safe(node, tmp, &peer->allowedips_list, peer_list)
		node_unset_peer(table, node, lock);
}

void wgm_allowedips_init(struct wgm_allowedips *table, unsigned int max_entries)
{
	RCU_INIT_POINTER(table->root4, NULL);
	RCU_INIT_POINTER(table->root6, NULL);
	table->seq = 1;
	table->entries = 0;
	table->max_entries = max_entries;
}

/*
 * Free a detached subtree in post-order with no recursion and no stack:
 * descend by unhooking a child from its parent, climb back through the
 * parent pointers.  Readers that still hold a pointer into the subtree may
 * see it shrink, never freed memory.  Must hold the table's mutex.
 */
static void free_subtree(struct wgm_allowedips_node *node, struct mutex *lock)
{
	struct wgm_allowedips_node *child, *parent;
	unsigned int i;

	while (node) {
		for (i = 0; i < 2; ++i) {
			child = deref_locked(node->bit[i], lock);
			if (child) {
				RCU_INIT_POINTER(node->bit[i], NULL);
				break;
			}
		}
		if (child) {
			node = child;
			continue;
		}
		parent = node->parent;
		if (rcu_access_pointer(node->peer))
			list_del_init(&node->peer_list);
		node_free(node);
		node = parent;
	}
}

void wgm_allowedips_free(struct wgm_allowedips *table, struct mutex *lock)
{
	struct wgm_allowedips_node *root4, *root6;

	lockdep_assert_held(lock);
	root4 = deref_locked(table->root4, lock);
	root6 = deref_locked(table->root6, lock);
	RCU_INIT_POINTER(table->root4, NULL);
	RCU_INIT_POINTER(table->root6, NULL);
	free_subtree(root4, lock);
	free_subtree(root6, lock);
	table->entries = 0;
	++table->seq;
}

int wgm_allowedips_read_node(const struct wgm_allowedips_node *node, u8 ip[16], u8 *cidr)
{
	unsigned int i;

	for (i = 0; i < 8; ++i) {
		ip[i] = node->key.hi >> (56 - 8 * i);
		ip[8 + i] = node->key.lo >> (56 - 8 * i);
	}
	*cidr = node->cidr;
	return node->bits == 32 ? AF_INET : AF_INET6;
}

struct wgm_allowedips_node *wgm_allowedips_peer_first(struct wgm_peer *peer)
{
	return list_first_entry_or_null(&peer->allowedips_list, struct wgm_allowedips_node,
					peer_list);
}

struct wgm_allowedips_node *wgm_allowedips_peer_next(struct wgm_peer *peer,
						     struct wgm_allowedips_node *node)
{
	if (list_is_last(&node->peer_list, &peer->allowedips_list))
		return NULL;
	return list_next_entry(node, peer_list);
}

unsigned int wgm_allowedips_count_peer(struct wgm_peer *peer)
{
	struct wgm_allowedips_node *node;
	unsigned int n = 0;

	wgm_allowedips_for_each_peer_node(node, peer)
		++n;
	return n;
}
