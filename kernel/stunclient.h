/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The STUN client's state as plain structs, for the netlink layer
 * (netlink-mesh.c); the client itself is declared in stun.h.
 */
#ifndef _WGM_STUNCLIENT_H
#define _WGM_STUNCLIENT_H

#include <linux/types.h>

#include "peer.h"
#include "uapi/linux/wgmesh.h"

struct wgm_device;

/* What GET_DEVICE reports (netlink-mesh.c turns it into attributes). */
struct wgm_stun_server_info {
	struct wgm_endpoint addr;	/* the server */
	struct wgm_endpoint mapped;	/* what it told us last; sa_family 0: nothing */
	u64 last_ok_ns;			/* boottime, 0: never answered */
	u32 requests, responses;
};

struct wgm_stun_mapping_info {
	struct wgm_endpoint addr;	/* sa_family 0: not known */
	struct wgm_endpoint server;	/* the server that said so */
	u32 age_ms;			/* since the last confirmation */
};

struct wgm_stun_info {
	unsigned int n_servers;
	struct wgm_stun_server_info servers[WGM_STUN_MAX_SERVERS];
	struct wgm_stun_mapping_info mapped[2];	/* [0] IPv4, [1] IPv6 */
	u32 dropped;
};

/* A consistent copy of the client's state; takes stun->lock. */
void wgm_stun_snapshot(struct wgm_device *wg, struct wgm_stun_info *info);

#endif /* _WGM_STUNCLIENT_H */
