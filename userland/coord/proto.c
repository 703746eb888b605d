// SPDX-License-Identifier: GPL-2.0-only
/*
 * libmeshproto: framing, handshake, channel, message codec, client connect.
 * The wire format is described in Documentation/coordination.rst.
 */
#include "proto.h"

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

static const uint8_t hs_magic[4] = { 'W', 'G', 'M', MP_VERSION };

__attribute__((format(printf, 3, 4)))
static int fail(struct mp_err *err, int code, const char *fmt, ...)
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

static void put_cands(struct wr *w, const struct mp_candidates *c)
{
	unsigned int i;

	if (c->n > MP_MAX_CANDIDATES) {
		w->bad = true;
		return;
	}
	put8(w, c->n);
	for (i = 0; i < c->n; i++) {
		const struct mp_candidate *x = &c->c[i];

		if (x->family == AF_INET) {
			put8(w, 4);
			put(w, x->addr, 4);
		} else if (x->family == AF_INET6) {
			put8(w, 6);
			put(w, x->addr, 16);
		} else {
			w->bad = true;
			return;
		}
		put16(w, x->port);
	}
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

static void get_cands(struct rd *r, struct mp_candidates *c)
{
	unsigned int i;

	c->n = get8(r);
	if (c->n > MP_MAX_CANDIDATES) {
		r->bad = true;
		c->n = 0;
		return;
	}
	for (i = 0; i < c->n; i++) {
		struct mp_candidate *x = &c->c[i];
		uint8_t fam = get8(r);

		memset(x, 0, sizeof(*x));
		if (fam == 4) {
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

int mp_msg_encode(const struct mp_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = { .p = buf, .cap = cap };

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
		break;
	case MP_ERROR:
		put16(&w, m->u.error.code);
		put_str(&w, m->u.error.text, MP_TEXT_MAX);
		break;
	case MP_CANDIDATES:
		put_cands(&w, &m->u.cand);
		break;
	case MP_PEER:
		put(&w, m->u.peer.pubkey, MP_KEY_LEN);
		put_str(&w, m->u.peer.name, MP_NAME_MAX);
		put(&w, m->u.peer.addr4, 4);
		put(&w, m->u.peer.addr6, 16);
		put8(&w, m->u.peer.online ? 1 : 0);
		put64(&w, m->u.peer.last_seen);
		put_cands(&w, &m->u.peer.cand);
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
	return w.bad ? -1 : (int)w.len;
}

int mp_msg_decode(struct mp_msg *m, const uint8_t *buf, size_t len)
{
	struct rd r = { .p = buf, .len = len };

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
		break;
	case MP_ERROR:
		m->u.error.code = get16(&r);
		get_str(&r, m->u.error.text, MP_TEXT_MAX);
		break;
	case MP_CANDIDATES:
		get_cands(&r, &m->u.cand);
		break;
	case MP_PEER:
		get(&r, m->u.peer.pubkey, MP_KEY_LEN);
		get_str(&r, m->u.peer.name, MP_NAME_MAX);
		get(&r, m->u.peer.addr4, 4);
		get(&r, m->u.peer.addr6, 16);
		m->u.peer.online = get8(&r);
		m->u.peer.last_seen = get64(&r);
		get_cands(&r, &m->u.peer.cand);
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
	if (r.bad || r.off != r.len)
		return -1;
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
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "?";
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
static int split_hostport(const char *s, char *h, size_t hn, const char **port)
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

static int parse_port(const char *p, uint16_t *out, bool allow_zero)
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
	if (split_hostport(s, host, sizeof(host), &port) ||
	    parse_port(port, &c->port, false))
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

/* ---- handshake ---- */

/*
 * Keys (BLAKE2b, distinct labels):
 *   k1      = H("wgmesh coord k1" | DH(e_c, S) | e_c | S)          hides C
 *   secrets = H("wgmesh coord keys" | DH(e_c,S) | DH(C,S) | DH(e_c,e_s)
 *               | DH(C,e_s) | H(msg1 | e_s))  -> 96 bytes:
 *             confirm key | client->service key | service->client key
 */
static void hash_parts(uint8_t *out, size_t outlen, const char *label,
		       const uint8_t *const parts[], const size_t lens[],
		       size_t n)
{
	crypto_generichash_state st;
	size_t i;

	crypto_generichash_init(&st, NULL, 0, outlen);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	for (i = 0; i < n; i++)
		crypto_generichash_update(&st, parts[i], lens[i]);
	crypto_generichash_final(&st, out, outlen);
	sodium_memzero(&st, sizeof(st));
}

static void derive_k1(uint8_t k1[32], const uint8_t dh1[32],
		      const uint8_t e_pub[32], const uint8_t s_pub[32])
{
	const uint8_t *parts[] = { dh1, e_pub, s_pub };
	const size_t lens[] = { 32, 32, 32 };

	hash_parts(k1, 32, "wgmesh coord k1", parts, lens, 3);
}

/* out: 96 bytes = confirm | c2s | s2c */
static void derive_keys(uint8_t out[96], const uint8_t dh[4][32],
			const uint8_t msg1[MP_HS1_LEN],
			const uint8_t e_s_pub[32])
{
	uint8_t th[32], a[64], b[64];
	const uint8_t *tparts[] = { msg1, e_s_pub };
	const size_t tlens[] = { MP_HS1_LEN, 32 };
	const uint8_t *parts[] = { dh[0], dh[1], dh[2], dh[3], th };
	const size_t lens[] = { 32, 32, 32, 32, 32 };

	hash_parts(th, 32, "wgmesh coord transcript", tparts, tlens, 2);
	hash_parts(a, 64, "wgmesh coord keys 1", parts, lens, 5);
	hash_parts(b, 64, "wgmesh coord keys 2", parts, lens, 5);
	memcpy(out, a, 64);
	memcpy(out + 64, b, 32);
	sodium_memzero(a, sizeof(a));
	sodium_memzero(b, sizeof(b));
}

static void nonce_from(uint8_t n[12], uint64_t ctr)
{
	int i;

	memset(n, 0, 12);
	for (i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(ctr >> (8 * i));
}

int mp_hs_client_start(struct mp_hs_client *hs,
		       const uint8_t node_priv[MP_KEY_LEN],
		       const uint8_t server_pub[MP_KEY_LEN],
		       uint8_t msg1[MP_HS1_LEN])
{
	uint8_t k1[32], nonce[12] = { 0 };
	int ret = -1;

	memset(hs, 0, sizeof(*hs));
	memcpy(hs->s_priv, node_priv, 32);
	memcpy(hs->server_pub, server_pub, 32);
	if (crypto_scalarmult_base(hs->s_pub, hs->s_priv))
		goto out;
	randombytes_buf(hs->e_priv, 32);
	if (crypto_scalarmult_base(hs->e_pub, hs->e_priv))
		goto out;
	if (crypto_scalarmult(hs->dh1, hs->e_priv, server_pub))
		goto out;		/* low-order service key */
	derive_k1(k1, hs->dh1, hs->e_pub, server_pub);
	memcpy(msg1, hs_magic, 4);
	memcpy(msg1 + 4, hs->e_pub, 32);
	crypto_aead_chacha20poly1305_ietf_encrypt(msg1 + 36, NULL, hs->s_pub,
						  32, msg1, 36, NULL, nonce,
						  k1);
	memcpy(hs->msg1, msg1, MP_HS1_LEN);
	ret = 0;
out:
	sodium_memzero(k1, sizeof(k1));
	if (ret)
		sodium_memzero(hs, sizeof(*hs));
	return ret;
}

int mp_hs_client_finish(struct mp_hs_client *hs,
			const uint8_t msg2[MP_HS2_LEN], struct mp_chan *chan)
{
	uint8_t dh[4][32], keys[96], nonce[12] = { 0 };
	const uint8_t *e_s = msg2 + 4;
	int ret = -1;

	if (memcmp(msg2, hs_magic, 4))
		goto out;
	memcpy(dh[0], hs->dh1, 32);
	if (crypto_scalarmult(dh[1], hs->s_priv, hs->server_pub) ||
	    crypto_scalarmult(dh[2], hs->e_priv, e_s) ||
	    crypto_scalarmult(dh[3], hs->s_priv, e_s))
		goto out;
	derive_keys(keys, (const uint8_t (*)[32])dh, hs->msg1, e_s);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(NULL, NULL, NULL,
						      msg2 + 36, MP_TAG_LEN,
						      msg2, 36, nonce, keys))
		goto out;
	memset(chan, 0, sizeof(*chan));
	memcpy(chan->tx_key, keys + 32, 32);
	memcpy(chan->rx_key, keys + 64, 32);
	ret = 0;
out:
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(hs, sizeof(*hs));
	return ret;
}

int mp_hs_server(const uint8_t server_priv[MP_KEY_LEN],
		 const uint8_t server_pub[MP_KEY_LEN],
		 const uint8_t msg1[MP_HS1_LEN], uint8_t msg2[MP_HS2_LEN],
		 struct mp_chan *chan, uint8_t node_pub[MP_KEY_LEN])
{
	uint8_t dh[4][32], k1[32], keys[96], e_priv[32], e_pub[32];
	uint8_t c_pub[32], nonce[12] = { 0 };
	const uint8_t *e_c = msg1 + 4;
	int ret = -1;

	if (memcmp(msg1, hs_magic, 4))
		goto out;
	if (crypto_scalarmult(dh[0], server_priv, e_c))
		goto out;
	derive_k1(k1, dh[0], e_c, server_pub);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(c_pub, NULL, NULL,
						      msg1 + 36, 32 + MP_TAG_LEN,
						      msg1, 36, nonce, k1)) {
		ret = MP_HS_BADKEY;
		goto out;
	}
	randombytes_buf(e_priv, 32);
	if (crypto_scalarmult_base(e_pub, e_priv) ||
	    crypto_scalarmult(dh[1], server_priv, c_pub) ||
	    crypto_scalarmult(dh[2], e_priv, e_c) ||
	    crypto_scalarmult(dh[3], e_priv, c_pub))
		goto out;
	derive_keys(keys, (const uint8_t (*)[32])dh, msg1, e_pub);
	memcpy(msg2, hs_magic, 4);
	memcpy(msg2 + 4, e_pub, 32);
	crypto_aead_chacha20poly1305_ietf_encrypt(msg2 + 36, NULL, NULL, 0,
						  msg2, 36, NULL, nonce, keys);
	memset(chan, 0, sizeof(*chan));
	memcpy(chan->rx_key, keys + 32, 32);
	memcpy(chan->tx_key, keys + 64, 32);
	memcpy(node_pub, c_pub, 32);
	ret = 0;
out:
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(e_priv, sizeof(e_priv));
	return ret;
}

void mp_hs_reject(uint8_t out[MP_HSREJ_LEN], enum mp_hsrej reason)
{
	memcpy(out, hs_magic, 4);
	out[4] = (uint8_t)((unsigned int)reason >> 8);
	out[5] = (uint8_t)reason;
}

/* ---- channel ---- */

static void put_len(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int mp_chan_seal(struct mp_chan *ch, const uint8_t *pt, size_t len,
		 uint8_t *frame, size_t cap)
{
	uint8_t nonce[12];
	size_t clen = len + MP_TAG_LEN;

	if (clen > MP_MAX_FRAME || cap < 4 + clen || ch->tx_ctr == UINT64_MAX)
		return -1;
	put_len(frame, (uint32_t)clen);
	nonce_from(nonce, ch->tx_ctr++);
	crypto_aead_chacha20poly1305_ietf_encrypt(frame + 4, NULL, pt, len,
						  frame, 4, NULL, nonce,
						  ch->tx_key);
	return (int)(4 + clen);
}

int mp_chan_open(struct mp_chan *ch, const uint8_t *body, size_t len,
		 uint8_t *pt, size_t cap)
{
	uint8_t nonce[12], hdr[4];

	if (len < MP_TAG_LEN || len > MP_MAX_FRAME ||
	    cap < len - MP_TAG_LEN || ch->rx_ctr == UINT64_MAX)
		return -1;
	put_len(hdr, (uint32_t)len);
	nonce_from(nonce, ch->rx_ctr);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, NULL, NULL, body,
						      len, hdr, 4, nonce,
						      ch->rx_key))
		return -1;
	ch->rx_ctr++;
	return (int)(len - MP_TAG_LEN);
}

void mp_chan_wipe(struct mp_chan *ch)
{
	sodium_memzero(ch, sizeof(*ch));
}

/* ---- connection ---- */

int mp_conn_init(struct mp_conn *c, int fd, size_t wmax)
{
	int fl = fcntl(fd, F_GETFL);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->wmax = wmax;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

void mp_conn_close(struct mp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->wbuf);
	c->wbuf = NULL;
	c->wlen = c->wcap = 0;
	c->established = false;
	mp_chan_wipe(&c->chan);
	sodium_memzero(c->rbuf, sizeof(c->rbuf));
	c->rlen = 0;
}

int mp_conn_read_frame(struct mp_conn *c, const uint8_t **body, size_t *len,
		       struct mp_err *err)
{
	size_t need;
	ssize_t n;

	/* The previous frame was consumed by the caller. */
	if (c->rlen >= 4) {
		size_t flen = (size_t)c->rbuf[0] << 24 | (size_t)c->rbuf[1] << 16 |
			      (size_t)c->rbuf[2] << 8 | c->rbuf[3];

		if (c->rlen == 4 + flen)
			c->rlen = 0;
	}
	for (;;) {
		if (c->rlen < 4) {
			need = 4 - c->rlen;
		} else {
			size_t flen = (size_t)c->rbuf[0] << 24 |
				      (size_t)c->rbuf[1] << 16 |
				      (size_t)c->rbuf[2] << 8 | c->rbuf[3];

			if (flen == 0 || flen > MP_MAX_FRAME)
				return fail(err, MP_ERR_PROTO,
					    "frame length %zu out of range",
					    flen);
			if (c->rlen == 4 + flen) {
				*body = c->rbuf + 4;
				*len = flen;
				return 1;
			}
			need = 4 + flen - c->rlen;
		}
		n = read(c->fd, c->rbuf + c->rlen, need);
		if (n > 0) {
			c->rlen += (size_t)n;
			continue;
		}
		if (n == 0)
			return fail(err, MP_ERR_NONE, c->rlen ?
				    "connection closed mid-frame" :
				    "connection closed");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return fail(err, MP_ERR_NONE, "read: %s", strerror(errno));
	}
}

static int wbuf_reserve(struct mp_conn *c, size_t add, struct mp_err *err)
{
	size_t want = c->wlen + add, cap;
	uint8_t *p;

	if (want > c->wmax)
		return fail(err, MP_ERR_NONE,
			    "send queue full (%zu bytes): peer too slow",
			    c->wlen);
	if (want <= c->wcap)
		return 0;
	cap = c->wcap ? c->wcap : 4096;
	while (cap < want)
		cap *= 2;
	if (cap > c->wmax)
		cap = c->wmax;
	p = realloc(c->wbuf, cap);
	if (!p)
		return fail(err, MP_ERR_NONE, "out of memory");
	c->wbuf = p;
	c->wcap = cap;
	return 0;
}

int mp_conn_queue_raw(struct mp_conn *c, const uint8_t *body, size_t len,
		      struct mp_err *err)
{
	if (len == 0 || len > MP_MAX_FRAME)
		return fail(err, MP_ERR_NONE, "frame too large");
	if (wbuf_reserve(c, 4 + len, err))
		return -1;
	put_len(c->wbuf + c->wlen, (uint32_t)len);
	memcpy(c->wbuf + c->wlen + 4, body, len);
	c->wlen += 4 + len;
	return 0;
}

int mp_conn_send(struct mp_conn *c, const struct mp_msg *m,
		 struct mp_err *err)
{
	uint8_t pt[MP_MAX_PLAINTEXT];
	int n, f;

	if (!c->established)
		return fail(err, MP_ERR_NONE, "not established");
	n = mp_msg_encode(m, pt, sizeof(pt));
	if (n < 0)
		return fail(err, MP_ERR_NONE, "cannot encode %s message",
			    mp_type_name(m->type));
	if (wbuf_reserve(c, 4 + (size_t)n + MP_TAG_LEN, err))
		return -1;
	f = mp_chan_seal(&c->chan, pt, (size_t)n, c->wbuf + c->wlen,
			 c->wcap - c->wlen);
	sodium_memzero(pt, (size_t)n);
	if (f < 0)
		return fail(err, MP_ERR_NONE, "cannot seal frame");
	c->wlen += (size_t)f;
	return 0;
}

int mp_conn_recv(struct mp_conn *c, struct mp_msg *m, struct mp_err *err)
{
	uint8_t pt[MP_MAX_PLAINTEXT];
	const uint8_t *body;
	unsigned int type;
	size_t len;
	int r, n;

	if (!c->established)
		return fail(err, MP_ERR_PROTO, "not established");
	r = mp_conn_read_frame(c, &body, &len, err);
	if (r <= 0)
		return r;
	n = mp_chan_open(&c->chan, body, len, pt, sizeof(pt));
	if (n < 0)
		return fail(err, MP_ERR_PROTO,
			    "frame of %zu bytes failed authentication", len);
	r = mp_msg_decode(m, pt, (size_t)n);
	type = n ? pt[0] : 0;
	sodium_memzero(pt, (size_t)n);
	if (r < 0)
		return fail(err, MP_ERR_PROTO,
			    "malformed message (type %u, %d bytes)", type, n);
	return 1;
}

int mp_conn_flush(struct mp_conn *c, struct mp_err *err)
{
	size_t off = 0;
	ssize_t n;

	while (off < c->wlen) {
		n = send(c->fd, c->wbuf + off, c->wlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return fail(err, MP_ERR_NONE, "send: %s",
			    n < 0 ? strerror(errno) : "short write");
	}
	if (off) {
		memmove(c->wbuf, c->wbuf + off, c->wlen - off);
		c->wlen -= off;
	}
	/* a burst (a full peer list) left a large buffer: give it back */
	if (!c->wlen && c->wcap > MP_WBUF_KEEP) {
		free(c->wbuf);
		c->wbuf = NULL;
		c->wcap = 0;
	}
	return c->wlen ? 1 : 0;
}

/* ---- client ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int64_t deadline, struct mp_err *err)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return fail(err, MP_ERR_NONE, "timed out");
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return fail(err, MP_ERR_NONE, "poll: %s",
				    strerror(errno));
	}
}

static int connect_to(const char *server, int64_t deadline,
		      struct mp_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256];
	const char *port;
	int fd = -1, r, one = 1;

	uint16_t portnum;

	if (split_hostport(server, host, sizeof(host), &port) ||
	    parse_port(port, &portnum, false))
		return fail(err, MP_ERR_NONE,
			    "bad server address '%s' (HOST:PORT, port 1-65535)",
			    server);
	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		return fail(err, MP_ERR_NONE, "%s: %s", server,
			    gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS &&
		    wait_fd(fd, POLLOUT, deadline, err) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr == 0)
			break;
		fail(err, MP_ERR_NONE, "connect %s: %s", server,
		     strerror(soerr ? soerr : errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * The service closed (or reset) the connection without a word while our
 * handshake was pending.  A service that cannot open message 1 says so
 * (MP_HSREJ_KEY), one at its limits sends MP_BUSY_NOTICE; one that closes
 * at once is refusing the connection anyway: its limits (an older service),
 * or a firewall or proxy in between.
 */
static void hs_closed(struct mp_err *err)
{
	char was[sizeof(err->msg)];

	snprintf(was, sizeof(was), "%s", err->msg);
	fail(err, MP_ERR_BUSY,
	     "the service closed the connection before authentication (overloaded or refusing this address?): %s",
	     was);
}

/* A refusal frame from the service (unauthenticated: only reported). */
static void hs_refused(struct mp_err *err, unsigned int reason)
{
	switch (reason) {
	case MP_HSREJ_KEY:
		fail(err, MP_ERR_KEY,
		     "the service's key does not match --coord-key (it could not open our handshake)");
		break;
	default:
		fail(err, MP_ERR_NONE,
		     "the service refused the handshake (reason %u)", reason);
	}
}

/* Write the whole queue, blocking (with the deadline). */
static int exchange(struct mp_conn *c, int64_t deadline, struct mp_err *err)
{
	while (mp_conn_want_write(c)) {
		int r = mp_conn_flush(c, err);

		if (r < 0)
			return -1;
		if (r > 0 && wait_fd(c->fd, POLLOUT, deadline, err))
			return -1;
	}
	return 0;
}

int mp_client_connect(struct mp_conn *c, const struct mp_client_cfg *cfg,
		      struct mp_welcome *welcome, struct mp_err *err)
{
	int64_t deadline = now_ms() + (cfg->timeout_ms > 0 ? cfg->timeout_ms :
				       10000);
	struct mp_hs_client hs;
	uint8_t msg1[MP_HS1_LEN];
	const uint8_t *body;
	struct mp_msg m;
	size_t len;
	int fd, r;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!mp_name_valid(cfg->name))
		return fail(err, MP_ERR_NAME, "invalid node name '%s'",
			    cfg->name);
	fd = connect_to(cfg->server, deadline, err);
	if (fd < 0)
		return -1;
	if (mp_conn_init(c, fd, 1 << 20)) {
		close(fd);
		return fail(err, MP_ERR_NONE, "fcntl: %s", strerror(errno));
	}
	if (mp_hs_client_start(&hs, cfg->node_priv, cfg->server_pub, msg1)) {
		fail(err, MP_ERR_NONE, "bad key");
		goto fail;
	}
	if (mp_conn_queue_raw(c, msg1, sizeof(msg1), err))
		goto fail_hs;
	if (exchange(c, deadline, err)) {
		if (err && err->code == MP_ERR_NONE && strcmp(err->msg, "timed out"))
			hs_closed(err);
		goto fail_hs;
	}
	for (;;) {
		r = mp_conn_read_frame(c, &body, &len, err);
		if (r < 0) {
			/* EOF or reset with nothing read: see hs_closed */
			if (err && err->code == MP_ERR_NONE && !c->rlen)
				hs_closed(err);
			goto fail_hs;
		}
		if (r > 0)
			break;
		if (wait_fd(c->fd, POLLIN, deadline, err))
			goto fail_hs;
	}
	if (len == sizeof(MP_BUSY_NOTICE) - 1 &&
	    !memcmp(body, MP_BUSY_NOTICE, len)) {
		fail(err, MP_ERR_BUSY, "the service refused the connection: too many connections pending (unauthenticated notice); retry later");
		goto fail_hs;
	}
	if (len == MP_HSREJ_LEN && !memcmp(body, hs_magic, 4)) {
		hs_refused(err, (unsigned int)body[4] << 8 | body[5]);
		goto fail_hs;
	}
	if (len != MP_HS2_LEN) {
		fail(err, MP_ERR_NONE, "handshake: bad answer (%zu bytes)", len);
		goto fail_hs;
	}
	if (mp_hs_client_finish(&hs, body, &c->chan)) {	/* wipes hs */
		fail(err, MP_ERR_NONE,
		     "handshake failed (wrong service public key?)");
		goto fail;
	}
	c->established = true;
	memset(&m, 0, sizeof(m));
	m.type = MP_HELLO;
	m.u.hello.version = MP_VERSION;
	snprintf(m.u.hello.name, sizeof(m.u.hello.name), "%s", cfg->name);
	if (cfg->authkey &&
	    snprintf(m.u.hello.authkey, sizeof(m.u.hello.authkey), "%s",
		     cfg->authkey) > MP_AUTHKEY_MAX) {
		fail(err, MP_ERR_AUTH, "auth key too long");
		goto fail;
	}
	r = mp_conn_send(c, &m, err);
	sodium_memzero(&m, sizeof(m));
	if (r || exchange(c, deadline, err))
		goto fail;
	for (;;) {
		r = mp_conn_recv(c, &m, err);
		if (r < 0)
			goto fail;
		if (r > 0)
			break;
		if (wait_fd(c->fd, POLLIN, deadline, err))
			goto fail;
	}
	if (m.type == MP_ERROR) {
		fail(err, m.u.error.code, "service refused: %s",
		     m.u.error.text);
		goto fail;
	}
	if (m.type != MP_WELCOME) {
		fail(err, MP_ERR_PROTO, "expected WELCOME, got %s",
		     mp_type_name(m.type));
		goto fail;
	}
	if (welcome)
		*welcome = m.u.welcome;
	return 0;
fail_hs:
	sodium_memzero(&hs, sizeof(hs));
fail:
	mp_conn_close(c);
	return -1;
}

int mp_send_candidates(struct mp_conn *c, const struct mp_candidate *cand,
		       unsigned int n, struct mp_err *err)
{
	struct mp_msg m = { .type = MP_CANDIDATES };

	if (n > MP_MAX_CANDIDATES)
		return fail(err, MP_ERR_NONE, "too many candidates (%u > %d)",
			    n, MP_MAX_CANDIDATES);
	m.u.cand.n = (uint8_t)n;
	memcpy(m.u.cand.c, cand, n * sizeof(*cand));
	return mp_conn_send(c, &m, err);
}

int mp_send_ping(struct mp_conn *c, uint64_t token, struct mp_err *err)
{
	struct mp_msg m = { .type = MP_PING, .u.token = token };

	return mp_conn_send(c, &m, err);
}

int mp_send_punch_request(struct mp_conn *c, const uint8_t peer[MP_KEY_LEN],
			  struct mp_err *err)
{
	struct mp_msg m = { .type = MP_PUNCH_REQUEST };

	memcpy(m.u.punch_req, peer, MP_KEY_LEN);
	return mp_conn_send(c, &m, err);
}
