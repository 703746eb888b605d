/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Probe messages (Documentation/probing.rst, "Wire format"): key
 * derivation, building and verifying requests and replies, the receive
 * counter window, outstanding-request rings, RTT smoothing and the reply
 * token bucket.  Pure functions over buffers and small structs, so that
 * they are testable in userspace (selftests/unit/probemsg_test.c).
 *
 * No locking here: callers serialise access to each struct.
 */
#ifndef _WGM_PROBEMSG_H
#define _WGM_PROBEMSG_H

#include <linux/types.h>

#include "uapi/linux/wgmesh.h"

struct sockaddr;

#define WGM_PROBEMSG_LEN	64
#define WGM_PROBEMSG_KEY_LEN	32
#define WGM_PROBEMSG_ID_LEN	8
#define WGM_PROBEMSG_MAC_LEN	16
#define WGM_PROBEMSG_MAC_OFF	48	/* the mac covers bytes 0..47 */
#define WGM_PROBEMSG_TYPE_REQUEST	0xE1
#define WGM_PROBEMSG_TYPE_REPLY		0xE2
/* counters accepted behind the newest one */
#define WGM_PROBEMSG_WINDOW	64
#define WGM_PROBEMSG_TYPE_BIND		0xE3
/* relay bind (Documentation/relay.rst): type, "wgm", id, counter, mac */
#define WGM_PROBEMSG_BIND_LEN	32
/* outstanding requests remembered per candidate */
#define WGM_PROBEMSG_RING	4

/* Keys of one peer: K, and the ids both sides put in their messages. */
struct wgm_probemsg_keys {
	u8 key[WGM_PROBEMSG_KEY_LEN];
	u8 local_id[WGM_PROBEMSG_ID_LEN];	/* id(our static public key) */
	u8 remote_id[WGM_PROBEMSG_ID_LEN];	/* id(the peer's static public key) */
	bool valid;
};

/* What a verified message says. */
struct wgm_probemsg {
	u8 type;
	u8 sender_id[WGM_PROBEMSG_ID_LEN];
	u64 counter;
	/* requests only */
	u64 challenge;		/* the sender's current challenge */
	u64 echo;		/* our challenge as the sender last learned it */
	/* replies only */
	u64 echoed;
	u16 observed_family;	/* AF_INET or AF_INET6 */
	__be16 observed_port;
	u8 observed_addr[16];
};

/* Anti-replay state of one peer's received requests. */
struct wgm_probemsg_window {
	u64 newest;		/* 0: nothing accepted yet */
	u64 seen;		/* bit i: newest - i was accepted */
};

/* Requests sent to one candidate and not yet answered. */
struct wgm_probemsg_ring {
	struct {
		u64 counter;	/* 0: free slot */
		u64 sent_ns;
	} slot[WGM_PROBEMSG_RING];
	unsigned int next;
};

/* Token bucket: @rate_per_s tokens per second, at most @burst. */
struct wgm_probemsg_bucket {
	u64 last_ns;
	u64 tokens_ns;		/* credit, in nanoseconds of refill */
};

/* Reply limits: per peer, and per source within one peer's own table. */
#define WGM_PROBEMSG_PEER_RATE		20
#define WGM_PROBEMSG_PEER_BURST		40
#define WGM_PROBEMSG_SRC_RATE		10
#define WGM_PROBEMSG_SRC_BURST		20
#define WGM_PROBEMSG_SRC_BUCKETS	8

struct wgm_probemsg_limiter {
	struct wgm_probemsg_bucket peer;
	struct wgm_probemsg_bucket src[WGM_PROBEMSG_SRC_BUCKETS];
};

bool wgm_probemsg_derive(struct wgm_probemsg_keys *keys, const u8 dh[32],
			 const u8 psk[32], const u8 local_public[32],
			 const u8 remote_public[32]);
void wgm_probemsg_id(u8 id[WGM_PROBEMSG_ID_LEN], const u8 key[WGM_PROBEMSG_KEY_LEN],
		     const u8 public_key[32]);

u64 wgm_probemsg_next_counter(u64 *last, u64 now_ns);

void wgm_probemsg_build_request(u8 msg[WGM_PROBEMSG_LEN],
				const struct wgm_probemsg_keys *keys, u64 counter,
				u64 challenge, u64 echo);
int wgm_probemsg_build_reply(u8 msg[WGM_PROBEMSG_LEN],
			     const struct wgm_probemsg_keys *keys, u64 counter,
			     u64 echoed, const struct sockaddr *observed, u64 challenge);
bool wgm_probemsg_peek(const u8 *buf, size_t len, u8 *type,
		       u8 sender_id[WGM_PROBEMSG_ID_LEN]);
bool wgm_probemsg_verify(const u8 *buf, size_t len,
			 const struct wgm_probemsg_keys *keys, u64 challenge,
			 struct wgm_probemsg *out);
int wgm_probemsg_observed(const struct wgm_probemsg *msg,
			  struct sockaddr *addr, size_t size);

bool wgm_probemsg_window_check(struct wgm_probemsg_window *w, u64 counter);

bool wgm_probemsg_ring_add(struct wgm_probemsg_ring *r, u64 counter, u64 now_ns);
bool wgm_probemsg_ring_match(struct wgm_probemsg_ring *r, u64 counter,
			     u64 now_ns, u64 *rtt_ns);
unsigned int wgm_probemsg_ring_expire(struct wgm_probemsg_ring *r, u64 now_ns,
				      u64 timeout_ns);

u32 wgm_probemsg_srtt(u32 srtt_us, u32 sample_us);

void wgm_probemsg_build_bind(u8 msg[WGM_PROBEMSG_BIND_LEN], u32 id, u64 counter,
			     const u8 key[WGM_RELAY_KEY_LEN]);

bool wgm_probemsg_bucket_take(struct wgm_probemsg_bucket *b, u64 now_ns,
			      unsigned int rate_per_s, unsigned int burst);
bool wgm_probemsg_limit_take(struct wgm_probemsg_limiter *l, u32 src_hash, u64 now_ns);

#endif /* _WGM_PROBEMSG_H */
