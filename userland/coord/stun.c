// SPDX-License-Identifier: GPL-2.0-only
/* STUN Binding request/response encoding (RFC 5389 sections 6, 15.1, 15.2). */
#include "stun.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "bytes.h"

static void header(uint8_t *out, uint16_t type, uint16_t len,
		   const uint8_t txid[12])
{
	wgm_put_be16(out, type);
	wgm_put_be16(out + 2, len);
	wgm_put_be32(out + 4, STUN_MAGIC);
	memcpy(out + 8, txid, 12);
}

/* Common header checks; returns the message type or -1. */
static int check_header(const uint8_t *pkt, size_t len)
{
	size_t alen, off;

	if (len < STUN_HDR_LEN || (pkt[0] & 0xc0))
		return -1;
	alen = wgm_get_be16(pkt + 2);
	if ((alen & 3) || STUN_HDR_LEN + alen != len ||
	    wgm_get_be32(pkt + 4) != STUN_MAGIC)
		return -1;
	/* Attributes must tile the body exactly (padded to 4). */
	for (off = STUN_HDR_LEN; off < len;) {
		size_t l;

		if (len - off < 4)
			return -1;
		l = wgm_get_be16(pkt + off + 2);
		l = (l + 3) & ~(size_t)3;
		if (len - off - 4 < l)
			return -1;
		off += 4 + l;
	}
	return wgm_get_be16(pkt);
}

int stun_parse_request(const uint8_t *pkt, size_t len, uint8_t txid[12])
{
	if (check_header(pkt, len) != STUN_BINDING_REQUEST)
		return -1;
	memcpy(txid, pkt + 8, 12);
	return 0;
}

size_t stun_build_response(uint8_t out[STUN_MAX_RESPONSE],
			   const uint8_t txid[12], const struct sockaddr *from)
{
	uint8_t *a = out + STUN_HDR_LEN;
	size_t i;

	if (from->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)from;
		const uint8_t *ip = (const uint8_t *)&s4->sin_addr;

		header(out, STUN_BINDING_SUCCESS, 12, txid);
		wgm_put_be16(a, STUN_ATTR_XOR_MAPPED);
		wgm_put_be16(a + 2, 8);
		a[4] = 0;
		a[5] = 1;
		wgm_put_be16(a + 6, ntohs(s4->sin_port) ^ (STUN_MAGIC >> 16));
		for (i = 0; i < 4; i++)
			a[8 + i] = ip[i] ^ out[4 + i];
		return STUN_HDR_LEN + 12;
	}
	if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)from;
		const uint8_t *ip = (const uint8_t *)&s6->sin6_addr;

		header(out, STUN_BINDING_SUCCESS, 24, txid);
		wgm_put_be16(a, STUN_ATTR_XOR_MAPPED);
		wgm_put_be16(a + 2, 20);
		a[4] = 0;
		a[5] = 2;
		wgm_put_be16(a + 6, ntohs(s6->sin6_port) ^ (STUN_MAGIC >> 16));
		/* XOR with magic cookie || transaction id = header bytes 4..19 */
		for (i = 0; i < 16; i++)
			a[8 + i] = ip[i] ^ out[4 + i];
		return STUN_HDR_LEN + 24;
	}
	return 0;
}
