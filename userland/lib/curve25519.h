/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * X25519 (RFC 7748) in portable C: field elements of five 51-bit limbs,
 * Montgomery ladder with constant-time conditional swaps.  No secret-
 * dependent branches or table lookups.
 */
#ifndef WGM_CURVE25519_H
#define WGM_CURVE25519_H

#include <stdint.h>

#define WGM_CURVE25519_LEN 32

/* Force the three scalar bits RFC 7748 section 5 fixes. */
void wgm_curve25519_clamp(uint8_t scalar[WGM_CURVE25519_LEN]);

/*
 * out = X25519(scalar, point).  The scalar is clamped internally (the caller's
 * copy is left untouched); the top bit of point is ignored.
 */
void wgm_curve25519(uint8_t out[WGM_CURVE25519_LEN],
		    const uint8_t scalar[WGM_CURVE25519_LEN],
		    const uint8_t point[WGM_CURVE25519_LEN]);

/* out = X25519(scalar, 9): the public key belonging to a private key. */
void wgm_curve25519_public(uint8_t out[WGM_CURVE25519_LEN],
			   const uint8_t scalar[WGM_CURVE25519_LEN]);

#endif /* WGM_CURVE25519_H */
