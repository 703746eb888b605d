// SPDX-License-Identifier: GPL-2.0-only
/*
 * PCP (RFC 6887) MAP requests and answers for UDP, pure.  Network order.
 *
 *   request header (24)              answer header (24)
 *     0 version (2)                    0 version (2)
 *     1 R=0 | opcode (1: MAP)          1 R=1 | opcode
 *     2 reserved (2)                   2 reserved
 *     4 requested lifetime (u32)       3 result code
 *     8 client IP address (16)         4 lifetime (u32)
 *                                      8 epoch time (u32)
 *                                     12 reserved (12)
 *   MAP payload (36), both directions
 *    24 mapping nonce (12)
 *    36 protocol (17: UDP)
 *    37 reserved (3)
 *    40 internal port
 *    42 suggested / assigned external port
 *    44 suggested / assigned external IP address (16)
 *   then options: code (1), reserved (1), length (u16), data padded to 4.
 */
#include <netinet/in.h>
#include <string.h>

#include "bytes.h"
#include "portmap.h"

#define PCP_R		0x80
#define PROTO_UDP	17
#define RESULT_UNSUPP_VERSION	1

static const uint8_t v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

const char *wgm_pcp_result_name(uint8_t result)
{
	static const char *const names[] = {
		"SUCCESS", "UNSUPP_VERSION", "NOT_AUTHORIZED",
		"MALFORMED_REQUEST", "UNSUPP_OPCODE", "UNSUPP_OPTION",
		"MALFORMED_OPTION", "NETWORK_FAILURE", "NO_RESOURCES",
		"UNSUPP_PROTOCOL", "USER_EX_QUOTA", "CANNOT_PROVIDE_EXTERNAL",
		"ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS",
	};

	return result < sizeof(names) / sizeof(names[0]) ? names[result] :
	       "unknown result";
}

size_t wgm_pcp_map_req(uint8_t out[WGM_PCP_MAP_LEN],
		       const struct wgm_pcp_req *r)
{
	bool v4 = !memcmp(r->client, v4mapped, sizeof(v4mapped));

	memset(out, 0, WGM_PCP_MAP_LEN);
	out[0] = WGM_PCP_VERSION;
	out[1] = WGM_PCP_OP_MAP;
	wgm_put_be32(out + 4, r->lifetime);
	memcpy(out + 8, r->client, 16);
	memcpy(out + 24, r->nonce, WGM_PCP_NONCE_LEN);
	out[36] = PROTO_UDP;
	wgm_put_be16(out + 40, r->internal_port);
	wgm_put_be16(out + 42, r->suggested_port);
	/* no preferred external address: all zeros, IPv4-mapped for IPv4 */
	if (v4)
		memcpy(out + 44, v4mapped, sizeof(v4mapped));
	return WGM_PCP_MAP_LEN;
}

/* Options after the MAP payload: each header whole, each length inside. */
static bool options_framed(const uint8_t *p, size_t n)
{
	while (n) {
		size_t len, padded;

		if (n < 4)
			return false;
		len = wgm_get_be16(p + 2);
		padded = (len + 3) & ~(size_t)3;
		if (padded > n - 4)
			return false;
		p += 4 + padded;
		n -= 4 + padded;
	}
	return true;
}

enum wgm_pm_verdict wgm_pcp_decode_map(const uint8_t *b, size_t n,
				       const struct wgm_pcp_req *r,
				       struct wgm_pm_answer *a,
				       const char **why)
{
	bool req_v4 = !memcmp(r->client, v4mapped, sizeof(v4mapped));

	memset(a, 0, sizeof(*a));
	if (n >= 4 && b[0] == 0 && b[1] >= 128 && wgm_get_be16(b + 2) == RESULT_UNSUPP_VERSION) {
		/* RFC 6887 9: a NAT-PMP server's answer to a PCP request */
		*why = "the gateway speaks NAT-PMP, not PCP";
		return WGM_PM_NATPMP_ONLY;
	}
	if (n < WGM_PCP_HDR_LEN) {
		*why = "truncated PCP answer";
		return WGM_PM_BAD;
	}
	if (n > WGM_PCP_MAX_LEN || n % 4) {
		*why = "PCP answer of a bad length";
		return WGM_PM_BAD;
	}
	if (b[0] != WGM_PCP_VERSION) {
		*why = "not a PCP version 2 answer";
		return WGM_PM_BAD;
	}
	if (!(b[1] & PCP_R)) {
		*why = "a PCP request, not an answer";
		return WGM_PM_BAD;
	}
	if ((b[1] & ~PCP_R) != WGM_PCP_OP_MAP) {
		*why = "PCP answer to another opcode";
		return WGM_PM_BAD;
	}
	a->result = b[3];
	a->lifetime = wgm_get_be32(b + 4);
	a->epoch = wgm_get_be32(b + 8);
	if (a->result != 0 && n < WGM_PCP_MAP_LEN) {
		/* an error about the header comes without the payload */
		*why = wgm_pcp_result_name(a->result);
		return WGM_PM_REFUSED;
	}
	if (n < WGM_PCP_MAP_LEN) {
		*why = "truncated PCP answer";
		return WGM_PM_BAD;
	}
	if (memcmp(b + 24, r->nonce, WGM_PCP_NONCE_LEN)) {
		*why = "PCP answer with another mapping nonce";
		return WGM_PM_BAD;
	}
	if (b[36] != PROTO_UDP) {
		*why = "PCP answer for another protocol";
		return WGM_PM_BAD;
	}
	a->internal_port = wgm_get_be16(b + 40);
	if (a->internal_port != r->internal_port) {
		*why = "PCP answer for another internal port";
		return WGM_PM_BAD;
	}
	if (!options_framed(b + WGM_PCP_MAP_LEN, n - WGM_PCP_MAP_LEN)) {
		*why = "PCP answer with garbled options";
		return WGM_PM_BAD;
	}
	if (a->result != 0) {
		*why = wgm_pcp_result_name(a->result);
		return WGM_PM_REFUSED;
	}
	if (!memcmp(b + 44, v4mapped, sizeof(v4mapped))) {
		a->external.in.sin_family = AF_INET;
		memcpy(&a->external.in.sin_addr, b + 56, 4);
		a->external.in.sin_port = htons(wgm_get_be16(b + 42));
	} else {
		a->external.in6.sin6_family = AF_INET6;
		memcpy(&a->external.in6.sin6_addr, b + 44, 16);
		a->external.in6.sin6_port = htons(wgm_get_be16(b + 42));
	}
	if (r->lifetime == 0) {
		/* a deletion: RFC 6887 15 answers it with lifetime 0 */
		if (a->lifetime) {
			*why = "PCP deletion answered with a lifetime";
			return WGM_PM_BAD;
		}
		return WGM_PM_OK;
	}
	if ((a->external.sa.sa_family == AF_INET) != req_v4) {
		*why = "PCP mapping in another address family";
		return WGM_PM_BAD;
	}
	if (!wgm_get_be16(b + 42)) {
		*why = "PCP mapping to external port 0";
		return WGM_PM_BAD;
	}
	if (!wgm_pm_external_ok(&a->external)) {
		*why = "PCP mapping to an unusable external address";
		return WGM_PM_BAD;
	}
	if (a->lifetime < WGM_PM_MIN_LIFETIME) {
		*why = "PCP mapping lifetime too short";
		return WGM_PM_BAD;
	}
	if (a->lifetime > r->lifetime)
		a->lifetime = r->lifetime;
	return WGM_PM_OK;
}
