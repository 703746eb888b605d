// SPDX-License-Identifier: GPL-2.0-only
/*
 * The protocol's two MACs on handshake messages and its cookie replies.
 *
 *   mac1 = MAC(HASH("mac1----" || S_receiver), msg up to mac1)
 *   mac2 = MAC(cookie, msg up to mac2)		(zero without a fresh cookie)
 *   cookie = MAC(secret, source address || source port)
 *   reply = XAEAD(HASH("cookie--" || S_sender), nonce, cookie, mac1)
 *
 * where MAC is keyed BLAKE2s with a 16-byte output and the secret is
 * replaced every WGM_COOKIE_SECRET_MAX_AGE seconds.
 *
 * The holder's functions sleep (an rw_semaphore): they run from the
 * handshake work and the handshake send work, never in softirq.
 */

#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/random.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/if_ether.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <net/net_namespace.h>
#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <crypto/chacha20poly1305.h>

#include "cookie.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "ratelimiter.h"
#include "timers.h"

static const u8 wgm_label_mac1[8] = "mac1----";
static const u8 wgm_label_reply[8] = "cookie--";

/* HASH(label || key), or zeros when there is no key yet */
static void wgm_label_hash(u8 out[WGM_KEY_BYTES], const u8 label[8],
			   const u8 *pub)
{
	struct blake2s_state st;

	if (!pub) {
		memzero_explicit(out, WGM_KEY_BYTES);
		return;
	}
	blake2s_init(&st, WGM_KEY_BYTES);
	blake2s_update(&st, label, sizeof(wgm_label_mac1));
	blake2s_update(&st, pub, WGM_KEY_BYTES);
	blake2s_final(&st, out);
}

static void wgm_mac_keys_derive(struct wgm_mac_keys *k, const u8 *pub)
{
	wgm_label_hash(k->mac1, wgm_label_mac1, pub);
	wgm_label_hash(k->reply, wgm_label_reply, pub);
}

/*
 * Where each MAC ends: mac1 covers the message before struct
 * wgm_msg_macs, mac2 everything before itself (mac1 included).
 */
static size_t wgm_mac1_span(size_t len)
{
	return len - sizeof(struct wgm_msg_macs);
}

static size_t wgm_mac2_span(size_t len)
{
	BUILD_BUG_ON(offsetof(struct wgm_msg_macs, mac2) + WGM_MAC_BYTES !=
		     sizeof(struct wgm_msg_macs));
	return len - WGM_MAC_BYTES;
}

/* constant-time: does MAC(key, msg[0..span)) equal @want? */
static bool wgm_mac_matches(const u8 *msg, size_t span, const u8 *key,
			    size_t keylen, const u8 want[WGM_MAC_BYTES])
{
	u8 got[WGM_MAC_BYTES];
	bool same;

	blake2s(got, msg, key, WGM_MAC_BYTES, span, keylen);
	same = !crypto_memneq(got, want, WGM_MAC_BYTES);
	memzero_explicit(got, sizeof(got));
	return same;
}

void wgm_cookie_issuer_init(struct wgm_cookie_issuer *is, struct wgm_device *owner)
{
	memset(is, 0, sizeof(*is));
	is->owner = owner;
	spin_lock_init(&is->secret_lock);
	get_random_bytes(is->secret, sizeof(is->secret));
	is->secret_born = ktime_get_coarse_boottime_ns();
}

void wgm_cookie_issuer_rekey(struct wgm_cookie_issuer *is,
			     const struct wgm_static_identity *si)
{
	lockdep_assert_held(&si->lock);
	wgm_mac_keys_derive(&is->own, si->has_identity ? si->static_public : NULL);
}

void wgm_cookie_holder_init(struct wgm_cookie_holder *h,
			    const u8 peer_public[WGM_KEY_BYTES])
{
	memset(h, 0, sizeof(*h));
	init_rwsem(&h->lock);
	wgm_mac_keys_derive(&h->theirs, peer_public);
}

/*
 * The cookie we give @skb's outer source: MAC(secret, address || port).
 * The secret is renewed here, lazily, once it has outlived its age; a
 * copy is taken under the lock so that the hashing happens outside it.
 */
static void wgm_cookie_for(struct wgm_cookie_issuer *is, struct sk_buff *skb,
			   u8 cookie[WGM_COOKIE_BYTES])
{
	u8 secret[WGM_HASH_BYTES];
	struct blake2s_state st;

	spin_lock_bh(&is->secret_lock);
	if (wgm_birthdate_has_expired(is->secret_born, WGM_COOKIE_SECRET_MAX_AGE)) {
		get_random_bytes(is->secret, sizeof(is->secret));
		is->secret_born = ktime_get_coarse_boottime_ns();
	}
	memcpy(secret, is->secret, sizeof(secret));
	spin_unlock_bh(&is->secret_lock);

	blake2s_init_key(&st, WGM_COOKIE_BYTES, secret, sizeof(secret));
	memzero_explicit(secret, sizeof(secret));
	if (skb->protocol == htons(ETH_P_IPV6))
		blake2s_update(&st, (const u8 *)&ipv6_hdr(skb)->saddr,
			       sizeof(struct in6_addr));
	else if (skb->protocol == htons(ETH_P_IP))
		blake2s_update(&st, (const u8 *)&ip_hdr(skb)->saddr,
			       sizeof(struct in_addr));
	blake2s_update(&st, (const u8 *)&udp_hdr(skb)->source, sizeof(__be16));
	blake2s_final(&st, cookie);
}

enum wgm_mac_verdict wgm_mac_check(struct wgm_cookie_issuer *is,
				   struct sk_buff *skb, bool want_mac2)
{
	const struct wgm_msg_macs *macs;
	u8 cookie[WGM_COOKIE_BYTES];
	size_t len = skb->len;
	bool mac2_ok;

	/* the caller pulled the whole (fixed-size) handshake message */
	if (unlikely(len < sizeof(struct wgm_msg_header) + sizeof(*macs) ||
		     skb_headlen(skb) < len))
		return WGM_MAC_BAD;
	macs = (const struct wgm_msg_macs *)(skb->data + wgm_mac1_span(len));

	if (!wgm_mac_matches(skb->data, wgm_mac1_span(len), is->own.mac1,
			     WGM_KEY_BYTES, macs->mac1))
		return WGM_MAC_BAD;
	if (!want_mac2)
		return WGM_MAC_MAC1;

	wgm_cookie_for(is, skb, cookie);
	mac2_ok = wgm_mac_matches(skb->data, wgm_mac2_span(len), cookie,
				  WGM_COOKIE_BYTES, macs->mac2);
	memzero_explicit(cookie, sizeof(cookie));
	if (!mac2_ok)
		return WGM_MAC_MAC1;
	if (!wgm_ratelimiter_allow(skb, dev_net(is->owner->dev)))
		return WGM_MAC_MAC2_LIMITED;
	return WGM_MAC_MAC2;
}

/* A cookie is used until shortly before the peer would have replaced its secret. */
static bool wgm_holder_cookie_fresh(const struct wgm_cookie_holder *h)
{
	return h->received_ns &&
	       !wgm_birthdate_has_expired(h->received_ns, WGM_COOKIE_SECRET_MAX_AGE -
							  WGM_COOKIE_SECRET_LATENCY);
}

void wgm_mac_stamp(void *msg, size_t len, struct wgm_cookie_holder *h)
{
	struct wgm_msg_macs *macs = (struct wgm_msg_macs *)((u8 *)msg + wgm_mac1_span(len));

	down_write(&h->lock);
	blake2s(macs->mac1, msg, h->theirs.mac1, WGM_MAC_BYTES, wgm_mac1_span(len),
		WGM_KEY_BYTES);
	/* the one mac1 a cookie reply may now be bound to */
	memcpy(h->pending_mac1, macs->mac1, WGM_MAC_BYTES);
	h->reply_expected = true;
	if (wgm_holder_cookie_fresh(h))
		blake2s(macs->mac2, msg, h->value, WGM_MAC_BYTES, wgm_mac2_span(len),
			WGM_COOKIE_BYTES);
	else
		memset(macs->mac2, 0, WGM_MAC_BYTES);
	up_write(&h->lock);
}

/*
 * The reply seals the cookie for @skb's outer source under our reply key,
 * with that message's mac1 as associated data: only whoever sent this
 * very message, and knows our public key, can open it.  Our reply key is
 * read without static_identity.lock, as in wgm_mac_check().
 */
void wgm_cookie_reply_build(struct wgm_msg_handshake_cookie *out,
			    struct sk_buff *skb, __le32 to_index,
			    struct wgm_cookie_issuer *is)
{
	const struct wgm_msg_macs *macs =
		(const struct wgm_msg_macs *)(skb->data + wgm_mac1_span(skb->len));
	u8 cookie[WGM_COOKIE_BYTES];

	wgm_cookie_for(is, skb, cookie);
	memset(out, 0, sizeof(*out));
	out->header.type = cpu_to_le32(WGM_MSG_HANDSHAKE_COOKIE);
	out->receiver_index = to_index;
	get_random_bytes(out->nonce, sizeof(out->nonce));
	xchacha20poly1305_encrypt(out->encrypted_cookie, cookie, sizeof(cookie),
				  macs->mac1, WGM_MAC_BYTES, out->nonce, is->own.reply);
	memzero_explicit(cookie, sizeof(cookie));
}

/* Opens @msg with what @h remembers; on success stores the cookie. */
static bool wgm_holder_accept(struct wgm_cookie_holder *h,
			      const struct wgm_msg_handshake_cookie *msg)
{
	u8 cookie[WGM_COOKIE_BYTES];
	bool opened;

	/*
	 * One writer for the whole exchange: a second copy of the reply
	 * finds reply_expected cleared.
	 */
	down_write(&h->lock);
	opened = h->reply_expected &&
		 xchacha20poly1305_decrypt(cookie, msg->encrypted_cookie,
					   sizeof(msg->encrypted_cookie),
					   h->pending_mac1, WGM_MAC_BYTES, msg->nonce,
					   h->theirs.reply);
	if (opened) {
		memcpy(h->value, cookie, sizeof(h->value));
		h->received_ns = ktime_get_coarse_boottime_ns();
		h->reply_expected = false;
	}
	up_write(&h->lock);
	memzero_explicit(cookie, sizeof(cookie));
	return opened;
}

void wgm_cookie_reply_take(struct wgm_device *wg,
			   const struct wgm_msg_handshake_cookie *msg)
{
	struct wgm_peer *peer;

	/* the reply names the index of the handshake it answers */
	if (!wgm_index_hashtable_lookup(wg->index_hashtable,
					WGM_INDEX_HANDSHAKE | WGM_INDEX_KEYPAIR,
					msg->receiver_index, &peer))
		return;
	if (!wgm_holder_accept(&peer->cookie, msg))
		net_dbg_ratelimited("%s: cookie reply that does not open\n",
				    wg->dev->name);
	wgm_peer_put(peer);
}
