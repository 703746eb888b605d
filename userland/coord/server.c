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
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "db.h"
#include "key.h"
#include "proto.h"
#include "stun.h"

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
	char peer[MP_CAND_STRLEN];
};

struct snode {
	struct coord_node n;
	struct sconn *conn;	/* the node's READY connection or NULL */
	int64_t seen_written;	/* wall seconds of the last last_seen write */
};

struct server {
	const struct coord_cfg *cfg;
	struct coord_db db;
	int lfd, ufd, sigfd;
	struct sconn *conns[COORD_MAX_CONNS];
	size_t nconns;
	struct snode **nodes;
	size_t nnodes;
	int64_t data_version;
	int64_t next_db_poll;
	int64_t accept_paused_until;	/* after EMFILE and the like */
};

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

static void peer_msg(struct mp_msg *m, const struct snode *n)
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

	peer_msg(&m, n);
	for (i = 0; i < s->nnodes; i++)
		if (s->nodes[i] != n && node_ready(s->nodes[i]))
			send_or_kill(s->nodes[i]->conn, &m);
}

/*
 * Both online with candidates: each gets a PUNCH with the other's
 * candidates, queued back to back and flushed together at the end of this
 * loop iteration, so both start punching at the same moment.
 */
static void punch_pair(struct snode *a, struct snode *b)
{
	struct mp_msg m = { .type = MP_PUNCH };

	if (!a || !b || a == b || !node_ready(a) || !node_ready(b) || !a->n.cand.n ||
	    !b->n.cand.n)
		return;
	memcpy(m.u.punch.pubkey, b->n.pubkey, MP_KEY_LEN);
	m.u.punch.cand = b->n.cand;
	send_or_kill(a->conn, &m);
	memcpy(m.u.punch.pubkey, a->n.pubkey, MP_KEY_LEN);
	m.u.punch.cand = a->n.cand;
	send_or_kill(b->conn, &m);
}

/* n joined or changed its candidates: punch with every online node. */
static void punch_pairs(struct server *s, struct snode *n)
{
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		punch_pair(n, s->nodes[i]);
}

static struct snode *find_node(struct server *s, const uint8_t *pub)
{
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		if (sodium_memcmp(s->nodes[i]->n.pubkey, pub, MP_KEY_LEN) == 0)
			return s->nodes[i];
	return NULL;
}

static int add_node(struct server *s, const struct coord_node *cn,
		    struct snode **out)
{
	struct snode **v, *n;

	v = realloc(s->nodes, (s->nnodes + 1) * sizeof(*v));
	if (!v)
		return -1;
	s->nodes = v;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->n = *cn;
	s->nodes[s->nnodes++] = n;
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
}

static void write_seen(struct server *s, struct snode *n, bool online)
{
	struct wgm_err e;

	n->n.last_seen = wall();
	n->seen_written = n->n.last_seen;
	if (coord_db_set_seen(&s->db, n->n.id, online, n->n.last_seen, &e))
		logmsg("%s: %s", n->n.name, e.msg);
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

	if (m->type != MP_HELLO || m->u.hello.version != MP_VERSION) {
		kill_conn(c, m->type != MP_HELLO ? "first message is not HELLO" :
			  "unsupported protocol version");
		return;
	}
	n = find_node(s, c->node_pub);
	if (!n) {
		r = coord_db_join(&s->db, c->node_pub, m->u.hello.name,
				  m->u.hello.authkey, wall(), &cn, &e);
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
	c->node = n;
	c->state = CS_READY;
	bucket_init(&c->punch_rate, PUNCH_BURST, mono_ms());
	bucket_init(&c->cand_rate, CAND_BURST, mono_ms());
	n->conn = c;
	write_seen(s, n, true);
	logmsg("%s (%s): online", n->n.name, c->peer);

	memset(&w, 0, sizeof(w));
	w.type = MP_WELCOME;
	snprintf(w.u.welcome.name, sizeof(w.u.welcome.name), "%s", n->n.name);
	memcpy(w.u.welcome.addr4, n->n.addr4, 4);
	w.u.welcome.plen4 = COORD_V4_PLEN;
	memcpy(w.u.welcome.addr6, n->n.addr6, 16);
	w.u.welcome.plen6 = COORD_V6_PLEN;
	send_or_kill(c, &w);
	for (i = 0; i < s->nnodes; i++) {
		if (s->nodes[i] == n)
			continue;
		peer_msg(&w, s->nodes[i]);
		send_or_kill(c, &w);
	}
	w.type = MP_SYNC_END;
	send_or_kill(c, &w);
	push_peer(s, n);
	punch_pairs(s, n);
}

/* Drop candidates nobody can send to (unspecified, multicast) and duplicates. */
static void clean_cands(struct mp_candidates *out, const struct mp_candidates *in)
{
	static const uint8_t zero[16];
	unsigned int i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->n; i++) {
		const struct mp_candidate *c = &in->c[i];
		bool v4 = c->family == AF_INET;

		if (!memcmp(c->addr, zero, v4 ? 4 : 16) ||
		    (v4 && (c->addr[0] & 0xf0) == 0xe0) ||
		    (v4 && !memcmp(c->addr, "\xff\xff\xff\xff", 4)) ||
		    (!v4 && c->addr[0] == 0xff))
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
		if (!mp_candidate_equal(&a->c[i], &b->c[i]))
			return false;
	return true;
}

/* Apply a held CANDIDATES set when it is new and the rate allows. */
static void apply_candidates(struct server *s, struct sconn *c, int64_t now)
{
	struct snode *n = c->node;
	struct wgm_err e;

	if (!c->cand_held || !n || c->dead)
		return;
	if (cands_equal(&n->n.cand, &c->held)) {
		c->cand_held = false;
		return;
	}
	if (!bucket_take(&c->cand_rate, CAND_BURST, now))
		return;		/* retried from the loop at bucket_next() */
	c->cand_held = false;
	n->n.cand = c->held;
	if (coord_db_set_candidates(&s->db, n->n.id, &n->n.cand, &e))
		logmsg("%s: %s", n->n.name, e.msg);
	push_peer(s, n);
	punch_pairs(s, n);
}

static void on_message(struct server *s, struct sconn *c,
		       const struct mp_msg *m)
{
	struct snode *n = c->node;
	struct mp_msg r;

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
		if (bucket_take(&c->punch_rate, PUNCH_BURST, mono_ms()))
			punch_pair(n, find_node(s, m->u.punch_req));
		break;
	case MP_CANDIDATES:
		clean_cands(&c->held, &m->u.cand);
		c->cand_held = true;
		apply_candidates(s, c, mono_ms());
		break;
	default:
		kill_conn(c, "unexpected message");
		return;
	}
	if (wall() - n->seen_written >= 60)
		write_seen(s, n, true);
}

static void on_handshake(struct server *s, struct sconn *c,
			 const uint8_t *body, size_t len)
{
	uint8_t msg2[MP_HS2_LEN];
	struct mp_err e;

	if (len != MP_HS1_LEN ||
	    mp_hs_server(s->db.priv, s->db.pub, body, msg2, &c->mc.chan,
			 c->node_pub)) {
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

static size_t pending_count(const struct server *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nconns; i++)
		n += s->conns[i]->state != CS_READY;
	return n;
}

static void on_accept(struct server *s)
{
	struct sockaddr_storage ss;
	struct mp_candidate pc;
	struct sconn *c;
	int fd, one = 1, i;

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
		if (s->nconns >= COORD_MAX_CONNS ||
		    pending_count(s) >= COORD_MAX_PENDING) {
			char a[MP_CAND_STRLEN];

			logmsg("%s: refused: too many connections",
			       mp_candidate_format(&pc, a));
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || mp_conn_init(&c->mc, fd, COORD_WQUEUE_MAX)) {
			free(c);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		mp_candidate_format(&pc, c->peer);
		c->deadline = mono_ms() + COORD_HS_TIMEOUT_MS;
		s->conns[s->nconns++] = c;
	}
}

static void on_stun(struct server *s)
{
	uint8_t pkt[1500], txid[12], resp[STUN_MAX_RESPONSE];
	struct sockaddr_storage from, mapped;
	ssize_t n;
	size_t rl;
	int i;

	for (i = 0; i < 64; i++) {
		socklen_t sl = sizeof(from);

		n = recvfrom(s->ufd, pkt, sizeof(pkt), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &sl);
		if (n < 0)
			return;
		if (stun_parse_request(pkt, (size_t)n, txid))
			continue;	/* never answer garbage */
		mapped = from;
		unmap_v4(&mapped);	/* report what the client sees: IPv4 */
		rl = stun_build_response(resp, txid, (struct sockaddr *)&mapped);
		if (rl)
			sendto(s->ufd, resp, rl, MSG_DONTWAIT,
			       (struct sockaddr *)&from, sl);
	}
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
		drop_node(s, i);
		for (j = 0; j < s->nnodes; j++)
			if (node_ready(s->nodes[j]))
				send_or_kill(s->nodes[j]->conn, &m);
	}
	free(dbn);
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
			if (n && n->conn == c) {
				n->conn = NULL;
				write_seen(s, n, false);
				logmsg("%s (%s): offline", n->n.name, c->peer);
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
		if (!c->dead && now >= c->deadline)
			kill_conn(c, c->closing ? "peer does not read" :
				  c->state == CS_READY ? "idle timeout" :
				  "handshake timeout");
	}
}

static int bind_sock(const char *spec, int type, struct wgm_err *err)
{
	struct addrinfo hints = { .ai_socktype = type,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
					      AI_NUMERICSERV };
	struct addrinfo *res;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port, *h = spec;
	size_t hl;
	int fd, r, one = 1, zero = 0;

	colon = strrchr(spec, ':');
	if (!colon)
		return wgm_err_set(err, "'%s': expected ADDR:PORT", spec);
	port = colon + 1;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
		h = spec + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return wgm_err_set(err, "'%s': bad address", spec);
	memcpy(host, h, hl);
	host[hl] = '\0';
	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		return wgm_err_set(err, "'%s': %s", spec, gai_strerror(r));
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

/* DIR/meshcoord.addr: the bound addresses (ports may have been 0). */
static int write_addr_file(struct server *s, struct wgm_err *err)
{
	char path[4096], tmp[4200], a[MP_CAND_STRLEN], b[MP_CAND_STRLEN];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s->cfg->state_dir, COORD_ADDR_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	sock_name(s->lfd, a);
	if (s->ufd >= 0)
		sock_name(s->ufd, b);
	f = fopen(tmp, "w");
	if (!f)
		return wgm_err_set(err, "%s: %s", tmp, strerror(errno));
	fprintf(f, "listen %s\n", a);
	if (s->ufd >= 0)
		fprintf(f, "stun %s\n", b);
	if (fclose(f) || rename(tmp, path))
		return wgm_err_set(err, "%s: %s", path, strerror(errno));
	logmsg("control channel on %s (tcp)%s%s%s", a,
	       s->ufd >= 0 ? ", STUN on " : "", s->ufd >= 0 ? b : "",
	       s->ufd >= 0 ? " (udp)" : "");
	return 0;
}

static int setup(struct server *s, struct wgm_err *err)
{
	struct coord_node *dbn;
	char pub[WGM_KEY_B64_LEN + 1];
	struct rlimit rl;
	sigset_t mask;
	size_t i, n;

	if (coord_db_open(&s->db, s->cfg->state_dir, err))
		return -1;
	if (coord_db_all_offline(&s->db, err) ||
	    coord_db_nodes(&s->db, &dbn, &n, err))
		return -1;
	for (i = 0; i < n; i++) {
		dbn[i].online = false;
		if (add_node(s, &dbn[i], NULL)) {
			free(dbn);
			return wgm_err_set(err, "out of memory");
		}
	}
	free(dbn);
	coord_db_data_version(&s->db, &s->data_version);
	s->lfd = bind_sock(s->cfg->listen, SOCK_STREAM, err);
	if (s->lfd < 0)
		return -1;
	if (s->cfg->stun) {
		s->ufd = bind_sock(s->cfg->stun, SOCK_DGRAM, err);
		if (s->ufd < 0)
			return -1;
	}
	/* one descriptor per connection, plus a few */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < COORD_MAX_CONNS + 64) {
		rl.rlim_cur = rl.rlim_max < COORD_MAX_CONNS + 64 ? rl.rlim_max :
			      COORD_MAX_CONNS + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			logmsg("setrlimit: %s", strerror(errno));
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return wgm_err_set(err, "signalfd: %s", strerror(errno));
	wgm_key_to_base64(pub, s->db.pub);
	logmsg("network key %s, %zu nodes", pub, s->nnodes);
	return write_addr_file(s, err);
}

static void teardown(struct server *s)
{
	struct wgm_err e;
	size_t i;

	for (i = 0; i < s->nconns; i++) {
		struct snode *n = s->conns[i]->node;

		if (n && n->conn == s->conns[i])
			write_seen(s, n, false);
		mp_conn_close(&s->conns[i]->mc);
		free(s->conns[i]);
	}
	s->nconns = 0;
	if (s->db.sql && coord_db_all_offline(&s->db, &e))
		logmsg("%s", e.msg);
	for (i = 0; i < s->nnodes; i++)
		free(s->nodes[i]);
	free(s->nodes);
	s->nodes = NULL;
	s->nnodes = 0;
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->ufd >= 0)
		close(s->ufd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	coord_db_close(&s->db);
}

static int serve_loop(struct server *s)
{
	struct pollfd *pfd;
	size_t npfd, i;

	pfd = calloc(3 + COORD_MAX_CONNS, sizeof(*pfd));
	if (!pfd)
		return -1;
	for (;;) {
		int64_t now = mono_ms(), next = s->next_db_poll;
		int timeout;

		pfd[0] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->lfd, .events =
			now < s->accept_paused_until ? 0 : POLLIN };
		if (now < s->accept_paused_until && s->accept_paused_until < next)
			next = s->accept_paused_until;
		pfd[2] = (struct pollfd){ .fd = s->ufd, .events = POLLIN };
		npfd = 3;
		for (i = 0; i < s->nconns; i++) {
			struct sconn *c = s->conns[i];

			pfd[npfd].fd = c->mc.fd;
			pfd[npfd].events = (short)((c->closing ? 0 : POLLIN) |
				(mp_conn_want_write(&c->mc) ? POLLOUT : 0));
			pfd[npfd].revents = 0;
			npfd++;
			if (c->deadline < next)
				next = c->deadline;
			if (c->cand_held && bucket_next(&c->cand_rate) < next)
				next = bucket_next(&c->cand_rate);
		}
		timeout = next <= now ? 0 : (int)(next - now);
		if (poll(pfd, npfd, timeout) < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			free(pfd);
			return -1;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
				logmsg("signal %u: shutting down", si.ssi_signo);
				free(pfd);
				return 0;
			}
		}
		/* conns[] is only appended to until flush_and_reap. */
		for (i = 3; i < npfd; i++) {
			struct sconn *c = s->conns[i - 3];

			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				on_readable(s, c);
		}
		if (pfd[1].revents & POLLIN)
			on_accept(s);
		if (pfd[2].revents & POLLIN)
			on_stun(s);
		now = mono_ms();
		if (now >= s->next_db_poll) {
			poll_db(s);
			s->next_db_poll = now + COORD_DB_POLL_MS;
		}
		on_timeouts(s, now);
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
	s->lfd = s->ufd = s->sigfd = -1;
	if (setup(s, err) == 0) {
		r = serve_loop(s);
		if (r)
			wgm_err_set(err, "service loop failed");
	}
	teardown(s);
	free(s);
	return r;
}
