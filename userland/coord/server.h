/* SPDX-License-Identifier: GPL-2.0-only */
/* The meshcoord service loop and the admin subcommands. */
#ifndef MESHCOORD_SERVER_H
#define MESHCOORD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "proto.h"

/* meshrelays online at once (the embedded relay takes RELAY_LIST's other slot). */
#define COORD_MAX_RELAYS	(MP_MAX_RELAYS - 1)
/* Defaults of the limits (options --max-nodes, --max-pending, ...). */
#define COORD_DEF_MAX_NODES	10000
#define COORD_DEF_MAX_PENDING	256	/* connections not yet past HELLO */
#define COORD_DEF_MAX_PER_SOURCE 16	/* of those, from one address (/64) */
#define COORD_LIMIT_MAX		1000000	/* upper bound of every limit option */
#define COORD_HS_TIMEOUT_MS	5000
#define COORD_IDLE_TIMEOUT_MS	(3 * MP_KEEPALIVE_SEC * 1000)	/* 3 keepalives */
/* Send queue per connection: room for one full peer list plus this. */
#define COORD_WQUEUE_BASE	(1u << 20)
#define COORD_WQUEUE_PER_NODE	600u	/* > one sealed MP_PEER frame */
#define COORD_DB_BUSY_MS	20	/* longest wait for a write lock in the loop */
#define COORD_DB_RETRY_MS	500	/* retry of writes that met a lock */
#define COORD_JOIN_PUSH_MS	1000	/* a new node's first push waits for its candidates */
#define COORD_DB_POLL_MS	200	/* admin changes noticed this fast */
#define COORD_ADDR_FILE		"meshcoord.addr"
/* The embedded relay (Documentation/relay.rst). */
#define COORD_DEF_RELAY_LO	3500
#define COORD_DEF_RELAY_HI	3999
#define COORD_DEF_RELAY_ANY	16	/* ports when --stun's port is 0 (any) */
#define COORD_RELAY_ANY_MAX	1024
#define COORD_DEF_RELAY_RATE	12500000ULL	/* bytes/s per node and allocation side */
#define COORD_DEF_RELAY_PER_NODE 64

struct coord_cfg {
	const char *listen;	/* "ADDR:PORT" for the control channel (TCP) */
	const char *stun;	/* "ADDR:PORT" for STUN (UDP), NULL: none */
	/*
	 * The second STUN port (or address), NULL: none.  Agents compare
	 * what the two saw to tell their NAT's mapping (natclass.h).
	 */
	const char *stun2;
	const char *state_dir;
	unsigned int max_nodes;		/* registered nodes */
	unsigned int max_pending;	/* connections before HELLO, all sources */
	unsigned int max_per_source;	/* of those, from one IPv4 address or IPv6 /64 */
	unsigned int max_conns;		/* all connections; 0: max_nodes + max_pending */
	/*
	 * The relay, on --stun's address: ports relay_lo..relay_hi, or when
	 * relay_any is not 0 that many ports the kernel chooses.  Off when
	 * !relay or there is no --stun.
	 */
	bool relay;
	uint16_t relay_lo, relay_hi;
	unsigned int relay_any;
	uint64_t relay_rate;		/* bytes/s per side; 0: no cap */
	unsigned int relay_max_per_node;
	bool no_birthday;		/* --no-birthday: plain punches only */
};

/*
 * --relay-ports: "LO-HI" (1 <= LO < HI <= 65535, at least 2 ports) sets
 * *lo and *hi and *any = 0; "any:N" (N even, 2..COORD_RELAY_ANY_MAX) sets
 * *any = N.  0 or -1 with err set.  Pure.
 */
int coord_parse_relay_ports(const char *s, uint16_t *lo, uint16_t *hi,
			    unsigned int *any, struct wgm_err *err);

/*
 * Split "ADDR:PORT" / "[V6]:PORT" into host and port; the port must be
 * 1..65535, or 0 (any free port) when allow_zero.  0 or -1 with err set.
 */
int coord_parse_addr(const char *spec, char *host, size_t hostlen,
		     uint16_t *port, bool allow_zero, struct wgm_err *err);
/*
 * Check (creating it mode 0700 when missing, if create) that dir is a
 * directory not every user can write to (else refused); a warning for group
 * write access (or sticky o+w) goes to warn (empty when none).  0 or -1 with err set.
 */
int coord_check_state_dir(const char *dir, bool create, char *warn,
			  size_t warnlen, struct wgm_err *err);

/*
 * --stun2's default: --stun's address with the next port ("[::]:3478" ->
 * "[::]:3479"; port 0, any free port, stays 0).  Port 65535 has no next:
 * -1 with err asking for --stun2.
 */
int coord_stun2_default(const char *stun, char *out, size_t len,
			struct wgm_err *err);

/* A candidate endpoint that can be a path from another host (pure). */
bool coord_cand_usable(const struct mp_candidate *c);

/*
 * What to do when a pair needs a punch, from the NAT mapping types its
 * nodes reported (MP_NAT_*): no_punch is the enum mp_nopunch reason not to
 * punch (both hard: two endpoint-dependent mappings never meet; the pair
 * stays on the relay where there is one), 0 to punch.  A punched pair of
 * one easy and one hard side searches as well when @birthday (both agents
 * speak version 5 and --no-birthday is not given): the hard side opens
 * sockets towards the easy side's mapping (MP_BIRTHDAY_OPEN), the easy
 * side sprays the hard side's ports (MP_BIRTHDAY_SPRAY); every other pair
 * gets a plain punch (MP_BIRTHDAY_NONE on both sides).  Pure.
 */
struct coord_strategy {
	uint8_t no_punch;		/* enum mp_nopunch, 0: punch */
	uint8_t birthday_a, birthday_b;	/* MP_BIRTHDAY_* of each side */
};

struct coord_strategy coord_pair_strategy(uint8_t nat_a, uint8_t nat_b, bool birthday);

/*
 * The index in c of a node's NAT-mapped candidate: the first IPv4 one at
 * the address its connection to the service comes from (@src, IPv4; a NAT
 * maps the tunnel's UDP socket to the same public address as the control
 * connection, and STUN reports that mapping as a candidate), or
 * MP_MAPPED_NONE.  Pure.
 */
uint8_t coord_mapped_cand(const struct mp_candidates *c, const struct mp_candidate *src);

/*
 * Which relay carries the pair a, b (relay.rst, "Several relays:
 * meshrelay"), from each node's home relay (its name, "" for none), its
 * RTT to it, and whether its relays ride its control connection (tcp),
 * given the n meshrelays names[i], usable[i] when online with room for
 * the pair.  The home of the node farther from its home (larger RTT; a
 * tie: the name first in order) if usable, else the other node's home if
 * usable, else the embedded relay (-1); always the embedded relay when a
 * node is on TCP (a meshrelay takes no RELAY_DATA).  Returns the index in
 * names, or -1.  Pure.
 */
int coord_relay_place(const char *home_a, uint32_t rtt_a, bool tcp_a,
		      const char *home_b, uint32_t rtt_b, bool tcp_b,
		      const char *const *names, const bool *usable, size_t n);

/* Runs until SIGTERM/SIGINT/SIGHUP (0) or a fatal error (-1). */
int coord_serve(const struct coord_cfg *cfg, struct wgm_err *err);

/* Admin subcommands on the state directory; return the exit status. */
int coord_cmd_nodes(const char *dir);
int coord_cmd_remove(const char *dir, const char *sel);
int coord_cmd_pubkey(const char *dir);
/* The meshrelay registry: relay add NAME PUBKEY, relay list, relay remove NAME. */
int coord_cmd_relay_add(const char *dir, const char *name, const char *pubkey);
int coord_cmd_relay_list(const char *dir);
int coord_cmd_relay_remove(const char *dir, const char *name);
int coord_cmd_authkey_create(const char *dir, bool reusable,
			     int64_t expires_in);
/* "24h", "30m", "7d", "90s", "3600": seconds, or -1. */
int64_t coord_parse_duration(const char *s);

#endif /* MESHCOORD_SERVER_H */
