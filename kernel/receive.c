// SPDX-License-Identifier: GPL-2.0-only
/*
 * Receive path.  wgm_packet_receive() runs in softirq from the UDP
 * socket's encap_rcv with @skb->data at the UDP payload and the outer IP
 * and UDP headers still reachable (network/transport header offsets).
 *
 * Nothing unauthenticated is ever answered, and nothing is allocated for
 * an unauthenticated sender: malformed input is counted and dropped;
 * handshake messages are parked, bounded, on wg->incoming_handshakes for
 * the handshake worker; transport data whose receiver index names a live
 * session is queued, bounded, for decryption on the CPUs' workers and
 * checked and delivered in order afterwards (crypt.h).
 * The only reply to an unauthenticated message is a cookie reply, and only
 * for a handshake whose mac1 proves the sender knows our public key.
 */

#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/scatterlist.h>
#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jiffies.h>
#include <net/ip.h>
#include <net/inet_ecn.h>
#include <net/dsfield.h>
#include <net/gro_cells.h>
#include <crypto/chacha20poly1305.h>

#include "compat.h"
#include "queueing.h"
#include "messages.h"
#include "device.h"
#include "peer.h"
#include "noise.h"
#include "cookie.h"
#include "peerlookup.h"
#include "socket.h"
#include "timers.h"
#include "probe.h"
#include "stun.h"
#include "crypt.h"
#include "allowedips.h"
#include "netlink.h"
#include "uapi/linux/wgmesh.h"

#define WGM_RECV_MAX_SG	(MAX_SKB_FRAGS + 8)

bool wgm_device_under_load(struct wgm_device *wg)
{
	unsigned long last;

	if (skb_queue_len(&wg->incoming_handshakes) > WGM_MAX_QUEUED_HANDSHAKES / 8) {
		WRITE_ONCE(wg->last_under_load, jiffies);
		return true;
	}
	last = READ_ONCE(wg->last_under_load);
	return last && time_before(jiffies, last + HZ);
}

static void wgm_drop(atomic64_t *counter, struct sk_buff *skb)
{
	atomic64_inc(counter);
	kfree_skb(skb);
}

/* Outer DS field (for ECN), read before the outer headers are forgotten. */
static u8 wgm_outer_dsfield(const struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP))
		return ipv4_get_dsfield(ip_hdr(skb));
	if (skb->protocol == htons(ETH_P_IPV6))
		return ipv6_get_dsfield(ipv6_hdr(skb));
	return 0;
}

/* The sender index of an initiation or response (same offset in both). */
static __le32 wgm_handshake_sender(const struct sk_buff *skb)
{
	BUILD_BUG_ON(offsetof(struct wgm_msg_handshake_initiation, sender_index) !=
		     offsetof(struct wgm_msg_handshake_response, sender_index));
	return ((const struct wgm_msg_handshake_initiation *)skb->data)->sender_index;
}

/* Tell listeners a new session exists; @skb came from the peer's endpoint. */
static void wgm_handshake_complete_event(struct wgm_peer *peer, const struct sk_buff *skb)
{
	struct wgm_endpoint ep;

	if (!wgm_socket_endpoint_from_skb(&ep, skb))
		wgm_genl_event(peer, WGM_EVENT_HANDSHAKE_COMPLETE, NULL, &ep.addr,
			       WGM_EVENT_REASON_NONE, 0);
}

/*
 * Process context.  @skb is a handshake message of exactly the right
 * length, linear.
 */
static void wgm_process_handshake(struct wgm_device *wg, struct sk_buff *skb)
{
	enum wgm_message_type type = wgm_msg_type(skb->data);
	enum wgm_mac_verdict verdict;
	struct wgm_peer *peer = NULL;
	bool under_load;

	if (type == WGM_MSG_HANDSHAKE_COOKIE) {
		net_dbg_ratelimited("%s: cookie reply received\n", wg->dev->name);
		wgm_cookie_reply_take(wg, (struct wgm_msg_handshake_cookie *)skb->data);
		return;
	}

	under_load = wgm_device_under_load(wg);
	verdict = wgm_mac_check(&wg->cookie_issuer, skb, under_load);
	switch (verdict) {
	case WGM_MAC_MAC2:
		break;	/* mac2 proves the source address: go ahead */
	case WGM_MAC_MAC1:
		if (!under_load)
			break;	/* mac1 is all we ask for when idle */
		/* Under load: the sender must prove its address first. */
		wgm_packet_send_handshake_cookie(wg, skb, wgm_handshake_sender(skb));
		atomic64_inc(&wg->rx_drop_ratelimit);
		return;
	case WGM_MAC_MAC2_LIMITED:
		atomic64_inc(&wg->rx_drop_ratelimit);
		return;
	default:
		net_dbg_ratelimited("%s: handshake with invalid mac dropped\n", wg->dev->name);
		atomic64_inc(&wg->rx_drop_auth);
		return;
	}

	if (type == WGM_MSG_HANDSHAKE_INITIATION) {
		peer = wgm_noise_handshake_consume_initiation((void *)skb->data, wg);
		if (unlikely(!peer)) {
			net_dbg_ratelimited("%s: invalid handshake initiation\n", wg->dev->name);
			atomic64_inc(&wg->rx_drop_auth);
			return;
		}
		pr_debug("%s: peer %llu: handshake initiation received\n",
			 wg->dev->name, peer->internal_id);
		wgm_socket_set_peer_endpoint_from_skb(peer, skb);
		wgm_packet_send_handshake_response(peer);
	} else {
		peer = wgm_noise_handshake_consume_response((void *)skb->data, wg);
		if (unlikely(!peer)) {
			net_dbg_ratelimited("%s: invalid handshake response\n", wg->dev->name);
			atomic64_inc(&wg->rx_drop_auth);
			return;
		}
		pr_debug("%s: peer %llu: handshake response received\n",
			 wg->dev->name, peer->internal_id);
		wgm_socket_set_peer_endpoint_from_skb(peer, skb);
		if (wgm_noise_handshake_begin_session(&peer->handshake, &peer->keypairs)) {
			wgm_timers_session_derived(peer);
			wgm_timers_handshake_complete(peer);
			wgm_handshake_complete_event(peer, skb);
			/*
			 * The responder only starts using the session once it
			 * sees data on it: send some now (staged packets, or
			 * an empty keepalive if there are none).
			 */
			wgm_packet_send_keepalive(peer);
		}
	}

	wgm_probe_authenticated_rx(peer, skb);
	atomic64_add(skb->len, &peer->rx_bytes);
	wgm_timers_any_authenticated_packet_received(peer);
	wgm_timers_any_authenticated_packet_traversal(peer);
	wgm_peer_put(peer);
}

/* wg->handshake_work on wg->handshake_wq. */
void wgm_packet_handshake_receive_worker(struct work_struct *work)
{
	struct wgm_device *wg = container_of(work, struct wgm_device, handshake_work);
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&wg->incoming_handshakes)) != NULL) {
		wgm_process_handshake(wg, skb);
		consume_skb(skb);
		cond_resched();
	}
}

/* Softirq.  Parks a handshake message for the worker, if there is room. */
static void wgm_queue_handshake(struct wgm_device *wg, struct sk_buff *skb)
{
	if (unlikely(skb_queue_len(&wg->incoming_handshakes) >= WGM_MAX_QUEUED_HANDSHAKES)) {
		WRITE_ONCE(wg->last_under_load, jiffies);
		net_dbg_ratelimited("%s: handshake queue full, dropping\n", wg->dev->name);
		wgm_drop(&wg->rx_drop_ratelimit, skb);
		return;
	}
	skb_queue_tail(&wg->incoming_handshakes, skb);
	queue_work(wg->handshake_wq, &wg->handshake_work);
}

/* Our current session with @peer, if we started it, is about to expire. */
static void wgm_lastminute_handshake(struct wgm_peer *peer)
{
	struct wgm_keypair *kp;
	bool due;

	if (READ_ONCE(peer->sent_lastminute_handshake))
		return;
	rcu_read_lock_bh();
	kp = rcu_dereference_bh(peer->keypairs.slot[WGM_KP_LIVE]);
	due = kp && READ_ONCE(kp->sending.is_valid) && kp->i_am_the_initiator &&
	      wgm_birthdate_has_expired(kp->sending.birthdate,
					WGM_REJECT_AFTER_TIME - WGM_KEEPALIVE_TIMEOUT -
					WGM_REKEY_TIMEOUT);
	rcu_read_unlock_bh();
	if (due) {
		WRITE_ONCE(peer->sent_lastminute_handshake, true);
		wgm_packet_send_queued_handshake_initiation(peer, false);
	}
}

/*
 * Checks the decrypted inner packet: a whole IPv4/IPv6 packet (padding
 * trimmed) whose source address @peer may use.  Sets skb->protocol.
 * Returns the counter to charge a drop to, or NULL if the packet is good.
 */
static atomic64_t *wgm_check_inner(struct wgm_device *wg, struct wgm_peer *peer,
				   struct sk_buff *skb, u8 outer_ds)
{
	struct wgm_peer *routed;
	unsigned int len;

	if (skb->len >= sizeof(struct iphdr) && pskb_may_pull(skb, sizeof(struct iphdr)) &&
	    ip_hdr(skb)->version == 4) {
		struct iphdr *iph = ip_hdr(skb);

		len = ntohs(iph->tot_len);
		if (iph->ihl < 5 || len < iph->ihl * 4 || len > skb->len)
			return &wg->rx_drop_invalid;
		if (pskb_trim(skb, len))
			return &wg->rx_drop_invalid;
		iph = ip_hdr(skb);
		skb->protocol = htons(ETH_P_IP);
		if (INET_ECN_is_ce(outer_ds))
			IP_ECN_set_ce(iph);
		routed = wgm_allowedips_lookup_v4(&wg->peer_allowedips,
						  (struct in_addr *)&iph->saddr);
	} else if (skb->len >= sizeof(struct ipv6hdr) &&
		   pskb_may_pull(skb, sizeof(struct ipv6hdr)) &&
		   ipv6_hdr(skb)->version == 6) {
		struct ipv6hdr *ip6h = ipv6_hdr(skb);

		len = ntohs(ip6h->payload_len) + sizeof(struct ipv6hdr);
		if (len > skb->len)
			return &wg->rx_drop_invalid;
		if (pskb_trim(skb, len))
			return &wg->rx_drop_invalid;
		ip6h = ipv6_hdr(skb);
		skb->protocol = htons(ETH_P_IPV6);
		if (INET_ECN_is_ce(outer_ds))
			IP6_ECN_set_ce(skb, ip6h);
		routed = wgm_allowedips_lookup_v6(&wg->peer_allowedips, &ip6h->saddr);
	} else {
		return &wg->rx_drop_invalid;
	}

	if (unlikely(routed != peer)) {
		net_dbg_ratelimited("%s: peer %llu: inner source not in its allowed IPs\n",
				    wg->dev->name, peer->internal_id);
		return &wg->rx_drop_noroute;
	}
	return NULL;
}

/*
 * May @kp still open packets?  A session past REJECT_AFTER_TIME, or whose
 * replay window has reached REJECT_AFTER_MESSAGES, is retired for good:
 * is_valid goes false, and later packets stop at the first test.
 */
static bool wgm_keypair_can_receive(struct wgm_keypair *kp)
{
	bool worn_out;

	if (!READ_ONCE(kp->receiving.is_valid))
		return false;
	worn_out = READ_ONCE(kp->replay.counter) >= WGM_REJECT_AFTER_MESSAGES ||
		   wgm_birthdate_has_expired(kp->receiving.birthdate, WGM_REJECT_AFTER_TIME);
	if (worn_out)
		WRITE_ONCE(kp->receiving.is_valid, false);
	return !worn_out;
}

/*
 * Decrypts in place.  On success @skb holds the plaintext (header pulled,
 * tag trimmed).  Must be called with a reference on @kp.
 */
static bool wgm_decrypt_packet(struct sk_buff *skb, struct wgm_keypair *kp, u64 nonce)
{
	struct scatterlist sg[WGM_RECV_MAX_SG];
	struct sk_buff *trailer;
	unsigned int enc_len;
	int nsg;

	if (unlikely(!wgm_keypair_can_receive(kp)))
		return false;

	skb_pull(skb, sizeof(struct wgm_msg_data));
	enc_len = skb->len;
	nsg = skb_cow_data(skb, 0, &trailer);
	if (unlikely(nsg < 0 || nsg > WGM_RECV_MAX_SG))
		return false;
	sg_init_table(sg, nsg);
	if (unlikely(skb_to_sgvec(skb, sg, 0, enc_len) <= 0))
		return false;
	/* unlike encryption, the length given here includes the tag */
	if (!chacha20poly1305_decrypt_sg_inplace(sg, enc_len, NULL, 0, nonce,
						 kp->receiving.key))
		return false;
	/* Tag gone; header offsets (outer IP/UDP) are preserved by the calls above. */
	return !pskb_trim(skb, enc_len - WGM_AUTHTAG_BYTES);
}

/* Prepares the decrypted inner packet to look freshly received on our device. */
static void wgm_reset_inner(struct wgm_device *wg, struct sk_buff *skb)
{
	bool xnet = !net_eq(wg->creating_net, dev_net(wg->dev));

	skb_scrub_packet(skb, xnet);
	memset(skb->cb, 0, sizeof(skb->cb));	/* ours until now; GRO's next */
	skb->dev = wg->dev;
	skb->pkt_type = PACKET_HOST;
	skb->encapsulation = 0;
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = ~0;	/* the AEAD tag covered everything */
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb->mac_len = 0;
}

/*
 * BHs off, in order per peer (the drainer of rx_queue): the checks and
 * bookkeeping after decryption, then delivery.  Consumes @skb and the
 * references it holds.
 */
static void wgm_receive_finished(struct wgm_device *wg, struct wgm_peer *peer,
				 struct sk_buff *skb)
{
	struct wgm_skb_cb *cb = WGM_SKB_CB(skb);
	struct wgm_keypair *kp = cb->keypair;
	unsigned int outer_len = cb->len;
	u8 outer_ds = cb->ds;
	u64 nonce = cb->nonce;
	atomic64_t *drop;
	bool replay_ok;

	if (unlikely(cb->state != WGM_CRYPT_DONE)) {
		net_dbg_ratelimited("%s: peer %llu: data packet failed authentication\n",
				    wg->dev->name, peer->internal_id);
		drop = &wg->rx_drop_auth;
		goto err;
	}
	if (unlikely(READ_ONCE(peer->is_dead))) {
		drop = &wg->rx_drop_noroute;
		goto err;
	}

	spin_lock_bh(&kp->replay_lock);
	replay_ok = wgm_replay_check(&kp->replay, nonce, WGM_REJECT_AFTER_MESSAGES);
	spin_unlock_bh(&kp->replay_lock);
	if (unlikely(!replay_ok)) {
		net_dbg_ratelimited("%s: peer %llu: replayed or stale counter %llu\n",
				    wg->dev->name, peer->internal_id, nonce);
		drop = &wg->rx_drop_replay;
		goto err;
	}

	/* From here on the packet is authentic and fresh. */
	if (unlikely(wgm_keypairs_confirm(&peer->keypairs, kp))) {
		/* Responder: the initiator confirmed the new session. */
		wgm_timers_handshake_complete(peer);
		wgm_handshake_complete_event(peer, skb);
		wgm_packet_send_staged(peer);
	}
	wgm_socket_set_peer_endpoint_from_skb(peer, skb);
	wgm_probe_authenticated_rx(peer, skb);
	wgm_timers_any_authenticated_packet_received(peer);
	wgm_timers_any_authenticated_packet_traversal(peer);
	atomic64_add(outer_len, &peer->rx_bytes);
	wgm_lastminute_handshake(peer);

	if (!skb->len) {
		/* keepalive */
		consume_skb(skb);
		goto out;
	}
	wgm_timers_data_received(peer);

	wgm_reset_inner(wg, skb);
	rcu_read_lock_bh();
	drop = wgm_check_inner(wg, peer, skb, outer_ds);
	rcu_read_unlock_bh();
	if (unlikely(drop)) {
		DEV_STATS_INC(wg->dev, rx_errors);
		goto err;
	}

	skb_probe_transport_header(skb);
	dev_sw_netstats_rx_add(wg->dev, skb->len);
	if (unlikely(gro_cells_receive(&wg->gro_cells, skb) != NET_RX_SUCCESS))
		DEV_STATS_INC(wg->dev, rx_dropped);
	goto out;

err:
	wgm_drop(drop, skb);
out:
	wgm_keypair_put(kp);
	wgm_peer_put(peer);	/* the packet's; the caller holds another */
}

/*
 * Process context, the peer's CPU.  Checks and delivers the decrypted
 * packets at the head of rx_queue unless someone else does; BHs go off in
 * batches so that GRO sees several packets at once.
 */
static void wgm_rx_drain(struct wgm_peer *peer)
{
	struct wgm_ordered_queue *queue = &peer->rx_queue;
	struct wgm_device *wg = peer->device;
	unsigned int n = 0;
	struct sk_buff *skb;

	do {
		if (!wgm_ordered_claim(queue))
			return;
		local_bh_disable();
		while ((skb = wgm_ordered_pop(queue)) != NULL) {
			skb_mark_not_on_list(skb);
			wgm_receive_finished(wg, peer, skb);
			if (!(++n % 32)) {
				local_bh_enable();
				cond_resched();
				local_bh_disable();
			}
		}
		local_bh_enable();
	} while (wgm_ordered_release(queue));
}

/* peer->receive_work, on the peer's CPU; holds the reference taken when queued. */
void wgm_packet_rx_worker(struct work_struct *work)
{
	struct wgm_peer *peer = container_of(work, struct wgm_peer, receive_work);

	wgm_rx_drain(peer);
	wgm_peer_put(peer);
}

/*
 * The decryption engine's process function, on a CPU's crypto worker:
 * decrypts one packet of rx_queue, then has the peer's receive_work
 * deliver what is ready, in order, on the peer's CPU (and GRO cell).
 */
void wgm_packet_decrypt_one(struct sk_buff *skb)
{
	struct wgm_skb_cb *cb = WGM_SKB_CB(skb);
	struct wgm_peer *peer = cb->peer;
	bool ok;

	ok = wgm_decrypt_packet(skb, cb->keypair, cb->nonce);
	/* for the work: the packet's reference may go as soon as it is marked */
	wgm_peer_get(peer);
	wgm_crypt_finish(skb, ok);
	if (!wgm_crypt_queue_peer_work(peer->device->packet_wq, peer->internal_id,
				       &peer->receive_work))
		wgm_peer_put(peer);	/* pending already, with its own */
}

/*
 * Softirq: a transport data message.  Only one naming a live session (by
 * its receiver index) is queued for decryption, on that peer's bounded
 * rx_queue; the skb carries everything the later steps need.
 */
static void wgm_receive_data(struct wgm_device *wg, struct sk_buff *skb)
{
	struct wgm_index_entry *entry;
	struct wgm_keypair *kp = NULL;
	struct wgm_peer *peer = NULL;
	struct wgm_skb_cb *cb;
	unsigned int outer_len = skb->len;
	__le32 key_idx;
	u8 outer_ds;
	u64 nonce;

	if (unlikely(!pskb_may_pull(skb, sizeof(struct wgm_msg_data)))) {
		wgm_drop(&wg->rx_drop_invalid, skb);
		return;
	}
	key_idx = ((struct wgm_msg_data *)skb->data)->key_idx;
	nonce = le64_to_cpu(((struct wgm_msg_data *)skb->data)->counter);
	outer_ds = wgm_outer_dsfield(skb);

	rcu_read_lock_bh();
	entry = wgm_index_hashtable_lookup(wg->index_hashtable, WGM_INDEX_KEYPAIR,
					   key_idx, &peer);
	if (entry)
		kp = wgm_keypair_get(container_of(entry, struct wgm_keypair, entry));
	rcu_read_unlock_bh();
	if (unlikely(!kp)) {
		/* unknown or dying session */
		wgm_drop(&wg->rx_drop_auth, skb);
		wgm_peer_put(peer);
		return;
	}

	/* the route may be a no-reference one, valid only in this softirq */
	skb_dst_drop(skb);
	/* the lookup's references become the packet's */
	cb = WGM_SKB_CB(skb);
	cb->nonce = nonce;
	cb->keypair = kp;
	cb->peer = peer;
	cb->len = outer_len;
	cb->ds = outer_ds;
	cb->state = WGM_CRYPT_PENDING;
	if (unlikely(!wgm_crypt_submit(wg->decrypt, &peer->rx_queue, skb))) {
		net_dbg_ratelimited("%s: peer %llu: decryption queue full, dropping\n",
				    wg->dev->name, peer->internal_id);
		DEV_STATS_INC(wg->dev, rx_dropped);
		kfree_skb(skb);
		wgm_keypair_put(kp);
		wgm_peer_put(peer);
	}
}

/*
 * Demultiplexes one UDP payload that reached socket @sk (the device's, or
 * one of birthday.c's).  WireGuard messages must have their exact length
 * (data: at least header + tag) and zero reserved bytes.  Consumes @skb.
 */
void wgm_packet_receive(struct wgm_device *wg, struct sock *sk, struct sk_buff *skb)
{
	unsigned int len = skb->len;
	__le32 type_word;
	u8 first;

	if (unlikely(len < sizeof(struct wgm_msg_header) ||
		     !pskb_may_pull(skb, sizeof(struct wgm_msg_header))))
		goto invalid;
	type_word = ((struct wgm_msg_header *)skb->data)->type;
	first = skb->data[0];

	switch (le32_to_cpu(type_word)) {
	case WGM_MSG_HANDSHAKE_INITIATION:
		if (len != sizeof(struct wgm_msg_handshake_initiation))
			goto invalid;
		goto handshake;
	case WGM_MSG_HANDSHAKE_RESPONSE:
		if (len != sizeof(struct wgm_msg_handshake_response))
			goto invalid;
		goto handshake;
	case WGM_MSG_HANDSHAKE_COOKIE:
		if (len != sizeof(struct wgm_msg_handshake_cookie))
			goto invalid;
		goto handshake;
	case WGM_MSG_DATA:
		if (len < WGM_DATA_MIN_LEN)
			goto invalid;
		wgm_receive_data(wg, skb);
		return;
	default:
		break;
	}

	if ((first == WGM_MSG_PROBE_REQUEST || first == WGM_MSG_PROBE_REPLY) &&
	    len == WGM_PROBE_MSG_LEN) {
		if (unlikely(!pskb_may_pull(skb, len)))
			goto invalid;
		wgm_probe_receive(wg, sk, skb);
		return;
	}

	if (len >= WGM_STUN_HEADER_LEN && len <= WGM_STUN_MAX_LEN &&
	    pskb_may_pull(skb, WGM_STUN_HEADER_LEN) &&
	    wgm_stun_looks_like_stun(skb->data, len)) {
		if (unlikely(!pskb_may_pull(skb, len)))
			goto invalid;
		wgm_stun_receive(wg, skb);
		return;
	}

invalid:
	wgm_drop(&wg->rx_drop_invalid, skb);
	return;

handshake:
	if (unlikely(!pskb_may_pull(skb, len)))
		goto invalid;
	wgm_queue_handshake(wg, skb);
}
