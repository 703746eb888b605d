// SPDX-License-Identifier: GPL-2.0-only
/*
 * NAT-PMP (RFC 6886) requests and answers, pure.  All fields are in
 * network order.
 *
 *   external address request      answer (12 bytes)
 *     0 version (0)                 0 version (0)
 *     1 opcode (0)                  1 opcode (128)
 *                                   2 result (u16)
 *                                   4 epoch, seconds (u32)
 *                                   8 external IPv4 address
 *
 *   UDP mapping request (12)      answer (16 bytes)
 *     0 version (0)                 0 version (0)
 *     1 opcode (1: UDP)             1 opcode (129)
 *     2 reserved (0)                2 result (u16)
 *     4 internal port               4 epoch (u32)
 *     6 suggested external port     8 internal port
 *     8 lifetime, seconds (u32)    10 mapped external port
 *                                  12 lifetime granted (u32)
 */
#include <netinet/in.h>
#include <string.h>

#include "bytes.h"
#include "portmap.h"

#define NATPMP_VERSION	0
#define OP_ADDR		0
#define OP_MAP_UDP	1
#define OP_ANSWER	128

const char *wgm_natpmp_result_name(uint16_t result)
{
	static const char *const names[] = {
		"success", "unsupported version", "not authorized or refused",
		"network failure", "out of resources", "unsupported opcode",
	};

	return result < sizeof(names) / sizeof(names[0]) ? names[result] :
	       "unknown result";
}

size_t wgm_natpmp_addr_req(uint8_t out[WGM_NATPMP_ADDR_REQ_LEN])
{
	out[0] = NATPMP_VERSION;
	out[1] = OP_ADDR;
	return WGM_NATPMP_ADDR_REQ_LEN;
}

size_t wgm_natpmp_map_req(uint8_t out[WGM_NATPMP_MAP_REQ_LEN],
			  uint16_t internal_port, uint16_t suggested_port,
			  uint32_t lifetime)
{
	out[0] = NATPMP_VERSION;
	out[1] = OP_MAP_UDP;
	wgm_put_be16(out + 2, 0);
	wgm_put_be16(out + 4, internal_port);
	wgm_put_be16(out + 6, suggested_port);
	wgm_put_be32(out + 8, lifetime);
	return WGM_NATPMP_MAP_REQ_LEN;
}

/*
 * The common header of an answer to opcode op: version, opcode, result,
 * epoch.  WGM_PM_OK means "read on" (the result may still be an error).
 */
static enum wgm_pm_verdict header(const uint8_t *b, size_t n, size_t want,
				  uint8_t op, struct wgm_pm_answer *a,
				  const char **why)
{
	memset(a, 0, sizeof(*a));
	if (n < 4) {
		*why = "truncated NAT-PMP answer";
		return WGM_PM_BAD;
	}
	if (b[0] != NATPMP_VERSION) {
		*why = "not a NAT-PMP version 0 answer";
		return WGM_PM_BAD;
	}
	if (b[1] != (uint8_t)(OP_ANSWER + op)) {
		*why = "NAT-PMP answer to another opcode";
		return WGM_PM_BAD;
	}
	a->result = (uint8_t)(wgm_get_be16(b + 2) > 255 ? 255 : wgm_get_be16(b + 2));
	if (wgm_get_be16(b + 2) != 0) {
		/*
		 * RFC 6886 3.5: an error answer may be as short as its
		 * header when the request was not understood.
		 */
		if (n >= 8)
			a->epoch = wgm_get_be32(b + 4);
		*why = wgm_natpmp_result_name(wgm_get_be16(b + 2));
		return WGM_PM_REFUSED;
	}
	if (n < want) {
		*why = "truncated NAT-PMP answer";
		return WGM_PM_BAD;
	}
	a->epoch = wgm_get_be32(b + 4);
	return WGM_PM_OK;
}

enum wgm_pm_verdict wgm_natpmp_decode_addr(const uint8_t *b, size_t n,
					   struct wgm_pm_answer *a,
					   const char **why)
{
	enum wgm_pm_verdict v;

	v = header(b, n, WGM_NATPMP_ADDR_RSP_LEN, OP_ADDR, a, why);
	if (v != WGM_PM_OK)
		return v;
	a->external.in.sin_family = AF_INET;
	memcpy(&a->external.in.sin_addr, b + 8, 4);
	if (!a->external.in.sin_addr.s_addr) {
		/* RFC 6886 3.2: the gateway has no external address (yet) */
		*why = "the gateway has no external address";
		return WGM_PM_BAD;
	}
	if (!wgm_pm_external_ok(&a->external)) {
		*why = "unusable external address (loopback, multicast, broadcast or link-local)";
		return WGM_PM_BAD;
	}
	return WGM_PM_OK;
}

enum wgm_pm_verdict wgm_natpmp_decode_map(const uint8_t *b, size_t n,
					  uint16_t internal_port,
					  uint32_t lifetime,
					  struct wgm_pm_answer *a,
					  const char **why)
{
	enum wgm_pm_verdict v;
	uint16_t ext;

	v = header(b, n, WGM_NATPMP_MAP_RSP_LEN, OP_MAP_UDP, a, why);
	if (v != WGM_PM_OK)
		return v;
	a->internal_port = wgm_get_be16(b + 8);
	ext = wgm_get_be16(b + 10);
	a->lifetime = wgm_get_be32(b + 12);
	if (a->internal_port != internal_port) {
		*why = "NAT-PMP answer for another internal port";
		return WGM_PM_BAD;
	}
	a->external.in.sin_family = AF_INET;
	a->external.in.sin_port = htons(ext);
	if (lifetime == 0) {
		/* a deletion: RFC 6886 3.4 says port and lifetime come back 0 */
		if (a->lifetime) {
			*why = "NAT-PMP deletion answered with a lifetime";
			return WGM_PM_BAD;
		}
		return WGM_PM_OK;
	}
	if (!ext) {
		*why = "NAT-PMP mapping to external port 0";
		return WGM_PM_BAD;
	}
	if (a->lifetime < WGM_PM_MIN_LIFETIME) {
		*why = "NAT-PMP mapping lifetime too short";
		return WGM_PM_BAD;
	}
	if (a->lifetime > lifetime)
		a->lifetime = lifetime;
	return WGM_PM_OK;
}
