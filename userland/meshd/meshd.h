/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * meshd's agent state and the functions its parts share.  One struct
 * meshd, made by main() and passed to every function; nothing global.
 *
 *   main.c     options, signals, the poll loop; logging and the clock
 *   state.c    the state directory: the node's private key, "registered"
 *   device.c   the wgmesh device: creation and setup, overlay addresses,
 *              the kernel's peer list (sync_kernel), punching
 *   coord.c    the meshcoord connection: connect, backoff, messages
 *   stun.c     the STUN servers handed to the kernel, the NAT type and
 *              mapped addresses it reports
 *   gather.c   the module's events and the periodic gathering: candidates
 *              reported to meshcoord, punch requests for dead peers
 *   portmap.c  the gateway's port mapping (PCP, NAT-PMP, UPnP IGD), its own
 *              state (meshd-portmap.h); gather.c adds its candidate
 *   relay.c    meshcoord's relay allocations as relay candidates (relay.h)
 *   tcprelay.c the relay carried over the control connection when no UDP
 *              gets out: carrier sockets between the kernel and meshcoord
 *   home.c     the home relay: the service's relays timed with STUN, the
 *              nearest reported (HOME_RELAY)
 *   birthday.c birthday searches with a peer behind the other kind of NAT,
 *              as PUNCH asks (probing.rst, "Birthday search")
 */
#ifndef MESHD_MESHD_H
#define MESHD_MESHD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>

#include "addr.h"
#include "config.h"
#include "key.h"
#include "logic.h"
#include "meshd-portmap.h"
#include "nl.h"
#include "udpbatch.h"
#include "proto.h"

#define PING_INTERVAL_MS (MP_KEEPALIVE_SEC * 1000u)

/* Exit statuses (meshd(8)). */
#define EXIT_USAGE 2
#define EXIT_REPLACED 3		/* another agent took over our key */
#define EXIT_AUTH 4		/* the service refused our auth key */

struct opts {
	const char *coord;		/* as given */
	char coord_host[256];
	char coord_addr[256 + 9];	/* "host:port", "[v6]:port" */
	uint8_t coord_key[MP_KEY_LEN];
	const char *authkey;
	const char *ifname;
	const char *state;
	char name[MP_NAME_MAX + 1];
	uint16_t listen_port;
	char stun_host[256];		/* "" = no STUN */
	char stun_port[6];
	bool stun_given;		/* --stun: not the service's list */
	bool no_portmap;		/* --no-portmap */
	enum meshd_relay_tcp_mode relay_tcp;	/* --relay-tcp */
	bool no_birthday;		/* --no-birthday */
};

/*
 * A relay allocation carried over TCP (tcprelay.c): the local UDP socket
 * the kernel's relay candidate for the peer points at.
 */
#define MESHD_CARRIERS_MAX 64
struct meshd_carrier {
	int fd;
	uint32_t id;			/* our side's allocation id */
	uint8_t peer[MP_KEY_LEN];
	union wgm_sockaddr addr;	/* where it is bound */
};

struct meshd {
	struct opts o;
	uint8_t priv[WGM_KEY_LEN], pub[WGM_KEY_LEN];
	uint32_t ifindex;
	struct wgm_nl nl;
	int sigfd;

	struct mp_conn conn;
	bool connected;
	bool registered;		/* the service knows our key */
	bool removed;			/* the administrator removed us */
	bool auth_refused;		/* first registration refused: exit */
	bool have_welcome;
	struct mp_welcome welcome;
	unsigned int backoff_ms;
	uint64_t next_connect_ms, last_rx_ms, next_ping_ms, ping_token;

	struct meshd_peers peers;
	bool synced;			/* one SYNC_END seen since start */
	bool punch_unsupported;		/* the module answered EOPNOTSUPP */
	bool birthday_unsupported;	/* the module refused a birthday search */

	/*
	 * The kernel learns the tunnel socket's NAT mappings from the STUN
	 * servers we give it (stun_configure) and reports them in GET_DEVICE;
	 * they become candidates as they are, port included.  Its events say
	 * when a mapping changes.
	 */
	bool stun_configured;		/* the server list is in the kernel */
	unsigned int nat;		/* enum wgm_nat_type, as last logged */
	bool nat_sent;			/* reported to this session's service */
	unsigned int nat_sent_val;
	union wgm_sockaddr mapped[2];	/* the kernel's, as last logged */
	size_t n_mapped;
	struct wgm_nl ev;		/* subscribed to the events group */
	bool ev_open;

	struct meshd_portmap pm;	/* the gateway's port mapping */

	unsigned int stun_n;		/* servers the kernel asks */
	uint64_t stun_since_ms;		/* since when */
	uint16_t listen_port;		/* the tunnel socket's, as last read */
	bool relay_tcp;			/* relays carried over the connection */
	bool tcprelay_check;		/* relay allocations changed: recheck */
	struct meshd_carrier car[MESHD_CARRIERS_MAX];
	unsigned int ncar;
	struct wgm_udpb carry;		/* the carriers' batches, once one is open */
	uint64_t carrier_drops;
	bool carrier_addr_logged, carrier_full_logged;

	struct meshd_homes homes;	/* the relays and their RTTs (home.c) */
	int home_fd4, home_fd6;		/* measuring sockets, -1 until needed */
	bool home_round_out;		/* a round's requests are out */
	bool home_sent;			/* this session's service has our home */
	bool home_sock_logged;

	struct mp_candidates sent;	/* what meshcoord has from us */
	bool sent_valid;
	uint64_t next_gather_ms;
};

/* main.c */
__attribute__((format(printf, 1, 2)))
void logmsg(const char *fmt, ...);
uint64_t now_ms(void);
const char *peer_label(const struct meshd_peer *p, char *buf, size_t len);

/* state.c */
int state_path(const struct meshd *d, const char *file, char *buf,
	       size_t len);
int load_key(struct meshd *d);
void mark_registered(struct meshd *d);

/* device.c */
int device_setup(struct meshd *d);
int recreate(struct meshd *d);
/* The device is not there any more (an error reading it is logged: false). */
bool device_gone(const struct meshd *d);
void apply_welcome(struct meshd *d, const struct mp_welcome *w);
int sync_kernel(struct meshd *d, struct mesh_conf_device *req_out);
void punch(struct meshd *d, struct meshd_peer *p);

/* coord.c */
void try_connect(struct meshd *d);
void disconnect(struct meshd *d, const char *why);
void coord_readable(struct meshd *d);

/* stun.c */
void stun_configure(struct meshd *d);
int stun_note_nat(struct meshd *d, const struct mesh_conf_device *cur);
void stun_note_mapped(struct meshd *d, const struct mesh_conf_device *cur);

/* home.c */
void home_list(struct meshd *d, const struct mp_relay_list *l);
void home_tick(struct meshd *d);
uint64_t home_wake(const struct meshd *d);
void home_readable(struct meshd *d, int fd);
void home_close(struct meshd *d);

/* tcprelay.c */
/* Moves relays to TCP or back, opens and closes carriers (cheap when nothing changed). */
void tcprelay_tick(struct meshd *d);
void tcprelay_close_all(struct meshd *d);
/* Fills pfd with the carriers' sockets (at most MESHD_CARRIERS_MAX); the count. */
unsigned int tcprelay_pollfds(const struct meshd *d, struct pollfd *pfd);
void tcprelay_readable(struct meshd *d, int fd);
/* Queues a datagram from meshcoord for the kernel; tcprelay_flush() sends. */
void tcprelay_from_coord(struct meshd *d, const struct mp_relay_data *rd);
void tcprelay_flush(struct meshd *d);

/* birthday.c */
/* After punch(): the birthday search pu gives this agent a role in, if any. */
void birthday_start(struct meshd *d, struct meshd_peer *p, const struct mp_punch *pu);

/* gather.c */
void events_open(struct meshd *d);
void events_readable(struct meshd *d);
void report_candidates(struct meshd *d);

#endif
