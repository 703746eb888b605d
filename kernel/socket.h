/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device's UDP sockets (IPv4 and IPv6, same port) in the netns where
 * the device was created, via the udp_tunnel API; outer routing with a
 * per-peer dst_cache and a remembered source address.
 */
#ifndef _WGM_SOCKET_H
#define _WGM_SOCKET_H

#include <linux/skbuff.h>
#include "peer.h"

struct wgm_device;

/* Must hold device_update_lock.  Binds both families to @port (0 = random). */
int wgm_socket_init(struct wgm_device *wg, u16 port);
/* Must hold device_update_lock; @new4/@new6 may be NULL (close). */
void wgm_socket_reinit(struct wgm_device *wg, struct sock *new4, struct sock *new6);

/* Encapsulates and sends: @skb->data is the WireGuard message. Consumes @skb. */
int wgm_socket_send_skb_to_peer(struct wgm_peer *peer, struct sk_buff *skb, u8 ds);
/* Copies @len bytes from @buf into a new skb and sends it to the peer. */
int wgm_socket_send_buffer_to_peer(struct wgm_peer *peer, void *buf, size_t len, u8 ds);
/*
 * Replies to the outer source of @in_skb (cookie replies, probe replies)
 * from @via, the socket it arrived on (NULL: the device's socket).
 */
int wgm_socket_send_buffer_as_reply_to_skb(struct wgm_device *wg, struct sock *via,
					   struct sk_buff *in_skb, void *buf, size_t len);
/*
 * Copies @len bytes from @buf into a new skb and sends it to @ep, which
 * need not be the peer's endpoint (probes to candidates); no dst_cache,
 * source from @ep->src4/src6 when set.  -EAFNOSUPPORT for another family.
 */
int wgm_socket_send_buffer_to_endpoint(struct wgm_device *wg, const struct wgm_endpoint *ep,
				       const void *buf, size_t len);

/* The same, from the peer's own socket when it has one (probes, binds). */
int wgm_socket_send_buffer_for_peer(struct wgm_peer *peer, const struct wgm_endpoint *ep,
				    const void *buf, size_t len);
/* The same, from @sk (a birthday search's socket; the caller keeps it open). */
int wgm_socket_send_buffer_via(struct wgm_device *wg, struct sock *sk,
			       const struct wgm_endpoint *ep, const void *buf, size_t len);

/*
 * An extra IPv4 socket on a random port in the device's namespace, with
 * the device's receive hook (birthday.c).  Process context.  Close it with
 * wgm_socket_close_extra() after nothing can send from it any more
 * (synchronize_net()), and keep @wg alive until a grace period after.
 */
int wgm_socket_open_extra(struct wgm_device *wg, struct sock **skp);
void wgm_socket_close_extra(struct sock *sk);

/* Fills @ep with @skb's outer source (peer address) and destination (our source). */
int wgm_socket_endpoint_from_skb(struct wgm_endpoint *ep, const struct sk_buff *skb);
/* Same family, address and port; the IPv6 scope is the caller's rule. */
bool wgm_endpoint_same_addr_port(const struct wgm_endpoint *a, const struct wgm_endpoint *b);
void wgm_socket_set_peer_endpoint(struct wgm_peer *peer, const struct wgm_endpoint *ep);
/* Roaming: adopt @skb's outer source if it differs (authenticated packets only). */
void wgm_socket_set_peer_endpoint_from_skb(struct wgm_peer *peer, const struct sk_buff *skb);
void wgm_socket_clear_peer_endpoint_src(struct wgm_peer *peer);

#endif /* _WGM_SOCKET_H */
