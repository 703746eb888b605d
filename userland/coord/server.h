/* SPDX-License-Identifier: GPL-2.0-only */
/* The meshcoord service loop and the admin subcommands. */
#ifndef MESHCOORD_SERVER_H
#define MESHCOORD_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "proto.h"

#define COORD_MAX_CONNS		(1024 + 128)
#define COORD_MAX_PENDING	128	/* connections not yet past HELLO */
#define COORD_HS_TIMEOUT_MS	5000
#define COORD_IDLE_TIMEOUT_MS	(3 * MP_KEEPALIVE_SEC * 1000)	/* 3 keepalives */
#define COORD_WQUEUE_MAX	(1u << 20)	/* per connection */
#define COORD_DB_POLL_MS	200	/* admin changes noticed this fast */
#define COORD_ADDR_FILE		"meshcoord.addr"

struct coord_cfg {
	const char *listen;	/* "ADDR:PORT" for the control channel (TCP) */
	const char *stun;	/* "ADDR:PORT" for STUN (UDP), NULL: none */
	const char *state_dir;
};

/* Runs until SIGTERM/SIGINT (0) or a fatal error (-1). */
int coord_serve(const struct coord_cfg *cfg, struct wgm_err *err);

/* Admin subcommands on the state directory; return the exit status. */
int coord_cmd_nodes(const char *dir);
int coord_cmd_remove(const char *dir, const char *sel);
int coord_cmd_pubkey(const char *dir);
int coord_cmd_authkey_create(const char *dir, bool reusable,
			     int64_t expires_in);
/* "24h", "30m", "7d", "90s", "3600": seconds, or -1. */
int64_t coord_parse_duration(const char *s);

#endif /* MESHCOORD_SERVER_H */
