/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cryptokey routing table: longest-prefix match from an inner IPv4/IPv6
 * address to the peer allowed to use it.
 *
 * Locking:
 *  - every writer (insert, remove, remove_by_peer, free) must hold the
 *    mutex passed as @lock (the device's configuration mutex); it is
 *    checked with lockdep;
 *  - lookups run under rcu_read_lock_bh() only and never block writers;
 *  - a peer's prefix list (wgm_allowedips_for_each_peer_node(),
 *    wgm_allowedips_read_node(), wgm_allowedips_count_peer()) may only be
 *    walked while holding that same mutex.
 *
 * A peer owns a list of its prefixes: struct wgm_peer must contain
 * `struct list_head allowedips_list`, initialised with INIT_LIST_HEAD()
 * before the peer is first inserted, and the peer must call
 * wgm_allowedips_remove_by_peer() before it is freed.
 *
 * Node memory comes from a kmem_cache: wgm_allowedips_slab_init() must be
 * called at module init before any insert, wgm_allowedips_slab_uninit() at
 * module exit after every table was freed (it waits for pending RCU frees).
 */
#ifndef _WGM_ALLOWEDIPS_H
#define _WGM_ALLOWEDIPS_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/in.h>
#include <linux/in6.h>

struct wgm_peer;
struct wgm_allowedips_node;

struct wgm_allowedips {
	struct wgm_allowedips_node __rcu *root4, *root6;
	u64 seq;			/* bumped on every change */
	unsigned int entries;		/* prefixes that map to a peer */
	unsigned int max_entries;	/* hard cap on entries */
};

int wgm_allowedips_slab_init(void);
void wgm_allowedips_slab_uninit(void);

void wgm_allowedips_init(struct wgm_allowedips *table, unsigned int max_entries);
void wgm_allowedips_free(struct wgm_allowedips *table, struct mutex *lock);

int wgm_allowedips_insert_v4(struct wgm_allowedips *table, const struct in_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock);
int wgm_allowedips_insert_v6(struct wgm_allowedips *table, const struct in6_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock);
int wgm_allowedips_remove_v4(struct wgm_allowedips *table, const struct in_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock);
int wgm_allowedips_remove_v6(struct wgm_allowedips *table, const struct in6_addr *ip,
			     u8 cidr, struct wgm_peer *peer, struct mutex *lock);
void wgm_allowedips_remove_by_peer(struct wgm_allowedips *table,
				   struct wgm_peer *peer, struct mutex *lock);

/* Caller must hold the table's mutex for the three calls below. */
int wgm_allowedips_read_node(const struct wgm_allowedips_node *node, u8 ip[16], u8 *cidr);
struct wgm_allowedips_node *wgm_allowedips_peer_first(struct wgm_peer *peer);
struct wgm_allowedips_node *wgm_allowedips_peer_next(struct wgm_peer *peer,
						     struct wgm_allowedips_node *node);
unsigned int wgm_allowedips_count_peer(struct wgm_peer *peer);

struct wgm_allowedips_iter {
	struct wgm_peer *peer;
	struct wgm_allowedips_node **node;
	bool start;	/* true: begin at the peer's first prefix */
};

static inline bool wgm_allowedips_iter_next(struct wgm_allowedips_iter *it)
{
	if (it->start) {
		*it->node = wgm_allowedips_peer_first(it->peer);
		it->start = false;
	} else {
		*it->node = wgm_allowedips_peer_next(it->peer, *it->node);
	}
	return *it->node;
}

/*
 * Iterate over the prefixes of @peer in insertion order, setting @node
 * (a struct wgm_allowedips_node *); must hold the table's mutex.  @node is
 * NULL after a complete walk and keeps its value on break.  A node saved
 * across a mutex release (a dump continued in the next message) may only be
 * reused if table->seq did not change in between.
 */
#define wgm_allowedips_for_each_peer_node(node, peer)				\
	for (struct wgm_allowedips_iter __wgm_aip_it = { (peer), &(node), true };	\
	     wgm_allowedips_iter_next(&__wgm_aip_it);)

/* Continue after @node, which is not visited again. */
#define wgm_allowedips_for_each_peer_node_continue(node, peer)			\
	for (struct wgm_allowedips_iter __wgm_aip_it = { (peer), &(node), false };	\
	     wgm_allowedips_iter_next(&__wgm_aip_it);)

/* Hot path: caller holds rcu_read_lock_bh(); no reference is taken. */
struct wgm_peer *wgm_allowedips_lookup_v4(struct wgm_allowedips *table,
					  const struct in_addr *addr);
struct wgm_peer *wgm_allowedips_lookup_v6(struct wgm_allowedips *table,
					  const struct in6_addr *addr);

#endif /* _WGM_ALLOWEDIPS_H */
