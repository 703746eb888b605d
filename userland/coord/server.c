// SPDX-License-Identifier: GPL-2.0-only
/*
 * The meshcoord service: one poll(2) loop over the TCP listener, the STUN
 * socket, a signalfd and every connection.  All sockets are non-blocking;
 * each connection has its own frame buffer and a bounded send queue, so a
 * slow or hostile client costs only its own connection.
 *
 * Connection states: HANDSHAKE (waiting for message 1) -> HELLO (channel
 * up, waiting for the first sealed frame, which proves the node key) ->
 * READY (registered node).  Any bad frame closes with one log line.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "db.h"
#include "key.h"
#include "proto.h"
#include "relay.h"
#include "stun.h"
#include "udpbatch.h"

enum conn_state { CS_HANDSHAKE, CS_HELLO, CS_READY };

/*
 * Per-connection token buckets (burst, then one per second): PUNCH_REQUEST
 * beyond the rate is ignored; a CANDIDATES change beyond it is held and
 * applied (only the newest set) when the next token arrives, so one node
 * cannot make the service flood everyone, and no change is lost.
 */
#define PUNCH_BURST 16
#define CAND_BURST 8

struct bucket {
	int64_t tokens, refill;		/* refill: monotonic ms of last token */
};

static void bucket_init(struct bucket *b, int64_t burst, int64_t now)
{
	b->tokens = burst;
	b->refill = now;
}

static bool bucket_take(struct bucket *b, int64_t burst, int64_t now)
{
	int64_t add = (now - b->refill) / 1000;

	if (add > 0) {
		b->tokens = b->tokens + add > burst ? burst : b->tokens + add;
		b->refill += add * 1000;
	}
	if (b->tokens <= 0)
		return false;
	b->tokens--;
	return true;
}

/* When the next token arrives (monotonic ms). */
static int64_t bucket_next(const struct bucket *b)
{
	return b->refill + 1000;
}

struct snode;
struct srelay;

struct sconn {
	struct mp_conn mc;
	enum conn_state state;
	bool dead;		/* close at the end of this loop iteration */
	bool closing;		/* flush the queue (an ERROR), then close */
	int64_t deadline;	/* monotonic ms: handshake or idle timeout */
	uint8_t node_pub[MP_KEY_LEN];
	struct snode *node;	/* READY only */
	struct bucket punch_rate, cand_rate;
	bool cand_held;		/* a CANDIDATES change waits for a token */
	struct mp_candidates held;
	int64_t push_due;	/* monotonic ms: first push of a new node, 0: done */
	bool pending;		/* counted in server.pend[] (before READY) */
	uint8_t version;	/* HELLO version (READY only) */
	bool relay_done;	/* pushed: the others know it; allocations made */
	struct srelay *relay;	/* a meshrelay's connection (READY), else NULL */
	struct mp_candidate src;	/* source address, port 0 (per-source limit) */
	char peer[MP_CAND_STRLEN];
};

/* Nodes that asked for a punch with this one while it could not take one. */
#define PUNCH_WAITERS 4

struct snode {
	struct coord_node n;
	struct sconn *conn;	/* the node's READY connection or NULL */
	int64_t seen_written;	/* wall seconds of the last last_seen write */
	bool seen_dirty, cand_dirty;	/* a write met a lock: retried */
	int64_t waiters[PUNCH_WAITERS];	/* node ids, 0: free */
	bool nat_dirty;			/* n.nat met a lock: retried */
	/* peers whose strategy line was logged since n.nat last changed */
	int64_t declined[PUNCH_WAITERS];
	/* this session's home relay (HOME_RELAY, version 6), "" when none */
	char home[MP_NAME_MAX + 1];
	uint32_t home_rtt_us;
	bool relay_tcp;		/* its relays ride its connection: embedded only */
};

/*
 * A meshrelay online (relay.rst, "Several relays: meshrelay"): its
 * registered name and key, the address it announced, and the
 * allocations this service made on it, in a relay table of its ports
 * (the keys and ids it was sent; it keeps the bindings itself).
 */
struct srelay {
	char name[MP_NAME_MAX + 1];
	uint8_t pubkey[MP_KEY_LEN];
	struct sconn *conn;
	struct mp_candidate ep;		/* its public address, STUN port */
	struct relay_table t;
};

struct server {
	const struct coord_cfg *cfg;
	struct coord_db db;
	int lfd, ufd, ufd2, sigfd, lockfd;	/* ufd2: the second STUN port */
	struct mp_stun_list stun;	/* WELCOME's list (version-2 agents) */
	unsigned int max_conns;
	struct sconn **conns;		/* max_conns */
	size_t nconns;
	struct sconn **pend;		/* cfg->max_pending: not yet READY */
	size_t npend;
	struct snode **nodes;
	size_t nnodes;
	/*
	 * nodes[] by public key (find_node): open addressing with linear
	 * probing, a power of two at least twice nnodes, slots from a keyed
	 * SipHash of the key.  A relayed datagram over TCP looks its node up,
	 * so this is on a data path; a service of 10,000 nodes scanned them
	 * all for every one.  Rebuilt whole when it grows and when a node
	 * goes (rare: the administrator removed it).
	 */
	struct snode **ix;
	size_t ixcap;
	uint8_t ix_key[crypto_shorthash_KEYBYTES];
	int64_t data_version;
	int64_t next_db_poll;
	int64_t accept_paused_until;	/* after EMFILE and the like */
	int64_t refuse_log_next;	/* refusals log one line a second ... */
	unsigned long refused_quiet;	/* ... and count the others */
	int64_t db_busy_until;		/* writes wait (dirty) until then */
	bool db_dirty;			/* some node has a dirty flag */
	/*
	 * The embedded relay: the core's table (relay.c) and one socket per
	 * port.  The core numbers ports relay.port_lo + i; rport[i] is the
	 * real port of socket rfd[i] (the same unless --relay-ports any:N).
	 */
	bool relay_on;
	struct relay_table relay;
	int *rfd;
	uint16_t *rport;
	unsigned int nrelay;
	struct mp_candidate relay_ep;	/* address for RELAY (port set per side) */
	bool relay_v6;			/* the sockets are IPv6 (dual-stack) */
	struct wgm_udpb *rbatch;	/* datagrams in and out, batched */
	int64_t relay_next_idle;	/* monotonic ms of the next expiry scan */
	int64_t relay_log_next;		/* "no allocation" logs once a second */
	uint64_t relay_failed_quiet;
	/* what the last "relay: ... in the last minute" line counted to */
	int64_t relay_stats_next;
	uint64_t relay_stats_fwd, relay_stats_bytes, relay_stats_drops, relay_stats_bad;
	/* the meshrelays online, in the order they came */
	struct srelay *relays[COORD_MAX_RELAYS];
	unsigned int nrelays;
};

static void pend_remove(struct server *s, struct sconn *c);
static bool relay_pair(struct server *s, struct snode *a, struct snode *b);

__attribute__((format(printf, 1, 2)))
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("meshcoord: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall(void)
{
	return (int64_t)time(NULL);
}

/* Mark a connection for closing with one log line (reason may be NULL). */
static void kill_conn(struct sconn *c, const char *reason)
{
	if (c->dead)
		return;
	c->dead = true;
	if (reason && c->node)
		logmsg("%s (%s): closed: %s", c->node->n.name, c->peer, reason);
	else if (reason)
		logmsg("%s: closed: %s", c->peer, reason);
}

static void send_or_kill(struct sconn *c, const struct mp_msg *m)
{
	struct mp_err e;

	if (c->dead)
		return;
	if (mp_conn_send(&c->mc, m, &e))
		kill_conn(c, e.msg);
}

static void send_error(struct sconn *c, int code, const char *text)
{
	struct mp_msg m = { .type = MP_ERROR };

	m.u.error.code = (uint16_t)code;
	snprintf(m.u.error.text, sizeof(m.u.error.text), "%s", text);
	send_or_kill(c, &m);
	c->closing = true;
	c->deadline = mono_ms() + COORD_HS_TIMEOUT_MS;
}

/* PEER about n for a connection of HELLO version @version. */
static void peer_msg(struct mp_msg *m, const struct snode *n, uint8_t version)
{
	memset(m, 0, sizeof(*m));
	m->type = MP_PEER;
	memcpy(m->u.peer.pubkey, n->n.pubkey, MP_KEY_LEN);
	snprintf(m->u.peer.name, sizeof(m->u.peer.name), "%s", n->n.name);
	memcpy(m->u.peer.addr4, n->n.addr4, 4);
	memcpy(m->u.peer.addr6, n->n.addr6, 16);
	m->u.peer.online = n->conn != NULL;
	m->u.peer.last_seen = (uint64_t)n->n.last_seen;
	m->u.peer.cand = n->n.cand;
	m->u.peer.cand.kinds = version >= MP_KINDS_VERSION;
}

static bool node_ready(const struct snode *n)
{
	return n->conn && !n->conn->dead && !n->conn->closing;
}

/* Tell every other online node about n. */
static void push_peer(struct server *s, const struct snode *n)
{
	struct mp_msg m;
	size_t i;

	for (i = 0; i < s->nnodes; i++) {
		if (s->nodes[i] == n || !node_ready(s->nodes[i]))
			continue;
		peer_msg(&m, n, s->nodes[i]->conn->version);
		send_or_kill(s->nodes[i]->conn, &m);
	}
}

/*
 * Both online with candidates: each gets a PUNCH with the other's
 * candidates, queued back to back and flushed together at the end of this
 * loop iteration, so both start punching at the same moment.  False when
 * one of them cannot take part now.
 *
 * PUNCH goes only to pairs that need one, as the agents report it: an
 * agent sends PUNCH_REQUEST when none of its paths to a peer is alive or
 * being probed.  A join or a candidate change reaches the peers as a PEER
 * message, and an agent hands new candidates to its kernel, which probes
 * them at once; pairs with a live path are left alone.
 */
struct coord_strategy coord_pair_strategy(uint8_t nat_a, uint8_t nat_b, bool birthday)
{
	struct coord_strategy st = { 0, MP_BIRTHDAY_NONE, MP_BIRTHDAY_NONE };

	if (nat_a == MP_NAT_HARD && nat_b == MP_NAT_HARD) {
		st.no_punch = MP_NOPUNCH_BOTH_HARD;
	} else if (birthday && nat_a == MP_NAT_HARD && nat_b == MP_NAT_EASY) {
		st.birthday_a = MP_BIRTHDAY_OPEN;
		st.birthday_b = MP_BIRTHDAY_SPRAY;
	} else if (birthday && nat_a == MP_NAT_EASY && nat_b == MP_NAT_HARD) {
		st.birthday_a = MP_BIRTHDAY_SPRAY;
		st.birthday_b = MP_BIRTHDAY_OPEN;
	}
	return st;
}

uint8_t coord_mapped_cand(const struct mp_candidates *c, const struct mp_candidate *src)
{
	unsigned int i;

	if (src->family != AF_INET)
		return MP_MAPPED_NONE;
	for (i = 0; i < c->n && i < MP_MAX_CANDIDATES; i++)
		if (c->c[i].family == AF_INET && !memcmp(c->c[i].addr, src->addr, 4))
			return (uint8_t)i;
	return MP_MAPPED_NONE;
}

/*
 * Log a pair's strategy ("not punching", a birthday search) once per NAT
 * report of a (ring of ids).
 */
static bool declined_new(struct snode *a, const struct snode *b)
{
	unsigned int i;

	for (i = 0; i < PUNCH_WAITERS; i++)
		if (a->declined[i] == b->n.id)
			return false;
	memmove(&a->declined[1], &a->declined[0],
		(PUNCH_WAITERS - 1) * sizeof(a->declined[0]));
	a->declined[0] = b->n.id;
	return true;
}

/* The pair is not punched (reason: enum mp_nopunch): say so to both. */
static void no_punch_pair(struct snode *a, struct snode *b, uint8_t reason)
{
	struct mp_msg m = { .type = MP_NO_PUNCH };
	char t[48];

	if (declined_new(a, b) | declined_new(b, a))
		logmsg("punch %s <-> %s: %s: not punching", a->n.name, b->n.name,
		       mp_nopunch_text(reason, t));
	m.u.no_punch.reason = reason;
	if (a->conn->version >= 2) {
		memcpy(m.u.no_punch.pubkey, b->n.pubkey, MP_KEY_LEN);
		send_or_kill(a->conn, &m);
	}
	if (b->conn->version >= 2) {
		memcpy(m.u.no_punch.pubkey, a->n.pubkey, MP_KEY_LEN);
		send_or_kill(b->conn, &m);
	}
}

/*
 * A birthday search needs both sides' mapped candidates (the open side
 * aims at the easy side's mapping, the spray side at the hard side's
 * address): without one the pair gets a plain punch.  Logged once per pair
 * as "not punching" is.
 */
static void birthday_check(struct snode *a, struct snode *b, struct coord_strategy *st,
			   uint8_t mapped_a, uint8_t mapped_b)
{
	const struct snode *open, *spray;
	bool fresh;

	if (st->birthday_a == MP_BIRTHDAY_NONE)
		return;
	fresh = declined_new(a, b) | declined_new(b, a);
	if (mapped_a == MP_MAPPED_NONE || mapped_b == MP_MAPPED_NONE) {
		if (fresh)
			logmsg("punch %s <-> %s: no birthday search: %s has no IPv4 candidate at the address it connects from; plain punch",
			       a->n.name, b->n.name,
			       mapped_a == MP_MAPPED_NONE ? a->n.name : b->n.name);
		st->birthday_a = st->birthday_b = MP_BIRTHDAY_NONE;
		return;
	}
	open = st->birthday_a == MP_BIRTHDAY_OPEN ? a : b;
	spray = open == a ? b : a;
	if (fresh)
		logmsg("punch %s <-> %s: birthday search (%s opens, %s sprays)", a->n.name,
		       b->n.name, open->n.name, spray->n.name);
}

static bool punch_pair(struct server *s, struct snode *a, struct snode *b)
{
	struct mp_msg m = { .type = MP_PUNCH };
	struct coord_strategy st;
	uint8_t mapped_a, mapped_b;

	if (!a || !b || a == b || !node_ready(a) || !node_ready(b) || !a->n.cand.n ||
	    !b->n.cand.n)
		return false;
	st = coord_pair_strategy(a->n.nat, b->n.nat, !s->cfg->no_birthday &&
				 a->conn->version >= 5 && b->conn->version >= 5);
	if (st.no_punch) {
		no_punch_pair(a, b, st.no_punch);
		relay_pair(s, a, b);	/* the pair's only path */
		return true;	/* answered: nothing to keep for later */
	}
	mapped_a = coord_mapped_cand(&a->n.cand, &a->conn->src);
	mapped_b = coord_mapped_cand(&b->n.cand, &b->conn->src);
	birthday_check(a, b, &st, mapped_a, mapped_b);
	memcpy(m.u.punch.pubkey, b->n.pubkey, MP_KEY_LEN);
	m.u.punch.cand = b->n.cand;
	m.u.punch.cand.kinds = a->conn->version >= MP_KINDS_VERSION;
	m.u.punch.version = a->conn->version >= 5 ? 5 : 1;
	m.u.punch.birthday = st.birthday_a;
	m.u.punch.mapped = mapped_b;
	send_or_kill(a->conn, &m);
	memcpy(m.u.punch.pubkey, a->n.pubkey, MP_KEY_LEN);
	m.u.punch.cand = a->n.cand;
	m.u.punch.cand.kinds = b->conn->version >= MP_KINDS_VERSION;
	m.u.punch.version = b->conn->version >= 5 ? 5 : 1;
	m.u.punch.birthday = st.birthday_b;
	m.u.punch.mapped = mapped_a;
	send_or_kill(b->conn, &m);
	return true;
}

static struct snode *find_node_id(struct server *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i]->n.id == id)
			return s->nodes[i];
	return NULL;
}

/* a asked to punch with b, which cannot now: b punches when it can. */
static void punch_later(struct snode *b, const struct snode *a)
{
	unsigned int i;

	for (i = 0; i < PUNCH_WAITERS; i++)
		if (b->waiters[i] == a->n.id)
			return;
	memmove(&b->waiters[1], &b->waiters[0],
		(PUNCH_WAITERS - 1) * sizeof(b->waiters[0]));
	b->waiters[0] = a->n.id;	/* the oldest falls off */
}

/* n is ready with candidates: the punches that waited for it. */
static void punch_waiters(struct server *s, struct snode *n)
{
	unsigned int i;

	if (!node_ready(n) || !n->n.cand.n)
		return;
	for (i = 0; i < PUNCH_WAITERS; i++) {
		if (n->waiters[i])
			punch_pair(s, n, find_node_id(s, n->waiters[i]));
		n->waiters[i] = 0;
	}
}

static size_t ix_slot(const struct server *s, const uint8_t *pub)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, pub, MP_KEY_LEN, s->ix_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)v & (s->ixcap - 1);
}

static struct snode *find_node(struct server *s, const uint8_t *pub)
{
	size_t i;

	if (!s->ixcap)
		return NULL;
	for (i = ix_slot(s, pub); s->ix[i]; i = (i + 1) & (s->ixcap - 1))
		if (sodium_memcmp(s->ix[i]->n.pubkey, pub, MP_KEY_LEN) == 0)
			return s->ix[i];
	return NULL;
}

/* ---- the relay: allocations and withdrawals (Documentation/relay.rst) ---- */

/*
 * Version 3 and pushed: a RELAY names its peer by key, and a node that has
 * not heard of that peer yet (its PEER comes with the first push) drops
 * it.  An allocation waits for both pushes; the later one makes it.
 */
static bool relay_capable(const struct snode *n)
{
	return node_ready(n) && n->conn->version >= 3 && n->conn->relay_done;
}

int coord_relay_place(const char *home_a, uint32_t rtt_a, bool tcp_a,
		      const char *home_b, uint32_t rtt_b, bool tcp_b,
		      const char *const *names, const bool *usable, size_t n)
{
	const char *first = home_a, *second = home_b;
	size_t i, k;

	if (tcp_a || tcp_b)
		return -1;
	/* the node farther from its home relay gets it; ties by name */
	if (rtt_b > rtt_a || (rtt_b == rtt_a && strcmp(home_b, home_a) < 0)) {
		first = home_b;
		second = home_a;
	}
	for (k = 0; k < 2; k++) {
		const char *h = k ? second : first;

		for (i = 0; h[0] && i < n; i++)
			if (usable[i] && !strcmp(names[i], h))
				return (int)i;
	}
	return -1;
}

static struct relay_table *rtab(struct server *s, struct srelay *r)
{
	return r ? &r->t : &s->relay;
}

/* The pair's allocation: its index, and its relay in *rp (NULL: embedded); -1 when none. */
static int pair_alloc(struct server *s, const uint8_t *a, const uint8_t *b, struct srelay **rp)
{
	unsigned int k;
	int i;

	*rp = NULL;
	if (s->relay_on && (i = relay_find(&s->relay, a, b)) >= 0)
		return i;
	for (k = 0; k < s->nrelays; k++) {
		if ((i = relay_find(&s->relays[k]->t, a, b)) >= 0) {
			*rp = s->relays[k];
			return i;
		}
	}
	return -1;
}

static bool relay_online(const struct srelay *r)
{
	return r->conn && !r->conn->dead && !r->conn->closing;
}

/* A free allocation in t and room for both nodes. */
static bool relay_room(const struct relay_table *t, const uint8_t *a, const uint8_t *b)
{
	unsigned int i;

	if (relay_count_node(t, a) >= t->max_per_node || relay_count_node(t, b) >= t->max_per_node)
		return false;
	for (i = 0; i < t->n; i++)
		if (!t->allocs[i].used)
			return true;
	return false;
}

/*
 * Where the pair a, b belongs now (coord_relay_place): *out is the
 * meshrelay, or NULL for the embedded relay.  @cur is the relay that
 * holds its allocation now (it has room for it by definition), or NULL.
 * False when there is no relay for it at all (--no-relay, no meshrelay).
 */
static bool relay_place(struct server *s, const struct snode *a, const struct snode *b,
			const struct srelay *cur, struct srelay **out)
{
	const char *names[COORD_MAX_RELAYS];
	bool usable[COORD_MAX_RELAYS];
	unsigned int k;
	int i;

	for (k = 0; k < s->nrelays; k++) {
		struct srelay *r = s->relays[k];

		names[k] = r->name;
		usable[k] = relay_online(r) &&
			    (r == cur || relay_room(&r->t, a->n.pubkey, b->n.pubkey));
	}
	i = coord_relay_place(a->home, a->home_rtt_us, a->relay_tcp, b->home, b->home_rtt_us,
			      b->relay_tcp, names, usable, s->nrelays);
	*out = i < 0 ? NULL : s->relays[i];
	return i >= 0 || s->relay_on;
}

/*
 * A relay allocation for the pair a, b (both online, version 3, none yet),
 * on the relay relay_place() picks: RELAY to each with its own side, and
 * to a meshrelay RELAY_ALLOC first.  False when the relay could not make
 * one (no free ports, a node at its limit).
 */
static bool relay_pair(struct server *s, struct snode *a, struct snode *b)
{
	uint8_t rnd[RELAY_ALLOC_RANDOM];
	struct relay_grant g[2];
	struct relay_table *t;
	struct srelay *r;
	struct mp_msg m;
	struct snode *who[2] = { a, b };
	int64_t now = mono_ms();
	uint16_t port[2];
	unsigned int k;
	int i;

	if (!a || !b || a == b || !relay_capable(a) || !relay_capable(b) ||
	    pair_alloc(s, a->n.pubkey, b->n.pubkey, &r) >= 0 || !relay_place(s, a, b, NULL, &r))
		return true;
	t = rtab(s, r);
	randombytes_buf(rnd, sizeof(rnd));
	i = relay_alloc(t, a->n.pubkey, b->n.pubkey, rnd, (uint64_t)now, g);
	sodium_memzero(rnd, sizeof(rnd));
	if (i < 0) {
		if (now < s->relay_log_next) {
			s->relay_failed_quiet++;
			return false;
		}
		logmsg("relay %s <-> %s: no allocation%s%s (relay ports or per-node limit of %u used up; %llu more since the last such line)",
		       a->n.name, b->n.name, r ? " on " : "", r ? r->name : "",
		       s->cfg->relay_max_per_node, (unsigned long long)s->relay_failed_quiet);
		s->relay_failed_quiet = 0;
		s->relay_log_next = now + 1000;
		return false;
	}
	if (r) {
		/* the relay hears of it before the nodes bind */
		memset(&m, 0, sizeof(m));
		m.type = MP_RELAY_ALLOC;
		m.u.relay_alloc.index = (uint16_t)i;
		for (k = 0; k < 2; k++) {
			const struct relay_side *sd = &t->allocs[i].side[k];

			memcpy(m.u.relay_alloc.side[k].node, sd->node, MP_KEY_LEN);
			m.u.relay_alloc.side[k].id = sd->id;
			memcpy(m.u.relay_alloc.side[k].key, sd->key, MP_RELAY_KEY_LEN);
		}
		send_or_kill(r->conn, &m);
		sodium_memzero(&m, sizeof(m));
	}
	for (k = 0; k < 2; k++) {
		memset(&m, 0, sizeof(m));
		m.type = MP_RELAY;
		memcpy(m.u.relay.pubkey, g[k].peer, MP_KEY_LEN);
		m.u.relay.ep = r ? r->ep : s->relay_ep;
		port[k] = r ? g[k].port : s->rport[g[k].port - s->relay.port_lo];
		m.u.relay.ep.port = port[k];
		m.u.relay.id = g[k].id;
		memcpy(m.u.relay.key, g[k].key, MP_RELAY_KEY_LEN);
		m.u.relay.lifetime = (uint32_t)(RELAY_IDLE_MS / 1000);
		send_or_kill(who[k]->conn, &m);
		sodium_memzero(&m, sizeof(m));
	}
	sodium_memzero(g, sizeof(g));
	if (r)
		logmsg("relay %s <-> %s: on %s, ports %u and %u", a->n.name, b->n.name, r->name,
		       port[0], port[1]);
	else
		logmsg("relay %s <-> %s: ports %u and %u", a->n.name, b->n.name, port[0], port[1]);
	return true;
}

static struct snode *find_node(struct server *s, const uint8_t *pub);

/*
 * Allocation i of relay r (NULL: embedded) ends: RELAY_REMOVED to its
 * nodes (but skip), RELAY_FREE to a meshrelay online, keys wiped.
 */
static void relay_end(struct server *s, struct srelay *r, unsigned int i, const struct snode *skip)
{
	struct relay_table *t = rtab(s, r);
	const struct relay_alloc *al = &t->allocs[i];
	struct mp_msg m;
	unsigned int k;

	for (k = 0; k < 2; k++) {
		struct snode *n = find_node(s, al->side[k].node);

		if (!n || n == skip || !relay_capable(n))
			continue;
		memset(&m, 0, sizeof(m));
		m.type = MP_RELAY_REMOVED;
		memcpy(m.u.relay_removed.pubkey, al->side[!k].node, MP_KEY_LEN);
		m.u.relay_removed.id = al->side[k].id;
		send_or_kill(n->conn, &m);
	}
	if (r && relay_online(r)) {
		memset(&m, 0, sizeof(m));
		m.type = MP_RELAY_FREE;
		m.u.relay_free.index = (uint16_t)i;
		m.u.relay_free.id = al->side[0].id;
		send_or_kill(r->conn, &m);
	}
	relay_release(t, i);
}

/* n goes (offline, removed, a new session): its allocations end. */
static void relay_end_node(struct server *s, const struct snode *n)
{
	unsigned int pos, k;
	int i;

	if (s->relay_on)
		for (pos = 0; (i = relay_next_of_node(&s->relay, n->n.pubkey, &pos)) >= 0;)
			relay_end(s, NULL, (unsigned int)i, n);
	for (k = 0; k < s->nrelays; k++)
		for (pos = 0; (i = relay_next_of_node(&s->relays[k]->t, n->n.pubkey, &pos)) >= 0;)
			relay_end(s, s->relays[k], (unsigned int)i, n);
}

/* Allocations a node has, on every relay. */
static unsigned int relay_count_all(struct server *s, const struct snode *n)
{
	unsigned int k, c = s->relay_on ? relay_count_node(&s->relay, n->n.pubkey) : 0;

	for (k = 0; k < s->nrelays; k++)
		c += relay_count_node(&s->relays[k]->t, n->n.pubkey);
	return c;
}

/* n's first push: an allocation with every online peer, while there are ports. */
static void relay_node(struct server *s, struct snode *n)
{
	size_t i;

	for (i = 0; (s->relay_on || s->nrelays) && i < s->nnodes; i++) {
		if (relay_count_all(s, n) >= s->cfg->relay_max_per_node)
			return;
		relay_pair(s, n, s->nodes[i]);
	}
}

/*
 * The allocations of n (every one when n is NULL) that are not where
 * relay_place() puts them now move there: RELAY_REMOVED, then a new
 * RELAY with new keys (a home relay changed, a meshrelay came or went).
 */
static void relay_replace(struct server *s, const struct snode *n)
{
	struct srelay *r, *want;
	unsigned int k, i;

	for (k = 0; k <= s->nrelays; k++) {
		struct relay_table *t;

		r = k < s->nrelays ? s->relays[k] : NULL;
		if (!r && !s->relay_on)
			continue;
		t = rtab(s, r);
		for (i = 0; i < t->n; i++) {
			struct relay_alloc *al = &t->allocs[i];
			struct snode *a, *b;

			if (!al->used || (n && memcmp(al->side[0].node, n->n.pubkey, MP_KEY_LEN) &&
					  memcmp(al->side[1].node, n->n.pubkey, MP_KEY_LEN)))
				continue;
			a = find_node(s, al->side[0].node);
			b = find_node(s, al->side[1].node);
			if (!a || !b || !relay_place(s, a, b, r, &want) || want == r)
				continue;
			logmsg("relay %s <-> %s: moving from %s to %s", a->n.name, b->n.name,
			       r ? r->name : COORD_EMBEDDED_RELAY, want ? want->name : COORD_EMBEDDED_RELAY);
			relay_end(s, r, i, NULL);
			relay_pair(s, a, b);
		}
	}
}

/* The relays an agent measures (RELAY_LIST): the embedded one, then the meshrelays online. */
static void relay_list_msg(const struct server *s, struct mp_msg *m)
{
	struct mp_relay_list *l = &m->u.relay_list;
	unsigned int k;

	memset(m, 0, sizeof(*m));
	m->type = MP_RELAY_LIST;
	if (s->relay_on && s->stun.n) {
		snprintf(l->r[0].name, sizeof(l->r[0].name), "%s", COORD_EMBEDDED_RELAY);
		l->r[0].ep = s->stun.s[0];	/* it answers STUN where the STUN server does */
		l->n = 1;
	}
	for (k = 0; k < s->nrelays && l->n < MP_MAX_RELAYS; k++) {
		if (!relay_online(s->relays[k]))
			continue;
		snprintf(l->r[l->n].name, sizeof(l->r[l->n].name), "%s", s->relays[k]->name);
		l->r[l->n].ep = s->relays[k]->ep;
		l->n++;
	}
}

/* The relay list changed: every version-6 agent online hears it. */
static void push_relay_list(struct server *s)
{
	struct mp_msg m;
	size_t i;

	relay_list_msg(s, &m);
	for (i = 0; i < s->nnodes; i++)
		if (node_ready(s->nodes[i]) && s->nodes[i]->conn->version >= MP_RELAYS_VERSION)
			send_or_kill(s->nodes[i]->conn, &m);
}

/*
 * A meshrelay went (disconnected, replaced, removed): its allocations end
 * and their pairs get new ones elsewhere (their homes' other relay, or the
 * embedded relay); the agents hear the shorter list.  It keeps forwarding
 * what it has until the bindings go stale.
 */
static void relay_down(struct server *s, struct srelay *r, const char *why)
{
	unsigned int k, i, moved = 0;

	if (r->conn) {
		r->conn->relay = NULL;
		r->conn = NULL;
	}
	for (i = 0; i < r->t.n; i++) {
		struct relay_alloc *al = &r->t.allocs[i];
		struct snode *a, *b;

		if (!al->used)
			continue;
		a = find_node(s, al->side[0].node);
		b = find_node(s, al->side[1].node);
		relay_end(s, r, i, NULL);
		relay_pair(s, a, b);
		moved++;
	}
	logmsg("relay %s: offline (%s); %u allocation(s) moved", r->name, why, moved);
	for (k = 0; k < s->nrelays; k++)
		if (s->relays[k] == r)
			break;
	memmove(&s->relays[k], &s->relays[k + 1], (s->nrelays - k - 1) * sizeof(s->relays[0]));
	s->nrelays--;
	relay_free(&r->t);
	free(r);
	push_relay_list(s);
}

/*
 * Once a minute, when anything moved: what the relay forwarded and
 * dropped (strangers, unbound or stale sides, the rate cap, bad binds).
 */
static void relay_stats(struct server *s, int64_t now)
{
	const struct relay_table *t = &s->relay;
	unsigned int i, n = 0;

	if (now < s->relay_stats_next)
		return;
	s->relay_stats_next = now + 60000;
	if (t->fwd_pkts == s->relay_stats_fwd && t->drops == s->relay_stats_drops)
		return;
	for (i = 0; i < t->n; i++)
		n += t->allocs[i].used;
	logmsg("relay: %u allocation(s); in the last minute %llu datagrams (%llu bytes) forwarded, %llu dropped (%llu bad binds)",
	       n, (unsigned long long)(t->fwd_pkts - s->relay_stats_fwd),
	       (unsigned long long)(t->fwd_bytes - s->relay_stats_bytes),
	       (unsigned long long)(t->drops - s->relay_stats_drops),
	       (unsigned long long)(t->bad_binds - s->relay_stats_bad));
	s->relay_stats_fwd = t->fwd_pkts;
	s->relay_stats_bytes = t->fwd_bytes;
	s->relay_stats_drops = t->drops;
	s->relay_stats_bad = t->bad_binds;
}

/* Allocations neither side bound for RELAY_IDLE_MS end (once a second). */
static void relay_expire(struct server *s, int64_t now)
{
	unsigned int pos = 0;
	int i;

	if (!s->relay_on || now < s->relay_next_idle)
		return;
	s->relay_next_idle = now + 1000;
	relay_stats(s, now);
	while ((i = relay_next_idle(&s->relay, (uint64_t)now, &pos)) >= 0) {
		logmsg("relay ports %u and %u: not bound for %llu s: freed",
		       s->rport[2 * (unsigned int)i], s->rport[2 * (unsigned int)i + 1],
		       (unsigned long long)(RELAY_IDLE_MS / 1000));
		relay_end(s, NULL, (unsigned int)i, NULL);
	}
}

/* Sends a relayed datagram from relay port out_port to dst. */
static void relay_send_udp(struct server *s, uint16_t out_port, const union wgm_sockaddr *dst,
			   const uint8_t *pkt, size_t len)
{
	int fd = s->rfd[out_port - s->relay.port_lo];

	if (dst->sa.sa_family == AF_INET && s->relay_v6) {
		struct sockaddr_in6 m6 = { .sin6_family = AF_INET6,
					   .sin6_port = dst->in.sin_port };

		m6.sin6_addr.s6_addr[10] = m6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m6.sin6_addr.s6_addr[12], &dst->in.sin_addr, 4);
		sendto(fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&m6, sizeof(m6));
	} else {
		sendto(fd, pkt, len, MSG_DONTWAIT, &dst->sa,
		       dst->sa.sa_family == AF_INET ? sizeof(dst->in) : sizeof(dst->in6));
	}
}

/*
 * Relay over TCP (relay.rst, "TCP fallback"): the side of out_port is
 * carried over its node's control connection; the datagram goes there as
 * RELAY_DATA with that side's id.  Dropped, like a datagram on a full
 * link, when the node is not connected or its queue already holds
 * RELAY_TCP_QUEUE bytes: the connection's room is kept for control
 * messages, and a slow node never grows the service's memory.
 */
#define RELAY_TCP_QUEUE		(256 * 1024)

static void relay_send_tcp(struct server *s, uint16_t out_port, const uint8_t *pkt, size_t len)
{
	const struct relay_side *sd;
	struct snode *n;
	struct mp_err e;
	unsigned int side;
	int i = relay_port_alloc(&s->relay, out_port, &side);

	if (i < 0 || !len || len > MP_RELAY_DATA_MAX)
		goto drop;
	sd = &s->relay.allocs[i].side[side];
	n = find_node(s, sd->node);
	if (!n || !node_ready(n) || n->conn->version < 4 || n->conn->dead ||
	    n->conn->mc.wlen > RELAY_TCP_QUEUE)
		goto drop;
	if (!mp_conn_send_relay(&n->conn->mc, sd->id, pkt, len, &e))
		return;
drop:
	s->relay.drops++;
}

/* RELAY_TCP: the node's side of an allocation moves to its connection or back. */
static void on_relay_tcp(struct server *s, struct sconn *c, const struct mp_relay_tcp *rt)
{
	struct snode *n = c->node;

	if (c->version < 4) {
		kill_conn(c, "RELAY_TCP from an agent older than version 4");
		return;
	}
	/* an allocation that ended meanwhile: the agent hears RELAY_REMOVED */
	if (!s->relay_on ||
	    relay_tcp_set(&s->relay, n->n.pubkey, rt->id, rt->on, (uint64_t)mono_ms())) {
		unsigned int k, side;
		int i;

		/* a meshrelay's side cannot ride TCP: the pair moves to the embedded relay */
		for (k = 0; rt->on && s->relay_on && k < s->nrelays; k++) {
			struct srelay *r = s->relays[k];
			struct snode *o;

			i = relay_find_side(&r->t, n->n.pubkey, rt->id, &side);
			if (i < 0)
				continue;
			o = find_node(s, r->t.allocs[i].side[!side].node);
			n->relay_tcp = true;
			logmsg("relay: %s carries its relays over its control connection (TCP): its pair with %s moves from %s to the embedded relay",
			       n->n.name, o ? o->n.name : "?", r->name);
			relay_end(s, r, (unsigned int)i, NULL);
			relay_pair(s, n, o);
			return;
		}
		return;
	}
	logmsg("relay: %s carries its side %u over %s", n->n.name, rt->id,
	       rt->on ? "its control connection (TCP)" : "UDP again");
}

/* RELAY_DATA from a node: one datagram of its TCP-carried side. */
static void on_relay_data(struct server *s, struct sconn *c, const struct mp_relay_data *rd)
{
	union wgm_sockaddr dst;
	enum relay_verdict v;
	uint16_t out;

	if (c->version < 4) {
		kill_conn(c, "RELAY_DATA from an agent older than version 4");
		return;
	}
	if (!s->relay_on)
		return;
	v = relay_tcp_input(&s->relay, c->node->n.pubkey, rd->id, rd->len,
			    (uint64_t)mono_ms(), &out, &dst);
	if (v == RELAY_FORWARD)
		relay_send_udp(s, out, &dst, rd->data, rd->len);
	else if (v == RELAY_FORWARD_TCP)
		relay_send_tcp(s, out, rd->data, rd->len);
}

static void ix_put(struct server *s, struct snode *n)
{
	size_t i;

	for (i = ix_slot(s, n->n.pubkey); s->ix[i]; i = (i + 1) & (s->ixcap - 1))
		;
	s->ix[i] = n;
}

/* Index nodes[] afresh, in a table of cap slots (NULL: the current one). */
static void ix_fill(struct server *s, struct snode **ix, size_t cap)
{
	size_t i;

	if (ix) {
		free(s->ix);
		s->ix = ix;
		s->ixcap = cap;
	}
	memset(s->ix, 0, s->ixcap * sizeof(*s->ix));
	for (i = 0; i < s->nnodes; i++)
		ix_put(s, s->nodes[i]);
}

static int add_node(struct server *s, const struct coord_node *cn,
		    struct snode **out)
{
	struct snode **v, *n;

	v = realloc(s->nodes, (s->nnodes + 1) * sizeof(*v));
	if (!v)
		return -1;
	s->nodes = v;
	if (2 * (s->nnodes + 1) > s->ixcap) {
		size_t cap = s->ixcap ? 2 * s->ixcap : 64;
		struct snode **ix = calloc(cap, sizeof(*ix));

		if (!ix)
			return -1;
		ix_fill(s, ix, cap);
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->n = *cn;
	s->nodes[s->nnodes++] = n;
	ix_put(s, n);
	if (out)
		*out = n;
	return 0;
}

static void drop_node(struct server *s, size_t idx)
{
	free(s->nodes[idx]);
	memmove(&s->nodes[idx], &s->nodes[idx + 1],
		(s->nnodes - idx - 1) * sizeof(s->nodes[0]));
	s->nnodes--;
	ix_fill(s, NULL, 0);	/* no probe chain may lead to it */
}

/*
 * Database writes from the loop wait at most COORD_DB_BUSY_MS for a lock
 * another process holds.  A write that meets one marks its node dirty, and
 * for COORD_DB_RETRY_MS no write is tried at all (the loop never stalls
 * longer); flush_dirty() then writes the newest state.  The in-memory state
 * is authoritative meanwhile.
 */
static bool db_open_for_writes(const struct server *s)
{
	return mono_ms() >= s->db_busy_until;
}

/* After a failed write: true when it met a lock (the caller marks dirty). */
static bool db_write_failed(struct server *s, const char *who,
			    const struct wgm_err *e)
{
	if (!s->db.busy) {
		logmsg("%s: %s", who, e->msg);
		return false;
	}
	if (db_open_for_writes(s))
		logmsg("state database locked by another process: writes wait (%s)",
		       e->msg);
	s->db_busy_until = mono_ms() + COORD_DB_RETRY_MS;
	s->db_dirty = true;
	return true;
}

static void db_seen(struct server *s, struct snode *n)
{
	struct wgm_err e;

	n->seen_dirty = true;
	if (!db_open_for_writes(s)) {
		s->db_dirty = true;
		return;
	}
	s->db.busy = false;
	if (coord_db_set_seen(&s->db, n->n.id, n->conn != NULL, n->n.last_seen, &e) &&
	    db_write_failed(s, n->n.name, &e))
		return;
	n->seen_dirty = false;
}

static void db_cands(struct server *s, struct snode *n)
{
	struct wgm_err e;

	n->cand_dirty = true;
	if (!db_open_for_writes(s)) {
		s->db_dirty = true;
		return;
	}
	s->db.busy = false;
	if (coord_db_set_candidates(&s->db, n->n.id, &n->n.cand, &e) &&
	    db_write_failed(s, n->n.name, &e))
		return;
	n->cand_dirty = false;
}

static void db_nat(struct server *s, struct snode *n)
{
	struct wgm_err e;

	n->nat_dirty = true;
	if (!db_open_for_writes(s)) {
		s->db_dirty = true;
		return;
	}
	s->db.busy = false;
	if (coord_db_set_nat(&s->db, n->n.id, n->n.nat, &e) &&
	    db_write_failed(s, n->n.name, &e))
		return;
	n->nat_dirty = false;
}

/* Retry the writes that met a lock (newest state). */
static void flush_dirty(struct server *s)
{
	size_t i;

	if (!s->db_dirty || !db_open_for_writes(s))
		return;
	s->db_dirty = false;
	for (i = 0; i < s->nnodes && db_open_for_writes(s); i++) {
		if (s->nodes[i]->seen_dirty)
			db_seen(s, s->nodes[i]);
		if (s->nodes[i]->cand_dirty && db_open_for_writes(s))
			db_cands(s, s->nodes[i]);
		if (s->nodes[i]->nat_dirty && db_open_for_writes(s))
			db_nat(s, s->nodes[i]);
	}
	if (!db_open_for_writes(s))
		s->db_dirty = true;
	else if (i == s->nnodes)
		logmsg("state database writes caught up");
}

/* n's connection came or went (n->conn already set): store it. */
static void write_seen(struct server *s, struct snode *n)
{
	n->n.last_seen = wall();
	n->seen_written = n->n.last_seen;
	db_seen(s, n);
}

/* HOME_RELAY: the node's home relay; its pairs move when it changes. */
static void on_home_relay(struct server *s, struct sconn *c, const struct mp_home_relay *h)
{
	struct snode *n = c->node;

	if (c->version < MP_RELAYS_VERSION) {
		kill_conn(c, "HOME_RELAY from an agent older than version 6");
		return;
	}
	n->home_rtt_us = h->rtt_us;
	if (!strcmp(n->home, h->name))
		return;
	snprintf(n->home, sizeof(n->home), "%s", h->name);
	if (h->name[0])
		logmsg("%s: home relay %s (RTT %u.%u ms)", n->n.name, h->name, h->rtt_us / 1000,
		       h->rtt_us % 1000 / 100);
	else
		logmsg("%s: no home relay", n->n.name);
	relay_replace(s, n);
}

static struct srelay *find_relay_key(struct server *s, const uint8_t *pub)
{
	unsigned int k;

	for (k = 0; k < s->nrelays; k++)
		if (sodium_memcmp(s->relays[k]->pubkey, pub, MP_KEY_LEN) == 0)
			return s->relays[k];
	return NULL;
}

/*
 * RELAY_HELLO: a meshrelay whose key the administrator registered (relay
 * add) comes online under its registered name.  A new connection of the
 * same relay replaces the old one, and its allocations start afresh.
 */
static void on_relay_hello(struct server *s, struct sconn *c, const struct mp_relay_hello *h)
{
	char key[WGM_KEY_B64_LEN + 1], ep[MP_CAND_STRLEN];
	struct coord_relay *reg;
	struct srelay *r;
	struct wgm_err e;
	struct mp_msg w;
	size_t nreg, i;

	wgm_key_to_base64(key, c->node_pub);
	if (h->version < MP_RELAYS_VERSION) {
		logmsg("%s: relay closed: protocol version %u knows no relay", c->peer, h->version);
		send_error(c, MP_ERR_PROTO, "a relay speaks protocol version 6 or later");
		return;
	}
	s->db.busy = false;
	if (coord_db_relays(&s->db, &reg, &nreg, &e)) {
		logmsg("%s: relay deferred: %s", c->peer, e.msg);
		send_error(c, MP_ERR_NONE, "service busy (state database), retry later");
		return;
	}
	for (i = 0; i < nreg; i++)
		if (sodium_memcmp(reg[i].pubkey, c->node_pub, MP_KEY_LEN) == 0)
			break;
	if (i == nreg) {
		free(reg);
		logmsg("%s: relay %s refused: key %s is not registered (meshcoord relay add NAME KEY)",
		       c->peer, h->name, key);
		send_error(c, MP_ERR_AUTH, "this key is not a registered relay: on the service host, run meshcoord relay add NAME PUBKEY (meshrelay pubkey prints it)");
		return;
	}
	if (!coord_cand_usable(&h->ep)) {
		free(reg);
		logmsg("%s: relay refused: its address %s is not one other hosts can reach",
		       c->peer, mp_candidate_format(&h->ep, ep));
		send_error(c, MP_ERR_PROTO, "the relay's --public address is not reachable from other hosts");
		return;
	}
	r = find_relay_key(s, c->node_pub);
	if (r) {
		if (r->conn)
			send_error(r->conn, MP_ERR_REPLACED, "replaced by a new connection");
		relay_down(s, r, "replaced by a new connection");
	}
	if (s->nrelays >= COORD_MAX_RELAYS) {
		free(reg);
		logmsg("%s: relay refused: %d relays are online already", c->peer, COORD_MAX_RELAYS);
		send_error(c, MP_ERR_FULL, "too many relays online");
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r || relay_init(&r->t, h->port_lo, h->port_hi, s->cfg->relay_max_per_node, 0)) {
		free(r);
		free(reg);
		kill_conn(c, "out of memory");
		return;
	}
	snprintf(r->name, sizeof(r->name), "%s", reg[i].name);
	if (strcmp(h->name, r->name))
		logmsg("%s: relay says it is %s; registered as %s", c->peer, h->name, r->name);
	free(reg);
	memcpy(r->pubkey, c->node_pub, MP_KEY_LEN);
	r->ep = h->ep;
	r->conn = c;
	c->relay = r;
	c->version = h->version;
	c->state = CS_READY;
	pend_remove(s, c);
	s->relays[s->nrelays++] = r;
	logmsg("relay %s (%s): online at %s, ports %u..%u", r->name, c->peer,
	       mp_candidate_format(&r->ep, ep), h->port_lo, h->port_lo + 2 * r->t.n - 1);
	memset(&w, 0, sizeof(w));
	w.type = MP_WELCOME;
	snprintf(w.u.welcome.name, sizeof(w.u.welcome.name), "%s", r->name);
	w.u.welcome.version = 2;
	send_or_kill(c, &w);
	push_relay_list(s);
	relay_replace(s, NULL);	/* pairs whose home it is move to it */
}

/* Messages from a meshrelay: keepalives, and allocations that idled out. */
static void on_relay_message(struct server *s, struct sconn *c, const struct mp_msg *m)
{
	struct srelay *r = c->relay;
	const struct relay_alloc *al;
	struct mp_msg p;

	switch (m->type) {
	case MP_PING:
		memset(&p, 0, sizeof(p));
		p.type = MP_PONG;
		p.u.token = m->u.token;
		send_or_kill(c, &p);
		break;
	case MP_PONG:
		break;
	case MP_RELAY_FREE:
		/* an index reused meanwhile holds another id: left alone */
		if (m->u.relay_free.index >= r->t.n)
			break;
		al = &r->t.allocs[m->u.relay_free.index];
		if (!al->used || al->side[0].id != m->u.relay_free.id)
			break;
		logmsg("relay %s ports %u and %u: not bound for %llu s: freed", r->name,
		       relay_port_of(&r->t, m->u.relay_free.index, 0),
		       relay_port_of(&r->t, m->u.relay_free.index, 1),
		       (unsigned long long)(RELAY_IDLE_MS / 1000));
		relay_end(s, r, m->u.relay_free.index, NULL);
		break;
	default:
		kill_conn(c, "unexpected message from a relay");
	}
}

/* First sealed frame: HELLO.  Registers or recognises the node. */
static void on_hello(struct server *s, struct sconn *c, const struct mp_msg *m)
{
	struct coord_node cn;
	struct wgm_err e = { "" };
	struct mp_msg w;
	struct snode *n;
	size_t i;
	int r;

	if (m->type == MP_RELAY_HELLO) {
		on_relay_hello(s, c, &m->u.relay_hello);
		return;
	}
	if (m->type != MP_HELLO) {
		kill_conn(c, "first message is not HELLO");
		return;
	}
	if (m->u.hello.version < 1 || m->u.hello.version > MP_HELLO_VERSION) {
		char t[64];

		/* an agent newer than us tries again with version 1 */
		snprintf(t, sizeof(t), "unsupported protocol version %u",
			 m->u.hello.version);
		logmsg("%s: closed: %s", c->peer, t);
		send_error(c, MP_ERR_PROTO, t);
		return;
	}
	c->version = m->u.hello.version;
	/* relayed datagrams in clear frames, both ways (relay.rst) */
	c->mc.clear_relay = c->version >= MP_CLEAR_RELAY_VERSION;
	n = find_node(s, c->node_pub);
	if (!n) {
		/* tried even while other writes wait: one short wait at most */
		s->db.busy = false;
		r = coord_db_join(&s->db, c->node_pub, m->u.hello.name,
				  m->u.hello.authkey, wall(), &cn, &e);
		if (r < 0 && db_write_failed(s, c->peer, &e)) {
			logmsg("%s: join deferred: state database locked", c->peer);
			send_error(c, MP_ERR_NONE, "service busy (state database locked), retry later");
			return;
		}
		if (r) {
			logmsg("%s: join refused: %s", c->peer, e.msg);
			send_error(c, r > 0 ? r : MP_ERR_NONE,
				   r > 0 ? e.msg : "internal error");
			return;
		}
		if (add_node(s, &cn, &n)) {
			kill_conn(c, "out of memory");
			return;
		}
		logmsg("%s (%s): joined as %u.%u.%u.%u", cn.name, c->peer,
		       cn.addr4[0], cn.addr4[1], cn.addr4[2], cn.addr4[3]);
	} else if (n->conn) {
		/* The node reconnected before its old connection timed out. */
		send_error(n->conn, MP_ERR_REPLACED, "replaced by a new connection");
		n->conn->node = NULL;
		n->conn = NULL;
	}
	/* the NAT is the session's: reported anew (version 2) after WELCOME */
	if (n->n.nat != MP_NAT_UNKNOWN) {
		n->n.nat = MP_NAT_UNKNOWN;
		memset(n->declined, 0, sizeof(n->declined));
		db_nat(s, n);
	}
	/* a new session gets new allocations, new keys, and measures anew */
	relay_end_node(s, n);
	n->home[0] = '\0';
	n->home_rtt_us = 0;
	n->relay_tcp = false;
	c->node = n;
	c->state = CS_READY;
	pend_remove(s, c);
	bucket_init(&c->punch_rate, PUNCH_BURST, mono_ms());
	bucket_init(&c->cand_rate, CAND_BURST, mono_ms());
	n->conn = c;
	write_seen(s, n);
	logmsg("%s (%s): online", n->n.name, c->peer);

	memset(&w, 0, sizeof(w));
	w.type = MP_WELCOME;
	snprintf(w.u.welcome.name, sizeof(w.u.welcome.name), "%s", n->n.name);
	memcpy(w.u.welcome.addr4, n->n.addr4, 4);
	w.u.welcome.plen4 = COORD_V4_PLEN;
	memcpy(w.u.welcome.addr6, n->n.addr6, 16);
	w.u.welcome.plen6 = COORD_V6_PLEN;
	if (c->version >= 2) {
		w.u.welcome.version = 2;
		w.u.welcome.stun = s->stun;
	}
	send_or_kill(c, &w);
	for (i = 0; i < s->nnodes; i++) {
		if (s->nodes[i] == n)
			continue;
		peer_msg(&w, s->nodes[i], c->version);
		send_or_kill(c, &w);
	}
	w.type = MP_SYNC_END;
	send_or_kill(c, &w);
	if (c->version >= MP_RELAYS_VERSION) {
		relay_list_msg(s, &w);
		send_or_kill(c, &w);
	}
	/*
	 * The others hear of n once: with the candidates it sends right
	 * after WELCOME, or after COORD_JOIN_PUSH_MS without them.
	 */
	c->push_due = mono_ms() + COORD_JOIN_PUSH_MS;
	punch_waiters(s, n);
}

static void push_now(struct server *s, struct sconn *c)
{
	c->push_due = 0;
	if (c->node && !c->dead) {
		push_peer(s, c->node);
		/* the others know c's node now: every pair gets its relay */
		if (!c->relay_done) {
			c->relay_done = true;
			relay_node(s, c->node);
		}
	}
}

/*
 * An IPv4 address another host can send to: not "this network" (0/8),
 * loopback (127/8), link-local (169.254/16: meaningless off the link),
 * multicast (224/4), reserved or broadcast (240/4).
 */
static bool v4_usable(const uint8_t *a)
{
	return a[0] != 0 && a[0] != 127 && !(a[0] == 169 && a[1] == 254) &&
	       a[0] < 224;
}

/*
 * A candidate that can be a path from another host.  IPv6: not
 * unspecified, loopback, the IPv4-compatible/-mapped/-translated forms
 * (which would smuggle IPv4 loopback past the rule above), link-local
 * fe80::/10 (no scope crosses hosts), site-local fec0::/10 or multicast.
 * Port 0 is no port.  The kernel checks the same once more.
 */
bool coord_cand_usable(const struct mp_candidate *c)
{
	static const uint8_t zero12[12];
	const uint8_t *a = c->addr;

	if (!c->port)
		return false;
	if (c->family == AF_INET)
		return v4_usable(a);
	if (c->family != AF_INET6)
		return false;
	if (!memcmp(a, zero12, 12) ||				/* ::/96 incl. ::, ::1 */
	    (!memcmp(a, zero12, 10) && a[10] == 0xff && a[11] == 0xff) ||
	    (!memcmp(a, "\0\0\0\0\0\0\0\0\xff\xff\0\0", 12)) ||	/* ::ffff:0:0/96 */
	    (!memcmp(a, "\0\x64\xff\x9b", 4) && !v4_usable(a + 12)) ||	/* 64:ff9b::/96 */
	    (a[0] == 0xfe && (a[1] & 0x80) == 0x80) ||		/* fe80::/10, fec0::/10 */
	    a[0] == 0xff)						/* multicast */
		return false;
	return true;
}

/* Drop candidates that are never a path from another host, and duplicates. */
static void clean_cands(struct mp_candidates *out, const struct mp_candidates *in)
{
	unsigned int i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->n; i++) {
		const struct mp_candidate *c = &in->c[i];

		if (!coord_cand_usable(c))
			continue;
		for (j = 0; j < out->n; j++)
			if (mp_candidate_equal(&out->c[j], c))
				break;
		if (j == out->n)
			out->c[out->n++] = *c;
	}
}

static bool cands_equal(const struct mp_candidates *a,
			const struct mp_candidates *b)
{
	unsigned int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!mp_candidate_equal(&a->c[i], &b->c[i]) || a->c[i].kind != b->c[i].kind)
			return false;
	return true;
}

/* Apply a held CANDIDATES set when it is new and the rate allows. */
static void apply_candidates(struct server *s, struct sconn *c, int64_t now)
{
	struct snode *n = c->node;

	if (!c->cand_held || !n || c->dead)
		return;
	if (cands_equal(&n->n.cand, &c->held)) {
		c->cand_held = false;
		if (c->push_due)
			push_now(s, c);
		return;
	}
	if (!bucket_take(&c->cand_rate, CAND_BURST, now))
		return;		/* retried from the loop at bucket_next() */
	c->cand_held = false;
	n->n.cand = c->held;
	db_cands(s, n);
	push_now(s, c);
	punch_waiters(s, n);
}

/* The node's NAT mapping type (MP_NAT); a value we do not know is unknown. */
static void on_nat(struct server *s, struct sconn *c, uint8_t nat)
{
	struct snode *n = c->node;
	char t[24];

	if (c->version < 2) {
		kill_conn(c, "NAT from a version-1 agent");
		return;
	}
	if (nat > MP_NAT_HARD) {
		logmsg("%s: NAT type %s not known here, taken as unknown",
		       n->n.name, mp_nat_name(nat, t));
		nat = MP_NAT_UNKNOWN;
	}
	if (nat == n->n.nat)
		return;
	logmsg("%s: NAT %s (was %s)", n->n.name, mp_nat_name(nat, t),
	       n->n.nat == MP_NAT_EASY ? "easy" : n->n.nat == MP_NAT_HARD ?
	       "hard" : "unknown");
	n->n.nat = nat;
	memset(n->declined, 0, sizeof(n->declined));
	db_nat(s, n);
}

static void on_message(struct server *s, struct sconn *c,
		       const struct mp_msg *m)
{
	struct snode *n = c->node;
	struct mp_msg r;

	if (c->relay) {
		on_relay_message(s, c, m);
		return;
	}
	if (!n)
		return;		/* replaced or removed: only flushing */
	switch (m->type) {
	case MP_PING:
		memset(&r, 0, sizeof(r));
		r.type = MP_PONG;
		r.u.token = m->u.token;
		send_or_kill(c, &r);
		break;
	case MP_PONG:
		break;
	case MP_PUNCH_REQUEST:
		/* n reports no live path to that peer */
		if (bucket_take(&c->punch_rate, PUNCH_BURST, mono_ms())) {
			struct snode *t = find_node(s, m->u.punch_req);

			if (t && t != n && n->n.cand.n && !punch_pair(s, n, t))
				punch_later(t, n);
			/* no allocation yet (ports were short, or it expired) */
			if (t && t != n)
				relay_pair(s, n, t);
		}
		break;
	case MP_CANDIDATES:
		clean_cands(&c->held, &m->u.cand);
		c->cand_held = true;
		apply_candidates(s, c, mono_ms());
		break;
	case MP_NAT:
		on_nat(s, c, m->u.nat);
		break;
	case MP_RELAY_TCP:
		on_relay_tcp(s, c, &m->u.relay_tcp);
		break;
	case MP_RELAY_DATA:
		on_relay_data(s, c, &m->u.relay_data);
		break;
	case MP_HOME_RELAY:
		on_home_relay(s, c, &m->u.home_relay);
		break;
	default:
		kill_conn(c, "unexpected message");
		return;
	}
	if (wall() - n->seen_written >= 60)
		write_seen(s, n);
}

static void on_handshake(struct server *s, struct sconn *c,
			 const uint8_t *body, size_t len)
{
	uint8_t msg2[MP_HS2_LEN], rej[MP_HSREJ_LEN];
	struct mp_err e;
	int r = -1;

	if (len == MP_HS1_LEN)
		r = mp_hs_server(s->db.priv, s->db.pub, body, msg2, &c->mc.chan,
				 c->node_pub);
	if (r == MP_HS_BADKEY) {
		/* The agent pinned another key: tell it, then close. */
		mp_hs_reject(rej, MP_HSREJ_KEY);
		if (mp_conn_queue_raw(&c->mc, rej, sizeof(rej), &e)) {
			kill_conn(c, e.msg);
			return;
		}
		logmsg("%s: closed: handshake not for this service's key", c->peer);
		c->closing = true;
		c->deadline = mono_ms() + COORD_HS_TIMEOUT_MS;
		return;
	}
	if (r) {
		kill_conn(c, "handshake failed");
		return;
	}
	c->mc.established = true;
	c->state = CS_HELLO;
	if (mp_conn_queue_raw(&c->mc, msg2, sizeof(msg2), &e))
		kill_conn(c, e.msg);
}

/* ::ffff:a.b.c.d (IPv4 on a dual-stack socket) -> plain IPv4. */
static void unmap_v4(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

/* Bounded work per readable connection per iteration (fairness). */
#define FRAMES_PER_ROUND 32

/*
 * Whole frames already read from c's socket: on_readable reads them even
 * though poll reports nothing, and the loop does not sleep meanwhile.
 */
static bool buffered_input(const struct sconn *c)
{
	return !c->dead && !c->closing && mp_conn_ready(&c->mc);
}

static void on_readable(struct server *s, struct sconn *c)
{
	struct mp_err e = { 0, "" };
	const uint8_t *body;
	struct mp_msg m;
	size_t len;
	int i, r;

	for (i = 0; i < FRAMES_PER_ROUND && !c->dead && !c->closing; i++) {
		if (c->state == CS_HANDSHAKE) {
			r = mp_conn_read_frame(&c->mc, &body, &len, &e);
			if (r > 0)
				on_handshake(s, c, body, len);
		} else {
			r = mp_conn_recv(&c->mc, &m, &e);
			if (r > 0 && c->state == CS_HELLO) {
				on_hello(s, c, &m);
				sodium_memzero(&m, sizeof(m));
			} else if (r > 0) {
				on_message(s, c, &m);
			}
		}
		/* A node's plain disconnect is logged as "offline" only. */
		if (r < 0)
			kill_conn(c, e.code == MP_ERR_NONE && c->state == CS_READY ?
				  NULL : e.msg);
		if (r <= 0)
			break;
		if (c->state == CS_READY)
			c->deadline = mono_ms() + COORD_IDLE_TIMEOUT_MS;
	}
}

/* Same source for the per-source limit: IPv4 address, or IPv6 /64. */
static bool same_source(const struct mp_candidate *a,
			const struct mp_candidate *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 8);
}

static void pend_remove(struct server *s, struct sconn *c)
{
	size_t i;

	if (!c->pending)
		return;
	c->pending = false;
	for (i = 0; i < s->npend; i++)
		if (s->pend[i] == c) {
			s->pend[i] = s->pend[--s->npend];
			return;
		}
}

/* Why a new connection from src cannot be taken, or NULL. */
static const char *refuse_reason(const struct server *s,
				 const struct mp_candidate *src)
{
	size_t i, same = 0;

	if (s->nconns >= s->max_conns)
		return "too many connections";
	if (s->npend >= s->cfg->max_pending)
		return "too many pending connections";
	for (i = 0; i < s->npend; i++)
		same += same_source(&s->pend[i]->src, src);
	if (same >= s->cfg->max_per_source)
		return "too many pending connections from this address";
	return NULL;
}

/*
 * Refused before any handshake: nothing authenticated can be said, so the
 * client gets one fixed plaintext frame (MP_BUSY_NOTICE) that it reports as
 * an unauthenticated notice, and the connection is closed.  One log line a
 * second at most, with the count of the others.
 */
static void refuse(struct server *s, int fd, const char *who, const char *why)
{
	uint8_t frame[4 + sizeof(MP_BUSY_NOTICE) - 1];
	int64_t now = mono_ms();
	ssize_t w;

	frame[0] = frame[1] = frame[2] = 0;
	frame[3] = sizeof(MP_BUSY_NOTICE) - 1;
	memcpy(frame + 4, MP_BUSY_NOTICE, sizeof(MP_BUSY_NOTICE) - 1);
	w = send(fd, frame, sizeof(frame), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)w;	/* best effort: the socket is new, its buffer empty */
	close(fd);
	if (now < s->refuse_log_next) {
		s->refused_quiet++;
		return;
	}
	if (s->refused_quiet)
		logmsg("%s: refused: %s (and %lu more refused since the last such line)",
		       who, why, s->refused_quiet);
	else
		logmsg("%s: refused: %s", who, why);
	s->refused_quiet = 0;
	s->refuse_log_next = now + 1000;
}

static void on_accept(struct server *s)
{
	struct sockaddr_storage ss;
	struct mp_candidate pc;
	const char *why;
	struct sconn *c;
	int fd, i;

	for (i = 0; i < 64; i++) {
		socklen_t sl = sizeof(ss);

		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* out of descriptors: stop accepting for a while */
				logmsg("accept: %s: pausing for 1 s", strerror(errno));
				s->accept_paused_until = mono_ms() + 1000;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR && errno != ECONNABORTED) {
				logmsg("accept: %s", strerror(errno));
			}
			return;
		}
		unmap_v4(&ss);
		if (mp_candidate_from_sockaddr(&pc, (struct sockaddr *)&ss))
			memset(&pc, 0, sizeof(pc));
		why = refuse_reason(s, &pc);
		if (why) {
			char a[MP_CAND_STRLEN];

			pc.port = 0;
			refuse(s, fd, mp_candidate_format(&pc, a), why);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || mp_conn_init(&c->mc, fd, COORD_WQUEUE_BASE +
				       (size_t)s->cfg->max_nodes * COORD_WQUEUE_PER_NODE)) {
			free(c);
			close(fd);
			continue;
		}
		mp_sock_tune(fd);
		mp_candidate_format(&pc, c->peer);
		c->deadline = mono_ms() + COORD_HS_TIMEOUT_MS;
		c->src = pc;
		c->src.port = 0;
		c->pending = true;
		s->pend[s->npend++] = c;
		s->conns[s->nconns++] = c;
	}
}

static void on_stun(int fd)
{
	uint8_t pkt[1500], txid[12], resp[STUN_MAX_RESPONSE];
	struct sockaddr_storage from, mapped;
	ssize_t n;
	size_t rl;
	int i;

	for (i = 0; i < 64; i++) {
		socklen_t sl = sizeof(from);

		n = recvfrom(fd, pkt, sizeof(pkt), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &sl);
		if (n < 0)
			return;
		if (stun_parse_request(pkt, (size_t)n, txid))
			continue;	/* never answer garbage */
		mapped = from;
		unmap_v4(&mapped);	/* report what the client sees: IPv4 */
		rl = stun_build_response(resp, txid, (struct sockaddr *)&mapped);
		if (rl)
			sendto(fd, resp, rl, MSG_DONTWAIT,
			       (struct sockaddr *)&from, sl);
	}
}

/*
 * Datagrams on relay socket idx: the core decides (relay_input); the only
 * thing ever sent is a forwarded datagram, unchanged, to an address that
 * bound the other side with its key.  Nothing is answered.
 */
static void on_relay(struct server *s, unsigned int idx)
{
	struct wgm_udpb *b = s->rbatch;
	uint16_t vport = (uint16_t)(s->relay.port_lo + idx), out;
	union wgm_sockaddr src, dst;
	const uint8_t *pkt;
	unsigned int round, i, n;
	uint64_t now;
	size_t len;

	/* at most two batches per wakeup: the other ports get their turn */
	for (round = 0; round < 2; round++) {
		n = wgm_udpb_recv(b, s->rfd[idx]);
		now = (uint64_t)mono_ms();	/* one clock read per batch */
		for (i = 0; i < n; i++) {
			pkt = wgm_udpb_get(b, i, &len, &src);
			if (!len)
				continue;
			switch (relay_input(&s->relay, vport, &src, pkt, len, now, &out, &dst)) {
			case RELAY_FORWARD:
				wgm_udpb_queue(b, i, s->rfd[out - s->relay.port_lo], &dst,
					       s->relay_v6);
				break;
			case RELAY_FORWARD_TCP:
				relay_send_tcp(s, out, pkt, len);
				break;
			default:
				break;
			}
		}
		wgm_udpb_flush(b);
		if (n < WGM_UDPB_N)
			return;
	}
}

/* A meshrelay online whose key is no longer registered is sent away. */
static void poll_db_relays(struct server *s)
{
	struct coord_relay *reg;
	struct wgm_err e;
	unsigned int k;
	size_t n, j;

	if (!s->nrelays)
		return;
	if (coord_db_relays(&s->db, &reg, &n, &e)) {
		logmsg("reload: %s", e.msg);
		return;
	}
	for (k = 0; k < s->nrelays; k++) {
		struct srelay *r = s->relays[k];

		for (j = 0; j < n; j++)
			if (!sodium_memcmp(reg[j].pubkey, r->pubkey, MP_KEY_LEN))
				break;
		if (j < n || !relay_online(r))
			continue;
		logmsg("relay %s: removed by the administrator", r->name);
		send_error(r->conn, MP_ERR_REMOVED, "relay removed by the administrator");
	}
	free(reg);
}

/* Notice admin changes (removals) made by other processes. */
static void poll_db(struct server *s)
{
	struct coord_node *dbn;
	struct wgm_err e;
	int64_t v;
	size_t i, j, n;

	if (coord_db_data_version(&s->db, &v) || v == s->data_version)
		return;
	s->data_version = v;
	if (coord_db_nodes(&s->db, &dbn, &n, &e)) {
		logmsg("reload: %s", e.msg);
		return;
	}
	for (i = 0; i < s->nnodes;) {
		struct snode *sn = s->nodes[i];
		struct mp_msg m = { .type = MP_PEER_REMOVED };

		for (j = 0; j < n; j++)
			if (dbn[j].id == sn->n.id)
				break;
		if (j < n) {
			i++;
			continue;
		}
		logmsg("%s: removed by the administrator", sn->n.name);
		if (sn->conn) {
			send_error(sn->conn, MP_ERR_REMOVED,
				   "removed by the administrator");
			sn->conn->node = NULL;
		}
		memcpy(m.u.removed, sn->n.pubkey, MP_KEY_LEN);
		relay_end_node(s, sn);
		drop_node(s, i);
		for (j = 0; j < s->nnodes; j++)
			if (node_ready(s->nodes[j]))
				send_or_kill(s->nodes[j]->conn, &m);
	}
	free(dbn);
	poll_db_relays(s);
}

/* Flush every queue; reap dead connections, telling peers who went offline. */
static void flush_and_reap(struct server *s)
{
	struct mp_err e;
	size_t i;
	bool again = true;

	while (again) {
		again = false;
		for (i = 0; i < s->nconns; i++) {
			struct sconn *c = s->conns[i];

			if (!c->dead && mp_conn_want_write(&c->mc) &&
			    mp_conn_flush(&c->mc, &e) < 0)
				kill_conn(c, c->state == CS_READY ? NULL : e.msg);
			if (c->closing && !mp_conn_want_write(&c->mc))
				c->dead = true;
		}
		for (i = 0; i < s->nconns;) {
			struct sconn *c = s->conns[i];
			struct snode *n = c->node;

			if (!c->dead) {
				i++;
				continue;
			}
			if (c->pending)
				pend_remove(s, c);
			if (c->relay) {
				relay_down(s, c->relay, "disconnected");
				again = true;
			}
			if (n && n->conn == c) {
				n->conn = NULL;
				write_seen(s, n);
				logmsg("%s (%s): offline", n->n.name, c->peer);
				relay_end_node(s, n);
				push_peer(s, n);
				again = true;	/* pushes queued: flush them */
			}
			mp_conn_close(&c->mc);
			free(c);
			s->conns[i] = s->conns[--s->nconns];
		}
	}
}

static void on_timeouts(struct server *s, int64_t now)
{
	size_t i;

	for (i = 0; i < s->nconns; i++) {
		struct sconn *c = s->conns[i];

		if (c->cand_held && now >= bucket_next(&c->cand_rate))
			apply_candidates(s, c, now);
		if (c->push_due && now >= c->push_due)
			push_now(s, c);
		if (!c->dead && now >= c->deadline)
			kill_conn(c, c->closing ? "peer does not read" :
				  c->state == CS_READY ? "idle timeout" :
				  "handshake timeout");
	}
}

int coord_parse_addr(const char *spec, char *host, size_t hostlen,
		     uint16_t *port, bool allow_zero, struct wgm_err *err)
{
	const char *colon, *p, *h = spec;
	unsigned long v = 0;
	size_t hl;

	colon = strrchr(spec, ':');
	if (!colon)
		return wgm_err_set(err, "'%s': expected ADDR:PORT", spec);
	p = colon + 1;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		h = spec + 1;
		hl -= 2;
	} else if (memchr(spec, ':', hl)) {
		return wgm_err_set(err, "'%s': an IPv6 address goes in brackets: [ADDR]:PORT",
				   spec);
	}
	if (hl == 0 || hl >= hostlen)
		return wgm_err_set(err, "'%s': bad address", spec);
	if (!*p)
		return wgm_err_set(err, "'%s': missing port after ':'", spec);
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535)
			break;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (*p || v > 65535 || (v == 0 && !allow_zero))
		return wgm_err_set(err, "'%s': port must be a number from %d to 65535",
				   spec, allow_zero ? 0 : 1);
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)v;
	return 0;
}

int coord_parse_relay_ports(const char *s, uint16_t *lo, uint16_t *hi,
			    unsigned int *any, struct wgm_err *err)
{
	unsigned long a, b;
	char *end;

	if (!strncmp(s, "any:", 4)) {
		if (s[4] < '0' || s[4] > '9')
			goto bad;
		errno = 0;
		a = strtoul(s + 4, &end, 10);
		if (errno || *end || a < 2 || a > COORD_RELAY_ANY_MAX || a % 2)
			return wgm_err_set(err, "--relay-ports '%s': any:N needs an even N from 2 to %d",
					   s, COORD_RELAY_ANY_MAX);
		*any = (unsigned int)a;
		return 0;
	}
	if (*s < '0' || *s > '9')
		goto bad;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
		goto bad;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end || a < 1 || b > 65535 || b <= a)
		goto bad;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	*any = 0;
	return 0;
bad:
	return wgm_err_set(err, "--relay-ports '%s': expected LO-HI (1 <= LO < HI <= 65535) or any:N",
			   s);
}

int coord_stun2_default(const char *stun, char *out, size_t len,
			struct wgm_err *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	uint16_t port;
	bool v6;

	if (coord_parse_addr(stun, host, sizeof(host), &port, true, err))
		return -1;
	if (port == 65535)
		return wgm_err_set(err, "--stun port 65535 has no next port for the second STUN port: give --stun2 ADDR:PORT (or none)");
	v6 = strchr(host, ':') != NULL;
	if ((size_t)snprintf(out, len, "%s%s%s:%u", v6 ? "[" : "", host,
			     v6 ? "]" : "", port ? port + 1u : 0u) >= len)
		return wgm_err_set(err, "'%s': too long", stun);
	return 0;
}

static int bind_sock(const char *spec, int type, struct wgm_err *err)
{
	struct addrinfo hints = { .ai_socktype = type,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
					      AI_NUMERICSERV };
	struct addrinfo *res;
	char host[INET6_ADDRSTRLEN + 2], port[8];
	uint16_t pn;
	int fd, r, one = 1, zero = 0;

	if (coord_parse_addr(spec, host, sizeof(host), &pn, true, err))
		return -1;
	snprintf(port, sizeof(port), "%u", pn);
	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		return wgm_err_set(err, "'%s': '%s' is not a numeric IP address",
				   spec, host);
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && !strcmp(host, "::")) {
		/* IPv6 disabled: the wildcard falls back to IPv4 */
		struct addrinfo *res4;

		hints.ai_family = AF_INET;
		if (getaddrinfo("0.0.0.0", port, &hints, &res4) == 0) {
			freeaddrinfo(res);
			res = res4;
			fd = socket(AF_INET, res->ai_socktype | SOCK_NONBLOCK |
				    SOCK_CLOEXEC, 0);
		}
	}
	if (fd < 0) {
		freeaddrinfo(res);
		return wgm_err_set(err, "socket: %s", strerror(errno));
	}
	/*
	 * TCP: a restart must not wait out TIME_WAIT.  Never on UDP: there
	 * it lets another socket (another user's) bind the same port and
	 * read the STUN requests.
	 */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, res->ai_addr, res->ai_addrlen) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		wgm_err_set(err, "bind %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static void sock_name(int fd, char buf[MP_CAND_STRLEN])
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct mp_candidate c;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    mp_candidate_from_sockaddr(&c, (struct sockaddr *)&ss)) {
		snprintf(buf, MP_CAND_STRLEN, "?");
		return;
	}
	mp_candidate_format(&c, buf);
}

/*
 * WELCOME's STUN list gets the socket's address: a wildcard (0.0.0.0, ::)
 * goes as family AF_UNSPEC, "this port on the host you connected to".
 */
static int stun_list_add_ep(struct mp_candidate *c, int fd)
{
	static const uint8_t zero[16];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -1;
	unmap_v4(&ss);
	if (mp_candidate_from_sockaddr(c, (struct sockaddr *)&ss))
		return -1;
	if (!memcmp(c->addr, zero, c->family == AF_INET ? 4 : 16)) {
		c->family = AF_UNSPEC;
		memset(c->addr, 0, sizeof(c->addr));
	}
	return 0;
}

static void stun_list_add(struct mp_stun_list *l, int fd)
{
	if (l->n < MP_MAX_STUN && !stun_list_add_ep(&l->s[l->n], fd))
		l->n++;
}

/* DIR/meshcoord.addr: the bound addresses (ports may have been 0). */
static int write_addr_file(struct server *s, struct wgm_err *err)
{
	char path[4096], tmp[4200], a[MP_CAND_STRLEN], b[MP_CAND_STRLEN];
	char b2[MP_CAND_STRLEN] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s->cfg->state_dir, COORD_ADDR_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	sock_name(s->lfd, a);
	if (s->ufd >= 0)
		sock_name(s->ufd, b);
	if (s->ufd2 >= 0)
		sock_name(s->ufd2, b2);
	f = fopen(tmp, "w");
	if (!f)
		return wgm_err_set(err, "%s: %s", tmp, strerror(errno));
	fprintf(f, "listen %s\n", a);
	if (s->ufd >= 0)
		fprintf(f, "stun %s\n", b);
	if (s->ufd2 >= 0)
		fprintf(f, "stun2 %s\n", b2);
	if (s->relay_on) {
		unsigned int i;

		/* "relay ADDR:P1,P2,..." (ADDR of the sockets, ports in order) */
		sock_name(s->rfd[0], a);
		a[strlen(a) - strlen(strrchr(a, ':'))] = '\0';
		fprintf(f, "relay %s:", a);
		for (i = 0; i < s->nrelay; i++)
			fprintf(f, "%s%u", i ? "," : "", s->rport[i]);
		fputc('\n', f);
		sock_name(s->lfd, a);
	}
	if (fclose(f) || rename(tmp, path))
		return wgm_err_set(err, "%s: %s", path, strerror(errno));
	logmsg("control channel on %s (tcp)%s%s%s%s%s", a,
	       s->ufd >= 0 ? ", STUN on " : "", s->ufd >= 0 ? b : "",
	       s->ufd2 >= 0 ? " and " : "", b2,
	       s->ufd >= 0 ? " (udp)" : "");
	if (s->relay_on)
		logmsg("relay on %u ports %u..%u (udp), at most %u allocations per node, %llu bytes/s per side",
		       s->nrelay, s->rport[0], s->rport[s->nrelay - 1],
		       s->cfg->relay_max_per_node, (unsigned long long)s->cfg->relay_rate);
	return 0;
}

int coord_check_state_dir(const char *dir, bool create, char *warn,
			  size_t warnlen, struct wgm_err *err)
{
	struct stat st;

	if (warn && warnlen)
		warn[0] = '\0';
	if (create && mkdir(dir, 0700) && errno != EEXIST)
		return wgm_err_set(err, "state directory %s: %s", dir, strerror(errno));
	if (stat(dir, &st))
		return wgm_err_set(err, "state directory %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return wgm_err_set(err, "state directory %s: not a directory", dir);
	/* it holds the private key: others writing there could swap it */
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return wgm_err_set(err, "state directory %s is writable by every user (mode %04o): chmod 700 it",
				   dir, (unsigned int)(st.st_mode & 07777));
	if (warn && (st.st_mode & (S_IWGRP | S_IWOTH)))
		snprintf(warn, warnlen, "warning: state directory %s is writable by others (mode %04o); it holds the service's private key: chmod 700 it",
			 dir, (unsigned int)(st.st_mode & 07777));
	return 0;
}

/*
 * One service per state directory: an exclusive flock on the directory,
 * held until exit, taken before anything in it is touched.
 */
static int lock_state_dir(struct server *s, struct wgm_err *err)
{
	s->lockfd = open(s->cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->lockfd < 0)
		return wgm_err_set(err, "state directory %s: %s", s->cfg->state_dir,
				   strerror(errno));
	if (flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK)
			return wgm_err_set(err, "state directory %s is in use by another meshcoord (it holds the lock); not starting",
					   s->cfg->state_dir);
		return wgm_err_set(err, "lock %s: %s", s->cfg->state_dir, strerror(errno));
	}
	return 0;
}

/*
 * The relay's sockets on --stun's address: one per port of the range (or
 * relay_any ports the kernel picks), all bound before the service starts,
 * so a port taken by something else is an error now, not a lost pair later.
 */
static int relay_setup(struct server *s, struct wgm_err *err)
{
	const struct coord_cfg *cfg = s->cfg;
	char host[INET6_ADDRSTRLEN + 2], spec[INET6_ADDRSTRLEN + 16];
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned int i, n;
	uint16_t port, lo;
	bool v6;

	if (!cfg->relay)
		return 0;
	if (!cfg->stun) {
		logmsg("no relay: it runs on the STUN address and --stun is none");
		return 0;
	}
	if (coord_parse_addr(cfg->stun, host, sizeof(host), &port, true, err))
		return -1;
	v6 = strchr(host, ':') != NULL;
	n = cfg->relay_any ? cfg->relay_any :
	    ((unsigned int)cfg->relay_hi - cfg->relay_lo + 1) / 2 * 2;
	lo = cfg->relay_any ? 1 : cfg->relay_lo;
	if (relay_init(&s->relay, lo, (uint16_t)(lo + n - 1), cfg->relay_max_per_node,
		       cfg->relay_rate))
		return wgm_err_set(err, "relay: bad port range or out of memory");
	s->rfd = malloc(n * sizeof(*s->rfd));
	s->rport = calloc(n, sizeof(*s->rport));
	s->rbatch = calloc(1, sizeof(*s->rbatch));
	if (!s->rfd || !s->rport || !s->rbatch || wgm_udpb_init(s->rbatch))
		return wgm_err_set(err, "out of memory");
	for (i = 0; i < n; i++)
		s->rfd[i] = -1;
	s->nrelay = n;
	for (i = 0; i < n; i++) {
		snprintf(spec, sizeof(spec), "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
			 cfg->relay_any ? 0u : (unsigned int)lo + i);
		s->rfd[i] = bind_sock(spec, SOCK_DGRAM, err);
		if (s->rfd[i] < 0)
			return wgm_err_set(err, "relay port: %s (--relay-ports, --no-relay)",
					   err->msg);
		wgm_udpb_sockbufs(s->rfd[i]);
		sl = sizeof(ss);
		if (getsockname(s->rfd[i], (struct sockaddr *)&ss, &sl))
			return wgm_err_set(err, "getsockname: %s", strerror(errno));
		s->relay_v6 = ss.ss_family == AF_INET6;
		s->rport[i] = ntohs(ss.ss_family == AF_INET6 ?
				    ((struct sockaddr_in6 *)&ss)->sin6_port :
				    ((struct sockaddr_in *)&ss)->sin_port);
	}
	/* RELAY's address: a wildcard is "the host the agent connected to" */
	memset(&s->relay_ep, 0, sizeof(s->relay_ep));
	stun_list_add_ep(&s->relay_ep, s->rfd[0]);
	s->relay_on = true;
	return 0;
}

static int setup(struct server *s, struct wgm_err *err)
{
	struct coord_node *dbn;
	char pub[WGM_KEY_B64_LEN + 1], warn[512];
	struct rlimit rl;
	sigset_t mask;
	size_t i, n;

	randombytes_buf(s->ix_key, sizeof(s->ix_key));
	s->max_conns = s->cfg->max_conns ? s->cfg->max_conns :
		       s->cfg->max_nodes + s->cfg->max_pending;
	s->conns = calloc(s->max_conns, sizeof(*s->conns));
	s->pend = calloc(s->cfg->max_pending, sizeof(*s->pend));
	if (!s->conns || !s->pend)
		return wgm_err_set(err, "out of memory");
	/* nothing is changed (no node marked offline) before all of this holds */
	if (coord_check_state_dir(s->cfg->state_dir, true, warn, sizeof(warn), err) ||
	    lock_state_dir(s, err))
		return -1;
	if (warn[0])
		logmsg("%s", warn);
	s->lfd = bind_sock(s->cfg->listen, SOCK_STREAM, err);
	if (s->lfd < 0)
		return -1;
	if (s->cfg->stun) {
		s->ufd = bind_sock(s->cfg->stun, SOCK_DGRAM, err);
		if (s->ufd < 0)
			return -1;
		stun_list_add(&s->stun, s->ufd);
	}
	if (s->cfg->stun2) {
		s->ufd2 = bind_sock(s->cfg->stun2, SOCK_DGRAM, err);
		if (s->ufd2 < 0)
			return -1;
		stun_list_add(&s->stun, s->ufd2);
	}
	if (relay_setup(s, err))
		return -1;
	if (coord_db_open(&s->db, s->cfg->state_dir, err))
		return -1;
	s->db.max_nodes = s->cfg->max_nodes;
	if (coord_db_all_offline(&s->db, err) ||
	    coord_db_nodes(&s->db, &dbn, &n, err))
		return -1;
	coord_db_busy_timeout(&s->db, COORD_DB_BUSY_MS);
	for (i = 0; i < n; i++) {
		dbn[i].online = false;
		if (add_node(s, &dbn[i], NULL)) {
			free(dbn);
			return wgm_err_set(err, "out of memory");
		}
	}
	free(dbn);
	coord_db_data_version(&s->db, &s->data_version);
	/* one descriptor per connection, plus a few */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < s->max_conns + 64) {
		rl.rlim_cur = rl.rlim_max < s->max_conns + 64 ? rl.rlim_max :
			      s->max_conns + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			logmsg("setrlimit: %s", strerror(errno));
		if (rl.rlim_cur < s->max_conns + 64)
			logmsg("warning: open file limit %lu is below %u connections + 64 (ulimit -n)",
			       (unsigned long)rl.rlim_cur, s->max_conns);
	}
	/* SIGHUP too: no reload, a clean exit with the teardown below */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return wgm_err_set(err, "signalfd: %s", strerror(errno));
	wgm_key_to_base64(pub, s->db.pub);
	logmsg("network key %s, %zu nodes (limits: %u nodes, %u connections, %u pending, %u pending per address)",
	       pub, s->nnodes, s->cfg->max_nodes, s->max_conns, s->cfg->max_pending,
	       s->cfg->max_per_source);
	return write_addr_file(s, err);
}

static void teardown(struct server *s)
{
	struct wgm_err e;
	size_t i;

	if (s->db.sql) {
		/* the last writes may wait for a lock as long as admin commands do */
		coord_db_busy_timeout(&s->db, 2000);
		s->db_busy_until = 0;
	}
	for (i = 0; i < s->nconns; i++) {
		struct snode *n = s->conns[i]->node;

		if (n && n->conn == s->conns[i]) {
			n->conn = NULL;
			if (s->db.sql)
				write_seen(s, n);
		}
		mp_conn_close(&s->conns[i]->mc);
		free(s->conns[i]);
	}
	s->nconns = 0;
	if (s->db.sql) {
		s->db_busy_until = 0;
		flush_dirty(s);
	}
	if (s->db.sql && coord_db_all_offline(&s->db, &e))
		logmsg("%s", e.msg);
	for (i = 0; i < s->nnodes; i++)
		free(s->nodes[i]);
	free(s->nodes);
	s->nodes = NULL;
	s->nnodes = 0;
	free(s->ix);
	s->ix = NULL;
	s->ixcap = 0;
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->ufd >= 0)
		close(s->ufd);
	if (s->ufd2 >= 0)
		close(s->ufd2);
	if (s->sigfd >= 0)
		close(s->sigfd);
	for (i = 0; s->rfd && i < s->nrelay; i++)
		if (s->rfd[i] >= 0)
			close(s->rfd[i]);
	free(s->rfd);
	if (s->rbatch)
		wgm_udpb_free(s->rbatch);
	free(s->rbatch);
	free(s->rport);
	relay_free(&s->relay);	/* wipes the keys */
	for (i = 0; i < s->nrelays; i++) {
		relay_free(&s->relays[i]->t);
		free(s->relays[i]);
	}
	s->nrelays = 0;
	coord_db_close(&s->db);
	if (s->lockfd >= 0)
		close(s->lockfd);	/* releases the state directory */
	free(s->conns);
	free(s->pend);
}

/* pfd[]: signals, listener, STUN, second STUN, the relay's, the connections */
#define NFIXED 4

static int serve_loop(struct server *s)
{
	struct pollfd *pfd;
	unsigned int *ridx, nr;
	size_t npfd, i;

	pfd = calloc(NFIXED + s->nrelay + s->max_conns, sizeof(*pfd));
	ridx = calloc(s->nrelay ? s->nrelay : 1, sizeof(*ridx));
	if (!pfd || !ridx) {
		free(pfd);
		free(ridx);
		return -1;
	}
	for (;;) {
		int64_t now = mono_ms(), next = s->next_db_poll;
		int timeout;

		pfd[0] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->lfd, .events =
			now < s->accept_paused_until ? 0 : POLLIN };
		if (now < s->accept_paused_until && s->accept_paused_until < next)
			next = s->accept_paused_until;
		pfd[2] = (struct pollfd){ .fd = s->ufd, .events = POLLIN };
		pfd[3] = (struct pollfd){ .fd = s->ufd2, .events = POLLIN };
		npfd = NFIXED;
		/*
		 * Only the ports of live allocations: what arrives on the others
		 * would be dropped anyway, and waits in its socket's bounded
		 * buffer instead (read and dropped if the port is allocated
		 * again), so an idle relay of 500 ports costs poll nothing.
		 */
		for (i = 0, nr = 0; i < s->nrelay; i++) {
			if (!s->relay.allocs[i / 2].used)
				continue;
			ridx[nr++] = (unsigned int)i;
			pfd[npfd++] = (struct pollfd){ .fd = s->rfd[i], .events = POLLIN };
		}
		if (s->relay_on && s->relay_next_idle < next)
			next = s->relay_next_idle;
		for (i = 0; i < s->nconns; i++) {
			struct sconn *c = s->conns[i];

			if (buffered_input(c))
				next = now;	/* frames left by FRAMES_PER_ROUND */
			pfd[npfd].fd = c->mc.fd;
			pfd[npfd].events = (short)((c->closing ? 0 : POLLIN) |
				(mp_conn_want_write(&c->mc) ? POLLOUT : 0));
			pfd[npfd].revents = 0;
			npfd++;
			if (c->deadline < next)
				next = c->deadline;
			if (c->cand_held && bucket_next(&c->cand_rate) < next)
				next = bucket_next(&c->cand_rate);
			if (c->push_due && c->push_due < next)
				next = c->push_due;
		}
		timeout = next <= now ? 0 : (int)(next - now);
		if (poll(pfd, npfd, timeout) < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			free(pfd);
			free(ridx);
			return -1;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
				logmsg("signal %u (%s): shutting down%s", si.ssi_signo,
				       strsignal((int)si.ssi_signo),
				       si.ssi_signo == SIGHUP ?
				       " (meshcoord does not reload; start it again to apply changes)" : "");
				free(pfd);
				free(ridx);
				return 0;
			}
		}
		/* conns[] is only appended to until flush_and_reap. */
		for (i = NFIXED + nr; i < npfd; i++) {
			struct sconn *c = s->conns[i - NFIXED - nr];

			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
			    buffered_input(c))
				on_readable(s, c);
		}
		for (i = 0; i < nr; i++)
			if (pfd[NFIXED + i].revents & POLLIN)
				on_relay(s, ridx[i]);
		if (pfd[1].revents & POLLIN)
			on_accept(s);
		if (pfd[2].revents & POLLIN)
			on_stun(s->ufd);
		if (pfd[3].revents & POLLIN)
			on_stun(s->ufd2);
		now = mono_ms();
		if (now >= s->next_db_poll) {
			poll_db(s);
			s->next_db_poll = now + COORD_DB_POLL_MS;
		}
		on_timeouts(s, now);
		relay_expire(s, now);
		flush_dirty(s);
		flush_and_reap(s);
	}
}

int coord_serve(const struct coord_cfg *cfg, struct wgm_err *err)
{
	struct server *s;
	int r = -1;

	if (mp_init())
		return wgm_err_set(err, "libsodium initialisation failed");
	s = calloc(1, sizeof(*s));
	if (!s)
		return wgm_err_set(err, "out of memory");
	s->cfg = cfg;
	s->lfd = s->ufd = s->ufd2 = s->sigfd = s->lockfd = -1;
	if (setup(s, err) == 0) {
		r = serve_loop(s);
		if (r)
			wgm_err_set(err, "service loop failed");
	}
	teardown(s);
	free(s);
	return r;
}
