/* SPDX-License-Identifier: GPL-2.0-only */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/wgmesh.yaml */
/* YNL-GEN kernel header */
/* post-processed by scripts/netlink-gen-fixup */

#ifndef _LINUX_WGMESH_GEN_H
#define _LINUX_WGMESH_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include "uapi/linux/wgmesh.h"

/* Common nested types */
extern const struct nla_policy wgm_allowedip_nl_policy[WGM_ALLOWEDIP_A_FLAGS + 1];
extern const struct nla_policy wgm_birthday_nl_policy[WGM_BIRTHDAY_A_PORT + 1];
extern const struct nla_policy wgm_candidate_nl_policy[WGM_CANDIDATE_A_RELAY_KEY + 1];
extern const struct nla_policy wgm_event_nl_policy[WGM_EVENT_A_VALUE + 1];
extern const struct nla_policy wgm_mapped_nl_policy[WGM_MAPPED_A_SERVER + 1];
extern const struct nla_policy wgm_path_nl_policy[WGM_PATH_A_PAD + 1];
extern const struct nla_policy wgm_peer_nl_policy[WGM_PEER_A_NAT + 1];
extern const struct nla_policy wgm_stun_nl_policy[WGM_STUN_A_PAD + 1];

/* Global operation policy for wgmesh */
extern const struct nla_policy wgm_device_nl_policy[WGM_DEVICE_A_STUN_DROPPED + 1];

/* Ops table for wgmesh */
extern const struct genl_small_ops wgm_nl_ops[4];

int wgm_nl_get_device_dumpit(struct sk_buff *skb,
			     struct netlink_callback *cb);
int wgm_nl_set_device_doit(struct sk_buff *skb, struct genl_info *info);
int wgm_nl_punch_doit(struct sk_buff *skb, struct genl_info *info);
int wgm_nl_ping_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	WGM_NLGRP_EVENTS,
};

#endif /* _LINUX_WGMESH_GEN_H */
