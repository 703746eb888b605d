// SPDX-License-Identifier: GPL-2.0-only
/* libmeshproto: message codec, handshake, channel, framing over sockets. */
#include "kselftest_harness.h"
#include "coord_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "proto.h"

__attribute__((constructor)) static void init_sodium(void)
{
	if (mp_init())
		abort();
}

static void cand4(struct mp_candidate *c, const char *ip, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_INET;
	inet_pton(AF_INET, ip, c->addr);
	c->port = port;
}

static void cand6(struct mp_candidate *c, const char *ip, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_INET6;
	inet_pton(AF_INET6, ip, c->addr);
	c->port = port;
}

/* Encode, decode, re-encode: same bytes, same struct. */
static bool roundtrip(const struct mp_msg *m)
{
	uint8_t a[MP_MAX_PLAINTEXT], b[MP_MAX_PLAINTEXT];
	struct mp_msg d;
	int la, lb;

	la = mp_msg_encode(m, a, sizeof(a));
	if (la <= 0 || mp_msg_decode(&d, a, (size_t)la))
		return false;
	lb = mp_msg_encode(&d, b, sizeof(b));
	return la == lb && !memcmp(a, b, (size_t)la) && d.type == m->type;
}

TEST(codec_roundtrip_every_type)
{
	struct mp_msg m;
	int t;

	for (t = MP_HELLO; t <= MP_HOME_RELAY; t++) {
		memset(&m, 0, sizeof(m));
		m.type = (uint8_t)t;
		switch (t) {
		case MP_HELLO:
			m.u.hello.version = MP_VERSION;
			strcpy(m.u.hello.name, "alpha-1");
			strcpy(m.u.hello.authkey, "wgmk-0123");
			break;
		case MP_WELCOME:
			strcpy(m.u.welcome.name, "alpha");
			m.u.welcome.plen4 = 10;
			m.u.welcome.plen6 = 48;
			m.u.welcome.addr4[0] = 100;
			break;
		case MP_ERROR:
			m.u.error.code = MP_ERR_AUTH;
			strcpy(m.u.error.text, "no");
			break;
		case MP_CANDIDATES:
			m.u.cand.n = 2;
			cand4(&m.u.cand.c[0], "192.0.2.1", 51820);
			cand6(&m.u.cand.c[1], "2001:db8::1", 1);
			break;
		case MP_PEER:
			memset(m.u.peer.pubkey, 7, 32);
			strcpy(m.u.peer.name, "b");
			m.u.peer.online = 1;
			m.u.peer.last_seen = 0x0102030405060708ull;
			m.u.peer.cand.n = MP_MAX_CANDIDATES;
			for (int i = 0; i < MP_MAX_CANDIDATES; i++)
				cand4(&m.u.peer.cand.c[i], "10.0.0.1",
				      (uint16_t)(1000 + i));
			break;
		case MP_PEER_REMOVED:
			memset(m.u.removed, 9, 32);
			break;
		case MP_PUNCH_REQUEST:
			memset(m.u.punch_req, 4, 32);
			break;
		case MP_PUNCH:
			memset(m.u.punch.pubkey, 3, 32);
			m.u.punch.cand.n = 1;
			cand6(&m.u.punch.cand.c[0], "::1", 65535);
			break;
		case MP_PING:
		case MP_PONG:
			m.u.token = 42;
			break;
		case MP_NAT:
			m.u.nat = MP_NAT_EASY;
			break;
		case MP_NO_PUNCH:
			memset(m.u.no_punch.pubkey, 5, 32);
			m.u.no_punch.reason = MP_NOPUNCH_BOTH_HARD;
			break;
		case MP_RELAY:
			memset(m.u.relay.pubkey, 6, 32);
			cand4(&m.u.relay.ep, "203.0.113.9", 3500);
			m.u.relay.id = 0xdeadbeef;
			memset(m.u.relay.key, 0x5a, sizeof(m.u.relay.key));
			m.u.relay.lifetime = 600;
			break;
		case MP_RELAY_REMOVED:
			memset(m.u.relay_removed.pubkey, 8, 32);
			m.u.relay_removed.id = 7;
			break;
		case MP_RELAY_TCP:
			m.u.relay_tcp.id = 0x01020304;
			m.u.relay_tcp.on = 1;
			break;
		case MP_RELAY_DATA:
			m.u.relay_data.id = 9;
			m.u.relay_data.len = MP_RELAY_DATA_MAX;
			memset(m.u.relay_data.data, 0xa5, MP_RELAY_DATA_MAX);
			break;
		case MP_RELAY_HELLO:
			m.u.relay_hello.version = MP_RELAYS_VERSION;
			strcpy(m.u.relay_hello.name, "eu-1");
			cand4(&m.u.relay_hello.ep, "198.51.100.7", 3478);
			m.u.relay_hello.port_lo = 3500;
			m.u.relay_hello.port_hi = 3999;
			break;
		case MP_RELAY_ALLOC:
			m.u.relay_alloc.index = 249;
			memset(m.u.relay_alloc.side[0].node, 1, 32);
			memset(m.u.relay_alloc.side[1].node, 2, 32);
			m.u.relay_alloc.side[0].id = 5;
			m.u.relay_alloc.side[1].id = 6;
			memset(m.u.relay_alloc.side[1].key, 0x33, MP_RELAY_KEY_LEN);
			break;
		case MP_RELAY_FREE:
			m.u.relay_free.index = 3;
			m.u.relay_free.id = 77;
			break;
		case MP_RELAY_LIST:
			m.u.relay_list.n = MP_MAX_RELAYS;
			for (int i = 0; i < MP_MAX_RELAYS; i++) {
				snprintf(m.u.relay_list.r[i].name, sizeof(m.u.relay_list.r[i].name), "r%d", i);
				cand4(&m.u.relay_list.r[i].ep, "192.0.2.8", (uint16_t)(3478 + i));
			}
			m.u.relay_list.r[0].ep.family = AF_UNSPEC;
			memset(m.u.relay_list.r[0].ep.addr, 0, 16);
			break;
		case MP_HOME_RELAY:
			strcpy(m.u.home_relay.name, "eu-1");
			m.u.home_relay.rtt_us = 12345;
			break;
		}
		EXPECT_TRUE(roundtrip(&m)) TH_LOG("type %d", t);
	}
}

/*
 * WELCOME: a version-1 body ends after the prefix lengths and decodes as
 * version 1; version 2 appends the STUN list, bytes as documented.
 */
TEST(codec_welcome_versions)
{
	uint8_t v1[128], v2[128];
	struct mp_msg m = { .type = MP_WELCOME }, d;
	char s[MP_CAND_STRLEN];
	int n1, n2;

	strcpy(m.u.welcome.name, "a");
	m.u.welcome.plen4 = 10;
	m.u.welcome.plen6 = 48;
	n1 = mp_msg_encode(&m, v1, sizeof(v1));
	ASSERT_EQ(1 + 2 + 4 + 1 + 16 + 1, n1);
	ASSERT_EQ(0, mp_msg_decode(&d, v1, (size_t)n1));
	EXPECT_EQ(1, d.u.welcome.version);
	EXPECT_EQ(0, d.u.welcome.stun.n);
	m.u.welcome.version = 1;	/* the same bytes */
	EXPECT_EQ(n1, mp_msg_encode(&m, v2, sizeof(v2)));

	m.u.welcome.version = 2;
	m.u.welcome.stun.n = 3;
	m.u.welcome.stun.s[0].port = 3478;	/* AF_UNSPEC: the coord host */
	cand4(&m.u.welcome.stun.s[1], "198.51.100.1", 3479);
	cand6(&m.u.welcome.stun.s[2], "2001:db8::1", 3479);
	n2 = mp_msg_encode(&m, v2, sizeof(v2));
	ASSERT_EQ(n1 + 1 + 3 + 7 + 19, n2);
	EXPECT_EQ(0, memcmp(v1, v2, (size_t)n1));
	EXPECT_EQ(3, v2[n1]);
	EXPECT_EQ(0, memcmp(v2 + n1 + 1, "\x00\x0d\x96\x04\xc6\x33\x64\x01\x0d\x97\x06", 11));
	ASSERT_EQ(0, mp_msg_decode(&d, v2, (size_t)n2));
	EXPECT_EQ(2, d.u.welcome.version);
	ASSERT_EQ(3, d.u.welcome.stun.n);
	EXPECT_EQ(AF_UNSPEC, d.u.welcome.stun.s[0].family);
	EXPECT_EQ(3478, d.u.welcome.stun.s[0].port);
	EXPECT_STREQ("198.51.100.1:3479", mp_candidate_format(&d.u.welcome.stun.s[1], s));
	EXPECT_STREQ("[2001:db8::1]:3479", mp_candidate_format(&d.u.welcome.stun.s[2], s));
	/* an empty list is still version 2 */
	m.u.welcome.stun.n = 0;
	ASSERT_EQ(n1 + 1, mp_msg_encode(&m, v2, sizeof(v2)));
	ASSERT_EQ(0, mp_msg_decode(&d, v2, (size_t)n1 + 1));
	EXPECT_EQ(2, d.u.welcome.version);

	/* garbled lists: every one refused, never half-read */
	m.u.welcome.stun.n = 1;
	n2 = mp_msg_encode(&m, v2, sizeof(v2));
	ASSERT_EQ(n1 + 4, n2);
	v2[n1] = MP_MAX_STUN + 1;			/* too many */
	EXPECT_EQ(-1, mp_msg_decode(&d, v2, (size_t)n2));
	v2[n1] = 1;
	v2[n1 + 1] = 5;					/* bad family */
	EXPECT_EQ(-1, mp_msg_decode(&d, v2, (size_t)n2));
	v2[n1 + 1] = 0;
	v2[n1 + 2] = v2[n1 + 3] = 0;			/* port 0 */
	EXPECT_EQ(-1, mp_msg_decode(&d, v2, (size_t)n2));
	EXPECT_EQ(-1, mp_msg_decode(&d, v2, (size_t)n2 - 1));	/* short */
	v2[n1 + 3] = 1;
	v2[n2] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, v2, (size_t)n2 + 1));	/* trailing */
	/* the encoder refuses port 0 and too many */
	m.u.welcome.stun.s[0].port = 0;
	EXPECT_EQ(-1, mp_msg_encode(&m, v2, sizeof(v2)));
	m.u.welcome.stun.s[0].port = 1;
	m.u.welcome.stun.n = MP_MAX_STUN + 1;
	EXPECT_EQ(-1, mp_msg_encode(&m, v2, sizeof(v2)));
}

/* NAT and NO_PUNCH: fixed bodies; values the receiver does not know decode. */
TEST(codec_nat_and_no_punch)
{
	uint8_t buf[64];
	struct mp_msg m = { .type = MP_NAT }, d;
	char t[48];

	m.u.nat = MP_NAT_HARD;
	ASSERT_EQ(2, mp_msg_encode(&m, buf, sizeof(buf)));
	EXPECT_EQ(MP_NAT, buf[0]);
	EXPECT_EQ(2, buf[1]);
	buf[1] = 77;
	ASSERT_EQ(0, mp_msg_decode(&d, buf, 2));
	EXPECT_EQ(77, d.u.nat);
	EXPECT_STREQ("unknown (77)", mp_nat_name(d.u.nat, t));
	EXPECT_STREQ("hard", mp_nat_name(MP_NAT_HARD, t));
	EXPECT_STREQ("easy", mp_nat_name(MP_NAT_EASY, t));
	EXPECT_STREQ("unknown", mp_nat_name(MP_NAT_UNKNOWN, t));
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, 1));
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, 3));

	memset(&m, 0, sizeof(m));
	m.type = MP_NO_PUNCH;
	memset(m.u.no_punch.pubkey, 0xcd, 32);
	m.u.no_punch.reason = MP_NOPUNCH_BOTH_HARD;
	ASSERT_EQ(34, mp_msg_encode(&m, buf, sizeof(buf)));
	EXPECT_EQ(MP_NO_PUNCH, buf[0]);
	EXPECT_EQ(1, buf[33]);
	ASSERT_EQ(0, mp_msg_decode(&d, buf, 34));
	EXPECT_EQ(0, memcmp(d.u.no_punch.pubkey, m.u.no_punch.pubkey, 32));
	EXPECT_STREQ("both NATs endpoint-dependent", mp_nopunch_text(d.u.no_punch.reason, t));
	EXPECT_STREQ("reason 9", mp_nopunch_text(9, t));
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, 33));
	EXPECT_STREQ("NAT", mp_type_name(MP_NAT));
	EXPECT_STREQ("NO_PUNCH", mp_type_name(MP_NO_PUNCH));
}

/*
 * PUNCH, version 5: the birthday role and the mapped candidate's index, two
 * bytes after the list; absent (version 1) they decode as none.
 */
TEST(codec_punch_birthday)
{
	uint8_t v1[128], v5[128];
	struct mp_msg m = { .type = MP_PUNCH }, d;
	char t[24];
	int n1, n5;

	memset(m.u.punch.pubkey, 0xab, 32);
	m.u.punch.cand.n = 2;
	cand4(&m.u.punch.cand.c[0], "192.168.1.7", 51820);
	cand4(&m.u.punch.cand.c[1], "203.0.113.3", 40000);
	m.u.punch.birthday = MP_BIRTHDAY_OPEN;	/* not written before version 5 */
	m.u.punch.mapped = 1;
	n1 = mp_msg_encode(&m, v1, sizeof(v1));
	ASSERT_EQ(1 + 32 + 1 + 2 * 7, n1);
	ASSERT_EQ(0, mp_msg_decode(&d, v1, (size_t)n1));
	EXPECT_EQ(1, d.u.punch.version);
	EXPECT_EQ(MP_BIRTHDAY_NONE, d.u.punch.birthday);
	EXPECT_EQ(MP_MAPPED_NONE, d.u.punch.mapped);
	m.u.punch.version = 1;		/* the same bytes */
	EXPECT_EQ(n1, mp_msg_encode(&m, v5, sizeof(v5)));

	m.u.punch.version = 5;
	n5 = mp_msg_encode(&m, v5, sizeof(v5));
	ASSERT_EQ(n1 + 2, n5);
	EXPECT_EQ(0, memcmp(v1, v5, (size_t)n1));
	EXPECT_EQ(1, v5[n1]);		/* open */
	EXPECT_EQ(1, v5[n1 + 1]);	/* the second candidate */
	ASSERT_EQ(0, mp_msg_decode(&d, v5, (size_t)n5));
	EXPECT_EQ(5, d.u.punch.version);
	EXPECT_EQ(MP_BIRTHDAY_OPEN, d.u.punch.birthday);
	EXPECT_EQ(1, d.u.punch.mapped);
	EXPECT_EQ(2, d.u.punch.cand.n);
	EXPECT_TRUE(roundtrip(&m));

	/* spray with no mapped candidate known */
	m.u.punch.birthday = MP_BIRTHDAY_SPRAY;
	m.u.punch.mapped = MP_MAPPED_NONE;
	ASSERT_EQ(n5, mp_msg_encode(&m, v5, sizeof(v5)));
	EXPECT_EQ(2, v5[n1]);
	EXPECT_EQ(0xff, v5[n1 + 1]);
	ASSERT_EQ(0, mp_msg_decode(&d, v5, (size_t)n5));
	EXPECT_EQ(MP_BIRTHDAY_SPRAY, d.u.punch.birthday);
	EXPECT_EQ(MP_MAPPED_NONE, d.u.punch.mapped);

	/* a role this version does not know decodes (a newer service's) */
	v5[n1] = 9;
	ASSERT_EQ(0, mp_msg_decode(&d, v5, (size_t)n5));
	EXPECT_EQ(9, d.u.punch.birthday);
	EXPECT_STREQ("role 9", mp_birthday_name(9, t));
	EXPECT_STREQ("open", mp_birthday_name(MP_BIRTHDAY_OPEN, t));
	EXPECT_STREQ("spray", mp_birthday_name(MP_BIRTHDAY_SPRAY, t));
	EXPECT_STREQ("none", mp_birthday_name(MP_BIRTHDAY_NONE, t));

	/* bounds: mapped past the list, one byte only, trailing bytes */
	v5[n1 + 1] = 2;
	EXPECT_EQ(-1, mp_msg_decode(&d, v5, (size_t)n5));
	v5[n1 + 1] = 0xfe;
	EXPECT_EQ(-1, mp_msg_decode(&d, v5, (size_t)n5));
	v5[n1 + 1] = 0;
	ASSERT_EQ(0, mp_msg_decode(&d, v5, (size_t)n5));
	EXPECT_EQ(0, d.u.punch.mapped);
	EXPECT_EQ(-1, mp_msg_decode(&d, v5, (size_t)n1 + 1));
	v5[n5] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, v5, (size_t)n5 + 1));
	/* an empty list has no candidate to name */
	m.u.punch.cand.n = 0;
	m.u.punch.mapped = MP_MAPPED_NONE;
	ASSERT_EQ(1 + 32 + 1 + 2, mp_msg_encode(&m, v5, sizeof(v5)));
	ASSERT_EQ(0, mp_msg_decode(&d, v5, 1 + 32 + 1 + 2));
	v5[1 + 32 + 1 + 1] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, v5, 1 + 32 + 1 + 2));
	/* the encoder refuses an index past the list */
	m.u.punch.mapped = 0;
	EXPECT_EQ(-1, mp_msg_encode(&m, v5, sizeof(v5)));
}

TEST(codec_decoded_fields)
{
	uint8_t buf[512];
	struct mp_msg m = { .type = MP_PEER }, d;
	char s[MP_CAND_STRLEN];
	int n;

	memset(m.u.peer.pubkey, 0xab, 32);
	strcpy(m.u.peer.name, "node.x_y");
	m.u.peer.last_seen = 1234567890123ull;
	m.u.peer.cand.n = 2;
	cand4(&m.u.peer.cand.c[0], "198.51.100.7", 4242);
	cand6(&m.u.peer.cand.c[1], "2001:db8::7", 51820);
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_STREQ("node.x_y", d.u.peer.name);
	EXPECT_EQ(1234567890123ull, d.u.peer.last_seen);
	EXPECT_EQ(2, d.u.peer.cand.n);
	EXPECT_STREQ("198.51.100.7:4242", mp_candidate_format(&d.u.peer.cand.c[0], s));
	EXPECT_STREQ("[2001:db8::7]:51820", mp_candidate_format(&d.u.peer.cand.c[1], s));
	EXPECT_EQ(0, memcmp(d.u.peer.pubkey, m.u.peer.pubkey, 32));
}

/*
 * RELAY and RELAY_REMOVED (version 3): bytes as documented; truncated,
 * overlong and garbled bodies are refused and leave no key behind.
 */
TEST(codec_relay_messages)
{
	static const uint8_t zero[sizeof(struct mp_msg)];
	uint8_t buf[256], bad[256];
	struct mp_msg m, d;
	char s[MP_CAND_STRLEN];
	int n, i;

	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY;
	memset(m.u.relay.pubkey, 0xab, 32);
	cand4(&m.u.relay.ep, "198.51.100.1", 3501);
	m.u.relay.id = 0x01020304;
	for (i = 0; i < MP_RELAY_KEY_LEN; i++)
		m.u.relay.key[i] = (uint8_t)i;
	m.u.relay.lifetime = 600;
	n = mp_msg_encode(&m, buf, sizeof(buf));
	/* type, key, count, family, addr, port, id, bind key, lifetime */
	ASSERT_EQ(1 + 32 + 1 + 1 + 4 + 2 + 4 + 32 + 4, n);
	EXPECT_EQ(MP_RELAY, buf[0]);
	EXPECT_EQ(1, buf[33]);
	EXPECT_EQ(4, buf[34]);
	EXPECT_EQ(198, buf[35]);
	EXPECT_EQ(3501 >> 8, buf[39]);
	EXPECT_EQ(3501 & 0xff, buf[40]);
	EXPECT_EQ(0, memcmp(buf + 41, "\x01\x02\x03\x04", 4));
	EXPECT_EQ(0, memcmp(buf + 45, m.u.relay.key, 32));
	EXPECT_EQ(0, memcmp(buf + 77, "\0\0\x02\x58", 4));
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_EQ(0x01020304u, d.u.relay.id);
	EXPECT_EQ(600u, d.u.relay.lifetime);
	EXPECT_STREQ("198.51.100.1:3501", mp_candidate_format(&d.u.relay.ep, s));
	EXPECT_EQ(0, memcmp(d.u.relay.key, m.u.relay.key, 32));
	EXPECT_EQ(0, memcmp(d.u.relay.pubkey, m.u.relay.pubkey, 32));
	EXPECT_STREQ("RELAY", mp_type_name(MP_RELAY));
	EXPECT_STREQ("RELAY_REMOVED", mp_type_name(MP_RELAY_REMOVED));

	/* every truncation and trailing garbage: refused, nothing kept */
	for (i = 0; i < n; i++) {
		memset(&d, 0x77, sizeof(d));
		EXPECT_EQ(-1, mp_msg_decode(&d, buf, (size_t)i)) TH_LOG("len %d", i);
		EXPECT_EQ(0, memcmp(&d, zero, sizeof(d))) TH_LOG("len %d", i);
	}
	memcpy(bad, buf, (size_t)n);
	bad[n] = 1;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n + 1));
	EXPECT_EQ(0, memcmp(&d, zero, sizeof(d)));
	/* endpoint count other than 1 */
	for (i = 0; i < 3; i += 2) {
		memcpy(bad, buf, (size_t)n);
		bad[33] = (uint8_t)i;
		EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n)) TH_LOG("count %d", i);
	}
	/* bad family, port 0, id 0, lifetime 0 */
	memcpy(bad, buf, (size_t)n);
	bad[34] = 5;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	memcpy(bad, buf, (size_t)n);
	bad[39] = bad[40] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	memcpy(bad, buf, (size_t)n);
	memset(bad + 41, 0, 4);
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	memcpy(bad, buf, (size_t)n);
	memset(bad + 77, 0, 4);
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	/* the encoder refuses the same */
	d = m;
	d.u.relay.id = 0;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));
	d = m;
	d.u.relay.lifetime = 0;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));
	d = m;
	d.u.relay.ep.port = 0;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));
	d = m;
	d.u.relay.ep.family = 99;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));
	/* a buffer too small for the key: refused, no key byte written */
	memset(bad, 0x11, sizeof(bad));
	EXPECT_EQ(-1, mp_msg_encode(&m, bad, 60));
	for (i = 0; i < 60; i++)
		EXPECT_TRUE(bad[i] == 0 || bad[i] == 0x11) TH_LOG("byte %d", i);

	/* family 0: the port on the host the agent connected to */
	m.u.relay.ep.family = AF_UNSPEC;
	memset(m.u.relay.ep.addr, 0, sizeof(m.u.relay.ep.addr));
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(1 + 32 + 1 + 1 + 2 + 4 + 32 + 4, n);
	EXPECT_EQ(0, buf[34]);
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_EQ(AF_UNSPEC, d.u.relay.ep.family);
	EXPECT_EQ(3501, d.u.relay.ep.port);
	/* IPv6 */
	cand6(&m.u.relay.ep, "2001:db8::5", 3999);
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(1 + 32 + 1 + 1 + 16 + 2 + 4 + 32 + 4, n);
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_STREQ("[2001:db8::5]:3999", mp_candidate_format(&d.u.relay.ep, s));

	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_REMOVED;
	memset(m.u.relay_removed.pubkey, 0xcd, 32);
	m.u.relay_removed.id = 0x0a0b0c0d;
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(1 + 32 + 4, n);
	EXPECT_EQ(0, memcmp(buf + 33, "\x0a\x0b\x0c\x0d", 4));
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_EQ(0x0a0b0c0du, d.u.relay_removed.id);
	for (i = 0; i < n; i++)
		EXPECT_EQ(-1, mp_msg_decode(&d, buf, (size_t)i)) TH_LOG("len %d", i);
	buf[n] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, (size_t)n + 1));
	memset(buf + 33, 0, 4);
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, (size_t)n));
}

/* RELAY_TCP and RELAY_DATA (version 4): bytes as documented, bounds enforced. */
TEST(codec_relay_tcp_messages)
{
	uint8_t buf[MP_MAX_PLAINTEXT], big[MP_RELAY_DATA_MAX + 6];
	struct mp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_TCP;
	m.u.relay_tcp.id = 0x01020304;
	m.u.relay_tcp.on = 1;
	ASSERT_EQ(6, mp_msg_encode(&m, buf, sizeof(buf)));
	EXPECT_EQ(MP_RELAY_TCP, buf[0]);
	EXPECT_EQ(0x01, buf[1]);	/* u32 big-endian, as every integer */
	EXPECT_EQ(0x04, buf[4]);
	EXPECT_EQ(1, buf[5]);
	buf[5] = 2;			/* on is 0 or 1 */
	EXPECT_EQ(-1, mp_msg_decode(&m, buf, 6));
	buf[5] = 0;
	ASSERT_EQ(0, mp_msg_decode(&m, buf, 6));
	EXPECT_EQ(0, m.u.relay_tcp.on);
	memset(buf + 1, 0, 4);		/* id 0 */
	EXPECT_EQ(-1, mp_msg_decode(&m, buf, 6));
	EXPECT_STREQ("RELAY_TCP", mp_type_name(MP_RELAY_TCP));
	EXPECT_STREQ("RELAY_DATA", mp_type_name(MP_RELAY_DATA));

	/* RELAY_DATA: id, then the datagram to the end of the body */
	memset(big, 0x77, sizeof(big));
	big[0] = MP_RELAY_DATA;
	big[1] = big[2] = big[3] = 0;
	big[4] = 5;
	ASSERT_EQ(0, mp_msg_decode(&m, big, 5 + 100));
	EXPECT_EQ(5u, m.u.relay_data.id);
	EXPECT_EQ(100, m.u.relay_data.len);
	EXPECT_EQ(0x77, m.u.relay_data.data[99]);
	ASSERT_EQ(0, mp_msg_decode(&m, big, 5 + MP_RELAY_DATA_MAX));
	EXPECT_EQ(-1, mp_msg_decode(&m, big, 5 + MP_RELAY_DATA_MAX + 1));	/* too long */
	EXPECT_EQ(-1, mp_msg_decode(&m, big, 5));				/* empty */
	EXPECT_EQ(-1, mp_msg_decode(&m, big, 3));				/* short id */
	big[4] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&m, big, 5 + 10));			/* id 0 */
	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_DATA;
	m.u.relay_data.id = 1;
	EXPECT_EQ(-1, mp_msg_encode(&m, buf, sizeof(buf)));		/* nothing to carry */
	m.u.relay_data.len = MP_RELAY_DATA_MAX + 1;
	EXPECT_EQ(-1, mp_msg_encode(&m, buf, sizeof(buf)));
}

/* Every truncation of buf[0..n) and one trailing byte: refused, m wiped. */
static bool refuses_cuts(const uint8_t *buf, int n)
{
	static const uint8_t zero[sizeof(struct mp_msg)];
	uint8_t bad[MP_MAX_PLAINTEXT];
	struct mp_msg d;
	int i;

	for (i = 0; i < n; i++) {
		memset(&d, 0x77, sizeof(d));
		if (mp_msg_decode(&d, buf, (size_t)i) != -1 || memcmp(&d, zero, sizeof(d)))
			return false;
	}
	memcpy(bad, buf, (size_t)n);
	bad[n] = 0;
	return mp_msg_decode(&d, bad, (size_t)n + 1) == -1;
}

/* Version 6: RELAY_HELLO, RELAY_ALLOC, RELAY_FREE, RELAY_LIST, HOME_RELAY. */
TEST(codec_several_relays_messages)
{
	uint8_t buf[MP_MAX_PLAINTEXT], bad[MP_MAX_PLAINTEXT];
	struct mp_msg m, d;
	char s[MP_CAND_STRLEN];
	int n, i;

	/* RELAY_HELLO: version, name, one endpoint (no family 0), lo, hi */
	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_HELLO;
	m.u.relay_hello.version = 6;
	strcpy(m.u.relay_hello.name, "eu");
	cand4(&m.u.relay_hello.ep, "198.51.100.7", 3478);
	m.u.relay_hello.port_lo = 3500;
	m.u.relay_hello.port_hi = 3999;
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(1 + 1 + 1 + 2 + 1 + 1 + 4 + 2 + 2 + 2, n);
	EXPECT_EQ(0, memcmp(buf, "\x12\x06\x02" "eu" "\x01\x04\xc6\x33\x64\x07\x0d\x96"
			    "\x0d\xac\x0f\x9f", (size_t)n));
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_STREQ("eu", d.u.relay_hello.name);
	EXPECT_STREQ("198.51.100.7:3478", mp_candidate_format(&d.u.relay_hello.ep, s));
	EXPECT_EQ(3500, d.u.relay_hello.port_lo);
	EXPECT_EQ(3999, d.u.relay_hello.port_hi);
	EXPECT_TRUE(refuses_cuts(buf, n));
	memcpy(bad, buf, (size_t)n);
	bad[6] = 0;			/* family 0: a relay has an address */
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n - 4));
	memcpy(bad, buf, (size_t)n);
	bad[15] = 0x0d;			/* hi 3500 + ... < lo */
	bad[16] = 0xab;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	memcpy(bad, buf, (size_t)n);
	bad[3] = '-';			/* invalid name */
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	d = m;
	d.u.relay_hello.port_lo = 0;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));
	d = m;
	d.u.relay_hello.port_hi = 3500;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));

	/* RELAY_ALLOC: index, then node, id, key of each side */
	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_ALLOC;
	m.u.relay_alloc.index = 0x0102;
	for (i = 0; i < 2; i++) {
		memset(m.u.relay_alloc.side[i].node, 0xa0 + i, 32);
		m.u.relay_alloc.side[i].id = 0x10203040u + (uint32_t)i;
		memset(m.u.relay_alloc.side[i].key, 0x50 + i, MP_RELAY_KEY_LEN);
	}
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(1 + 2 + 2 * (32 + 4 + 32), n);
	EXPECT_EQ(MP_RELAY_ALLOC, buf[0]);
	EXPECT_EQ(0, memcmp(buf + 1, "\x01\x02", 2));
	EXPECT_EQ(0xa0, buf[3]);
	EXPECT_EQ(0, memcmp(buf + 35, "\x10\x20\x30\x40", 4));
	EXPECT_EQ(0x50, buf[39]);
	EXPECT_EQ(0xa1, buf[71]);
	EXPECT_EQ(0, memcmp(buf + 103, "\x10\x20\x30\x41", 4));
	EXPECT_EQ(0x51, buf[107]);
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_EQ(0, memcmp(&d.u.relay_alloc, &m.u.relay_alloc, sizeof(m.u.relay_alloc)));
	EXPECT_TRUE(refuses_cuts(buf, n));
	memcpy(bad, buf, (size_t)n);
	memset(bad + 103, 0, 4);	/* id 0 */
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	d = m;
	d.u.relay_alloc.side[0].id = 0;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));
	/* a buffer too small for the keys: refused, no key byte written */
	memset(bad, 0x11, sizeof(bad));
	EXPECT_EQ(-1, mp_msg_encode(&m, bad, 80));
	for (i = 0; i < 80; i++)
		EXPECT_TRUE(bad[i] != 0x50) TH_LOG("byte %d", i);

	/* RELAY_FREE: index, id */
	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_FREE;
	m.u.relay_free.index = 7;
	m.u.relay_free.id = 0xcafe;
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(7, n);
	EXPECT_EQ(0, memcmp(buf, "\x14\x00\x07\x00\x00\xca\xfe", 7));
	EXPECT_TRUE(refuses_cuts(buf, n));
	buf[6] = 0;
	buf[5] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, 7));

	/* RELAY_LIST: count, then name and one endpoint (family 0 allowed) */
	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_LIST;
	m.u.relay_list.n = 2;
	strcpy(m.u.relay_list.r[0].name, "coord");
	m.u.relay_list.r[0].ep.family = AF_UNSPEC;
	m.u.relay_list.r[0].ep.port = 3478;
	strcpy(m.u.relay_list.r[1].name, "eu");
	cand6(&m.u.relay_list.r[1].ep, "2001:db8::7", 3478);
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(1 + 1 + (1 + 5 + 1 + 1 + 2) + (1 + 2 + 1 + 1 + 16 + 2), n);
	EXPECT_EQ(0, memcmp(buf, "\x15\x02\x05" "coord" "\x01\x00\x0d\x96\x02" "eu" "\x01\x06", 16));
	ASSERT_EQ(0, mp_msg_decode(&d, buf, (size_t)n));
	EXPECT_EQ(2, d.u.relay_list.n);
	EXPECT_EQ(AF_UNSPEC, d.u.relay_list.r[0].ep.family);
	EXPECT_STREQ("[2001:db8::7]:3478", mp_candidate_format(&d.u.relay_list.r[1].ep, s));
	EXPECT_TRUE(refuses_cuts(buf, n));
	memcpy(bad, buf, (size_t)n);
	bad[1] = MP_MAX_RELAYS + 1;	/* too many */
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	memcpy(bad, buf, (size_t)n);
	bad[2] = 0;			/* empty name */
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	buf[1] = 0;			/* the empty list */
	ASSERT_EQ(0, mp_msg_decode(&d, buf, 2));
	EXPECT_EQ(0, d.u.relay_list.n);
	d = m;
	d.u.relay_list.n = MP_MAX_RELAYS + 1;
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));
	d = m;
	d.u.relay_list.r[1].name[0] = '\0';
	EXPECT_EQ(-1, mp_msg_encode(&d, bad, sizeof(bad)));

	/* HOME_RELAY: name (empty: none), RTT in microseconds */
	memset(&m, 0, sizeof(m));
	m.type = MP_HOME_RELAY;
	strcpy(m.u.home_relay.name, "eu");
	m.u.home_relay.rtt_us = 0x00012345;
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_EQ(8, n);
	EXPECT_EQ(0, memcmp(buf, "\x16\x02" "eu" "\x00\x01\x23\x45", 8));
	EXPECT_TRUE(refuses_cuts(buf, n));
	ASSERT_EQ(0, mp_msg_decode(&d, (const uint8_t *)"\x16\x00\0\0\0\0", 6));
	EXPECT_STREQ("", d.u.home_relay.name);
	EXPECT_EQ(-1, mp_msg_decode(&d, (const uint8_t *)"\x16\x01.\0\0\0\0", 7));
	EXPECT_STREQ("RELAY_HELLO", mp_type_name(MP_RELAY_HELLO));
	EXPECT_STREQ("HOME_RELAY", mp_type_name(MP_HOME_RELAY));
	EXPECT_STREQ("?", mp_type_name(MP_HOME_RELAY + 1));
}

TEST(codec_rejects_malformed)
{
	uint8_t buf[512], bad[512];
	struct mp_msg m = { .type = MP_CANDIDATES }, d;
	int n, i;

	m.u.cand.n = 1;
	cand4(&m.u.cand.c[0], "192.0.2.1", 1);
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	/* every truncation fails */
	for (i = 0; i < n; i++)
		EXPECT_EQ(-1, mp_msg_decode(&d, buf, (size_t)i)) TH_LOG("len %d", i);
	/* one byte more is the candidate's kind (version 7); two are garbage */
	memcpy(bad, buf, (size_t)n);
	bad[n] = WGM_CANDIDATE_KIND_PORTMAP;
	bad[n + 1] = 0;
	ASSERT_EQ(0, mp_msg_decode(&d, bad, (size_t)n + 1));
	EXPECT_TRUE(d.u.cand.kinds);
	EXPECT_EQ(WGM_CANDIDATE_KIND_PORTMAP, d.u.cand.c[0].kind);
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n + 2));
	/* bad family */
	memcpy(bad, buf, (size_t)n);
	bad[2] = 5;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	/* port 0 */
	memcpy(bad, buf, (size_t)n);
	bad[n - 1] = 0;
	bad[n - 2] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	/* too many candidates claimed */
	memcpy(bad, buf, (size_t)n);
	bad[1] = MP_MAX_CANDIDATES + 1;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, (size_t)n));
	/* unknown type */
	bad[0] = 0;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, 1));
	bad[0] = 200;
	EXPECT_EQ(-1, mp_msg_decode(&d, bad, 1));
	/* a NUL inside a string */
	memset(&m, 0, sizeof(m));
	m.type = MP_HELLO;
	strcpy(m.u.hello.name, "abc");
	n = mp_msg_encode(&m, buf, sizeof(buf));
	ASSERT_GT(n, 0);
	buf[4] = 0;		/* type, version, len, 'a' -> NUL */
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, (size_t)n));
	/* a name longer than allowed */
	buf[2] = MP_NAME_MAX + 1;
	EXPECT_EQ(-1, mp_msg_decode(&d, buf, (size_t)n));
	/* encoder refuses too many candidates */
	memset(&m, 0, sizeof(m));
	m.type = MP_CANDIDATES;
	m.u.cand.n = MP_MAX_CANDIDATES + 1;
	EXPECT_EQ(-1, mp_msg_encode(&m, buf, sizeof(buf)));
	/* and a too-small buffer */
	m.u.cand.n = 0;
	EXPECT_EQ(-1, mp_msg_encode(&m, buf, 1));
}

/*
 * Random bodies (with a valid type byte half of the time): decoding never
 * crashes (ASan/UBSan watch), and whatever decodes re-encodes to exactly
 * the same bytes, so the encoding is canonical and nothing is ignored.
 */
TEST(codec_random_input_is_rejected_or_canonical)
{
	uint8_t buf[600], again[MP_MAX_PLAINTEXT];
	struct mp_msg m;
	int i, ok = 0;

	for (i = 0; i < 50000; i++) {
		size_t len = randombytes_uniform(sizeof(buf) + 1);

		randombytes_buf(buf, len);
		if (len && (i & 1))
			buf[0] = (uint8_t)(1 + randombytes_uniform(MP_RELAY_DATA));
		if (len > 1 && (i & 2))
			buf[1] = (uint8_t)randombytes_uniform(4);	/* short counts */
		if (mp_msg_decode(&m, buf, len) == 0) {
			int n = mp_msg_encode(&m, again, sizeof(again));

			ASSERT_EQ((int)len, n);
			ASSERT_EQ(0, memcmp(buf, again, len));
			ok++;
		}
	}
	/* fixed-size bodies (PING, PEER_REMOVED, ...) do decode sometimes */
	EXPECT_GT(ok, 0);
}

TEST(names_and_candidates_text)
{
	struct mp_candidate c;
	char s[MP_CAND_STRLEN];

	EXPECT_TRUE(mp_name_valid("a"));
	EXPECT_TRUE(mp_name_valid("host-1.example_x"));
	EXPECT_FALSE(mp_name_valid(""));
	EXPECT_FALSE(mp_name_valid("-a"));
	EXPECT_FALSE(mp_name_valid(".a"));
	EXPECT_FALSE(mp_name_valid("a b"));
	EXPECT_FALSE(mp_name_valid("a/b"));
	EXPECT_FALSE(mp_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	EXPECT_TRUE(mp_name_valid("012345678901234567890123456789012345678901234567890123456789012"));

	ASSERT_EQ(0, mp_candidate_parse(&c, "192.0.2.9:7"));
	EXPECT_STREQ("192.0.2.9:7", mp_candidate_format(&c, s));
	ASSERT_EQ(0, mp_candidate_parse(&c, "[fd00::1:2]:65535"));
	EXPECT_STREQ("[fd00::1:2]:65535", mp_candidate_format(&c, s));
	EXPECT_EQ(-1, mp_candidate_parse(&c, "192.0.2.9:0"));
	EXPECT_EQ(-1, mp_candidate_parse(&c, "192.0.2.9:65536"));
	EXPECT_EQ(-1, mp_candidate_parse(&c, "192.0.2.9"));
	EXPECT_EQ(-1, mp_candidate_parse(&c, "fd00::1:5"));
	EXPECT_EQ(-1, mp_candidate_parse(&c, "[fd00::1]5"));
	EXPECT_EQ(-1, mp_candidate_parse(&c, "host:5"));
}

struct hs_pair {
	uint8_t spriv[32], spub[32], cpriv[32], cpub[32];
	struct mp_chan cc, sc;
	uint8_t learned[32];
};

static int do_handshake(struct hs_pair *p, const uint8_t *pinned)
{
	struct mp_hs_client hs;
	uint8_t m1[MP_HS1_LEN], m2[MP_HS2_LEN];

	if (mp_hs_client_start(&hs, p->cpriv, pinned, m1))
		return -1;
	if (mp_hs_server(p->spriv, p->spub, m1, m2, &p->sc, p->learned))
		return -2;
	if (mp_hs_client_finish(&hs, m2, &p->cc))
		return -3;
	return 0;
}

TEST(handshake_roundtrip)
{
	struct hs_pair p;
	uint8_t frame[256], pt[256];
	int n, i;

	ASSERT_EQ(0, mp_init());
	ct_keypair(p.spriv, p.spub);
	ct_keypair(p.cpriv, p.cpub);
	ASSERT_EQ(0, do_handshake(&p, p.spub));
	/* the service learned the node's key; keys cross over */
	EXPECT_EQ(0, memcmp(p.learned, p.cpub, 32));
	EXPECT_EQ(0, memcmp(p.cc.tx_key, p.sc.rx_key, 32));
	EXPECT_EQ(0, memcmp(p.cc.rx_key, p.sc.tx_key, 32));
	EXPECT_NE(0, memcmp(p.cc.tx_key, p.cc.rx_key, 32));
	/* both directions, several frames */
	for (i = 0; i < 5; i++) {
		n = mp_chan_seal(&p.cc, (const uint8_t *)"hello", 5, frame, sizeof(frame));
		ASSERT_EQ(4 + 5 + MP_TAG_LEN, n);
		ASSERT_EQ(5, mp_chan_open(&p.sc, frame + 4, (size_t)n - 4, pt, sizeof(pt)));
		EXPECT_EQ(0, memcmp(pt, "hello", 5));
		n = mp_chan_seal(&p.sc, (const uint8_t *)"hi", 2, frame, sizeof(frame));
		ASSERT_EQ(2, mp_chan_open(&p.cc, frame + 4, (size_t)n - 4, pt, sizeof(pt)));
	}
}

TEST(handshake_fresh_keys_each_time)
{
	struct hs_pair a, b;

	ct_keypair(a.spriv, a.spub);
	ct_keypair(a.cpriv, a.cpub);
	b = a;
	ASSERT_EQ(0, do_handshake(&a, a.spub));
	ASSERT_EQ(0, do_handshake(&b, b.spub));
	EXPECT_NE(0, memcmp(a.cc.tx_key, b.cc.tx_key, 32));
}

TEST(handshake_wrong_pinned_key_fails)
{
	struct hs_pair p;
	uint8_t other_priv[32], other_pub[32];

	ct_keypair(p.spriv, p.spub);
	ct_keypair(p.cpriv, p.cpub);
	ct_keypair(other_priv, other_pub);
	/* the client pinned another key: the service cannot read msg1 */
	EXPECT_EQ(-2, do_handshake(&p, other_pub));
	/* a low-order (all-zero) pinned key is refused by the client */
	memset(other_pub, 0, 32);
	EXPECT_EQ(-1, do_handshake(&p, other_pub));
}

TEST(handshake_tampering_detected)
{
	struct hs_pair p;
	struct mp_hs_client hs;
	uint8_t m1[MP_HS1_LEN], m2[MP_HS2_LEN], bad[MP_HS1_LEN];
	size_t i;

	ct_keypair(p.spriv, p.spub);
	ct_keypair(p.cpriv, p.cpub);
	ASSERT_EQ(0, mp_hs_client_start(&hs, p.cpriv, p.spub, m1));
	for (i = 0; i < MP_HS1_LEN; i++) {
		memcpy(bad, m1, sizeof(bad));
		bad[i] ^= 0x01;
		EXPECT_NE(0, mp_hs_server(p.spriv, p.spub, bad, m2, &p.sc, p.learned))
			TH_LOG("flip in msg1 byte %zu accepted", i);
	}
	ASSERT_EQ(0, mp_hs_server(p.spriv, p.spub, m1, m2, &p.sc, p.learned));
	m2[MP_HS2_LEN - 1] ^= 0x80;
	EXPECT_EQ(-1, mp_hs_client_finish(&hs, m2, &p.cc));
}

TEST(handshake_replayed_msg1_gives_unusable_channel)
{
	/* An attacker replaying msg1 gets a msg2 but cannot seal a frame. */
	struct hs_pair p;
	struct mp_hs_client hs;
	struct mp_chan attacker;
	uint8_t m1[MP_HS1_LEN], m2[MP_HS2_LEN], frame[64], pt[64];
	int n;

	ct_keypair(p.spriv, p.spub);
	ct_keypair(p.cpriv, p.cpub);
	ASSERT_EQ(0, mp_hs_client_start(&hs, p.cpriv, p.spub, m1));
	ASSERT_EQ(0, mp_hs_server(p.spriv, p.spub, m1, m2, &p.sc, p.learned));
	ASSERT_EQ(0, mp_hs_client_finish(&hs, m2, &p.cc));
	/* replay: the service answers with a new ephemeral */
	ASSERT_EQ(0, mp_hs_server(p.spriv, p.spub, m1, m2, &p.sc, p.learned));
	/* the old client keys (best an attacker could have) do not open */
	attacker = p.cc;
	n = mp_chan_seal(&attacker, (const uint8_t *)"x", 1, frame, sizeof(frame));
	EXPECT_EQ(-1, mp_chan_open(&p.sc, frame + 4, (size_t)n - 4, pt, sizeof(pt)));
}

TEST(channel_rejects_tamper_replay_reorder)
{
	struct hs_pair p;
	uint8_t f1[64], f2[64], pt[64];
	int n1, n2;

	ct_keypair(p.spriv, p.spub);
	ct_keypair(p.cpriv, p.cpub);
	ASSERT_EQ(0, do_handshake(&p, p.spub));
	n1 = mp_chan_seal(&p.cc, (const uint8_t *)"one", 3, f1, sizeof(f1));
	n2 = mp_chan_seal(&p.cc, (const uint8_t *)"two", 3, f2, sizeof(f2));
	/* out of order */
	EXPECT_EQ(-1, mp_chan_open(&p.sc, f2 + 4, (size_t)n2 - 4, pt, sizeof(pt)));
	/* flipped bit */
	f1[5] ^= 1;
	EXPECT_EQ(-1, mp_chan_open(&p.sc, f1 + 4, (size_t)n1 - 4, pt, sizeof(pt)));
	f1[5] ^= 1;
	/* truncated */
	EXPECT_EQ(-1, mp_chan_open(&p.sc, f1 + 4, (size_t)n1 - 5, pt, sizeof(pt)));
	EXPECT_EQ(3, mp_chan_open(&p.sc, f1 + 4, (size_t)n1 - 4, pt, sizeof(pt)));
	/* replay of a frame already accepted */
	EXPECT_EQ(-1, mp_chan_open(&p.sc, f1 + 4, (size_t)n1 - 4, pt, sizeof(pt)));
	EXPECT_EQ(3, mp_chan_open(&p.sc, f2 + 4, (size_t)n2 - 4, pt, sizeof(pt)));
	/* a frame reflected back to its sender does not open */
	n1 = mp_chan_seal(&p.cc, (const uint8_t *)"me", 2, f1, sizeof(f1));
	EXPECT_EQ(-1, mp_chan_open(&p.cc, f1 + 4, (size_t)n1 - 4, pt, sizeof(pt)));
	/* too large for one frame */
	EXPECT_EQ(-1, mp_chan_seal(&p.cc, pt, MP_MAX_PLAINTEXT + 1, f1, sizeof(f1)));
}

/* Two established mp_conns over a socketpair. */
static void conn_pair(struct mp_conn *a, struct mp_conn *b, size_t wmax)
{
	struct hs_pair p;
	int sv[2];

	ct_keypair(p.spriv, p.spub);
	ct_keypair(p.cpriv, p.cpub);
	if (do_handshake(&p, p.spub) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		abort();
	mp_conn_init(a, sv[0], wmax);
	mp_conn_init(b, sv[1], wmax);
	a->chan = p.cc;
	b->chan = p.sc;
	a->established = b->established = true;
}

TEST(conn_messages_and_byte_by_byte_frames)
{
	struct mp_conn a, b;
	struct mp_msg m, r;
	struct mp_err e;
	size_t i, total;
	int got = 0, rr;

	conn_pair(&a, &b, 1 << 16);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mp_send_ping(&a, 100 + i, &e));
	}
	total = a.wlen;
	/* push the queue one byte at a time: the reader waits, then gets 3 */
	for (i = 0; i < total; i++) {
		ASSERT_EQ(1, (int)write(a.fd, a.wbuf + i, 1));
		while ((rr = mp_conn_recv(&b, &r, &e)) == 1) {
			EXPECT_EQ(MP_PING, r.type);
			EXPECT_EQ(100u + got, r.u.token);
			got++;
		}
		ASSERT_EQ(0, rr);
	}
	EXPECT_EQ(3, got);
	a.wlen = 0;
	/* a normal exchange through the queue */
	memset(&m, 0, sizeof(m));
	m.type = MP_SYNC_END;
	ASSERT_EQ(0, mp_conn_send(&b, &m, &e));
	ASSERT_EQ(0, mp_conn_flush(&b, &e));
	ASSERT_EQ(1, mp_conn_recv(&a, &r, &e));
	EXPECT_EQ(MP_SYNC_END, r.type);
	EXPECT_EQ(0, mp_conn_recv(&a, &r, &e));
	/* EOF */
	mp_conn_close(&b);
	EXPECT_EQ(-1, mp_conn_recv(&a, &r, &e));
	mp_conn_close(&a);
}

/*
 * Frames of every size, sent in one burst: the reader takes them in
 * order from whole-buffer reads, stops after a budget with frames still
 * buffered (mp_conn_ready says so; poll would not: the socket is empty),
 * and a frame split across the end of the buffer comes out whole.  On
 * EOF the buffered frames come first.
 */
TEST(conn_buffered_frames_survive_budget_and_eof)
{
	struct mp_conn a, b;
	struct mp_msg m, r;
	struct mp_err e;
	struct pollfd pfd;
	int i, got = 0, rr;

	conn_pair(&a, &b, 1 << 20);
	for (i = 0; i < 200; i++) {
		memset(&m, 0, sizeof(m));
		m.type = MP_RELAY_DATA;
		m.u.relay_data.id = (uint32_t)i + 1;
		m.u.relay_data.len = (uint16_t)(1 + (i * 613) % MP_RELAY_DATA_MAX);
		memset(m.u.relay_data.data, i & 0xff, m.u.relay_data.len);
		ASSERT_EQ(0, mp_conn_send(&a, &m, &e));
	}
	ASSERT_EQ(0, mp_conn_flush(&a, &e));
	mp_conn_close(&a);	/* EOF follows the frames */
	while (got < 200) {
		/* a budget of 3, as the service's loop has one */
		for (i = 0; i < 3 && got < 200; i++) {
			rr = mp_conn_recv(&b, &r, &e);
			ASSERT_EQ(1, rr);
			ASSERT_EQ(MP_RELAY_DATA, r.type);
			ASSERT_EQ((uint32_t)got + 1, r.u.relay_data.id);
			ASSERT_EQ(1 + (got * 613) % MP_RELAY_DATA_MAX, r.u.relay_data.len);
			EXPECT_EQ(got & 0xff, r.u.relay_data.data[r.u.relay_data.len - 1]);
			got++;
			/* the first read took the second frame too */
			if (got == 1)
				EXPECT_TRUE(mp_conn_ready(&b));
		}
		if (mp_conn_ready(&b))
			continue;
		/* nothing whole is buffered: the socket has the rest, or EOF */
		pfd = (struct pollfd){ .fd = b.fd, .events = POLLIN };
		EXPECT_EQ(1, poll(&pfd, 1, 0));
	}
	EXPECT_FALSE(mp_conn_ready(&b));
	EXPECT_EQ(-1, mp_conn_recv(&b, &r, &e));
	EXPECT_EQ(0, b.rlen);	/* "closed", not "closed mid-frame" */
	EXPECT_EQ(200, got);
	mp_conn_close(&b);
}

/* A frame cut by EOF: the frames before it arrive, then "mid-frame". */
TEST(conn_frame_cut_by_eof)
{
	struct mp_conn a, b;
	struct mp_msg r;
	struct mp_err e;

	conn_pair(&a, &b, 1 << 16);
	ASSERT_EQ(0, mp_send_ping(&a, 7, &e));
	ASSERT_EQ(0, mp_send_ping(&a, 8, &e));
	ASSERT_LT(0, (int)write(a.fd, a.wbuf, a.wlen - 5));
	a.wlen = 0;
	mp_conn_close(&a);
	ASSERT_EQ(1, mp_conn_recv(&b, &r, &e));
	EXPECT_EQ(7u, r.u.token);
	EXPECT_FALSE(mp_conn_ready(&b));
	EXPECT_EQ(-1, mp_conn_recv(&b, &r, &e));
	EXPECT_NE(NULL, strstr(e.msg, "mid-frame"));
	mp_conn_close(&b);
}

TEST(conn_oversized_and_garbage_frames)
{
	struct mp_conn a, b;
	struct mp_msg r;
	struct mp_err e;
	uint8_t hdr[4] = { 0, 1, 0, 0 };	/* 65536 > MP_MAX_FRAME */
	uint8_t junk[40] = { 0, 0, 0, 36 };

	conn_pair(&a, &b, 1 << 16);
	ASSERT_EQ(4, (int)write(a.fd, hdr, 4));
	EXPECT_EQ(-1, mp_conn_recv(&b, &r, &e));
	EXPECT_EQ(MP_ERR_PROTO, e.code);
	mp_conn_close(&a);
	mp_conn_close(&b);

	conn_pair(&a, &b, 1 << 16);
	memset(hdr, 0, 4);	/* zero-length frame */
	ASSERT_EQ(4, (int)write(a.fd, hdr, 4));
	EXPECT_EQ(-1, mp_conn_recv(&b, &r, &e));
	mp_conn_close(&a);
	mp_conn_close(&b);

	conn_pair(&a, &b, 1 << 16);
	randombytes_buf(junk + 4, 36);
	ASSERT_EQ(40, (int)write(a.fd, junk, 40));
	EXPECT_EQ(-1, mp_conn_recv(&b, &r, &e));
	EXPECT_EQ(MP_ERR_PROTO, e.code);
	mp_conn_close(&a);
	mp_conn_close(&b);
}

/*
 * Version 8: relayed datagrams in clear frames, between sealed messages,
 * both ways; the channel's nonces are not used by them, so the sealed
 * frames around them still open.  Without the version a clear frame
 * goes sealed, as RELAY_DATA.
 */
TEST(conn_clear_relay_frames)
{
	uint8_t pkt[MP_RELAY_DATA_MAX];
	struct mp_conn a, b;
	struct mp_msg r;
	struct mp_err e;
	size_t sealed;
	int i;

	conn_pair(&a, &b, 1 << 20);
	a.clear_relay = b.clear_relay = true;
	for (i = 0; i < 50; i++) {
		size_t len = 1 + ((size_t)i * 97) % MP_RELAY_DATA_MAX;

		if (i == 49)
			len = MP_RELAY_DATA_MAX;
		memset(pkt, i, len);
		ASSERT_EQ(0, mp_send_ping(&a, 1000 + i, &e));
		ASSERT_EQ(0, mp_conn_send_relay(&a, 7 + i, pkt, len, &e));
		/* 4-byte length with the clear bit, the id, the datagram */
		ASSERT_EQ(0x80, a.wbuf[a.wlen - len - 8]);
	}
	ASSERT_EQ(0, mp_conn_flush(&a, &e));
	for (i = 0; i < 50; i++) {
		size_t len = i == 49 ? MP_RELAY_DATA_MAX : 1 + ((size_t)i * 97) % MP_RELAY_DATA_MAX;

		ASSERT_EQ(1, mp_conn_recv(&b, &r, &e)) TH_LOG("%s", e.msg);
		ASSERT_EQ(MP_PING, r.type);
		EXPECT_EQ(1000u + i, r.u.token);
		ASSERT_EQ(1, mp_conn_recv(&b, &r, &e)) TH_LOG("%s", e.msg);
		ASSERT_EQ(MP_RELAY_DATA, r.type);
		EXPECT_EQ(7u + i, r.u.relay_data.id);
		ASSERT_EQ(len, r.u.relay_data.len);
		EXPECT_EQ(i, r.u.relay_data.data[0]);
		EXPECT_EQ(i, r.u.relay_data.data[len - 1]);
	}
	EXPECT_EQ(0, mp_conn_recv(&b, &r, &e));
	/* out of range, refused before anything is queued */
	EXPECT_EQ(-1, mp_conn_send_relay(&a, 7, pkt, 0, &e));
	EXPECT_EQ(-1, mp_conn_send_relay(&a, 7, pkt, MP_RELAY_DATA_MAX + 1, &e));
	EXPECT_EQ(-1, mp_conn_send_relay(&a, 0, pkt, 10, &e));
	EXPECT_EQ(0u, a.wlen);
	mp_conn_close(&a);
	mp_conn_close(&b);

	/* not agreed: the same call seals a RELAY_DATA */
	conn_pair(&a, &b, 1 << 16);
	memset(pkt, 0x5a, 100);
	ASSERT_EQ(0, mp_conn_send_relay(&a, 9, pkt, 100, &e));
	sealed = a.wlen;
	EXPECT_EQ(4 + 1 + 4 + 100 + MP_TAG_LEN, sealed);
	EXPECT_EQ(0, a.wbuf[0]);
	ASSERT_EQ(0, mp_conn_flush(&a, &e));
	ASSERT_EQ(1, mp_conn_recv(&b, &r, &e));
	EXPECT_EQ(MP_RELAY_DATA, r.type);
	EXPECT_EQ(9u, r.u.relay_data.id);
	EXPECT_EQ(100, r.u.relay_data.len);
	mp_conn_close(&a);
	mp_conn_close(&b);
}

/*
 * A clear frame where none was agreed, or that is not a relayed
 * datagram (no room for the id and a byte, side 0, above the datagram
 * limit), closes the connection as a protocol error.
 */
TEST(conn_bad_clear_frames)
{
	static const struct {
		bool agreed;
		uint32_t len;
		uint32_t id;
	} bad[] = {
		{ false, 4 + 20, 5 },			/* not agreed */
		{ true, 4, 5 },				/* id, no datagram */
		{ true, 3, 5 },				/* not even an id */
		{ true, 4 + 20, 0 },			/* side 0 */
		{ true, 4 + MP_RELAY_DATA_MAX + 1, 5 },	/* too long */
		{ true, MP_MAX_FRAME + 1, 5 },		/* longer than a frame */
	};
	uint8_t f[8 + MP_MAX_FRAME + 1] = { 0 };
	struct mp_conn a, b;
	struct mp_msg r;
	struct mp_err e;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t w = bad[i].len | MP_FRAME_CLEAR;

		conn_pair(&a, &b, 1 << 16);
		b.clear_relay = bad[i].agreed;
		f[0] = w >> 24;
		f[1] = w >> 16;
		f[2] = w >> 8;
		f[3] = w;
		f[4] = bad[i].id >> 24;
		f[5] = bad[i].id >> 16;
		f[6] = bad[i].id >> 8;
		f[7] = bad[i].id;
		ASSERT_EQ((int)(4 + bad[i].len),
			  (int)write(a.fd, f, 4 + bad[i].len));
		EXPECT_EQ(-1, mp_conn_recv(&b, &r, &e)) TH_LOG("case %u", i);
		EXPECT_EQ(MP_ERR_PROTO, e.code);
		mp_conn_close(&a);
		mp_conn_close(&b);
	}
}

TEST(conn_send_queue_is_bounded)
{
	struct mp_conn a, b;
	struct mp_err e;
	int i, r = 0;

	conn_pair(&a, &b, 4096);
	/* nobody reads b: the queue fills and then refuses */
	for (i = 0; i < 10000 && r == 0; i++) {
		r = mp_send_ping(&a, (uint64_t)i, &e);
		if (r == 0)
			mp_conn_flush(&a, &e);
	}
	EXPECT_EQ(-1, r);
	EXPECT_LE(a.wlen, 4096u);
	mp_conn_close(&a);
	mp_conn_close(&b);
}

/* issue 16 (scale): a full peer list's queue was kept for the connection's life */
TEST(conn_large_queue_is_released_once_sent)
{
	struct mp_conn a, b;
	struct mp_msg m;
	struct mp_err e;
	int i, got = 0, r;

	conn_pair(&a, &b, 1 << 20);
	for (i = 0; i < 5000; i++)
		ASSERT_EQ(0, mp_send_ping(&a, (uint64_t)i, &e));
	ASSERT_LT(MP_WBUF_KEEP, a.wcap);
	while (mp_conn_want_write(&a)) {
		ASSERT_LE(0, mp_conn_flush(&a, &e));
		while ((r = mp_conn_recv(&b, &m, &e)) == 1)
			got++;
		ASSERT_EQ(0, r);
	}
	EXPECT_EQ(0u, a.wcap);
	EXPECT_EQ(NULL, a.wbuf);
	/* and the connection carries on */
	ASSERT_EQ(0, mp_send_ping(&a, 1, &e));
	ASSERT_EQ(0, mp_conn_flush(&a, &e));
	while ((r = mp_conn_recv(&b, &m, &e)) == 0)
		;
	EXPECT_EQ(1, r);
	EXPECT_EQ(5000, got);
	mp_conn_close(&a);
	mp_conn_close(&b);
}

TEST(candidate_sockaddr_roundtrip)
{
	struct sockaddr_storage ss;
	struct mp_candidate c, d;

	cand6(&c, "2001:db8::5", 9);
	ASSERT_EQ(sizeof(struct sockaddr_in6), mp_candidate_to_sockaddr(&c, &ss));
	ASSERT_EQ(0, mp_candidate_from_sockaddr(&d, (struct sockaddr *)&ss));
	EXPECT_TRUE(mp_candidate_equal(&c, &d));
	cand4(&c, "203.0.113.4", 12345);
	ASSERT_EQ(sizeof(struct sockaddr_in), mp_candidate_to_sockaddr(&c, &ss));
	EXPECT_EQ(htons(12345), ((struct sockaddr_in *)&ss)->sin_port);
	ASSERT_EQ(0, mp_candidate_from_sockaddr(&d, (struct sockaddr *)&ss));
	EXPECT_TRUE(mp_candidate_equal(&c, &d));
	d.port++;
	EXPECT_FALSE(mp_candidate_equal(&c, &d));
}

TEST_HARNESS_MAIN
