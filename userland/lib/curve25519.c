// SPDX-License-Identifier: GPL-2.0-only
/*
 * X25519 over GF(2^255 - 19).
 *
 * An element is h0 + h1*2^51 + h2*2^102 + h3*2^153 + h4*2^204 with each limb
 * nominally below 2^51.  Products are accumulated in 128-bit integers and
 * folded back with the identity 2^255 = 19 (mod p).  add/sub carry their
 * result so every operand of mul stays below 2^52, which keeps the folded
 * top carry (at most ~2^62) inside 64 bits.
 */
#include "curve25519.h"

#include <string.h>

typedef uint64_t fe[5];
typedef unsigned __int128 u128;

#define MASK51 ((UINT64_C(1) << 51) - 1)

static uint64_t load64_le(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void store64_le(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void fe_frombytes(fe h, const uint8_t s[32])
{
	uint64_t w0 = load64_le(s), w1 = load64_le(s + 8);
	uint64_t w2 = load64_le(s + 16), w3 = load64_le(s + 24);

	h[0] = w0 & MASK51;
	h[1] = ((w0 >> 51) | (w1 << 13)) & MASK51;
	h[2] = ((w1 >> 38) | (w2 << 26)) & MASK51;
	h[3] = ((w2 >> 25) | (w3 << 39)) & MASK51;
	h[4] = (w3 >> 12) & MASK51;	/* drops bit 255, as RFC 7748 asks */
}

/* Propagate carries so that every limb is below 2^51 (h0 may get +19*c). */
static void fe_carry(fe h)
{
	uint64_t c;

	c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
	c = h[1] >> 51; h[1] &= MASK51; h[2] += c;
	c = h[2] >> 51; h[2] &= MASK51; h[3] += c;
	c = h[3] >> 51; h[3] &= MASK51; h[4] += c;
	c = h[4] >> 51; h[4] &= MASK51; h[0] += 19 * c;
	c = h[0] >> 51; h[0] &= MASK51; h[1] += c;
}

static void fe_tobytes(uint8_t s[32], const fe f)
{
	fe h;
	uint64_t q;

	memcpy(h, f, sizeof(h));
	fe_carry(h);
	fe_carry(h);
	/* Now 0 <= h < 2^255; q = 1 exactly when h >= p = 2^255 - 19. */
	q = (h[0] + 19) >> 51;
	q = (h[1] + q) >> 51;
	q = (h[2] + q) >> 51;
	q = (h[3] + q) >> 51;
	q = (h[4] + q) >> 51;
	/* Subtract q*p: add 19*q and drop bit 255. */
	h[0] += 19 * q;
	h[1] += h[0] >> 51; h[0] &= MASK51;
	h[2] += h[1] >> 51; h[1] &= MASK51;
	h[3] += h[2] >> 51; h[2] &= MASK51;
	h[4] += h[3] >> 51; h[3] &= MASK51;
	h[4] &= MASK51;

	store64_le(s, h[0] | (h[1] << 51));
	store64_le(s + 8, (h[1] >> 13) | (h[2] << 38));
	store64_le(s + 16, (h[2] >> 26) | (h[3] << 25));
	store64_le(s + 24, (h[3] >> 39) | (h[4] << 12));
}

static void fe_set(fe h, uint64_t v)
{
	h[0] = v;
	h[1] = h[2] = h[3] = h[4] = 0;
}

static void fe_add(fe h, const fe a, const fe b)
{
	int i;

	for (i = 0; i < 5; i++)
		h[i] = a[i] + b[i];
	fe_carry(h);
}

/* h = a - b, computed as a + 4p - b so no limb goes negative. */
static void fe_sub(fe h, const fe a, const fe b)
{
	h[0] = a[0] + (UINT64_C(0x7ffffffffffed) << 2) - b[0];
	h[1] = a[1] + (UINT64_C(0x7ffffffffffff) << 2) - b[1];
	h[2] = a[2] + (UINT64_C(0x7ffffffffffff) << 2) - b[2];
	h[3] = a[3] + (UINT64_C(0x7ffffffffffff) << 2) - b[3];
	h[4] = a[4] + (UINT64_C(0x7ffffffffffff) << 2) - b[4];
	fe_carry(h);
}

static void fe_mul(fe h, const fe a, const fe b)
{
	uint64_t b1_19 = 19 * b[1], b2_19 = 19 * b[2];
	uint64_t b3_19 = 19 * b[3], b4_19 = 19 * b[4];
	u128 r0, r1, r2, r3, r4;
	uint64_t c;

	r0 = (u128)a[0] * b[0] + (u128)a[1] * b4_19 + (u128)a[2] * b3_19 +
	     (u128)a[3] * b2_19 + (u128)a[4] * b1_19;
	r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4_19 +
	     (u128)a[3] * b3_19 + (u128)a[4] * b2_19;
	r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] +
	     (u128)a[3] * b4_19 + (u128)a[4] * b3_19;
	r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] +
	     (u128)a[3] * b[0] + (u128)a[4] * b4_19;
	r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] +
	     (u128)a[3] * b[1] + (u128)a[4] * b[0];

	r1 += (uint64_t)(r0 >> 51); h[0] = (uint64_t)r0 & MASK51;
	r2 += (uint64_t)(r1 >> 51); h[1] = (uint64_t)r1 & MASK51;
	r3 += (uint64_t)(r2 >> 51); h[2] = (uint64_t)r2 & MASK51;
	r4 += (uint64_t)(r3 >> 51); h[3] = (uint64_t)r3 & MASK51;
	c = (uint64_t)(r4 >> 51);   h[4] = (uint64_t)r4 & MASK51;
	h[0] += 19 * c;
	h[1] += h[0] >> 51;
	h[0] &= MASK51;
}

static void fe_sq(fe h, const fe a)
{
	fe_mul(h, a, a);
}

static void fe_mul_small(fe h, const fe a, uint32_t k)
{
	u128 r[5];
	uint64_t c = 0;
	int i;

	for (i = 0; i < 5; i++)
		r[i] = (u128)a[i] * k;
	for (i = 0; i < 5; i++) {
		r[i] += c;
		c = (uint64_t)(r[i] >> 51);
		h[i] = (uint64_t)r[i] & MASK51;
	}
	h[0] += 19 * c;
	h[1] += h[0] >> 51;
	h[0] &= MASK51;
}

/* z^(p-2) by square-and-multiply; the exponent is public, so this is fine. */
static void fe_invert(fe out, const fe z)
{
	/* p - 2 = 2^255 - 21: bits 254..5 set, then 0b01011. */
	fe r;
	int bit;

	memcpy(r, z, sizeof(r));	/* bit 254 */
	for (bit = 253; bit >= 0; bit--) {
		fe_sq(r, r);
		if (bit >= 5 || bit == 3 || bit == 1 || bit == 0)
			fe_mul(r, r, z);
	}
	memcpy(out, r, sizeof(r));
}

/* Swap a and b when swap == 1, without branching on it. */
static void fe_cswap(fe a, fe b, uint64_t swap)
{
	uint64_t mask = 0 - swap, t;
	int i;

	for (i = 0; i < 5; i++) {
		t = mask & (a[i] ^ b[i]);
		a[i] ^= t;
		b[i] ^= t;
	}
}

void wgm_curve25519_clamp(uint8_t s[WGM_CURVE25519_LEN])
{
	s[0] &= 248;
	s[31] &= 127;
	s[31] |= 64;
}

void wgm_curve25519(uint8_t out[WGM_CURVE25519_LEN],
		    const uint8_t scalar[WGM_CURVE25519_LEN],
		    const uint8_t point[WGM_CURVE25519_LEN])
{
	uint8_t k[WGM_CURVE25519_LEN];
	fe x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb, t;
	uint64_t swap = 0, kt;
	int pos;

	memcpy(k, scalar, sizeof(k));
	wgm_curve25519_clamp(k);

	fe_frombytes(x1, point);
	fe_set(x2, 1);
	fe_set(z2, 0);
	memcpy(x3, x1, sizeof(fe));
	fe_set(z3, 1);

	for (pos = 254; pos >= 0; pos--) {
		kt = (k[pos >> 3] >> (pos & 7)) & 1;
		swap ^= kt;
		fe_cswap(x2, x3, swap);
		fe_cswap(z2, z3, swap);
		swap = kt;

		fe_add(a, x2, z2);
		fe_sq(aa, a);
		fe_sub(b, x2, z2);
		fe_sq(bb, b);
		fe_sub(e, aa, bb);
		fe_add(c, x3, z3);
		fe_sub(d, x3, z3);
		fe_mul(da, d, a);
		fe_mul(cb, c, b);
		fe_add(t, da, cb);
		fe_sq(x3, t);
		fe_sub(t, da, cb);
		fe_sq(t, t);
		fe_mul(z3, x1, t);
		fe_mul(x2, aa, bb);
		fe_mul_small(t, e, 121665);
		fe_add(t, aa, t);
		fe_mul(z2, e, t);
	}
	fe_cswap(x2, x3, swap);
	fe_cswap(z2, z3, swap);

	fe_invert(z2, z2);
	fe_mul(x2, x2, z2);
	fe_tobytes(out, x2);

	explicit_bzero(k, sizeof(k));
	explicit_bzero(x2, sizeof(fe));
	explicit_bzero(z2, sizeof(fe));
	explicit_bzero(x3, sizeof(fe));
	explicit_bzero(z3, sizeof(fe));
	explicit_bzero(a, sizeof(fe));
	explicit_bzero(aa, sizeof(fe));
	explicit_bzero(b, sizeof(fe));
	explicit_bzero(bb, sizeof(fe));
	explicit_bzero(e, sizeof(fe));
	explicit_bzero(c, sizeof(fe));
	explicit_bzero(d, sizeof(fe));
	explicit_bzero(da, sizeof(fe));
	explicit_bzero(cb, sizeof(fe));
	explicit_bzero(t, sizeof(fe));
}

void wgm_curve25519_public(uint8_t out[WGM_CURVE25519_LEN],
			   const uint8_t scalar[WGM_CURVE25519_LEN])
{
	static const uint8_t basepoint[WGM_CURVE25519_LEN] = { 9 };

	wgm_curve25519(out, scalar, basepoint);
}
