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
 * All functions here sleep (rw_semaphores): they run from the handshake
 * work and the handshake send work, never in softirq.
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
static const u8 wgm_label_cookie[8] = "cookie--";

/* key = HASH(label || public key) */
static void wgm_cookie_derive_key(u8 key[WGM_KEY_BYTES], const u8 label[8],
				  const u8 pubkey[WGM_KEY_BYTES])
{
	struct blake2s_state st;

	blake2s_init(&st, WGM_KEY_BYTES);
	blake2s_update(&st, label, 8);
	blake2s_update(&st, pubkey, WGM_KEY_BYTES);
	blake2s_final(&st, key);
}

/* mac1 covers the message up to (excluding) the macs */
static void wgm_mac1(u8 mac[WGM_MAC_BYTES], const void *msg, size_t len,
		     const u8 key[WGM_KEY_BYTES])
{
	blake2s(mac, msg, key, WGM_MAC_BYTES, len - sizeof(struct wgm_msg_macs),
		WGM_KEY_BYTES);
}

/* mac2 covers the message up to (excluding) mac2, so including mac1 */
static void wgm_mac2(u8 mac[WGM_MAC_BYTES], const void *msg, size_t len,
		     const u8 cookie[WGM_COOKIE_BYTES])
{
	BUILD_BUG_ON(offsetof(struct wgm_msg_macs, mac2) + WGM_MAC_BYTES !=
		     sizeof(struct wgm_msg_macs));
	blake2s(mac, msg, cookie, WGM_MAC_BYTES, len - WGM_MAC_BYTES, WGM_COOKIE_BYTES);
}

void wgm_cookie_checker_init(struct wgm_cookie_checker *checker, struct wgm_device *wg)
{
	init_rwsem(&checker->secret_lock);
	checker->device = wg;
	get_random_bytes(checker->secret, sizeof(checker->secret));
	checker->secret_birthdate = ktime_get_coarse_boottime_ns();
	memset(checker->cookie_encryption_key, 0, WGM_KEY_BYTES);
	memset(checker->message_mac1_key, 0, WGM_KEY_BYTES);
}

/* Must hold device->static_identity.lock (for writing when it changed). */
void wgm_cookie_checker_precompute_device_keys(struct wgm_cookie_checker *checker)
{
	struct wgm_static_identity *si = &checker->device->static_identity;

	lockdep_assert_held(&si->lock);
	if (likely(si->has_identity)) {
		wgm_cookie_derive_key(checker->cookie_encryption_key, wgm_label_cookie,
				      si->static_public);
		wgm_cookie_derive_key(checker->message_mac1_key, wgm_label_mac1,
				      si->static_public);
	} else {
		memzero_explicit(checker->cookie_encryption_key, WGM_KEY_BYTES);
		memzero_explicit(checker->message_mac1_key, WGM_KEY_BYTES);
	}
}

void wgm_cookie_checker_precompute_peer_keys(struct wgm_peer *peer)
{
	struct wgm_cookie *c = &peer->latest_cookie;

	down_write(&c->lock);
	wgm_cookie_derive_key(c->cookie_decryption_key, wgm_label_cookie,
			      peer->handshake.remote_static);
	wgm_cookie_derive_key(c->message_mac1_key, wgm_label_mac1,
			      peer->handshake.remote_static);
	up_write(&c->lock);
}

void wgm_cookie_init(struct wgm_cookie *cookie)
{
	memset(cookie, 0, sizeof(*cookie));
	init_rwsem(&cookie->lock);
}

/*
 * The cookie for @skb's outer source: MAC(secret, address || port).  The
 * secret is replaced once it is older than WGM_COOKIE_SECRET_MAX_AGE.
 */
static void wgm_cookie_for_source(u8 cookie[WGM_COOKIE_BYTES], struct sk_buff *skb,
				  struct wgm_cookie_checker *checker)
{
	struct blake2s_state st;

	down_read(&checker->secret_lock);
	if (unlikely(wgm_birthdate_has_expired(checker->secret_birthdate,
					       WGM_COOKIE_SECRET_MAX_AGE))) {
		up_read(&checker->secret_lock);
		down_write(&checker->secret_lock);
		if (wgm_birthdate_has_expired(checker->secret_birthdate,
					      WGM_COOKIE_SECRET_MAX_AGE)) {
			get_random_bytes(checker->secret, sizeof(checker->secret));
			checker->secret_birthdate = ktime_get_coarse_boottime_ns();
		}
		downgrade_write(&checker->secret_lock);
	}

	blake2s_init_key(&st, WGM_COOKIE_BYTES, checker->secret, sizeof(checker->secret));
	if (skb->protocol == htons(ETH_P_IP))
		blake2s_update(&st, (const u8 *)&ip_hdr(skb)->saddr, sizeof(struct in_addr));
	else if (skb->protocol == htons(ETH_P_IPV6))
		blake2s_update(&st, (const u8 *)&ipv6_hdr(skb)->saddr, sizeof(struct in6_addr));
	blake2s_update(&st, (const u8 *)&udp_hdr(skb)->source, sizeof(__be16));
	blake2s_final(&st, cookie);
	up_read(&checker->secret_lock);
}

enum wgm_cookie_mac_state wgm_cookie_validate_packet(struct wgm_cookie_checker *checker,
						     struct sk_buff *skb, bool check_cookie)
{
	enum wgm_cookie_mac_state ret = WGM_COOKIE_INVALID_MAC;
	const struct wgm_msg_macs *macs;
	u8 cookie[WGM_COOKIE_BYTES];
	u8 mac[WGM_MAC_BYTES];
	size_t len = skb->len;

	/* the caller pulled the whole (fixed-size) handshake message */
	if (unlikely(len < sizeof(struct wgm_msg_header) + sizeof(*macs) ||
		     skb_headlen(skb) < len))
		return WGM_COOKIE_INVALID_MAC;
	macs = (const struct wgm_msg_macs *)(skb->data + len - sizeof(*macs));

	/*
	 * message_mac1_key is rewritten only under static_identity.lock when
	 * the private key changes; a message racing with that fails mac1,
	 * as it would a moment later anyway.
	 */
	wgm_mac1(mac, skb->data, len, checker->message_mac1_key);
	if (crypto_memneq(mac, macs->mac1, WGM_MAC_BYTES))
		goto out;

	ret = WGM_COOKIE_VALID_MAC_NO_COOKIE;
	if (!check_cookie)
		goto out;

	wgm_cookie_for_source(cookie, skb, checker);
	wgm_mac2(mac, skb->data, len, cookie);
	if (crypto_memneq(mac, macs->mac2, WGM_MAC_BYTES))
		goto out;

	ret = WGM_COOKIE_VALID_MAC_COOKIE_RATELIMITED;
	if (!wgm_ratelimiter_allow(skb, dev_net(checker->device->dev)))
		goto out;

	ret = WGM_COOKIE_VALID_MAC_WITH_COOKIE;
out:
	memzero_explicit(cookie, sizeof(cookie));
	return ret;
}

void wgm_cookie_add_mac_to_packet(void *message, size_t len, struct wgm_peer *peer)
{
	struct wgm_msg_macs *macs = (struct wgm_msg_macs *)((u8 *)message + len - sizeof(*macs));
	struct wgm_cookie *c = &peer->latest_cookie;

	down_write(&c->lock);
	wgm_mac1(macs->mac1, message, len, c->message_mac1_key);
	memcpy(c->last_mac1_sent, macs->mac1, WGM_MAC_BYTES);
	c->have_sent_mac1 = true;

	if (c->is_valid &&
	    !wgm_birthdate_has_expired(c->birthdate,
				       WGM_COOKIE_SECRET_MAX_AGE - WGM_COOKIE_SECRET_LATENCY))
		wgm_mac2(macs->mac2, message, len, c->cookie);
	else
		memset(macs->mac2, 0, WGM_MAC_BYTES);
	up_write(&c->lock);
}

/*
 * The cookie reply to the handshake message in @skb, whose sender called
 * it @index.  The reply seals the cookie for @skb's outer source under
 * our cookie key, bound to that message's mac1, so only the one who sent
 * this very message (and saw our public key) can open it.  The cookie key
 * is read without static_identity.lock, as the mac1 key is in
 * wgm_cookie_validate_packet(): a reply racing a key change cannot be
 * opened, as it could not be a moment later.
 */
void wgm_cookie_message_create(struct wgm_msg_handshake_cookie *dst, struct sk_buff *skb,
			       __le32 index, struct wgm_cookie_checker *checker)
{
	const u8 *their_mac1 = skb->data + skb->len - sizeof(struct wgm_msg_macs) +
			       offsetof(struct wgm_msg_macs, mac1);
	u8 cookie[WGM_COOKIE_BYTES];

	wgm_cookie_for_source(cookie, skb, checker);
	*dst = (struct wgm_msg_handshake_cookie) {
		.header.type = cpu_to_le32(WGM_MSG_HANDSHAKE_COOKIE),
		.receiver_index = index,
	};
	get_random_bytes(dst->nonce, sizeof(dst->nonce));
	xchacha20poly1305_encrypt(dst->encrypted_cookie, cookie, sizeof(cookie),
				  their_mac1, WGM_MAC_BYTES, dst->nonce,
				  checker->cookie_encryption_key);
	memzero_explicit(cookie, sizeof(cookie));
}

void wgm_cookie_message_consume(struct wgm_msg_handshake_cookie *src, struct wgm_device *wg)
{
	u8 cookie[WGM_COOKIE_BYTES];
	struct wgm_peer *peer;
	struct wgm_cookie *c;
	bool ok = false;

	if (!wgm_index_hashtable_lookup(wg->index_hashtable,
					WGM_INDEX_HANDSHAKE | WGM_INDEX_KEYPAIR,
					src->receiver_index, &peer))
		return;
	c = &peer->latest_cookie;

	down_read(&c->lock);
	/* only a reply to a message we sent, and only once */
	if (c->have_sent_mac1)
		ok = xchacha20poly1305_decrypt(cookie, src->encrypted_cookie,
					       sizeof(src->encrypted_cookie),
					       c->last_mac1_sent, WGM_MAC_BYTES, src->nonce,
					       c->cookie_decryption_key);
	up_read(&c->lock);

	if (ok) {
		down_write(&c->lock);
		memcpy(c->cookie, cookie, WGM_COOKIE_BYTES);
		c->birthdate = ktime_get_coarse_boottime_ns();
		c->is_valid = true;
		c->have_sent_mac1 = false;
		up_write(&c->lock);
	} else {
		net_dbg_ratelimited("%s: invalid cookie reply\n", wg->dev->name);
	}
	memzero_explicit(cookie, sizeof(cookie));
	wgm_peer_put(peer);
}
