/* SPDX-License-Identifier: GPL-2.0-only */
/* Deterministic helpers shared by the unit tests. */
#ifndef UNIT_TEST_UTIL_H
#define UNIT_TEST_UTIL_H

#include <stdint.h>

/* splitmix64: tiny, seedable, good enough to spread test inputs */
struct prng {
	uint64_t s;
};

static inline uint64_t prng_next(struct prng *p)
{
	uint64_t z = (p->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n), n > 0 (bias irrelevant here) */
static inline uint64_t prng_below(struct prng *p, uint64_t n)
{
	return prng_next(p) % n;
}

#endif /* UNIT_TEST_UTIL_H */
