/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unit tests' own struct wgm_peer: kernel/allowedips.c only relies on
 * the allowedips_list member.  (Sources under test are copied to
 * build/unit/src so their #include "peer.h" finds this file, never
 * kernel/peer.h.)
 */
#ifndef KSHIM_PEER_H
#define KSHIM_PEER_H

#include <kshim.h>

struct wgm_peer {
	struct list_head allowedips_list;
	unsigned int id;
};

#endif /* KSHIM_PEER_H */
