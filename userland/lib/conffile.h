/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The wg(8) configuration file format, plus "Candidates =" in [Peer]:
 *
 *   [Interface]  PrivateKey, ListenPort, FwMark
 *   [Peer]       PublicKey, PresharedKey, AllowedIPs, Endpoint,
 *                PersistentKeepalive, Candidates
 *
 * Keys are case-insensitive, '#' starts a comment, whitespace is ignored,
 * AllowedIPs and Candidates may repeat (the lists add up).  Parsing sets
 * WGM_DEVICE_F_REPLACE_PEERS on the device and WGM_PEER_F_REPLACE_ALLOWEDIPS
 * on every peer (setconf semantics).
 */
#ifndef WGM_CONFFILE_H
#define WGM_CONFFILE_H

#include <stddef.h>

#include "config.h"
#include "err.h"

/* Errors read "filename:line: reason". */
int wgm_conf_parse(const char *text, size_t len, const char *filename,
		   struct mesh_conf_device *dev, struct wgm_err *err);
/* Read and parse a file; "-" reads standard input. */
int wgm_conf_parse_file(const char *path, struct mesh_conf_device *dev,
			struct wgm_err *err);
/* Render dev in the same format (what `showconf` prints). */
void wgm_conf_format(struct wgm_buf *b, const struct mesh_conf_device *dev);

#endif /* WGM_CONFFILE_H */
