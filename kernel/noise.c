// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake, as the WireGuard
 * protocol description specifies it, and the key pairs it yields.
 *
 * Notation in the comments follows Noise: "e", "s" are the ephemeral and
 * static keys, "es" a Diffie-Hellman between our ephemeral and their
 * static key, and so on; "ck" is the chaining key, "h" the transcript hash.
 *
 * Locking: static_identity->lock is taken before handshake->lock (see
 * device.h for the full order).  Key pair pointers are changed only under
 * keypairs->lock (spin_lock_bh) and read under RCU.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/rcupdate.h>
#include <crypto/algapi.h>
#include <crypto/blake2s.h>
#include <crypto/curve25519.h>
#include <crypto/chacha20poly1305.h>

#include "compat.h"
#include "noise.h"
#include "peer.h"
#include "device.h"
#include "peerlookup.h"
#include "timers.h"

static const char wgm_noise_construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char wgm_noise_identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

/* HASH(construction) and HASH(HASH(construction) || identifier) */
static u8 wgm_initial_ck[WGM_HASH_BYTES] __ro_after_init;
static u8 wgm_initial_h[WGM_HASH_BYTES] __ro_after_init;

static atomic64_t wgm_keypair_ids = ATOMIC64_INIT(0);

void __init wgm_noise_init(void)
{
	struct blake2s_state st;

	blake2s(wgm_initial_ck, wgm_noise_construction, NULL, WGM_HASH_BYTES,
		sizeof(wgm_noise_construction) - 1, 0);
	blake2s_init(&st, WGM_HASH_BYTES);
	blake2s_update(&st, wgm_initial_ck, WGM_HASH_BYTES);
	blake2s_update(&st, wgm_noise_identifier, sizeof(wgm_noise_identifier) - 1);
	blake2s_final(&st, wgm_initial_h);
}

/* ---- symmetric primitives ------------------------------------------- */

/* h = HASH(h || data) */
static void wgm_mix_hash(u8 h[WGM_HASH_BYTES], const u8 *data, size_t len)
{
	struct blake2s_state st;

	blake2s_init(&st, WGM_HASH_BYTES);
	blake2s_update(&st, h, WGM_HASH_BYTES);
	blake2s_update(&st, data, len);
	blake2s_final(&st, h);
}

/*
 * HMAC (RFC 2104) over BLAKE2s with a 32-byte key.  @out may alias @in:
 * it is only written once the input has been consumed.
 */
static void wgm_hmac(u8 out[WGM_HASH_BYTES], const u8 *in, size_t in_len,
		     const u8 key[WGM_HASH_BYTES])
{
	u8 pad[BLAKE2S_BLOCK_SIZE];
	u8 inner[WGM_HASH_BYTES];
	struct blake2s_state st;
	unsigned int i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, WGM_HASH_BYTES);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	blake2s_init(&st, WGM_HASH_BYTES);
	blake2s_update(&st, pad, sizeof(pad));
	blake2s_update(&st, in, in_len);
	blake2s_final(&st, inner);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	blake2s_init(&st, WGM_HASH_BYTES);
	blake2s_update(&st, pad, sizeof(pad));
	blake2s_update(&st, inner, sizeof(inner));
	blake2s_final(&st, out);

	memzero_explicit(pad, sizeof(pad));
	memzero_explicit(inner, sizeof(inner));
}

/*
 * HKDF with HMAC-BLAKE2s, one to three 32-byte outputs:
 *   prk = HMAC(ck, data); T1 = HMAC(prk, 0x01); Tn = HMAC(prk, Tn-1 || n).
 * Any output may alias @ck.  Unwanted outputs are NULL (from the end).
 */
static void wgm_kdf(u8 *out1, u8 *out2, u8 *out3, const u8 *data, size_t len,
		    const u8 ck[WGM_HASH_BYTES])
{
	u8 prk[WGM_HASH_BYTES];
	u8 t[WGM_HASH_BYTES + 1];

	wgm_hmac(prk, data, len, ck);

	t[0] = 1;
	wgm_hmac(t, t, 1, prk);
	memcpy(out1, t, WGM_HASH_BYTES);
	if (!out2)
		goto out;

	t[WGM_HASH_BYTES] = 2;
	wgm_hmac(t, t, WGM_HASH_BYTES + 1, prk);
	memcpy(out2, t, WGM_HASH_BYTES);
	if (!out3)
		goto out;

	t[WGM_HASH_BYTES] = 3;
	wgm_hmac(t, t, WGM_HASH_BYTES + 1, prk);
	memcpy(out3, t, WGM_HASH_BYTES);
out:
	memzero_explicit(prk, sizeof(prk));
	memzero_explicit(t, sizeof(t));
}

/* (ck, key) = KDF2(ck, DH(priv, pub)); @key may be NULL (KDF1). */
static bool __must_check wgm_mix_dh(u8 ck[WGM_HASH_BYTES], u8 *key,
				    const u8 priv[WGM_KEY_BYTES],
				    const u8 pub[WGM_KEY_BYTES])
{
	u8 shared[WGM_KEY_BYTES];

	if (unlikely(!curve25519(shared, priv, pub))) {
		memzero_explicit(shared, sizeof(shared));
		return false;
	}
	wgm_kdf(ck, key, NULL, shared, sizeof(shared), ck);
	memzero_explicit(shared, sizeof(shared));
	return true;
}

/* Same with the static-static result computed ahead of time. */
static bool __must_check wgm_mix_precomputed_dh(u8 ck[WGM_HASH_BYTES], u8 key[WGM_KEY_BYTES],
						const u8 precomputed[WGM_KEY_BYTES])
{
	static const u8 zero[WGM_KEY_BYTES];

	if (unlikely(!crypto_memneq(precomputed, zero, WGM_KEY_BYTES)))
		return false;
	wgm_kdf(ck, key, NULL, precomputed, WGM_KEY_BYTES, ck);
	return true;
}

/* (ck, tau, key) = KDF3(ck, psk); h = HASH(h || tau) */
static void wgm_mix_psk(u8 ck[WGM_HASH_BYTES], u8 h[WGM_HASH_BYTES],
			u8 key[WGM_KEY_BYTES], const u8 psk[WGM_KEY_BYTES])
{
	u8 tau[WGM_HASH_BYTES];

	wgm_kdf(ck, tau, key, psk, WGM_KEY_BYTES, ck);
	wgm_mix_hash(h, tau, sizeof(tau));
	memzero_explicit(tau, sizeof(tau));
}

/* dst = AEAD(key, 0, src, h); h = HASH(h || dst) */
static void wgm_seal(u8 *dst, const u8 *src, size_t len, const u8 key[WGM_KEY_BYTES],
		     u8 h[WGM_HASH_BYTES])
{
	chacha20poly1305_encrypt(dst, src, len, h, WGM_HASH_BYTES, 0, key);
	wgm_mix_hash(h, dst, wgm_encrypted_len(len));
}

/* dst = AEAD-open(key, 0, src, h); h = HASH(h || src) */
static bool __must_check wgm_open(u8 *dst, const u8 *src, size_t src_len,
				  const u8 key[WGM_KEY_BYTES], u8 h[WGM_HASH_BYTES])
{
	if (!chacha20poly1305_decrypt(dst, src, src_len, h, WGM_HASH_BYTES, 0, key))
		return false;
	wgm_mix_hash(h, src, src_len);
	return true;
}

/* The ephemeral public key: h = HASH(h || e), ck = KDF1(ck, e). */
static void wgm_mix_ephemeral(const u8 e[WGM_KEY_BYTES], u8 ck[WGM_HASH_BYTES],
			      u8 h[WGM_HASH_BYTES])
{
	wgm_mix_hash(h, e, WGM_KEY_BYTES);
	wgm_kdf(ck, NULL, NULL, e, WGM_KEY_BYTES, ck);
}

/* ck = HASH(construction); h = HASH(ck || identifier); h = HASH(h || S_resp) */
static void wgm_start_transcript(u8 ck[WGM_HASH_BYTES], u8 h[WGM_HASH_BYTES],
				 const u8 responder_static[WGM_KEY_BYTES])
{
	memcpy(ck, wgm_initial_ck, WGM_HASH_BYTES);
	memcpy(h, wgm_initial_h, WGM_HASH_BYTES);
	wgm_mix_hash(h, responder_static, WGM_KEY_BYTES);
}

/*
 * TAI64N: big-endian (2^62 + 10 + seconds since the epoch) followed by
 * big-endian nanoseconds (the 10 is the TAI-UTC offset of the TAI64
 * convention, which the other implementations use too).  Nanoseconds are
 * rounded down to a power of two just under 1/WGM_INITIATIONS_PER_SECOND
 * so the timestamp does not reveal fine-grained timing.
 */
static void wgm_tai64n_now(u8 out[WGM_TIMESTAMP_BYTES])
{
	const u32 grain = rounddown_pow_of_two(NSEC_PER_SEC / WGM_INITIATIONS_PER_SECOND);
	struct timespec64 now;

	ktime_get_real_ts64(&now);
	put_unaligned_be64(0x400000000000000aULL + (u64)now.tv_sec, out);
	put_unaligned_be32(round_down((u32)now.tv_nsec, grain), out + 8);
}

/* ---- static identity and per-peer handshake state --------------------- */

/* Must hold hs->lock for writing. */
static void wgm_handshake_zero(struct wgm_handshake *hs)
{
	lockdep_assert_held_write(&hs->lock);
	memzero_explicit(hs->ephemeral_private, WGM_KEY_BYTES);
	memset(hs->remote_ephemeral, 0, WGM_KEY_BYTES);
	memzero_explicit(hs->hash, WGM_HASH_BYTES);
	memzero_explicit(hs->chaining_key, WGM_HASH_BYTES);
	hs->remote_index = 0;
	hs->state = WGM_HS_ZEROED;
}

/*
 * Must hold hs->lock for writing; the static identity must not change
 * meanwhile (its lock or device_update_lock is held by the caller).
 */
static void wgm_handshake_precompute_ss(struct wgm_handshake *hs)
{
	struct wgm_static_identity *si = hs->static_identity;

	lockdep_assert_held_write(&hs->lock);
	if (!si->has_identity ||
	    !curve25519(hs->precomputed_static_static, si->static_private, hs->remote_static))
		memzero_explicit(hs->precomputed_static_static, WGM_KEY_BYTES);
}

/*
 * A new peer's handshake: nothing in progress yet, so besides the keys it
 * only needs its index entry (typed, pointing back at @peer), the identity
 * it answers for and its lock.  Without a preshared key the protocol uses
 * 32 zero bytes, which is what the literal below leaves there.
 */
void wgm_noise_handshake_init(struct wgm_handshake *hs,
			      struct wgm_static_identity *static_identity,
			      const u8 peer_public_key[WGM_KEY_BYTES],
			      const u8 peer_preshared_key[WGM_KEY_BYTES],
			      struct wgm_peer *peer)
{
	*hs = (struct wgm_handshake){
		.entry = { .type = WGM_INDEX_HANDSHAKE, .peer = peer },
		.static_identity = static_identity,
		.state = WGM_HS_ZEROED,
	};
	init_rwsem(&hs->lock);
	memcpy(hs->remote_static, peer_public_key, sizeof(hs->remote_static));
	if (peer_preshared_key)
		memcpy(hs->preshared_key, peer_preshared_key, sizeof(hs->preshared_key));

	/* nobody else can see @hs yet; the lock is for the assertion */
	down_write(&hs->lock);
	wgm_handshake_precompute_ss(hs);
	up_write(&hs->lock);
}

/*
 * The entry goes into the index table only in the create_* functions,
 * with hs->lock held for writing; it leaves it here under the same lock.
 * So once this ran for a peer marked dead, nothing puts it back (see
 * wgm_handshake_peer_gone()).
 */
void wgm_noise_handshake_clear(struct wgm_handshake *hs)
{
	down_write(&hs->lock);
	wgm_index_hashtable_remove(hs->entry.peer->device->index_hashtable, &hs->entry);
	wgm_handshake_zero(hs);
	up_write(&hs->lock);
}

/*
 * Must hold hs->lock for writing.  Removal marks the peer dead before it
 * clears the handshake under this lock, so a handshake step that takes the
 * lock afterwards sees the mark here and must commit nothing: above all it
 * must not hash the entry again, or the index table would keep pointing
 * into the peer after it is freed.
 */
static bool wgm_handshake_peer_gone(struct wgm_handshake *hs)
{
	lockdep_assert_held_write(&hs->lock);
	return READ_ONCE(hs->entry.peer->is_dead);
}

/*
 * The caller keeps the static identity stable (holds static_identity.lock
 * or device_update_lock, under which it is changed).
 */
void wgm_noise_precompute_static_static(struct wgm_peer *peer)
{
	down_write(&peer->handshake.lock);
	wgm_handshake_precompute_ss(&peer->handshake);
	up_write(&peer->handshake.lock);
}

/* Must hold si->lock for writing.  An all-zero key removes the identity. */
void wgm_noise_set_static_identity_private_key(struct wgm_static_identity *si,
					       const u8 private_key[WGM_KEY_BYTES])
{
	static const u8 zero[WGM_KEY_BYTES];

	lockdep_assert_held_write(&si->lock);
	if (!crypto_memneq(private_key, zero, WGM_KEY_BYTES))
		goto err_no_key;
	memcpy(si->static_private, private_key, WGM_KEY_BYTES);
	curve25519_clamp_secret(si->static_private);
	si->has_identity = curve25519_generate_public(si->static_public, si->static_private);
	if (si->has_identity)
		return;
err_no_key:
	memzero_explicit(si->static_private, WGM_KEY_BYTES);
	memset(si->static_public, 0, WGM_KEY_BYTES);
	si->has_identity = false;
}

/* ---- key pairs ------------------------------------------------------- */

/*
 * A keypair lives in one of a peer's three slots (noise.h) and in the
 * device's index table, and is freed after a grace period once the last
 * reference (slot or in-flight packet) is gone.
 */
static void wgm_keypair_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct wgm_keypair, rcu));
}

static void wgm_keypair_unhash(struct wgm_keypair *kp)
{
	wgm_index_hashtable_remove(kp->entry.peer->device->index_hashtable, &kp->entry);
}

static void wgm_keypair_last_put(struct kref *kref)
{
	struct wgm_keypair *kp = container_of(kref, struct wgm_keypair, refcount);

	wgm_keypair_unhash(kp);
	call_rcu(&kp->rcu, wgm_keypair_free_rcu);
}

void wgm_keypair_put(struct wgm_keypair *kp)
{
	if (kp)
		kref_put(&kp->refcount, wgm_keypair_last_put);
}

/*
 * A keypair leaving its slot: unhashed at once, so that no packet that
 * arrives from now on decrypts with it, even while packets already in
 * flight hold references to it.
 */
static void wgm_keypair_retire(struct wgm_keypair *kp)
{
	if (!kp)
		return;
	wgm_keypair_unhash(kp);
	wgm_keypair_put(kp);
}

/* Must be in an RCU read-side section that found @kp. */
struct wgm_keypair *wgm_keypair_get(struct wgm_keypair *kp)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_bh_held() && !rcu_read_lock_held(),
			 "keypair taken outside RCU");
	if (likely(kp && kref_get_unless_zero(&kp->refcount)))
		return kp;
	return NULL;
}

void wgm_keypairs_init(struct wgm_keypairs *kps)
{
	int i;

	for (i = 0; i < WGM_KP_SLOTS; i++)
		RCU_INIT_POINTER(kps->slot[i], NULL);
	spin_lock_init(&kps->lock);
}

/* Must hold kps->lock. */
static struct wgm_keypair *wgm_slot_peek(struct wgm_keypairs *kps, enum wgm_kp_slot s)
{
	return rcu_dereference_protected(kps->slot[s], lockdep_is_held(&kps->lock));
}

/* Must hold kps->lock.  Empties slot @s; its reference passes to the caller. */
static struct wgm_keypair *wgm_slot_take(struct wgm_keypairs *kps, enum wgm_kp_slot s)
{
	struct wgm_keypair *kp = wgm_slot_peek(kps, s);

	RCU_INIT_POINTER(kps->slot[s], NULL);
	return kp;
}

void wgm_keypairs_drop_all(struct wgm_keypairs *kps)
{
	int i;

	spin_lock_bh(&kps->lock);
	for (i = WGM_KP_SLOTS - 1; i >= 0; i--)
		wgm_keypair_retire(wgm_slot_take(kps, i));
	spin_unlock_bh(&kps->lock);
}

void wgm_noise_invalidate_sessions(struct wgm_peer *peer)
{
	struct wgm_keypairs *kps = &peer->keypairs;
	struct wgm_keypair *kp;

	wgm_noise_handshake_clear(&peer->handshake);
	/* let the next data packet trigger a handshake right away */
	atomic64_set(&peer->last_sent_handshake, ktime_get_coarse_boottime_ns() -
		     (u64)(WGM_REKEY_TIMEOUT + 1) * NSEC_PER_SEC);

	/* still good for receiving what the peer already sent; never for sending */
	spin_lock_bh(&kps->lock);
	kp = wgm_slot_peek(kps, WGM_KP_LIVE);
	if (kp)
		WRITE_ONCE(kp->sending.is_valid, false);
	kp = wgm_slot_peek(kps, WGM_KP_PENDING);
	if (kp)
		WRITE_ONCE(kp->sending.is_valid, false);
	spin_unlock_bh(&kps->lock);
}

/*
 * Must hold kps->lock.  @incoming goes LIVE and @to_old (the slots'
 * reference passes with it) goes OLD; what OLD held is retired.  LIVE is
 * never empty in between: a sender under RCU sees the old or the new one.
 */
static void wgm_slots_shift(struct wgm_keypairs *kps, struct wgm_keypair *incoming,
			    struct wgm_keypair *to_old)
{
	struct wgm_keypair *gone = wgm_slot_peek(kps, WGM_KP_OLD);

	rcu_assign_pointer(kps->slot[WGM_KP_OLD], to_old);
	rcu_assign_pointer(kps->slot[WGM_KP_LIVE], incoming);
	wgm_keypair_retire(gone);
}

/*
 * A finished handshake's keypair.  The responder may not send with it
 * before the initiator has (its first data packet confirms the session),
 * so it waits as PENDING.  The initiator's is confirmed by the response
 * itself and goes LIVE at once.  If a PENDING keypair (from a handshake
 * the peer started meanwhile) is still unconfirmed, the peer may yet send
 * with it: that is the one kept as OLD, and the live one goes.
 */
static void wgm_keypairs_add(struct wgm_keypairs *kps, struct wgm_keypair *kp)
{
	struct wgm_keypair *pending, *live;

	spin_lock_bh(&kps->lock);
	pending = wgm_slot_take(kps, WGM_KP_PENDING);
	if (!kp->i_am_the_initiator) {
		rcu_assign_pointer(kps->slot[WGM_KP_PENDING], kp);
		wgm_keypair_retire(pending);
	} else {
		live = wgm_slot_peek(kps, WGM_KP_LIVE);
		if (pending) {
			wgm_slots_shift(kps, kp, pending);
			wgm_keypair_retire(live);
		} else {
			wgm_slots_shift(kps, kp, live);
		}
	}
	spin_unlock_bh(&kps->lock);
}

bool wgm_keypairs_confirm(struct wgm_keypairs *kps, struct wgm_keypair *kp)
{
	bool promoted = false;

	/* the common case, every data packet: not the pending one */
	if (likely(rcu_access_pointer(kps->slot[WGM_KP_PENDING]) != kp))
		return false;

	spin_lock_bh(&kps->lock);
	if (wgm_slot_peek(kps, WGM_KP_PENDING) == kp) {
		wgm_slot_take(kps, WGM_KP_PENDING);
		wgm_slots_shift(kps, kp, wgm_slot_peek(kps, WGM_KP_LIVE));
		promoted = true;
	}
	spin_unlock_bh(&kps->lock);
	return promoted;
}

/* ---- the handshake messages ------------------------------------------ */

/*
 * Must hold hs->lock for writing.  A message from the peer checked out
 * on a private copy of the transcript: that copy (their ephemeral key,
 * chaining key, hash and sender index) becomes the handshake's state.
 */
static void wgm_handshake_adopt(struct wgm_handshake *hs, enum wgm_handshake_state state,
				const u8 their_e[WGM_KEY_BYTES], const u8 ck[WGM_HASH_BYTES],
				const u8 h[WGM_HASH_BYTES], __le32 their_index)
{
	lockdep_assert_held_write(&hs->lock);
	memcpy(hs->remote_ephemeral, their_e, sizeof(hs->remote_ephemeral));
	memcpy(hs->chaining_key, ck, sizeof(hs->chaining_key));
	memcpy(hs->hash, h, sizeof(hs->hash));
	hs->remote_index = their_index;
	hs->state = state;
}

bool wgm_noise_handshake_create_initiation(struct wgm_msg_handshake_initiation *dst,
					   struct wgm_handshake *hs)
{
	struct wgm_static_identity *si = hs->static_identity;
	u8 timestamp[WGM_TIMESTAMP_BYTES];
	u8 key[WGM_KEY_BYTES];
	bool ret = false;

	down_read(&si->lock);
	down_write(&hs->lock);
	if (unlikely(!si->has_identity || wgm_handshake_peer_gone(hs)))
		goto out;

	dst->header.type = cpu_to_le32(WGM_MSG_HANDSHAKE_INITIATION);
	wgm_start_transcript(hs->chaining_key, hs->hash, hs->remote_static);

	/* e */
	curve25519_generate_secret(hs->ephemeral_private);
	if (!curve25519_generate_public(dst->unencrypted_ephemeral, hs->ephemeral_private))
		goto out;
	wgm_mix_ephemeral(dst->unencrypted_ephemeral, hs->chaining_key, hs->hash);

	/* es */
	if (!wgm_mix_dh(hs->chaining_key, key, hs->ephemeral_private, hs->remote_static))
		goto out;

	/* s */
	wgm_seal(dst->encrypted_static, si->static_public, WGM_KEY_BYTES, key, hs->hash);

	/* ss */
	if (!wgm_mix_precomputed_dh(hs->chaining_key, key, hs->precomputed_static_static))
		goto out;

	/* {t} */
	wgm_tai64n_now(timestamp);
	wgm_seal(dst->encrypted_timestamp, timestamp, WGM_TIMESTAMP_BYTES, key, hs->hash);

	dst->sender_index = wgm_index_hashtable_insert(hs->entry.peer->device->index_hashtable,
						       &hs->entry);
	hs->state = WGM_HS_CREATED_INITIATION;
	ret = true;
out:
	if (!ret)
		wgm_handshake_zero(hs);
	up_write(&hs->lock);
	up_read(&si->lock);
	memzero_explicit(key, sizeof(key));
	return ret;
}

struct wgm_peer *wgm_noise_handshake_consume_initiation(struct wgm_msg_handshake_initiation *src,
							struct wgm_device *wg)
{
	struct wgm_static_identity *si = &wg->static_identity;
	struct wgm_peer *peer = NULL, *ret = NULL;
	u8 ck[WGM_HASH_BYTES], h[WGM_HASH_BYTES];
	u8 s[WGM_KEY_BYTES], e[WGM_KEY_BYTES];
	u8 key[WGM_KEY_BYTES], ss[WGM_KEY_BYTES];
	u8 t[WGM_TIMESTAMP_BYTES];
	struct wgm_handshake *hs;
	bool replay, flood;
	u64 now;

	down_read(&si->lock);
	if (unlikely(!si->has_identity))
		goto out;

	wgm_start_transcript(ck, h, si->static_public);

	/* e */
	memcpy(e, src->unencrypted_ephemeral, WGM_KEY_BYTES);
	wgm_mix_ephemeral(e, ck, h);

	/* es */
	if (!wgm_mix_dh(ck, key, si->static_private, e))
		goto out;

	/* s */
	if (!wgm_open(s, src->encrypted_static, sizeof(src->encrypted_static), key, h))
		goto out;

	peer = wgm_pubkey_hashtable_lookup(wg->peer_hashtable, s);
	if (!peer)
		goto out;
	hs = &peer->handshake;

	/* ss */
	down_read(&hs->lock);
	memcpy(ss, hs->precomputed_static_static, WGM_KEY_BYTES);
	up_read(&hs->lock);
	if (!wgm_mix_precomputed_dh(ck, key, ss))
		goto out;

	/* {t} */
	if (!wgm_open(t, src->encrypted_timestamp, sizeof(src->encrypted_timestamp), key, h))
		goto out;

	/* Authenticated: now the replay and flood checks, then commit. */
	down_write(&hs->lock);
	now = ktime_get_coarse_boottime_ns();
	replay = memcmp(t, hs->latest_timestamp, WGM_TIMESTAMP_BYTES) <= 0;
	flood = hs->last_initiation_consumption &&
		now - hs->last_initiation_consumption <
		NSEC_PER_SEC / WGM_INITIATIONS_PER_SECOND;
	if (replay || flood || wgm_handshake_peer_gone(hs)) {
		up_write(&hs->lock);
		goto out;
	}
	memcpy(hs->latest_timestamp, t, WGM_TIMESTAMP_BYTES);
	hs->last_initiation_consumption = now;
	wgm_handshake_adopt(hs, WGM_HS_CONSUMED_INITIATION, e, ck, h, src->sender_index);
	up_write(&hs->lock);
	ret = peer;

out:
	up_read(&si->lock);
	memzero_explicit(key, sizeof(key));
	memzero_explicit(ss, sizeof(ss));
	memzero_explicit(ck, sizeof(ck));
	memzero_explicit(h, sizeof(h));
	memzero_explicit(t, sizeof(t));
	if (!ret && peer)
		wgm_peer_put(peer);
	return ret;
}

bool wgm_noise_handshake_create_response(struct wgm_msg_handshake_response *dst,
					 struct wgm_handshake *hs)
{
	struct wgm_static_identity *si = hs->static_identity;
	u8 key[WGM_KEY_BYTES];
	bool ret = false;

	down_read(&si->lock);
	down_write(&hs->lock);
	if (hs->state != WGM_HS_CONSUMED_INITIATION || wgm_handshake_peer_gone(hs))
		goto out;

	dst->header.type = cpu_to_le32(WGM_MSG_HANDSHAKE_RESPONSE);
	dst->receiver_index = hs->remote_index;

	/* e */
	curve25519_generate_secret(hs->ephemeral_private);
	if (!curve25519_generate_public(dst->unencrypted_ephemeral, hs->ephemeral_private))
		goto out;
	wgm_mix_ephemeral(dst->unencrypted_ephemeral, hs->chaining_key, hs->hash);

	/* ee */
	if (!wgm_mix_dh(hs->chaining_key, NULL, hs->ephemeral_private, hs->remote_ephemeral))
		goto out;

	/* se */
	if (!wgm_mix_dh(hs->chaining_key, NULL, hs->ephemeral_private, hs->remote_static))
		goto out;

	/* psk */
	wgm_mix_psk(hs->chaining_key, hs->hash, key, hs->preshared_key);

	/* {} */
	wgm_seal(dst->encrypted_nothing, NULL, 0, key, hs->hash);

	dst->sender_index = wgm_index_hashtable_insert(hs->entry.peer->device->index_hashtable,
						       &hs->entry);
	hs->state = WGM_HS_CREATED_RESPONSE;
	ret = true;
out:
	if (!ret)
		wgm_handshake_zero(hs);
	up_write(&hs->lock);
	up_read(&si->lock);
	memzero_explicit(key, sizeof(key));
	return ret;
}

struct wgm_peer *wgm_noise_handshake_consume_response(struct wgm_msg_handshake_response *src,
						      struct wgm_device *wg)
{
	struct wgm_static_identity *si = &wg->static_identity;
	u8 ck[WGM_HASH_BYTES], h[WGM_HASH_BYTES];
	u8 epriv[WGM_KEY_BYTES], psk[WGM_KEY_BYTES];
	u8 e[WGM_KEY_BYTES], key[WGM_KEY_BYTES];
	struct wgm_peer *peer = NULL, *ret = NULL;
	enum wgm_handshake_state state;
	struct wgm_handshake *hs;

	if (!wgm_index_hashtable_lookup(wg->index_hashtable, WGM_INDEX_HANDSHAKE,
					src->receiver_index, &peer))
		return NULL;
	hs = &peer->handshake;

	down_read(&si->lock);
	down_read(&hs->lock);
	state = hs->state;
	memcpy(ck, hs->chaining_key, WGM_HASH_BYTES);
	memcpy(h, hs->hash, WGM_HASH_BYTES);
	memcpy(epriv, hs->ephemeral_private, WGM_KEY_BYTES);
	memcpy(psk, hs->preshared_key, WGM_KEY_BYTES);
	up_read(&hs->lock);

	if (state != WGM_HS_CREATED_INITIATION || unlikely(!si->has_identity))
		goto out;

	/* e */
	memcpy(e, src->unencrypted_ephemeral, WGM_KEY_BYTES);
	wgm_mix_ephemeral(e, ck, h);

	/* ee */
	if (!wgm_mix_dh(ck, NULL, epriv, e))
		goto out;

	/* se */
	if (!wgm_mix_dh(ck, NULL, si->static_private, e))
		goto out;

	/* psk */
	wgm_mix_psk(ck, h, key, psk);

	/* {} */
	if (!wgm_open(NULL, src->encrypted_nothing, sizeof(src->encrypted_nothing), key, h))
		goto out;

	down_write(&hs->lock);
	/* Another initiation may have replaced ours meanwhile. */
	if (hs->state != WGM_HS_CREATED_INITIATION ||
	    hs->entry.index != src->receiver_index || wgm_handshake_peer_gone(hs)) {
		up_write(&hs->lock);
		goto out;
	}
	wgm_handshake_adopt(hs, WGM_HS_CONSUMED_RESPONSE, e, ck, h, src->sender_index);
	up_write(&hs->lock);
	ret = peer;

out:
	up_read(&si->lock);
	memzero_explicit(ck, sizeof(ck));
	memzero_explicit(h, sizeof(h));
	memzero_explicit(epriv, sizeof(epriv));
	memzero_explicit(psk, sizeof(psk));
	memzero_explicit(key, sizeof(key));
	if (!ret)
		wgm_peer_put(peer);
	return ret;
}

/* (first, second) = KDF2(ck, empty) */
static void wgm_derive_session(struct wgm_symkey *first, struct wgm_symkey *second,
			       const u8 ck[WGM_HASH_BYTES])
{
	u64 now = ktime_get_coarse_boottime_ns();

	wgm_kdf(first->key, second->key, NULL, NULL, 0, ck);
	first->birthdate = now;
	second->birthdate = now;
	first->is_valid = true;
	second->is_valid = true;
}

bool wgm_noise_handshake_begin_session(struct wgm_handshake *hs, struct wgm_keypairs *keypairs)
{
	struct wgm_peer *peer = hs->entry.peer;
	struct wgm_keypair *kp;
	bool ret = false;

	down_write(&hs->lock);
	if (hs->state != WGM_HS_CREATED_RESPONSE && hs->state != WGM_HS_CONSUMED_RESPONSE)
		goto out;

	kp = kzalloc(sizeof(*kp), GFP_KERNEL);
	if (!kp)
		goto out;
	kp->entry.type = WGM_INDEX_KEYPAIR;
	kp->entry.peer = peer;
	atomic64_set(&kp->sending_counter, 0);
	spin_lock_init(&kp->replay_lock);
	wgm_replay_init(&kp->replay);
	kref_init(&kp->refcount);
	kp->internal_id = atomic64_inc_return(&wgm_keypair_ids);
	kp->remote_index = hs->remote_index;
	/* the initiator sends with the first output */
	kp->i_am_the_initiator = hs->state == WGM_HS_CONSUMED_RESPONSE;
	if (kp->i_am_the_initiator)
		wgm_derive_session(&kp->sending, &kp->receiving, hs->chaining_key);
	else
		wgm_derive_session(&kp->receiving, &kp->sending, hs->chaining_key);

	/*
	 * Under RCU: removal sets is_dead, waits for a grace period, then
	 * clears the key pairs.  Seeing is_dead false here means that clear
	 * comes after this install and takes the new key pair away too.
	 */
	rcu_read_lock_bh();
	if (likely(!READ_ONCE(peer->is_dead)) &&
	    wgm_index_hashtable_replace(peer->device->index_hashtable, &hs->entry, &kp->entry)) {
		wgm_keypairs_add(keypairs, kp);
		ret = true;
	}
	rcu_read_unlock_bh();
	if (!ret) {
		/* never published */
		kfree_sensitive(kp);
		/* and the handshake's entry must not stay behind for a dead peer */
		wgm_index_hashtable_remove(peer->device->index_hashtable, &hs->entry);
	}
	wgm_handshake_zero(hs);
out:
	up_write(&hs->lock);
	return ret;
}
