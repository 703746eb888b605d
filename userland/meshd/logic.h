/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * meshd's pure logic, free of sockets and clocks so that it can be unit
 * tested: reconnect backoff, which local addresses make candidates, the
 * agent's table of peers as meshcoord describes them, and the SET_DEVICE
 * request that makes the kernel's peer list match that table.
 */
#ifndef MESHD_LOGIC_H
#define MESHD_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "proto.h"

/* ---- reconnect backoff ---- */

#define MESHD_BACKOFF_MIN_MS 1000u
#define MESHD_BACKOFF_MAX_MS 30000u

/* The delay after one more failure: 1 s, 2 s, 4 s, ... at most 30 s. */
unsigned int meshd_backoff_next(unsigned int cur_ms);
/* ms plus up to a quarter of it, drawn from rnd; never above the maximum. */
unsigned int meshd_backoff_jitter(unsigned int ms, uint32_t rnd);

/* ---- candidates ---- */

/* One local interface address as getifaddrs(3) reports it. */
struct meshd_ifaddr {
	const char *ifname;
	unsigned int ifflags;		/* IFF_* of the interface */
	union wgm_sockaddr addr;
};

/*
 * Whether a local address is worth offering to peers: the interface is up
 * and not loopback nor the mesh device itself; the address is unicast,
 * specified, not loopback, and not link-local (IPv4 169.254/16, IPv6
 * fe80::/10: unusable without a scope id).
 */
bool meshd_addr_usable(const struct meshd_ifaddr *a, const char *meshif);

/*
 * The candidate set to report: the mapped (public) addresses, kept with
 * their own port, then usable local addresses with the device's listen
 * port (kind local), duplicates dropped, at most max (<=
 * MP_MAX_CANDIDATES).  mapped_kinds[i] is mapped[i]'s kind (stun or
 * portmap); when the gateway's mapping and a STUN mapping are the same
 * address, it is reported as portmap (it lasts).  Returns the number
 * written to out.
 */
unsigned int meshd_gather(const struct meshd_ifaddr *addrs, size_t n,
			  const char *meshif, uint16_t port,
			  const union wgm_sockaddr *mapped, const uint8_t *mapped_kinds,
			  size_t n_mapped, struct mp_candidate *out, unsigned int max);

/* Same candidates (addresses and kinds), in any order. */
bool meshd_cands_same(const struct mp_candidate *a, unsigned int na,
		      const struct mp_candidate *b, unsigned int nb);

void meshd_cand_to_sockaddr(const struct mp_candidate *c,
			    union wgm_sockaddr *sa);
/* -1 for a family other than AF_INET / AF_INET6. */
int meshd_cand_from_sockaddr(struct mp_candidate *c,
			     const union wgm_sockaddr *sa);

/* ---- the peer table ---- */

/* Persistent keepalive the agent gives every peer. */
#define MESHD_KEEPALIVE 25
/* A peer with no live path is asked to punch again at most this often. */
#define MESHD_PUNCH_REQUEST_MS 30000u

/*
 * The relay allocation meshcoord gave us for a peer (RELAY, relay.c): a
 * candidate of kind relay with its bind id and key, installed next to the
 * peer's direct candidates.
 */
struct meshd_relay {
	bool on;
	struct mp_candidate ep;		/* resolved: never AF_UNSPEC */
	uint32_t id;
	uint8_t key[MP_RELAY_KEY_LEN];
	/*
	 * Carried over the control connection (tcprelay.c): the kernel's
	 * candidate is then meshd's local carrier socket, @local, not @ep.
	 */
	bool tcp;
	struct mp_candidate local;
};

/* The endpoint of a peer's relay candidate in the kernel. */
static inline const struct mp_candidate *meshd_relay_kernel_ep(const struct meshd_relay *r)
{
	return r->tcp ? &r->local : &r->ep;
}

/*
 * When the relay goes over TCP (relay.rst, "TCP fallback"): --relay-tcp
 * always, never, or auto: when the service speaks version 4 and the
 * kernel has asked STUN servers for MESHD_UDP_BLOCKED_MS without one
 * answer (no UDP gets out), until an answer comes.
 */
enum meshd_relay_tcp_mode {
	MESHD_RELAY_TCP_AUTO,
	MESHD_RELAY_TCP_ALWAYS,
	MESHD_RELAY_TCP_NEVER,
};

#define MESHD_UDP_BLOCKED_MS 10000u

/*
 * The peer's NAT after a PUNCH (its birthday role for us) or a NO_PUNCH
 * (its reason) from the service; @known when the message says nothing.
 */
uint8_t meshd_peer_nat(uint8_t known, uint8_t type, uint8_t birthday, uint8_t nopunch);

bool meshd_want_relay_tcp(enum meshd_relay_tcp_mode mode, uint8_t service_version,
			  unsigned int stun_servers, uint64_t stun_age_ms, size_t n_mapped);

/*
 * When meshd_want_relay_tcp() turns true by time alone (auto mode, the
 * STUN servers still silent): the moment, while it is ahead of @now_ms;
 * UINT64_MAX otherwise (nothing to wake up for).
 */
uint64_t meshd_relay_tcp_due(enum meshd_relay_tcp_mode mode, uint8_t service_version,
			     unsigned int stun_servers, uint64_t stun_since_ms,
			     size_t n_mapped, uint64_t now_ms);

/* ---- birthday searches (issue 15, probing.rst "Birthday search") ---- */

/* At most one search per peer this often, and this many per peer an hour. */
#define MESHD_BIRTHDAY_GAP_MS	60000u
#define MESHD_BIRTHDAY_PER_HOUR	6
#define MESHD_BIRTHDAY_HOUR_MS	3600000u

/* When a peer's last searches started (ms of now_ms(), 0: none), newest first. */
struct meshd_birthday {
	uint64_t at[MESHD_BIRTHDAY_PER_HOUR];
};

/* meshd_birthday_decide()'s answer. */
enum meshd_birthday_verdict {
	MESHD_BIRTHDAY_GO,		/* search: *target set */
	MESHD_BIRTHDAY_NONE,		/* the PUNCH gives no role: a plain punch */
	MESHD_BIRTHDAY_OFF,		/* --no-birthday */
	MESHD_BIRTHDAY_ROLE,		/* a role this agent does not know */
	MESHD_BIRTHDAY_NO_TARGET,	/* the peer has no IPv4 mapped candidate */
	MESHD_BIRTHDAY_GAP,		/* one started less than the gap ago */
	MESHD_BIRTHDAY_HOURLY,		/* the hour's searches are used up */
};

/*
 * Whether a PUNCH (pu) starts a birthday search with its peer: it gives a
 * role (open or spray), searches are on (@enabled), the peer's mapped
 * candidate (pu->mapped, in pu->cand as sent) is a usable IPv4 address
 * with a port, and the peer's history h allows one at @now_ms (none in the
 * last MESHD_BIRTHDAY_GAP_MS, fewer than MESHD_BIRTHDAY_PER_HOUR in the
 * last hour).  On MESHD_BIRTHDAY_GO *target is that candidate: open aims
 * at it, spray at its address.  The checks go in the enum's order.
 */
enum meshd_birthday_verdict meshd_birthday_decide(const struct mp_punch *pu, bool enabled,
						  const struct meshd_birthday *h,
						  uint64_t now_ms, struct mp_candidate *target);
/* Why not, for the log ("the peer has no IPv4 STUN candidate", ...). */
const char *meshd_birthday_text(enum meshd_birthday_verdict v);
/* A search started at @now_ms (the kernel took it). */
void meshd_birthday_note(struct meshd_birthday *h, uint64_t now_ms);

struct meshd_peer {
	uint8_t pubkey[MP_KEY_LEN];
	char name[MP_NAME_MAX + 1];
	uint8_t addr4[4];
	uint8_t addr6[16];
	bool online;
	bool seen;			/* listed in the current session */
	struct mp_candidates cand;
	uint64_t last_punch_ms;		/* last PUNCH or PUNCH_REQUEST */
	uint8_t no_punch;		/* last NO_PUNCH reason logged, 0: none */
	/*
	 * The peer's NAT (MP_NAT_*) as the service's signals imply it (a
	 * birthday role, "both hard"), 0: not known; the kernel keeps it as
	 * the peer's label (WGM_PEER_A_NAT) for meshadm show.
	 */
	uint8_t nat;
	struct meshd_relay relay;
	struct meshd_birthday birthday;	/* the searches started with it */
};

struct meshd_peers {
	struct meshd_peer *v;
	size_t n, cap;
	/* Our own candidates, never installed as a peer's (see set_self). */
	struct mp_candidates self;
};

/*
 * The candidates of a peer record that the kernel may use: IPv4 or IPv6,
 * a port, an address that is specified and not loopback, multicast,
 * broadcast or IPv6 link-local (a candidate carries no scope id), not one
 * of self[0..n_self) (our own candidates handed back), each once, at most
 * MP_MAX_CANDIDATES (the kernel's limit).  in's order is kept; returns the
 * number written to out.
 */
unsigned int meshd_cands_filter(const struct mp_candidates *in,
				const struct mp_candidate *self,
				unsigned int n_self, struct mp_candidate *out);

void meshd_peers_init(struct meshd_peers *t);
void meshd_peers_free(struct meshd_peers *t);
struct meshd_peer *meshd_peers_find(const struct meshd_peers *t,
				    const uint8_t key[MP_KEY_LEN]);

/* What meshd_peers_update changed. */
enum meshd_change {
	MESHD_PEER_SAME = 0,
	MESHD_PEER_NEW = 1U << 0,
	MESHD_PEER_ADDRS = 1U << 1,
	MESHD_PEER_CANDS = 1U << 2,
	MESHD_PEER_ONLINE = 1U << 3,	/* online flag flipped */
	MESHD_PEER_OTHER = 1U << 4,	/* name */
};

/*
 * Our candidates as last reported; candidates a peer record or a PUNCH
 * brings from then on are filtered against them.
 */
void meshd_peers_set_self(struct meshd_peers *t, const struct mp_candidate *c,
			  unsigned int n);

/*
 * Add or update from a PEER message and mark it seen; the candidates kept
 * are meshd_cands_filter's.  Returns a mask of enum meshd_change, or -1
 * when out of memory.
 */
int meshd_peers_update(struct meshd_peers *t, const struct mp_peer *p);
/* Set e's candidates from a PUNCH message, filtered as above. */
void meshd_peers_set_cands(const struct meshd_peers *t, struct meshd_peer *e,
			   const struct mp_candidates *c);
/*
 * Another peer of t (other than the key self) claiming one of p's overlay
 * addresses, or NULL.  Of the peers claiming one address only the one with
 * the lowest public key gets it as an allowed IP (meshd_diff).
 */
const struct meshd_peer *meshd_peers_addr_shared(const struct meshd_peers *t,
						 const struct meshd_peer *p,
						 const uint8_t self[MP_KEY_LEN]);
/* Forget a peer; false when it was unknown. */
bool meshd_peers_remove(struct meshd_peers *t, const uint8_t key[MP_KEY_LEN]);
/* Start of a session: nothing is seen yet, no relay allocation holds. */
void meshd_peers_unsee(struct meshd_peers *t);
/*
 * SYNC_END: drop the peers the session did not list; their keys are copied
 * to gone (room for max) for logging.  Returns how many were dropped.
 */
size_t meshd_peers_prune(struct meshd_peers *t, uint8_t (*gone)[MP_KEY_LEN],
			 size_t max);

/*
 * Fill req (initialised and named by the caller) with the SET_DEVICE
 * request that makes cur (a GET_DEVICE dump) hold exactly the peers of t,
 * each with its overlay /32 and /128 as allowed IPs, its candidates
 * (REPLACE_CANDIDATES; the relay candidate with its id and key last, the
 * direct ones cut to leave it room), persistent keepalive MESHD_KEEPALIVE and, when the
 * kernel has no endpoint for it yet, its first candidate as endpoint.
 * An overlay address several peers claim goes only to the one with the
 * lowest public key (the kernel would give it to whichever came last).
 * Peers already right are left alone (their sessions and the path the
 * kernel chose stay); kernel peers absent from t are removed; a peer with
 * the key `self` is never installed.
 */
int meshd_diff(const struct meshd_peers *t, const struct mesh_conf_device *cur,
	       const uint8_t self[MP_KEY_LEN], struct mesh_conf_device *req,
	       struct wgm_err *err);

/*
 * Append to req the request that sets p's candidates again (with
 * UPDATE_ONLY): a candidate replacement starts a punch in the kernel, the
 * fallback when it lacks WGM_CMD_PUNCH.
 */
int meshd_recandidate(const struct meshd_peer *p, struct mesh_conf_device *req,
		      struct wgm_err *err);

/*
 * Whether to send PUNCH_REQUEST for a peer: it is online and has
 * candidates, the kernel peer kp has direct candidates of which none is
 * alive or still being probed (a live relay path does not count: punching
 * goes on beside it), and the last punch was MESHD_PUNCH_REQUEST_MS ago.
 */
bool meshd_want_punch_request(const struct meshd_peer *p,
			      const struct mesh_conf_peer *kp, uint64_t now_ms);

/* ---- STUN servers and the NAT type ---- */

/*
 * The STUN servers to give the kernel from the service's WELCOME list
 * (version 2): an entry of family AF_UNSPEC is its port on the service's
 * host, that is on the first IPv4 and the first IPv6 address of coord[]
 * (what --coord resolved to); other entries are taken as they are.  Each
 * server once, at most max (WGM_STUN_MAX_SERVERS); the order keeps a
 * family's servers together so that a cut keeps pairs.  Returns the count.
 */
size_t meshd_stun_servers(const struct mp_stun_list *l,
			  const union wgm_sockaddr *coord, size_t n_coord,
			  union wgm_sockaddr *out, size_t max);

/*
 * "easy: 203.0.113.1:40000 from 198.51.100.1:3478 and 3479" style text for
 * the log: the NAT type (wgm_nat_classify of the kernel's servers) and what
 * each server saw.  Returns the type (enum wgm_nat_type).
 */
unsigned int meshd_nat_explain(const struct mesh_conf_stun *s, size_t n,
			       char *buf, size_t len);

/* ---- the home relay (relay.rst, "Several relays: meshrelay") ---- */

/*
 * The agent times a STUN Binding request to each relay of the service's
 * RELAY_LIST (version 6) from a socket of its own: MESHD_HOME_QUICK
 * rounds MESHD_HOME_QUICK_MS apart after a new list, then one round every
 * MESHD_HOME_ROUND_MS; an answer later than MESHD_HOME_TIMEOUT_MS is
 * lost.  A relay's RTT is the least of its last MESHD_HOME_SAMPLES
 * answers; MESHD_HOME_LOST losses in a row make it unreachable.  At most
 * MP_MAX_RELAYS requests a round, one round at a time.
 */
#define MESHD_HOME_SAMPLES	3
#define MESHD_HOME_QUICK	3
#define MESHD_HOME_QUICK_MS	2000u
#define MESHD_HOME_ROUND_MS	60000u
#define MESHD_HOME_TIMEOUT_MS	2000u
#define MESHD_HOME_LOST		3
/*
 * The choice: the least RTT, where the embedded relay (MP_EMBEDDED_RELAY)
 * counts MESHD_HOME_EMBEDDED_US more (the service's host carries the
 * control plane; relays of their own are there to carry the data), and a
 * home is left only for one better by a fifth of its RTT and at least
 * MESHD_HOME_MARGIN_US (no flapping between equals).
 */
#define MESHD_HOME_EMBEDDED_US	5000u
#define MESHD_HOME_MARGIN_US	1000u

struct meshd_home_relay {
	char name[MP_NAME_MAX + 1];
	struct mp_candidate ep;		/* where it answers STUN (resolved) */
	uint32_t rtt_us[MESHD_HOME_SAMPLES];	/* newest first, 0: none */
	unsigned int lost;		/* requests unanswered in a row */
	bool pending;			/* a request is out */
	uint8_t txid[12];
	uint64_t sent_us;
};

struct meshd_homes {
	struct meshd_home_relay r[MP_MAX_RELAYS];
	unsigned int n;
	int home;			/* index in r, -1: none chosen */
	unsigned int rounds;		/* since the list changed */
	uint64_t next_round_ms;
};

/*
 * A new RELAY_LIST, its AF_UNSPEC endpoints already resolved: relays
 * that stay (same name and endpoint) keep their samples and the home; the
 * rest start afresh.  True when the list changed (measure again now).
 */
bool meshd_homes_set(struct meshd_homes *h, const struct mp_relay_list *l);
/* A relay's RTT in microseconds; 0 when unmeasured or unreachable. */
uint32_t meshd_home_rtt(const struct meshd_home_relay *r);
/* The relay to call home now, with hysteresis over h->home; -1: none answers. */
int meshd_home_choose(const struct meshd_homes *h);
/* An answer to relay i's pending request (the txid matched) at @now_us. */
void meshd_home_answer(struct meshd_homes *h, unsigned int i, uint64_t now_us);
/* Pending requests older than the timeout are lost; true when none is out now. */
bool meshd_home_expire(struct meshd_homes *h, uint64_t now_us);
/* When the next round starts, after one started at @now_ms. */
uint64_t meshd_home_next_round(const struct meshd_homes *h, uint64_t now_ms);

#endif /* MESHD_LOGIC_H */
