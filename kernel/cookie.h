/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol's defence against handshake floods: two MACs on every
 * handshake message and, under load, cookie replies.
 *
 * Two halves, one per direction:
 *   - the issuer (one per device) checks the MACs on what arrives and
 *     hands out cookies bound to a sender's address;
 *   - a holder (one per peer) writes the MACs on what we send that peer
 *     and keeps the cookie the peer gave us.
 * Both start from the same pair of keys, derived from a static public
 * key: the issuer from ours, each holder from its peer's.
 */
#ifndef _WGM_COOKIE_H
#define _WGM_COOKIE_H

#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/skbuff.h>
#include "messages.h"

struct wgm_device;
struct wgm_static_identity;

/* What one static public key S gives: the mac1 key and the reply key. */
struct wgm_mac_keys {
	u8 mac1[WGM_KEY_BYTES];		/* HASH("mac1----" || S) */
	u8 reply[WGM_KEY_BYTES];	/* HASH("cookie--" || S) */
};

struct wgm_cookie_issuer {
	/* From our static public key.  Rewritten under static_identity.lock;
	 * read without it (a message racing a key change fails its mac1).
	 */
	struct wgm_mac_keys own;
	struct wgm_device *owner;
	/* Guards secret and secret_born: copied out under it, never used
	 * under it.  Taken in process context only.
	 */
	spinlock_t secret_lock;
	u8 secret[WGM_HASH_BYTES];	/* replaced every WGM_COOKIE_SECRET_MAX_AGE s */
	u64 secret_born;		/* ktime_get_coarse_boottime_ns() */
};

struct wgm_cookie_holder {
	struct wgm_mac_keys theirs;	/* from the peer's static public key */
	/* Guards everything below (and theirs, written once at creation). */
	struct rw_semaphore lock;
	u8 value[WGM_COOKIE_BYTES];	/* the peer's last cookie for us */
	u64 received_ns;		/* when it came; 0: none */
	/* The mac1 of the last handshake message we sent: a reply must be
	 * sealed to it, and is taken at most once.
	 */
	u8 pending_mac1[WGM_MAC_BYTES];
	bool reply_expected;
};

/* What the MACs of one handshake message prove. */
enum wgm_mac_verdict {
	WGM_MAC_BAD,		/* mac1 wrong: not for us, drop silently */
	WGM_MAC_MAC1,		/* mac1 right; mac2 not asked for or wrong */
	WGM_MAC_MAC2,		/* mac2 right too: the source address is proven */
	WGM_MAC_MAC2_LIMITED,	/* ...but that source is over its rate */
};

void wgm_cookie_issuer_init(struct wgm_cookie_issuer *is, struct wgm_device *owner);
/* after our static identity changed; must hold @si->lock */
void wgm_cookie_issuer_rekey(struct wgm_cookie_issuer *is,
			     const struct wgm_static_identity *si);
void wgm_cookie_holder_init(struct wgm_cookie_holder *h,
			    const u8 peer_public[WGM_KEY_BYTES]);

/*
 * @skb's data is one whole, linear handshake message (UDP header pulled);
 * its network header is still the outer IP header, whose source address
 * and port the cookie covers.  With @want_mac2, mac2 is checked as well
 * and a proven source is rate limited (wgm_ratelimiter_allow()).
 */
enum wgm_mac_verdict wgm_mac_check(struct wgm_cookie_issuer *is,
				   struct sk_buff *skb, bool want_mac2);
/* writes the trailing struct wgm_msg_macs of the @len bytes at @msg */
void wgm_mac_stamp(void *msg, size_t len, struct wgm_cookie_holder *h);

/* The reply to the message in @skb, whose sender called it @to_index. */
void wgm_cookie_reply_build(struct wgm_msg_handshake_cookie *out,
			    struct sk_buff *skb, __le32 to_index,
			    struct wgm_cookie_issuer *is);
/* A reply that arrived: kept if it answers our last message. */
void wgm_cookie_reply_take(struct wgm_device *wg,
			   const struct wgm_msg_handshake_cookie *msg);

#endif /* _WGM_COOKIE_H */
