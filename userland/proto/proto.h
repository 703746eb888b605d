/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libmeshproto: the control channel between the agent (meshd) and the
 * coordination service (meshcoord).  See Documentation/coordination.rst.
 *
 * Layers, bottom up:
 *   frames     u32 big-endian length, then that many bytes (at most
 *              MP_MAX_FRAME); the only unit ever read from the socket.
 *   handshake  two frames (MP_HS1_LEN, MP_HS2_LEN bytes) that authenticate
 *              both static X25519 keys and yield a struct mp_chan.
 *   channel    every later frame is ChaCha20-Poly1305 (IETF) under a
 *              per-direction key with an implicit 64-bit counter nonce; the
 *              length prefix is the associated data.  The one exception
 *              (version 8): a relayed datagram may travel as a clear
 *              frame (MP_FRAME_CLEAR), outside the channel.
 *   messages   one message per frame: a type byte and a fixed binary body
 *              (struct mp_msg; mp_msg_encode/mp_msg_decode).
 *   conn       non-blocking socket with a read buffer (what one read()
 *              brought: frames, then part of one) and a bounded write
 *              queue (struct mp_conn).
 *   client     mp_client_connect(): connect, handshake, HELLO -> WELCOME.
 *
 * No global state; every function is reentrant.  Secrets are wiped.
 */
#ifndef MESHPROTO_H
#define MESHPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/wgmesh.h>

#define MP_VERSION		1	/* handshake magic; HELLO version 1 */
/*
 * The highest HELLO version spoken.  Version 2 adds WELCOME's STUN server
 * list, NAT (agent) and NO_PUNCH (service).  The service accepts HELLO
 * versions 1..MP_HELLO_VERSION and sends version-2 messages only to agents
 * that said 2.  Version 3 adds RELAY and RELAY_REMOVED (service), sent
 * only to agents that said 3.  Version 4 adds RELAY_TCP (agent) and
 * RELAY_DATA (both ways): the relay carried over this connection when the
 * agent's network lets no UDP out (relay.rst, "TCP fallback"); a service
 * accepts them only from agents that said 4, and an agent sends them only
 * when the service answered 4.  Version 5 adds PUNCH's birthday role and
 * the index of the peer's NAT-mapped candidate, two bytes after the
 * candidate list (struct mp_punch), written only to agents that said 5.
 * mp_client_connect() tries the highest version, then each lower one in
 * turn when the service closes the connection after HELLO (a version-1
 * service does so) or answers ERROR PROTO (a version-2 service does).  The
 * handshake is the same in all.  Version 6 adds several relays
 * (relay.rst, "Several relays: meshrelay"): RELAY_LIST (service) and
 * HOME_RELAY (agent), exchanged only with agents that said 6, and the
 * relay's own session: RELAY_HELLO instead of HELLO, then RELAY_ALLOC and
 * RELAY_FREE.  Version 7 adds each candidate's kind (struct mp_candidate):
 * one byte per candidate after the rest of CANDIDATES, PEER and PUNCH,
 * written only to a service or agent that said 7.  Version 8 carries
 * RELAY_DATA as clear frames (MP_FRAME_CLEAR), both ways, between an
 * agent and a service that both said 8 (relay.rst, "TCP fallback").
 */
#define MP_HELLO_VERSION	8
/* The first version that carries RELAY_DATA in clear frames. */
#define MP_CLEAR_RELAY_VERSION	8
/* The first version that carries candidate kinds. */
#define MP_KINDS_VERSION	7
/* The first version that knows several relays. */
#define MP_RELAYS_VERSION	6
#define MP_KEY_LEN		32
#define MP_TAG_LEN		16
/* Largest frame body accepted (ciphertext incl. tag, or a handshake message). */
#define MP_MAX_FRAME		4096
/*
 * A length word with this bit set is a clear frame: a relayed datagram
 * (u32 allocation id, then 1..MP_RELAY_DATA_MAX bytes) that is not sealed
 * by the channel and uses no nonce.  What it carries is WireGuard
 * ciphertext or a probe, which the two kernels authenticate end to end;
 * relay.rst, "TCP fallback", has the analysis.  Valid only on a
 * connection with clear_relay set; anything else is always sealed.
 */
#define MP_FRAME_CLEAR		0x80000000u
#define MP_MAX_PLAINTEXT	(MP_MAX_FRAME - MP_TAG_LEN)
#define MP_MAX_CANDIDATES	WGM_MAX_CANDIDATES	/* as the kernel keeps per peer */
#define MP_MAX_STUN		WGM_STUN_MAX_SERVERS	/* in WELCOME (kernel's limit) */
#define MP_NAME_MAX		63	/* node names: [A-Za-z0-9._-], 1..63 */
#define MP_AUTHKEY_MAX		128
#define MP_TEXT_MAX		255
/* Handshake message sizes: magic(4) e(32) [enc(s)(32) tag(16)] | [tag(16)] */
#define MP_HS1_LEN		(4 + 32 + 32 + MP_TAG_LEN)
#define MP_HS2_LEN		(4 + 32 + MP_TAG_LEN)
/*
 * The one plaintext frame the service sends before a handshake: it refused
 * the connection (too many pending).  Unauthenticated, so only reported.
 */
#define MP_BUSY_NOTICE		"wgmesh-coord: busy"
/*
 * Handshake refusal: magic(4) reason(u16, enum mp_hsrej), sent by the
 * service instead of message 2 before it closes.  Unauthenticated, so the
 * agent only reports it; it changes nothing else.
 */
#define MP_HSREJ_LEN		(4 + 2)
/* The agent pings at this interval; the service drops a node silent for 3x. */
#define MP_KEEPALIVE_SEC	15

enum mp_type {
	MP_HELLO = 1,		/* agent -> service, first message */
	MP_WELCOME = 2,		/* service -> agent: you are in */
	MP_ERROR = 3,		/* service -> agent, then close */
	MP_CANDIDATES = 4,	/* agent -> service: my endpoints (full set) */
	MP_PEER = 5,		/* service -> agent: add/update a peer */
	MP_PEER_REMOVED = 6,	/* service -> agent: forget a peer */
	MP_PUNCH = 7,		/* service -> agent: punch towards now */
	MP_PING = 8,		/* either way */
	MP_PONG = 9,		/* answer to PING, same token */
	MP_SYNC_END = 10,	/* service -> agent: initial peer list complete */
	MP_PUNCH_REQUEST = 11,	/* agent -> service: punch with this peer again */
	MP_NAT = 12,		/* agent -> service (v2): my NAT's mapping type */
	MP_NO_PUNCH = 13,	/* service -> agent (v2): no punch with a peer, why */
	MP_RELAY = 14,		/* service -> agent (v3): a relay allocation for a peer */
	MP_RELAY_REMOVED = 15,	/* service -> agent (v3): that allocation ended */
	MP_RELAY_TCP = 16,	/* agent -> service (v4): my relay side over TCP, or not */
	MP_RELAY_DATA = 17,	/* either way (v4): one relayed datagram */
	MP_RELAY_HELLO = 18,	/* meshrelay -> service (v6), first message */
	MP_RELAY_ALLOC = 19,	/* service -> meshrelay (v6): forward for this pair */
	MP_RELAY_FREE = 20,	/* either way (v6): that allocation ends / ended */
	MP_RELAY_LIST = 21,	/* service -> agent (v6): the relays to measure */
	MP_HOME_RELAY = 22,	/* agent -> service (v6): my home relay */
};

/*
 * NAT mapping type (MP_NAT), as userland/lib/natclass.h numbers it: 0
 * unknown, 1 easy (endpoint-independent), 2 hard (endpoint-dependent).
 * Other values decode (a newer agent's) and count as unknown.
 */
#define MP_NAT_UNKNOWN		0
#define MP_NAT_EASY		1
#define MP_NAT_HARD		2

/*
 * The birthday search a PUNCH asks for (version 5; probing.rst, "Birthday
 * search"): the side this agent takes when one NAT of the pair maps per
 * destination (hard) and the other does not (easy).  The numbers are the
 * kernel's enum wgm_birthday_role.  Other values decode (a newer
 * service's) and count as none.
 */
#define MP_BIRTHDAY_NONE	0	/* a plain punch */
#define MP_BIRTHDAY_OPEN	1	/* our NAT is hard: open sockets towards the peer's mapping */
#define MP_BIRTHDAY_SPRAY	2	/* our NAT is easy: probe ports of the peer's address */
/* PUNCH's mapped when no candidate is known to be the peer's NAT mapping */
#define MP_MAPPED_NONE		0xff

/* Why the service does not punch a pair (MP_NO_PUNCH); others decode. */
enum mp_nopunch {
	MP_NOPUNCH_BOTH_HARD = 1,	/* both NATs map endpoint-dependently */
};

enum mp_errcode {
	MP_ERR_NONE = 0,	/* local or transport failure (retry later) */
	MP_ERR_AUTH = 1,	/* unknown node and no/invalid/expired auth key */
	MP_ERR_REMOVED = 2,	/* the node was removed by the administrator */
	MP_ERR_FULL = 3,	/* node limit reached */
	MP_ERR_PROTO = 4,	/* protocol violation */
	MP_ERR_REPLACED = 5,	/* a newer connection with the same node key */
	MP_ERR_NAME = 6,	/* invalid node name */
	MP_ERR_KEY = 7,		/* client: the service's key is not the pinned one */
	MP_ERR_BUSY = 8,	/* the service refused the connection (limits) */
};

struct mp_err {
	int code;		/* enum mp_errcode when the service said so */
	char msg[256];
};

struct mp_candidate {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint16_t port;		/* host order */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	/*
	 * Where the agent found it (version 7), a WGM_CANDIDATE_KIND_* on the
	 * wire: local, stun, portmap or static; 0 (direct) when not said.  A
	 * kind the reader does not know, or relay (relays come only in
	 * RELAY), reads as 0.
	 */
	uint8_t kind;
};

struct mp_hello {
	uint8_t version;
	char name[MP_NAME_MAX + 1];
	char authkey[MP_AUTHKEY_MAX + 1];	/* "" when reconnecting */
};

/*
 * The service's STUN servers, in WELCOME (version 2).  A server of family
 * AF_UNSPEC is "this port on the host the agent connected to" (the
 * service listens on a wildcard address and cannot know which of its
 * addresses the agent sees); addr is then unused.
 */
struct mp_stun_list {
	uint8_t n;
	struct mp_candidate s[MP_MAX_STUN];
};

struct mp_welcome {
	char name[MP_NAME_MAX + 1];	/* the name the service registered */
	uint8_t addr4[4];
	uint8_t plen4;			/* overlay prefix, 10 */
	uint8_t addr6[16];
	uint8_t plen6;			/* overlay prefix, 48 */
	/*
	 * 1: the body ends after plen6 (a version-1 service); 2: the STUN
	 * list follows (maybe empty).  The encoder writes the list when 2.
	 */
	uint8_t version;
	struct mp_stun_list stun;
	/*
	 * Not on the wire: the HELLO version the service accepted, set by
	 * mp_client_connect() (what the agent may send it).
	 */
	uint8_t hello_version;
};

struct mp_error {
	uint16_t code;
	char text[MP_TEXT_MAX + 1];
};

struct mp_candidates {
	uint8_t n;
	struct mp_candidate c[MP_MAX_CANDIDATES];
	/*
	 * The kinds are on the wire (version 7): the encoder writes them
	 * when set, the decoder sets it when they came.
	 */
	bool kinds;
};

struct mp_peer {
	uint8_t pubkey[MP_KEY_LEN];
	char name[MP_NAME_MAX + 1];
	uint8_t addr4[4];
	uint8_t addr6[16];
	uint8_t online;
	uint64_t last_seen;		/* unix seconds, 0 = never */
	struct mp_candidates cand;
};

struct mp_punch {
	uint8_t pubkey[MP_KEY_LEN];	/* the other side */
	struct mp_candidates cand;	/* its candidates */
	/*
	 * 1 (or 0): the body ends after the candidate list (a service before
	 * version 5, or an agent that said less); 5: birthday and mapped
	 * follow.  The encoder writes them when 5 or more.
	 */
	uint8_t version;
	uint8_t birthday;		/* MP_BIRTHDAY_*, this agent's side */
	/*
	 * The index in cand of the peer's NAT-mapped candidate (the one at
	 * the address the peer connects to the service from: its STUN
	 * mapping), below cand.n, or MP_MAPPED_NONE (also when absent).
	 */
	uint8_t mapped;
};

struct mp_no_punch {
	uint8_t pubkey[MP_KEY_LEN];	/* the other side */
	uint8_t reason;			/* enum mp_nopunch */
};

/*
 * A relay allocation (MP_RELAY, Documentation/relay.rst): the peer it
 * connects us with, our side's relay endpoint (family AF_UNSPEC: this port
 * on the host the agent connected to), the side's allocation id (never 0)
 * and bind key, and the lifetime: the relay frees the allocation when
 * neither side bound it for this many seconds (never 0).
 */
#define MP_RELAY_KEY_LEN	WGM_RELAY_KEY_LEN
struct mp_relay {
	uint8_t pubkey[MP_KEY_LEN];	/* the peer */
	struct mp_candidate ep;		/* the relay port of our side */
	uint32_t id;
	uint8_t key[MP_RELAY_KEY_LEN];
	uint32_t lifetime;		/* seconds */
};

/* MP_RELAY_REMOVED: the allocation with this peer and id is gone. */
struct mp_relay_removed {
	uint8_t pubkey[MP_KEY_LEN];
	uint32_t id;
};

/*
 * MP_RELAY_TCP: the agent's side of allocation @id (its own side's id, as
 * RELAY gave it) is carried over this connection from now on (@on 1), or
 * no longer (@on 0: the agent's kernel binds it over UDP again).
 */
struct mp_relay_tcp {
	uint32_t id;
	uint8_t on;
};

/*
 * MP_RELAY_DATA: one datagram of a relayed pair, unchanged (WireGuard
 * ciphertext or a probe).  Agent -> service: it came from the agent's
 * kernel for the side with @id; service -> agent: it is for the agent's
 * side with @id, from the other side.  1..MP_RELAY_DATA_MAX bytes.
 */
#define MP_RELAY_DATA_MAX	2048
struct mp_relay_data {
	uint32_t id;
	uint16_t len;
	uint8_t data[MP_RELAY_DATA_MAX];
};

/*
 * MP_RELAY_HELLO: a meshrelay's first message, in place of HELLO, on a
 * connection whose handshake key the administrator registered as a relay
 * (meshcoord relay add).  @ep: the relay's public address and the port it
 * answers STUN on (agents measure their RTT to it); its relay ports are
 * port_lo..port_hi on that address (port_lo < port_hi, an even count is
 * used: allocation i owns port_lo + 2i and port_lo + 2i + 1).  The service
 * answers WELCOME (name only) or ERROR.
 */
struct mp_relay_hello {
	uint8_t version;
	char name[MP_NAME_MAX + 1];
	struct mp_candidate ep;
	uint16_t port_lo, port_hi;
};

/*
 * MP_RELAY_ALLOC: forward for nodes side[0].node and side[1].node on
 * allocation @index (ports port_lo + 2 index + side), each side with its
 * id (never 0) and bind key, replacing whatever the index held.
 */
struct mp_relay_alloc_side {
	uint8_t node[MP_KEY_LEN];
	uint32_t id;
	uint8_t key[MP_RELAY_KEY_LEN];
};
struct mp_relay_alloc {
	uint16_t index;
	struct mp_relay_alloc_side side[2];
};

/*
 * MP_RELAY_FREE: allocation @index, whose side 0 has @id, ends (service ->
 * relay) or ended: neither side bound it for its lifetime (relay ->
 * service).  An index holding another id is left alone.
 */
struct mp_relay_free {
	uint16_t index;
	uint32_t id;
};

/*
 * MP_RELAY_LIST: the relays an agent may pick its home from, by name,
 * each with the address it answers STUN on (family AF_UNSPEC: that port
 * on the service's host, the embedded relay).  At most MP_MAX_RELAYS; an
 * empty list is no relay at all.
 */
#define MP_MAX_RELAYS		8
/* The name RELAY_LIST gives the service's embedded relay. */
#define MP_EMBEDDED_RELAY	"coord"
struct mp_relay_info {
	char name[MP_NAME_MAX + 1];
	struct mp_candidate ep;
};
struct mp_relay_list {
	uint8_t n;
	struct mp_relay_info r[MP_MAX_RELAYS];
};

/* MP_HOME_RELAY: the agent's home relay (name "" = none) and its RTT. */
struct mp_home_relay {
	char name[MP_NAME_MAX + 1];
	uint32_t rtt_us;
};

struct mp_msg {
	uint8_t type;			/* enum mp_type */
	union {
		struct mp_hello hello;
		struct mp_welcome welcome;
		struct mp_error error;
		struct mp_candidates cand;
		struct mp_peer peer;
		uint8_t removed[MP_KEY_LEN];	/* PEER_REMOVED */
		uint8_t punch_req[MP_KEY_LEN];	/* PUNCH_REQUEST: the peer */
		struct mp_punch punch;
		uint8_t nat;		/* NAT: MP_NAT_* (any value decodes) */
		struct mp_no_punch no_punch;
		struct mp_relay relay;			/* RELAY (holds a key) */
		struct mp_relay_removed relay_removed;
		struct mp_relay_tcp relay_tcp;
		struct mp_relay_data relay_data;
		struct mp_relay_hello relay_hello;
		struct mp_relay_alloc relay_alloc;	/* holds keys */
		struct mp_relay_free relay_free;
		struct mp_relay_list relay_list;
		struct mp_home_relay home_relay;
		uint64_t token;		/* PING, PONG */
	} u;
};

/* ---- messages ---- */

/* Returns the encoded length, or -1 when it does not fit / is invalid. */
int mp_msg_encode(const struct mp_msg *m, uint8_t *buf, size_t cap);
/* Strict: unknown type, short/long body, bad lengths -> -1. */
int mp_msg_decode(struct mp_msg *m, const uint8_t *buf, size_t len);
const char *mp_type_name(uint8_t type);
/* [A-Za-z0-9._-]{1,63}, not starting with '-' or '.' */
bool mp_name_valid(const char *name);

/* ---- candidates ---- */

int mp_candidate_from_sockaddr(struct mp_candidate *c,
			       const struct sockaddr *sa);
/* Returns the sockaddr length (sizeof sockaddr_in/_in6). */
socklen_t mp_candidate_to_sockaddr(const struct mp_candidate *c,
				   struct sockaddr_storage *ss);
/* "192.0.2.1:51820" or "[2001:db8::1]:51820"; buf of MP_CAND_STRLEN. */
#define MP_CAND_STRLEN 56
char *mp_candidate_format(const struct mp_candidate *c, char *buf);
/* Parses the same syntax (numeric only); 0 or -1. */
int mp_candidate_parse(struct mp_candidate *c, const char *s);
bool mp_candidate_equal(const struct mp_candidate *a,
			const struct mp_candidate *b);

/* ---- handshake and channel ---- */

struct mp_chan {
	uint8_t tx_key[MP_KEY_LEN];
	uint8_t rx_key[MP_KEY_LEN];
	uint64_t tx_ctr, rx_ctr;
};

struct mp_hs_client {
	uint8_t s_priv[MP_KEY_LEN], s_pub[MP_KEY_LEN];
	uint8_t e_priv[MP_KEY_LEN], e_pub[MP_KEY_LEN];
	uint8_t server_pub[MP_KEY_LEN];
	uint8_t dh1[MP_KEY_LEN];
	uint8_t msg1[MP_HS1_LEN];
};

enum mp_hsrej {
	MP_HSREJ_KEY = 1,	/* message 1 does not open under the service's key */
};

/* Needs sodium_init() done once by the program (mp_init()). */
int mp_init(void);

/* Client: build message 1 (node_priv is the node's WireGuard private key). */
int mp_hs_client_start(struct mp_hs_client *hs,
		       const uint8_t node_priv[MP_KEY_LEN],
		       const uint8_t server_pub[MP_KEY_LEN],
		       uint8_t msg1[MP_HS1_LEN]);
/* Client: check message 2, derive the channel; wipes hs.  0 or -1. */
int mp_hs_client_finish(struct mp_hs_client *hs,
			const uint8_t msg2[MP_HS2_LEN], struct mp_chan *chan);
/*
 * Service: answer message 1.  On success the node's static public key is in
 * node_pub; it is proven only once a frame from the node opens under chan.
 * -1: not a message 1; MP_HS_BADKEY: a message 1 that does not open under
 * server_priv (the node pinned another service key).
 */
#define MP_HS_BADKEY (-2)
int mp_hs_server(const uint8_t server_priv[MP_KEY_LEN],
		 const uint8_t server_pub[MP_KEY_LEN],
		 const uint8_t msg1[MP_HS1_LEN], uint8_t msg2[MP_HS2_LEN],
		 struct mp_chan *chan, uint8_t node_pub[MP_KEY_LEN]);

/* Service: the refusal frame body (MP_HSREJ_LEN bytes) for reason. */
void mp_hs_reject(uint8_t out[MP_HSREJ_LEN], enum mp_hsrej reason);

/* Seal pt into frame (4-byte length + ciphertext); returns frame length. */
int mp_chan_seal(struct mp_chan *ch, const uint8_t *pt, size_t len,
		 uint8_t *frame, size_t cap);
/* Open a frame body (after the length); returns plaintext length or -1. */
int mp_chan_open(struct mp_chan *ch, const uint8_t *body, size_t len,
		 uint8_t *pt, size_t cap);
void mp_chan_wipe(struct mp_chan *ch);

/* ---- buffered non-blocking connection ---- */

struct mp_conn {
	int fd;
	bool established;		/* chan is valid */
	struct mp_chan chan;
	uint8_t rbuf[4 + MP_MAX_FRAME];
	size_t rpos, rlen;		/* rlen bytes read, from rbuf + rpos */
	size_t rtaken;			/* the frame last handed out */
	bool rclear;			/* ... and it was a clear frame */
	uint8_t *wbuf;
	size_t wlen, wcap, wmax;	/* wmax: queue limit (slow peer) */
	/*
	 * Both ends said version MP_CLEAR_RELAY_VERSION or later: RELAY_DATA
	 * goes out as clear frames, and clear frames are taken.  Set by
	 * mp_client_connect() and by the service after HELLO.
	 */
	bool clear_relay;
};

/*
 * A connection's socket options, both ends: no Nagle delay, and at most
 * MP_NOTSENT_LOWAT bytes not yet sent in the kernel's send buffer.  The
 * rest waits in the connection's own queue (wbuf), where its length is
 * known: relayed datagrams (RELAY_DATA) are dropped there once it is
 * long, as a full link drops them, instead of queueing for seconds in a
 * send buffer that grows to tcp_wmem's maximum.  A tunnelled flow sees
 * the drop and slows down; the relay path's probes keep an answer time
 * far below their 1 s timeout (relay.rst, "TCP fallback").
 */
#define MP_NOTSENT_LOWAT	(128 * 1024)
void mp_sock_tune(int fd);
/* fd is made non-blocking and owned (closed by mp_conn_close). */
int mp_conn_init(struct mp_conn *c, int fd, size_t wmax);
void mp_conn_close(struct mp_conn *c);
/*
 * The next buffered frame, reading from the socket only when no whole frame
 * is buffered: 1 (body/len point into rbuf, valid until the next call), 0
 * (would block), -1 (EOF, error, oversized frame; err says which).
 */
int mp_conn_read_frame(struct mp_conn *c, const uint8_t **body, size_t *len,
		       struct mp_err *err);
/*
 * A whole frame (or a bad length) is already buffered: the socket may have
 * nothing left to make poll(2) report it.  A loop that stops reading
 * before mp_conn_read_frame()/mp_conn_recv() returned 0 must not block in
 * poll while this is true.
 */
bool mp_conn_ready(const struct mp_conn *c);
/* Queue a raw frame (length prefix added); -1 when the queue is full. */
int mp_conn_queue_raw(struct mp_conn *c, const uint8_t *body, size_t len,
		      struct mp_err *err);
/* Encode, seal and queue a message. */
int mp_conn_send(struct mp_conn *c, const struct mp_msg *m,
		 struct mp_err *err);
/*
 * Queue one relayed datagram for allocation side @id: a clear frame when
 * the connection has clear_relay, else a sealed RELAY_DATA.  -1 when the
 * queue is full or @len is out of 1..MP_RELAY_DATA_MAX.
 */
int mp_conn_send_relay(struct mp_conn *c, uint32_t id, const uint8_t *data,
		       size_t len, struct mp_err *err);
/*
 * 1 message received, 0 would block, -1 error (bad frame: close).  A
 * clear frame comes out as MP_RELAY_DATA.
 */
int mp_conn_recv(struct mp_conn *c, struct mp_msg *m, struct mp_err *err);
/*
 * Write queued bytes: 0 all written, 1 some left, -1 error.  An emptied
 * queue larger than MP_WBUF_KEEP is freed (allocated again on demand).
 */
#define MP_WBUF_KEEP		(64 * 1024)
int mp_conn_flush(struct mp_conn *c, struct mp_err *err);
static inline bool mp_conn_want_write(const struct mp_conn *c)
{
	return c->wlen > 0;
}

/* ---- client ---- */

struct mp_client_cfg {
	const char *server;		/* "host:port", "[v6]:port" */
	const uint8_t *server_pub;	/* MP_KEY_LEN, pinned */
	const uint8_t *node_priv;	/* MP_KEY_LEN, WireGuard private key */
	const char *name;		/* wanted node name */
	const char *authkey;		/* NULL or "" when already registered */
	int timeout_ms;			/* whole connect+handshake+hello */
	/*
	 * HELLO version to say first; 0: MP_HELLO_VERSION.  Above 1, a
	 * service that refuses it is asked again with 1 (tests set others).
	 */
	uint8_t version;
	/*
	 * A meshrelay: RELAY_HELLO with these fields (name and version set
	 * from here) in place of HELLO, and no lower version is tried.
	 */
	const struct mp_relay_hello *relay;
};

/*
 * Blocking connect + handshake + HELLO, waiting for WELCOME (returned in
 * *welcome).  On success c is an established non-blocking connection: poll
 * c->fd for POLLIN (and POLLOUT while mp_conn_want_write), call
 * mp_conn_recv until 0 and mp_conn_flush.  The service follows WELCOME with
 * one MP_PEER per known node and MP_SYNC_END.  On failure err->code holds
 * the service's enum mp_errcode (MP_ERR_AUTH: an auth key is needed), or
 * MP_ERR_KEY when the service could not open message 1 (MP_HSREJ_KEY: the
 * pinned key is not the service's), MP_ERR_BUSY when it sent
 * MP_BUSY_NOTICE or closed the connection before answering the handshake
 * (err->msg says which).
 */
int mp_client_connect(struct mp_conn *c, const struct mp_client_cfg *cfg,
		      struct mp_welcome *welcome, struct mp_err *err);

/*
 * Convenience senders.  CANDIDATES carries the kinds when @kinds (only to
 * a service that answered version MP_KINDS_VERSION or later).
 */
int mp_send_candidates(struct mp_conn *c, const struct mp_candidate *cand,
		       unsigned int n, bool kinds, struct mp_err *err);
int mp_send_ping(struct mp_conn *c, uint64_t token, struct mp_err *err);
/* Report the NAT's mapping type (MP_NAT_*; only to a version-2 service). */
int mp_send_nat(struct mp_conn *c, uint8_t nat, struct mp_err *err);
/* "unknown", "easy", "hard", or "unknown (N)" for other values; buf of 24. */
const char *mp_nat_name(uint8_t nat, char buf[24]);
/* "none", "open", "spray", or "role N" for other values; buf of 24. */
const char *mp_birthday_name(uint8_t role, char buf[24]);
/* What a NO_PUNCH reason means ("both NATs endpoint-dependent"). */
const char *mp_nopunch_text(uint8_t reason, char buf[48]);
/* Ask for a new simultaneous PUNCH with peer (rate-limited by the service). */
int mp_send_punch_request(struct mp_conn *c, const uint8_t peer[MP_KEY_LEN],
			  struct mp_err *err);
/* Report the home relay (only to a version-6 service). */
int mp_send_home_relay(struct mp_conn *c, const char *name, uint32_t rtt_us,
		       struct mp_err *err);

#endif /* MESHPROTO_H */
