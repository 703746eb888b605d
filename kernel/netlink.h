/* SPDX-License-Identifier: GPL-2.0-only */
/* The "wgmesh" generic netlink family (Documentation/netlink/wgmesh.yaml). */
#ifndef _WGM_NETLINK_H
#define _WGM_NETLINK_H

#include <linux/types.h>

struct net;
struct sk_buff;
struct sockaddr;
struct wgm_peer;
struct wgm_device;
struct wgm_endpoint;

int wgm_genetlink_init(void);
void wgm_genetlink_uninit(void);

/* @ep's sockaddr_in or sockaddr_in6 as attribute @type; nothing when unset. */
int wgm_nl_put_sockaddr(struct sk_buff *skb, int type, const struct wgm_endpoint *ep);

/*
 * Typed event (WGM_DEVICE_A_EVENT, enum wgm_event_type @type) about @peer
 * to the "events" group of the peer's netns.  Any context, GFP_ATOMIC;
 * @old_ep/@new_ep may be NULL; the caller keeps @peer alive.  Skipped
 * without listeners, rate-limited for all devices together.
 */
void wgm_genl_event(struct wgm_peer *peer, u8 type,
		    const struct sockaddr *old_ep, const struct sockaddr *new_ep,
		    u32 reason, u32 value);

/*
 * Typed event about the device itself (no peer), e.g. WGM_EVENT_STUN_MAPPED;
 * otherwise like wgm_genl_event().
 */
void wgm_genl_device_event(struct wgm_device *wg, u8 type,
			   const struct sockaddr *old_ep,
			   const struct sockaddr *new_ep, u32 reason, u32 value);

/*
 * The mesh part (netlink-mesh.c).  wgm_nl_get_endpoint() is the one
 * attribute -> endpoint reader (a sockaddr_in or sockaddr_in6; -EINVAL
 * otherwise), wgm_nl_put_sockaddr() the one writer.
 * wgm_nl_mesh_set_candidates(): WGM_PEER_A_CANDIDATES (@attr may be NULL
 * with @replace) into the candidate engine; explains refusals in @extack.
 * wgm_nl_mesh_fill_peer(): NAT keepalive, path status and candidates of a
 * peer's dump; -EMSGSIZE leaves @skb as it was.  Both hold
 * device_update_lock.
 * wgm_nl_mesh_fill_stun(): WGM_DEVICE_A_STUN_SERVERS, _MAPPED_ADDRS and
 * _STUN_DROPPED of a device's dump; -ENOMEM when the snapshot cannot be
 * allocated.
 * wgm_nl_mesh_probe_event(): the engine's event work (process context, no
 * lock): multicasts one WGM_CMD_EVENT in the GET_DEVICE layout for @peer;
 * nonzero when nothing was sent (the engine then clears its pending flag).
 */
struct nlattr;
struct netlink_ext_ack;
struct wgm_probe_peer;

int wgm_nl_get_endpoint(struct wgm_endpoint *ep, const struct nlattr *attr);
int wgm_nl_mesh_set_candidates(struct wgm_peer *peer, const struct nlattr *attr,
			       bool replace, struct netlink_ext_ack *extack);
int wgm_nl_mesh_fill_peer(struct sk_buff *skb, struct wgm_peer *peer);
int wgm_nl_mesh_fill_stun(struct sk_buff *skb, struct wgm_device *wg);
int wgm_nl_mesh_probe_event(struct wgm_peer *peer, struct wgm_probe_peer *probe);

/*
 * Events built by the caller (netlink-mesh.c): wgm_genetlink_event_put() is
 * genlmsg_put() of a WGM_CMD_EVENT header; wgm_genetlink_event_send()
 * multicasts the finished message (GFP_KERNEL, process context) and
 * consumes @skb.  wgm_genetlink_has_listeners() says whether building one
 * is worth it.
 */
void *wgm_genetlink_event_put(struct sk_buff *skb);
int wgm_genetlink_event_send(struct net *net, struct sk_buff *skb);
bool wgm_genetlink_has_listeners(struct net *net);
/* wgm_setup(): the device's own budget of typed events (netlink.c) */
void wgm_genetlink_event_limit_init(struct wgm_device *wg);

/*
 * Inside the netlink layer: netlink.c's helpers for netlink-get.c (the
 * GET_DEVICE dump) and netlink-set.c (SET_DEVICE).
 * wgm_nl_refuse(): the first attribute of @tb that @refused has a message
 * for is refused with it (-EINVAL).  wgm_nl_check_sockaddr(): an endpoint
 * is a sockaddr_in or sockaddr_in6; the _candidate_ and _stun_ checks add
 * a port and an address that can be another host.  wgm_nl_lookup(): the
 * device a request names, held (dev_put() it), or an ERR_PTR.
 * wgm_nl_put_sa(): @sa as attribute @type; nothing for NULL.
 */
struct genl_family;
struct net_device;

extern struct genl_family wgm_genl_family;

int wgm_nl_refuse(struct nlattr **tb, int maxtype, const char * const *refused,
		  struct netlink_ext_ack *extack);
int wgm_nl_check_sockaddr(const struct nlattr *attr, struct netlink_ext_ack *extack);
int wgm_nl_check_candidate_sockaddr(const struct nlattr *attr, struct netlink_ext_ack *extack);
int wgm_nl_check_stun_sockaddr(const struct nlattr *attr, struct netlink_ext_ack *extack);
bool wgm_nl_is_wgmesh(const struct net_device *dev);
struct net_device *wgm_nl_lookup(struct net *net, struct nlattr **attrs,
				 struct netlink_ext_ack *extack);
int wgm_nl_put_sa(struct sk_buff *skb, int type, const struct sockaddr *sa);

#endif /* _WGM_NETLINK_H */
