// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshcoord's STUN responder (userland/coord/stun.c), which answers any
 * datagram on its STUN port, against the kernel's STUN client
 * (kernel/stun.c, built through selftests/unit/kshim.h), which reads those
 * answers: the two implementations must agree.
 *
 * Input: a flags byte (bit 0: the request came from an IPv6 address),
 * 18 bytes of source address and port, then a datagram.  Checked: no
 * out-of-bounds access or UB; a request meshcoord accepts gets an answer
 * that the kernel's parser reads back as the source address.
 */
#include "stun.c"			/* the kernel's */
#include "../userland/coord/stun.h"	/* meshcoord's */

#include "fuzz.h"

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a6->sin6_port == b6->sin6_port &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage from = { 0 }, k;
	struct sockaddr_in *f4 = (void *)&from;
	struct sockaddr_in6 *f6 = (void *)&from;
	struct fuzz_in in = { data, size };
	u8 txid[12], resp[STUN_MAX_RESPONSE], *pkt;
	u8 flags = fuzz_u8(&in);
	size_t n;

	if (flags & 1) {
		f6->sin6_family = AF_INET6;
		fuzz_bytes(&in, &f6->sin6_addr, 16);
		fuzz_bytes(&in, &f6->sin6_port, 2);
	} else {
		f4->sin_family = AF_INET;
		fuzz_bytes(&in, &f4->sin_addr, 4);
		fuzz_bytes(&in, &f4->sin_port, 2);
		fuzz_bytes(&in, txid, 12);	/* keep the layout: 18 bytes */
	}
	pkt = malloc(in.n ? in.n : 1);	/* exact size, for ASan */
	FUZZ_CHECK(pkt);
	memcpy(pkt, in.p, in.n);

	/* meshcoord answers what it accepts ... */
	if (!stun_parse_request(pkt, in.n, txid)) {
		n = stun_build_response(resp, txid, (struct sockaddr *)&from);
		FUZZ_CHECK(n > 0 && n <= sizeof(resp));
		/* ... and the kernel reads the answer as the source address */
		FUZZ_CHECK(wgm_stun_looks_like_stun(resp, n));
		FUZZ_CHECK(wgm_stun_parse_response(resp, n, txid, &k) == 0);
		FUZZ_CHECK(same_addr(&k, &from));
	}
	free(pkt);
	return 0;
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	static const u8 txid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
				     0xfa, 0x87, 0xdf, 0xae };
	/* RFC 5769 2.1's request, without its MESSAGE-INTEGRITY/FINGERPRINT */
	static const u8 software[] = { 0x80, 0x22, 0x00, 0x10, 'S', 'T', 'U', 'N', ' ', 't', 'e',
				       's', 't', ' ', 'c', 'l', 'i', 'e', 'n', 't' };
	u8 buf[1 + 18 + 64];
	size_t n;

	memset(buf, 0, sizeof(buf));
	buf[0] = 0;
	memcpy(buf + 1, "\xc0\x00\x02\x01\xca\x6c", 6);
	memcpy(buf + 19, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);	/* Binding */
	memcpy(buf + 27, txid, sizeof(txid));
	n = STUN_HDR_LEN;
	emit("request-v4", buf, 19 + n);
	buf[0] = 1;
	memcpy(buf + 1, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x11\x94", 18);
	emit("request-v6", buf, 19 + n);
	buf[0] = 0;
	buf[21] = 0;
	buf[22] = sizeof(software);
	memcpy(buf + 19 + n, software, sizeof(software));
	emit("request-software", buf, 19 + n + sizeof(software));
	/* meshcoord's answer itself, as a datagram */
	n = stun_build_response(buf + 19, txid, (struct sockaddr *)&(struct sockaddr_in){
					.sin_family = AF_INET, .sin_port = htons(4500),
					.sin_addr.s_addr = htonl(0xc6336407) });
	emit("response-v4", buf, 19 + n);
}
