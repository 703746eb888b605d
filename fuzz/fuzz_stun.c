// SPDX-License-Identifier: GPL-2.0-only
/*
 * STUN responses (kernel/stun.c, built in userspace through
 * selftests/unit/kshim.h): what the tunnel socket hands to
 * wgm_stun_receive() is any UDP payload that passes
 * wgm_stun_looks_like_stun() and is at most WGM_STUN_MAX_LEN long; the
 * parser is given every input, whatever its length.
 *
 * Checked: no out-of-bounds access (ASan: the input is an exact-size
 * heap copy), and a parsed address is a well-formed sockaddr_in or
 * sockaddr_in6 that only a Binding success of the right length and
 * transaction could produce.
 */
#include "stun.c"

#include "fuzz.h"

static void check_parse(const u8 *buf, size_t len, const u8 *txid)
{
	struct sockaddr_storage ss;
	int ret;

	memset(&ss, 0xa5, sizeof(ss));
	ret = wgm_stun_parse_response(buf, len, txid, &ss);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ESRCH || ret == -ENOENT);
	if (ret)
		return;
	FUZZ_CHECK(wgm_stun_looks_like_stun(buf, len));
	FUZZ_CHECK(len <= WGM_STUN_MAX_LEN);
	FUZZ_CHECK(wgm_stun_get16(buf) == WGM_STUN_BINDING_SUCCESS);
	FUZZ_CHECK(WGM_STUN_HEADER_LEN + (size_t)wgm_stun_get16(buf + 2) == len);
	FUZZ_CHECK(!memcmp(buf + 8, txid, WGM_STUN_TXID_LEN));
	FUZZ_CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u8 other_txid[WGM_STUN_TXID_LEN] = {
		0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
	};
	u8 req[WGM_STUN_HEADER_LEN];
	struct sockaddr_storage ss;

	wgm_stun_looks_like_stun(data, size);
	/* the transaction we asked for: the one in the message, and another */
	if (size >= WGM_STUN_HEADER_LEN)
		check_parse(data, size, data + 8);
	check_parse(data, size, other_txid);

	/* our own request is STUN but never a response */
	FUZZ_CHECK(wgm_stun_build_request(req, sizeof(req), other_txid) == sizeof(req));
	FUZZ_CHECK(wgm_stun_looks_like_stun(req, sizeof(req)));
	FUZZ_CHECK(wgm_stun_parse_response(req, sizeof(req), other_txid, &ss) == -EINVAL);
	return 0;
}

/* RFC 5769 2.2: IPv4 response, XOR-MAPPED-ADDRESS 192.0.2.1:32853 */
static const u8 rfc5769_v4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
	0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
	0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3: IPv6 response, 2001:db8:1234:5678:11:2233:4455:6677 port 32853 */
static const u8 rfc5769_v6[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
	0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
	0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
	0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
	0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
	0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
	0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* Binding success with one attribute of @vlen value bytes */
static size_t one_attr(u8 *m, u16 type, const u8 *val, u16 vlen)
{
	size_t padded = ALIGN((size_t)vlen, 4);

	wgm_stun_put16(m, WGM_STUN_BINDING_SUCCESS);
	wgm_stun_put16(m + 2, (u16)(4 + padded));
	wgm_stun_put32(m + 4, WGM_STUN_MAGIC);
	memcpy(m + 8, rfc5769_v4 + 8, WGM_STUN_TXID_LEN);
	wgm_stun_put16(m + 20, type);
	wgm_stun_put16(m + 22, vlen);
	memset(m + 24, 0, padded);
	memcpy(m + 24, val, vlen);
	return 24 + padded;
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	static const u8 plain4[8] = { 0, 1, 0xca, 0x6c, 198, 51, 100, 7 };
	static const u8 plain6[20] = { 0, 2, 0x11, 0x5c, 0x20, 0x01, 0x0d, 0xb8, [19] = 1 };
	u8 m[64], req[WGM_STUN_HEADER_LEN];

	emit("rfc5769-v4", rfc5769_v4, sizeof(rfc5769_v4));
	emit("rfc5769-v6", rfc5769_v6, sizeof(rfc5769_v6));
	emit("mapped-v4", m, one_attr(m, WGM_STUN_ATTR_MAPPED_ADDRESS, plain4, 8));
	emit("mapped-v6", m, one_attr(m, WGM_STUN_ATTR_MAPPED_ADDRESS, plain6, 20));
	emit("odd-attr-len", m, one_attr(m, 0x8022, plain4, 5));
	wgm_stun_build_request(req, sizeof(req), rfc5769_v4 + 8);
	emit("request", req, sizeof(req));
}
