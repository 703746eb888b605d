/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * In-memory device configuration / state, shared by every parser and
 * formatter: the `set` grammar and config files produce it, GET_DEVICE dumps
 * fill it, SET_DEVICE messages are built from it.  Peers, allowed IPs and
 * candidates are growable arrays (a pointer to a peer is invalidated by
 * adding another peer).
 */
#ifndef WGM_CONFIG_H
#define WGM_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/wgmesh.h>

#include "key.h"

union wgm_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct mesh_conf_aip {
	uint16_t family;		/* AF_INET or AF_INET6 */
	uint8_t cidr;
	bool remove;			/* WGM_ALLOWEDIP_F_REMOVE_ME */
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	} addr;
};

struct mesh_conf_cand {
	union wgm_sockaddr endpoint;
	uint8_t state;			/* enum wgm_candidate_state */
	uint32_t rtt_us;
	uint64_t last_sent_ns;		/* CLOCK_BOOTTIME, 0 = never */
	uint64_t last_seen_ns;		/* CLOCK_BOOTTIME, 0 = never */
	uint32_t probes_sent;
	uint32_t probes_lost;
	uint32_t flags;			/* enum wgm_candidate_flag */
	uint8_t kind;			/* enum wgm_candidate_kind */
	/* relay candidates: the bind id (GET reports it) and key (SET only) */
	uint32_t relay_id;
	bool has_relay_key;		/* SET sends relay_id and relay_key */
	uint8_t relay_key[WGM_RELAY_KEY_LEN];
	/*
	 * Not from the kernel: the address is one of this host's own, as
	 * meshadm show finds (mesh_conf_mark_local_cands).  A relay candidate
	 * on a local address is meshd's TCP carrier (relay.rst, "TCP
	 * fallback"): shown as relayed over TCP.
	 */
	bool local;
};

/* "direct", "relay", ... (enum wgm_candidate_kind); "invalid" otherwise. */
const char *mesh_conf_cand_kind_name(uint8_t kind);
/* The kind called @name (@len bytes), or -1. */
int mesh_conf_cand_kind_parse(const char *name, size_t len);

enum mesh_conf_peer_has {
	MESH_CONF_PEER_HAS_PSK = 1U << 0,
	MESH_CONF_PEER_HAS_ENDPOINT = 1U << 1,
	MESH_CONF_PEER_HAS_KEEPALIVE = 1U << 2,
	MESH_CONF_PEER_HAS_CANDIDATES = 1U << 3,	/* list given (maybe empty) */
	MESH_CONF_PEER_HAS_STATS = 1U << 4,		/* handshake/rx/tx reported */
	MESH_CONF_PEER_HAS_PATH_STATUS = 1U << 5,	/* path_status reported */
	MESH_CONF_PEER_HAS_BIRTHDAY = 1U << 6,		/* birthday reported */
	MESH_CONF_PEER_HAS_NAT = 1U << 7,		/* nat label given / reported */
};

/* The last birthday search and the peer's own socket (WGM_BIRTHDAY_A_*); GET only. */
struct mesh_conf_bday {
	uint8_t state;			/* enum wgm_birthday_state */
	uint16_t sockets;		/* open while the search runs */
	uint32_t sent;			/* probes the last search sent */
	uint16_t port;			/* the peer's own socket, 0 = none */
};

/* "running", "direct", ... (enum wgm_birthday_state); "unknown" otherwise. */
const char *mesh_conf_bday_state_name(uint8_t state);

/* Why a peer has (no) path (WGM_PATH_A_*); GET only. */
struct mesh_conf_path {
	uint32_t flags;			/* enum wgm_path_flag */
	uint32_t punches;		/* bursts finished */
	uint8_t punch_result;		/* WGM_EVENT_REASON_PUNCH_*, 0 = none */
	uint64_t last_punch_ns;		/* CLOCK_BOOTTIME, 0 = never */
	uint64_t no_path_since_ns;	/* CLOCK_BOOTTIME, 0 = a path is active */
};

struct mesh_conf_peer {
	uint8_t public_key[WGM_KEY_LEN];
	uint8_t preshared_key[WGM_KEY_LEN];
	uint32_t flags;			/* enum wgm_peer_flag */
	uint32_t has;			/* enum mesh_conf_peer_has */
	union wgm_sockaddr endpoint;
	uint16_t keepalive;		/* seconds, 0 = off */
	int64_t last_handshake_sec;	/* CLOCK_REALTIME, 0 = never */
	int64_t last_handshake_nsec;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	struct mesh_conf_aip *aips;
	size_t n_aips, cap_aips;
	struct mesh_conf_cand *cands;
	size_t n_cands, cap_cands;
	struct mesh_conf_path path;	/* if MESH_CONF_PEER_HAS_PATH_STATUS */
	struct mesh_conf_bday bday;	/* if MESH_CONF_PEER_HAS_BIRTHDAY */
	uint8_t nat;			/* enum wgm_nat_type, if MESH_CONF_PEER_HAS_NAT */
	unsigned int line;		/* config-file line of its [Peer] */
};

enum mesh_conf_device_has {
	MESH_CONF_DEV_HAS_PRIVATE_KEY = 1U << 0,
	MESH_CONF_DEV_HAS_PUBLIC_KEY = 1U << 1,
	MESH_CONF_DEV_HAS_LISTEN_PORT = 1U << 2,
	MESH_CONF_DEV_HAS_FWMARK = 1U << 3,
	MESH_CONF_DEV_HAS_STUN = 1U << 4,	/* STUN server list given (maybe empty) */
};

/* A STUN server of the device (WGM_STUN_A_*); SET sends only endpoint. */
struct mesh_conf_stun {
	union wgm_sockaddr endpoint;
	union wgm_sockaddr mapped;	/* AF_UNSPEC: no answer yet */
	uint64_t last_success_ns;	/* CLOCK_BOOTTIME, 0 = never */
	uint32_t requests;
	uint32_t responses;
};

/* The tunnel socket's NAT-mapped address of one family (WGM_MAPPED_A_*). */
struct mesh_conf_mapped {
	union wgm_sockaddr endpoint;
	union wgm_sockaddr server;
	uint32_t age_ms;
};

struct mesh_conf_device {
	char name[IFNAMSIZ];
	uint32_t ifindex;
	uint32_t flags;			/* enum wgm_device_flag */
	uint32_t has;			/* enum mesh_conf_device_has */
	uint8_t private_key[WGM_KEY_LEN];
	uint8_t public_key[WGM_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	struct mesh_conf_stun stun[WGM_STUN_MAX_SERVERS];
	size_t n_stun;
	struct mesh_conf_mapped mapped[2];
	size_t n_mapped;
	uint32_t stun_dropped;
	struct mesh_conf_peer *peers;
	size_t n_peers, cap_peers;
};

void mesh_conf_device_init(struct mesh_conf_device *dev);
/* Frees the arrays and wipes the keys; the device is left initialised. */
void mesh_conf_device_free(struct mesh_conf_device *dev);
/* A zeroed peer appended to dev, or NULL when out of memory. */
struct mesh_conf_peer *mesh_conf_device_add_peer(struct mesh_conf_device *dev);
struct mesh_conf_aip *mesh_conf_peer_add_aip(struct mesh_conf_peer *peer);
struct mesh_conf_cand *mesh_conf_peer_add_cand(struct mesh_conf_peer *peer);
void mesh_conf_peer_clear_aips(struct mesh_conf_peer *peer);
/* Deep copy of src appended to dev (NULL when out of memory). */
struct mesh_conf_peer *mesh_conf_device_add_peer_copy(struct mesh_conf_device *dev,
					  const struct mesh_conf_peer *src);

/* Peer with this public key, or NULL (linear search). */
struct mesh_conf_peer *mesh_conf_device_find_peer(const struct mesh_conf_device *dev,
				      const uint8_t key[WGM_KEY_LEN]);

/* Order peers by latest handshake, newest first (as `show` prints them). */
void mesh_conf_device_sort_peers_by_handshake(struct mesh_conf_device *dev);

/* Growable string buffer; on allocation failure `oom` is set. */
struct wgm_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

void wgm_buf_init(struct wgm_buf *b);
void wgm_buf_free(struct wgm_buf *b);
__attribute__((format(printf, 2, 3)))
void wgm_buf_printf(struct wgm_buf *b, const char *fmt, ...);
void wgm_buf_puts(struct wgm_buf *b, const char *s);

#endif /* WGM_CONFIG_H */
