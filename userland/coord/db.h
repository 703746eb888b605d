/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * meshcoord state: one SQLite database (WAL) in the state directory holding
 * the network's key pair and ULA prefix, the nodes and the auth keys.  Used
 * by the service and, concurrently, by the admin subcommands.
 */
#ifndef MESHCOORD_DB_H
#define MESHCOORD_DB_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "err.h"
#include "proto.h"

#define COORD_MAX_NODES		10000	/* default of coord_db.max_nodes */
#define COORD_DB_FILE		"state.db"
#define COORD_V4_PLEN		10	/* 100.64.0.0/10 */
#define COORD_V6_PLEN		48	/* the ULA prefix chosen at init */
#define COORD_AUTHKEY_PREFIX	"wgmk-"

struct coord_db {
	sqlite3 *sql;
	uint8_t priv[32], pub[32];	/* the service's static X25519 pair */
	uint8_t ula[6];			/* fdxx:xxxx:xxxx::/48 */
	uint32_t max_nodes;		/* coord_db_join refuses beyond this */
	bool busy;	/* the last failure met another process's lock */
	bool has_nat;	/* nodes.nat exists (always after a read-write open) */
};

struct coord_node {
	int64_t id;
	uint8_t pubkey[MP_KEY_LEN];
	char name[MP_NAME_MAX + 1];
	uint32_t index;			/* host part within 100.64.0.0/10 */
	uint8_t addr4[4], addr6[16];
	struct mp_candidates cand;
	int64_t last_seen;		/* unix seconds, 0 = never */
	bool online;
	uint8_t nat;			/* MP_NAT_*, as the node last reported */
};

/* Open (creating dir, schema, key pair and ULA prefix on first use). */
int coord_db_open(struct coord_db *db, const char *dir, struct wgm_err *err);
/*
 * Open an existing database read-only: no schema, no writes, no chmod
 * (admin reads, e.g. by a user who may only read the state directory).
 */
int coord_db_open_ro(struct coord_db *db, const char *dir,
		     struct wgm_err *err);
/* How long a write waits for another process's lock (default 2000 ms). */
void coord_db_busy_timeout(struct coord_db *db, int ms);
void coord_db_close(struct coord_db *db);

/* PRAGMA data_version: changes when another connection committed. */
int coord_db_data_version(struct coord_db *db, int64_t *v);

/* All nodes, ordered by id; *nodes is malloc'ed (free it). */
int coord_db_nodes(struct coord_db *db, struct coord_node **nodes,
		   size_t *n, struct wgm_err *err);
/* 1 found, 0 not found, -1 error. */
int coord_db_find(struct coord_db *db, const uint8_t pubkey[MP_KEY_LEN],
		  struct coord_node *out, struct wgm_err *err);

/* A name that reads as an IPv4 address (a remove selector would be ambiguous). */
bool coord_name_is_address(const char *name);

/*
 * Register a new node: checks and consumes the auth key, picks a unique
 * name (name, name-2, ...) and an address derived from the key (stable
 * across removal and re-join unless taken meanwhile).  Returns 0 or an
 * enum mp_errcode (> 0) with err set, or -1 for a database failure.
 */
int coord_db_join(struct coord_db *db, const uint8_t pubkey[MP_KEY_LEN],
		  const char *name, const char *authkey, int64_t now,
		  struct coord_node *out, struct wgm_err *err);

int coord_db_set_candidates(struct coord_db *db, int64_t id,
			    const struct mp_candidates *cand,
			    struct wgm_err *err);
int coord_db_set_seen(struct coord_db *db, int64_t id, bool online,
		      int64_t now, struct wgm_err *err);
/* The NAT mapping type the node reported (MP_NAT_*). */
int coord_db_set_nat(struct coord_db *db, int64_t id, uint8_t nat,
		     struct wgm_err *err);
int coord_db_all_offline(struct coord_db *db, struct wgm_err *err);

/*
 * Remove the node named by sel (name, base64 public key, or overlay
 * address); the removed node goes to *out.  1 removed, 0 no such node,
 * -1 error (also when sel names more than one node: err says which).
 */
int coord_db_remove(struct coord_db *db, const char *sel,
		    struct coord_node *out, struct wgm_err *err);

/*
 * Create an auth key; expires is a unix time (0: never).  The key text
 * (COORD_AUTHKEY_PREFIX + 40 hex digits) goes into out; only its hash is
 * stored.
 */
#define COORD_AUTHKEY_LEN (sizeof(COORD_AUTHKEY_PREFIX) - 1 + 40)
int coord_db_authkey_create(struct coord_db *db, bool reusable,
			    int64_t expires, int64_t now,
			    char out[COORD_AUTHKEY_LEN + 1],
			    struct wgm_err *err);

/*
 * Relays (meshrelay, relay.rst "Several relays: meshrelay"): a name and
 * the static key the relay connects with, registered by the
 * administrator.  COORD_EMBEDDED_RELAY names meshcoord's own relay.
 */
#define COORD_EMBEDDED_RELAY	MP_EMBEDDED_RELAY
struct coord_relay {
	char name[MP_NAME_MAX + 1];
	uint8_t pubkey[MP_KEY_LEN];
	int64_t added;			/* unix seconds */
};
/* 0, or -1 with err set (invalid or taken name, key registered already). */
int coord_db_relay_add(struct coord_db *db, const char *name,
		       const uint8_t pubkey[MP_KEY_LEN], int64_t now,
		       struct wgm_err *err);
/* All relays by name; *out is malloc'ed (free it), NULL when none. */
int coord_db_relays(struct coord_db *db, struct coord_relay **out, size_t *n,
		    struct wgm_err *err);
/* 1 removed, 0 no such relay, -1 error. */
int coord_db_relay_remove(struct coord_db *db, const char *name, struct wgm_err *err);

/* Fill addr4/addr6 of n from n->index and the ULA prefix. */
void coord_node_addrs(const struct coord_db *db, struct coord_node *n);

#endif /* MESHCOORD_DB_H */
