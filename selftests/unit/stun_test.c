// SPDX-License-Identifier: GPL-2.0-only
/*
 * STUN Binding encoding/decoding (kernel/stun.c) in userspace, with the
 * sample responses of RFC 5769 sections 2.2 and 2.3 as test data.
 */
#include "stun.c"

#include "kselftest_harness.h"

/* RFC 5769 2.2: IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853 */
static const u8 rfc5769_v4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
	0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08,
	0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
	0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3: IPv6 response, 2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
static const u8 rfc5769_v6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42,
	0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
	0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14,
	0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
	0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
	0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
	0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04,
	0xc8, 0xfb, 0x0b, 0x4c,
};

static const u8 *txid_of(const u8 *msg)
{
	return msg + 8;
}

TEST(rfc5769_ipv4_response)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	ASSERT_EQ(0, wgm_stun_parse_response(rfc5769_v4, sizeof(rfc5769_v4),
					     txid_of(rfc5769_v4), &ss));
	EXPECT_EQ(AF_INET, sin->sin_family);
	EXPECT_EQ(32853, ntohs(sin->sin_port));
	EXPECT_EQ(htonl(0xc0000201), sin->sin_addr.s_addr);
}

TEST(rfc5769_ipv6_response)
{
	static const u8 want[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	};
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	ASSERT_EQ(0, wgm_stun_parse_response(rfc5769_v6, sizeof(rfc5769_v6),
					     txid_of(rfc5769_v6), &ss));
	EXPECT_EQ(AF_INET6, sin6->sin6_family);
	EXPECT_EQ(32853, ntohs(sin6->sin6_port));
	EXPECT_EQ(0, memcmp(want, &sin6->sin6_addr, 16));
}

TEST(other_transaction_rejected)
{
	struct sockaddr_storage ss;
	u8 txid[12];

	memcpy(txid, txid_of(rfc5769_v4), 12);
	txid[11] ^= 1;
	EXPECT_EQ(-ESRCH, wgm_stun_parse_response(rfc5769_v4,
						  sizeof(rfc5769_v4), txid,
						  &ss));
}

TEST(every_truncation_rejected)
{
	struct sockaddr_storage ss;
	size_t len;

	for (len = 0; len < sizeof(rfc5769_v4); len++)
		EXPECT_NE(0, wgm_stun_parse_response(rfc5769_v4, len,
						     txid_of(rfc5769_v4), &ss));
}

TEST(requests_and_bad_headers_rejected)
{
	u8 m[sizeof(rfc5769_v4)];
	struct sockaddr_storage ss;

	memcpy(m, rfc5769_v4, sizeof(m));
	m[1] = 0x01 ^ 0x00;	/* type 0x0100: not a Binding success */
	m[0] = 0x01;
	m[1] = 0x00;
	EXPECT_EQ(-EINVAL, wgm_stun_parse_response(m, sizeof(m), txid_of(m), &ss));
	memcpy(m, rfc5769_v4, sizeof(m));
	m[0] = 0x00;		/* Binding request */
	m[1] = 0x01;
	EXPECT_EQ(-EINVAL, wgm_stun_parse_response(m, sizeof(m), txid_of(m), &ss));
	memcpy(m, rfc5769_v4, sizeof(m));
	m[4] ^= 0xff;		/* magic cookie */
	EXPECT_EQ(-EINVAL, wgm_stun_parse_response(m, sizeof(m), txid_of(m), &ss));
	memcpy(m, rfc5769_v4, sizeof(m));
	m[3] += 4;		/* length larger than the datagram */
	EXPECT_EQ(-EINVAL, wgm_stun_parse_response(m, sizeof(m), txid_of(m), &ss));
	memcpy(m, rfc5769_v4, sizeof(m));
	m[0] |= 0x80;		/* top bits must be zero */
	EXPECT_EQ(-EINVAL, wgm_stun_parse_response(m, sizeof(m), txid_of(m), &ss));
}

TEST(attribute_overrunning_message_rejected)
{
	u8 m[sizeof(rfc5769_v4)];
	struct sockaddr_storage ss;

	memcpy(m, rfc5769_v4, sizeof(m));
	m[22] = 0x0f;		/* SOFTWARE length 0x0f0b */
	EXPECT_EQ(-EINVAL, wgm_stun_parse_response(m, sizeof(m), txid_of(m), &ss));
}

TEST(mapped_address_fallback_and_none)
{
	u8 m[20 + 12] = {
		0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x1f, 0x90,
		198, 51, 100, 9,
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	ASSERT_EQ(0, wgm_stun_parse_response(m, sizeof(m), m + 8, &ss));
	EXPECT_EQ(8080, ntohs(sin->sin_port));
	EXPECT_EQ(htonl(0xc6336409), sin->sin_addr.s_addr);
	m[21] = 0x06;		/* unknown comprehension-optional attribute */
	EXPECT_EQ(-ENOENT, wgm_stun_parse_response(m, sizeof(m), m + 8, &ss));
}

TEST(bad_address_family_rejected)
{
	u8 m[sizeof(rfc5769_v4)];
	struct sockaddr_storage ss;

	memcpy(m, rfc5769_v4, sizeof(m));
	m[41] = 0x03;
	EXPECT_EQ(-EINVAL, wgm_stun_parse_response(m, sizeof(m), txid_of(m), &ss));
}

TEST(build_request)
{
	static const u8 txid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	u8 buf[32];

	EXPECT_EQ(0u, wgm_stun_build_request(buf, 19, txid));
	ASSERT_EQ(20u, wgm_stun_build_request(buf, sizeof(buf), txid));
	EXPECT_EQ(0x00, buf[0]);
	EXPECT_EQ(0x01, buf[1]);
	EXPECT_EQ(0x00, buf[2]);
	EXPECT_EQ(0x00, buf[3]);
	EXPECT_EQ(0x21, buf[4]);
	EXPECT_EQ(0x42, buf[7]);
	EXPECT_EQ(0, memcmp(buf + 8, txid, 12));
	EXPECT_TRUE(wgm_stun_looks_like_stun(buf, 20));
}

TEST(demultiplexing)
{
	u8 wg[32] = { 1, 0, 0, 0 };
	u8 probe[64] = { 0xe1, 'w', 'g', 'm' };

	EXPECT_FALSE(wgm_stun_looks_like_stun(wg, sizeof(wg)));
	EXPECT_FALSE(wgm_stun_looks_like_stun(probe, sizeof(probe)));
	EXPECT_TRUE(wgm_stun_looks_like_stun(rfc5769_v6, sizeof(rfc5769_v6)));
	EXPECT_FALSE(wgm_stun_looks_like_stun(rfc5769_v6, 19));
}

TEST_HARNESS_MAIN
