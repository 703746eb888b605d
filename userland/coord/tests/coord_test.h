/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the meshcoord unit tests. */
#ifndef COORD_TEST_H
#define COORD_TEST_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../../tests/testutil.h"

static inline int64_t ct_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A fresh private temp directory; path[64]. */
static inline bool ct_tmpdir(char path[64])
{
	snprintf(path, 64, "/tmp/wgm-coord-XXXXXX");
	return mkdtemp(path) != NULL;
}

/* Remove a flat directory (the state dir has no subdirectories). */
static inline void ct_rmdir(const char *path)
{
	char f[512];
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
		unlink(f);
	}
	closedir(d);
	rmdir(path);
}

/* A random X25519 key pair (the private key clamped as WireGuard does). */
static inline void ct_keypair(uint8_t priv[32], uint8_t pub[32])
{
	randombytes_buf(priv, 32);
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
	crypto_scalarmult_base(pub, priv);
}

/* Decode hex digit pairs, spaces between them skipped; returns the count. */
static inline size_t ct_unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;

	while (hex[0] && hex[1]) {
		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		out[n++] = (uint8_t)(tu_hexval(hex[0]) << 4 | tu_hexval(hex[1]));
		hex += 2;
	}
	return n;
}

#endif /* COORD_TEST_H */
