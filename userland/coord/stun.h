/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * STUN Binding (RFC 5389) as pure functions: the service answers Binding
 * requests with XOR-MAPPED-ADDRESS.  (Agents ask the kernel, whose STUN
 * client is kernel/stun.c.)
 */
#ifndef MESHCOORD_STUN_H
#define MESHCOORD_STUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HDR_LEN		20
#define STUN_MAGIC		0x2112A442u
#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_ATTR_MAPPED	0x0001
#define STUN_ATTR_XOR_MAPPED	0x0020
#define STUN_MAX_RESPONSE	(STUN_HDR_LEN + 4 + 20)

/*
 * Validate a Binding request (header, cookie, length, attribute TLV layout;
 * no comprehension-required attribute besides the ones we ignore safely).
 * On success copies the transaction id and returns 0; -1 otherwise (the
 * caller drops the datagram silently).
 */
int stun_parse_request(const uint8_t *pkt, size_t len, uint8_t txid[12]);

/* Success response carrying XOR-MAPPED-ADDRESS of from; returns length, 0 on bad family. */
size_t stun_build_response(uint8_t out[STUN_MAX_RESPONSE], const uint8_t txid[12],
			   const struct sockaddr *from);

#endif /* MESHCOORD_STUN_H */
