/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wire formats and protocol constants: WireGuard's four message types
 * (from the protocol description) and wgmesh's probe messages.  Everything
 * on the wire is little-endian.
 */
#ifndef _WGM_MESSAGES_H
#define _WGM_MESSAGES_H

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/param.h>
#include <linux/skbuff.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <crypto/curve25519.h>
#include <crypto/chacha20poly1305.h>
#include <crypto/blake2s.h>

enum {
	WGM_KEY_BYTES = 32,			/* Curve25519 keys, PSK, symmetric keys */
	WGM_HASH_BYTES = BLAKE2S_HASH_SIZE,	/* 32 */
	WGM_AUTHTAG_BYTES = CHACHA20POLY1305_AUTHTAG_SIZE,	/* 16 */
	WGM_TIMESTAMP_BYTES = 12,		/* TAI64N */
	WGM_COOKIE_BYTES = 16,
	WGM_COOKIE_NONCE_BYTES = XCHACHA20POLY1305_NONCE_SIZE,	/* 24 */
	WGM_MAC_BYTES = 16,
};

#define wgm_encrypted_len(plain) ((plain) + WGM_AUTHTAG_BYTES)

/* Protocol timing and limits (seconds unless named otherwise). */
#define WGM_REKEY_AFTER_MESSAGES	BIT_ULL(60)
#define WGM_REJECT_AFTER_MESSAGES	(U64_MAX - 8192 - 1)
#define WGM_REKEY_TIMEOUT		5
#define WGM_REKEY_TIMEOUT_JITTER_MAX_JIFFIES	(HZ / 3)
#define WGM_REKEY_AFTER_TIME		120
#define WGM_REJECT_AFTER_TIME		180
#define WGM_KEEPALIVE_TIMEOUT		10
#define WGM_MAX_TIMER_HANDSHAKES	(90 / WGM_REKEY_TIMEOUT)
#define WGM_INITIATIONS_PER_SECOND	50
#define WGM_MAX_PEERS_PER_DEVICE	BIT(20)
#define WGM_MAX_ALLOWEDIPS_PER_DEVICE	BIT(22)
#define WGM_MAX_STAGED_PACKETS		128	/* per peer, waiting for a session */
#define WGM_MAX_QUEUED_HANDSHAKES	4096	/* per device */
#define WGM_COOKIE_SECRET_MAX_AGE	120
#define WGM_COOKIE_SECRET_LATENCY	5

enum wgm_message_type {
	WGM_MSG_INVALID = 0,
	WGM_MSG_HANDSHAKE_INITIATION = 1,
	WGM_MSG_HANDSHAKE_RESPONSE = 2,
	WGM_MSG_HANDSHAKE_COOKIE = 3,
	WGM_MSG_DATA = 4,
	/* wgmesh probes: see Documentation/probing.rst for the choice */
	WGM_MSG_PROBE_REQUEST = 0xE1,
	WGM_MSG_PROBE_REPLY = 0xE2,
	/* relay binds, sent only (Documentation/relay.rst) */
	WGM_MSG_RELAY_BIND = 0xE3,
};

/* Type in the low byte, three reserved zero bytes. */
struct wgm_msg_header {
	__le32 type;
};

struct wgm_msg_macs {
	u8 mac1[WGM_MAC_BYTES];
	u8 mac2[WGM_MAC_BYTES];
};

struct wgm_msg_handshake_initiation {
	struct wgm_msg_header header;
	__le32 sender_index;
	u8 unencrypted_ephemeral[WGM_KEY_BYTES];
	u8 encrypted_static[wgm_encrypted_len(WGM_KEY_BYTES)];
	u8 encrypted_timestamp[wgm_encrypted_len(WGM_TIMESTAMP_BYTES)];
	struct wgm_msg_macs macs;
} __packed;

struct wgm_msg_handshake_response {
	struct wgm_msg_header header;
	__le32 sender_index;
	__le32 receiver_index;
	u8 unencrypted_ephemeral[WGM_KEY_BYTES];
	u8 encrypted_nothing[wgm_encrypted_len(0)];
	struct wgm_msg_macs macs;
} __packed;

struct wgm_msg_handshake_cookie {
	struct wgm_msg_header header;
	__le32 receiver_index;
	u8 nonce[WGM_COOKIE_NONCE_BYTES];
	u8 encrypted_cookie[wgm_encrypted_len(WGM_COOKIE_BYTES)];
} __packed;

struct wgm_msg_data {
	struct wgm_msg_header header;
	__le32 key_idx;
	__le64 counter;
	u8 encrypted_data[];
} __packed;

static_assert(sizeof(struct wgm_msg_handshake_initiation) == 148);
static_assert(sizeof(struct wgm_msg_handshake_response) == 92);
static_assert(sizeof(struct wgm_msg_handshake_cookie) == 64);
static_assert(sizeof(struct wgm_msg_data) == 16);

#define WGM_DATA_MIN_LEN	(sizeof(struct wgm_msg_data) + wgm_encrypted_len(0))
#define WGM_DATA_PAD		16
/* Outer overhead on top of the inner packet, without IP/UDP headers. */
#define WGM_DATA_OVERHEAD	(sizeof(struct wgm_msg_data) + WGM_AUTHTAG_BYTES)

/* Room needed in front of an encrypted packet: outer IPv6 + UDP + data header. */
#define WGM_ENCAP_HEADROOM	(sizeof(struct ipv6hdr) + sizeof(struct udphdr) + \
				 sizeof(struct wgm_msg_data))

static inline enum wgm_message_type wgm_msg_type(const void *buf)
{
	return (enum wgm_message_type)le32_to_cpu(((const struct wgm_msg_header *)buf)->type);
}

#endif /* _WGM_MESSAGES_H */
