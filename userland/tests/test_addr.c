// SPDX-License-Identifier: GPL-2.0-only
/* Endpoint, CIDR, number and list parsing. */
#include "kselftest_harness.h"
#include "testutil.h"

#include <arpa/inet.h>

#include "addr.h"

static const char *ep_roundtrip(const char *in, char *buf, size_t len)
{
	union wgm_sockaddr sa;
	struct wgm_err err;

	if (wgm_parse_endpoint(in, &sa, &err))
		return "ERROR";
	return wgm_format_endpoint(&sa, buf, len);
}

TEST(endpoint_ipv4)
{
	char buf[WGM_ADDRSTRLEN];
	union wgm_sockaddr sa;
	struct wgm_err err;

	ASSERT_EQ(0, wgm_parse_endpoint("1.2.3.4:51820", &sa, &err));
	EXPECT_EQ(AF_INET, sa.sa.sa_family);
	EXPECT_EQ(htons(51820), sa.in.sin_port);
	EXPECT_EQ(htonl(0x01020304), sa.in.sin_addr.s_addr);
	EXPECT_STREQ("1.2.3.4:51820", wgm_format_endpoint(&sa, buf, sizeof(buf)));
	EXPECT_STREQ("255.255.255.255:1", ep_roundtrip("255.255.255.255:1", buf, sizeof(buf)));
	EXPECT_STREQ("10.0.0.1:65535", ep_roundtrip("10.0.0.1:65535", buf, sizeof(buf)));
}

TEST(endpoint_ipv6_brackets)
{
	char buf[WGM_ADDRSTRLEN];
	union wgm_sockaddr sa;
	struct wgm_err err;

	ASSERT_EQ(0, wgm_parse_endpoint("[fd00::1]:51820", &sa, &err));
	EXPECT_EQ(AF_INET6, sa.sa.sa_family);
	EXPECT_EQ(htons(51820), sa.in6.sin6_port);
	EXPECT_EQ(1, sa.in6.sin6_addr.s6_addr[15]);
	EXPECT_STREQ("[fd00::1]:51820", wgm_format_endpoint(&sa, buf, sizeof(buf)));
	EXPECT_STREQ("[::ffff:1.2.3.4]:7", ep_roundtrip("[::ffff:1.2.3.4]:7", buf, sizeof(buf)));
	EXPECT_STREQ("[2001:db8::]:9", ep_roundtrip("[2001:DB8:0::0]:9", buf, sizeof(buf)));
}

TEST(endpoint_hostname_resolves)
{
	char buf[WGM_ADDRSTRLEN];

	/* localhost comes from /etc/hosts: no network needed. */
	const char *s = ep_roundtrip("localhost:51820", buf, sizeof(buf));

	EXPECT_TRUE(!strcmp(s, "127.0.0.1:51820") || !strcmp(s, "[::1]:51820"));
}

TEST(endpoint_bad_inputs)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "1.2.3.4", "expected HOST:PORT" },
		{ "1.2.3.4:", "port must be a number 1-65535" },
		{ "1.2.3.4:0", "port must be a number 1-65535" },
		{ "1.2.3.4:65536", "port must be a number 1-65535" },
		{ "1.2.3.4:-1", "port must be a number 1-65535" },
		{ "1.2.3.4:80x", "port must be a number 1-65535" },
		{ "1.2.3.4: 80", "port must be a number 1-65535" },
		{ ":51820", "expected HOST:PORT" },
		{ "fd00::1:51820", "write IPv6 endpoints as [ADDRESS]:PORT" },
		{ "[fd00::1]51820", "expected [IPV6]:PORT" },
		{ "[fd00::1", "expected [IPV6]:PORT" },
		{ "[1.2.3.4]:80", "brackets are only for IPv6" },
		{ "[]:80", "bad endpoint" },
		{ "no-such-host.invalid:51820", "cannot resolve host 'no-such-host.invalid'" },
	};
	union wgm_sockaddr sa;
	struct wgm_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err.msg[0] = '\0';
		EXPECT_EQ(-1, wgm_parse_endpoint(cases[i].in, &sa, &err))
			TH_LOG("accepted '%s'", cases[i].in);
		EXPECT_NE(NULL, strstr(err.msg, cases[i].msg))
			TH_LOG("'%s' -> '%s'", cases[i].in, err.msg);
	}
}

TEST(endpoint_equality)
{
	union wgm_sockaddr a, b;
	struct wgm_err err;

	ASSERT_EQ(0, wgm_parse_endpoint("1.2.3.4:1", &a, &err));
	ASSERT_EQ(0, wgm_parse_endpoint("1.2.3.4:1", &b, &err));
	EXPECT_TRUE(wgm_endpoint_equal(&a, &b));
	ASSERT_EQ(0, wgm_parse_endpoint("1.2.3.4:2", &b, &err));
	EXPECT_FALSE(wgm_endpoint_equal(&a, &b));
	ASSERT_EQ(0, wgm_parse_endpoint("[::1]:1", &b, &err));
	EXPECT_FALSE(wgm_endpoint_equal(&a, &b));
}

TEST(endpoint_unset_formats_none)
{
	union wgm_sockaddr sa;
	char buf[WGM_ADDRSTRLEN];

	memset(&sa, 0, sizeof(sa));
	EXPECT_STREQ("(none)", wgm_format_endpoint(&sa, buf, sizeof(buf)));
}

TEST(cidr_good)
{
	struct mesh_conf_aip aip;
	struct wgm_err err;
	char buf[WGM_ADDRSTRLEN];

	ASSERT_EQ(0, wgm_parse_cidr("10.0.0.0/8", &aip, &err));
	EXPECT_EQ(AF_INET, aip.family);
	EXPECT_EQ(8, aip.cidr);
	EXPECT_STREQ("10.0.0.0/8", wgm_format_cidr(&aip, buf, sizeof(buf)));
	ASSERT_EQ(0, wgm_parse_cidr("192.168.1.7", &aip, &err));
	EXPECT_EQ(32, aip.cidr);
	ASSERT_EQ(0, wgm_parse_cidr("0.0.0.0/0", &aip, &err));
	EXPECT_EQ(0, aip.cidr);
	ASSERT_EQ(0, wgm_parse_cidr("fd00::/64", &aip, &err));
	EXPECT_EQ(AF_INET6, aip.family);
	EXPECT_EQ(64, aip.cidr);
	EXPECT_STREQ("fd00::/64", wgm_format_cidr(&aip, buf, sizeof(buf)));
	ASSERT_EQ(0, wgm_parse_cidr("::1", &aip, &err));
	EXPECT_EQ(128, aip.cidr);
	ASSERT_EQ(0, wgm_parse_cidr("::/0", &aip, &err));
	EXPECT_EQ(0, aip.cidr);
}

TEST(cidr_bad)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/8x", "10.0.0/8", "fd00::/129", "fd00:::/64",
		"hostname/8", "[fd00::]/64", "10.0.0.0/8/8", "10.0.0.0/ 8",
	};
	struct mesh_conf_aip aip;
	struct wgm_err err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		EXPECT_EQ(-1, wgm_parse_cidr(bad[i], &aip, &err))
			TH_LOG("accepted '%s'", bad[i]);
		EXPECT_NE(NULL, strstr(err.msg, "bad CIDR"))
			TH_LOG("'%s' -> '%s'", bad[i], err.msg);
	}
}

TEST(cidr_compare_ignores_host_bits)
{
	struct mesh_conf_aip a, b;
	struct wgm_err err;

	ASSERT_EQ(0, wgm_parse_cidr("10.1.2.3/8", &a, &err));
	ASSERT_EQ(0, wgm_parse_cidr("10.0.0.0/8", &b, &err));
	EXPECT_TRUE(wgm_cidr_equal(&a, &b));
	ASSERT_EQ(0, wgm_parse_cidr("10.0.0.0/9", &b, &err));
	EXPECT_FALSE(wgm_cidr_equal(&a, &b));
	ASSERT_EQ(0, wgm_parse_cidr("fd00::1234/120", &a, &err));
	ASSERT_EQ(0, wgm_parse_cidr("fd00::12ff/120", &b, &err));
	EXPECT_TRUE(wgm_cidr_equal(&a, &b));
	ASSERT_EQ(0, wgm_parse_cidr("fd00::ff34/120", &b, &err));
	EXPECT_FALSE(wgm_cidr_equal(&a, &b));
	/* A prefix length that is not a multiple of 8. */
	ASSERT_EQ(0, wgm_parse_cidr("fd00::1234/116", &a, &err));
	ASSERT_EQ(0, wgm_parse_cidr("fd00::1fff/116", &b, &err));
	EXPECT_TRUE(wgm_cidr_equal(&a, &b));
	ASSERT_EQ(0, wgm_parse_cidr("fd00::2234/116", &b, &err));
	EXPECT_FALSE(wgm_cidr_equal(&a, &b));
	EXPECT_EQ(-1, wgm_cidr_cmp(&a, &b));
	EXPECT_EQ(1, wgm_cidr_cmp(&b, &a));
}

TEST(parse_uint)
{
	uint64_t v;

	EXPECT_EQ(0, wgm_parse_uint("0", 10, false, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, wgm_parse_uint("65535", 65535, false, &v));
	EXPECT_EQ(65535, v);
	EXPECT_EQ(-1, wgm_parse_uint("65536", 65535, false, &v));
	EXPECT_EQ(-1, wgm_parse_uint("0x10", 65535, false, &v));
	EXPECT_EQ(0, wgm_parse_uint("0x10", 65535, true, &v));
	EXPECT_EQ(16, v);
	EXPECT_EQ(-1, wgm_parse_uint("", 10, false, &v));
	EXPECT_EQ(-1, wgm_parse_uint("-1", 10, false, &v));
	EXPECT_EQ(-1, wgm_parse_uint("+1", 10, false, &v));
	EXPECT_EQ(-1, wgm_parse_uint(" 1", 10, false, &v));
	EXPECT_EQ(-1, wgm_parse_uint("99999999999999999999999", UINT64_MAX, false, &v));
}

static const char *hp(const char *in, const char *def, char *buf, size_t len)
{
	char host[64], port[6];
	struct wgm_err err;

	if (wgm_split_hostport(in, def, host, sizeof(host), port, &err)) {
		snprintf(buf, len, "ERROR %s", err.msg);
		return buf;
	}
	snprintf(buf, len, "%s|%s", host, port);
	return buf;
}

TEST(split_hostport_good)
{
	char b[300];

	EXPECT_STREQ("127.0.0.1|7443", hp("127.0.0.1:7443", NULL, b, sizeof(b)));
	EXPECT_STREQ("127.0.0.1|7443", hp("127.0.0.1", "7443", b, sizeof(b)));
	EXPECT_STREQ("127.0.0.1|1", hp("127.0.0.1:1", "7443", b, sizeof(b)));
	EXPECT_STREQ("coord.example|65535", hp("coord.example:65535", NULL, b, sizeof(b)));
	EXPECT_STREQ("coord.example|3478", hp("coord.example", "3478", b, sizeof(b)));
	EXPECT_STREQ("::1|7443", hp("[::1]:7443", NULL, b, sizeof(b)));
	EXPECT_STREQ("::1|7443", hp("[::1]", "7443", b, sizeof(b)));
	EXPECT_STREQ("fe80::1%eth0|9", hp("[fe80::1%eth0]:9", NULL, b, sizeof(b)));
	EXPECT_STREQ("10.0.0.1|7443", hp("10.0.0.1:07443", NULL, b, sizeof(b)));
}

/* meshd --coord/--stun: every one of these used to be accepted or misread. */
TEST(split_hostport_bad_ports)
{
	const char *bad[] = {
		"127.0.0.1:99999", "127.0.0.1:65536", "127.0.0.1:0",
		"127.0.0.1:-1", "127.0.0.1:+1", "127.0.0.1:", "[::1]:",
		"[::1]:99999", "[::1]:-1", "127.0.0.1:x", "127.0.0.1:1x",
		"127.0.0.1: 1", "127.0.0.1:0x10", "127.0.0.1:18446744073709551617",
	};
	char b[300];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hp(bad[i], "7443", b, sizeof(b));
		EXPECT_EQ(0, strncmp(b, "ERROR ", 6)) TH_LOG("accepted '%s' as %s", bad[i], b);
		EXPECT_NE(NULL, strstr(b, "1-65535")) TH_LOG("'%s': %s", bad[i], b);
	}
}

TEST(split_hostport_bad_hosts)
{
	const char *bad[] = {
		"", ":7443", "[]:7443", "[::1", "[::1]x", "[::1]:7:7",
		"[1.2.3.4]:7", "::1", "fd00::1:7443", "a:b:c",
	};
	char b[300];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hp(bad[i], "7443", b, sizeof(b));
		EXPECT_EQ(0, strncmp(b, "ERROR ", 6)) TH_LOG("accepted '%s' as %s", bad[i], b);
	}
	/* No default port: the port is required. */
	hp("127.0.0.1", NULL, b, sizeof(b));
	EXPECT_NE(NULL, strstr(b, "no port")) TH_LOG("%s", b);
	hp("[::1]", NULL, b, sizeof(b));
	EXPECT_NE(NULL, strstr(b, "no port")) TH_LOG("%s", b);
}

TEST(split_list)
{
	char s1[] = " a , b,c ", s2[] = "  ", s3[] = "a,,b", s4[] = "a,b,c";
	char *items[4];
	size_t n;

	ASSERT_EQ(0, wgm_split_list(s1, items, 4, &n));
	ASSERT_EQ(3, n);
	EXPECT_STREQ("a", items[0]);
	EXPECT_STREQ("b", items[1]);
	EXPECT_STREQ("c", items[2]);
	ASSERT_EQ(0, wgm_split_list(s2, items, 4, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(-1, wgm_split_list(s3, items, 4, &n));
	EXPECT_EQ(-1, wgm_split_list(s4, items, 2, &n));
}

TEST_HARNESS_MAIN
