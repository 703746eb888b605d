/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One-line error reporting: library functions return -1 and leave a
 * human-readable reason (no trailing newline) in a caller-owned struct wgm_err.
 */
#ifndef WGM_ERR_H
#define WGM_ERR_H

#include <stdarg.h>

struct wgm_err {
	char msg[512];
};

__attribute__((format(printf, 2, 3)))
int wgm_err_set(struct wgm_err *err, const char *fmt, ...);

/* Prepend "prefix: " to the message already in err; returns -1. */
__attribute__((format(printf, 2, 3)))
int wgm_err_prefix(struct wgm_err *err, const char *fmt, ...);

#endif /* WGM_ERR_H */
