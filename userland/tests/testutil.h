/* SPDX-License-Identifier: GPL-2.0-only */
/* Small helpers shared by the userland unit tests. */
#ifndef WGM_TESTUTIL_H
#define WGM_TESTUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int tu_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode 2*n lowercase hex digits; returns false on a bad digit. */
static inline bool tu_unhex(uint8_t *out, const char *hex, size_t n)
{
	size_t i;

	if (strlen(hex) != 2 * n)
		return false;
	for (i = 0; i < n; i++) {
		int hi = tu_hexval(hex[2 * i]), lo = tu_hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Write text to a fresh temporary file; the path goes into path[64]. */
static inline bool tu_tmpfile(char path[64], const char *text)
{
	size_t len = strlen(text);
	int fd;

	snprintf(path, 64, "/tmp/wgm-unit-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return false;
	}
	return close(fd) == 0;
}

/* A deterministic key whose bytes derive from n. */
static inline void tu_key(uint8_t key[32], uint32_t n, uint8_t salt)
{
	int i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)((n >> ((i % 4) * 8)) ^ (i * 37) ^ salt);
}

/* Fixed keys for tests: bytes 0..31, 32..63, 64..95, all 0x11, all 0xff. */
#define K1 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define K2 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define K3 "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="
#define K11 "ERERERERERERERERERERERERERERERERERERERERERE="
#define KFF "//////////////////////////////////////////8="

#endif /* WGM_TESTUTIL_H */
