/* SPDX-License-Identifier: GPL-2.0-only */
/* The request `syncconf` sends: the difference between two configurations. */
#ifndef WGM_DIFF_H
#define WGM_DIFF_H

#include "config.h"
#include "err.h"

/*
 * Fill out (initialised, empty) with a SET_DEVICE request that makes the
 * device described by cur (a GET_DEVICE dump) match want (a parsed config
 * file) without WGM_DEVICE_F_REPLACE_PEERS, so unchanged peers keep their
 * sessions:
 *   - peers of cur absent from want are removed;
 *   - peers of want absent from cur are added;
 *   - peers present in both are re-sent (allowed IPs replaced, preshared
 *     key and keepalive set, zero when the file has none) only when their
 *     preshared key, keepalive, allowed-IP set, or (if the file names one)
 *     endpoint or candidate list differ;
 *   - device private key, listen port and fwmark are sent only when the
 *     file sets them to a different value.
 * out->name is copied from want.
 */
int wgm_conf_diff(const struct mesh_conf_device *cur, const struct mesh_conf_device *want,
		  struct mesh_conf_device *out, struct wgm_err *err);

#endif /* WGM_DIFF_H */
