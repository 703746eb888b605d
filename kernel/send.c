// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transmit path: handshake messages, and transport data packets encrypted
 * in place under the peer's current session.
 *
 * Inner packets wait on peer->staged_packet_queue (bounded by the device's
 * xmit).  wgm_packet_send_staged() moves them, in order, to the peer's
 * tx_queue and the CPUs' encryption rings when a usable session exists,
 * or asks for a handshake otherwise; the packets then stay staged until
 * the handshake completes and someone (the initiator's keepalive, the
 * responder's rotation) calls it again.  Whoever finishes encrypting a
 * packet sends the finished ones at the head of tx_queue (crypt.h).
 *
 * Work items (transmit_handshake_work) hold a peer reference while
 * queued, taken with wgm_peer_get_maybe_zero() under rcu_read_lock_bh()
 * after checking is_dead.
 */

#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/scatterlist.h>
#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/timekeeping.h>
#include <net/inet_ecn.h>
#include <net/dsfield.h>
#include <crypto/chacha20poly1305.h>

#include "compat.h"
#include "queueing.h"
#include "messages.h"
#include "device.h"
#include "peer.h"
#include "noise.h"
#include "cookie.h"
#include "socket.h"
#include "timers.h"
#include "crypt.h"

/* Scatterlist entries for one packet: its fragments plus head and trailer. */
#define WGM_SEND_MAX_SG	(MAX_SKB_FRAGS + 8)

/* Takes a peer reference for the work item; false if the peer is dying. */
static bool wgm_queue_peer_work(struct wgm_peer *peer, struct workqueue_struct *wq,
				struct work_struct *work)
{
	bool queued = false;

	rcu_read_lock_bh();
	if (likely(!READ_ONCE(peer->is_dead)) && wgm_peer_get_maybe_zero(peer)) {
		queued = queue_work(wq, work);
		if (!queued)
			wgm_peer_put(peer);	/* already pending with its own */
	}
	rcu_read_unlock_bh();
	return queued;
}

/* Stamps the time a handshake message went (or was attempted). */
static void wgm_stamp_handshake_sent(struct wgm_peer *peer)
{
	atomic64_set(&peer->last_sent_handshake, ktime_get_coarse_boottime_ns());
}

/*
 * Puts a finished handshake message (mac1/mac2 added) on the wire; it is
 * authenticated traffic for the timers like any other.
 */
static void wgm_transmit_handshake_msg(struct wgm_peer *peer, void *msg, size_t len)
{
	wgm_timers_any_authenticated_packet_traversal(peer);
	wgm_timers_any_authenticated_packet_sent(peer);
	wgm_stamp_handshake_sent(peer);
	wgm_socket_send_buffer_to_peer(peer, msg, len, 0);
}

/*
 * peer->transmit_handshake_work: builds and sends one initiation, then
 * drops the reference the queueing took.  The attempt is stamped before
 * the message is built, so that a failure to build one (no private key)
 * still waits REKEY_TIMEOUT before the next try.
 */
void wgm_packet_handshake_send_worker(struct work_struct *work)
{
	struct wgm_peer *peer = container_of(work, struct wgm_peer, transmit_handshake_work);
	struct wgm_msg_handshake_initiation init;

	wgm_stamp_handshake_sent(peer);
	pr_debug("%s: peer %llu: sending handshake initiation\n",
		 peer->device->dev->name, peer->internal_id);
	if (likely(wgm_noise_handshake_create_initiation(&init, &peer->handshake))) {
		wgm_mac_stamp(&init, sizeof(init), &peer->cookie);
		wgm_transmit_handshake_msg(peer, &init, sizeof(init));
		/* retransmission is timed from here */
		wgm_timers_handshake_initiated(peer);
	}
	wgm_peer_put(peer);
}

void wgm_packet_send_queued_handshake_initiation(struct wgm_peer *peer, bool is_retry)
{
	struct workqueue_struct *wq = peer->device->handshake_wq;

	/* the retransmit timer reads and counts it in its own context */
	if (!is_retry)
		WRITE_ONCE(peer->timer_handshake_attempts, 0);
	/*
	 * One handshake message per REKEY_TIMEOUT, retries included: a
	 * response we just sent counts too, so that two peers initiating at
	 * once do not keep overriding each other's handshake.
	 */
	if (!wgm_birthdate_has_expired(atomic64_read(&peer->last_sent_handshake),
				       WGM_REKEY_TIMEOUT))
		return;
	wgm_queue_peer_work(peer, wq ? wq : system_wq, &peer->transmit_handshake_work);
}

/*
 * Process context (the handshake worker), after consuming an initiation:
 * the response goes out only once the session it completes is installed,
 * since the initiator may send data on it as soon as it arrives.
 */
void wgm_packet_send_handshake_response(struct wgm_peer *peer)
{
	struct wgm_msg_handshake_response resp;

	wgm_stamp_handshake_sent(peer);
	pr_debug("%s: peer %llu: sending handshake response\n",
		 peer->device->dev->name, peer->internal_id);
	if (!wgm_noise_handshake_create_response(&resp, &peer->handshake))
		return;
	wgm_mac_stamp(&resp, sizeof(resp), &peer->cookie);
	if (!wgm_noise_handshake_begin_session(&peer->handshake, &peer->keypairs))
		return;
	wgm_timers_session_derived(peer);
	wgm_transmit_handshake_msg(peer, &resp, sizeof(resp));
}

/*
 * Only for a handshake message whose mac1 proved it was meant for us
 * (under load, without a valid mac2): tell the sender our cookie.
 */
void wgm_packet_send_handshake_cookie(struct wgm_device *wg, struct sk_buff *in_skb,
				      __le32 sender_index)
{
	struct wgm_msg_handshake_cookie packet;

	net_dbg_ratelimited("%s: sending cookie reply\n", wg->dev->name);
	wgm_cookie_reply_build(&packet, in_skb, sender_index, &wg->cookie_issuer);
	wgm_socket_send_buffer_as_reply_to_skb(wg, NULL, in_skb, &packet, sizeof(packet));
}

/* A session we may send on: valid, young enough, counter not exhausted. */
static bool wgm_keypair_can_send(struct wgm_keypair *kp)
{
	return kp && READ_ONCE(kp->sending.is_valid) &&
	       !wgm_birthdate_has_expired(kp->sending.birthdate, WGM_REJECT_AFTER_TIME) &&
	       atomic64_read(&kp->sending_counter) < WGM_REJECT_AFTER_MESSAGES;
}

/*
 * Moves the staged packets, in order, to tx_queue and the encryption
 * rings under @kp (referenced by the caller), as many as tx_queue takes.
 * Each packet takes its own references on @kp and @peer.  Any context.
 */
static void wgm_submit_staged(struct wgm_peer *peer, struct wgm_keypair *kp)
{
	struct wgm_ordered_queue *queue = &peer->tx_queue;
	struct wgm_device *wg = peer->device;
	unsigned int dropped = 0;
	bool exhausted = false;
	struct sk_buff *skb;

	/* list.lock keeps counters, staged order and queue order the same */
	spin_lock_bh(&queue->list.lock);
	while (skb_queue_len(&queue->list) < WGM_MAX_INFLIGHT_PACKETS &&
	       (skb = skb_dequeue(&peer->staged_packet_queue)) != NULL) {
		struct wgm_skb_cb *cb = WGM_SKB_CB(skb);
		u64 nonce = atomic64_inc_return(&kp->sending_counter) - 1;

		if (unlikely(nonce >= WGM_REJECT_AFTER_MESSAGES)) {
			/* Counter space exhausted: wait for the next session. */
			atomic64_set(&kp->sending_counter, WGM_REJECT_AFTER_MESSAGES);
			skb_queue_head(&peer->staged_packet_queue, skb);
			exhausted = true;
			break;
		}
		cb->nonce = nonce;
		cb->len = skb->len;
		cb->state = WGM_CRYPT_PENDING;
		kref_get(&kp->refcount);
		cb->keypair = kp;
		cb->peer = wgm_peer_get(peer);
		if (unlikely(!wgm_crypt_submit_locked(wg->encrypt, queue, skb))) {
			/* every CPU's ring is busy: congestion, drop it */
			wgm_keypair_put(kp);
			wgm_peer_put(peer);
			kfree_skb(skb);
			dropped++;
		}
	}
	spin_unlock_bh(&queue->list.lock);

	if (unlikely(dropped))
		DEV_STATS_ADD(wg->dev, tx_dropped, dropped);
	if (unlikely(exhausted))
		wgm_packet_send_queued_handshake_initiation(peer, false);
}

void wgm_packet_send_staged(struct wgm_peer *peer)
{
	struct wgm_keypair *kp;

	/* Nothing waiting: nothing to send, and no reason for a handshake. */
	if (skb_queue_empty_lockless(&peer->staged_packet_queue) ||
	    unlikely(READ_ONCE(peer->is_dead)))
		return;

	rcu_read_lock_bh();
	kp = wgm_keypair_get(rcu_dereference_bh(peer->keypairs.slot[WGM_KP_LIVE]));
	rcu_read_unlock_bh();

	if (wgm_keypair_can_send(kp))
		wgm_submit_staged(peer, kp);
	else
		wgm_packet_send_queued_handshake_initiation(peer, false);
	wgm_keypair_put(kp);
}

void wgm_packet_send_keepalive(struct wgm_peer *peer)
{
	struct sk_buff *skb;

	/* Anything staged already proves we are alive once it goes out. */
	if (skb_queue_empty(&peer->staged_packet_queue)) {
		skb = alloc_skb(WGM_ENCAP_HEADROOM + WGM_DATA_PAD + WGM_DATA_PAD +
				WGM_AUTHTAG_BYTES, GFP_ATOMIC);
		if (unlikely(!skb))
			return;
		skb_reserve(skb, WGM_ENCAP_HEADROOM + WGM_DATA_PAD);
		skb->dev = peer->device->dev;
		WGM_SKB_CB(skb)->mtu = skb->dev->mtu;
		WGM_SKB_CB(skb)->ds = 0;
		skb_queue_tail(&peer->staged_packet_queue, skb);
		pr_debug("%s: peer %llu: sending keepalive\n",
			 peer->device->dev->name, peer->internal_id);
	}
	wgm_packet_send_staged(peer);
}

void wgm_packet_purge_staged(struct wgm_peer *peer)
{
	skb_queue_purge(&peer->staged_packet_queue);
}

/*
 * Turns the plaintext in @skb into a transport data message: zero padding
 * to a multiple of WGM_DATA_PAD (not beyond the MTU), the tag appended,
 * and the header pushed.  Returns false (skb untouched or half-built, to
 * be freed) when memory is short.
 */
static bool wgm_encrypt_packet(struct sk_buff *skb, struct wgm_keypair *kp, u64 nonce)
{
	struct scatterlist sg[WGM_SEND_MAX_SG];
	unsigned int plain_len = skb->len, padded_len, mtu;
	struct wgm_msg_data *hdr;
	struct sk_buff *trailer;
	u8 *tail;
	int nsg;

	mtu = WGM_SKB_CB(skb)->mtu ? WGM_SKB_CB(skb)->mtu : skb->dev->mtu;
	padded_len = min_t(unsigned int, ALIGN(plain_len, WGM_DATA_PAD), mtu);
	if (padded_len < plain_len)
		padded_len = plain_len;

	/* Writable data with room for padding + tag, headroom for the header. */
	/* The device offers checksum offload: finish the inner checksum now. */
	if (skb->ip_summed == CHECKSUM_PARTIAL && unlikely(skb_checksum_help(skb)))
		return false;
	if (unlikely(skb_cow_head(skb, WGM_ENCAP_HEADROOM)))
		return false;
	nsg = skb_cow_data(skb, padded_len - plain_len + WGM_AUTHTAG_BYTES, &trailer);
	if (unlikely(nsg < 0 || nsg > WGM_SEND_MAX_SG))
		return false;

	tail = pskb_put(skb, trailer, padded_len - plain_len + WGM_AUTHTAG_BYTES);
	memset(tail, 0, padded_len - plain_len);

	sg_init_table(sg, nsg);
	if (unlikely(skb_to_sgvec(skb, sg, 0, skb->len) <= 0))
		return false;
	if (!chacha20poly1305_encrypt_sg_inplace(sg, padded_len, NULL, 0, nonce,
						 kp->sending.key))
		return false;

	hdr = skb_push(skb, sizeof(*hdr));
	hdr->header.type = cpu_to_le32(WGM_MSG_DATA);
	hdr->key_idx = kp->remote_index;
	hdr->counter = cpu_to_le64(nonce);
	return true;
}

/* Rekey when the session gets old (we started it) or heavily used. */
static void wgm_keep_key_fresh(struct wgm_peer *peer, struct wgm_keypair *kp)
{
	if (READ_ONCE(kp->sending.is_valid) &&
	    (atomic64_read(&kp->sending_counter) > WGM_REKEY_AFTER_MESSAGES ||
	     (kp->i_am_the_initiator &&
	      wgm_birthdate_has_expired(kp->sending.birthdate, WGM_REKEY_AFTER_TIME))))
		wgm_packet_send_queued_handshake_initiation(peer, false);
}

/*
 * Sends one packet taken, in order, from tx_queue, and lets go of the
 * references it held.  Process context (the drainer).
 */
static void wgm_send_finished(struct wgm_peer *peer, struct sk_buff *skb)
{
	struct wgm_skb_cb *cb = WGM_SKB_CB(skb);
	struct net_device *dev = peer->device->dev;
	struct wgm_keypair *kp = cb->keypair;
	unsigned int plain_len = cb->len;

	if (unlikely(cb->state != WGM_CRYPT_DONE || READ_ONCE(peer->is_dead))) {
		DEV_STATS_INC(dev, tx_errors);
		kfree_skb(skb);
	} else if (likely(wgm_socket_send_skb_to_peer(peer, skb, cb->ds) == 0)) {
		/*
		 * Counts peer->tx_bytes itself; the UDP tunnel layer counts
		 * the device's tx packets and bytes (skb->dev is ours).
		 */
		wgm_timers_any_authenticated_packet_traversal(peer);
		wgm_timers_any_authenticated_packet_sent(peer);
		if (plain_len)
			wgm_timers_data_sent(peer);
		wgm_keep_key_fresh(peer, kp);
	}
	wgm_keypair_put(kp);
	wgm_peer_put(peer);	/* the packet's; the caller holds another */
}

/* Sends the finished packets at the head of tx_queue unless someone else does. */
static void wgm_tx_drain(struct wgm_peer *peer)
{
	struct wgm_ordered_queue *queue = &peer->tx_queue;
	unsigned int sent = 0;
	struct sk_buff *skb;

	do {
		if (!wgm_ordered_claim(queue))
			return;
		while ((skb = wgm_ordered_pop(queue)) != NULL) {
			skb_mark_not_on_list(skb);
			wgm_send_finished(peer, skb);
			if (!(++sent % 32))
				cond_resched();
		}
	} while (wgm_ordered_release(queue));

	/* tx_queue may have been full: move on what waits behind it */
	if (sent && !skb_queue_empty_lockless(&peer->staged_packet_queue))
		wgm_packet_send_staged(peer);
}

/* peer->transmit_work, on the peer's CPU; holds the reference taken when queued. */
void wgm_packet_tx_worker(struct work_struct *work)
{
	struct wgm_peer *peer = container_of(work, struct wgm_peer, transmit_work);

	wgm_tx_drain(peer);
	wgm_peer_put(peer);
}

/*
 * The encryption engine's process function, on a CPU's crypto worker:
 * encrypts one packet of tx_queue, then has the peer's transmit_work send
 * what is ready, in order, from the peer's CPU.
 */
void wgm_packet_encrypt_one(struct sk_buff *skb)
{
	struct wgm_skb_cb *cb = WGM_SKB_CB(skb);
	struct wgm_peer *peer = cb->peer;
	bool ok;

	ok = wgm_encrypt_packet(skb, cb->keypair, cb->nonce);
	/* for the work: the packet's reference may go as soon as it is marked */
	wgm_peer_get(peer);
	wgm_crypt_finish(skb, ok);
	if (!wgm_crypt_queue_peer_work(peer->device->packet_wq, peer->internal_id,
				       &peer->transmit_work))
		wgm_peer_put(peer);	/* pending already, with its own */
}
