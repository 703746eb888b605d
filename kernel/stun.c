// SPDX-License-Identifier: GPL-2.0-only
/*
 * STUN Binding client encoding and decoding (RFC 5389, RFC 8489).
 *
 * A STUN message: a 20-byte header (type, length of the attributes, magic
 * cookie, 96-bit transaction id) and attributes (type, length, value padded
 * to 4 bytes).  We send Binding requests without attributes and read the
 * XOR-MAPPED-ADDRESS (or the older MAPPED-ADDRESS) of a Binding success
 * response.  Everything that is not a well-formed success response to the
 * given transaction id is rejected.
 */

#include <linux/errno.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/kernel.h>

#include "stun.h"

static u16 wgm_stun_get16(const u8 *p)
{
	return (u16)p[0] << 8 | p[1];
}

static u32 wgm_stun_get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void wgm_stun_put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void wgm_stun_put32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/**
 * wgm_stun_looks_like_stun - cheap demultiplexing test
 * @buf: start of a UDP payload
 * @len: its length
 *
 * STUN messages start with two zero bits and carry the magic cookie at
 * offset 4; neither WireGuard messages (types 1-4, little-endian) nor
 * wgmesh probes (0xE1/0xE2) can match both.
 */
bool wgm_stun_looks_like_stun(const u8 *buf, size_t len)
{
	return len >= WGM_STUN_HEADER_LEN && !(buf[0] & 0xc0) &&
	       wgm_stun_get32(buf + 4) == WGM_STUN_MAGIC;
}

/**
 * wgm_stun_build_request - write a Binding request
 * @buf: output
 * @size: its size
 * @txid: the transaction id to put in it
 *
 * Return: the message length, or 0 when @size is too small.
 */
size_t wgm_stun_build_request(u8 *buf, size_t size,
			      const u8 txid[WGM_STUN_TXID_LEN])
{
	if (size < WGM_STUN_HEADER_LEN)
		return 0;
	wgm_stun_put16(buf, WGM_STUN_BINDING_REQUEST);
	wgm_stun_put16(buf + 2, 0);
	wgm_stun_put32(buf + 4, WGM_STUN_MAGIC);
	memcpy(buf + 8, txid, WGM_STUN_TXID_LEN);
	return WGM_STUN_HEADER_LEN;
}

/* Decode a (XOR-)MAPPED-ADDRESS value into @out. */
static int wgm_stun_read_address(const u8 *val, u16 vlen, bool xored,
				 const u8 *header,
				 struct sockaddr_storage *out)
{
	u16 port;
	u8 family;
	unsigned int i;

	if (vlen < 4)
		return -EINVAL;
	family = val[1];
	port = wgm_stun_get16(val + 2);
	if (xored)
		port ^= WGM_STUN_MAGIC >> 16;
	memset(out, 0, sizeof(*out));
	if (family == 0x01 && vlen == 8) {
		struct sockaddr_in *sin = (struct sockaddr_in *)out;
		u32 addr = wgm_stun_get32(val + 4);

		if (xored)
			addr ^= WGM_STUN_MAGIC;
		sin->sin_family = AF_INET;
		sin->sin_port = cpu_to_be16(port);
		sin->sin_addr.s_addr = cpu_to_be32(addr);
		return 0;
	}
	if (family == 0x02 && vlen == 20) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = cpu_to_be16(port);
		/* XOR with the magic cookie followed by the transaction id,
		 * which is header bytes 4..19.
		 */
		for (i = 0; i < 16; i++)
			sin6->sin6_addr.s6_addr[i] =
				val[4 + i] ^ (xored ? header[4 + i] : 0);
		return 0;
	}
	return -EINVAL;
}

/**
 * wgm_stun_parse_response - read the mapped address from a Binding success
 * @buf: the UDP payload
 * @len: its length
 * @txid: the transaction id of the request we sent
 * @mapped: output, a sockaddr_in or sockaddr_in6
 *
 * XOR-MAPPED-ADDRESS wins over MAPPED-ADDRESS when both are present.
 *
 * Return: 0, -EINVAL for a malformed message or one that is not a Binding
 * success, -ESRCH for another transaction, -ENOENT when no address is in it.
 */
int wgm_stun_parse_response(const u8 *buf, size_t len,
			    const u8 txid[WGM_STUN_TXID_LEN],
			    struct sockaddr_storage *mapped)
{
	const u8 *attr, *end;
	bool have_plain = false;
	struct sockaddr_storage plain;
	u16 type, alen;

	if (!wgm_stun_looks_like_stun(buf, len) || len > WGM_STUN_MAX_LEN)
		return -EINVAL;
	if (wgm_stun_get16(buf) != WGM_STUN_BINDING_SUCCESS)
		return -EINVAL;
	alen = wgm_stun_get16(buf + 2);
	if (alen & 3 || WGM_STUN_HEADER_LEN + (size_t)alen != len)
		return -EINVAL;
	if (memcmp(buf + 8, txid, WGM_STUN_TXID_LEN))
		return -ESRCH;

	attr = buf + WGM_STUN_HEADER_LEN;
	end = buf + len;
	while (end - attr >= 4) {
		u16 vlen = wgm_stun_get16(attr + 2);
		size_t padded = ALIGN((size_t)vlen, 4);

		type = wgm_stun_get16(attr);
		if ((size_t)(end - attr - 4) < padded)
			return -EINVAL;
		if (type == WGM_STUN_ATTR_XOR_MAPPED_ADDRESS)
			return wgm_stun_read_address(attr + 4, vlen, true, buf,
						     mapped);
		if (type == WGM_STUN_ATTR_MAPPED_ADDRESS && !have_plain &&
		    !wgm_stun_read_address(attr + 4, vlen, false, buf, &plain))
			have_plain = true;
		attr += 4 + padded;
	}
	if (attr != end)
		return -EINVAL;
	if (!have_plain)
		return -ENOENT;
	*mapped = plain;
	return 0;
}
