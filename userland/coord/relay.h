/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The relay's core (Documentation/relay.rst): the allocation table, bind
 * verification, the forwarding decision and the limits.  Pure: no
 * sockets, no clock, no randomness of its own; meshcoord's loop feeds it
 * datagrams, times and random bytes and does what it decides.
 *
 * Ports.  Allocation i owns ports lo + 2i (side 0) and lo + 2i + 1 (side
 * 1), so a datagram's local port names its allocation and side without a
 * lookup.  Side 0 belongs to node a, side 1 to node b: what arrives on
 * side 0 from a's bound address goes out of side 1 to b's bound address.
 *
 * TCP.  A side may instead be carried over its node's control connection
 * (relay.rst, "TCP fallback"): relay_tcp_set() marks it, relay_tcp_input()
 * takes what the node sends over the connection, and a datagram for such
 * a side is RELAY_FORWARD_TCP: the caller sends it to that side's node
 * over its connection.  A valid UDP bind ends TCP carriage of its side.
 */
#ifndef WGM_COORD_RELAY_H
#define WGM_COORD_RELAY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

#define RELAY_KEY_LEN		32
#define RELAY_NODE_LEN		32	/* a node's public key */
#define RELAY_BIND_LEN		32
#define RELAY_BIND_TYPE		0xE3
#define RELAY_BIND_MAC_LEN	16
#define RELAY_BIND_FRESH_MS	60000ULL	/* a binding lasts this long */
#define RELAY_IDLE_MS		600000ULL	/* unbound this long: freed */
/* random bytes relay_alloc() takes: two keys and two ids */
#define RELAY_ALLOC_RANDOM	(2 * RELAY_KEY_LEN + 2 * 4)


struct relay_side {
	uint8_t node[RELAY_NODE_LEN];
	uint8_t key[RELAY_KEY_LEN];
	uint32_t id;
	uint64_t last_ctr;		/* newest accepted bind counter */
	bool bound;
	bool tcp;			/* carried over the node's connection */
	union wgm_sockaddr addr;		/* bound address */
	uint64_t bound_ms;		/* when the last bind was accepted */
	uint64_t tokens;		/* rate bucket, bytes */
	uint64_t refill_ms;
	uint64_t fwd_pkts, fwd_bytes;	/* forwarded from this side */
};

struct relay_alloc {
	bool used;
	uint64_t created_ms;
	struct relay_side side[2];
};

struct relay_table {
	struct relay_alloc *allocs;
	unsigned int n;			/* allocations (half the ports) */
	uint16_t port_lo;
	unsigned int max_per_node;
	uint64_t rate;			/* bytes per second per side; 0 = none */
	uint64_t fwd_pkts, fwd_bytes;	/* forwarded, all allocations ever */
	uint64_t drops;			/* datagrams dropped, any reason */
	uint64_t bad_binds;		/* binds that failed a check */
};

/* What one side of an allocation tells its node. */
struct relay_grant {
	uint8_t peer[RELAY_NODE_LEN];	/* the other node */
	uint16_t port;			/* its relay candidate's port */
	uint32_t id;
	uint8_t key[RELAY_KEY_LEN];
};

/* Ports lo..hi (an even count is used; at least 2); -1 on bad arguments or
 * out of memory. */
int relay_init(struct relay_table *t, uint16_t lo, uint16_t hi,
	       unsigned int max_per_node, uint64_t rate);
void relay_free(struct relay_table *t);

/*
 * A new allocation between nodes a and b (a != b), keys and ids from @rnd
 * (RELAY_ALLOC_RANDOM bytes; ids of 0 become 1).  Fills grant[0] for a and
 * grant[1] for b.  Returns the allocation index, or -1: no free ports, a
 * node at its limit, a == b, or the pair already has one (relay_find()).
 */
int relay_alloc(struct relay_table *t, const uint8_t a[RELAY_NODE_LEN],
		const uint8_t b[RELAY_NODE_LEN], const uint8_t *rnd,
		uint64_t now_ms, struct relay_grant grant[2]);
/*
 * meshrelay (relay.rst, "Several relays: meshrelay"): allocation @i as
 * the coordination service made it with relay_alloc() on a table of the
 * same ports, node[s], id[s] and key[s] for side s, replacing whatever @i
 * held (counters and bindings start afresh).  The service enforces the
 * limits.  0, or -1: @i out of range, the nodes equal or an id 0.
 */
int relay_install(struct relay_table *t, unsigned int i,
		  const uint8_t node[2][RELAY_NODE_LEN], const uint32_t id[2],
		  const uint8_t key[2][RELAY_KEY_LEN], uint64_t now_ms);
/* Index of the allocation between a and b (either order), or -1. */
int relay_find(const struct relay_table *t, const uint8_t a[RELAY_NODE_LEN],
	       const uint8_t b[RELAY_NODE_LEN]);
/* Allocations a node has. */
unsigned int relay_count_node(const struct relay_table *t,
			      const uint8_t node[RELAY_NODE_LEN]);
/* Frees allocation i (keys wiped). */
void relay_release(struct relay_table *t, unsigned int i);
/*
 * The next allocation from index *pos on that involves @node (for
 * releasing a node's allocations when it goes); -1 when none.  *pos is
 * advanced past it.
 */
int relay_next_of_node(const struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
		       unsigned int *pos);
/* The next allocation from *pos idle for RELAY_IDLE_MS (neither side bound
 * lately); -1 when none. */
int relay_next_idle(const struct relay_table *t, uint64_t now_ms, unsigned int *pos);

/* Allocation index and side of a local port; -1 when not an allocated port. */
int relay_port_alloc(const struct relay_table *t, uint16_t port, unsigned int *side);
uint16_t relay_port_of(const struct relay_table *t, unsigned int i, unsigned int side);

enum relay_verdict {
	RELAY_DROP,		/* say nothing, change nothing (or a bad bind) */
	RELAY_BOUND,		/* a valid bind: the source is bound now */
	RELAY_FORWARD,		/* send it unchanged from out_port to out_addr */
	RELAY_FORWARD_TCP,	/* send it to the node of out_port's side, over TCP */
};

/*
 * A datagram of @len bytes arrived on local port @port from @src at
 * @now_ms.  On RELAY_FORWARD, *out_port and *out_addr say where to send it.
 */
enum relay_verdict relay_input(struct relay_table *t, uint16_t port,
			       const union wgm_sockaddr *src, const uint8_t *pkt,
			       size_t len, uint64_t now_ms, uint16_t *out_port,
			       union wgm_sockaddr *out_addr);

/*
 * The side with allocation id @id that belongs to @node: its allocation
 * index, and its side in *side; -1 when there is none.
 */
int relay_find_side(const struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
		    uint32_t id, unsigned int *side);

/*
 * @node says its side @id is carried over its connection (@on) or bound
 * over UDP again (!@on).  0, or -1 when @node has no side with that id.
 */
int relay_tcp_set(struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
		  uint32_t id, bool on, uint64_t now_ms);

/*
 * A datagram of @len bytes from @node over its connection, for its side
 * @id (carried over TCP).  RELAY_FORWARD or RELAY_FORWARD_TCP as for
 * relay_input (*out_port names the other side), or RELAY_DROP: no such
 * side, not carried over TCP, the other side not bound, or over the rate.
 */
enum relay_verdict relay_tcp_input(struct relay_table *t, const uint8_t node[RELAY_NODE_LEN],
				   uint32_t id, size_t len, uint64_t now_ms,
				   uint16_t *out_port, union wgm_sockaddr *out_addr);

/* Builds a bind (what the kernel sends; for tests and tools). */
void relay_bind_build(uint8_t out[RELAY_BIND_LEN], uint32_t id, uint64_t counter,
		      const uint8_t key[RELAY_KEY_LEN]);

#endif /* WGM_COORD_RELAY_H */
