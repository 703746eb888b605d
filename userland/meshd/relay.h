/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * meshd's side of the relay (Documentation/relay.rst): meshcoord's RELAY
 * and RELAY_REMOVED messages become a peer's relay candidate in the peer
 * table (struct meshd_relay), which meshd_diff() installs in the kernel
 * next to the direct candidates, with its bind id and key.
 */
#ifndef MESHD_RELAY_H
#define MESHD_RELAY_H

#include <stddef.h>

#include "logic.h"

/*
 * Applies a RELAY or RELAY_REMOVED message to t (pure).  A RELAY endpoint
 * of family AF_UNSPEC is that port on coord, the address of the service
 * as connected (NULL or not IPv4/IPv6: the message is ignored).  A RELAY
 * for an unknown peer, or a RELAY_REMOVED whose id is not the peer's
 * current one, changes nothing.  One line for the log goes to log ("" when
 * nothing is worth saying).  Returns true when the peer's candidates
 * changed (the kernel needs a sync).
 */
bool meshd_relay_apply(struct meshd_peers *t, const struct mp_msg *m,
		       const union wgm_sockaddr *coord, char *log, size_t loglen);

/*
 * The service's address as this connection sees it (getpeername, an
 * IPv4-mapped IPv6 address made IPv4).  0 or -1.
 */
int meshd_relay_coord_addr(int fd, union wgm_sockaddr *out);
/* The address this connection leaves from, made IPv4 the same way. */
int meshd_relay_local_addr(int fd, union wgm_sockaddr *out);

#endif /* MESHD_RELAY_H */
