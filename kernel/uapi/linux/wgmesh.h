/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/wgmesh.yaml */
/* YNL-GEN uapi header */
/* post-processed by scripts/netlink-gen-fixup */

#ifndef _UAPI_LINUX_WGMESH_H
#define _UAPI_LINUX_WGMESH_H

#define WGM_GENL_NAME		"wgmesh"
#define WGM_GENL_VERSION	1

#define WGM_KEY_LEN			32
#define WGM_STUN_MAX_SERVERS		4
#define WGM_MAX_CANDIDATES		16
#define WGM_RELAY_KEY_LEN		32
#define WGM_BIRTHDAY_MAX_SOCKETS	256
#define WGM_BIRTHDAY_MAX_PROBES	1024

enum wgm_device_flags {
	WGM_DEVICE_F_REPLACE_PEERS = 1,
};

enum wgm_peer_flags {
	WGM_PEER_F_REMOVE_ME = 1,
	WGM_PEER_F_REPLACE_ALLOWEDIPS = 2,
	WGM_PEER_F_UPDATE_ONLY = 4,
	WGM_PEER_F_REPLACE_CANDIDATES = 8,
};

enum wgm_allowedip_flags {
	WGM_ALLOWEDIP_F_REMOVE_ME = 1,
};

enum wgm_candidate_state {
	WGM_CANDIDATE_UNKNOWN,
	WGM_CANDIDATE_PROBING,
	WGM_CANDIDATE_ALIVE,
	WGM_CANDIDATE_DEAD,
};

enum wgm_candidate_flags {
	WGM_CANDIDATE_F_ACTIVE = 1,
};

/**
 * enum wgm_path_flags
 * @WGM_PATH_F_PROBE_KEY: The peer has a probe key (probes can be sent and
 *   checked).
 * @WGM_PATH_F_SPEAKS_PROBES: The peer answered or sent a probe.
 */
enum wgm_path_flags {
	WGM_PATH_F_PROBE_KEY = 1,
	WGM_PATH_F_SPEAKS_PROBES = 2,
};

/**
 * enum wgm_candidate_kind - Where a candidate came from. Only relay changes
 *   what the module does: a relay candidate carries data only while no other
 *   candidate of the peer is alive (Documentation/relay.rst). The others are
 *   labels.
 * @WGM_CANDIDATE_KIND_DIRECT: A direct path, origin not said.
 * @WGM_CANDIDATE_KIND_RELAY: A relay's port forwarding to the peer.
 * @WGM_CANDIDATE_KIND_PORTMAP: A port mapped on the peer's router.
 * @WGM_CANDIDATE_KIND_LOCAL: An address of the peer's own interfaces.
 * @WGM_CANDIDATE_KIND_STUN: The peer's NAT mapping as STUN saw it.
 * @WGM_CANDIDATE_KIND_STATIC: Configured by hand.
 */
enum wgm_candidate_kind {
	WGM_CANDIDATE_KIND_DIRECT,
	WGM_CANDIDATE_KIND_RELAY,
	WGM_CANDIDATE_KIND_PORTMAP,
	WGM_CANDIDATE_KIND_LOCAL,
	WGM_CANDIDATE_KIND_STUN,
	WGM_CANDIDATE_KIND_STATIC,

	/* private: */
	__WGM_CANDIDATE_KIND_MAX,
	WGM_CANDIDATE_KIND_MAX = (__WGM_CANDIDATE_KIND_MAX - 1)
};

/**
 * enum wgm_birthday_role - A birthday search's side
 *   (Documentation/probing.rst, "Birthday search"). open: our NAT maps per
 *   destination; open count extra sockets on random ports and send one probe
 *   from each to target (the peer's mapped address). spray: our NAT maps one
 *   port for all destinations; send count probes, at most 100 a second, to
 *   random ports of target's address (the peer's public address).
 */
enum wgm_birthday_role {
	WGM_BIRTHDAY_NONE,
	WGM_BIRTHDAY_OPEN,
	WGM_BIRTHDAY_SPRAY,

	/* private: */
	__WGM_BIRTHDAY_MAX,
	WGM_BIRTHDAY_MAX = (__WGM_BIRTHDAY_MAX - 1)
};

/**
 * enum wgm_nat_type - How a NAT maps: easy (one public port for all
 *   destinations, endpoint-independent), hard (a new port per destination,
 *   endpoint-dependent), or unknown.
 */
enum wgm_nat_type {
	WGM_NAT_UNKNOWN,
	WGM_NAT_EASY,
	WGM_NAT_HARD,

	/* private: */
	__WGM_NAT_MAX,
	WGM_NAT_MAX = (__WGM_NAT_MAX - 1)
};

/**
 * enum wgm_birthday_state - How the last birthday search with the peer
 *   went.
 */
enum wgm_birthday_state {
	WGM_BIRTHDAY_STATE_NONE,
	WGM_BIRTHDAY_STATE_RUNNING,
	WGM_BIRTHDAY_STATE_DIRECT,
	WGM_BIRTHDAY_STATE_FAILED,
	WGM_BIRTHDAY_STATE_STOPPED,
};

enum wgm_event_type {
	WGM_EVENT_UNSPEC,
	WGM_EVENT_HANDSHAKE_COMPLETE,
	WGM_EVENT_PATH_CHANGED,
	WGM_EVENT_CANDIDATE_STATE,
	WGM_EVENT_PUNCH_DONE,
	WGM_EVENT_STUN_MAPPED,

	/* private: */
	__WGM_EVENT_MAX,
	WGM_EVENT_MAX = (__WGM_EVENT_MAX - 1)
};

/**
 * enum wgm_event_reason - Why a path changed or how a punch ended.
 *   candidate-state events put the candidate's new candidate-state here
 *   instead.
 */
enum wgm_event_reason {
	WGM_EVENT_REASON_NONE,
	WGM_EVENT_REASON_RTT,
	WGM_EVENT_REASON_FAILOVER,
	WGM_EVENT_REASON_ROAMING,
	WGM_EVENT_REASON_CONFIG,
	WGM_EVENT_REASON_PUNCH_OK,
	WGM_EVENT_REASON_PUNCH_FAILED,
};

enum {
	WGM_DEVICE_A_UNSPEC,
	WGM_DEVICE_A_IFINDEX,
	WGM_DEVICE_A_IFNAME,
	WGM_DEVICE_A_PRIVATE_KEY,
	WGM_DEVICE_A_PUBLIC_KEY,
	WGM_DEVICE_A_FLAGS,
	WGM_DEVICE_A_LISTEN_PORT,
	WGM_DEVICE_A_FWMARK,
	WGM_DEVICE_A_PEERS,
	WGM_DEVICE_A_STUN_SERVERS,
	WGM_DEVICE_A_MAPPED_ADDRS,
	WGM_DEVICE_A_EVENT,
	WGM_DEVICE_A_STUN_DROPPED,

	__WGM_DEVICE_A_MAX,
	WGM_DEVICE_A_MAX = (__WGM_DEVICE_A_MAX - 1)
};

enum {
	WGM_PEER_A_UNSPEC,
	WGM_PEER_A_PUBLIC_KEY,
	WGM_PEER_A_PRESHARED_KEY,
	WGM_PEER_A_FLAGS,
	WGM_PEER_A_ENDPOINT,
	WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
	WGM_PEER_A_LAST_HANDSHAKE_TIME,
	WGM_PEER_A_RX_BYTES,
	WGM_PEER_A_TX_BYTES,
	WGM_PEER_A_ALLOWEDIPS,
	WGM_PEER_A_PROTOCOL_VERSION,
	WGM_PEER_A_PAD,
	WGM_PEER_A_CANDIDATES,
	WGM_PEER_A_NAT_KEEPALIVE_INTERVAL,
	WGM_PEER_A_PATH_STATUS,
	WGM_PEER_A_BIRTHDAY,
	WGM_PEER_A_NAT,

	__WGM_PEER_A_MAX,
	WGM_PEER_A_MAX = (__WGM_PEER_A_MAX - 1)
};

enum {
	WGM_PATH_A_UNSPEC,
	WGM_PATH_A_FLAGS,
	WGM_PATH_A_PUNCHES,
	WGM_PATH_A_PUNCH_RESULT,
	WGM_PATH_A_LAST_PUNCH,
	WGM_PATH_A_NO_PATH_SINCE,
	WGM_PATH_A_PAD,

	__WGM_PATH_A_MAX,
	WGM_PATH_A_MAX = (__WGM_PATH_A_MAX - 1)
};

enum {
	WGM_BIRTHDAY_A_UNSPEC,
	WGM_BIRTHDAY_A_ROLE,
	WGM_BIRTHDAY_A_TARGET,
	WGM_BIRTHDAY_A_COUNT,
	WGM_BIRTHDAY_A_STATE,
	WGM_BIRTHDAY_A_SOCKETS,
	WGM_BIRTHDAY_A_SENT,
	WGM_BIRTHDAY_A_PORT,

	__WGM_BIRTHDAY_A_MAX,
	WGM_BIRTHDAY_A_MAX = (__WGM_BIRTHDAY_A_MAX - 1)
};

enum {
	WGM_ALLOWEDIP_A_UNSPEC,
	WGM_ALLOWEDIP_A_FAMILY,
	WGM_ALLOWEDIP_A_IPADDR,
	WGM_ALLOWEDIP_A_CIDR_MASK,
	WGM_ALLOWEDIP_A_FLAGS,

	__WGM_ALLOWEDIP_A_MAX,
	WGM_ALLOWEDIP_A_MAX = (__WGM_ALLOWEDIP_A_MAX - 1)
};

enum {
	WGM_CANDIDATE_A_UNSPEC,
	WGM_CANDIDATE_A_ENDPOINT,
	WGM_CANDIDATE_A_STATE,
	WGM_CANDIDATE_A_RTT_US,
	WGM_CANDIDATE_A_LAST_SENT,
	WGM_CANDIDATE_A_LAST_SEEN,
	WGM_CANDIDATE_A_PROBES_SENT,
	WGM_CANDIDATE_A_PROBES_LOST,
	WGM_CANDIDATE_A_FLAGS,
	WGM_CANDIDATE_A_PAD,
	WGM_CANDIDATE_A_KIND,
	WGM_CANDIDATE_A_RELAY_ID,
	WGM_CANDIDATE_A_RELAY_KEY,

	__WGM_CANDIDATE_A_MAX,
	WGM_CANDIDATE_A_MAX = (__WGM_CANDIDATE_A_MAX - 1)
};

enum {
	WGM_STUN_A_UNSPEC,
	WGM_STUN_A_ENDPOINT,
	WGM_STUN_A_MAPPED,
	WGM_STUN_A_LAST_SUCCESS,
	WGM_STUN_A_REQUESTS,
	WGM_STUN_A_RESPONSES,
	WGM_STUN_A_PAD,

	__WGM_STUN_A_MAX,
	WGM_STUN_A_MAX = (__WGM_STUN_A_MAX - 1)
};

enum {
	WGM_MAPPED_A_UNSPEC,
	WGM_MAPPED_A_ENDPOINT,
	WGM_MAPPED_A_AGE_MS,
	WGM_MAPPED_A_SERVER,

	__WGM_MAPPED_A_MAX,
	WGM_MAPPED_A_MAX = (__WGM_MAPPED_A_MAX - 1)
};

enum {
	WGM_EVENT_A_UNSPEC,
	WGM_EVENT_A_TYPE,
	WGM_EVENT_A_OLD_ENDPOINT,
	WGM_EVENT_A_NEW_ENDPOINT,
	WGM_EVENT_A_REASON,
	WGM_EVENT_A_VALUE,

	__WGM_EVENT_A_MAX,
	WGM_EVENT_A_MAX = (__WGM_EVENT_A_MAX - 1)
};

enum {
	WGM_CMD_GET_DEVICE = 1,
	WGM_CMD_SET_DEVICE,
	WGM_CMD_PUNCH,
	WGM_CMD_PING,
	WGM_CMD_EVENT,

	__WGM_CMD_MAX,
	WGM_CMD_MAX = (__WGM_CMD_MAX - 1)
};

#define WGM_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_WGMESH_H */
