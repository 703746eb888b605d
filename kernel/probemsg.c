// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe messages.  See Documentation/probing.rst, "Wire format", and
 * probemsg.h.  Every multi-byte integer on the wire is little-endian except
 * the observed port, which is in network order like a sockaddr's.
 *
 * Request layout: type, "wgm", sender id (8), counter (8), flags (4),
 * sender's challenge (8), echoed challenge (8), zero (8), mac (16).  Reply
 * layout: type, "wgm", sender id (8), counter (8), echoed request counter
 * (8), observed port (2, network order), observed family (2), observed
 * address (16), mac (16).
 *
 * A request's mac covers its bytes 0..47.  A reply's mac covers its bytes
 * 0..47 followed by the challenge of the request it answers (8 bytes,
 * not sent): only the instance that sent that request can verify it.
 */

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <crypto/blake2s.h>
#include <crypto/algapi.h>

#include "probemsg.h"

#define WGM_PROBEMSG_NSEC_PER_SEC	1000000000ULL

enum {
	WGM_PROBEMSG_OFF_TYPE = 0,
	WGM_PROBEMSG_OFF_MAGIC = 1,
	WGM_PROBEMSG_OFF_ID = 4,
	WGM_PROBEMSG_OFF_COUNTER = 12,
	WGM_PROBEMSG_OFF_FLAGS = 20,	/* request */
	WGM_PROBEMSG_OFF_CHALLENGE = 24,	/* request */
	WGM_PROBEMSG_OFF_ECHO = 32,	/* request */
	WGM_PROBEMSG_OFF_ECHOED = 20,	/* reply */
	WGM_PROBEMSG_OFF_PORT = 28,	/* reply */
	WGM_PROBEMSG_OFF_FAMILY = 30,	/* reply */
	WGM_PROBEMSG_OFF_ADDR = 32,	/* reply */
};

static const u8 wgm_probemsg_magic[3] = { 'w', 'g', 'm' };
static const u8 wgm_probemsg_label[] = "wgmesh probe v1";	/* hashed without the NUL */
static const u8 wgm_probemsg_id_label[] = "id";

static void wgm_probemsg_put_le64(u8 *p, u64 v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u64 wgm_probemsg_get_le64(const u8 *p)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static bool wgm_probemsg_is_zero(const u8 *p, size_t len)
{
	u8 acc = 0;

	while (len--)
		acc |= *p++;
	return !acc;
}

/**
 * wgm_probemsg_id - a sender id
 * @id: receives the first WGM_PROBEMSG_ID_LEN bytes of the hash
 * @key: the pair's probe key K
 * @public_key: the sender's static public key
 *
 * id(X) = first 8 bytes of BLAKE2s-256(K || "id" || S_X).
 */
void wgm_probemsg_id(u8 id[WGM_PROBEMSG_ID_LEN], const u8 key[WGM_PROBEMSG_KEY_LEN],
		     const u8 public_key[32])
{
	struct blake2s_state state;
	u8 hash[BLAKE2S_HASH_SIZE];

	blake2s_init(&state, BLAKE2S_HASH_SIZE);
	blake2s_update(&state, key, WGM_PROBEMSG_KEY_LEN);
	blake2s_update(&state, wgm_probemsg_id_label, sizeof(wgm_probemsg_id_label) - 1);
	blake2s_update(&state, public_key, 32);
	blake2s_final(&state, hash);
	memcpy(id, hash, WGM_PROBEMSG_ID_LEN);
	memzero_explicit(hash, sizeof(hash));
}

/**
 * wgm_probemsg_derive - compute a peer's probe key and ids
 * @keys: filled in; @keys->valid says whether the peer can be probed
 * @dh: the static-static Diffie-Hellman result DH(s_local, S_peer)
 * @psk: the preshared key (all zero when none), or NULL for none
 * @local_public: our static public key
 * @remote_public: the peer's static public key
 *
 * K = BLAKE2s-256("wgmesh probe v1" || DH || psk).  An all-zero @dh (no
 * private key, or a low-order peer key) gives no key; so do equal ids
 * (a peer with our own public key), which would make our own messages
 * look like the peer's.
 *
 * Return: @keys->valid.
 */
bool wgm_probemsg_derive(struct wgm_probemsg_keys *keys, const u8 dh[32],
			 const u8 psk[32], const u8 local_public[32],
			 const u8 remote_public[32])
{
	static const u8 no_psk[32];
	struct blake2s_state state;

	memzero_explicit(keys, sizeof(*keys));
	if (wgm_probemsg_is_zero(dh, 32))
		return false;
	blake2s_init(&state, BLAKE2S_HASH_SIZE);
	blake2s_update(&state, wgm_probemsg_label, sizeof(wgm_probemsg_label) - 1);
	blake2s_update(&state, dh, 32);
	blake2s_update(&state, psk ? psk : no_psk, 32);
	blake2s_final(&state, keys->key);
	wgm_probemsg_id(keys->local_id, keys->key, local_public);
	wgm_probemsg_id(keys->remote_id, keys->key, remote_public);
	if (!memcmp(keys->local_id, keys->remote_id, WGM_PROBEMSG_ID_LEN)) {
		memzero_explicit(keys, sizeof(*keys));
		return false;
	}
	keys->valid = true;
	return true;
}

/**
 * wgm_probemsg_next_counter - the counter for the next request or reply
 * @last: the last counter used for this peer; updated
 * @now_ns: wall-clock nanoseconds
 *
 * max(last + 1, now): strictly increasing, and across reboots too as long
 * as the clock is.
 */
u64 wgm_probemsg_next_counter(u64 *last, u64 now_ns)
{
	u64 c = *last + 1;

	if (now_ns > c)
		c = now_ns;
	*last = c;
	return c;
}

static void wgm_probemsg_header(u8 msg[WGM_PROBEMSG_LEN], u8 type,
				const struct wgm_probemsg_keys *keys, u64 counter)
{
	memset(msg, 0, WGM_PROBEMSG_LEN);
	msg[WGM_PROBEMSG_OFF_TYPE] = type;
	memcpy(msg + WGM_PROBEMSG_OFF_MAGIC, wgm_probemsg_magic, sizeof(wgm_probemsg_magic));
	memcpy(msg + WGM_PROBEMSG_OFF_ID, keys->local_id, WGM_PROBEMSG_ID_LEN);
	wgm_probemsg_put_le64(msg + WGM_PROBEMSG_OFF_COUNTER, counter);
}

/*
 * Keyed BLAKE2s-128 over bytes 0..47 of @msg; a reply's also over the
 * challenge of the request it answers (@bound, little-endian).
 */
static void wgm_probemsg_mac(u8 mac[WGM_PROBEMSG_MAC_LEN], const u8 msg[WGM_PROBEMSG_LEN],
			     const struct wgm_probemsg_keys *keys, bool is_reply, u64 bound)
{
	struct blake2s_state state;
	u8 tail[8];

	if (!is_reply) {
		blake2s(mac, msg, keys->key, WGM_PROBEMSG_MAC_LEN, WGM_PROBEMSG_MAC_OFF,
			WGM_PROBEMSG_KEY_LEN);
		return;
	}
	wgm_probemsg_put_le64(tail, bound);
	blake2s_init_key(&state, WGM_PROBEMSG_MAC_LEN, keys->key, WGM_PROBEMSG_KEY_LEN);
	blake2s_update(&state, msg, WGM_PROBEMSG_MAC_OFF);
	blake2s_update(&state, tail, sizeof(tail));
	blake2s_final(&state, mac);
}

/**
 * wgm_probemsg_build_request - write a probe request
 * @msg: WGM_PROBEMSG_LEN bytes
 * @keys: the peer's keys (must be valid)
 * @counter: from wgm_probemsg_next_counter()
 * @challenge: our current challenge for this peer
 * @echo: the peer's challenge as last learned from it (0: none yet)
 */
void wgm_probemsg_build_request(u8 msg[WGM_PROBEMSG_LEN],
				const struct wgm_probemsg_keys *keys, u64 counter,
				u64 challenge, u64 echo)
{
	wgm_probemsg_header(msg, WGM_PROBEMSG_TYPE_REQUEST, keys, counter);
	wgm_probemsg_put_le64(msg + WGM_PROBEMSG_OFF_CHALLENGE, challenge);
	wgm_probemsg_put_le64(msg + WGM_PROBEMSG_OFF_ECHO, echo);
	wgm_probemsg_mac(msg + WGM_PROBEMSG_MAC_OFF, msg, keys, false, 0);
}

/**
 * wgm_probemsg_build_reply - write a probe reply
 * @msg: WGM_PROBEMSG_LEN bytes
 * @keys: the peer's keys (must be valid)
 * @counter: from wgm_probemsg_next_counter()
 * @echoed: the counter of the request answered
 * @observed: the request's outer source, a sockaddr_in or sockaddr_in6
 * @challenge: the challenge the request answered carried (bound into the
 *	mac, not sent)
 *
 * Return: 0, or -EAFNOSUPPORT for another family (nothing written).
 */
int wgm_probemsg_build_reply(u8 msg[WGM_PROBEMSG_LEN],
			     const struct wgm_probemsg_keys *keys, u64 counter,
			     u64 echoed, const struct sockaddr *observed, u64 challenge)
{
	const struct sockaddr_in *sin = (const void *)observed;
	const struct sockaddr_in6 *sin6 = (const void *)observed;
	u16 family = observed->sa_family;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	wgm_probemsg_header(msg, WGM_PROBEMSG_TYPE_REPLY, keys, counter);
	wgm_probemsg_put_le64(msg + WGM_PROBEMSG_OFF_ECHOED, echoed);
	msg[WGM_PROBEMSG_OFF_FAMILY] = (u8)family;
	msg[WGM_PROBEMSG_OFF_FAMILY + 1] = (u8)(family >> 8);
	if (family == AF_INET) {
		memcpy(msg + WGM_PROBEMSG_OFF_PORT, &sin->sin_port, 2);
		memcpy(msg + WGM_PROBEMSG_OFF_ADDR, &sin->sin_addr, 4);
	} else {
		memcpy(msg + WGM_PROBEMSG_OFF_PORT, &sin6->sin6_port, 2);
		memcpy(msg + WGM_PROBEMSG_OFF_ADDR, &sin6->sin6_addr, 16);
	}
	wgm_probemsg_mac(msg + WGM_PROBEMSG_MAC_OFF, msg, keys, true, challenge);
	return 0;
}

/**
 * wgm_probemsg_peek - cheap checks before looking the sender up
 * @buf: a received UDP payload
 * @len: its length
 * @type: receives the message type
 * @sender_id: receives the sender id
 *
 * Return: true when @buf has the length, a probe type and the magic.
 * Nothing here is authenticated.
 */
bool wgm_probemsg_peek(const u8 *buf, size_t len, u8 *type,
		       u8 sender_id[WGM_PROBEMSG_ID_LEN])
{
	if (len != WGM_PROBEMSG_LEN)
		return false;
	if (buf[WGM_PROBEMSG_OFF_TYPE] != WGM_PROBEMSG_TYPE_REQUEST &&
	    buf[WGM_PROBEMSG_OFF_TYPE] != WGM_PROBEMSG_TYPE_REPLY)
		return false;
	if (memcmp(buf + WGM_PROBEMSG_OFF_MAGIC, wgm_probemsg_magic, sizeof(wgm_probemsg_magic)))
		return false;
	*type = buf[WGM_PROBEMSG_OFF_TYPE];
	memcpy(sender_id, buf + WGM_PROBEMSG_OFF_ID, WGM_PROBEMSG_ID_LEN);
	return true;
}

/**
 * wgm_probemsg_verify - authenticate a received message from a peer
 * @buf: a received UDP payload
 * @len: its length
 * @keys: the keys of the peer the sender id named
 * @challenge: our current challenge for that peer (a reply's mac covers it)
 * @out: filled in on success
 *
 * Checks length, type, magic, that the sender id is the peer's, and the mac
 * (in constant time).  The counter and a request's echoed challenge are not
 * checked here: requests go through wgm_probemsg_window_check(), replies
 * through wgm_probemsg_ring_match().
 *
 * Return: true when the message is authentic.
 */
bool wgm_probemsg_verify(const u8 *buf, size_t len,
			 const struct wgm_probemsg_keys *keys, u64 challenge,
			 struct wgm_probemsg *out)
{
	u8 mac[WGM_PROBEMSG_MAC_LEN];
	u8 type, id[WGM_PROBEMSG_ID_LEN];
	bool ok;

	if (!keys->valid || !wgm_probemsg_peek(buf, len, &type, id))
		return false;
	if (memcmp(id, keys->remote_id, WGM_PROBEMSG_ID_LEN))
		return false;
	wgm_probemsg_mac(mac, buf, keys, type == WGM_PROBEMSG_TYPE_REPLY, challenge);
	ok = !crypto_memneq(mac, buf + WGM_PROBEMSG_MAC_OFF, WGM_PROBEMSG_MAC_LEN);
	memzero_explicit(mac, sizeof(mac));
	if (!ok)
		return false;

	memset(out, 0, sizeof(*out));
	out->type = type;
	memcpy(out->sender_id, id, WGM_PROBEMSG_ID_LEN);
	out->counter = wgm_probemsg_get_le64(buf + WGM_PROBEMSG_OFF_COUNTER);
	if (type == WGM_PROBEMSG_TYPE_REPLY) {
		out->echoed = wgm_probemsg_get_le64(buf + WGM_PROBEMSG_OFF_ECHOED);
		memcpy(&out->observed_port, buf + WGM_PROBEMSG_OFF_PORT, 2);
		out->observed_family = buf[WGM_PROBEMSG_OFF_FAMILY] |
				       (u16)buf[WGM_PROBEMSG_OFF_FAMILY + 1] << 8;
		memcpy(out->observed_addr, buf + WGM_PROBEMSG_OFF_ADDR, 16);
	} else {
		out->challenge = wgm_probemsg_get_le64(buf + WGM_PROBEMSG_OFF_CHALLENGE);
		out->echo = wgm_probemsg_get_le64(buf + WGM_PROBEMSG_OFF_ECHO);
	}
	return true;
}

/**
 * wgm_probemsg_observed - the address a reply says our request came from
 * @msg: a verified reply
 * @addr: receives a sockaddr_in or sockaddr_in6
 * @size: room at @addr
 *
 * Return: 0, or -EINVAL for an unknown family or too little room.
 */
int wgm_probemsg_observed(const struct wgm_probemsg *msg,
			  struct sockaddr *addr, size_t size)
{
	if (msg->type != WGM_PROBEMSG_TYPE_REPLY)
		return -EINVAL;
	if (msg->observed_family == AF_INET && size >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in *sin = (void *)addr;

		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = msg->observed_port;
		memcpy(&sin->sin_addr, msg->observed_addr, 4);
		return 0;
	}
	if (msg->observed_family == AF_INET6 && size >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *sin6 = (void *)addr;

		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = msg->observed_port;
		memcpy(&sin6->sin6_addr, msg->observed_addr, 16);
		return 0;
	}
	return -EINVAL;
}

/**
 * wgm_probemsg_window_check - accept a request counter at most once
 * @w: the peer's window
 * @counter: the authenticated request's counter
 *
 * Accepts a counter newer than any accepted so far, or one of the
 * WGM_PROBEMSG_WINDOW - 1 counters behind the newest that was not accepted
 * yet.  Counter 0 is never valid.
 *
 * Return: true when accepted (and recorded).
 */
bool wgm_probemsg_window_check(struct wgm_probemsg_window *w, u64 counter)
{
	u64 behind;

	BUILD_BUG_ON(WGM_PROBEMSG_WINDOW != 64);
	if (!counter)
		return false;
	if (counter > w->newest) {
		u64 shift = counter - w->newest;

		w->seen = shift >= WGM_PROBEMSG_WINDOW ? 0 : w->seen << shift;
		w->seen |= 1;
		w->newest = counter;
		return true;
	}
	behind = w->newest - counter;
	if (behind >= WGM_PROBEMSG_WINDOW || (w->seen & (1ULL << behind)))
		return false;
	w->seen |= 1ULL << behind;
	return true;
}

/**
 * wgm_probemsg_ring_add - remember a request sent to a candidate
 * @r: the candidate's ring
 * @counter: the request's counter (non-zero)
 * @now_ns: when it was sent (any monotonic clock, same as for matching)
 *
 * Return: true when an unanswered older request had to be forgotten to
 * make room (the caller counts it as lost).
 */
bool wgm_probemsg_ring_add(struct wgm_probemsg_ring *r, u64 counter, u64 now_ns)
{
	unsigned int i = r->next % WGM_PROBEMSG_RING;
	bool displaced = r->slot[i].counter != 0;

	r->slot[i].counter = counter;
	r->slot[i].sent_ns = now_ns;
	r->next = (i + 1) % WGM_PROBEMSG_RING;
	return displaced;
}

/**
 * wgm_probemsg_ring_match - match a reply to an outstanding request
 * @r: the ring of the candidate the reply came from
 * @counter: the echoed request counter
 * @now_ns: now, same clock as wgm_probemsg_ring_add()
 * @rtt_ns: receives the round-trip time
 *
 * A request is matched at most once.
 *
 * Return: true on a match.
 */
bool wgm_probemsg_ring_match(struct wgm_probemsg_ring *r, u64 counter,
			     u64 now_ns, u64 *rtt_ns)
{
	unsigned int i;

	if (!counter)
		return false;
	for (i = 0; i < WGM_PROBEMSG_RING; i++) {
		if (r->slot[i].counter != counter)
			continue;
		*rtt_ns = now_ns > r->slot[i].sent_ns ? now_ns - r->slot[i].sent_ns : 0;
		r->slot[i].counter = 0;
		r->slot[i].sent_ns = 0;
		return true;
	}
	return false;
}

/**
 * wgm_probemsg_ring_expire - forget requests that went unanswered
 * @r: a candidate's ring
 * @now_ns: now
 * @timeout_ns: how long a reply may take
 *
 * Return: the number of requests forgotten (lost).
 */
unsigned int wgm_probemsg_ring_expire(struct wgm_probemsg_ring *r, u64 now_ns,
				      u64 timeout_ns)
{
	unsigned int i, lost = 0;

	for (i = 0; i < WGM_PROBEMSG_RING; i++) {
		if (!r->slot[i].counter)
			continue;
		if (now_ns < r->slot[i].sent_ns || now_ns - r->slot[i].sent_ns < timeout_ns)
			continue;
		r->slot[i].counter = 0;
		r->slot[i].sent_ns = 0;
		lost++;
	}
	return lost;
}

/**
 * wgm_probemsg_srtt - smoothed RTT (RFC 6298 weights, alpha = 1/8)
 * @srtt_us: the current value; 0 means no sample yet
 * @sample_us: a new sample
 *
 * Return: the new smoothed value, never 0.
 */
u32 wgm_probemsg_srtt(u32 srtt_us, u32 sample_us)
{
	u64 v;

	if (!srtt_us)
		v = sample_us;
	else
		v = ((u64)srtt_us * 7 + sample_us) / 8;
	return v ? (u32)v : 1;
}

/**
 * wgm_probemsg_bucket_take - token bucket
 * @b: the bucket (all zero starts full)
 * @now_ns: a monotonic clock
 * @rate_per_s: refill rate (non-zero)
 * @burst: capacity in tokens
 *
 * Return: true when a token was available (and taken).
 */
bool wgm_probemsg_bucket_take(struct wgm_probemsg_bucket *b, u64 now_ns,
			      unsigned int rate_per_s, unsigned int burst)
{
	u64 cost = WGM_PROBEMSG_NSEC_PER_SEC / rate_per_s;
	u64 cap = cost * burst;
	u64 elapsed;

	if (!b->last_ns)
		elapsed = cap;		/* first use: full */
	else if (now_ns < b->last_ns)
		elapsed = 0;
	else
		elapsed = min_t(u64, now_ns - b->last_ns, cap);
	b->tokens_ns = min_t(u64, b->tokens_ns + elapsed, cap);
	b->last_ns = now_ns;
	if (b->tokens_ns < cost)
		return false;
	b->tokens_ns -= cost;
	return true;
}

/**
 * wgm_probemsg_limit_take - may a reply go to this source?
 * @l: the peer's limiter
 * @src_hash: a keyed hash of the request's source address and port
 * @now_ns: a monotonic clock
 *
 * The peer's own bucket first (WGM_PROBEMSG_PEER_RATE per second, burst
 * WGM_PROBEMSG_PEER_BURST); only when it had a token, the bucket of the
 * source in the peer's own small table (WGM_PROBEMSG_SRC_RATE, burst
 * WGM_PROBEMSG_SRC_BURST).  Sources of one peer that collide share a
 * bucket; no peer's traffic touches another peer's buckets.
 *
 * Return: true when both had a token.
 */
bool wgm_probemsg_limit_take(struct wgm_probemsg_limiter *l, u32 src_hash, u64 now_ns)
{
	if (!wgm_probemsg_bucket_take(&l->peer, now_ns, WGM_PROBEMSG_PEER_RATE,
				      WGM_PROBEMSG_PEER_BURST))
		return false;
	return wgm_probemsg_bucket_take(&l->src[src_hash % WGM_PROBEMSG_SRC_BUCKETS], now_ns,
					WGM_PROBEMSG_SRC_RATE, WGM_PROBEMSG_SRC_BURST);
}

/**
 * wgm_probemsg_build_bind - write a relay bind
 * @msg: WGM_PROBEMSG_BIND_LEN bytes
 * @id: the relay allocation side's id
 * @counter: from wgm_probemsg_next_counter() (the candidate's own counter)
 * @key: the bind key the coordination service issued
 *
 * Type, "wgm", id and counter (little-endian), then keyed BLAKE2s-128 over
 * those 16 bytes (Documentation/relay.rst, "Bind message").
 */
void wgm_probemsg_build_bind(u8 msg[WGM_PROBEMSG_BIND_LEN], u32 id, u64 counter,
			     const u8 key[WGM_RELAY_KEY_LEN])
{
	msg[0] = WGM_PROBEMSG_TYPE_BIND;
	msg[1] = 'w';
	msg[2] = 'g';
	msg[3] = 'm';
	msg[4] = id & 0xff;
	msg[5] = (id >> 8) & 0xff;
	msg[6] = (id >> 16) & 0xff;
	msg[7] = id >> 24;
	wgm_probemsg_put_le64(msg + 8, counter);
	blake2s(msg + 16, msg, key, WGM_PROBEMSG_MAC_LEN, 16, WGM_RELAY_KEY_LEN);
}
