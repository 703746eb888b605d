/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * userspace stand-in for the kernel's <crypto/algapi.h>: crypto_memneq()
 * (no early exit), plus memzero_explicit(), which the kernel has in
 * <linux/string.h> and kshim.h does not provide.
 */
#ifndef KSHIM_CRYPTO_ALGAPI_H
#define KSHIM_CRYPTO_ALGAPI_H

/* Needs the force-included base shim: unit/kshim.h or crypto/shim.h. */

static inline int crypto_memneq(const void *a, const void *b, size_t size)
{
	const volatile u8 *x = a, *y = b;
	u8 diff = 0;

	while (size--)
		diff |= *x++ ^ *y++;
	return diff != 0;
}

#ifndef memzero_explicit
static inline void memzero_explicit(void *p, size_t n)
{
	memset(p, 0, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
}
#endif

#endif /* KSHIM_CRYPTO_ALGAPI_H */
