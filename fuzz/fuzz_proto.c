// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshcoord's protocol (userland/proto/), as both meshcoord (from
 * any agent on the network) and meshd (from the service) receive it.
 *
 * Input: a mode byte, then the rest.
 *   0  one message body: mp_msg_decode(); a decoded message must encode,
 *      and decode again to the same encoding.
 *   1  bytes arriving on an established connection (a socketpair):
 *      mp_conn_recv() until it stops.  Frames sealed under the target's
 *      fixed channel key authenticate (the seeds are such frames).  Mode
 *      byte 6 (6 % 5 == 1): the same with clear relay frames agreed
 *      (version 8); a clear frame must come out as a RELAY_DATA within
 *      the datagram limit.
 *   2  a list of (u16 length, plaintext) that the target seals and sends;
 *      each message received must be what mp_msg_decode() makes of the
 *      plaintext, and a plaintext it refuses must end the connection.
 *   3  handshake message 1 to the service (mp_hs_server()) and message 2
 *      to a client (mp_hs_client_finish()).
 *   4  a candidate string: mp_candidate_parse(), then format and parse
 *      back to the same candidate.
 * Checked: no out-of-bounds access, leak or UB, and the properties above.
 */
#include <sodium.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "proto.h"

static const uint8_t chan_key[MP_KEY_LEN] = {
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
};

/* The service's and a node's static keys (X25519 of fixed secrets). */
struct keys {
	uint8_t server_priv[MP_KEY_LEN], server_pub[MP_KEY_LEN];
	uint8_t node_priv[MP_KEY_LEN];
};

static const struct keys *keys(void)
{
	static struct keys k;
	static bool done;

	if (done)
		return &k;
	FUZZ_CHECK(mp_init() == 0);
	memset(k.server_priv, 0x51, MP_KEY_LEN);
	memset(k.node_priv, 0x6e, MP_KEY_LEN);
	FUZZ_CHECK(!crypto_scalarmult_base(k.server_pub, k.server_priv));
	done = true;
	return &k;
}

static void chan_init(struct mp_chan *ch)
{
	memset(ch, 0, sizeof(*ch));
	memcpy(ch->tx_key, chan_key, MP_KEY_LEN);
	memcpy(ch->rx_key, chan_key, MP_KEY_LEN);
}

static void check_decode(const uint8_t *buf, size_t len)
{
	static uint8_t b1[MP_MAX_PLAINTEXT], b2[MP_MAX_PLAINTEXT];
	struct mp_msg m1, m2;
	int n1, n2;

	if (mp_msg_decode(&m1, buf, len) < 0)
		return;
	FUZZ_CHECK(mp_type_name(m1.type) != NULL);
	n1 = mp_msg_encode(&m1, b1, sizeof(b1));
	FUZZ_CHECK(n1 > 0);
	FUZZ_CHECK(mp_msg_decode(&m2, b1, (size_t)n1) == 0);
	n2 = mp_msg_encode(&m2, b2, sizeof(b2));
	FUZZ_CHECK(n1 == n2 && !memcmp(b1, b2, (size_t)n1));
}

/* A connection reading what the other end of a socketpair sent. */
static int conn_pair(struct mp_conn *c, int *wfd)
{
	int sv[2];

	FUZZ_CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	FUZZ_CHECK(!mp_conn_init(c, sv[0], 1 << 16));
	c->established = true;
	chan_init(&c->chan);
	*wfd = sv[1];
	return 0;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		FUZZ_CHECK(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void check_raw_stream(const uint8_t *p, size_t n, bool clear)
{
	struct mp_conn c;
	struct mp_msg m;
	struct mp_err err;
	int wfd, r, guard = 0;

	conn_pair(&c, &wfd);
	c.clear_relay = clear;
	send_all(wfd, p, n);
	close(wfd);
	do {
		r = mp_conn_recv(&c, &m, &err);
		FUZZ_CHECK(++guard < 100000);
		if (r == 1 && c.rclear)
			FUZZ_CHECK(m.type == MP_RELAY_DATA && m.u.relay_data.id &&
				   m.u.relay_data.len >= 1 &&
				   m.u.relay_data.len <= MP_RELAY_DATA_MAX);
	} while (r == 1);
	FUZZ_CHECK(r == -1 || r == 0);
	mp_conn_close(&c);
}

static void check_sealed_stream(struct fuzz_in *in)
{
	static uint8_t pt[MP_MAX_PLAINTEXT], frame[4 + MP_MAX_FRAME], b1[MP_MAX_PLAINTEXT],
		b2[MP_MAX_PLAINTEXT];
	struct mp_chan tx;
	struct mp_conn c;
	struct mp_msg m, want;
	struct mp_err err;
	int wfd, r, n1, n2;
	size_t len;

	conn_pair(&c, &wfd);
	chan_init(&tx);
	while (in->n >= 2) {
		len = fuzz_u16(in) % (MP_MAX_PLAINTEXT + 1);
		if (len > in->n)
			len = in->n;
		fuzz_bytes(in, pt, len);
		r = mp_chan_seal(&tx, pt, len, frame, sizeof(frame));
		FUZZ_CHECK(r == (int)(4 + len + MP_TAG_LEN));
		send_all(wfd, frame, (size_t)r);
		r = mp_conn_recv(&c, &m, &err);
		if (mp_msg_decode(&want, pt, len) < 0) {
			/* a malformed message ends the connection */
			FUZZ_CHECK(r == -1);
			break;
		}
		FUZZ_CHECK(r == 1);
		n1 = mp_msg_encode(&m, b1, sizeof(b1));
		n2 = mp_msg_encode(&want, b2, sizeof(b2));
		FUZZ_CHECK(n1 > 0 && n1 == n2 && !memcmp(b1, b2, (size_t)n1));
	}
	close(wfd);
	mp_conn_close(&c);
}

static void check_handshake(const uint8_t *p, size_t n)
{
	const struct keys *k = keys();
	uint8_t msg1[MP_HS1_LEN], msg2[MP_HS2_LEN], node_pub[MP_KEY_LEN];
	struct mp_hs_client hs;
	struct mp_chan ch;

	if (n >= MP_HS1_LEN) {
		if (!mp_hs_server(k->server_priv, k->server_pub, p, msg2, &ch, node_pub))
			mp_chan_wipe(&ch);
		p += MP_HS1_LEN;
		n -= MP_HS1_LEN;
	}
	if (n >= MP_HS2_LEN) {
		FUZZ_CHECK(!mp_hs_client_start(&hs, k->node_priv, k->server_pub, msg1));
		/* the server's ephemeral key is fresh: forged or stale, this fails */
		FUZZ_CHECK(mp_hs_client_finish(&hs, p, &ch) == -1);
	}
}

static void check_candidate(const uint8_t *p, size_t n)
{
	struct mp_candidate c, c2;
	char s[256], out[MP_CAND_STRLEN];

	if (n >= sizeof(s))
		return;
	memcpy(s, p, n);
	s[n] = '\0';
	if (mp_candidate_parse(&c, s))
		return;
	FUZZ_CHECK(mp_candidate_format(&c, out) == out);
	FUZZ_CHECK(memchr(out, '\0', sizeof(out)));
	FUZZ_CHECK(!mp_candidate_parse(&c2, out));
	FUZZ_CHECK(mp_candidate_equal(&c, &c2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in;

	if (!size)
		return 0;
	keys();
	in.p = data + 1;
	in.n = size - 1;
	switch (data[0] % 5) {
	case 0:
		check_decode(in.p, in.n);
		break;
	case 1:
		check_raw_stream(in.p, in.n, data[0] / 5 % 2);
		break;
	case 2:
		check_sealed_stream(&in);
		break;
	case 3:
		check_handshake(in.p, in.n);
		break;
	default:
		check_candidate(in.p, in.n);
		break;
	}
	return 0;
}

/* ---- seeds: one message of each type, and frames carrying them ---- */

static void sample_cands(struct mp_candidates *c)
{
	c->n = 2;
	c->c[0].family = AF_INET;
	c->c[0].port = 51820;
	memcpy(c->c[0].addr, "\xc0\x00\x02\x01", 4);
	c->c[1].family = AF_INET6;
	c->c[1].port = 4500;
	memcpy(c->c[1].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
}

static int sample(uint8_t type, uint8_t *buf, size_t cap)
{
	struct mp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	switch (type) {
	case MP_HELLO:
		m.u.hello.version = MP_VERSION;
		strcpy(m.u.hello.name, "node-1.example");
		strcpy(m.u.hello.authkey, "tskey-0123456789abcdef");
		break;
	case MP_WELCOME:
		strcpy(m.u.welcome.name, "node-1");
		memcpy(m.u.welcome.addr4, "\x0a\x40\x00\x07", 4);
		m.u.welcome.plen4 = 10;
		m.u.welcome.addr6[0] = 0xfd;
		m.u.welcome.plen6 = 48;
		/* version 2: the STUN list (here, and one of each family) */
		m.u.welcome.version = 2;
		m.u.welcome.stun.n = 3;
		m.u.welcome.stun.s[0].port = 3478;
		m.u.welcome.stun.s[1].family = AF_INET;
		m.u.welcome.stun.s[1].port = 3479;
		memcpy(m.u.welcome.stun.s[1].addr, "\xc6\x33\x64\x01", 4);
		m.u.welcome.stun.s[2].family = AF_INET6;
		m.u.welcome.stun.s[2].port = 3479;
		m.u.welcome.stun.s[2].addr[0] = 0x20;
		break;
	case MP_ERROR:
		m.u.error.code = MP_ERR_AUTH;
		strcpy(m.u.error.text, "unknown node: an auth key is needed");
		break;
	case MP_CANDIDATES:
		sample_cands(&m.u.cand);
		break;
	case MP_PEER:
		memset(m.u.peer.pubkey, 0x22, MP_KEY_LEN);
		strcpy(m.u.peer.name, "peer-2");
		memcpy(m.u.peer.addr4, "\x0a\x40\x00\x08", 4);
		m.u.peer.addr6[0] = 0xfd;
		m.u.peer.addr6[15] = 8;
		m.u.peer.online = 1;
		m.u.peer.last_seen = 1700000000;
		sample_cands(&m.u.peer.cand);
		break;
	case MP_PEER_REMOVED:
		memset(m.u.removed, 0x22, MP_KEY_LEN);
		break;
	case MP_PUNCH_REQUEST:
		memset(m.u.punch_req, 0x22, MP_KEY_LEN);
		break;
	case MP_PUNCH:
		memset(m.u.punch.pubkey, 0x22, MP_KEY_LEN);
		sample_cands(&m.u.punch.cand);
		break;
	case MP_PING:
	case MP_PONG:
		m.u.token = 0x0123456789abcdefULL;
		break;
	case MP_NAT:
		m.u.nat = MP_NAT_HARD;
		break;
	case MP_NO_PUNCH:
		memset(m.u.no_punch.pubkey, 0x22, MP_KEY_LEN);
		m.u.no_punch.reason = MP_NOPUNCH_BOTH_HARD;
		break;
	case MP_RELAY:
		memset(m.u.relay.pubkey, 0x22, MP_KEY_LEN);
		m.u.relay.ep.port = 3500;	/* family 0: the service's host */
		m.u.relay.id = 0x01020304;
		memset(m.u.relay.key, 0x33, MP_RELAY_KEY_LEN);
		m.u.relay.lifetime = 600;
		break;
	case MP_RELAY_REMOVED:
		memset(m.u.relay_removed.pubkey, 0x22, MP_KEY_LEN);
		m.u.relay_removed.id = 0x01020304;
		break;
	case MP_RELAY_HELLO:
		m.u.relay_hello.version = MP_RELAYS_VERSION;
		strcpy(m.u.relay_hello.name, "relay-eu");
		m.u.relay_hello.ep.family = AF_INET;
		memcpy(m.u.relay_hello.ep.addr, "\xc6\x33\x64\x09", 4);
		m.u.relay_hello.ep.port = 3478;
		m.u.relay_hello.port_lo = 3500;
		m.u.relay_hello.port_hi = 3999;
		break;
	case MP_RELAY_ALLOC:
		m.u.relay_alloc.index = 17;
		memset(m.u.relay_alloc.side[0].node, 0x22, MP_KEY_LEN);
		memset(m.u.relay_alloc.side[1].node, 0x44, MP_KEY_LEN);
		m.u.relay_alloc.side[0].id = 0x01020304;
		m.u.relay_alloc.side[1].id = 0x05060708;
		memset(m.u.relay_alloc.side[0].key, 0x33, MP_RELAY_KEY_LEN);
		memset(m.u.relay_alloc.side[1].key, 0x55, MP_RELAY_KEY_LEN);
		break;
	case MP_RELAY_FREE:
		m.u.relay_free.index = 17;
		m.u.relay_free.id = 0x01020304;
		break;
	case MP_RELAY_LIST:
		m.u.relay_list.n = 2;
		strcpy(m.u.relay_list.r[0].name, "coord");
		m.u.relay_list.r[0].ep.port = 3478;	/* family 0: the service's host */
		strcpy(m.u.relay_list.r[1].name, "relay-eu");
		m.u.relay_list.r[1].ep.family = AF_INET;
		memcpy(m.u.relay_list.r[1].ep.addr, "\xc6\x33\x64\x09", 4);
		m.u.relay_list.r[1].ep.port = 3478;
		break;
	case MP_HOME_RELAY:
		strcpy(m.u.home_relay.name, "relay-eu");
		m.u.home_relay.rtt_us = 23456;
		break;
	}
	return mp_msg_encode(&m, buf, cap);
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	static uint8_t buf[1 + 16 * (4 + MP_MAX_FRAME)];
	const struct keys *k = keys();
	uint8_t body[MP_MAX_PLAINTEXT], msg1[MP_HS1_LEN];
	struct mp_hs_client hs;
	struct mp_chan tx;
	size_t raw = 1, sealed = 1;
	char name[32];
	uint8_t t;
	int n;

	chan_init(&tx);
	for (t = MP_HELLO; t <= MP_RELAY_REMOVED; t++) {
		n = sample(t, body, sizeof(body));
		FUZZ_CHECK(n > 0);
		buf[0] = 0;
		memcpy(buf + 1, body, (size_t)n);
		snprintf(name, sizeof(name), "msg-%s", mp_type_name(t));
		emit(name, buf, 1 + (size_t)n);
	}
	/* version 5: PUNCH with a birthday role and the peer's mapped candidate */
	{
		struct mp_msg m;

		memset(&m, 0, sizeof(m));
		m.type = MP_PUNCH;
		memset(m.u.punch.pubkey, 0x22, MP_KEY_LEN);
		sample_cands(&m.u.punch.cand);
		m.u.punch.version = 5;
		m.u.punch.birthday = MP_BIRTHDAY_OPEN;
		m.u.punch.mapped = 0;
		n = mp_msg_encode(&m, body, sizeof(body));
		FUZZ_CHECK(n > 0);
		buf[0] = 0;
		memcpy(buf + 1, body, (size_t)n);
		emit("msg-PUNCH-v5", buf, 1 + (size_t)n);
	}
	/* version 6: several relays */
	for (t = MP_RELAY_HELLO; t <= MP_HOME_RELAY; t++) {
		n = sample(t, body, sizeof(body));
		FUZZ_CHECK(n > 0);
		buf[0] = 0;
		memcpy(buf + 1, body, (size_t)n);
		snprintf(name, sizeof(name), "msg-%s", mp_type_name(t));
		emit(name, buf, 1 + (size_t)n);
	}
	/* mode 1: the frames of a session (WELCOME, PEER, SYNC_END, PING, PUNCH) */
	{
		static const uint8_t order[] = { MP_WELCOME, MP_PEER, MP_SYNC_END, MP_PING,
						 MP_PUNCH };
		static uint8_t stream[1 + 8 * (4 + MP_MAX_FRAME)];
		size_t i;

		stream[0] = 1;
		for (i = 0; i < sizeof(order); i++) {
			n = sample(order[i], body, sizeof(body));
			n = mp_chan_seal(&tx, body, (size_t)n, stream + raw, sizeof(stream) - raw);
			FUZZ_CHECK(n > 0);
			raw += (size_t)n;
		}
		emit("frames-session", stream, raw);
	}
	/* mode 2: the same as plaintexts */
	buf[0] = 2;
	for (t = MP_WELCOME; t <= MP_RELAY_REMOVED; t++) {
		n = sample(t, body, sizeof(body));
		buf[sealed] = (uint8_t)(n >> 8);
		buf[sealed + 1] = (uint8_t)n;
		memcpy(buf + sealed + 2, body, (size_t)n);
		sealed += 2 + (size_t)n;
	}
	emit("sealed-all", buf, sealed);
	/* mode 3: a real message 1 */
	FUZZ_CHECK(!mp_hs_client_start(&hs, k->node_priv, k->server_pub, msg1));
	buf[0] = 3;
	memcpy(buf + 1, msg1, sizeof(msg1));
	memset(buf + 1 + sizeof(msg1), 0x5a, MP_HS2_LEN);
	emit("handshake", buf, 1 + sizeof(msg1) + MP_HS2_LEN);
	/* mode 4: candidates */
	emit("cand-v4", "\x04" "192.0.2.1:51820", 16);
	emit("cand-v6", "\x04" "[2001:db8::1]:4500", 19);
}
