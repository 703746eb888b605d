/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Send and receive paths.
 *
 * Transmit: ndo_start_xmit segments GSO packets, stages them on the peer
 * (bounded) and calls wgm_packet_send_staged().  With a usable session the
 * peer's transmit_work runs on wg->packet_wq: it assigns counters, pads,
 * encrypts in place and sends, in order.  Different peers encrypt on
 * different CPUs (unbound workqueue); one peer's packets stay ordered
 * because a work item never runs concurrently with itself.
 *
 * Receive: the UDP socket's encap_rcv calls wgm_packet_receive() in
 * softirq.  Data messages are decrypted there (on the CPU RSS/RPS chose),
 * checked against the replay window and the allowed IPs, and handed to
 * GRO cells.  Handshake messages are queued to wg->handshake_work.
 */
#ifndef _WGM_QUEUEING_H
#define _WGM_QUEUEING_H

#include <linux/skbuff.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

struct wgm_device;
struct wgm_peer;

/* send.c */
void wgm_packet_send_staged(struct wgm_peer *peer);
void wgm_packet_send_keepalive(struct wgm_peer *peer);
/* queues a handshake initiation unless one was sent < REKEY_TIMEOUT ago (or @is_retry) */
void wgm_packet_send_queued_handshake_initiation(struct wgm_peer *peer, bool is_retry);
void wgm_packet_send_handshake_response(struct wgm_peer *peer);
void wgm_packet_send_handshake_cookie(struct wgm_device *wg, struct sk_buff *in_skb,
				      __le32 sender_index);
void wgm_packet_transmit_worker(struct work_struct *work);		/* peer->transmit_work */
/* peer->transmit_handshake_work */
void wgm_packet_handshake_send_worker(struct work_struct *work);
void wgm_packet_purge_staged(struct wgm_peer *peer);

/* receive.c; @skb->data is the UDP payload, network header still set */
void wgm_packet_receive(struct wgm_device *wg, struct sk_buff *skb);
void wgm_packet_handshake_receive_worker(struct work_struct *work);	/* wg->handshake_work */

/* per-skb control block while queued in this module */
struct wgm_skb_cb {
	u64 nonce;
	unsigned int mtu;
	u8 ds;			/* inner DSCP/ECN to copy to the outer header */
};

#define WGM_SKB_CB(skb) ((struct wgm_skb_cb *)((skb)->cb))

#endif /* _WGM_QUEUEING_H */
