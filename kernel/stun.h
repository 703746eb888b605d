/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * STUN (RFC 5389/8489) Binding, client side: just enough to learn the
 * NAT-mapped address of the tunnel socket.  Pure functions over buffers.
 */
#ifndef _WGM_STUN_H
#define _WGM_STUN_H

#include <linux/types.h>

struct sockaddr_storage;

#define WGM_STUN_HEADER_LEN	20
#define WGM_STUN_TXID_LEN	12
#define WGM_STUN_MAGIC		0x2112A442U
#define WGM_STUN_BINDING_REQUEST	0x0001
#define WGM_STUN_BINDING_SUCCESS	0x0101
#define WGM_STUN_ATTR_MAPPED_ADDRESS	0x0001
#define WGM_STUN_ATTR_XOR_MAPPED_ADDRESS	0x0020
/* Largest response we look at; anything longer is not ours. */
#define WGM_STUN_MAX_LEN	548

bool wgm_stun_looks_like_stun(const u8 *buf, size_t len);
size_t wgm_stun_build_request(u8 *buf, size_t size,
			      const u8 txid[WGM_STUN_TXID_LEN]);
int wgm_stun_parse_response(const u8 *buf, size_t len,
			    const u8 txid[WGM_STUN_TXID_LEN],
			    struct sockaddr_storage *mapped);

#endif /* _WGM_STUN_H */
