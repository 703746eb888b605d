/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s: the handshake state machine and
 * the session key pairs it produces.
 */
#ifndef _WGM_NOISE_H
#define _WGM_NOISE_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/rwsem.h>
#include <linux/kref.h>
#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/list_nulls.h>
#include "messages.h"
#include "replay.h"

struct wgm_peer;
struct wgm_device;
struct wgm_static_identity;

/* An entry of the device's index hashtable (peerlookup.h). */
enum wgm_index_type {
	WGM_INDEX_HANDSHAKE = 1U << 0,
	WGM_INDEX_KEYPAIR = 1U << 1,
};

struct wgm_index_entry {
	struct hlist_nulls_node index_hash;	/* under the table's lock */
	__le32 index;				/* our random 32-bit index; READ_ONCE */
	enum wgm_index_type type;
	struct wgm_peer *peer;			/* not a reference */
};

struct wgm_symkey {
	u8 key[WGM_KEY_BYTES];
	u64 birthdate;				/* ktime_get_coarse_boottime_ns() */
	bool is_valid;
};

/*
 * One session.  Freed through RCU when the last reference goes.  The
 * sending counter is atomic (any CPU may send); the replay window is
 * serialised by replay_lock (spin_lock_bh).
 */
struct wgm_keypair {
	struct wgm_index_entry entry;
	struct wgm_symkey sending;
	atomic64_t sending_counter;
	struct wgm_symkey receiving;
	spinlock_t replay_lock;			/* serialises @replay */
	struct wgm_replay replay;
	bool i_am_the_initiator;
	__le32 remote_index;
	u64 internal_id;
	struct kref refcount;
	struct rcu_head rcu;
};

/*
 * A peer's sessions, in three slots:
 *   LIVE     the one we send with;
 *   OLD      the one before it, still accepted on receive;
 *   PENDING  the responder's newest, not yet confirmed by the initiator's
 *            first data packet: received with, not sent with.
 * Readers use RCU; writers hold @lock, and a keypair changes slots only
 * through the helpers in noise.c.
 */
enum wgm_kp_slot {
	WGM_KP_OLD,
	WGM_KP_LIVE,
	WGM_KP_PENDING,
	WGM_KP_SLOTS
};

struct wgm_keypairs {
	struct wgm_keypair __rcu *slot[WGM_KP_SLOTS];
	spinlock_t lock;		/* writers of the slots */
};

enum wgm_handshake_state {
	WGM_HS_ZEROED,
	WGM_HS_CREATED_INITIATION,
	WGM_HS_CONSUMED_INITIATION,
	WGM_HS_CREATED_RESPONSE,
	WGM_HS_CONSUMED_RESPONSE,
};

/* Per-peer handshake state; every field is protected by @lock. */
struct wgm_handshake {
	struct wgm_index_entry entry;
	struct wgm_static_identity *static_identity;
	enum wgm_handshake_state state;
	u64 last_initiation_consumption;	/* ktime_get_coarse_boottime_ns() */
	u8 ephemeral_private[WGM_KEY_BYTES];
	u8 remote_static[WGM_KEY_BYTES];
	u8 remote_ephemeral[WGM_KEY_BYTES];
	u8 precomputed_static_static[WGM_KEY_BYTES];	/* DH(s_priv, S_pub) */
	u8 preshared_key[WGM_KEY_BYTES];
	u8 hash[WGM_HASH_BYTES];
	u8 chaining_key[WGM_HASH_BYTES];
	u8 latest_timestamp[WGM_TIMESTAMP_BYTES];
	__le32 remote_index;
	struct rw_semaphore lock;
};

void wgm_noise_init(void);		/* module init: precompute the protocol constants */
void wgm_noise_handshake_init(struct wgm_handshake *hs,
			      struct wgm_static_identity *static_identity,
			      const u8 peer_public_key[WGM_KEY_BYTES],
			      const u8 peer_preshared_key[WGM_KEY_BYTES],
			      struct wgm_peer *peer);
void wgm_noise_handshake_clear(struct wgm_handshake *hs);
/* after the device's or peer's key changed; takes hs->lock */
void wgm_noise_precompute_static_static(struct wgm_peer *peer);
/* must hold static_identity->lock for writing */
void wgm_noise_set_static_identity_private_key(struct wgm_static_identity *si,
					       const u8 private_key[WGM_KEY_BYTES]);

bool wgm_noise_handshake_create_initiation(struct wgm_msg_handshake_initiation *dst,
					   struct wgm_handshake *hs);
/* returns the peer with a reference held, or NULL */
struct wgm_peer *wgm_noise_handshake_consume_initiation(struct wgm_msg_handshake_initiation *src,
							struct wgm_device *wg);
bool wgm_noise_handshake_create_response(struct wgm_msg_handshake_response *dst,
					 struct wgm_handshake *hs);
/* returns the peer with a reference held, or NULL */
struct wgm_peer *wgm_noise_handshake_consume_response(struct wgm_msg_handshake_response *src,
						      struct wgm_device *wg);
/* derives the session keys into a new keypair (next or current) */
bool wgm_noise_handshake_begin_session(struct wgm_handshake *hs, struct wgm_keypairs *keypairs);

void wgm_keypairs_init(struct wgm_keypairs *kps);
/* empties every slot; the keypairs go once in-flight packets are done */
void wgm_keypairs_drop_all(struct wgm_keypairs *kps);
struct wgm_keypair *wgm_keypair_get(struct wgm_keypair *kp);	/* NULL if dying */
void wgm_keypair_put(struct wgm_keypair *kp);
/*
 * An authenticated data packet arrived on @kp.  If @kp is PENDING, this
 * packet is the initiator's confirmation: it goes LIVE.  Returns true
 * when that happened.
 */
bool wgm_keypairs_confirm(struct wgm_keypairs *kps, struct wgm_keypair *kp);
/* our key changed: no session may send any more, the next packet rekeys */
void wgm_noise_invalidate_sessions(struct wgm_peer *peer);

#endif /* _WGM_NOISE_H */
