/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * WireGuard keys: 32 bytes, written as 44 characters of standard base64
 * ending in one '='.  Decoding is constant time and rejects non-canonical
 * encodings (non-zero unused bits in the 43rd character), as wg(8) does.
 */
#ifndef WGM_KEY_H
#define WGM_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WGM_KEY_LEN 32
#define WGM_KEY_B64_LEN 44		/* without the terminating NUL */

void wgm_key_to_base64(char out[WGM_KEY_B64_LEN + 1],
		       const uint8_t key[WGM_KEY_LEN]);
/* Returns true on success; out is untouched on failure. */
bool wgm_key_from_base64(uint8_t out[WGM_KEY_LEN], const char *in);

bool wgm_key_is_zero(const uint8_t key[WGM_KEY_LEN]);
/* Constant-time comparison. */
bool wgm_key_equal(const uint8_t a[WGM_KEY_LEN], const uint8_t b[WGM_KEY_LEN]);

/* 32 random bytes from getrandom(2). */
int wgm_key_random(uint8_t out[WGM_KEY_LEN], struct wgm_err *err);
/* A random, clamped Curve25519 private key. */
int wgm_key_generate_private(uint8_t out[WGM_KEY_LEN], struct wgm_err *err);
void wgm_key_public(uint8_t pub[WGM_KEY_LEN], const uint8_t priv[WGM_KEY_LEN]);

/*
 * Parse a key given as text: surrounding whitespace is ignored; an empty text
 * yields the all-zero key (meaning "remove" to the kernel) and sets *empty.
 */
int wgm_key_parse_text(uint8_t out[WGM_KEY_LEN], const char *text, size_t len,
		       bool *empty, struct wgm_err *err);
/*
 * A key given as one argument (peer PUBKEY, --coord-key): whitespace around
 * it is ignored, as in files; empty is an error.  true on success.
 */
bool wgm_key_from_arg(uint8_t out[WGM_KEY_LEN], const char *arg);
/*
 * Read a key from fd to its end: whitespace before and after the key, any
 * amount, is ignored (wg(8) accepts a key followed by any whitespace);
 * anything else around it is an error.  Empty (or only whitespace) yields
 * the all-zero key and sets *empty, as wgm_key_parse_text does.  name is
 * used in messages.
 */
int wgm_key_read_fd(uint8_t out[WGM_KEY_LEN], int fd, const char *name,
		    bool *empty, struct wgm_err *err);
/* Read a key file (as for "private-key FILE"); "-" reads stdin. */
int wgm_key_read_file(uint8_t out[WGM_KEY_LEN], const char *path, bool *empty,
		      struct wgm_err *err);

#endif /* WGM_KEY_H */
