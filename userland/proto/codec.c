// SPDX-License-Identifier: GPL-2.0-only
/*
 * libmeshproto, messages: the plaintext message codec, node names and
 * candidate addresses (parse, format, sockaddr).
 * The wire format is described in Documentation/coordination.rst.
 */
#include "proto.h"
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

const uint8_t mp_hs_magic[4] = { 'W', 'G', 'M', MP_VERSION };

int mp_fail(struct mp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int mp_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* ---- message codec ---- */

struct wr {
	uint8_t *p;
	size_t len, cap;
	bool bad;
};

static void put(struct wr *w, const void *d, size_t n)
{
	if (w->bad || w->cap - w->len < n) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put8(struct wr *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 2);
}

static void put32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			 (uint8_t)v };

	put(w, b, 4);
}

static void put64(struct wr *w, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	put(w, b, 8);
}

static void put_str(struct wr *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		w->bad = true;
		return;
	}
	put8(w, (uint8_t)n);
	put(w, s, n);
}

/*
 * An endpoint list on the wire: u8 count, then for each entry a family
 * byte (4 or 6; 0, where @unspec_ok, for "the host you connected to",
 * which has no address), the address and a u16 port, never 0.
 */
static void put_eps(struct wr *w, const struct mp_candidate *xs, unsigned int n,
		    unsigned int max, bool unspec_ok)
{
	unsigned int i;

	if (n > max) {
		w->bad = true;
		return;
	}
	put8(w, n);
	for (i = 0; i < n; i++) {
		const struct mp_candidate *x = &xs[i];

		if (x->family == AF_UNSPEC && unspec_ok) {
			put8(w, 0);
		} else if (x->family == AF_INET) {
			put8(w, 4);
			put(w, x->addr, 4);
		} else if (x->family == AF_INET6) {
			put8(w, 6);
			put(w, x->addr, 16);
		} else {
			w->bad = true;
			return;
		}
		if (!x->port)
			w->bad = true;
		put16(w, x->port);
	}
}

static void put_cands(struct wr *w, const struct mp_candidates *c)
{
	put_eps(w, c->c, c->n, MP_MAX_CANDIDATES, false);
}

/* Version 7: a kind byte per candidate, at the end of the message. */
static void put_kinds(struct wr *w, const struct mp_candidates *c)
{
	unsigned int i;

	if (!c->kinds)
		return;
	for (i = 0; i < c->n; i++)
		put8(w, c->c[i].kind);
}

/* WELCOME's STUN list: entries of family 0 mean the service's own host. */
static void put_stun(struct wr *w, const struct mp_stun_list *l)
{
	put_eps(w, l->s, l->n, MP_MAX_STUN, true);
}

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static void get(struct rd *r, void *d, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		memset(d, 0, n);
		return;
	}
	memcpy(d, r->p + r->off, n);
	r->off += n;
}

static uint8_t get8(struct rd *r)
{
	uint8_t v;

	get(r, &v, 1);
	return v;
}

static uint16_t get16(struct rd *r)
{
	uint8_t b[2];

	get(r, b, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get32(struct rd *r)
{
	uint8_t b[4];

	get(r, b, 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t get64(struct rd *r)
{
	uint8_t b[8];
	uint64_t v = 0;
	int i;

	get(r, b, 8);
	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* Strings must not contain NUL (they become C strings). */
static void get_str(struct rd *r, char *s, size_t max)
{
	size_t n = get8(r);

	if (n > max) {
		r->bad = true;
		n = 0;
	}
	get(r, s, n);
	s[n] = '\0';
	if (strlen(s) != n)
		r->bad = true;
}

/* put_eps()'s list; *@n is 0 when the count is over @max */
static void get_eps(struct rd *r, struct mp_candidate *xs, uint8_t *n, unsigned int max,
		    bool unspec_ok)
{
	unsigned int i;

	*n = get8(r);
	if (*n > max) {
		r->bad = true;
		*n = 0;
		return;
	}
	for (i = 0; i < *n; i++) {
		struct mp_candidate *x = &xs[i];
		uint8_t fam = get8(r);

		memset(x, 0, sizeof(*x));
		if (fam == 0 && unspec_ok) {
			x->family = AF_UNSPEC;
		} else if (fam == 4) {
			x->family = AF_INET;
			get(r, x->addr, 4);
		} else if (fam == 6) {
			x->family = AF_INET6;
			get(r, x->addr, 16);
		} else {
			r->bad = true;
			return;
		}
		x->port = get16(r);
		if (x->port == 0)
			r->bad = true;
	}
}

static void get_cands(struct rd *r, struct mp_candidates *c)
{
	get_eps(r, c->c, &c->n, MP_MAX_CANDIDATES, false);
	c->kinds = false;
}

/* put_kinds()'s bytes, when the message goes on (version 7). */
static void get_kinds(struct rd *r, struct mp_candidates *c)
{
	unsigned int i;
	uint8_t k;

	if (r->bad || r->off >= r->len)
		return;
	c->kinds = true;
	for (i = 0; i < c->n; i++) {
		k = get8(r);
		switch (k) {
		case WGM_CANDIDATE_KIND_LOCAL:
		case WGM_CANDIDATE_KIND_STUN:
		case WGM_CANDIDATE_KIND_PORTMAP:
		case WGM_CANDIDATE_KIND_STATIC:
			c->c[i].kind = k;
			break;
		default:	/* not said, relay, or one we do not know */
			c->c[i].kind = WGM_CANDIDATE_KIND_DIRECT;
			break;
		}
	}
}

static void get_stun(struct rd *r, struct mp_stun_list *l)
{
	get_eps(r, l->s, &l->n, MP_MAX_STUN, true);
}

/* RELAY_HELLO's fields: a valid name, a port range of at least two. */
static bool relay_hello_ok(const struct mp_relay_hello *h)
{
	return mp_name_valid(h->name) && h->port_lo && h->port_hi > h->port_lo;
}

int mp_msg_encode(const struct mp_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = { .p = buf, .cap = cap };
	unsigned int i;

	put8(&w, m->type);
	switch (m->type) {
	case MP_HELLO:
		put8(&w, m->u.hello.version);
		put_str(&w, m->u.hello.name, MP_NAME_MAX);
		put_str(&w, m->u.hello.authkey, MP_AUTHKEY_MAX);
		break;
	case MP_WELCOME:
		put_str(&w, m->u.welcome.name, MP_NAME_MAX);
		put(&w, m->u.welcome.addr4, 4);
		put8(&w, m->u.welcome.plen4);
		put(&w, m->u.welcome.addr6, 16);
		put8(&w, m->u.welcome.plen6);
		if (m->u.welcome.version >= 2)
			put_stun(&w, &m->u.welcome.stun);
		break;
	case MP_ERROR:
		put16(&w, m->u.error.code);
		put_str(&w, m->u.error.text, MP_TEXT_MAX);
		break;
	case MP_CANDIDATES:
		put_cands(&w, &m->u.cand);
		put_kinds(&w, &m->u.cand);
		break;
	case MP_PEER:
		put(&w, m->u.peer.pubkey, MP_KEY_LEN);
		put_str(&w, m->u.peer.name, MP_NAME_MAX);
		put(&w, m->u.peer.addr4, 4);
		put(&w, m->u.peer.addr6, 16);
		put8(&w, m->u.peer.online ? 1 : 0);
		put64(&w, m->u.peer.last_seen);
		put_cands(&w, &m->u.peer.cand);
		put_kinds(&w, &m->u.peer.cand);
		break;
	case MP_PEER_REMOVED:
		put(&w, m->u.removed, MP_KEY_LEN);
		break;
	case MP_PUNCH_REQUEST:
		put(&w, m->u.punch_req, MP_KEY_LEN);
		break;
	case MP_PUNCH:
		put(&w, m->u.punch.pubkey, MP_KEY_LEN);
		put_cands(&w, &m->u.punch.cand);
		if (m->u.punch.version >= 5) {
			put8(&w, m->u.punch.birthday);
			put8(&w, m->u.punch.mapped);
			if (m->u.punch.mapped != MP_MAPPED_NONE &&
			    m->u.punch.mapped >= m->u.punch.cand.n)
				w.bad = true;
			put_kinds(&w, &m->u.punch.cand);
		} else if (m->u.punch.cand.kinds) {
			w.bad = true;	/* kinds follow version 5's bytes */
		}
		break;
	case MP_NAT:
		put8(&w, m->u.nat);
		break;
	case MP_NO_PUNCH:
		put(&w, m->u.no_punch.pubkey, MP_KEY_LEN);
		put8(&w, m->u.no_punch.reason);
		break;
	case MP_RELAY:
		put(&w, m->u.relay.pubkey, MP_KEY_LEN);
		put_eps(&w, &m->u.relay.ep, 1, 1, true);
		put32(&w, m->u.relay.id);
		put(&w, m->u.relay.key, MP_RELAY_KEY_LEN);
		put32(&w, m->u.relay.lifetime);
		if (!m->u.relay.id || !m->u.relay.lifetime)
			w.bad = true;
		break;
	case MP_RELAY_REMOVED:
		put(&w, m->u.relay_removed.pubkey, MP_KEY_LEN);
		put32(&w, m->u.relay_removed.id);
		if (!m->u.relay_removed.id)
			w.bad = true;
		break;
	case MP_RELAY_TCP:
		put32(&w, m->u.relay_tcp.id);
		put8(&w, m->u.relay_tcp.on);
		if (!m->u.relay_tcp.id || m->u.relay_tcp.on > 1)
			w.bad = true;
		break;
	case MP_RELAY_DATA:
		put32(&w, m->u.relay_data.id);
		if (!m->u.relay_data.id || !m->u.relay_data.len ||
		    m->u.relay_data.len > MP_RELAY_DATA_MAX)
			w.bad = true;
		else
			put(&w, m->u.relay_data.data, m->u.relay_data.len);
		break;
	case MP_RELAY_HELLO:
		put8(&w, m->u.relay_hello.version);
		put_str(&w, m->u.relay_hello.name, MP_NAME_MAX);
		put_eps(&w, &m->u.relay_hello.ep, 1, 1, false);
		put16(&w, m->u.relay_hello.port_lo);
		put16(&w, m->u.relay_hello.port_hi);
		if (!relay_hello_ok(&m->u.relay_hello))
			w.bad = true;
		break;
	case MP_RELAY_ALLOC:
		put16(&w, m->u.relay_alloc.index);
		for (i = 0; i < 2; i++) {
			const struct mp_relay_alloc_side *sd = &m->u.relay_alloc.side[i];

			put(&w, sd->node, MP_KEY_LEN);
			put32(&w, sd->id);
			put(&w, sd->key, MP_RELAY_KEY_LEN);
			if (!sd->id)
				w.bad = true;
		}
		break;
	case MP_RELAY_FREE:
		put16(&w, m->u.relay_free.index);
		put32(&w, m->u.relay_free.id);
		if (!m->u.relay_free.id)
			w.bad = true;
		break;
	case MP_RELAY_LIST:
		if (m->u.relay_list.n > MP_MAX_RELAYS) {
			w.bad = true;
			break;
		}
		put8(&w, m->u.relay_list.n);
		for (i = 0; i < m->u.relay_list.n; i++) {
			const struct mp_relay_info *ri = &m->u.relay_list.r[i];

			put_str(&w, ri->name, MP_NAME_MAX);
			put_eps(&w, &ri->ep, 1, 1, true);
			if (!mp_name_valid(ri->name))
				w.bad = true;
		}
		break;
	case MP_HOME_RELAY:
		put_str(&w, m->u.home_relay.name, MP_NAME_MAX);
		put32(&w, m->u.home_relay.rtt_us);
		if (m->u.home_relay.name[0] && !mp_name_valid(m->u.home_relay.name))
			w.bad = true;
		break;
	case MP_PING:
	case MP_PONG:
		put64(&w, m->u.token);
		break;
	case MP_SYNC_END:
		break;
	default:
		return -1;
	}
	if (w.bad) {
		/* a partly written RELAY (RELAY_ALLOC) holds key bytes */
		sodium_memzero(buf, w.len < cap ? w.len : cap);
		return -1;
	}
	return (int)w.len;
}

int mp_msg_decode(struct mp_msg *m, const uint8_t *buf, size_t len)
{
	struct rd r = { .p = buf, .len = len };
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->type = get8(&r);
	switch (m->type) {
	case MP_HELLO:
		m->u.hello.version = get8(&r);
		get_str(&r, m->u.hello.name, MP_NAME_MAX);
		get_str(&r, m->u.hello.authkey, MP_AUTHKEY_MAX);
		break;
	case MP_WELCOME:
		get_str(&r, m->u.welcome.name, MP_NAME_MAX);
		get(&r, m->u.welcome.addr4, 4);
		m->u.welcome.plen4 = get8(&r);
		get(&r, m->u.welcome.addr6, 16);
		m->u.welcome.plen6 = get8(&r);
		if (m->u.welcome.plen4 > 32 || m->u.welcome.plen6 > 128)
			r.bad = true;
		/* version 2 appends the STUN list; version 1 ends here */
		m->u.welcome.version = 1;
		if (!r.bad && r.off < r.len) {
			m->u.welcome.version = 2;
			get_stun(&r, &m->u.welcome.stun);
		}
		break;
	case MP_ERROR:
		m->u.error.code = get16(&r);
		get_str(&r, m->u.error.text, MP_TEXT_MAX);
		break;
	case MP_CANDIDATES:
		get_cands(&r, &m->u.cand);
		get_kinds(&r, &m->u.cand);
		break;
	case MP_PEER:
		get(&r, m->u.peer.pubkey, MP_KEY_LEN);
		get_str(&r, m->u.peer.name, MP_NAME_MAX);
		get(&r, m->u.peer.addr4, 4);
		get(&r, m->u.peer.addr6, 16);
		m->u.peer.online = get8(&r);
		m->u.peer.last_seen = get64(&r);
		get_cands(&r, &m->u.peer.cand);
		get_kinds(&r, &m->u.peer.cand);
		if (m->u.peer.online > 1)
			r.bad = true;
		break;
	case MP_PEER_REMOVED:
		get(&r, m->u.removed, MP_KEY_LEN);
		break;
	case MP_PUNCH_REQUEST:
		get(&r, m->u.punch_req, MP_KEY_LEN);
		break;
	case MP_PUNCH:
		get(&r, m->u.punch.pubkey, MP_KEY_LEN);
		get_cands(&r, &m->u.punch.cand);
		/* version 5 appends the birthday role and mapped; before, it ends here */
		m->u.punch.version = 1;
		m->u.punch.mapped = MP_MAPPED_NONE;
		if (!r.bad && r.off < r.len) {
			m->u.punch.version = 5;
			m->u.punch.birthday = get8(&r);
			m->u.punch.mapped = get8(&r);
			if (m->u.punch.mapped != MP_MAPPED_NONE &&
			    m->u.punch.mapped >= m->u.punch.cand.n)
				r.bad = true;
			get_kinds(&r, &m->u.punch.cand);
		}
		break;
	case MP_NAT:
		m->u.nat = get8(&r);
		break;
	case MP_NO_PUNCH:
		get(&r, m->u.no_punch.pubkey, MP_KEY_LEN);
		m->u.no_punch.reason = get8(&r);
		break;
	case MP_RELAY: {
		uint8_t n;

		get(&r, m->u.relay.pubkey, MP_KEY_LEN);
		/* exactly one endpoint: a count byte of 1, then the entry */
		get_eps(&r, &m->u.relay.ep, &n, 1, true);
		m->u.relay.id = get32(&r);
		get(&r, m->u.relay.key, MP_RELAY_KEY_LEN);
		m->u.relay.lifetime = get32(&r);
		if (n != 1 || !m->u.relay.id || !m->u.relay.lifetime)
			r.bad = true;
		break;
	}
	case MP_RELAY_REMOVED:
		get(&r, m->u.relay_removed.pubkey, MP_KEY_LEN);
		m->u.relay_removed.id = get32(&r);
		if (!m->u.relay_removed.id)
			r.bad = true;
		break;
	case MP_RELAY_TCP:
		m->u.relay_tcp.id = get32(&r);
		m->u.relay_tcp.on = get8(&r);
		if (!m->u.relay_tcp.id || m->u.relay_tcp.on > 1)
			r.bad = true;
		break;
	case MP_RELAY_DATA:
		m->u.relay_data.id = get32(&r);
		/* the datagram is the rest of the body */
		if (r.bad || !m->u.relay_data.id || r.off >= r.len ||
		    r.len - r.off > MP_RELAY_DATA_MAX) {
			r.bad = true;
			break;
		}
		m->u.relay_data.len = (uint16_t)(r.len - r.off);
		get(&r, m->u.relay_data.data, m->u.relay_data.len);
		break;
	case MP_RELAY_HELLO: {
		uint8_t n;

		m->u.relay_hello.version = get8(&r);
		get_str(&r, m->u.relay_hello.name, MP_NAME_MAX);
		get_eps(&r, &m->u.relay_hello.ep, &n, 1, false);
		m->u.relay_hello.port_lo = get16(&r);
		m->u.relay_hello.port_hi = get16(&r);
		if (n != 1 || !relay_hello_ok(&m->u.relay_hello))
			r.bad = true;
		break;
	}
	case MP_RELAY_ALLOC:
		m->u.relay_alloc.index = get16(&r);
		for (i = 0; i < 2; i++) {
			struct mp_relay_alloc_side *sd = &m->u.relay_alloc.side[i];

			get(&r, sd->node, MP_KEY_LEN);
			sd->id = get32(&r);
			get(&r, sd->key, MP_RELAY_KEY_LEN);
			if (!sd->id)
				r.bad = true;
		}
		break;
	case MP_RELAY_FREE:
		m->u.relay_free.index = get16(&r);
		m->u.relay_free.id = get32(&r);
		if (!m->u.relay_free.id)
			r.bad = true;
		break;
	case MP_RELAY_LIST:
		m->u.relay_list.n = get8(&r);
		if (m->u.relay_list.n > MP_MAX_RELAYS) {
			r.bad = true;
			break;
		}
		for (i = 0; i < m->u.relay_list.n && !r.bad; i++) {
			struct mp_relay_info *ri = &m->u.relay_list.r[i];
			uint8_t n;

			get_str(&r, ri->name, MP_NAME_MAX);
			get_eps(&r, &ri->ep, &n, 1, true);
			if (n != 1 || !mp_name_valid(ri->name))
				r.bad = true;
		}
		break;
	case MP_HOME_RELAY:
		get_str(&r, m->u.home_relay.name, MP_NAME_MAX);
		m->u.home_relay.rtt_us = get32(&r);
		if (m->u.home_relay.name[0] && !mp_name_valid(m->u.home_relay.name))
			r.bad = true;
		break;
	case MP_PING:
	case MP_PONG:
		m->u.token = get64(&r);
		break;
	case MP_SYNC_END:
		break;
	default:
		return -1;
	}
	if (r.bad || r.off != r.len) {
		sodium_memzero(m, sizeof(*m));	/* a refused RELAY's (RELAY_ALLOC's) keys */
		return -1;
	}
	return 0;
}

const char *mp_type_name(uint8_t type)
{
	static const char *const names[] = {
		[MP_HELLO] = "HELLO", [MP_WELCOME] = "WELCOME",
		[MP_ERROR] = "ERROR", [MP_CANDIDATES] = "CANDIDATES",
		[MP_PEER] = "PEER", [MP_PEER_REMOVED] = "PEER_REMOVED",
		[MP_PUNCH] = "PUNCH", [MP_PING] = "PING", [MP_PONG] = "PONG",
		[MP_SYNC_END] = "SYNC_END", [MP_PUNCH_REQUEST] = "PUNCH_REQUEST",
		[MP_NAT] = "NAT", [MP_NO_PUNCH] = "NO_PUNCH",
		[MP_RELAY] = "RELAY", [MP_RELAY_REMOVED] = "RELAY_REMOVED",
		[MP_RELAY_TCP] = "RELAY_TCP", [MP_RELAY_DATA] = "RELAY_DATA",
		[MP_RELAY_HELLO] = "RELAY_HELLO", [MP_RELAY_ALLOC] = "RELAY_ALLOC",
		[MP_RELAY_FREE] = "RELAY_FREE", [MP_RELAY_LIST] = "RELAY_LIST",
		[MP_HOME_RELAY] = "HOME_RELAY",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "?";
}

const char *mp_nat_name(uint8_t nat, char buf[24])
{
	switch (nat) {
	case MP_NAT_UNKNOWN:
		return "unknown";
	case MP_NAT_EASY:
		return "easy";
	case MP_NAT_HARD:
		return "hard";
	}
	snprintf(buf, 24, "unknown (%u)", nat);
	return buf;
}

const char *mp_birthday_name(uint8_t role, char buf[24])
{
	switch (role) {
	case MP_BIRTHDAY_NONE:
		return "none";
	case MP_BIRTHDAY_OPEN:
		return "open";
	case MP_BIRTHDAY_SPRAY:
		return "spray";
	}
	snprintf(buf, 24, "role %u", role);
	return buf;
}

const char *mp_nopunch_text(uint8_t reason, char buf[48])
{
	if (reason == MP_NOPUNCH_BOTH_HARD)
		return "both NATs endpoint-dependent";
	snprintf(buf, 48, "reason %u", reason);
	return buf;
}

bool mp_name_valid(const char *name)
{
	size_t i, n = strnlen(name, MP_NAME_MAX + 1);

	if (n == 0 || n > MP_NAME_MAX || name[0] == '-' || name[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

/* ---- candidates ---- */

int mp_candidate_from_sockaddr(struct mp_candidate *c,
			       const struct sockaddr *sa)
{
	memset(c, 0, sizeof(*c));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		c->family = AF_INET;
		memcpy(c->addr, &s4->sin_addr, 4);
		c->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		c->family = AF_INET6;
		memcpy(c->addr, &s6->sin6_addr, 16);
		c->port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}

socklen_t mp_candidate_to_sockaddr(const struct mp_candidate *c,
				   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, c->addr, 4);
		s4->sin_port = htons(c->port);
		return sizeof(*s4);
	}
	if (c->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, c->addr, 16);
		s6->sin6_port = htons(c->port);
		return sizeof(*s6);
	}
	return 0;
}

char *mp_candidate_format(const struct mp_candidate *c, char *buf)
{
	char a[INET6_ADDRSTRLEN];

	if (c->family == AF_INET) {
		inet_ntop(AF_INET, c->addr, a, sizeof(a));
		snprintf(buf, MP_CAND_STRLEN, "%s:%u", a, c->port);
	} else if (c->family == AF_INET6) {
		inet_ntop(AF_INET6, c->addr, a, sizeof(a));
		snprintf(buf, MP_CAND_STRLEN, "[%s]:%u", a, c->port);
	} else {
		snprintf(buf, MP_CAND_STRLEN, "?");
	}
	return buf;
}

/* Split "host:port" / "[host]:port"; host copied into h (size hn). */
int mp_split_hostport(const char *s, char *h, size_t hn, const char **port)
{
	const char *colon;
	size_t n;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			return -1;
		n = (size_t)(end - s - 1);
		s++;
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -1;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= hn)
		return -1;
	memcpy(h, s, n);
	h[n] = '\0';
	*port = colon + 1;
	return 0;
}

int mp_parse_port(const char *p, uint16_t *out, bool allow_zero)
{
	char *end;
	unsigned long v;

	if (!*p || *p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v > 65535 || (v == 0 && !allow_zero))
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int mp_candidate_parse(struct mp_candidate *c, const char *s)
{
	char host[INET6_ADDRSTRLEN];
	const char *port;

	memset(c, 0, sizeof(*c));
	if (mp_split_hostport(s, host, sizeof(host), &port) ||
	    mp_parse_port(port, &c->port, false))
		return -1;
	if (s[0] == '[') {
		c->family = AF_INET6;
		return inet_pton(AF_INET6, host, c->addr) == 1 ? 0 : -1;
	}
	c->family = AF_INET;
	return inet_pton(AF_INET, host, c->addr) == 1 ? 0 : -1;
}

bool mp_candidate_equal(const struct mp_candidate *a,
			const struct mp_candidate *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, n) == 0;
}

