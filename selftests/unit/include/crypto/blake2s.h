/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * userspace stand-in for the kernel's <crypto/blake2s.h>: the same calls
 * (blake2s_init/_init_key/_update/_final, one-shot blake2s()), implemented
 * from RFC 7693 section 3 for the unit tests.  Not constant-time-audited,
 * not fast; correctness is checked against RFC 7693 Appendix B and
 * Python's hashlib in selftests/unit/probemsg_test.c.
 */
#ifndef KSHIM_CRYPTO_BLAKE2S_H
#define KSHIM_CRYPTO_BLAKE2S_H

/* Needs the force-included base shim: unit/kshim.h or crypto/shim.h. */

enum blake2s_lengths {
	BLAKE2S_BLOCK_SIZE = 64,
	BLAKE2S_HASH_SIZE = 32,
	BLAKE2S_KEY_SIZE = 32,
	BLAKE2S_128_HASH_SIZE = 16,
	BLAKE2S_256_HASH_SIZE = 32,
};

struct blake2s_state {
	u32 h[8];
	u32 t[2];
	u32 f[2];
	u8 buf[BLAKE2S_BLOCK_SIZE];
	unsigned int buflen;
	unsigned int outlen;
};

static const u32 kshim_blake2s_iv[8] = {
	0x6A09E667U, 0xBB67AE85U, 0x3C6EF372U, 0xA54FF53AU,
	0x510E527FU, 0x9B05688CU, 0x1F83D9ABU, 0x5BE0CD19U,
};

static const u8 kshim_blake2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static inline u32 kshim_ror32(u32 w, unsigned int s)
{
	return (w >> s) | (w << (32 - s));
}

static inline u32 kshim_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline void kshim_blake2s_mix(u32 *v, int a, int b, int c, int d, u32 x, u32 y)
{
	v[a] = v[a] + v[b] + x;
	v[d] = kshim_ror32(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = kshim_ror32(v[b] ^ v[c], 12);
	v[a] = v[a] + v[b] + y;
	v[d] = kshim_ror32(v[d] ^ v[a], 8);
	v[c] = v[c] + v[d];
	v[b] = kshim_ror32(v[b] ^ v[c], 7);
}

static inline void kshim_blake2s_compress(struct blake2s_state *s, const u8 *block,
					  u32 inc, bool last)
{
	u32 m[16], v[16];
	int i, r;

	s->t[0] += inc;
	if (s->t[0] < inc)
		s->t[1]++;
	if (last)
		s->f[0] = 0xFFFFFFFFU;
	for (i = 0; i < 16; i++)
		m[i] = kshim_le32(block + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = kshim_blake2s_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	v[14] ^= s->f[0];
	v[15] ^= s->f[1];
	for (r = 0; r < 10; r++) {
		const u8 *sg = kshim_blake2s_sigma[r];

		kshim_blake2s_mix(v, 0, 4, 8, 12, m[sg[0]], m[sg[1]]);
		kshim_blake2s_mix(v, 1, 5, 9, 13, m[sg[2]], m[sg[3]]);
		kshim_blake2s_mix(v, 2, 6, 10, 14, m[sg[4]], m[sg[5]]);
		kshim_blake2s_mix(v, 3, 7, 11, 15, m[sg[6]], m[sg[7]]);
		kshim_blake2s_mix(v, 0, 5, 10, 15, m[sg[8]], m[sg[9]]);
		kshim_blake2s_mix(v, 1, 6, 11, 12, m[sg[10]], m[sg[11]]);
		kshim_blake2s_mix(v, 2, 7, 8, 13, m[sg[12]], m[sg[13]]);
		kshim_blake2s_mix(v, 3, 4, 9, 14, m[sg[14]], m[sg[15]]);
	}
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
}

static inline void blake2s_init_key(struct blake2s_state *s, size_t outlen,
				    const void *key, size_t keylen)
{
	KSHIM_CHECK(outlen >= 1 && outlen <= BLAKE2S_HASH_SIZE);
	KSHIM_CHECK(keylen <= BLAKE2S_KEY_SIZE);
	memset(s, 0, sizeof(*s));
	memcpy(s->h, kshim_blake2s_iv, sizeof(s->h));
	s->h[0] ^= 0x01010000U ^ ((u32)keylen << 8) ^ (u32)outlen;
	s->outlen = outlen;
	if (keylen) {
		memcpy(s->buf, key, keylen);
		s->buflen = BLAKE2S_BLOCK_SIZE;
	}
}

static inline void blake2s_init(struct blake2s_state *s, size_t outlen)
{
	blake2s_init_key(s, outlen, NULL, 0);
}

/* Keeps the last block buffered: it must be compressed with the final flag. */
static inline void blake2s_update(struct blake2s_state *s, const u8 *in, size_t inlen)
{
	while (inlen) {
		size_t n;

		if (s->buflen == BLAKE2S_BLOCK_SIZE) {
			kshim_blake2s_compress(s, s->buf, BLAKE2S_BLOCK_SIZE, false);
			s->buflen = 0;
		}
		n = BLAKE2S_BLOCK_SIZE - s->buflen;
		if (n > inlen)
			n = inlen;
		memcpy(s->buf + s->buflen, in, n);
		s->buflen += n;
		in += n;
		inlen -= n;
	}
}

static inline void blake2s_final(struct blake2s_state *s, u8 *out)
{
	u8 full[BLAKE2S_HASH_SIZE];
	int i;

	memset(s->buf + s->buflen, 0, BLAKE2S_BLOCK_SIZE - s->buflen);
	kshim_blake2s_compress(s, s->buf, s->buflen, true);
	for (i = 0; i < 8; i++) {
		full[4 * i] = s->h[i];
		full[4 * i + 1] = s->h[i] >> 8;
		full[4 * i + 2] = s->h[i] >> 16;
		full[4 * i + 3] = s->h[i] >> 24;
	}
	memcpy(out, full, s->outlen);
	memset(s, 0, sizeof(*s));
}

static inline void blake2s(u8 *out, const u8 *in, const u8 *key, size_t outlen,
			   size_t inlen, size_t keylen)
{
	struct blake2s_state s;

	blake2s_init_key(&s, outlen, key, keylen);
	blake2s_update(&s, in, inlen);
	blake2s_final(&s, out);
}

#endif /* KSHIM_CRYPTO_BLAKE2S_H */
