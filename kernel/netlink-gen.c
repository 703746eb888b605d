// SPDX-License-Identifier: GPL-2.0-only
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/wgmesh.yaml */
/* YNL-GEN kernel source */
/* post-processed by scripts/netlink-gen-fixup */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include "uapi/linux/wgmesh.h"

/* Common nested types */
const struct nla_policy wgm_allowedip_nl_policy[WGM_ALLOWEDIP_A_FLAGS + 1] = {
	[WGM_ALLOWEDIP_A_FAMILY] = { .type = NLA_U16, },
	[WGM_ALLOWEDIP_A_IPADDR] = { .type = NLA_BINARY, },
	[WGM_ALLOWEDIP_A_CIDR_MASK] = { .type = NLA_U8, },
	[WGM_ALLOWEDIP_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x1),
};

const struct nla_policy wgm_birthday_nl_policy[WGM_BIRTHDAY_A_PORT + 1] = {
	[WGM_BIRTHDAY_A_ROLE] = NLA_POLICY_MAX(NLA_U8, 2),
	[WGM_BIRTHDAY_A_TARGET] = { .type = NLA_BINARY, },
	[WGM_BIRTHDAY_A_COUNT] = NLA_POLICY_RANGE(NLA_U16, 1, WGM_BIRTHDAY_MAX_PROBES),
	[WGM_BIRTHDAY_A_STATE] = NLA_POLICY_MAX(NLA_U8, 4),
	[WGM_BIRTHDAY_A_SOCKETS] = { .type = NLA_U16, },
	[WGM_BIRTHDAY_A_SENT] = { .type = NLA_U32, },
	[WGM_BIRTHDAY_A_PORT] = { .type = NLA_U16, },
};

const struct nla_policy wgm_candidate_nl_policy[WGM_CANDIDATE_A_RELAY_KEY + 1] = {
	[WGM_CANDIDATE_A_ENDPOINT] = { .type = NLA_BINARY, },
	[WGM_CANDIDATE_A_STATE] = NLA_POLICY_MAX(NLA_U8, 3),
	[WGM_CANDIDATE_A_RTT_US] = { .type = NLA_U32, },
	[WGM_CANDIDATE_A_LAST_SENT] = { .type = NLA_U64, },
	[WGM_CANDIDATE_A_LAST_SEEN] = { .type = NLA_U64, },
	[WGM_CANDIDATE_A_PROBES_SENT] = { .type = NLA_U32, },
	[WGM_CANDIDATE_A_PROBES_LOST] = { .type = NLA_U32, },
	[WGM_CANDIDATE_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x1),
	[WGM_CANDIDATE_A_KIND] = NLA_POLICY_MAX(NLA_U8, 5),
	[WGM_CANDIDATE_A_RELAY_ID] = { .type = NLA_U32, },
	[WGM_CANDIDATE_A_RELAY_KEY] = { .type = NLA_BINARY, },
};

const struct nla_policy wgm_event_nl_policy[WGM_EVENT_A_VALUE + 1] = {
	[WGM_EVENT_A_TYPE] = NLA_POLICY_MAX(NLA_U8, 5),
	[WGM_EVENT_A_OLD_ENDPOINT] = { .type = NLA_BINARY, },
	[WGM_EVENT_A_NEW_ENDPOINT] = { .type = NLA_BINARY, },
	[WGM_EVENT_A_REASON] = NLA_POLICY_MAX(NLA_U32, 6),
	[WGM_EVENT_A_VALUE] = { .type = NLA_U32, },
};

const struct nla_policy wgm_mapped_nl_policy[WGM_MAPPED_A_SERVER + 1] = {
	[WGM_MAPPED_A_ENDPOINT] = { .type = NLA_BINARY, },
	[WGM_MAPPED_A_AGE_MS] = { .type = NLA_U32, },
	[WGM_MAPPED_A_SERVER] = { .type = NLA_BINARY, },
};

const struct nla_policy wgm_path_nl_policy[WGM_PATH_A_PAD + 1] = {
	[WGM_PATH_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x3),
	[WGM_PATH_A_PUNCHES] = { .type = NLA_U32, },
	[WGM_PATH_A_PUNCH_RESULT] = { .type = NLA_U8, },
	[WGM_PATH_A_LAST_PUNCH] = { .type = NLA_U64, },
	[WGM_PATH_A_NO_PATH_SINCE] = { .type = NLA_U64, },
};

const struct nla_policy wgm_peer_nl_policy[WGM_PEER_A_NAT + 1] = {
	[WGM_PEER_A_PUBLIC_KEY] = NLA_POLICY_EXACT_LEN(WGM_KEY_LEN),
	[WGM_PEER_A_PRESHARED_KEY] = NLA_POLICY_EXACT_LEN(WGM_KEY_LEN),
	[WGM_PEER_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0xf),
	[WGM_PEER_A_ENDPOINT] = { .type = NLA_BINARY, },
	[WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { .type = NLA_U16, },
	[WGM_PEER_A_LAST_HANDSHAKE_TIME] = { .type = NLA_BINARY, },
	[WGM_PEER_A_RX_BYTES] = { .type = NLA_U64, },
	[WGM_PEER_A_TX_BYTES] = { .type = NLA_U64, },
	[WGM_PEER_A_ALLOWEDIPS] = NLA_POLICY_NESTED_ARRAY(wgm_allowedip_nl_policy),
	[WGM_PEER_A_PROTOCOL_VERSION] = { .type = NLA_U32, },
	[WGM_PEER_A_CANDIDATES] = NLA_POLICY_NESTED_ARRAY(wgm_candidate_nl_policy),
	[WGM_PEER_A_NAT_KEEPALIVE_INTERVAL] = { .type = NLA_U16, },
	[WGM_PEER_A_PATH_STATUS] = NLA_POLICY_NESTED(wgm_path_nl_policy),
	[WGM_PEER_A_BIRTHDAY] = NLA_POLICY_NESTED(wgm_birthday_nl_policy),
	[WGM_PEER_A_NAT] = NLA_POLICY_MAX(NLA_U8, 2),
};

const struct nla_policy wgm_stun_nl_policy[WGM_STUN_A_PAD + 1] = {
	[WGM_STUN_A_ENDPOINT] = { .type = NLA_BINARY, },
	[WGM_STUN_A_MAPPED] = { .type = NLA_BINARY, },
	[WGM_STUN_A_LAST_SUCCESS] = { .type = NLA_U64, },
	[WGM_STUN_A_REQUESTS] = { .type = NLA_U32, },
	[WGM_STUN_A_RESPONSES] = { .type = NLA_U32, },
};

/* Global operation policy for wgmesh */
const struct nla_policy wgm_device_nl_policy[WGM_DEVICE_A_STUN_DROPPED + 1] = {
	[WGM_DEVICE_A_IFINDEX] = { .type = NLA_U32, },
	[WGM_DEVICE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = 15, },
	[WGM_DEVICE_A_PRIVATE_KEY] = NLA_POLICY_EXACT_LEN(WGM_KEY_LEN),
	[WGM_DEVICE_A_PUBLIC_KEY] = NLA_POLICY_EXACT_LEN(WGM_KEY_LEN),
	[WGM_DEVICE_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, 0x1),
	[WGM_DEVICE_A_LISTEN_PORT] = { .type = NLA_U16, },
	[WGM_DEVICE_A_FWMARK] = { .type = NLA_U32, },
	[WGM_DEVICE_A_PEERS] = NLA_POLICY_NESTED_ARRAY(wgm_peer_nl_policy),
	[WGM_DEVICE_A_STUN_SERVERS] = NLA_POLICY_NESTED_ARRAY(wgm_stun_nl_policy),
	[WGM_DEVICE_A_MAPPED_ADDRS] = NLA_POLICY_NESTED_ARRAY(wgm_mapped_nl_policy),
	[WGM_DEVICE_A_EVENT] = NLA_POLICY_NESTED(wgm_event_nl_policy),
	[WGM_DEVICE_A_STUN_DROPPED] = { .type = NLA_U32, },
};

/* Ops table for wgmesh */
const struct genl_small_ops wgm_nl_ops[4] = {
	{
		.cmd	= WGM_CMD_GET_DEVICE,
		.dumpit	= wgm_nl_get_device_dumpit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= WGM_CMD_SET_DEVICE,
		.doit	= wgm_nl_set_device_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= WGM_CMD_PUNCH,
		.doit	= wgm_nl_punch_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= WGM_CMD_PING,
		.doit	= wgm_nl_ping_doit,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
};
