// SPDX-License-Identifier: GPL-2.0-only
/*
 * Transmit path: handshake messages, and transport data packets encrypted
 * in place under the peer's current session.
 *
 * Inner packets wait on peer->staged_packet_queue (bounded by the device's
 * xmit).  wgm_packet_send_staged() hands them to the peer's transmit work
 * when a usable session exists, or asks for a handshake otherwise; the
 * packets then stay staged until the handshake completes and someone
 * (the initiator's keepalive, the responder's rotation) calls it again.
 *
 * Work items (transmit_work, transmit_handshake_work) hold a peer
 * reference while queued, taken with wgm_peer_get_maybe_zero() under
 * rcu_read_lock_bh() after checking is_dead.
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

#include "queueing.h"
#include "messages.h"
#include "device.h"
#include "peer.h"
#include "noise.h"
#include "cookie.h"
#include "socket.h"
#include "timers.h"

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

static void wgm_send_handshake_initiation(struct wgm_peer *peer)
{
	struct wgm_msg_handshake_initiation packet;

	atomic64_set(&peer->last_sent_handshake, ktime_get_coarse_boottime_ns());
	pr_debug("%s: peer %llu: sending handshake initiation\n",
		 peer->device->dev->name, peer->internal_id);

	if (!wgm_noise_handshake_create_initiation(&packet, &peer->handshake))
		return;
	wgm_cookie_add_mac_to_packet(&packet, sizeof(packet), peer);
	wgm_timers_any_authenticated_packet_traversal(peer);
	wgm_timers_any_authenticated_packet_sent(peer);
	atomic64_set(&peer->last_sent_handshake, ktime_get_coarse_boottime_ns());
	wgm_socket_send_buffer_to_peer(peer, &packet, sizeof(packet), 0);
	wgm_timers_handshake_initiated(peer);
}

/* peer->transmit_handshake_work; holds the reference taken when queued. */
void wgm_packet_handshake_send_worker(struct work_struct *work)
{
	struct wgm_peer *peer = container_of(work, struct wgm_peer,
					     transmit_handshake_work);

	wgm_send_handshake_initiation(peer);
	wgm_peer_put(peer);
}

void wgm_packet_send_queued_handshake_initiation(struct wgm_peer *peer, bool is_retry)
{
	struct workqueue_struct *wq = peer->device->handshake_wq;

	if (!is_retry)
		peer->timer_handshake_attempts = 0;
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

/* Process context (the handshake worker), after consuming an initiation. */
void wgm_packet_send_handshake_response(struct wgm_peer *peer)
{
	struct wgm_msg_handshake_response packet;

	atomic64_set(&peer->last_sent_handshake, ktime_get_coarse_boottime_ns());
	pr_debug("%s: peer %llu: sending handshake response\n",
		 peer->device->dev->name, peer->internal_id);

	if (!wgm_noise_handshake_create_response(&packet, &peer->handshake))
		return;
	wgm_cookie_add_mac_to_packet(&packet, sizeof(packet), peer);
	if (!wgm_noise_handshake_begin_session(&peer->handshake, &peer->keypairs))
		return;
	wgm_timers_session_derived(peer);
	wgm_timers_any_authenticated_packet_traversal(peer);
	wgm_timers_any_authenticated_packet_sent(peer);
	atomic64_set(&peer->last_sent_handshake, ktime_get_coarse_boottime_ns());
	wgm_socket_send_buffer_to_peer(peer, &packet, sizeof(packet), 0);
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
	wgm_cookie_message_create(&packet, in_skb, sender_index, &wg->cookie_checker);
	wgm_socket_send_buffer_as_reply_to_skb(wg, in_skb, &packet, sizeof(packet));
}

/* A session we may send on: valid, young enough, counter not exhausted. */
static bool wgm_keypair_can_send(struct wgm_keypair *kp)
{
	return kp && READ_ONCE(kp->sending.is_valid) &&
	       !wgm_birthdate_has_expired(kp->sending.birthdate, WGM_REJECT_AFTER_TIME) &&
	       atomic64_read(&kp->sending_counter) < WGM_REJECT_AFTER_MESSAGES;
}

void wgm_packet_send_staged(struct wgm_peer *peer)
{
	struct wgm_keypair *kp;
	bool usable;

	/* Nothing waiting: nothing to send, and no reason for a handshake. */
	if (skb_queue_empty_lockless(&peer->staged_packet_queue))
		return;

	rcu_read_lock_bh();
	kp = rcu_dereference_bh(peer->keypairs.current_keypair);
	usable = wgm_keypair_can_send(kp);
	rcu_read_unlock_bh();

	if (usable)
		wgm_queue_peer_work(peer, peer->device->packet_wq, &peer->transmit_work);
	else
		wgm_packet_send_queued_handshake_initiation(peer, false);
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

/* Outer DSCP is never copied (it would leak the inner one); ECN is. */
static u8 wgm_inner_ecn(const struct sk_buff *skb)
{
	u8 inner = 0;

	if (skb->protocol == htons(ETH_P_IP) && skb_headlen(skb) >= sizeof(struct iphdr))
		inner = ipv4_get_dsfield((const struct iphdr *)skb->data);
	else if (skb->protocol == htons(ETH_P_IPV6) &&
		 skb_headlen(skb) >= sizeof(struct ipv6hdr))
		inner = ipv6_get_dsfield((const struct ipv6hdr *)skb->data);
	return INET_ECN_encapsulate(0, inner);
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
 * peer->transmit_work, on wg->packet_wq: encrypts and sends the staged
 * packets in order.  A work item never runs concurrently with itself, so
 * counters go out in increasing order.  Holds the reference taken when it
 * was queued.
 */
void wgm_packet_transmit_worker(struct work_struct *work)
{
	struct wgm_peer *peer = container_of(work, struct wgm_peer, transmit_work);
	struct net_device *dev = peer->device->dev;
	struct wgm_keypair *kp;
	struct sk_buff *skb;
	bool sent_any = false;

	rcu_read_lock_bh();
	kp = rcu_dereference_bh(peer->keypairs.current_keypair);
	if (kp)
		kp = wgm_noise_keypair_get(kp);
	rcu_read_unlock_bh();

	if (unlikely(!wgm_keypair_can_send(kp))) {
		/* Expired between staging and now: keep packets, get a session. */
		wgm_packet_send_queued_handshake_initiation(peer, false);
		goto out;
	}

	while ((skb = skb_dequeue(&peer->staged_packet_queue)) != NULL) {
		unsigned int plain_len = skb->len;
		u64 nonce;
		u8 ds;

		nonce = atomic64_inc_return(&kp->sending_counter) - 1;
		if (unlikely(nonce >= WGM_REJECT_AFTER_MESSAGES)) {
			/* Counter space exhausted: wait for the next session. */
			atomic64_set(&kp->sending_counter, WGM_REJECT_AFTER_MESSAGES);
			skb_queue_head(&peer->staged_packet_queue, skb);
			wgm_packet_send_queued_handshake_initiation(peer, false);
			break;
		}

		ds = wgm_inner_ecn(skb);
		if (unlikely(!wgm_encrypt_packet(skb, kp, nonce))) {
			DEV_STATS_INC(dev, tx_errors);
			kfree_skb(skb);
			continue;
		}
		skb_mark_not_on_list(skb);
		/* counts peer->tx_bytes itself */
		if (unlikely(wgm_socket_send_skb_to_peer(peer, skb, ds) < 0))
			continue;

		sent_any = true;
		wgm_timers_any_authenticated_packet_traversal(peer);
		wgm_timers_any_authenticated_packet_sent(peer);
		if (plain_len) {
			dev_sw_netstats_tx_add(dev, 1, plain_len);
			wgm_timers_data_sent(peer);
		}
		cond_resched();
	}

	if (sent_any)
		wgm_keep_key_fresh(peer, kp);
out:
	if (kp)
		wgm_noise_keypair_put(kp, false);
	wgm_peer_put(peer);
}
