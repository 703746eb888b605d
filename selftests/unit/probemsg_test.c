// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe messages (kernel/probemsg.c) in userspace.  Expected bytes were
 * computed independently with Python's hashlib.blake2s from the formulas of
 * Documentation/probing.rst:
 *
 *   K     = blake2s(b"wgmesh probe v1" + dh + psk).digest()
 *   id(X) = blake2s(K + b"id" + S_X).digest()[:8]
 *   mac   = blake2s(msg[:48], key=K, digest_size=16).digest()          (request)
 *   mac   = blake2s(msg[:48] + le64(challenge), key=K, digest_size=16)  (reply)
 */
#include "probemsg.c"

#include "kselftest_harness.h"

/* dh = 01..20, psk = 55 * 32, S_a = a0..af a0..af, S_b = 10..2f */
static void inputs(u8 dh[32], u8 psk[32], u8 pa[32], u8 pb[32])
{
	int i;

	for (i = 0; i < 32; i++) {
		dh[i] = i + 1;
		psk[i] = 0x55;
		pa[i] = 0xa0 + i % 16;
		pb[i] = 0x10 + i;
	}
}

static const u8 expect_k[32] = {
	0xb1, 0x79, 0xf3, 0xe0, 0xe0, 0x59, 0x60, 0x29, 0x30, 0x37, 0xed, 0x5c,
	0x09, 0xcc, 0xea, 0x13, 0x6a, 0xb5, 0x32, 0xd8, 0xaf, 0xbf, 0xfb, 0x5f,
	0x74, 0x61, 0x71, 0xd5, 0xc2, 0xa4, 0xc6, 0x30,
};
static const u8 expect_k_nopsk[32] = {
	0x50, 0xee, 0x59, 0xe7, 0x83, 0x3a, 0xdb, 0xf2, 0x0c, 0xde, 0x51, 0x04,
	0xc4, 0x3b, 0xe2, 0x77, 0x1b, 0x6e, 0x42, 0xf4, 0x68, 0x6e, 0xc3, 0xe6,
	0x98, 0x04, 0x39, 0x44, 0x31, 0x9c, 0x76, 0x42,
};
static const u8 expect_id_a[8] = { 0xd3, 0xaa, 0xe1, 0x63, 0x41, 0x2d, 0x1c, 0x2e };
static const u8 expect_id_b[8] = { 0x79, 0xd1, 0x89, 0x00, 0x4a, 0x67, 0x98, 0xcb };

/* request from A, counter 0x0102030405060708, challenge CH_A, echo CH_B */
#define CH_A 0x1112131415161718ULL
#define CH_B 0x2122232425262728ULL
static const u8 expect_req[64] = {
	0xe1, 0x77, 0x67, 0x6d, 0xd3, 0xaa, 0xe1, 0x63, 0x41, 0x2d, 0x1c, 0x2e,
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, 0x28, 0x27, 0x26, 0x25,
	0x24, 0x23, 0x22, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xbf, 0xc0, 0x57, 0xb9, 0x34, 0x3e, 0x12, 0x1c, 0xa7, 0x1b, 0x06, 0xfe,
	0xaf, 0xf3, 0x2d, 0x35,
};

/*
 * reply from B, counter 5, echoing the request above, observed
 * 192.0.2.1:51820; its mac binds the request's challenge CH_A
 */
static const u8 expect_rep[64] = {
	0xe2, 0x77, 0x67, 0x6d, 0x79, 0xd1, 0x89, 0x00, 0x4a, 0x67, 0x98, 0xcb,
	0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x07, 0x06, 0x05,
	0x04, 0x03, 0x02, 0x01, 0xca, 0x6c, 0x02, 0x00, 0xc0, 0x00, 0x02, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x75, 0x63, 0xdf, 0x30, 0x20, 0x01, 0x27, 0x7f, 0xa2, 0xd1, 0x94, 0x2e,
	0xba, 0x31, 0x83, 0x13,
};

/* A's and B's views of the pair */
static void keys_ab(struct wgm_probemsg_keys *a, struct wgm_probemsg_keys *b)
{
	u8 dh[32], psk[32], pa[32], pb[32];

	inputs(dh, psk, pa, pb);
	KSHIM_CHECK(wgm_probemsg_derive(a, dh, psk, pa, pb));
	KSHIM_CHECK(wgm_probemsg_derive(b, dh, psk, pb, pa));
}

static struct sockaddr_in v4(const char *ip, u16 port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	KSHIM_CHECK(inet_pton(AF_INET, ip, &s.sin_addr) == 1);
	return s;
}

TEST(blake2s_shim_matches_rfc7693_and_kat)
{
	static const u8 abc[32] = {
		0x50, 0x8c, 0x5e, 0x8c, 0x32, 0x7c, 0x14, 0xe2, 0xe1, 0xa7, 0x2b,
		0xa3, 0x4e, 0xeb, 0x45, 0x2f, 0x37, 0x45, 0x8b, 0x20, 0x9e, 0xd6,
		0x3a, 0x29, 0x4d, 0x99, 0x9b, 0x4c, 0x86, 0x67, 0x59, 0x82,
	};
	static const u8 kat[32] = {
		0x48, 0xa8, 0x99, 0x7d, 0xa4, 0x07, 0x87, 0x6b, 0x3d, 0x79, 0xc0,
		0xd9, 0x23, 0x25, 0xad, 0x3b, 0x89, 0xcb, 0xb7, 0x54, 0xd8, 0x6a,
		0xb7, 0x1a, 0xee, 0x04, 0x7a, 0xd3, 0x45, 0xfd, 0x2c, 0x49,
	};
	/* keyed, 16-byte output, 768 bytes of input (several blocks) */
	static const u8 long16[16] = {
		0x81, 0xb3, 0x00, 0xa9, 0xd5, 0xfc, 0x3d, 0x05, 0x45, 0x49, 0xe8,
		0xc4, 0x3f, 0xe7, 0x63, 0x69,
	};
	u8 key[32], in[768], out[32];
	int i;

	for (i = 0; i < 32; i++)
		key[i] = i;
	for (i = 0; i < 768; i++)
		in[i] = i & 0xff;
	blake2s(out, (const u8 *)"abc", NULL, 32, 3, 0);
	EXPECT_EQ(0, memcmp(out, abc, 32));
	blake2s(out, NULL, key, 32, 0, 32);
	EXPECT_EQ(0, memcmp(out, kat, 32));
	blake2s(out, in, key, 16, sizeof(in), 32);
	EXPECT_EQ(0, memcmp(out, long16, 16));
}

TEST(key_and_ids_match_the_document)
{
	struct wgm_probemsg_keys a, b;

	keys_ab(&a, &b);
	EXPECT_EQ(0, memcmp(a.key, expect_k, 32));
	EXPECT_EQ(0, memcmp(b.key, expect_k, 32));
	EXPECT_EQ(0, memcmp(a.local_id, expect_id_a, 8));
	EXPECT_EQ(0, memcmp(a.remote_id, expect_id_b, 8));
	EXPECT_EQ(0, memcmp(b.local_id, expect_id_b, 8));
	EXPECT_EQ(0, memcmp(b.remote_id, expect_id_a, 8));
}

TEST(no_psk_is_thirty_two_zero_bytes)
{
	struct wgm_probemsg_keys k1, k2;
	u8 dh[32], psk[32], pa[32], pb[32], zero[32] = { 0 };

	inputs(dh, psk, pa, pb);
	ASSERT_TRUE(wgm_probemsg_derive(&k1, dh, NULL, pa, pb));
	ASSERT_TRUE(wgm_probemsg_derive(&k2, dh, zero, pa, pb));
	EXPECT_EQ(0, memcmp(k1.key, expect_k_nopsk, 32));
	EXPECT_EQ(0, memcmp(k2.key, expect_k_nopsk, 32));
}

TEST(zero_dh_or_own_key_gives_no_probe_key)
{
	struct wgm_probemsg_keys k;
	u8 dh[32], psk[32], pa[32], pb[32], zero[32] = { 0 };

	inputs(dh, psk, pa, pb);
	EXPECT_FALSE(wgm_probemsg_derive(&k, zero, psk, pa, pb));
	EXPECT_FALSE(k.valid);
	EXPECT_FALSE(wgm_probemsg_derive(&k, dh, psk, pa, pa));
	EXPECT_FALSE(k.valid);
	EXPECT_EQ(0, memcmp(k.key, zero, 32));
}

TEST(request_bytes_and_round_trip)
{
	struct wgm_probemsg_keys a, b;
	struct wgm_probemsg m;
	u8 msg[64], type, id[8];

	keys_ab(&a, &b);
	wgm_probemsg_build_request(msg, &a, 0x0102030405060708ULL, CH_A, CH_B);
	EXPECT_EQ(0, memcmp(msg, expect_req, 64));

	ASSERT_TRUE(wgm_probemsg_peek(msg, 64, &type, id));
	EXPECT_EQ(0xE1, type);
	EXPECT_EQ(0, memcmp(id, b.remote_id, 8));
	/* a request's mac does not depend on the receiver's challenge */
	ASSERT_TRUE(wgm_probemsg_verify(msg, 64, &b, 12345, &m));
	EXPECT_EQ(0xE1, m.type);
	EXPECT_EQ(0x0102030405060708ULL, m.counter);
	EXPECT_EQ(CH_A, m.challenge);
	EXPECT_EQ(CH_B, m.echo);
	/* A cannot verify its own request as if it came from B */
	EXPECT_FALSE(wgm_probemsg_verify(msg, 64, &a, CH_A, &m));
}

TEST(reply_bytes_and_observed_address)
{
	struct wgm_probemsg_keys a, b;
	struct sockaddr_in src = v4("192.0.2.1", 51820), got;
	struct sockaddr_in6 six = { .sin6_family = AF_INET6, .sin6_port = htons(7) }, got6;
	struct wgm_probemsg m;
	u8 msg[64];

	keys_ab(&a, &b);
	ASSERT_EQ(0, wgm_probemsg_build_reply(msg, &b, 5, 0x0102030405060708ULL,
					      (struct sockaddr *)&src, CH_A));
	EXPECT_EQ(0, memcmp(msg, expect_rep, 64));
	/* only the holder of the challenge the request carried verifies it */
	EXPECT_FALSE(wgm_probemsg_verify(msg, 64, &a, CH_A + 1, &m));
	EXPECT_FALSE(wgm_probemsg_verify(msg, 64, &a, 0, &m));
	ASSERT_TRUE(wgm_probemsg_verify(msg, 64, &a, CH_A, &m));
	EXPECT_EQ(0xE2, m.type);
	EXPECT_EQ(5, m.counter);
	EXPECT_EQ(0x0102030405060708ULL, m.echoed);
	ASSERT_EQ(0, wgm_probemsg_observed(&m, (struct sockaddr *)&got, sizeof(got)));
	EXPECT_EQ(AF_INET, got.sin_family);
	EXPECT_EQ(src.sin_port, got.sin_port);
	EXPECT_EQ(src.sin_addr.s_addr, got.sin_addr.s_addr);
	/* too little room for the family */
	EXPECT_EQ(-EINVAL, wgm_probemsg_observed(&m, (struct sockaddr *)&got, 4));

	ASSERT_EQ(1, inet_pton(AF_INET6, "2001:db8::42", &six.sin6_addr));
	ASSERT_EQ(0, wgm_probemsg_build_reply(msg, &b, 6, 9, (struct sockaddr *)&six, 77));
	ASSERT_TRUE(wgm_probemsg_verify(msg, 64, &a, 77, &m));
	ASSERT_EQ(0, wgm_probemsg_observed(&m, (struct sockaddr *)&got6, sizeof(got6)));
	EXPECT_EQ(AF_INET6, got6.sin6_family);
	EXPECT_EQ(htons(7), got6.sin6_port);
	EXPECT_EQ(0, memcmp(&six.sin6_addr, &got6.sin6_addr, 16));

	six.sin6_family = AF_UNIX;
	EXPECT_EQ(-EAFNOSUPPORT, wgm_probemsg_build_reply(msg, &b, 7, 9,
							  (struct sockaddr *)&six, 77));
}

TEST(any_flipped_bit_fails_verification)
{
	struct wgm_probemsg_keys a, b;
	struct wgm_probemsg m;
	u8 msg[64];
	int bit;

	keys_ab(&a, &b);
	wgm_probemsg_build_request(msg, &a, 77, CH_A, CH_B);
	for (bit = 0; bit < 64 * 8; bit++) {
		msg[bit / 8] ^= 1 << (bit % 8);
		EXPECT_FALSE(wgm_probemsg_verify(msg, 64, &b, CH_B, &m));
		msg[bit / 8] ^= 1 << (bit % 8);
	}
	EXPECT_TRUE(wgm_probemsg_verify(msg, 64, &b, CH_B, &m));
}

TEST(wrong_length_key_or_type_rejected)
{
	struct wgm_probemsg_keys a, b, other;
	struct wgm_probemsg m;
	u8 msg[65], dh[32], psk[32], pa[32], pb[32], type, id[8];

	keys_ab(&a, &b);
	inputs(dh, psk, pa, pb);
	psk[0] ^= 1;	/* B configured with another PSK */
	ASSERT_TRUE(wgm_probemsg_derive(&other, dh, psk, pb, pa));
	wgm_probemsg_build_request(msg, &a, 1, CH_A, 0);
	msg[64] = 0;
	EXPECT_FALSE(wgm_probemsg_verify(msg, 63, &b, 0, &m));
	EXPECT_FALSE(wgm_probemsg_verify(msg, 65, &b, 0, &m));
	EXPECT_FALSE(wgm_probemsg_peek(msg, 65, &type, id));
	EXPECT_FALSE(wgm_probemsg_verify(msg, 64, &other, 0, &m));
	/* a WireGuard handshake initiation type byte is no probe */
	msg[0] = 1;
	EXPECT_FALSE(wgm_probemsg_peek(msg, 64, &type, id));
	/* invalid keys verify nothing */
	memset(&other, 0, sizeof(other));
	wgm_probemsg_build_request(msg, &a, 2, CH_A, 0);
	EXPECT_FALSE(wgm_probemsg_verify(msg, 64, &other, 0, &m));
}

TEST(counter_strictly_increases)
{
	u64 last = 0;

	EXPECT_EQ(1000, wgm_probemsg_next_counter(&last, 1000));
	EXPECT_EQ(1001, wgm_probemsg_next_counter(&last, 1000));
	EXPECT_EQ(1002, wgm_probemsg_next_counter(&last, 5));	/* clock stepped back */
	EXPECT_EQ(9000, wgm_probemsg_next_counter(&last, 9000));
	EXPECT_EQ(9000, last);
}

TEST(window_accepts_once_and_within_64)
{
	struct wgm_probemsg_window w = { 0 };

	EXPECT_FALSE(wgm_probemsg_window_check(&w, 0));
	EXPECT_TRUE(wgm_probemsg_window_check(&w, 1000));
	EXPECT_FALSE(wgm_probemsg_window_check(&w, 1000));
	/* out of order behind the newest */
	EXPECT_TRUE(wgm_probemsg_window_check(&w, 990));
	EXPECT_FALSE(wgm_probemsg_window_check(&w, 990));
	EXPECT_TRUE(wgm_probemsg_window_check(&w, 1000 - 63));
	EXPECT_FALSE(wgm_probemsg_window_check(&w, 1000 - 64));
	/* a jump forward keeps what is still in the window */
	EXPECT_TRUE(wgm_probemsg_window_check(&w, 1010));
	EXPECT_FALSE(wgm_probemsg_window_check(&w, 990));
	EXPECT_FALSE(wgm_probemsg_window_check(&w, 1000));
	EXPECT_TRUE(wgm_probemsg_window_check(&w, 1005));
	/* a big jump forgets everything behind */
	EXPECT_TRUE(wgm_probemsg_window_check(&w, 100000));
	EXPECT_FALSE(wgm_probemsg_window_check(&w, 1010));
	EXPECT_TRUE(wgm_probemsg_window_check(&w, 99999));
}

TEST(window_every_counter_of_a_shuffled_run_once)
{
	struct wgm_probemsg_window w = { 0 };
	u64 base = 1ULL << 40;
	unsigned int i, accepted = 0;

	/* 0, 63, 1, 62, ... : each within 64 of the newest when it arrives */
	for (i = 0; i < 64; i++) {
		u64 c = base + (i % 2 ? 63 - i / 2 : i / 2);

		accepted += wgm_probemsg_window_check(&w, c);
		EXPECT_FALSE(wgm_probemsg_window_check(&w, c));
	}
	EXPECT_EQ(64, accepted);
}

TEST(ring_matches_once_and_measures_rtt)
{
	struct wgm_probemsg_ring r = { 0 };
	u64 rtt = 0;

	EXPECT_FALSE(wgm_probemsg_ring_add(&r, 10, 1000));
	EXPECT_FALSE(wgm_probemsg_ring_add(&r, 11, 2000));
	EXPECT_FALSE(wgm_probemsg_ring_match(&r, 12, 3000, &rtt));
	EXPECT_FALSE(wgm_probemsg_ring_match(&r, 0, 3000, &rtt));
	ASSERT_TRUE(wgm_probemsg_ring_match(&r, 11, 2500, &rtt));
	EXPECT_EQ(500, rtt);
	EXPECT_FALSE(wgm_probemsg_ring_match(&r, 11, 2600, &rtt));
	ASSERT_TRUE(wgm_probemsg_ring_match(&r, 10, 4000, &rtt));
	EXPECT_EQ(3000, rtt);
}

TEST(ring_forgets_oldest_and_expires)
{
	struct wgm_probemsg_ring r = { 0 };
	u64 rtt;
	unsigned int i, displaced = 0;

	for (i = 1; i <= WGM_PROBEMSG_RING + 2; i++)
		displaced += wgm_probemsg_ring_add(&r, i, i * 100);
	EXPECT_EQ(2, displaced);
	EXPECT_FALSE(wgm_probemsg_ring_match(&r, 1, 1000, &rtt));
	EXPECT_FALSE(wgm_probemsg_ring_match(&r, 2, 1000, &rtt));
	EXPECT_TRUE(wgm_probemsg_ring_match(&r, 3, 1000, &rtt));
	/* 4 (sent 400), 5 (500), 6 (600) outstanding; timeout 450 at 1000 */
	EXPECT_EQ(2, wgm_probemsg_ring_expire(&r, 1000, 450));
	EXPECT_TRUE(wgm_probemsg_ring_match(&r, 6, 1000, &rtt));
	EXPECT_EQ(0, wgm_probemsg_ring_expire(&r, 100000, 1));
}

TEST(srtt_smooths_and_is_never_zero)
{
	EXPECT_EQ(8000, wgm_probemsg_srtt(0, 8000));
	EXPECT_EQ(1, wgm_probemsg_srtt(0, 0));
	EXPECT_EQ(9000, wgm_probemsg_srtt(8000, 16000));
	EXPECT_EQ(7000, wgm_probemsg_srtt(8000, 0));
	EXPECT_EQ(1, wgm_probemsg_srtt(1, 0));
	EXPECT_EQ(0xFFFFFFFFU, wgm_probemsg_srtt(0xFFFFFFFFU, 0xFFFFFFFFU));
}

TEST(bucket_limits_rate_with_burst)
{
	struct wgm_probemsg_bucket b = { 0 };
	u64 t = 5000000000ULL;	/* 5 s */
	unsigned int i, ok = 0;

	/* 10/s, burst 5: five at once, then one per 100 ms */
	for (i = 0; i < 20; i++)
		ok += wgm_probemsg_bucket_take(&b, t, 10, 5);
	EXPECT_EQ(5, ok);
	EXPECT_FALSE(wgm_probemsg_bucket_take(&b, t + 99999999ULL, 10, 5));
	EXPECT_TRUE(wgm_probemsg_bucket_take(&b, t + 100000000ULL, 10, 5));
	/* a long pause refills to the burst, not beyond */
	t += 3600000000000ULL;
	for (ok = 0, i = 0; i < 20; i++)
		ok += wgm_probemsg_bucket_take(&b, t, 10, 5);
	EXPECT_EQ(5, ok);
	/* a clock going backwards earns nothing */
	EXPECT_FALSE(wgm_probemsg_bucket_take(&b, t - 1000000000ULL, 10, 5));
}

/*
 * The reply limiter: the peer's bucket is taken first, so a source over
 * its limit cannot drain it for later, and each peer's limiter is its own:
 * one peer flooding from one source leaves another peer's budget whole,
 * whatever sources they use.
 */
TEST(limiter_peer_first_and_peers_independent)
{
	struct wgm_probemsg_limiter p1 = { 0 }, p2 = { 0 };
	u64 t = 7000000000ULL;
	unsigned int i, ok = 0;

	/* p1, one source: the source's burst, then nothing */
	for (i = 0; i < 100; i++)
		ok += wgm_probemsg_limit_take(&p1, 42, t);
	EXPECT_EQ(WGM_PROBEMSG_SRC_BURST, ok);
	/* p1's peer budget ran out at its own burst, counting the refused ones */
	for (ok = 0, i = 0; i < 100; i++)
		ok += wgm_probemsg_limit_take(&p1, 43 + i * WGM_PROBEMSG_SRC_BUCKETS, t);
	EXPECT_EQ(0, ok);
	/* p2, the same source hash at the same moment: its full budget */
	for (ok = 0, i = 0; i < 100; i++)
		ok += wgm_probemsg_limit_take(&p2, 42 + (i % 2), t);
	EXPECT_EQ(WGM_PROBEMSG_PEER_BURST, ok);
	/* the peer bucket refusing leaves the source's tokens alone */
	memset(&p1, 0, sizeof(p1));
	for (i = 0; i < WGM_PROBEMSG_PEER_BURST; i++)
		wgm_probemsg_bucket_take(&p1.peer, t, WGM_PROBEMSG_PEER_RATE,
					 WGM_PROBEMSG_PEER_BURST);
	EXPECT_FALSE(wgm_probemsg_limit_take(&p1, 5, t));
	for (ok = 0, i = 0; i < 100; i++)
		ok += wgm_probemsg_bucket_take(&p1.src[5 % WGM_PROBEMSG_SRC_BUCKETS], t,
					       WGM_PROBEMSG_SRC_RATE, WGM_PROBEMSG_SRC_BURST);
	EXPECT_EQ(WGM_PROBEMSG_SRC_BURST, ok);
}

TEST(relay_bind_matches_the_documented_layout)
{
	/* hashlib.blake2s(m, key=bytes(range(32)), digest_size=16), m = bytes 0..15 */
	static const u8 want[WGM_PROBEMSG_BIND_LEN] = {
		0xe3, 0x77, 0x67, 0x6d, 0x04, 0x03, 0x02, 0x01,
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		0xff, 0x79, 0x86, 0x07, 0x66, 0x99, 0x3d, 0x74,
		0x33, 0x2f, 0x8d, 0x7c, 0x98, 0xa6, 0x8c, 0xd8,
	};
	u8 key[WGM_RELAY_KEY_LEN], msg[WGM_PROBEMSG_BIND_LEN];
	unsigned int i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	wgm_probemsg_build_bind(msg, 0x01020304, 0x1122334455667788ULL, key);
	EXPECT_EQ(0, memcmp(msg, want, sizeof(want)));
	/* another key, another mac */
	key[0] ^= 1;
	wgm_probemsg_build_bind(msg, 0x01020304, 0x1122334455667788ULL, key);
	EXPECT_NE(0, memcmp(msg + 16, want + 16, 16));
	EXPECT_EQ(0, memcmp(msg, want, 16));
}

TEST_HARNESS_MAIN
