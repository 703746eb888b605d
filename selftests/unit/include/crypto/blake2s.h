/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * userspace stand-in for the kernel's <crypto/blake2s.h>: the same calls
 * (blake2s_init/_init_key/_update/_final, one-shot blake2s()) over
 * libwgmesh's RFC 7693 BLAKE2s (userland/lib/blake2s.c, which every build
 * that includes this header compiles in).  Correctness is checked against
 * RFC 7693 Appendix B and Python's hashlib in selftests/unit/probemsg_test.c.
 */
#ifndef KSHIM_CRYPTO_BLAKE2S_H
#define KSHIM_CRYPTO_BLAKE2S_H

/* Needs the force-included base shim: unit/kshim.h or crypto/shim.h. */
#include "../../../../userland/lib/blake2s.h"

enum blake2s_lengths {
	BLAKE2S_BLOCK_SIZE = WGM_BLAKE2S_BLOCK,
	BLAKE2S_HASH_SIZE = WGM_BLAKE2S_OUT_MAX,
	BLAKE2S_KEY_SIZE = WGM_BLAKE2S_KEY_MAX,
	BLAKE2S_128_HASH_SIZE = 16,
	BLAKE2S_256_HASH_SIZE = 32,
};

struct blake2s_state {
	struct wgm_blake2s s;
};

/* The kernel's lengths are the caller's bug when wrong: checked, not returned. */
static inline void blake2s_init_key(struct blake2s_state *s, size_t outlen,
				    const void *key, size_t keylen)
{
	KSHIM_CHECK(outlen >= 1 && outlen <= BLAKE2S_HASH_SIZE);
	KSHIM_CHECK(keylen <= BLAKE2S_KEY_SIZE);
	KSHIM_CHECK(!keylen || key);
	wgm_blake2s_init(&s->s, outlen, key, keylen);
}

static inline void blake2s_init(struct blake2s_state *s, size_t outlen)
{
	blake2s_init_key(s, outlen, NULL, 0);
}

static inline void blake2s_update(struct blake2s_state *s, const u8 *in, size_t inlen)
{
	wgm_blake2s_update(&s->s, in, inlen);
}

/* Writes the output length given at init and wipes the state. */
static inline void blake2s_final(struct blake2s_state *s, u8 *out)
{
	wgm_blake2s_final(&s->s, out);
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
