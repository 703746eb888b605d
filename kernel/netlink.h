/* SPDX-License-Identifier: GPL-2.0-only */
/* The "wgmesh" generic netlink family (Documentation/netlink/wgmesh.yaml). */
#ifndef _WGM_NETLINK_H
#define _WGM_NETLINK_H

int wgm_genetlink_init(void);
void wgm_genetlink_uninit(void);

#endif /* _WGM_NETLINK_H */
