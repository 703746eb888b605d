// SPDX-License-Identifier: GPL-2.0-only
/* meshcoord's STUN responder; XOR-MAPPED-ADDRESS checked against RFC 5769. */
#include "kselftest_harness.h"
#include "coord_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "stun.h"

/* RFC 5769 2.2 / 2.3 transaction id */
static const char *txid_hex = "b7e7a701bc34d686fa87dfae";

/* A Binding request with no attributes. */
static const char *req_hex = "000100002112a442b7e7a701bc34d686fa87dfae";

TEST(request_parse)
{
	uint8_t txid[12], got[12], req[STUN_HDR_LEN];

	ct_unhex(txid, txid_hex);
	ASSERT_EQ(20u, ct_unhex(req, req_hex));
	ASSERT_EQ(0, stun_parse_request(req, sizeof(req), got));
	EXPECT_EQ(0, memcmp(txid, got, 12));
}

TEST(rfc5769_request_with_attributes_is_accepted)
{
	/* RFC 5769 2.1 sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED,
	 * USERNAME, MESSAGE-INTEGRITY, FINGERPRINT). */
	uint8_t pkt[128], txid[12];
	size_t n = ct_unhex(pkt,
		"000100582112a442b7e7a701bc34d686fa87dfae"
		"802200105354554e207465737420636c69656e74"
		"002400046e0001ff80290008932ff9b151263b36"
		"000600096576746a3a68367659202020"
		"000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
		"80280004e57a3bcf");

	ASSERT_EQ(108u, n);
	ASSERT_EQ(0, stun_parse_request(pkt, n, txid));
}

TEST(xor_mapped_ipv4_matches_rfc5769)
{
	uint8_t txid[12], resp[STUN_MAX_RESPONSE], want[12];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(32853) };
	size_t n;

	ct_unhex(txid, txid_hex);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	n = stun_build_response(resp, txid, (struct sockaddr *)&sin);
	ASSERT_EQ(32u, n);
	EXPECT_EQ(0x01, resp[0]);
	EXPECT_EQ(0x01, resp[1]);
	EXPECT_EQ(12, resp[3]);
	ct_unhex(want, "002000080001a147e112a643");
	EXPECT_EQ(0, memcmp(resp + 20, want, 12));
}

TEST(xor_mapped_ipv6_matches_rfc5769)
{
	uint8_t txid[12], resp[STUN_MAX_RESPONSE], want[24];
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(32853) };
	size_t n;

	ct_unhex(txid, txid_hex);
	inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6.sin6_addr);
	n = stun_build_response(resp, txid, (struct sockaddr *)&sin6);
	ASSERT_EQ(44u, n);
	ct_unhex(want, "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9");
	EXPECT_EQ(0, memcmp(resp + 20, want, 24));
}

TEST(malformed_requests_are_dropped)
{
	uint8_t req[64], got[12];

	ct_unhex(req, req_hex);
	EXPECT_EQ(-1, stun_parse_request(req, 19, got));	/* short */
	EXPECT_EQ(-1, stun_parse_request(req, 24, got));	/* length mismatch */
	req[4] ^= 1;						/* cookie */
	EXPECT_EQ(-1, stun_parse_request(req, 20, got));
	req[4] ^= 1;
	req[0] = 0x40;						/* top bits */
	EXPECT_EQ(-1, stun_parse_request(req, 20, got));
	req[0] = 0x01;						/* a response */
	req[1] = 0x01;
	EXPECT_EQ(-1, stun_parse_request(req, 20, got));
	req[0] = 0;
	req[1] = 1;
	/* an attribute running past the end */
	req[3] = 8;
	memcpy(req + 20, "\x80\x22\x00\x08" "abcd", 8);
	EXPECT_EQ(-1, stun_parse_request(req, 28, got));
	/* length not a multiple of 4 */
	req[3] = 6;
	EXPECT_EQ(-1, stun_parse_request(req, 26, got));
	/* and a well-formed one with one padded attribute */
	req[3] = 8;
	memcpy(req + 20, "\x80\x22\x00\x03" "abc\0", 8);
	EXPECT_EQ(0, stun_parse_request(req, 28, got));
}

TEST_HARNESS_MAIN
