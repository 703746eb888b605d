/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BLAKE2s (RFC 7693), keyed or not, any output length 1..32: what the
 * kernel module's probe and relay bind macs use (Documentation/relay.rst).
 */
#ifndef WGM_BLAKE2S_H
#define WGM_BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

#define WGM_BLAKE2S_BLOCK 64
#define WGM_BLAKE2S_OUT_MAX 32
#define WGM_BLAKE2S_KEY_MAX 32

struct wgm_blake2s {
	uint32_t h[8];
	uint32_t t[2];
	uint8_t buf[WGM_BLAKE2S_BLOCK];
	size_t buflen;
	size_t outlen;
};

/* outlen 1..32, keylen 0..32 (key may be NULL when 0); -1 otherwise. */
int wgm_blake2s_init(struct wgm_blake2s *s, size_t outlen, const uint8_t *key,
		     size_t keylen);
void wgm_blake2s_update(struct wgm_blake2s *s, const uint8_t *in, size_t len);
/* Writes s->outlen bytes and wipes the state. */
void wgm_blake2s_final(struct wgm_blake2s *s, uint8_t *out);
/* One call; -1 on bad lengths. */
int wgm_blake2s(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen,
		const uint8_t *key, size_t keylen);

#endif /* WGM_BLAKE2S_H */
