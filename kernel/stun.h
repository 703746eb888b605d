/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * STUN (RFC 5389/8489) Binding, client side: just enough to learn the
 * NAT-mapped address of the tunnel socket.  Pure functions over buffers.
 */
#ifndef _WGM_STUN_H
#define _WGM_STUN_H

#include <linux/types.h>

struct sockaddr_storage;
struct sk_buff;
struct wgm_device;
struct wgm_endpoint;

#define WGM_STUN_HEADER_LEN	20
#define WGM_STUN_TXID_LEN	12
#define WGM_STUN_MAGIC		0x2112A442U
#define WGM_STUN_BINDING_REQUEST	0x0001
#define WGM_STUN_BINDING_SUCCESS	0x0101
#define WGM_STUN_ATTR_MAPPED_ADDRESS	0x0001
#define WGM_STUN_ATTR_XOR_MAPPED_ADDRESS	0x0020
/* Largest response we look at; anything longer is not ours. */
#define WGM_STUN_MAX_LEN	548

bool wgm_stun_looks_like_stun(const u8 *buf, size_t len);
size_t wgm_stun_build_request(u8 *buf, size_t size,
			      const u8 txid[WGM_STUN_TXID_LEN]);
int wgm_stun_parse_response(const u8 *buf, size_t len,
			    const u8 txid[WGM_STUN_TXID_LEN],
			    struct sockaddr_storage *mapped);

/*
 * The STUN client of a device (stunclient.c): Binding requests from the
 * tunnel socket to the configured servers, the answers' mapped addresses.
 */
/* ndo_init; undone by wgm_stun_free().  Allocates wg->stun. */
int wgm_stun_init(struct wgm_device *wg);
/* priv_destructor, after wgm_stun_device_down(); NULL-safe. */
void wgm_stun_free(struct wgm_device *wg);
/* The sockets are bound (ndo_open) / the listen port changed: ask now. */
void wgm_stun_device_up(struct wgm_device *wg);
/* The sockets close (ndo_stop, ndo_uninit): stop asking; may sleep. */
void wgm_stun_device_down(struct wgm_device *wg);
/*
 * Must hold device_update_lock.  Replaces the server list with @n (at most
 * WGM_STUN_MAX_SERVERS, distinct, address and port set) servers; asks them
 * at once when the device is up.
 */
void wgm_stun_set_servers(struct wgm_device *wg,
			  const struct wgm_endpoint *servers, unsigned int n);
/* GET_DEVICE: wgm_stun_snapshot() in stunclient.h. */
/* receive.c, softirq: a payload that looks like STUN.  Consumes @skb. */
void wgm_stun_receive(struct wgm_device *wg, struct sk_buff *skb);

#endif /* _WGM_STUN_H */
