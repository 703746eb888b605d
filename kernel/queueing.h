/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Send and receive paths.
 *
 * Per-packet crypto runs in parallel on every CPU; each peer's packets
 * still leave, and are delivered, in order (crypt.h has the machinery).
 *
 * Transmit: ndo_start_xmit segments GSO packets and stages them on the
 * peer (bounded).  wgm_packet_send_staged(), with a usable session, moves
 * them in order to peer->tx_queue, giving each its counter, a keypair and
 * a peer reference, and spreads them over the CPUs' encryption rings.  A
 * CPU's worker pads and encrypts a packet in place, then kicks the peer's
 * transmit_work, which sends the finished packets at the head of the
 * queue.  That work runs on one CPU per peer (wgm_crypt_peer_cpu()), so
 * the packets also enter the outer device's per-CPU backlog in order.
 *
 * Receive: the UDP socket's encap_rcv calls wgm_packet_receive() in
 * softirq.  A data message whose receiver index names a live session is
 * queued (bounded: dropped and counted when full) on peer->rx_queue and a
 * CPU's decryption ring; nothing else is allocated for it.  After
 * decryption the peer's receive_work, on the peer's CPU, checks them in
 * order, with BHs off, against the replay window and the allowed IPs, and
 * hands them to that CPU's GRO cell (one cell per peer: still in order).
 * Handshake messages are queued to wg->handshake_work.
 */
#ifndef _WGM_QUEUEING_H
#define _WGM_QUEUEING_H

#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

struct wgm_device;
struct wgm_peer;
struct wgm_keypair;

/* send.c */
void wgm_packet_send_staged(struct wgm_peer *peer);
void wgm_packet_send_keepalive(struct wgm_peer *peer);
/* queues a handshake initiation unless one was sent < REKEY_TIMEOUT ago (or @is_retry) */
void wgm_packet_send_queued_handshake_initiation(struct wgm_peer *peer, bool is_retry);
void wgm_packet_send_handshake_response(struct wgm_peer *peer);
void wgm_packet_send_handshake_cookie(struct wgm_device *wg, struct sk_buff *in_skb,
				      __le32 sender_index);
/* the encryption engine's process function (workers, process context) */
void wgm_packet_encrypt_one(struct sk_buff *skb);
void wgm_packet_tx_worker(struct work_struct *work);	/* peer->transmit_work */
/* peer->transmit_handshake_work */
void wgm_packet_handshake_send_worker(struct work_struct *work);
void wgm_packet_purge_staged(struct wgm_peer *peer);

/* receive.c; @skb->data is the UDP payload, network header still set */
void wgm_packet_receive(struct wgm_device *wg, struct sock *sk, struct sk_buff *skb);
void wgm_packet_handshake_receive_worker(struct work_struct *work);	/* wg->handshake_work */
/* the decryption engine's process function (workers, process context) */
void wgm_packet_decrypt_one(struct sk_buff *skb);
void wgm_packet_rx_worker(struct work_struct *work);	/* peer->receive_work */

/*
 * Per-skb control block while the packet is ours (ndo_start_xmit or
 * encap_rcv until it leaves).  @keypair and @peer are references held by
 * the packet while it sits on an ordered queue; @state is written with
 * release semantics by the crypto worker (crypt.c).
 */
struct wgm_skb_cb {
	u64 nonce;
	struct wgm_keypair *keypair;
	struct wgm_peer *peer;
	unsigned int mtu;	/* transmit: the route's MTU, for padding */
	unsigned int len;	/* transmit: plaintext length; receive: outer length */
	u8 ds;			/* transmit: ECN for the outer header; receive: outer DS */
	u8 state;		/* enum wgm_crypt_state */
};

#define WGM_SKB_CB(skb) ((struct wgm_skb_cb *)((skb)->cb))

#endif /* _WGM_QUEUEING_H */
