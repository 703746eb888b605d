/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MAC1/MAC2 and cookie replies (the protocol's DoS mitigation).
 *
 * The checker belongs to the device (our side: verifying macs, issuing
 * cookies); a struct wgm_cookie belongs to each peer (their side: adding
 * macs to what we send them, remembering the cookie they gave us).
 */
#ifndef _WGM_COOKIE_H
#define _WGM_COOKIE_H

#include <linux/rwsem.h>
#include <linux/skbuff.h>
#include "messages.h"

struct wgm_device;
struct wgm_peer;

struct wgm_cookie_checker {
	u8 secret[WGM_HASH_BYTES];
	u8 cookie_encryption_key[WGM_KEY_BYTES];
	u8 message_mac1_key[WGM_KEY_BYTES];
	u64 secret_birthdate;			/* ktime_get_coarse_boottime_ns() */
	struct rw_semaphore secret_lock;
	struct wgm_device *device;
};

struct wgm_cookie {
	u64 birthdate;
	bool is_valid;
	u8 cookie[WGM_COOKIE_BYTES];
	bool have_sent_mac1;
	u8 last_mac1_sent[WGM_MAC_BYTES];
	u8 cookie_decryption_key[WGM_KEY_BYTES];
	u8 message_mac1_key[WGM_KEY_BYTES];
	struct rw_semaphore lock;
};

enum wgm_cookie_mac_state {
	WGM_COOKIE_INVALID_MAC,
	WGM_COOKIE_VALID_MAC_NO_COOKIE,
	WGM_COOKIE_VALID_MAC_COOKIE_RATELIMITED,
	WGM_COOKIE_VALID_MAC_WITH_COOKIE,
};

void wgm_cookie_checker_init(struct wgm_cookie_checker *checker, struct wgm_device *wg);
/* after the device's static identity changed; must hold static_identity.lock */
void wgm_cookie_checker_precompute_device_keys(struct wgm_cookie_checker *checker);
/* after a peer was created; derives its mac1/cookie keys from its public key */
void wgm_cookie_checker_precompute_peer_keys(struct wgm_peer *peer);
void wgm_cookie_init(struct wgm_cookie *cookie);

/*
 * @skb's data starts at the WireGuard message (UDP header pulled), its
 * network header is still the outer IP header (source address and port
 * feed the cookie).  With @check_cookie, mac2 is checked too and the
 * source is rate limited (wgm_ratelimiter_allow()).
 */
enum wgm_cookie_mac_state
wgm_cookie_validate_packet(struct wgm_cookie_checker *checker, struct sk_buff *skb,
			   bool check_cookie);
/* fills the trailing struct wgm_msg_macs of the @len bytes at @message */
void wgm_cookie_add_mac_to_packet(void *message, size_t len, struct wgm_peer *peer);
void wgm_cookie_message_create(struct wgm_msg_handshake_cookie *dst, struct sk_buff *skb,
			       __le32 index, struct wgm_cookie_checker *checker);
void wgm_cookie_message_consume(struct wgm_msg_handshake_cookie *src, struct wgm_device *wg);

#endif /* _WGM_COOKIE_H */
