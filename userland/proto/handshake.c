// SPDX-License-Identifier: GPL-2.0-only
/*
 * libmeshproto, crypto: the client and server handshake and the sealed
 * channel that follows it.
 * The wire format is described in Documentation/coordination.rst.
 */
#include "proto.h"
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

/* ---- handshake ---- */

/*
 * Keys (BLAKE2b, distinct labels):
 *   k1      = H("wgmesh coord k1" | DH(e_c, S) | e_c | S)          hides C
 *   secrets = H("wgmesh coord keys" | DH(e_c,S) | DH(C,S) | DH(e_c,e_s)
 *               | DH(C,e_s) | H(msg1 | e_s))  -> 96 bytes:
 *             confirm key | client->service key | service->client key
 */
static void hash_parts(uint8_t *out, size_t outlen, const char *label,
		       const uint8_t *const parts[], const size_t lens[],
		       size_t n)
{
	crypto_generichash_state st;
	size_t i;

	crypto_generichash_init(&st, NULL, 0, outlen);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	for (i = 0; i < n; i++)
		crypto_generichash_update(&st, parts[i], lens[i]);
	crypto_generichash_final(&st, out, outlen);
	sodium_memzero(&st, sizeof(st));
}

static void derive_k1(uint8_t k1[32], const uint8_t dh1[32],
		      const uint8_t e_pub[32], const uint8_t s_pub[32])
{
	const uint8_t *parts[] = { dh1, e_pub, s_pub };
	const size_t lens[] = { 32, 32, 32 };

	hash_parts(k1, 32, "wgmesh coord k1", parts, lens, 3);
}

/* out: 96 bytes = confirm | c2s | s2c */
static void derive_keys(uint8_t out[96], const uint8_t dh[4][32],
			const uint8_t msg1[MP_HS1_LEN],
			const uint8_t e_s_pub[32])
{
	uint8_t th[32], a[64], b[64];
	const uint8_t *tparts[] = { msg1, e_s_pub };
	const size_t tlens[] = { MP_HS1_LEN, 32 };
	const uint8_t *parts[] = { dh[0], dh[1], dh[2], dh[3], th };
	const size_t lens[] = { 32, 32, 32, 32, 32 };

	hash_parts(th, 32, "wgmesh coord transcript", tparts, tlens, 2);
	hash_parts(a, 64, "wgmesh coord keys 1", parts, lens, 5);
	hash_parts(b, 64, "wgmesh coord keys 2", parts, lens, 5);
	memcpy(out, a, 64);
	memcpy(out + 64, b, 32);
	sodium_memzero(a, sizeof(a));
	sodium_memzero(b, sizeof(b));
}

static void nonce_from(uint8_t n[12], uint64_t ctr)
{
	int i;

	memset(n, 0, 12);
	for (i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(ctr >> (8 * i));
}

int mp_hs_client_start(struct mp_hs_client *hs,
		       const uint8_t node_priv[MP_KEY_LEN],
		       const uint8_t server_pub[MP_KEY_LEN],
		       uint8_t msg1[MP_HS1_LEN])
{
	uint8_t k1[32], nonce[12] = { 0 };
	int ret = -1;

	memset(hs, 0, sizeof(*hs));
	memcpy(hs->s_priv, node_priv, 32);
	memcpy(hs->server_pub, server_pub, 32);
	if (crypto_scalarmult_base(hs->s_pub, hs->s_priv))
		goto out;
	randombytes_buf(hs->e_priv, 32);
	if (crypto_scalarmult_base(hs->e_pub, hs->e_priv))
		goto out;
	if (crypto_scalarmult(hs->dh1, hs->e_priv, server_pub))
		goto out;		/* low-order service key */
	derive_k1(k1, hs->dh1, hs->e_pub, server_pub);
	memcpy(msg1, mp_hs_magic, 4);
	memcpy(msg1 + 4, hs->e_pub, 32);
	crypto_aead_chacha20poly1305_ietf_encrypt(msg1 + 36, NULL, hs->s_pub,
						  32, msg1, 36, NULL, nonce,
						  k1);
	memcpy(hs->msg1, msg1, MP_HS1_LEN);
	ret = 0;
out:
	sodium_memzero(k1, sizeof(k1));
	if (ret)
		sodium_memzero(hs, sizeof(*hs));
	return ret;
}

int mp_hs_client_finish(struct mp_hs_client *hs,
			const uint8_t msg2[MP_HS2_LEN], struct mp_chan *chan)
{
	uint8_t dh[4][32], keys[96], nonce[12] = { 0 };
	const uint8_t *e_s = msg2 + 4;
	int ret = -1;

	if (memcmp(msg2, mp_hs_magic, 4))
		goto out;
	memcpy(dh[0], hs->dh1, 32);
	if (crypto_scalarmult(dh[1], hs->s_priv, hs->server_pub) ||
	    crypto_scalarmult(dh[2], hs->e_priv, e_s) ||
	    crypto_scalarmult(dh[3], hs->s_priv, e_s))
		goto out;
	derive_keys(keys, (const uint8_t (*)[32])dh, hs->msg1, e_s);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(NULL, NULL, NULL,
						      msg2 + 36, MP_TAG_LEN,
						      msg2, 36, nonce, keys))
		goto out;
	memset(chan, 0, sizeof(*chan));
	memcpy(chan->tx_key, keys + 32, 32);
	memcpy(chan->rx_key, keys + 64, 32);
	ret = 0;
out:
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(hs, sizeof(*hs));
	return ret;
}

int mp_hs_server(const uint8_t server_priv[MP_KEY_LEN],
		 const uint8_t server_pub[MP_KEY_LEN],
		 const uint8_t msg1[MP_HS1_LEN], uint8_t msg2[MP_HS2_LEN],
		 struct mp_chan *chan, uint8_t node_pub[MP_KEY_LEN])
{
	uint8_t dh[4][32], k1[32], keys[96], e_priv[32], e_pub[32];
	uint8_t c_pub[32], nonce[12] = { 0 };
	const uint8_t *e_c = msg1 + 4;
	int ret = -1;

	if (memcmp(msg1, mp_hs_magic, 4))
		goto out;
	if (crypto_scalarmult(dh[0], server_priv, e_c))
		goto out;
	derive_k1(k1, dh[0], e_c, server_pub);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(c_pub, NULL, NULL,
						      msg1 + 36, 32 + MP_TAG_LEN,
						      msg1, 36, nonce, k1)) {
		ret = MP_HS_BADKEY;
		goto out;
	}
	randombytes_buf(e_priv, 32);
	if (crypto_scalarmult_base(e_pub, e_priv) ||
	    crypto_scalarmult(dh[1], server_priv, c_pub) ||
	    crypto_scalarmult(dh[2], e_priv, e_c) ||
	    crypto_scalarmult(dh[3], e_priv, c_pub))
		goto out;
	derive_keys(keys, (const uint8_t (*)[32])dh, msg1, e_pub);
	memcpy(msg2, mp_hs_magic, 4);
	memcpy(msg2 + 4, e_pub, 32);
	crypto_aead_chacha20poly1305_ietf_encrypt(msg2 + 36, NULL, NULL, 0,
						  msg2, 36, NULL, nonce, keys);
	memset(chan, 0, sizeof(*chan));
	memcpy(chan->rx_key, keys + 32, 32);
	memcpy(chan->tx_key, keys + 64, 32);
	memcpy(node_pub, c_pub, 32);
	ret = 0;
out:
	sodium_memzero(dh, sizeof(dh));
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(e_priv, sizeof(e_priv));
	return ret;
}

void mp_hs_reject(uint8_t out[MP_HSREJ_LEN], enum mp_hsrej reason)
{
	memcpy(out, mp_hs_magic, 4);
	out[4] = (uint8_t)((unsigned int)reason >> 8);
	out[5] = (uint8_t)reason;
}

/* ---- channel ---- */

void mp_put_len(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int mp_chan_seal(struct mp_chan *ch, const uint8_t *pt, size_t len,
		 uint8_t *frame, size_t cap)
{
	uint8_t nonce[12];
	size_t clen = len + MP_TAG_LEN;

	if (clen > MP_MAX_FRAME || cap < 4 + clen || ch->tx_ctr == UINT64_MAX)
		return -1;
	mp_put_len(frame, (uint32_t)clen);
	nonce_from(nonce, ch->tx_ctr++);
	crypto_aead_chacha20poly1305_ietf_encrypt(frame + 4, NULL, pt, len,
						  frame, 4, NULL, nonce,
						  ch->tx_key);
	return (int)(4 + clen);
}

int mp_chan_open(struct mp_chan *ch, const uint8_t *body, size_t len,
		 uint8_t *pt, size_t cap)
{
	uint8_t nonce[12], hdr[4];

	if (len < MP_TAG_LEN || len > MP_MAX_FRAME ||
	    cap < len - MP_TAG_LEN || ch->rx_ctr == UINT64_MAX)
		return -1;
	mp_put_len(hdr, (uint32_t)len);
	nonce_from(nonce, ch->rx_ctr);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, NULL, NULL, body,
						      len, hdr, 4, nonce,
						      ch->rx_key))
		return -1;
	ch->rx_ctr++;
	return (int)(len - MP_TAG_LEN);
}

void mp_chan_wipe(struct mp_chan *ch)
{
	sodium_memzero(ch, sizeof(*ch));
}

