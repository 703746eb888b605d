/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * meshrelay: a relay on its own host (Documentation/relay.rst, "Several
 * relays: meshrelay").  It forwards exactly as meshcoord's embedded relay
 * does, with the same core (../coord/relay.c): binds authenticated with
 * per-side keys, a rate cap per side, idle expiry, silence to strangers.
 * What it forwards for whom is decided by the coordination service, which
 * it reaches over the control protocol under its own static key (the
 * administrator registers it: meshcoord relay add NAME PUBKEY):
 *
 *   relay -> service   RELAY_HELLO (name, public address and STUN port,
 *                      port range), PING, RELAY_FREE (an idle allocation)
 *   service -> relay   WELCOME or ERROR, RELAY_ALLOC (index, both sides'
 *                      nodes, ids and bind keys), RELAY_FREE, PONG
 *
 * The allocation table outlives the connection: when the service goes
 * away, what is bound keeps being forwarded until its bindings go stale,
 * and the relay connects again with backoff.  It answers STUN Binding
 * requests on one port (the agents' RTT measurement) and nothing else.
 *
 *   logic.c   pure: messages applied to the table, backoff, --relay-ports
 *   main.c    options, the key, sockets, the poll loop
 */
#ifndef MESHRELAY_H
#define MESHRELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "relay.h"

#define MESHRELAY_DEF_LO	3500
#define MESHRELAY_DEF_HI	3999
#define MESHRELAY_DEF_STUN	3478
#define MESHRELAY_DEF_RATE	12500000ULL	/* bytes/s per allocation side */
#define MESHRELAY_BACKOFF_MIN_MS 1000u
#define MESHRELAY_BACKOFF_MAX_MS 60000u

/*
 * A message from the service applied to the table: RELAY_ALLOC installs
 * (replacing what the index held), RELAY_FREE frees when the index holds
 * that id.  One line for the log goes to @log ("" when nothing to say).
 * 1 when the table changed, 0 when not (an unknown or stale index), -1 for
 * a message a relay does not take (the caller drops the connection).
 */
int meshrelay_apply(struct relay_table *t, const struct mp_msg *m, uint64_t now_ms,
		    char *log, size_t loglen);

/* The next reconnect delay: 1 s, doubling to 60 s; then jittered by up to a quarter. */
unsigned int meshrelay_backoff_next(unsigned int cur_ms);
unsigned int meshrelay_backoff_jitter(unsigned int ms, uint32_t rnd);

/* --relay-ports "LO-HI": 1 <= LO < HI <= 65535.  0 or -1. */
int meshrelay_parse_ports(const char *s, uint16_t *lo, uint16_t *hi);

#endif /* MESHRELAY_H */
