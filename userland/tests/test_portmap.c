// SPDX-License-Identifier: GPL-2.0-only
/*
 * NAT-PMP and PCP codecs (userland/lib/portmap*.c): the exact bytes of
 * each request, and every answer a gateway (or someone spoofing one) may
 * send: valid, refused, truncated, garbled, of another version, opcode,
 * port or nonce, and hostile values.
 */
#include <arpa/inet.h>

#include "kselftest_harness.h"
#include "testutil.h"

#include "portmap.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const char *ip4(const union wgm_sockaddr *a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a->in.sin_addr, buf, INET_ADDRSTRLEN);
}

/* ---- NAT-PMP ---- */

TEST(natpmp_requests)
{
	uint8_t b[WGM_NATPMP_MAP_REQ_LEN], want[WGM_NATPMP_MAP_REQ_LEN];

	ASSERT_EQ(2, wgm_natpmp_addr_req(b));
	EXPECT_EQ(0, b[0]);
	EXPECT_EQ(0, b[1]);
	ASSERT_EQ(12, wgm_natpmp_map_req(b, 51820, 51821, 7200));
	ASSERT_TRUE(tu_unhex(want, "00010000ca6cca6d00001c20", 12));
	EXPECT_EQ(0, memcmp(b, want, 12));
	/* a deletion: port 0, lifetime 0 */
	wgm_natpmp_map_req(b, 51820, 0, 0);
	ASSERT_TRUE(tu_unhex(want, "00010000ca6c000000000000", 12));
	EXPECT_EQ(0, memcmp(b, want, 12));
}

/* An external address answer: epoch 1000, 203.0.113.1. */
static void natpmp_addr_rsp(uint8_t b[12])
{
	if (!tu_unhex(b, "00800000000003e8cb007101", 12))
		abort();
}

TEST(natpmp_addr_answer)
{
	struct wgm_pm_answer a;
	char s[INET_ADDRSTRLEN];
	const char *why = NULL;
	uint8_t b[16];
	size_t n;

	natpmp_addr_rsp(b);
	ASSERT_EQ(WGM_PM_OK, wgm_natpmp_decode_addr(b, 12, &a, &why));
	EXPECT_EQ(1000, a.epoch);
	EXPECT_EQ(AF_INET, a.external.sa.sa_family);
	EXPECT_STREQ("203.0.113.1", ip4(&a.external, s));
	/* trailing bytes after a whole answer are ignored */
	memset(b + 12, 0xee, 4);
	EXPECT_EQ(WGM_PM_OK, wgm_natpmp_decode_addr(b, 16, &a, &why));
	/* every truncation is refused */
	for (n = 0; n < 12; n++) {
		why = NULL;
		EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, n, &a, &why));
		EXPECT_STREQ("truncated NAT-PMP answer", why);
	}
}

TEST(natpmp_addr_refused_and_garbled)
{
	struct wgm_pm_answer a;
	const char *why;
	uint8_t b[12];

	natpmp_addr_rsp(b);
	b[0] = 2;		/* a PCP answer */
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	EXPECT_STREQ("not a NAT-PMP version 0 answer", why);
	natpmp_addr_rsp(b);
	b[1] = 129;		/* the answer to a mapping */
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	EXPECT_STREQ("NAT-PMP answer to another opcode", why);
	b[1] = 0;		/* our own request echoed */
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	/* a refusal: its result, even when cut after the header */
	natpmp_addr_rsp(b);
	put16(b + 2, 3);
	EXPECT_EQ(WGM_PM_REFUSED, wgm_natpmp_decode_addr(b, 12, &a, &why));
	EXPECT_EQ(3, a.result);
	EXPECT_STREQ("network failure", why);
	EXPECT_EQ(WGM_PM_REFUSED, wgm_natpmp_decode_addr(b, 4, &a, &why));
	put16(b + 2, 999);
	EXPECT_EQ(WGM_PM_REFUSED, wgm_natpmp_decode_addr(b, 12, &a, &why));
	EXPECT_STREQ("unknown result", why);
	/* no external address yet, and hostile ones */
	natpmp_addr_rsp(b);
	memset(b + 8, 0, 4);
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	EXPECT_STREQ("the gateway has no external address", why);
	ASSERT_TRUE(tu_unhex(b + 8, "7f000001", 4));
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	ASSERT_TRUE(tu_unhex(b + 8, "e0000001", 4));
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	ASSERT_TRUE(tu_unhex(b + 8, "ffffffff", 4));
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	ASSERT_TRUE(tu_unhex(b + 8, "a9fe0101", 4));
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_addr(b, 12, &a, &why));
	EXPECT_STREQ("unusable external address (loopback, multicast, broadcast or link-local)", why);
}

/* A mapping answer: epoch 500, internal 51820, external ext, lifetime lt. */
static void natpmp_map_rsp(uint8_t b[16], uint16_t ext, uint32_t lt)
{
	b[0] = 0;
	b[1] = 129;
	put16(b + 2, 0);
	put32(b + 4, 500);
	put16(b + 8, 51820);
	put16(b + 10, ext);
	put32(b + 12, lt);
}

TEST(natpmp_map_answer)
{
	struct wgm_pm_answer a;
	const char *why;
	uint8_t b[16];
	size_t n;

	natpmp_map_rsp(b, 40000, 3600);
	ASSERT_EQ(WGM_PM_OK, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	EXPECT_EQ(500, a.epoch);
	EXPECT_EQ(51820, a.internal_port);
	EXPECT_EQ(40000, ntohs(a.external.in.sin_port));
	EXPECT_EQ(3600, a.lifetime);
	/* more than asked is cut to what was asked */
	natpmp_map_rsp(b, 40000, 0xffffffffu);
	ASSERT_EQ(WGM_PM_OK, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	EXPECT_EQ(7200, a.lifetime);
	for (n = 0; n < 16; n++)
		EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_map(b, n, 51820, 7200, &a, &why));
}

TEST(natpmp_map_hostile)
{
	struct wgm_pm_answer a;
	const char *why;
	uint8_t b[16];

	natpmp_map_rsp(b, 40000, 3600);
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_map(b, 16, 51821, 7200, &a, &why));
	EXPECT_STREQ("NAT-PMP answer for another internal port", why);
	b[1] = 130;		/* TCP */
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	EXPECT_STREQ("NAT-PMP answer to another opcode", why);
	b[1] = 128;		/* the address answer */
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	natpmp_map_rsp(b, 0, 3600);
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	EXPECT_STREQ("NAT-PMP mapping to external port 0", why);
	natpmp_map_rsp(b, 40000, WGM_PM_MIN_LIFETIME - 1);
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	EXPECT_STREQ("NAT-PMP mapping lifetime too short", why);
	natpmp_map_rsp(b, 40000, WGM_PM_MIN_LIFETIME);
	EXPECT_EQ(WGM_PM_OK, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	/* refused: out of resources */
	natpmp_map_rsp(b, 40000, 3600);
	put16(b + 2, 4);
	EXPECT_EQ(WGM_PM_REFUSED, wgm_natpmp_decode_map(b, 16, 51820, 7200, &a, &why));
	EXPECT_STREQ("out of resources", why);
	EXPECT_EQ(4, a.result);
}

TEST(natpmp_delete_answer)
{
	struct wgm_pm_answer a;
	const char *why;
	uint8_t b[16];

	natpmp_map_rsp(b, 0, 0);
	EXPECT_EQ(WGM_PM_OK, wgm_natpmp_decode_map(b, 16, 51820, 0, &a, &why));
	natpmp_map_rsp(b, 0, 60);
	EXPECT_EQ(WGM_PM_BAD, wgm_natpmp_decode_map(b, 16, 51820, 0, &a, &why));
	EXPECT_STREQ("NAT-PMP deletion answered with a lifetime", why);
}

/* ---- PCP ---- */

static void pcp_req(struct wgm_pcp_req *r, uint32_t lifetime)
{
	memset(r, 0, sizeof(*r));
	if (!tu_unhex(r->client, "00000000000000000000ffff0a010002", 16))
		abort();
	r->internal_port = 51820;
	r->lifetime = lifetime;
	memcpy(r->nonce, "0123456789ab", WGM_PCP_NONCE_LEN);
}

TEST(pcp_request)
{
	uint8_t b[WGM_PCP_MAP_LEN], want[WGM_PCP_MAP_LEN];
	struct wgm_pcp_req r;

	pcp_req(&r, 7200);
	ASSERT_EQ(WGM_PCP_MAP_LEN, wgm_pcp_map_req(b, &r));
	ASSERT_TRUE(tu_unhex(want,
		"0201000000001c20" "00000000000000000000ffff0a010002"
		"303132333435363738396162" "11000000" "ca6c0000"
		"00000000000000000000ffff00000000", WGM_PCP_MAP_LEN));
	EXPECT_EQ(0, memcmp(b, want, WGM_PCP_MAP_LEN));
}

/* The answer to r: 203.0.113.1:ext for lt seconds, epoch 77. */
static size_t pcp_rsp(uint8_t *b, const struct wgm_pcp_req *r, uint16_t ext,
		      uint32_t lt)
{
	memset(b, 0, WGM_PCP_MAP_LEN);
	b[0] = 2;
	b[1] = 0x81;
	put32(b + 4, lt);
	put32(b + 8, 77);
	memcpy(b + 24, r->nonce, WGM_PCP_NONCE_LEN);
	b[36] = 17;
	put16(b + 40, r->internal_port);
	put16(b + 42, ext);
	if (!tu_unhex(b + 44, "00000000000000000000ffffcb007101", 16))
		abort();
	return WGM_PCP_MAP_LEN;
}

TEST(pcp_answer)
{
	uint8_t b[WGM_PCP_MAX_LEN + 8];
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	char s[INET_ADDRSTRLEN];
	const char *why;
	size_t n;

	pcp_req(&r, 7200);
	n = pcp_rsp(b, &r, 40000, 3600);
	ASSERT_EQ(WGM_PM_OK, wgm_pcp_decode_map(b, n, &r, &a, &why));
	EXPECT_EQ(77, a.epoch);
	EXPECT_EQ(3600, a.lifetime);
	EXPECT_EQ(AF_INET, a.external.sa.sa_family);
	EXPECT_STREQ("203.0.113.1", ip4(&a.external, s));
	EXPECT_EQ(40000, ntohs(a.external.in.sin_port));
	/* an option after the payload (THIRD_PARTY, 16 bytes) is fine */
	b[60] = 1;
	put16(b + 62, 16);
	memset(b + 64, 0, 16);
	EXPECT_EQ(WGM_PM_OK, wgm_pcp_decode_map(b, 80, &r, &a, &why));
	/* an odd option length is padded */
	put16(b + 62, 13);
	EXPECT_EQ(WGM_PM_OK, wgm_pcp_decode_map(b, 80, &r, &a, &why));
	/* a longer lifetime than asked is cut */
	pcp_rsp(b, &r, 40000, 100000);
	ASSERT_EQ(WGM_PM_OK, wgm_pcp_decode_map(b, n, &r, &a, &why));
	EXPECT_EQ(7200, a.lifetime);
}

TEST(pcp_truncated_and_bad_lengths)
{
	uint8_t b[WGM_PCP_MAX_LEN + 8];
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	const char *why;
	size_t n;

	pcp_req(&r, 7200);
	pcp_rsp(b, &r, 40000, 3600);
	for (n = 0; n < WGM_PCP_MAP_LEN; n++) {
		why = NULL;
		EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, n, &r, &a, &why));
		EXPECT_NE(NULL, why);
	}
	memset(b + 60, 0, sizeof(b) - 60);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 61, &r, &a, &why));
	EXPECT_STREQ("PCP answer of a bad length", why);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, WGM_PCP_MAX_LEN + 4, &r, &a, &why));
	EXPECT_STREQ("PCP answer of a bad length", why);
	/* options whose length runs past the end, or a cut option header */
	b[60] = 1;
	put16(b + 62, 20);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 80, &r, &a, &why));
	EXPECT_STREQ("PCP answer with garbled options", why);
	put16(b + 62, 0xffff);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 80, &r, &a, &why));
	put16(b + 62, 0);
	put16(b + 66, 0xfff0);	/* the second option is cut */
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 68, &r, &a, &why));
}

TEST(pcp_wrong_version_opcode_nonce)
{
	uint8_t b[WGM_PCP_MAP_LEN];
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	const char *why;

	pcp_req(&r, 7200);
	pcp_rsp(b, &r, 40000, 3600);
	b[0] = 1;
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("not a PCP version 2 answer", why);
	pcp_rsp(b, &r, 40000, 3600);
	b[1] = 0x01;		/* R bit clear: a request (ours reflected?) */
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("a PCP request, not an answer", why);
	b[1] = 0x82;		/* PEER */
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP answer to another opcode", why);
	b[1] = 0x80;		/* ANNOUNCE */
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	pcp_rsp(b, &r, 40000, 3600);
	b[30] ^= 1;
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP answer with another mapping nonce", why);
	pcp_rsp(b, &r, 40000, 3600);
	b[36] = 6;
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP answer for another protocol", why);
	pcp_rsp(b, &r, 40000, 3600);
	put16(b + 40, 1);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP answer for another internal port", why);
}

TEST(pcp_refused_and_natpmp_only)
{
	uint8_t b[WGM_PCP_MAP_LEN];
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	const char *why;

	pcp_req(&r, 7200);
	pcp_rsp(b, &r, 0, 0);
	b[3] = 2;
	EXPECT_EQ(WGM_PM_REFUSED, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("NOT_AUTHORIZED", why);
	EXPECT_EQ(2, a.result);
	/* a header-only refusal (the request was not understood) */
	b[3] = 3;
	EXPECT_EQ(WGM_PM_REFUSED, wgm_pcp_decode_map(b, 24, &r, &a, &why));
	EXPECT_STREQ("MALFORMED_REQUEST", why);
	/* but a refusal with a payload must be for our nonce */
	b[24] ^= 0xff;
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	b[3] = 200;
	EXPECT_EQ(WGM_PM_REFUSED, wgm_pcp_decode_map(b, 24, &r, &a, &why));
	EXPECT_STREQ("unknown result", why);
	/* a NAT-PMP server: version 0, opcode + 128, unsupported version */
	ASSERT_TRUE(tu_unhex(b, "0081000100000010", 8));
	EXPECT_EQ(WGM_PM_NATPMP_ONLY, wgm_pcp_decode_map(b, 8, &r, &a, &why));
	EXPECT_STREQ("the gateway speaks NAT-PMP, not PCP", why);
	/* any other version-0 answer is garbage */
	put16(b + 2, 0);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 8, &r, &a, &why));
}

TEST(pcp_hostile_values)
{
	uint8_t b[WGM_PCP_MAP_LEN];
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	const char *why;

	pcp_req(&r, 7200);
	pcp_rsp(b, &r, 0, 3600);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP mapping to external port 0", why);
	pcp_rsp(b, &r, 40000, 3);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP mapping lifetime too short", why);
	pcp_rsp(b, &r, 40000, 3600);
	memset(b + 56, 0, 4);		/* 0.0.0.0 */
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP mapping to an unusable external address", why);
	b[56] = 127;
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	memset(b + 44, 0, 16);		/* :: (and an IPv6 answer to IPv4) */
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	ASSERT_TRUE(tu_unhex(b + 44, "20010db8000000000000000000000001", 16));
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP mapping in another address family", why);
}

TEST(pcp_delete)
{
	uint8_t b[WGM_PCP_MAP_LEN];
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	const char *why;

	pcp_req(&r, 0);
	wgm_pcp_map_req(b, &r);
	EXPECT_EQ(0, b[4] | b[5] | b[6] | b[7]);
	pcp_rsp(b, &r, 40000, 0);
	EXPECT_EQ(WGM_PM_OK, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	pcp_rsp(b, &r, 40000, 100);
	EXPECT_EQ(WGM_PM_BAD, wgm_pcp_decode_map(b, 60, &r, &a, &why));
	EXPECT_STREQ("PCP deletion answered with a lifetime", why);
}

/* Random bytes never decode as a success for our nonce and port. */
TEST(random_answers_never_succeed)
{
	uint8_t b[128];
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	const char *why;
	uint32_t x = 12345;
	int i;
	size_t j, n;

	pcp_req(&r, 7200);
	for (i = 0; i < 20000; i++) {
		n = (size_t)(x % sizeof(b));
		for (j = 0; j < sizeof(b); j++) {
			x = x * 1103515245u + 12345u;
			b[j] = (uint8_t)(x >> 16);
		}
		EXPECT_NE(WGM_PM_OK, wgm_pcp_decode_map(b, n, &r, &a, &why));
	}
}

/* ---- epoch ---- */

TEST(epoch)
{
	/* normal: both clocks advanced an hour */
	EXPECT_FALSE(wgm_pm_epoch_lost(1000, 0, 4600, 3600000));
	/* a little drift either way */
	EXPECT_FALSE(wgm_pm_epoch_lost(1000, 0, 4400, 3600000));
	EXPECT_FALSE(wgm_pm_epoch_lost(1000, 0, 4800, 3600000));
	/* one second back is rounding */
	EXPECT_FALSE(wgm_pm_epoch_lost(1000, 0, 999, 500));
	/* restarted: the epoch went back */
	EXPECT_TRUE(wgm_pm_epoch_lost(1000, 0, 5, 10000));
	/* restarted long ago, between two renewals: too little progress */
	EXPECT_TRUE(wgm_pm_epoch_lost(1000, 0, 1100, 3600000));
	/* a server clock that ran far ahead */
	EXPECT_TRUE(wgm_pm_epoch_lost(1000, 0, 90000, 60000));
	/* our clock going back is treated as a loss */
	EXPECT_TRUE(wgm_pm_epoch_lost(1000, 5000, 1000, 1000));
}

/* ---- the gateway ---- */

/* A /proc/net/route line for default via gw (a.b.c.d) with metric m. */
static void route_line(char *buf, size_t len, const char *ifname,
		       const char *gw, unsigned int flags, unsigned int metric)
{
	struct in_addr a;
	uint32_t v;

	inet_pton(AF_INET, gw, &a);
	memcpy(&v, &a, 4);
	snprintf(buf, len, "%s\t00000000\t%08X\t%04X\t0\t0\t%u\t00000000\t0\t0\t0\n",
		 ifname, v, flags, metric);
}

TEST(default_gateway)
{
	const char *hdr = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
	char text[1024], l1[128], l2[128], l3[128], s[INET_ADDRSTRLEN];
	uint8_t gw[4];
	struct in_addr a;

	snprintf(text, sizeof(text), "%s", hdr);
	EXPECT_EQ(-1, wgm_pm_default_gateway(text, strlen(text), gw));
	/* a subnet route and a default route */
	route_line(l1, sizeof(l1), "eth0", "10.1.0.1", 3, 0);
	snprintf(text, sizeof(text), "%seth0\t0000010A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n%s",
		 hdr, l1);
	ASSERT_EQ(0, wgm_pm_default_gateway(text, strlen(text), gw));
	memcpy(&a, gw, 4);
	EXPECT_STREQ("10.1.0.1", inet_ntop(AF_INET, &a, s, sizeof(s)));
	/* the lowest metric wins; a route that is down or has no gateway does not count */
	route_line(l1, sizeof(l1), "eth0", "10.1.0.1", 3, 100);
	route_line(l2, sizeof(l2), "eth1", "10.2.0.1", 3, 50);
	route_line(l3, sizeof(l3), "eth2", "10.3.0.1", 2, 1);
	snprintf(text, sizeof(text), "%s%s%s%s", hdr, l1, l2, l3);
	ASSERT_EQ(0, wgm_pm_default_gateway(text, strlen(text), gw));
	memcpy(&a, gw, 4);
	EXPECT_STREQ("10.2.0.1", inet_ntop(AF_INET, &a, s, sizeof(s)));
	/* garbled lines are skipped; no newline at the end is fine */
	snprintf(text, sizeof(text), "%sjunk\nx\tzz\t0101010A\t0003\t0\t0\t0\t00000000\n%.*s",
		 hdr, (int)strlen(l2) - 1, l2);
	ASSERT_EQ(0, wgm_pm_default_gateway(text, strlen(text), gw));
	memcpy(&a, gw, 4);
	EXPECT_STREQ("10.2.0.1", inet_ntop(AF_INET, &a, s, sizeof(s)));
	/* only the header: no gateway */
	EXPECT_EQ(-1, wgm_pm_default_gateway(hdr, strlen(hdr), gw));
	EXPECT_EQ(-1, wgm_pm_default_gateway("", 0, gw));
}

TEST(external_ok)
{
	union wgm_sockaddr a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	inet_pton(AF_INET, "203.0.113.1", &a.in.sin_addr);
	EXPECT_TRUE(wgm_pm_external_ok(&a));
	inet_pton(AF_INET, "192.168.1.1", &a.in.sin_addr);
	EXPECT_TRUE(wgm_pm_external_ok(&a));	/* double NAT: still a candidate */
	inet_pton(AF_INET, "0.1.2.3", &a.in.sin_addr);
	EXPECT_FALSE(wgm_pm_external_ok(&a));
	memset(&a, 0, sizeof(a));
	a.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &a.in6.sin6_addr);
	EXPECT_TRUE(wgm_pm_external_ok(&a));
	inet_pton(AF_INET6, "fe80::1", &a.in6.sin6_addr);
	EXPECT_FALSE(wgm_pm_external_ok(&a));
	inet_pton(AF_INET6, "::ffff:203.0.113.1", &a.in6.sin6_addr);
	EXPECT_FALSE(wgm_pm_external_ok(&a));
	a.sa.sa_family = AF_UNIX;
	EXPECT_FALSE(wgm_pm_external_ok(&a));
}

TEST(result_names)
{
	EXPECT_STREQ("success", wgm_natpmp_result_name(0));
	EXPECT_STREQ("unsupported opcode", wgm_natpmp_result_name(5));
	EXPECT_STREQ("unknown result", wgm_natpmp_result_name(6));
	EXPECT_STREQ("SUCCESS", wgm_pcp_result_name(0));
	EXPECT_STREQ("EXCESSIVE_REMOTE_PEERS", wgm_pcp_result_name(13));
	EXPECT_STREQ("unknown result", wgm_pcp_result_name(14));
}

TEST_HARNESS_MAIN
