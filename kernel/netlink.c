// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "wgmesh" generic netlink family, version 1.
 *
 * Documentation/netlink/wgmesh.yaml describes the messages.  The policies
 * and the operation table are generated from it (netlink-gen.c: types,
 * lengths, flag masks, strict validation); this file checks the rest (which
 * attributes an operation takes, read-only ones, usable endpoints), every
 * failure explained in the extended ack, and turns requests into calls on
 * the device.
 *
 * Every command needs CAP_NET_ADMIN in the device's namespace
 * (GENL_UNS_ADMIN_PERM), and so does listening to the events group: a
 * dump shows private and preshared keys, events show endpoints.
 *
 * GET_DEVICE (the dump) is in netlink-get.c, SET_DEVICE in netlink-set.c;
 * this file has what they share (refusals by attribute, endpoint checks,
 * the endpoint writer, device lookup), PUNCH and PING, events and the
 * family.
 *
 * PUNCH and PING name one peer of one device and hand it to punch.c.
 * Candidates, path status and the per-peer snapshot events are in
 * netlink-mesh.c.  Events go to the "events" multicast group: netlink-mesh.c
 * builds the snapshots (wgm_genetlink_event_put/send), typed events come from
 * wgm_genl_event(), from any context.
 */

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/if.h>
#include <linux/ratelimit.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/in.h>
#include <net/ipv6.h>
#include <crypto/algapi.h>
#include <crypto/curve25519.h>

#include "birthday.h"
#include "compat.h"
#include "uapi/linux/wgmesh.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "noise.h"
#include "cookie.h"
#include "socket.h"
#include "queueing.h"
#include "allowedips.h"
#include "probe.h"
#include "stun.h"

#define WGM_NL_LINK_KIND "wgmesh"

static_assert(WGM_KEY_LEN == WGM_KEY_BYTES);
/* the generated policies cover every attribute the parsers below take */
static_assert(ARRAY_SIZE(wgm_device_nl_policy) == WGM_DEVICE_A_MAX + 1);
static_assert(ARRAY_SIZE(wgm_peer_nl_policy) == WGM_PEER_A_MAX + 1);
static_assert(ARRAY_SIZE(wgm_allowedip_nl_policy) == WGM_ALLOWEDIP_A_MAX + 1);
static_assert(ARRAY_SIZE(wgm_candidate_nl_policy) == WGM_CANDIDATE_A_MAX + 1);
static_assert(ARRAY_SIZE(wgm_stun_nl_policy) == WGM_STUN_A_MAX + 1);

/* ---- what a request may say ------------------------------------------- */

#define WGM_NL_NOT_A_PEER \
	"PUNCH and PING take a device and one peer's public key only (PUNCH: also a birthday search)"

/* PUNCH and PING: a device and one peer, only named. */
static const char * const wgm_nl_punch_refused[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_PRIVATE_KEY ... WGM_DEVICE_A_FWMARK] = WGM_NL_NOT_A_PEER,
	[WGM_DEVICE_A_STUN_SERVERS ... WGM_DEVICE_A_MAX] = WGM_NL_NOT_A_PEER,
};

static const char * const wgm_nl_punch_peer_refused[WGM_PEER_A_MAX + 1] = {
	[WGM_PEER_A_PRESHARED_KEY ... WGM_PEER_A_PATH_STATUS] = WGM_NL_NOT_A_PEER,
	[WGM_PEER_A_NAT] = WGM_NL_NOT_A_PEER,
};

#define WGM_NL_BDAY_READ_ONLY "birthday search state is read-only"

static const char * const wgm_nl_bday_refused[WGM_BIRTHDAY_A_MAX + 1] = {
	[WGM_BIRTHDAY_A_STATE ... WGM_BIRTHDAY_A_PORT] = WGM_NL_BDAY_READ_ONLY,
};

/*
 * NL_SET_ERR_MSG_ATTR() for a message from a table: the macro wants a
 * literal, and the tables' strings are static too.
 */
static void wgm_nl_set_err(struct netlink_ext_ack *extack,
			   const struct nlattr *attr, const char *msg)
{
	do_trace_netlink_extack(msg);
	if (extack) {
		extack->_msg = msg;
		extack->bad_attr = attr;
	}
}

/*
 * The first attribute in @tb (parsed up to @maxtype) that @refused has a
 * message for is refused with it.
 */
int wgm_nl_refuse(struct nlattr **tb, int maxtype, const char * const *refused,
		  struct netlink_ext_ack *extack)
{
	int type;

	for (type = 1; type <= maxtype; type++) {
		if (!tb[type] || !refused[type])
			continue;
		wgm_nl_set_err(extack, tb[type], refused[type]);
		return -EINVAL;
	}
	return 0;
}

/* ---- endpoints in ---------------------------------------------------- */

/* Endpoints: exactly a struct sockaddr_in or a struct sockaddr_in6. */
int wgm_nl_check_sockaddr(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	const struct sockaddr *sa = nla_data(attr);
	int len = nla_len(attr);

	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET)
		return 0;
	if (len == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6)
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "endpoint must be a struct sockaddr_in or struct sockaddr_in6");
	return -EINVAL;
}

/*
 * Candidates (netlink-mesh.c applies the port and address rule again when it
 * installs them) and STUN servers must be usable destinations: an
 * endpoint as above, with a port, and an address that can be a path to
 * another host.  Refused: the unspecified address (0.0.0.0/8, ::),
 * loopback (127/8, ::1, their v4-mapped forms), IPv4 link-local
 * (169.254/16), multicast and the IPv4 limited broadcast.  Otherwise one
 * member could aim the probes of every node at its own local services.
 * Checked here, so that a bad one is refused before anything of the
 * request is applied.  IPv6 link-local stays allowed (a LAN path; the
 * scope id says which link).
 */
enum wgm_nl_dest_fault {
	WGM_NL_DEST_OK,
	WGM_NL_DEST_INCOMPLETE,		/* no port, or the unspecified address */
	WGM_NL_DEST_LOOPBACK,
	WGM_NL_DEST_LINKLOCAL,
	WGM_NL_DEST_MULTICAST,
	WGM_NL_DEST_BROADCAST,
	WGM_NL_DEST_NR,			/* the number of the above */
};

static enum wgm_nl_dest_fault wgm_nl_dest_fault4(__be32 addr)
{
	/* "this network" (RFC 1122): a source, never a destination */
	if ((addr & htonl(0xff000000)) == 0)
		return WGM_NL_DEST_INCOMPLETE;
	if (ipv4_is_loopback(addr))
		return WGM_NL_DEST_LOOPBACK;
	if (ipv4_is_linklocal_169(addr))
		return WGM_NL_DEST_LINKLOCAL;
	if (ipv4_is_multicast(addr))
		return WGM_NL_DEST_MULTICAST;
	if (ipv4_is_lbcast(addr))
		return WGM_NL_DEST_BROADCAST;
	return WGM_NL_DEST_OK;
}

/* @attr passed wgm_nl_check_sockaddr(). */
static enum wgm_nl_dest_fault wgm_nl_dest_fault(const struct nlattr *attr)
{
	const struct sockaddr_in6 *sin6 = nla_data(attr);
	const struct sockaddr_in *sin = nla_data(attr);
	const struct in6_addr *a6 = &sin6->sin6_addr;

	if (sin->sin_family == AF_INET)
		return sin->sin_port ? wgm_nl_dest_fault4(sin->sin_addr.s_addr) :
				       WGM_NL_DEST_INCOMPLETE;
	if (!sin6->sin6_port || ipv6_addr_any(a6))
		return WGM_NL_DEST_INCOMPLETE;
	if (ipv6_addr_v4mapped(a6))
		return wgm_nl_dest_fault4(a6->s6_addr32[3]);
	if (ipv6_addr_loopback(a6))
		return WGM_NL_DEST_LOOPBACK;
	if (ipv6_addr_is_multicast(a6))
		return WGM_NL_DEST_MULTICAST;
	return WGM_NL_DEST_OK;
}

/* What each fault is called, for candidates and for STUN servers. */
static const char * const wgm_nl_candidate_dest_msg[WGM_NL_DEST_NR] = {
	[WGM_NL_DEST_INCOMPLETE] = "candidate endpoint needs an address and a port",
	[WGM_NL_DEST_LOOPBACK] =
		"candidate endpoint is a loopback address (never a path from another host)",
	[WGM_NL_DEST_LINKLOCAL] =
		"candidate endpoint is an IPv4 link-local address (169.254.0.0/16)",
	[WGM_NL_DEST_MULTICAST] = "candidate endpoint is a multicast address",
	[WGM_NL_DEST_BROADCAST] = "candidate endpoint is the broadcast address",
};

static const char * const wgm_nl_stun_dest_msg[WGM_NL_DEST_NR] = {
	[WGM_NL_DEST_INCOMPLETE] = "STUN server needs an address and a port",
	[WGM_NL_DEST_LOOPBACK] =
		"STUN server is a loopback address (never a path from another host)",
	[WGM_NL_DEST_LINKLOCAL] =
		"STUN server is an IPv4 link-local address (169.254.0.0/16)",
	[WGM_NL_DEST_MULTICAST] = "STUN server is a multicast address",
	[WGM_NL_DEST_BROADCAST] = "STUN server is the broadcast address",
};

static int wgm_nl_check_dest(const struct nlattr *attr, const char * const *msg,
			     struct netlink_ext_ack *extack)
{
	enum wgm_nl_dest_fault fault;
	int ret = wgm_nl_check_sockaddr(attr, extack);

	if (ret)
		return ret;
	fault = wgm_nl_dest_fault(attr);
	if (fault == WGM_NL_DEST_OK)
		return 0;
	wgm_nl_set_err(extack, attr, msg[fault]);
	return -EINVAL;
}

int wgm_nl_check_candidate_sockaddr(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	return wgm_nl_check_dest(attr, wgm_nl_candidate_dest_msg, extack);
}

int wgm_nl_check_stun_sockaddr(const struct nlattr *attr, struct netlink_ext_ack *extack)
{
	return wgm_nl_check_dest(attr, wgm_nl_stun_dest_msg, extack);
}

/* ---- endpoints out --------------------------------------------------- */

/* The one endpoint writer. */
/* AF_INET and AF_INET6 addresses; nothing for NULL or anything else. */
int wgm_nl_put_sa(struct sk_buff *skb, int type, const struct sockaddr *sa)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET)
		return nla_put(skb, type, sizeof(struct sockaddr_in), sa);
	if (sa->sa_family == AF_INET6)
		return nla_put(skb, type, sizeof(struct sockaddr_in6), sa);
	return 0;
}

int wgm_nl_put_sockaddr(struct sk_buff *skb, int type, const struct wgm_endpoint *ep)
{
	return wgm_nl_put_sa(skb, type, &ep->addr);
}

/* ---- device lookup --------------------------------------------------- */

bool wgm_nl_is_wgmesh(const struct net_device *dev)
{
	return dev->rtnl_link_ops &&
	       !strcmp(dev->rtnl_link_ops->kind, WGM_NL_LINK_KIND);
}

/*
 * The device named by WGM_DEVICE_A_IFINDEX or WGM_DEVICE_A_IFNAME in @net
 * (the requester's namespace), with a reference held (dev_put() it), or an
 * ERR_PTR with the reason in @extack.  When both are given they must name
 * the same device.
 */
struct net_device *wgm_nl_lookup(struct net *net, struct nlattr **attrs,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *index = attrs[WGM_DEVICE_A_IFINDEX];
	struct nlattr *name = attrs[WGM_DEVICE_A_IFNAME];
	struct net_device *dev;

	if (!index && !name) {
		NL_SET_ERR_MSG(extack,
			       "no device given: need WGM_DEVICE_A_IFINDEX or WGM_DEVICE_A_IFNAME");
		NL_SET_ERR_ATTR_MISS(extack, NULL, WGM_DEVICE_A_IFINDEX);
		return ERR_PTR(-EINVAL);
	}
	if (index)
		dev = dev_get_by_index(net, nla_get_u32(index));
	else
		dev = dev_get_by_name(net, nla_data(name));
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(extack, index ? index : name,
				    "no such device in this network namespace");
		return ERR_PTR(-ENODEV);
	}
	if (index && name && nla_strcmp(name, dev->name)) {
		NL_SET_ERR_MSG_ATTR(extack, name,
				    "WGM_DEVICE_A_IFINDEX and WGM_DEVICE_A_IFNAME name different devices");
		dev_put(dev);
		return ERR_PTR(-EINVAL);
	}
	if (!wgm_nl_is_wgmesh(dev)) {
		NL_SET_ERR_MSG_ATTR(extack, index ? index : name,
				    "not a wgmesh device");
		dev_put(dev);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dev;
}

/* ---- PUNCH and PING -------------------------------------------------- */

/*
 * The one WGM_PEER_A_PUBLIC_KEY of a PUNCH or PING request, or NULL with
 * the reason in @extack.
 */
static const u8 *wgm_nl_punch_key(struct nlattr **attrs, struct nlattr **bday,
				  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_PEER_A_MAX + 1], *peers = attrs[WGM_DEVICE_A_PEERS];
	struct nlattr *peer, *first = NULL;
	unsigned int n = 0;
	int rem;

	if (wgm_nl_refuse(attrs, WGM_DEVICE_A_MAX, wgm_nl_punch_refused, extack))
		return NULL;
	if (!peers) {
		NL_SET_ERR_MSG(extack, "no peer given: need WGM_DEVICE_A_PEERS");
		NL_SET_ERR_ATTR_MISS(extack, NULL, WGM_DEVICE_A_PEERS);
		return NULL;
	}
	nla_for_each_nested(peer, peers, rem) {
		if (!first)
			first = peer;
		n++;
	}
	if (n != 1) {
		NL_SET_ERR_MSG_ATTR(extack, peers, "need exactly one peer");
		return NULL;
	}
	if (nla_parse_nested(tb, WGM_PEER_A_MAX, first, wgm_peer_nl_policy,
			     extack) ||
	    wgm_nl_refuse(tb, WGM_PEER_A_MAX, wgm_nl_punch_peer_refused, extack))
		return NULL;
	if (!tb[WGM_PEER_A_PUBLIC_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, first, "peer needs WGM_PEER_A_PUBLIC_KEY");
		NL_SET_ERR_ATTR_MISS(extack, first, WGM_PEER_A_PUBLIC_KEY);
		return NULL;
	}
	*bday = tb[WGM_PEER_A_BIRTHDAY];
	return nla_data(tb[WGM_PEER_A_PUBLIC_KEY]);
}

/* A PUNCH's birthday search request, checked (WGM_PEER_A_BIRTHDAY). */
struct wgm_nl_bday_req {
	u8 role;
	u16 count;
	struct sockaddr_in target;
};

static int wgm_nl_parse_birthday(const struct nlattr *attr, struct wgm_nl_bday_req *req,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_BIRTHDAY_A_MAX + 1], *t;
	struct wgm_endpoint ep;
	int ret;

	ret = nla_parse_nested(tb, WGM_BIRTHDAY_A_MAX, attr, wgm_birthday_nl_policy, extack);
	if (ret)
		return ret;
	ret = wgm_nl_refuse(tb, WGM_BIRTHDAY_A_MAX, wgm_nl_bday_refused, extack);
	if (ret)
		return ret;
	if (!tb[WGM_BIRTHDAY_A_ROLE] || !nla_get_u8(tb[WGM_BIRTHDAY_A_ROLE])) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "birthday search needs a role (open or spray)");
		NL_SET_ERR_ATTR_MISS(extack, attr, WGM_BIRTHDAY_A_ROLE);
		return -EINVAL;
	}
	req->role = nla_get_u8(tb[WGM_BIRTHDAY_A_ROLE]);
	t = tb[WGM_BIRTHDAY_A_TARGET];
	if (!t) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "birthday search needs a target address");
		NL_SET_ERR_ATTR_MISS(extack, attr, WGM_BIRTHDAY_A_TARGET);
		return -EINVAL;
	}
	ret = wgm_nl_check_candidate_sockaddr(t, extack);
	if (ret)
		return ret;
	ret = wgm_nl_get_endpoint(&ep, t);
	if (ret || ep.addr.sa_family != AF_INET) {
		NL_SET_ERR_MSG_ATTR(extack, t,
				    "birthday search target must be IPv4 (IPv6 has no NAT to search)");
		return -EAFNOSUPPORT;
	}
	req->target = ep.addr4;
	req->count = tb[WGM_BIRTHDAY_A_COUNT] ? nla_get_u16(tb[WGM_BIRTHDAY_A_COUNT]) : 0;
	if (req->role == WGM_BIRTHDAY_OPEN && req->count > WGM_BIRTHDAY_MAX_SOCKETS) {
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_BIRTHDAY_A_COUNT],
				    "birthday search opens at most 256 sockets");
		return -ERANGE;
	}
	return 0;
}

/* WGM_CMD_PUNCH and WGM_CMD_PING: probe and punch towards one peer now. */
int wgm_nl_punch_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *bday_attr = NULL;
	struct wgm_nl_bday_req bday;
	struct net_device *dev;
	struct wgm_device *wg;
	struct wgm_peer *peer;
	const u8 *key;
	int ret;

	key = wgm_nl_punch_key(info->attrs, &bday_attr, extack);
	if (!key)
		return -EINVAL;
	if (bday_attr && info->genlhdr->cmd != WGM_CMD_PUNCH) {
		NL_SET_ERR_MSG_ATTR(extack, bday_attr, "birthday search: PUNCH only, not PING");
		return -EINVAL;
	}
	if (bday_attr) {
		ret = wgm_nl_parse_birthday(bday_attr, &bday, extack);
		if (ret)
			return ret;
	}
	dev = wgm_nl_lookup(genl_info_net(info), info->attrs, extack);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	wg = netdev_priv(dev);

	mutex_lock(&wg->device_update_lock);
	/* removed peers left the table under this lock */
	peer = wgm_pubkey_hashtable_lookup(wg->peer_hashtable, key);
	if (!peer) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[WGM_DEVICE_A_PEERS], "no such peer");
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = wgm_probe_punch(peer);
	if (ret == -ENOKEY)
		NL_SET_ERR_MSG(extack,
			       "the peer cannot be probed yet (the device has no private key)");
	else if (ret == -EDESTADDRREQ)
		NL_SET_ERR_MSG(extack, "the peer has no candidate endpoints");
	else if (ret)
		NL_SET_ERR_MSG(extack, "could not start probing the peer");
	if (!ret && bday_attr) {
		ret = wgm_birthday_start(peer, bday.role, &bday.target, bday.count);
		if (ret == -EBUSY)
			NL_SET_ERR_MSG(extack,
				       "a birthday search already runs on this device: retry after it");
		else if (ret == -ENETDOWN)
			NL_SET_ERR_MSG(extack, "the device is down");
		else if (ret == -ENOKEY)
			NL_SET_ERR_MSG(extack, "the peer cannot be probed yet (no probe key)");
		else if (ret)
			NL_SET_ERR_MSG(extack, "could not start the birthday search");
	}
	wgm_peer_put(peer);
out_unlock:
	mutex_unlock(&wg->device_update_lock);
	dev_put(dev);
	return ret;
}

int wgm_nl_ping_doit(struct sk_buff *skb, struct genl_info *info)
{
	return wgm_nl_punch_doit(skb, info);
}

/* ---- events ---------------------------------------------------------- */

/*
 * Typed events may come from the packet path: each device sends at most
 * WGM_NL_EVENTS_PER_SEC, the rest are dropped (listeners that need the
 * full state dump the device).  The budget is the device's own, not one
 * for the module: a device in somebody else's namespace (an unprivileged
 * user's, say) that churns through its events cannot starve this one's
 * listeners (meshd learns new STUN mappings from them).
 */
#define WGM_NL_EVENTS_PER_SEC 200

void wgm_genetlink_event_limit_init(struct wgm_device *wg)
{
	ratelimit_state_init(&wg->event_rs, HZ, WGM_NL_EVENTS_PER_SEC);
	/* a dropped event is not worth a log line */
	ratelimit_set_flags(&wg->event_rs, RATELIMIT_MSG_ON_RELEASE);
}

void *wgm_genetlink_event_put(struct sk_buff *skb)
{
	return genlmsg_put(skb, 0, 0, &wgm_genl_family, 0, WGM_CMD_EVENT);
}

bool wgm_genetlink_has_listeners(struct net *net)
{
	if (!WGM_HAVE_MCAST_CAP)
		return false;	/* see wgm_genl_mcgrps */
	return genl_has_listeners(&wgm_genl_family, net, WGM_NLGRP_EVENTS) > 0;
}

int wgm_genetlink_event_send(struct net *net, struct sk_buff *skb)
{
	if (!WGM_HAVE_MCAST_CAP) {
		nlmsg_free(skb);	/* see wgm_genl_mcgrps */
		return -EPERM;
	}
	return genlmsg_multicast_netns(&wgm_genl_family, net, skb, 0,
				       WGM_NLGRP_EVENTS, GFP_KERNEL);
}

static size_t wgm_nl_event_size(void)
{
	size_t sa = nla_total_size(sizeof(struct sockaddr_in6));

	return nla_total_size(sizeof(u32)) +		/* IFINDEX */
	       nla_total_size(IFNAMSIZ) +		/* IFNAME */
	       nla_total_size(0) +			/* PEERS */
	       nla_total_size(0) +			/* the peer */
	       nla_total_size(WGM_KEY_LEN) +		/* its PUBLIC_KEY */
	       nla_total_size(0) +			/* EVENT */
	       nla_total_size(sizeof(u8)) +		/* TYPE */
	       2 * sa +					/* OLD/NEW_ENDPOINT */
	       2 * nla_total_size(sizeof(u32));		/* REASON, VALUE */
}

/* @peer NULL: an event about the device itself (no WGM_DEVICE_A_PEERS). */
static int wgm_nl_fill_event(struct sk_buff *skb, struct wgm_device *wg,
			     struct wgm_peer *peer,
			     u8 type, const struct sockaddr *old_ep,
			     const struct sockaddr *new_ep, u32 reason, u32 value)
{
	struct net_device *dev = wg->dev;
	struct nlattr *peers, *one, *ev;

	if (nla_put_u32(skb, WGM_DEVICE_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, WGM_DEVICE_A_IFNAME, dev->name))
		return -EMSGSIZE;
	if (!peer)
		goto event;
	peers = nla_nest_start(skb, WGM_DEVICE_A_PEERS);
	if (!peers)
		return -EMSGSIZE;
	one = nla_nest_start(skb, 0);
	/* remote_static is set when the peer is created and never changes */
	if (!one || nla_put(skb, WGM_PEER_A_PUBLIC_KEY, WGM_KEY_LEN,
			    peer->handshake.remote_static))
		return -EMSGSIZE;
	nla_nest_end(skb, one);
	nla_nest_end(skb, peers);
event:
	ev = nla_nest_start(skb, WGM_DEVICE_A_EVENT);
	if (!ev ||
	    nla_put_u8(skb, WGM_EVENT_A_TYPE, type) ||
	    wgm_nl_put_sa(skb, WGM_EVENT_A_OLD_ENDPOINT, old_ep) ||
	    wgm_nl_put_sa(skb, WGM_EVENT_A_NEW_ENDPOINT, new_ep) ||
	    nla_put_u32(skb, WGM_EVENT_A_REASON, reason) ||
	    nla_put_u32(skb, WGM_EVENT_A_VALUE, value))
		return -EMSGSIZE;
	nla_nest_end(skb, ev);
	return 0;
}

/*
 * Multicasts a typed WGM_CMD_EVENT about @peer, or about @wg itself when
 * @peer is NULL (enum wgm_event_type @type; @old_ep/@new_ep may be NULL)
 * in the device's network namespace.
 * Any context (softirq included); the caller keeps @peer alive.  Nothing
 * is built when nobody listens; beyond @wg's event_rs events are dropped.
 */
static void wgm_nl_event(struct wgm_device *wg, struct wgm_peer *peer, u8 type,
			 const struct sockaddr *old_ep, const struct sockaddr *new_ep,
			 u32 reason, u32 value)
{
	struct net *net = dev_net(wg->dev);
	struct sk_buff *skb;
	void *hdr;

	if (!wgm_genetlink_has_listeners(net) || !__ratelimit(&wg->event_rs))
		return;
	skb = genlmsg_new(wgm_nl_event_size(), GFP_ATOMIC);
	if (!skb)
		return;
	hdr = wgm_genetlink_event_put(skb);
	if (!hdr)
		goto err_fill;
	if (wgm_nl_fill_event(skb, wg, peer, type, old_ep, new_ep, reason, value))
		goto err_fill;
	genlmsg_end(skb, hdr);
	/* no listener left meanwhile (-ESRCH) is no error */
	genlmsg_multicast_netns(&wgm_genl_family, net, skb, 0,
				WGM_NLGRP_EVENTS, GFP_ATOMIC);
	return;

err_fill:
	nlmsg_free(skb);
}

void wgm_genl_event(struct wgm_peer *peer, u8 type,
		    const struct sockaddr *old_ep, const struct sockaddr *new_ep,
		    u32 reason, u32 value)
{
	wgm_nl_event(peer->device, peer, type, old_ep, new_ep, reason, value);
}

/* Like wgm_genl_event(), about the device itself (no peer in it). */
void wgm_genl_device_event(struct wgm_device *wg, u8 type,
			   const struct sockaddr *old_ep,
			   const struct sockaddr *new_ep, u32 reason, u32 value)
{
	wgm_nl_event(wg, NULL, type, old_ep, new_ep, reason, value);
}

/* ---- the family ------------------------------------------------------ */

/*
 * Events name keys, endpoints and candidates: CAP_NET_ADMIN to listen.  A
 * kernel without GENL_MCAST_CAP_NET_ADMIN (compat.h: WGM_HAVE_MCAST_CAP 0)
 * cannot keep anyone out of the group, so nothing is sent to it there.
 */
static const struct genl_multicast_group wgm_genl_mcgrps[] = {
	[WGM_NLGRP_EVENTS] = { .name = WGM_MCGRP_EVENTS,
			       .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family wgm_genl_family __ro_after_init = {
	.name = WGM_GENL_NAME,
	.version = WGM_GENL_VERSION,
	/* netlink-gen.c, from the spec; WGM_CMD_EVENT is only ever sent */
	.maxattr = ARRAY_SIZE(wgm_device_nl_policy) - 1,
	.policy = wgm_device_nl_policy,
	.netnsok = true,
	/*
	 * Every command validates strictly: reserved header bytes and flags,
	 * unknown attributes, NLA_F_NESTED, exact lengths.
	 */
	.resv_start_op = 0,
	.small_ops = wgm_nl_ops,
	.n_small_ops = ARRAY_SIZE(wgm_nl_ops),
	.mcgrps = wgm_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(wgm_genl_mcgrps),
	.module = THIS_MODULE,
};

int __init wgm_genetlink_init(void)
{
	return genl_register_family(&wgm_genl_family);
}

void wgm_genetlink_uninit(void)
{
	genl_unregister_family(&wgm_genl_family);
}
