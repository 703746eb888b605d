// SPDX-License-Identifier: GPL-2.0-only
#include "err.h"

#include <stdio.h>
#include <string.h>

int wgm_err_set(struct wgm_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int wgm_err_prefix(struct wgm_err *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation is acceptable: the message stays one readable line. */
	if (snprintf(err->msg, sizeof(err->msg), "%.255s: %.254s", prefix,
		     old) < 0)
		err->msg[0] = '\0';
	return -1;
}
