/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * wgmesh generic netlink API, version 1.
 *
 * Documentation/netlink/wgmesh.yaml is the authoritative description of
 * this interface; keep the two in step.  Attribute and command numbers are
 * ABI: new ones are only ever appended before the __WGM_*_MAX sentinels.
 *
 * Summary.  Every command needs CAP_NET_ADMIN in the device's network namespace
 * (EPERM otherwise), and so does joining WGM_MCGRP_EVENTS.
 *
 *   WGM_CMD_GET_DEVICE  dump-only; select the device with WGM_DEVICE_A_IFINDEX
 *                       or WGM_DEVICE_A_IFNAME.  The reply is split across
 *                       several messages for large devices: each message
 *                       repeats the device attributes it needs and carries a
 *                       slice of WGM_DEVICE_A_PEERS; a peer whose allowed IPs
 *                       do not fit is continued in the next message with the
 *                       same WGM_PEER_A_PUBLIC_KEY.  Includes the private
 *                       and preshared keys.  Between messages the kernel
 *                       holds no reference: it keeps the ifindex and the
 *                       last peer sent, so peers added or removed meanwhile
 *                       do not interrupt the dump (every peer that stays is
 *                       sent exactly once; one added meanwhile is sent if the
 *                       dump had not ended).  NLM_F_DUMP_INTR is set only
 *                       when allowed IPs changed while a peer was split
 *                       across messages.  If the device is deleted (or its
 *                       ifindex now names another device) the dump ends
 *                       with ENODEV.
 *   WGM_CMD_SET_DEVICE  do.
 *                       Large configurations may be sent as several
 *                       SET_DEVICE messages; only the first may carry
 *                       WGM_DEVICE_F_REPLACE_PEERS.
 *   WGM_CMD_PUNCH       do.  WGM_DEVICE_A_IFINDEX or
 *   WGM_CMD_PING        WGM_DEVICE_A_IFNAME, and WGM_DEVICE_A_PEERS with
 *                       exactly one peer nest holding only its
 *                       WGM_PEER_A_PUBLIC_KEY: probe every candidate of that
 *                       peer now and punch for a few seconds.
 *   WGM_CMD_EVENT       multicast on WGM_MCGRP_EVENTS, GET_DEVICE layout:
 *                       WGM_DEVICE_A_IFINDEX, WGM_DEVICE_A_IFNAME, one peer
 *                       in WGM_DEVICE_A_PEERS (public key, maybe its
 *                       candidates) and, for typed events,
 *                       WGM_DEVICE_A_EVENT (WGM_EVENT_A_*).  Device events
 *                       (WGM_EVENT_STUN_MAPPED) carry no WGM_DEVICE_A_PEERS.
 */
#ifndef _UAPI_LINUX_WGMESH_H
#define _UAPI_LINUX_WGMESH_H

#define WGM_GENL_NAME		"wgmesh"
#define WGM_GENL_VERSION	1
#define WGM_MCGRP_EVENTS	"events"

#define WGM_KEY_LEN		32

enum wgm_cmd {
	WGM_CMD_UNSPEC,
	WGM_CMD_GET_DEVICE,
	WGM_CMD_SET_DEVICE,
	/* candidate probing / hole punching for one peer */
	WGM_CMD_PUNCH,
	WGM_CMD_PING,
	/* multicast notifications on WGM_MCGRP_EVENTS */
	WGM_CMD_EVENT,
	__WGM_CMD_MAX
};

#define WGM_CMD_MAX (__WGM_CMD_MAX - 1)

enum wgm_device_flag {
	WGM_DEVICE_F_REPLACE_PEERS = 1U << 0,
	__WGM_DEVICE_F_ALL = WGM_DEVICE_F_REPLACE_PEERS
};

enum wgm_device_attr {
	WGM_DEVICE_A_UNSPEC,
	WGM_DEVICE_A_IFINDEX,		/* u32 */
	WGM_DEVICE_A_IFNAME,		/* NUL-terminated string, < IFNAMSIZ */
	WGM_DEVICE_A_PRIVATE_KEY,	/* binary, WGM_KEY_LEN; all zero clears */
	WGM_DEVICE_A_PUBLIC_KEY,	/* binary, WGM_KEY_LEN; read-only */
	WGM_DEVICE_A_FLAGS,		/* u32, enum wgm_device_flag */
	WGM_DEVICE_A_LISTEN_PORT,	/* u16, host order; 0 = random */
	WGM_DEVICE_A_FWMARK,		/* u32; 0 = none */
	WGM_DEVICE_A_PEERS,		/* nested array of WGM_PEER_A_* */
	/* STUN servers, nested array of WGM_STUN_A_*, <= WGM_STUN_MAX_SERVERS;
	 * SET_DEVICE replaces the whole list (an empty nest clears it)
	 */
	WGM_DEVICE_A_STUN_SERVERS,
	/* read-only: the tunnel socket's NAT-mapped addresses, nested array of
	 * WGM_MAPPED_A_*, at most one per address family
	 */
	WGM_DEVICE_A_MAPPED_ADDRS,
	WGM_DEVICE_A_EVENT,		/* nested WGM_EVENT_A_*; events only */
	/* read-only u32: STUN-looking packets dropped (no request of ours) */
	WGM_DEVICE_A_STUN_DROPPED,
	__WGM_DEVICE_A_MAX
};

#define WGM_DEVICE_A_MAX (__WGM_DEVICE_A_MAX - 1)

enum wgm_peer_flag {
	WGM_PEER_F_REMOVE_ME = 1U << 0,
	WGM_PEER_F_REPLACE_ALLOWEDIPS = 1U << 1,
	WGM_PEER_F_UPDATE_ONLY = 1U << 2,
	/* replace the candidate list (none given: clear it) */
	WGM_PEER_F_REPLACE_CANDIDATES = 1U << 3,
	__WGM_PEER_F_ALL = WGM_PEER_F_REMOVE_ME |
			   WGM_PEER_F_REPLACE_ALLOWEDIPS |
			   WGM_PEER_F_UPDATE_ONLY |
			   WGM_PEER_F_REPLACE_CANDIDATES
};

enum wgm_peer_attr {
	WGM_PEER_A_UNSPEC,
	WGM_PEER_A_PUBLIC_KEY,		/* binary, WGM_KEY_LEN */
	WGM_PEER_A_PRESHARED_KEY,	/* binary, WGM_KEY_LEN; all zero clears */
	WGM_PEER_A_FLAGS,		/* u32, enum wgm_peer_flag */
	WGM_PEER_A_ENDPOINT,		/* struct sockaddr_in or sockaddr_in6 */
	WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL, /* u16, seconds; 0 = off */
	WGM_PEER_A_LAST_HANDSHAKE_TIME,	/* struct __kernel_timespec, realtime */
	WGM_PEER_A_RX_BYTES,		/* u64 */
	WGM_PEER_A_TX_BYTES,		/* u64 */
	WGM_PEER_A_ALLOWEDIPS,		/* nested array of WGM_ALLOWEDIP_A_* */
	WGM_PEER_A_PROTOCOL_VERSION,	/* u32; 1 is the only version */
	WGM_PEER_A_PAD,			/* alignment padding for u64 */
	/* candidate endpoints */
	WGM_PEER_A_CANDIDATES,		/* nested array of WGM_CANDIDATE_A_*, <= 16 */
	WGM_PEER_A_NAT_KEEPALIVE_INTERVAL, /* u16, seconds; 0 = off */
	WGM_PEER_A_PATH_STATUS,		/* nested WGM_PATH_A_*; GET_DEVICE only */
	__WGM_PEER_A_MAX
};

#define WGM_PEER_A_MAX (__WGM_PEER_A_MAX - 1)

enum wgm_allowedip_flag {
	WGM_ALLOWEDIP_F_REMOVE_ME = 1U << 0,
	__WGM_ALLOWEDIP_F_ALL = WGM_ALLOWEDIP_F_REMOVE_ME
};

enum wgm_allowedip_attr {
	WGM_ALLOWEDIP_A_UNSPEC,
	WGM_ALLOWEDIP_A_FAMILY,		/* u16, AF_INET or AF_INET6 */
	WGM_ALLOWEDIP_A_IPADDR,		/* binary, 4 or 16 bytes */
	WGM_ALLOWEDIP_A_CIDR_MASK,	/* u8 */
	WGM_ALLOWEDIP_A_FLAGS,		/* u32, enum wgm_allowedip_flag */
	__WGM_ALLOWEDIP_A_MAX
};

#define WGM_ALLOWEDIP_A_MAX (__WGM_ALLOWEDIP_A_MAX - 1)

/*
 * A candidate endpoint.  SET_DEVICE takes only WGM_CANDIDATE_A_ENDPOINT
 * (port and address not zero) and WGM_CANDIDATE_A_KIND; the rest is
 * reported by GET_DEVICE.
 */
enum wgm_candidate_attr {
	WGM_CANDIDATE_A_UNSPEC,
	/* struct sockaddr_in or sockaddr_in6, port and address set; never
	 * unspecified, loopback (also v4-mapped), IPv4 link-local (169.254/16),
	 * multicast or broadcast: each is refused with its own extack message
	 */
	WGM_CANDIDATE_A_ENDPOINT,
	WGM_CANDIDATE_A_STATE,		/* u8, enum wgm_candidate_state */
	WGM_CANDIDATE_A_RTT_US,		/* u32, smoothed RTT */
	WGM_CANDIDATE_A_LAST_SENT,	/* u64, ns since boot (boottime) */
	WGM_CANDIDATE_A_LAST_SEEN,	/* u64, ns since boot (boottime) */
	WGM_CANDIDATE_A_PROBES_SENT,	/* u32 */
	WGM_CANDIDATE_A_PROBES_LOST,	/* u32 */
	WGM_CANDIDATE_A_FLAGS,		/* u32, enum wgm_candidate_flag */
	WGM_CANDIDATE_A_PAD,
	WGM_CANDIDATE_A_KIND,		/* u8, enum wgm_candidate_kind; absent: direct */
	__WGM_CANDIDATE_A_MAX
};

#define WGM_CANDIDATE_A_MAX (__WGM_CANDIDATE_A_MAX - 1)

enum wgm_candidate_state {
	WGM_CANDIDATE_UNKNOWN,
	WGM_CANDIDATE_PROBING,
	WGM_CANDIDATE_ALIVE,
	WGM_CANDIDATE_DEAD,
};

enum wgm_candidate_flag {
	WGM_CANDIDATE_F_ACTIVE = 1U << 0,
};

/*
 * Where a candidate came from.  The module treats every kind alike except
 * relay: a relay candidate carries data only while no other candidate of
 * the peer is alive (Documentation/relay.rst).  The others are labels for
 * people and agents.
 */
enum wgm_candidate_kind {
	WGM_CANDIDATE_KIND_DIRECT,	/* a direct path, origin not said */
	WGM_CANDIDATE_KIND_RELAY,	/* a relay's port forwarding to the peer */
	WGM_CANDIDATE_KIND_PORTMAP,	/* a port mapped on the peer's router */
	WGM_CANDIDATE_KIND_LOCAL,	/* an address of the peer's own interfaces */
	WGM_CANDIDATE_KIND_STUN,	/* the peer's NAT mapping as STUN saw it */
	WGM_CANDIDATE_KIND_STATIC,	/* configured by hand */
	__WGM_CANDIDATE_KIND_MAX
};

#define WGM_CANDIDATE_KIND_MAX (__WGM_CANDIDATE_KIND_MAX - 1)

/*
 * Why a peer with candidates has (no) path: reported by GET_DEVICE for a
 * peer that has probe state; SET_DEVICE rejects it.
 */
enum wgm_path_attr {
	WGM_PATH_A_UNSPEC,
	WGM_PATH_A_FLAGS,		/* u32, enum wgm_path_flag */
	WGM_PATH_A_PUNCHES,		/* u32, punch bursts finished */
	WGM_PATH_A_PUNCH_RESULT,	/* u8, WGM_EVENT_REASON_PUNCH_*; 0 = none yet */
	WGM_PATH_A_LAST_PUNCH,		/* u64, boottime ns the last burst ended; 0 = never */
	WGM_PATH_A_NO_PATH_SINCE,	/* u64, boottime ns; 0 = a path is active */
	WGM_PATH_A_PAD,
	__WGM_PATH_A_MAX
};

#define WGM_PATH_A_MAX (__WGM_PATH_A_MAX - 1)

enum wgm_path_flag {
	WGM_PATH_F_PROBE_KEY = 1U << 0,		/* probes can be sent and checked */
	WGM_PATH_F_SPEAKS_PROBES = 1U << 1,	/* the peer answered or sent a probe */
};

#define WGM_STUN_MAX_SERVERS	4

/*
 * A STUN server the device sends Binding requests to from its tunnel
 * socket.  SET_DEVICE takes only WGM_STUN_A_ENDPOINT (address and port not
 * zero); the rest is reported by GET_DEVICE.
 */
enum wgm_stun_attr {
	WGM_STUN_A_UNSPEC,
	WGM_STUN_A_ENDPOINT,		/* sockaddr, as WGM_CANDIDATE_A_ENDPOINT */
	WGM_STUN_A_MAPPED,		/* sockaddr: what this server saw last */
	WGM_STUN_A_LAST_SUCCESS,	/* u64, ns since boot (boottime); 0 = never */
	WGM_STUN_A_REQUESTS,		/* u32, Binding requests sent */
	WGM_STUN_A_RESPONSES,		/* u32, responses accepted */
	WGM_STUN_A_PAD,
	__WGM_STUN_A_MAX
};

#define WGM_STUN_A_MAX (__WGM_STUN_A_MAX - 1)

/* A NAT-mapped address of the tunnel socket, one per address family. */
enum wgm_mapped_attr {
	WGM_MAPPED_A_UNSPEC,
	WGM_MAPPED_A_ENDPOINT,		/* struct sockaddr_in or sockaddr_in6 */
	WGM_MAPPED_A_AGE_MS,		/* u32, since a server last confirmed it */
	WGM_MAPPED_A_SERVER,		/* sockaddr of the server that told us */
	__WGM_MAPPED_A_MAX
};

#define WGM_MAPPED_A_MAX (__WGM_MAPPED_A_MAX - 1)

/* WGM_EVENT_A_TYPE */
enum wgm_event_type {
	WGM_EVENT_UNSPEC,
	WGM_EVENT_HANDSHAKE_COMPLETE,	/* NEW_ENDPOINT: where the peer is */
	WGM_EVENT_PATH_CHANGED,		/* OLD/NEW_ENDPOINT, REASON, VALUE: RTT us */
	WGM_EVENT_CANDIDATE_STATE,	/* NEW_ENDPOINT, REASON: candidate state */
	WGM_EVENT_PUNCH_DONE,		/* NEW_ENDPOINT, REASON, VALUE: ms taken */
	/* device event, no peer: OLD/NEW_ENDPOINT are the mapped addresses */
	WGM_EVENT_STUN_MAPPED,
	__WGM_EVENT_MAX
};

/* WGM_EVENT_A_REASON (WGM_EVENT_CANDIDATE_STATE: enum wgm_candidate_state) */
enum wgm_event_reason {
	WGM_EVENT_REASON_NONE,
	WGM_EVENT_REASON_RTT,		/* a faster path was found */
	WGM_EVENT_REASON_FAILOVER,	/* the active path stopped answering */
	WGM_EVENT_REASON_ROAMING,	/* the peer was heard from elsewhere */
	WGM_EVENT_REASON_CONFIG,	/* the configuration changed */
	WGM_EVENT_REASON_PUNCH_OK,	/* a candidate answered */
	WGM_EVENT_REASON_PUNCH_FAILED,	/* no candidate answered */
};

enum wgm_event_attr {
	WGM_EVENT_A_UNSPEC,
	WGM_EVENT_A_TYPE,		/* u8, enum wgm_event_type */
	WGM_EVENT_A_OLD_ENDPOINT,	/* struct sockaddr_in or sockaddr_in6 */
	WGM_EVENT_A_NEW_ENDPOINT,	/* struct sockaddr_in or sockaddr_in6 */
	WGM_EVENT_A_REASON,		/* u32, enum wgm_event_reason */
	WGM_EVENT_A_VALUE,		/* u32, meaning by type */
	__WGM_EVENT_A_MAX
};

#define WGM_EVENT_A_MAX (__WGM_EVENT_A_MAX - 1)

#endif /* _UAPI_LINUX_WGMESH_H */
