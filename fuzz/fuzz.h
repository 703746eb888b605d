/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every fuzz target provides, and the helpers they share.
 *
 * A target is one C file, fuzz_<name>.c, defining LLVMFuzzerTestOneInput().  It is linked
 * either with libFuzzer (-fsanitize=fuzzer: build/fuzz/<name>, `make
 * fuzz`) or with replay.c (build/unit/fuzz_<name>: replays the committed
 * seed corpus under ASan/UBSan as a unit test).  A target may also define
 * fuzz_seeds(), which writes its seed inputs (replay binary: --seeds DIR).
 *
 * FUZZ_CHECK() aborts on a violated property: libFuzzer then saves the
 * input as a crash, the replay fails.
 */
#ifndef WGM_FUZZ_H
#define WGM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seed writer: emit(name, bytes, len) stores one corpus file. */
typedef void (*fuzz_emit_fn)(const char *name, const void *buf, size_t len);
void fuzz_seeds(fuzz_emit_fn emit) __attribute__((weak));

#define FUZZ_CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "fuzz: check failed: %s at %s:%d\n", \
				#c, __FILE__, __LINE__);		\
			abort();					\
		}							\
	} while (0)

/* Reads bytes off the front of an input; zeros once it runs out. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v = fuzz_u8(in);

	return (uint16_t)(v << 8 | fuzz_u8(in));
}

static inline void fuzz_bytes(struct fuzz_in *in, void *out, size_t n)
{
	uint8_t *o = out;

	while (n--)
		*o++ = fuzz_u8(in);
}

#endif /* WGM_FUZZ_H */
