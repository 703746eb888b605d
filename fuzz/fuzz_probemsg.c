// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe messages (kernel/probemsg.c, built in userspace through
 * selftests/unit/kshim.h): what wgm_probe_receive() does with a 64-byte
 * UDP payload of type 0xE1/0xE2, and the anti-replay window.
 *
 * Input: a mode byte, then the rest.
 *   mode bit 7 clear: the rest is a received message (any length).
 *     bit 0: the fuzzer gets past the mac: the target writes the right
 *            mac (a forger cannot, but the bytes behind it must be safe)
 *     bit 1: ... and the right sender id
 *     bit 2: B receives (from A) instead of A (from B)
 *   mode bit 7 set: the rest is a list of 8-byte request counters given
 *     to wgm_probemsg_window_check(), each compared with a model (the set
 *     of counters accepted so far).
 *
 * Keys and challenges are the unit test's (selftests/unit/probemsg_test.c),
 * so its vectors are the seeds: A's current challenge is CH_A, B's CH_B
 * (a reply's mac binds the receiver's challenge).  Checked: no out-of-bounds access, the
 * authenticated fields round-trip through wgm_probemsg_build_reply(), an
 * accepted counter is never accepted again, the window matches the model.
 */
#include "probemsg.c"

#include "fuzz.h"

#define CH_A 0x1112131415161718ULL
#define CH_B 0x2122232425262728ULL

struct keyset {
	struct wgm_probemsg_keys a, b;	/* A's and B's views of the pair */
};

static const struct keyset *keyset(void)
{
	static struct keyset ks;
	static bool done;
	u8 dh[32], psk[32], pa[32], pb[32];
	int i;

	if (done)
		return &ks;
	for (i = 0; i < 32; i++) {
		dh[i] = i + 1;
		psk[i] = 0x55;
		pa[i] = 0xa0 + i % 16;
		pb[i] = 0x10 + i;
	}
	FUZZ_CHECK(wgm_probemsg_derive(&ks.a, dh, psk, pa, pb));
	FUZZ_CHECK(wgm_probemsg_derive(&ks.b, dh, psk, pb, pa));
	done = true;
	return &ks;
}

static void check_message(u8 mode, u8 *buf, size_t len)
{
	const struct keyset *ks = keyset();
	const struct wgm_probemsg_keys *me = mode & 4 ? &ks->b : &ks->a;
	const struct wgm_probemsg_keys *them = mode & 4 ? &ks->a : &ks->b;
	u64 my_chal = mode & 4 ? CH_B : CH_A;
	struct wgm_probemsg_window w = { 0 };
	struct wgm_probemsg_ring ring = { 0 };
	struct sockaddr_storage ss, ss2;
	struct wgm_probemsg msg, msg2;
	u8 type, id[WGM_PROBEMSG_ID_LEN], again[WGM_PROBEMSG_LEN];
	bool peeked;
	u64 rtt;

	if (len == WGM_PROBEMSG_LEN && (mode & 2))
		memcpy(buf + WGM_PROBEMSG_OFF_ID, them->local_id, WGM_PROBEMSG_ID_LEN);
	if (len == WGM_PROBEMSG_LEN && (mode & 1))
		wgm_probemsg_mac(buf + WGM_PROBEMSG_MAC_OFF, buf, them,
				 buf[0] == WGM_PROBEMSG_TYPE_REPLY, my_chal);

	peeked = wgm_probemsg_peek(buf, len, &type, id);
	if (!wgm_probemsg_verify(buf, len, me, my_chal, &msg)) {
		FUZZ_CHECK(!(mode & 3) || !peeked || len != WGM_PROBEMSG_LEN ||
			   (mode & 3) != 3);
		return;
	}
	FUZZ_CHECK(peeked && len == WGM_PROBEMSG_LEN && msg.type == type);
	FUZZ_CHECK(!memcmp(msg.sender_id, me->remote_id, WGM_PROBEMSG_ID_LEN));

	/* a counter is accepted at most once, and a sent one matched once */
	if (wgm_probemsg_window_check(&w, msg.counter))
		FUZZ_CHECK(!wgm_probemsg_window_check(&w, msg.counter));
	else
		FUZZ_CHECK(msg.counter == 0);
	wgm_probemsg_ring_add(&ring, msg.echoed, 1);
	FUZZ_CHECK(wgm_probemsg_ring_match(&ring, msg.echoed, 2, &rtt) == (msg.echoed != 0));
	FUZZ_CHECK(!wgm_probemsg_ring_match(&ring, msg.echoed, 3, &rtt));

	if (type != WGM_PROBEMSG_TYPE_REPLY) {
		FUZZ_CHECK(wgm_probemsg_observed(&msg, (struct sockaddr *)&ss, sizeof(ss)) == -EINVAL);
		return;
	}
	if (wgm_probemsg_observed(&msg, (struct sockaddr *)&ss, sizeof(ss))) {
		FUZZ_CHECK(msg.observed_family != AF_INET && msg.observed_family != AF_INET6);
		return;
	}
	/* too little room is refused, never overrun */
	FUZZ_CHECK(wgm_probemsg_observed(&msg, (struct sockaddr *)&ss2,
					 sizeof(struct sockaddr_in) - 1) == -EINVAL);
	/* what the reply said survives being said again */
	FUZZ_CHECK(!wgm_probemsg_build_reply(again, them, msg.counter, msg.echoed,
					     (struct sockaddr *)&ss, my_chal));
	FUZZ_CHECK(wgm_probemsg_verify(again, sizeof(again), me, my_chal, &msg2));
	/* bound to the requester's challenge: no other one verifies it */
	FUZZ_CHECK(!wgm_probemsg_verify(again, sizeof(again), me, my_chal + 1, &msg2));
	FUZZ_CHECK(!wgm_probemsg_observed(&msg2, (struct sockaddr *)&ss2, sizeof(ss2)));
	FUZZ_CHECK(msg2.counter == msg.counter && msg2.echoed == msg.echoed);
	FUZZ_CHECK(ss2.ss_family == ss.ss_family);
	FUZZ_CHECK(!memcmp(&ss, &ss2, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
							       sizeof(struct sockaddr_in6)));
}

/* The window against a model: every counter accepted so far. */
static void check_window(const u8 *p, size_t len)
{
	struct wgm_probemsg_window w = { 0 };
	u64 *accepted, newest = 0, c;
	size_t n = 0, i;
	bool want, seen;

	accepted = calloc(len / 8 + 1, sizeof(*accepted));
	FUZZ_CHECK(accepted);
	for (; len >= 8; p += 8, len -= 8) {
		c = wgm_probemsg_get_le64(p);
		/* small steps are what the window is about: bias towards them */
		if (!(c >> 56))
			c = newest + (u64)(s64)(s8)(c & 0xff);
		for (seen = false, i = 0; i < n; i++)
			seen |= accepted[i] == c;
		want = c && !seen && (c > newest || newest - c < WGM_PROBEMSG_WINDOW);
		FUZZ_CHECK(wgm_probemsg_window_check(&w, c) == want);
		if (want) {
			accepted[n++] = c;
			if (c > newest)
				newest = c;
		}
	}
	free(accepted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *buf;

	if (!size)
		return 0;
	if (data[0] & 0x80) {
		check_window(data + 1, size - 1);
		return 0;
	}
	/* a private exact-size copy: the target may fix the mac in it */
	buf = malloc(size - 1 ? size - 1 : 1);
	FUZZ_CHECK(buf);
	memcpy(buf, data + 1, size - 1);
	check_message(data[0], buf, size - 1);
	free(buf);
	return 0;
}

/*
 * selftests/unit/probemsg_test.c: request from A, counter
 * 0x0102030405060708, challenge CH_A, echo CH_B
 */
static const u8 vec_req[64] = {
	0xe1, 0x77, 0x67, 0x6d, 0xd3, 0xaa, 0xe1, 0x63, 0x41, 0x2d, 0x1c, 0x2e,
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 0x28, 0x27, 0x26, 0x25,
	0x24, 0x23, 0x22, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xbf, 0xc0, 0x57, 0xb9, 0x34, 0x3e, 0x12, 0x1c, 0xa7, 0x1b, 0x06, 0xfe,
	0xaf, 0xf3, 0x2d, 0x35,
};

/* ... and B's reply, counter 5, observed 192.0.2.1:51820, bound to CH_A */
static const u8 vec_rep[64] = {
	0xe2, 0x77, 0x67, 0x6d, 0x79, 0xd1, 0x89, 0x00, 0x4a, 0x67, 0x98, 0xcb,
	0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x07, 0x06, 0x05,
	0x04, 0x03, 0x02, 0x01, 0xca, 0x6c, 0x02, 0x00, 0xc0, 0x00, 0x02, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x75, 0x63, 0xdf, 0x30, 0x20, 0x01, 0x27, 0x7f, 0xa2, 0xd1, 0x94, 0x2e,
	0xba, 0x31, 0x83, 0x13,
};

static void emit_msg(fuzz_emit_fn emit, const char *name, u8 mode, const u8 *m, size_t len)
{
	u8 buf[1 + WGM_PROBEMSG_LEN];

	buf[0] = mode;
	memcpy(buf + 1, m, len);
	emit(name, buf, 1 + len);
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	const struct keyset *ks = keyset();
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(4500) };
	u8 m[WGM_PROBEMSG_LEN], prog[1 + 8 * 6] = { 0x80 };
	static const u64 counters[6] = { 100, 99, 100, 37, 200, 137 };
	int i;

	emit_msg(emit, "request-a-to-b", 4, vec_req, sizeof(vec_req));
	emit_msg(emit, "reply-b-to-a", 0, vec_rep, sizeof(vec_rep));
	emit_msg(emit, "reply-macfix", 3, vec_rep, sizeof(vec_rep));
	sin6.sin6_addr.s6_addr[0] = 0x20;
	sin6.sin6_addr.s6_addr[1] = 0x01;
	sin6.sin6_addr.s6_addr[15] = 0x42;
	FUZZ_CHECK(!wgm_probemsg_build_reply(m, &ks->b, 6, 0x0102030405060708ULL,
					     (struct sockaddr *)&sin6, CH_A));
	emit_msg(emit, "reply-v6", 0, m, sizeof(m));
	emit_msg(emit, "short", 0, vec_req, 40);
	for (i = 0; i < 6; i++)
		wgm_probemsg_put_le64(prog + 1 + 8 * i, counters[i] | 1ULL << 60);
	emit("window", prog, sizeof(prog));
}
