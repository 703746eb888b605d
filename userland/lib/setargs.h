/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `meshadm set` grammar (that of `wg set`, plus candidates):
 *
 *   [listen-port PORT] [private-key FILE] [fwmark MARK|off]
 *   [stun-server HOST:PORT[,HOST:PORT...]|off]
 *   [peer PUBKEY [remove] [preshared-key FILE] [endpoint HOST:PORT]
 *                [candidates HOST:PORT,...] [persistent-keepalive N|off]
 *                [allowed-ips CIDR,...]]...
 *
 * allowed-ips without prefixes replaces the peer's list; when every entry
 * carries '+' or '-' the entries are added / removed one by one instead.
 * Key files are read while parsing; nothing is sent.
 */
#ifndef WGM_SETARGS_H
#define WGM_SETARGS_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

/* argv holds the words after the device name; dev->name is left alone. */
int wgm_set_parse(int argc, char *const argv[], struct mesh_conf_device *dev,
		  struct wgm_err *err);

/*
 * Peer options only, for `peer add DEV PUBKEY ...`: appends one peer with
 * public key pubkey to dev.  "remove" is refused.
 */
int wgm_set_parse_peer(const char *pubkey, int argc, char *const argv[],
		       struct mesh_conf_device *dev, struct wgm_err *err);

#endif /* WGM_SETARGS_H */
