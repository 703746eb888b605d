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
 * GET_DEVICE is a dump that may take several messages for a large device.
 * Each message carries the device's ifindex and name, the first one also
 * its keys, port and fwmark, and every message a slice of the peer list.
 * When a peer's allowed IPs do not fit, the peer is closed with what did
 * fit and continued at the start of the next message under the same public
 * key.  Between messages nothing is held, no lock and no reference (a
 * reader that never reads must not keep a device from going away): the
 * position is an ifindex and a peer id, see struct wgm_nl_dump.
 *
 * SET_DEVICE validates the whole message first (every peer, every allowed
 * IP) and only then changes anything, under rtnl and device_update_lock.
 * Errors past that point are resource failures (no memory, port in use,
 * table full); the listen port, the likeliest of them, is applied first.
 * Candidate endpoints are checked in the same first pass (see
 * wgm_nl_check_candidates()), so a bad one changes nothing either.
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

static struct genl_family wgm_genl_family;

static const u8 wgm_nl_zero_key[WGM_KEY_BYTES];

/* ---- what a request may say ------------------------------------------- */

/*
 * Attributes a request must not carry, by type: the message that refuses
 * each.  The generated policies let them through (they only check types),
 * so that the refusal can say what is wrong.
 */
#define WGM_NL_READ_ONLY(what) what " is read-only"

static const char * const wgm_nl_device_refused[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_PUBLIC_KEY] =
		WGM_NL_READ_ONLY("the public key (it follows from the private key)"),
	[WGM_DEVICE_A_MAPPED_ADDRS] = WGM_NL_READ_ONLY("the mapped address list"),
	[WGM_DEVICE_A_EVENT] = WGM_NL_READ_ONLY("an event"),
	[WGM_DEVICE_A_STUN_DROPPED] = WGM_NL_READ_ONLY("the STUN drop count"),
};

static const char * const wgm_nl_peer_refused[WGM_PEER_A_MAX + 1] = {
	[WGM_PEER_A_LAST_HANDSHAKE_TIME] = WGM_NL_READ_ONLY("last handshake time"),
	[WGM_PEER_A_RX_BYTES] = WGM_NL_READ_ONLY("rx byte count"),
	[WGM_PEER_A_TX_BYTES] = WGM_NL_READ_ONLY("tx byte count"),
	[WGM_PEER_A_PATH_STATUS] = WGM_NL_READ_ONLY("path status"),
};

static const char * const wgm_nl_candidate_refused[WGM_CANDIDATE_A_MAX + 1] = {
	[WGM_CANDIDATE_A_STATE] = WGM_NL_READ_ONLY("candidate state"),
	[WGM_CANDIDATE_A_RTT_US] = WGM_NL_READ_ONLY("candidate RTT"),
	[WGM_CANDIDATE_A_LAST_SENT] = WGM_NL_READ_ONLY("candidate last-sent time"),
	[WGM_CANDIDATE_A_LAST_SEEN] = WGM_NL_READ_ONLY("candidate last-seen time"),
	[WGM_CANDIDATE_A_PROBES_SENT] = WGM_NL_READ_ONLY("candidate probe count"),
	[WGM_CANDIDATE_A_PROBES_LOST] = WGM_NL_READ_ONLY("candidate loss count"),
	[WGM_CANDIDATE_A_FLAGS] = WGM_NL_READ_ONLY("candidate flags"),
};

static const char * const wgm_nl_stun_refused[WGM_STUN_A_MAX + 1] = {
	[WGM_STUN_A_MAPPED] = WGM_NL_READ_ONLY("the mapped address"),
	[WGM_STUN_A_LAST_SUCCESS] = WGM_NL_READ_ONLY("STUN last-success time"),
	[WGM_STUN_A_REQUESTS] = WGM_NL_READ_ONLY("STUN request count"),
	[WGM_STUN_A_RESPONSES] = WGM_NL_READ_ONLY("STUN response count"),
};

/* GET_DEVICE requests only select the device. */
static const char * const wgm_nl_get_refused[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_PRIVATE_KEY ... WGM_DEVICE_A_MAX] =
		"GET_DEVICE takes only WGM_DEVICE_A_IFINDEX or WGM_DEVICE_A_IFNAME",
};

#define WGM_NL_NOT_A_PEER "PUNCH and PING take a device and one peer's public key only"

/* PUNCH and PING: a device and one peer, only named. */
static const char * const wgm_nl_punch_refused[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_PRIVATE_KEY ... WGM_DEVICE_A_FWMARK] = WGM_NL_NOT_A_PEER,
	[WGM_DEVICE_A_STUN_SERVERS ... WGM_DEVICE_A_MAX] = WGM_NL_NOT_A_PEER,
};

static const char * const wgm_nl_punch_peer_refused[WGM_PEER_A_MAX + 1] = {
	[WGM_PEER_A_PRESHARED_KEY ... WGM_PEER_A_MAX] = WGM_NL_NOT_A_PEER,
};

/*
 * The first attribute in @tb (parsed up to @maxtype) that @refused has a
 * message for is refused with it.
 */
static int wgm_nl_refuse(struct nlattr **tb, int maxtype,
			 const char * const *refused,
			 struct netlink_ext_ack *extack)
{
	int type;

	for (type = 1; type <= maxtype; type++) {
		if (!tb[type] || !refused[type])
			continue;
		/* NL_SET_ERR_MSG_ATTR() wants a literal; these are static too */
		do_trace_netlink_extack(refused[type]);
		if (extack) {
			extack->_msg = refused[type];
			extack->bad_attr = tb[type];
		}
		return -EINVAL;
	}
	return 0;
}

/* Endpoints: exactly a struct sockaddr_in or a struct sockaddr_in6. */
static int wgm_nl_check_sockaddr(const struct nlattr *attr,
				 struct netlink_ext_ack *extack)
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

static int wgm_nl_check_candidate_sockaddr(const struct nlattr *attr,
					   struct netlink_ext_ack *extack)
{
	int ret = wgm_nl_check_sockaddr(attr, extack);

	if (ret)
		return ret;
	switch (wgm_nl_dest_fault(attr)) {
	case WGM_NL_DEST_OK:
		return 0;
	case WGM_NL_DEST_INCOMPLETE:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "candidate endpoint needs an address and a port");
		break;
	case WGM_NL_DEST_LOOPBACK:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "candidate endpoint is a loopback address (never a path from another host)");
		break;
	case WGM_NL_DEST_LINKLOCAL:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "candidate endpoint is an IPv4 link-local address (169.254.0.0/16)");
		break;
	case WGM_NL_DEST_MULTICAST:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "candidate endpoint is a multicast address");
		break;
	case WGM_NL_DEST_BROADCAST:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "candidate endpoint is the broadcast address");
		break;
	}
	return -EINVAL;
}

static int wgm_nl_check_stun_sockaddr(const struct nlattr *attr,
				      struct netlink_ext_ack *extack)
{
	int ret = wgm_nl_check_sockaddr(attr, extack);

	if (ret)
		return ret;
	switch (wgm_nl_dest_fault(attr)) {
	case WGM_NL_DEST_OK:
		return 0;
	case WGM_NL_DEST_INCOMPLETE:
		NL_SET_ERR_MSG_ATTR(extack, attr, "STUN server needs an address and a port");
		break;
	case WGM_NL_DEST_LOOPBACK:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "STUN server is a loopback address (never a path from another host)");
		break;
	case WGM_NL_DEST_LINKLOCAL:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "STUN server is an IPv4 link-local address (169.254.0.0/16)");
		break;
	case WGM_NL_DEST_MULTICAST:
		NL_SET_ERR_MSG_ATTR(extack, attr, "STUN server is a multicast address");
		break;
	case WGM_NL_DEST_BROADCAST:
		NL_SET_ERR_MSG_ATTR(extack, attr, "STUN server is the broadcast address");
		break;
	}
	return -EINVAL;
}

/* ---- device lookup --------------------------------------------------- */

static bool wgm_nl_is_wgmesh(const struct net_device *dev)
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
static struct net_device *wgm_nl_lookup(struct net *net, struct nlattr **attrs,
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

/* ---- GET_DEVICE ------------------------------------------------------ */

/*
 * Dump position, kept in cb->ctx between messages.  It holds no reference
 * and no pointer: between two messages the device and every peer may go
 * away, so each message looks the device up again by ifindex (in the
 * dumping socket's namespace) and finds its place again by peer id.
 *
 * Peers carry internal_id, from a global counter, taken and linked at the
 * tail of wg->peer_list under device_update_lock: the list is in
 * increasing id order.  The dump resumes at the first peer whose id is
 * above the last one sent, so peers added meanwhile (higher ids) are sent
 * once, removed ones are simply not met, and none that stayed is skipped
 * or repeated: adding or removing peers does not interrupt a dump.
 *
 * A peer left split (allowed IPs that did not fit) resumes after the
 * prefixes already sent, counted in its insertion-ordered prefix list.
 * That count is only exact while the device's allowed-IPs table did not
 * change: if it did, the dump goes on but is flagged NLM_F_DUMP_INTR.
 * If the device is gone, or its ifindex now names another device, the
 * dump ends with -ENODEV.
 */
struct wgm_nl_dump {
	u64 dev_id;		/* the device's nl_dump_id */
	u64 last_id;		/* internal_id of the last peer (partly) sent */
	u64 aip_seq;		/* peer_allowedips.seq when a peer was left split */
	u32 aips_sent;		/* prefixes of that split peer already sent */
	int ifindex;
	bool started;		/* first message (device attributes) sent */
	bool split;		/* peer last_id is to be continued */
	bool intr;		/* a split peer's prefixes changed meanwhile */
	bool finished;		/* every peer sent */
};

static_assert(sizeof(struct wgm_nl_dump) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct wgm_nl_dump *wgm_nl_dump_ctx(struct netlink_callback *cb)
{
	return (struct wgm_nl_dump *)cb->ctx;
}

/* Identities for dumps; never 0, never reused. */
static atomic64_t wgm_nl_dump_ids = ATOMIC64_INIT(0);

/* Must hold device_update_lock. */
static u64 wgm_nl_dump_id(struct wgm_device *wg)
{
	lockdep_assert_held(&wg->device_update_lock);
	if (!wg->nl_dump_id)
		wg->nl_dump_id = atomic64_inc_return(&wgm_nl_dump_ids);
	return wg->nl_dump_id;
}

/* The one endpoint writer. */
/* AF_INET and AF_INET6 addresses; nothing for NULL or anything else. */
static int wgm_nl_put_sa(struct sk_buff *skb, int type,
			 const struct sockaddr *sa)
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

/* Everything about a peer except its public key and allowed IPs. */
static int wgm_nl_fill_peer_head(struct sk_buff *skb, struct wgm_peer *peer)
{
	struct __kernel_timespec last = {};
	struct wgm_endpoint ep;
	struct timespec64 ts;
	int ret;

	/* GET_DEVICE needs CAP_NET_ADMIN, as SET_DEVICE does */
	down_read(&peer->handshake.lock);
	ret = nla_put(skb, WGM_PEER_A_PRESHARED_KEY, WGM_KEY_LEN,
		      peer->handshake.preshared_key);
	up_read(&peer->handshake.lock);
	if (ret)
		return ret;
	wgm_peer_read_handshake_walltime(peer, &ts);
	last.tv_sec = ts.tv_sec;
	last.tv_nsec = ts.tv_nsec;

	read_lock_bh(&peer->endpoint_lock);
	ep = peer->endpoint;
	read_unlock_bh(&peer->endpoint_lock);

	if (nla_put(skb, WGM_PEER_A_LAST_HANDSHAKE_TIME, sizeof(last), &last) ||
	    nla_put_u16(skb, WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
			peer->persistent_keepalive_interval) ||
	    nla_put_u64_64bit(skb, WGM_PEER_A_RX_BYTES,
			      atomic64_read(&peer->rx_bytes), WGM_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, WGM_PEER_A_TX_BYTES,
			      atomic64_read(&peer->tx_bytes), WGM_PEER_A_PAD) ||
	    nla_put_u32(skb, WGM_PEER_A_PROTOCOL_VERSION, 1) ||
	    wgm_nl_put_sockaddr(skb, WGM_PEER_A_ENDPOINT, &ep))
		return -EMSGSIZE;
	return wgm_nl_mesh_fill_peer(skb, peer);
}

static int wgm_nl_fill_aip(struct sk_buff *skb,
			   const struct wgm_allowedips_node *node)
{
	struct nlattr *nest;
	u8 ip[16], cidr;
	int family;

	family = wgm_allowedips_read_node(node, ip, &cidr);
	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, WGM_ALLOWEDIP_A_FAMILY, family) ||
	    nla_put(skb, WGM_ALLOWEDIP_A_IPADDR,
		    family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr),
		    ip) ||
	    nla_put_u8(skb, WGM_ALLOWEDIP_A_CIDR_MASK, cidr)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Appends @peer as one entry of WGM_DEVICE_A_PEERS: from the start when
 * @skip is 0 and !@cont, else (a continuation: public key and prefixes
 * only) after its first @skip prefixes.  Returns 0 when the peer is
 * complete, 1 when only part of it fit (*@sent: prefixes in this message),
 * -EMSGSIZE when nothing of it fit (the skb is left as it was).  Must hold
 * device_update_lock (the peer's prefix list).
 */
static int wgm_nl_fill_peer(struct sk_buff *skb, struct wgm_peer *peer,
			    bool cont, u32 skip, u32 *sent)
{
	struct wgm_allowedips_node *node;
	struct nlattr *nest, *aips;
	bool complete = true;

	lockdep_assert_held(&peer->device->device_update_lock);
	*sent = 0;
	nest = nla_nest_start(skb, 0);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put(skb, WGM_PEER_A_PUBLIC_KEY, WGM_KEY_LEN,
		    peer->handshake.remote_static))
		goto cancel;
	if (!cont && wgm_nl_fill_peer_head(skb, peer))
		goto cancel;

	node = wgm_allowedips_peer_first(peer);
	while (node && skip--)
		node = wgm_allowedips_peer_next(peer, node);
	if (node) {
		aips = nla_nest_start(skb, WGM_PEER_A_ALLOWEDIPS);
		complete = false;
		if (aips) {
			for (; node; node = wgm_allowedips_peer_next(peer, node)) {
				if (wgm_nl_fill_aip(skb, node))
					break;
				++*sent;
			}
			complete = !node;
			if (*sent)
				nla_nest_end(skb, aips);
			else
				nla_nest_cancel(skb, aips);
		}
	}
	/* a continuation that carries no prefix would be no progress */
	if (cont && !*sent && !complete)
		goto cancel;
	nla_nest_end(skb, nest);
	return complete ? 0 : 1;

cancel:
	nla_nest_cancel(skb, nest);
	*sent = 0;
	return -EMSGSIZE;
}

static int wgm_nl_fill_device(struct sk_buff *skb, struct wgm_device *wg,
			      bool first)
{
	struct wgm_static_identity *si = &wg->static_identity;
	int ret = 0;

	if (nla_put_u32(skb, WGM_DEVICE_A_IFINDEX, wg->dev->ifindex) ||
	    nla_put_string(skb, WGM_DEVICE_A_IFNAME, wg->dev->name))
		return -EMSGSIZE;
	if (!first)
		return 0;
	if (nla_put_u16(skb, WGM_DEVICE_A_LISTEN_PORT, wg->incoming_port) ||
	    nla_put_u32(skb, WGM_DEVICE_A_FWMARK, wg->fwmark))
		return -EMSGSIZE;
	ret = wgm_nl_mesh_fill_stun(skb, wg);
	if (ret)
		return ret;
	down_read(&si->lock);
	if (si->has_identity) {
		ret = nla_put(skb, WGM_DEVICE_A_PUBLIC_KEY, WGM_KEY_LEN,
			      si->static_public);
		if (!ret)
			ret = nla_put(skb, WGM_DEVICE_A_PRIVATE_KEY, WGM_KEY_LEN,
				      si->static_private);
	}
	up_read(&si->lock);
	return ret;
}

/*
 * Where the next message starts: the split peer itself if it is still
 * there (*@cont set), else the first peer with a higher id; NULL at the
 * end of the list.  Must hold device_update_lock.
 */
static struct wgm_peer *wgm_nl_dump_resume(struct wgm_device *wg,
					   struct wgm_nl_dump *ctx, bool *cont)
{
	struct wgm_peer *peer;

	lockdep_assert_held(&wg->device_update_lock);
	*cont = false;
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		if (ctx->split && peer->internal_id == ctx->last_id) {
			*cont = true;
			return peer;
		}
		if (peer->internal_id > ctx->last_id)
			return peer;
	}
	return NULL;
}

/*
 * One message of the dump.  Must hold rtnl and device_update_lock.
 * Returns the skb length, 0 at the end, or an error.
 */
static int wgm_nl_dump_locked(struct sk_buff *skb, struct netlink_callback *cb,
			      struct wgm_device *wg)
{
	struct wgm_nl_dump *ctx = wgm_nl_dump_ctx(cb);
	struct wgm_peer *peer;
	struct nlattr *peers;
	unsigned int n = 0;
	bool cont;
	void *hdr;
	u32 sent;
	int ret;

	ASSERT_RTNL();
	lockdep_assert_held(&wg->device_update_lock);

	if (wg->dev->reg_state != NETREG_REGISTERED ||
	    (ctx->started && ctx->dev_id != wgm_nl_dump_id(wg))) {
		NL_SET_ERR_MSG(cb->extack, "the device was removed during the dump");
		return -ENODEV;
	}
	ctx->dev_id = wgm_nl_dump_id(wg);

	peer = wgm_nl_dump_resume(wg, ctx, &cont);
	if (cont && wg->peer_allowedips.seq != ctx->aip_seq)
		ctx->intr = true;
	/*
	 * cb->seq never 0 (nl_dump_check_consistent() ignores a zero
	 * prev_seq); once the dump is inconsistent it moves with every
	 * message, so each later one and NLMSG_DONE carry NLM_F_DUMP_INTR.
	 */
	cb->seq = ctx->intr ? cb->prev_seq + 1 : 1;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &wgm_genl_family, NLM_F_MULTI, WGM_CMD_GET_DEVICE);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);

	ret = wgm_nl_fill_device(skb, wg, !ctx->started);
	if (ret)
		goto cancel;

	peers = nla_nest_start(skb, WGM_DEVICE_A_PEERS);
	if (!peers) {
		ret = -EMSGSIZE;
		goto cancel;
	}
	for (; peer; cont = false,
	     peer = list_is_last(&peer->peer_list, &wg->peer_list) ? NULL :
		    list_next_entry(peer, peer_list)) {
		ret = wgm_nl_fill_peer(skb, peer, cont, cont ? ctx->aips_sent : 0,
				       &sent);
		if (ret < 0 && !n) {
			/* not even one prefix fits into an empty message */
			NL_SET_ERR_MSG(cb->extack, "peer does not fit into a dump message");
			goto cancel;
		}
		if (ret < 0)
			break;	/* the next message starts with it */
		n++;
		if (ret > 0) {
			/* the next message continues it */
			ctx->aips_sent = (cont ? ctx->aips_sent : 0) + sent;
			ctx->aip_seq = wg->peer_allowedips.seq;
			ctx->last_id = peer->internal_id;
			ctx->split = true;
			break;
		}
		ctx->last_id = peer->internal_id;
		ctx->split = false;
	}
	if (!peer)
		ctx->finished = true;
	if (n)
		nla_nest_end(skb, peers);
	else
		nla_nest_cancel(skb, peers);

	ctx->started = true;
	genlmsg_end(skb, hdr);
	return skb->len;

cancel:
	genlmsg_cancel(skb, hdr);
	return ret;
}

/*
 * The dumped device again, by the ifindex the first message found, with a
 * reference for this message only; NULL if it is gone or not ours.
 * Must hold rtnl.
 */
static struct net_device *wgm_nl_dump_dev(struct net *net, int ifindex)
{
	struct net_device *dev;

	ASSERT_RTNL();
	dev = __dev_get_by_index(net, ifindex);
	if (!dev || !wgm_nl_is_wgmesh(dev))
		return NULL;
	dev_hold(dev);
	return dev;
}

/*
 * GET_DEVICE, one message per call.  cb->ctx starts zeroed (the netlink
 * core clears the callback when the dump starts); nothing is held from one
 * call to the next, so there is no .done to release anything.
 */
int wgm_nl_get_device_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct wgm_nl_dump *ctx = wgm_nl_dump_ctx(cb);
	struct net *net = sock_net(cb->skb->sk);
	struct nlattr **attrs = wgm_compat_dump_attrs(cb);
	struct net_device *dev;
	struct wgm_device *wg;
	int ret;

	if (ctx->finished)
		return 0;
	if (!ctx->started) {
		/* here rather than in .start: only dumpit has cb->extack */
		ret = wgm_nl_refuse(attrs, WGM_DEVICE_A_MAX, wgm_nl_get_refused,
				    cb->extack);
		if (ret)
			return ret;
	}
	rtnl_lock();
	if (!ctx->started) {
		dev = wgm_nl_lookup(net, attrs, cb->extack);
		if (IS_ERR(dev)) {
			ret = PTR_ERR(dev);
			goto out_unlock;
		}
		ctx->ifindex = dev->ifindex;
	} else {
		dev = wgm_nl_dump_dev(net, ctx->ifindex);
		if (!dev) {
			NL_SET_ERR_MSG(cb->extack, "the device was removed during the dump");
			ret = -ENODEV;
			goto out_unlock;
		}
	}
	wg = netdev_priv(dev);
	mutex_lock(&wg->device_update_lock);
	ret = wgm_nl_dump_locked(skb, cb, wg);
	mutex_unlock(&wg->device_update_lock);
	dev_put(dev);
out_unlock:
	rtnl_unlock();
	return ret;
}

/* ---- SET_DEVICE: validation ------------------------------------------ */

static int wgm_nl_check_aip(const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_ALLOWEDIP_A_MAX + 1];
	unsigned int len, max_cidr;
	int ret;

	ret = nla_parse_nested(tb, WGM_ALLOWEDIP_A_MAX, attr,
			       wgm_allowedip_nl_policy, extack);
	if (ret)
		return ret;
	if (!tb[WGM_ALLOWEDIP_A_FAMILY] || !tb[WGM_ALLOWEDIP_A_IPADDR] ||
	    !tb[WGM_ALLOWEDIP_A_CIDR_MASK]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "allowed IP needs family, address and prefix length");
		NL_SET_ERR_ATTR_MISS(extack, attr,
				     !tb[WGM_ALLOWEDIP_A_FAMILY] ? WGM_ALLOWEDIP_A_FAMILY :
				     !tb[WGM_ALLOWEDIP_A_IPADDR] ? WGM_ALLOWEDIP_A_IPADDR :
				     WGM_ALLOWEDIP_A_CIDR_MASK);
		return -EINVAL;
	}
	switch (nla_get_u16(tb[WGM_ALLOWEDIP_A_FAMILY])) {
	case AF_INET:
		len = sizeof(struct in_addr);
		max_cidr = 32;
		break;
	case AF_INET6:
		len = sizeof(struct in6_addr);
		max_cidr = 128;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_ALLOWEDIP_A_FAMILY],
				    "allowed IP family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (nla_len(tb[WGM_ALLOWEDIP_A_IPADDR]) != len) {
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_ALLOWEDIP_A_IPADDR],
				    "allowed IP address length does not match its family");
		return -EINVAL;
	}
	if (nla_get_u8(tb[WGM_ALLOWEDIP_A_CIDR_MASK]) > max_cidr) {
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_ALLOWEDIP_A_CIDR_MASK],
				    "allowed IP prefix length too long for its family");
		return -EINVAL;
	}
	/* host bits below the prefix are accepted and cleared on insert */
	return 0;
}

/*
 * A relay bind key (exactly WGM_RELAY_KEY_LEN bytes) and id (not 0) come
 * together, and only on a candidate of kind relay (Documentation/relay.rst).
 */
static int wgm_nl_check_relay_cand(struct nlattr **tb, const struct nlattr *cand,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *key = tb[WGM_CANDIDATE_A_RELAY_KEY], *id = tb[WGM_CANDIDATE_A_RELAY_ID];
	bool relay = tb[WGM_CANDIDATE_A_KIND] &&
		     nla_get_u8(tb[WGM_CANDIDATE_A_KIND]) == WGM_CANDIDATE_KIND_RELAY;

	if (!key && !id)
		return 0;
	if (!relay) {
		NL_SET_ERR_MSG_ATTR(extack, key ? key : id,
				    "relay id and key need a candidate of kind relay");
		return -EINVAL;
	}
	if (!key) {
		NL_SET_ERR_MSG_ATTR(extack, id, "relay id without a relay key");
		NL_SET_ERR_ATTR_MISS(extack, cand, WGM_CANDIDATE_A_RELAY_KEY);
		return -EINVAL;
	}
	if (!id) {
		NL_SET_ERR_MSG_ATTR(extack, key, "relay key without a relay id");
		NL_SET_ERR_ATTR_MISS(extack, cand, WGM_CANDIDATE_A_RELAY_ID);
		return -EINVAL;
	}
	if (nla_len(key) != WGM_RELAY_KEY_LEN) {
		NL_SET_ERR_MSG_ATTR(extack, key, "relay key must be exactly "
				    __stringify(WGM_RELAY_KEY_LEN) " bytes");
		return -EINVAL;
	}
	if (!nla_get_u32(id)) {
		NL_SET_ERR_MSG_ATTR(extack, id, "relay id 0 is not an allocation");
		return -EINVAL;
	}
	return 0;
}

/*
 * WGM_PEER_A_CANDIDATES: at most WGM_MAX_CANDIDATES entries, each
 * with a usable endpoint and nothing read-only.  Appending to a peer's
 * existing list can still overflow it; netlink-mesh.c refuses that with
 * E2BIG when the peer is reached.
 */
static int wgm_nl_check_candidates(const struct nlattr *attr,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_CANDIDATE_A_MAX + 1], *cand;
	unsigned int n = 0;
	int ret, rem;

	nla_for_each_nested(cand, attr, rem) {
		if (++n > WGM_MAX_CANDIDATES) {
			NL_SET_ERR_MSG_ATTR(extack, cand,
					    "too many candidate endpoints (at most "
					    __stringify(WGM_MAX_CANDIDATES) " per peer)");
			return -E2BIG;
		}
		ret = nla_parse_nested(tb, WGM_CANDIDATE_A_MAX, cand,
				       wgm_candidate_nl_policy, extack);
		if (ret)
			return ret;
		ret = wgm_nl_refuse(tb, WGM_CANDIDATE_A_MAX,
				    wgm_nl_candidate_refused, extack);
		if (ret)
			return ret;
		if (!tb[WGM_CANDIDATE_A_ENDPOINT]) {
			NL_SET_ERR_MSG_ATTR(extack, cand,
					    "candidate needs WGM_CANDIDATE_A_ENDPOINT");
			NL_SET_ERR_ATTR_MISS(extack, cand, WGM_CANDIDATE_A_ENDPOINT);
			return -EINVAL;
		}
		ret = wgm_nl_check_candidate_sockaddr(tb[WGM_CANDIDATE_A_ENDPOINT],
						      extack);
		if (ret)
			return ret;
		ret = wgm_nl_check_relay_cand(tb, cand, extack);
		if (ret)
			return ret;
	}
	return 0;
}

static int wgm_nl_check_peer(const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_PEER_A_MAX + 1], *aip;
	int ret, rem;

	ret = nla_parse_nested(tb, WGM_PEER_A_MAX, attr, wgm_peer_nl_policy,
			       extack);
	if (ret)
		return ret;
	ret = wgm_nl_refuse(tb, WGM_PEER_A_MAX, wgm_nl_peer_refused, extack);
	if (ret)
		return ret;
	if (!tb[WGM_PEER_A_PUBLIC_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "peer needs WGM_PEER_A_PUBLIC_KEY");
		NL_SET_ERR_ATTR_MISS(extack, attr, WGM_PEER_A_PUBLIC_KEY);
		return -EINVAL;
	}
	if (tb[WGM_PEER_A_ENDPOINT]) {
		ret = wgm_nl_check_sockaddr(tb[WGM_PEER_A_ENDPOINT], extack);
		if (ret)
			return ret;
	}
	if (tb[WGM_PEER_A_PROTOCOL_VERSION] &&
	    nla_get_u32(tb[WGM_PEER_A_PROTOCOL_VERSION]) != 1) {
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_PEER_A_PROTOCOL_VERSION],
				    "unsupported protocol version (1 is the only one)");
		return -EPROTONOSUPPORT;
	}
	if (tb[WGM_PEER_A_CANDIDATES]) {
		ret = wgm_nl_check_candidates(tb[WGM_PEER_A_CANDIDATES], extack);
		if (ret)
			return ret;
	}
	if (!tb[WGM_PEER_A_ALLOWEDIPS])
		return 0;
	nla_for_each_nested(aip, tb[WGM_PEER_A_ALLOWEDIPS], rem) {
		ret = wgm_nl_check_aip(aip, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * WGM_DEVICE_A_STUN_SERVERS into @out (WGM_STUN_MAX_SERVERS entries, src
 * zeroed): at most that many, each with an endpoint, no two the same.
 */
static int wgm_nl_parse_stun(const struct nlattr *attr, struct wgm_endpoint *out,
			     unsigned int *n, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_STUN_A_MAX + 1], *srv;
	unsigned int i;
	int ret, rem;

	*n = 0;
	nla_for_each_nested(srv, attr, rem) {
		if (*n == WGM_STUN_MAX_SERVERS) {
			NL_SET_ERR_MSG_ATTR(extack, srv, "too many STUN servers (at most 4)");
			return -E2BIG;
		}
		ret = nla_parse_nested(tb, WGM_STUN_A_MAX, srv, wgm_stun_nl_policy,
				       extack);
		if (ret)
			return ret;
		ret = wgm_nl_refuse(tb, WGM_STUN_A_MAX, wgm_nl_stun_refused, extack);
		if (ret)
			return ret;
		if (!tb[WGM_STUN_A_ENDPOINT]) {
			NL_SET_ERR_MSG_ATTR(extack, srv, "STUN server needs WGM_STUN_A_ENDPOINT");
			NL_SET_ERR_ATTR_MISS(extack, srv, WGM_STUN_A_ENDPOINT);
			return -EINVAL;
		}
		ret = wgm_nl_check_stun_sockaddr(tb[WGM_STUN_A_ENDPOINT], extack);
		if (ret)
			return ret;
		wgm_nl_get_endpoint(&out[*n], tb[WGM_STUN_A_ENDPOINT]);
		for (i = 0; i < *n; i++) {
			if (!memcmp(&out[i].addr6, &out[*n].addr6, sizeof(out[i].addr6))) {
				NL_SET_ERR_MSG_ATTR(extack, srv, "STUN server listed twice");
				return -EINVAL;
			}
		}
		++*n;
	}
	return 0;
}

/* The whole request, before anything is changed. */
static int wgm_nl_check_set(struct nlattr **attrs,
			    struct netlink_ext_ack *extack)
{
	struct wgm_endpoint servers[WGM_STUN_MAX_SERVERS];
	struct nlattr *peer;
	unsigned int n;
	int ret, rem;

	ret = wgm_nl_refuse(attrs, WGM_DEVICE_A_MAX, wgm_nl_device_refused, extack);
	if (ret)
		return ret;
	if (attrs[WGM_DEVICE_A_STUN_SERVERS]) {
		ret = wgm_nl_parse_stun(attrs[WGM_DEVICE_A_STUN_SERVERS], servers,
					&n, extack);
		if (ret)
			return ret;
	}
	if (!attrs[WGM_DEVICE_A_PEERS])
		return 0;
	nla_for_each_nested(peer, attrs[WGM_DEVICE_A_PEERS], rem) {
		ret = wgm_nl_check_peer(peer, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- SET_DEVICE: applying -------------------------------------------- */

/* Must hold rtnl and device_update_lock. */
static int wgm_nl_set_port(struct wgm_device *wg, u16 port)
{
	struct wgm_peer *peer;
	int ret;

	ASSERT_RTNL();
	lockdep_assert_held(&wg->device_update_lock);
	if (wg->incoming_port == port)
		return 0;
	if (!netif_running(wg->dev)) {
		/* bound when the device comes up */
		wg->incoming_port = port;
		return 0;
	}
	ret = wgm_socket_init(wg, port);
	if (ret)
		return ret;
	/* a new port is a new NAT mapping: learn it now */
	wgm_stun_device_up(wg);
	/* the remembered source addresses belonged to the old sockets */
	list_for_each_entry(peer, &wg->peer_list, peer_list)
		wgm_socket_clear_peer_endpoint_src(peer);
	return 0;
}

/* Must hold device_update_lock. */
static void wgm_nl_set_fwmark(struct wgm_device *wg, u32 fwmark)
{
	struct wgm_peer *peer;

	lockdep_assert_held(&wg->device_update_lock);
	if (wg->fwmark == fwmark)
		return;
	/* read without a lock on the send path (socket.c) */
	WRITE_ONCE(wg->fwmark, fwmark);
	/* cached routes were looked up with the old mark */
	list_for_each_entry(peer, &wg->peer_list, peer_list)
		wgm_socket_clear_peer_endpoint_src(peer);
}

static bool wgm_nl_is_own_key(struct wgm_device *wg,
			      const u8 public_key[WGM_KEY_BYTES])
{
	struct wgm_static_identity *si = &wg->static_identity;
	bool own;

	down_read(&si->lock);
	own = si->has_identity &&
	      !crypto_memneq(si->static_public, public_key, WGM_KEY_BYTES);
	up_read(&si->lock);
	return own;
}

/* Must hold device_update_lock. */
static void wgm_nl_set_private_key(struct wgm_device *wg,
				   const u8 private_key[WGM_KEY_BYTES])
{
	struct wgm_static_identity *si = &wg->static_identity;
	u8 public_key[WGM_KEY_BYTES], clamped[WGM_KEY_BYTES];
	struct wgm_peer *peer;
	bool same;

	lockdep_assert_held(&wg->device_update_lock);

	/* the identity keeps the key clamped: compare like with like */
	memcpy(clamped, private_key, WGM_KEY_BYTES);
	curve25519_clamp_secret(clamped);
	down_read(&si->lock);
	if (si->has_identity)
		same = !crypto_memneq(si->static_private, clamped, WGM_KEY_BYTES);
	else
		same = !memchr_inv(private_key, 0, WGM_KEY_BYTES);
	up_read(&si->lock);
	memzero_explicit(clamped, sizeof(clamped));
	if (same)
		return;

	/* we cannot be our own peer: drop the one with our new public key */
	if (curve25519_generate_public(public_key, private_key)) {
		peer = wgm_pubkey_hashtable_lookup(wg->peer_hashtable, public_key);
		if (peer) {
			wgm_peer_remove(peer);
			wgm_peer_put(peer);
		}
	}

	down_write(&si->lock);
	wgm_noise_set_static_identity_private_key(si, private_key);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		wgm_noise_precompute_static_static(peer);
		wgm_noise_invalidate_sessions(peer);
	}
	wgm_cookie_issuer_rekey(&wg->cookie_issuer, si);
	up_write(&si->lock);

	list_for_each_entry(peer, &wg->peer_list, peer_list)
		wgm_probe_peer_rekey(peer);
}

/* Must hold device_update_lock. */
static int wgm_nl_apply_aip(struct wgm_device *wg, struct wgm_peer *peer,
			    const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	struct wgm_allowedips *table = &wg->peer_allowedips;
	struct mutex *lock = &wg->device_update_lock;
	struct nlattr *tb[WGM_ALLOWEDIP_A_MAX + 1];
	struct in6_addr ip6;
	struct in_addr ip4;
	bool remove = false;
	u8 cidr;
	int ret;

	lockdep_assert_held(lock);
	ret = nla_parse_nested(tb, WGM_ALLOWEDIP_A_MAX, attr,
			       wgm_allowedip_nl_policy, extack);
	if (ret)
		return ret;
	cidr = nla_get_u8(tb[WGM_ALLOWEDIP_A_CIDR_MASK]);
	if (tb[WGM_ALLOWEDIP_A_FLAGS])
		remove = nla_get_u32(tb[WGM_ALLOWEDIP_A_FLAGS]) &
			 WGM_ALLOWEDIP_F_REMOVE_ME;

	if (nla_get_u16(tb[WGM_ALLOWEDIP_A_FAMILY]) == AF_INET) {
		memcpy(&ip4, nla_data(tb[WGM_ALLOWEDIP_A_IPADDR]), sizeof(ip4));
		if (remove)
			ret = wgm_allowedips_remove_v4(table, &ip4, cidr, peer, lock);
		else
			ret = wgm_allowedips_insert_v4(table, &ip4, cidr, peer, lock);
	} else {
		memcpy(&ip6, nla_data(tb[WGM_ALLOWEDIP_A_IPADDR]), sizeof(ip6));
		if (remove)
			ret = wgm_allowedips_remove_v6(table, &ip6, cidr, peer, lock);
		else
			ret = wgm_allowedips_insert_v6(table, &ip6, cidr, peer, lock);
	}
	/* removing a prefix the peer does not have is not an error */
	if (remove && ret == -ENOENT)
		ret = 0;
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, attr, "too many allowed IPs on this device");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(extack, attr, "could not change allowed IP");
	return ret;
}

/* Must hold rtnl and device_update_lock; @attr passed wgm_nl_check_peer(). */
static int wgm_nl_apply_peer(struct wgm_device *wg, const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_PEER_A_MAX + 1], *aip;
	bool created = false, psk_changed = false;
	const u8 *public_key;
	struct wgm_peer *peer;
	u32 flags = 0;
	int ret, rem;

	lockdep_assert_held(&wg->device_update_lock);
	ret = nla_parse_nested(tb, WGM_PEER_A_MAX, attr, wgm_peer_nl_policy,
			       extack);
	if (ret)
		return ret;
	public_key = nla_data(tb[WGM_PEER_A_PUBLIC_KEY]);
	if (tb[WGM_PEER_A_FLAGS])
		flags = nla_get_u32(tb[WGM_PEER_A_FLAGS]);

	peer = wgm_pubkey_hashtable_lookup(wg->peer_hashtable, public_key);
	if (flags & WGM_PEER_F_REMOVE_ME) {
		if (peer) {
			wgm_peer_remove(peer);
			wgm_peer_put(peer);
		}
		return 0;
	}
	if (!peer) {
		if (flags & WGM_PEER_F_UPDATE_ONLY)
			return 0;
		/* a configuration shared by the whole mesh lists us too */
		if (wgm_nl_is_own_key(wg, public_key))
			return 0;
		peer = wgm_peer_create(wg, public_key,
				       tb[WGM_PEER_A_PRESHARED_KEY] ?
				       nla_data(tb[WGM_PEER_A_PRESHARED_KEY]) :
				       wgm_nl_zero_key);
		if (IS_ERR(peer)) {
			ret = PTR_ERR(peer);
			if (ret == -ENOSPC)
				NL_SET_ERR_MSG_ATTR(extack, attr, "too many peers on this device");
			else
				NL_SET_ERR_MSG_ATTR(extack, attr, "could not create peer");
			return ret;
		}
		/* our own reference, like the lookup's */
		wgm_peer_get(peer);
		created = true;
	} else if (tb[WGM_PEER_A_PRESHARED_KEY]) {
		down_write(&peer->handshake.lock);
		memcpy(peer->handshake.preshared_key,
		       nla_data(tb[WGM_PEER_A_PRESHARED_KEY]), WGM_KEY_BYTES);
		up_write(&peer->handshake.lock);
		psk_changed = true;
	}
	if (created || psk_changed)
		wgm_probe_peer_rekey(peer);

	if (tb[WGM_PEER_A_ENDPOINT]) {
		struct wgm_endpoint ep;

		/* wgm_nl_check_peer() checked family and length */
		wgm_nl_get_endpoint(&ep, tb[WGM_PEER_A_ENDPOINT]);
		wgm_socket_set_peer_endpoint(peer, &ep);
	}

	if (flags & WGM_PEER_F_REPLACE_ALLOWEDIPS)
		wgm_allowedips_remove_by_peer(&wg->peer_allowedips, peer,
					      &wg->device_update_lock);
	if (tb[WGM_PEER_A_ALLOWEDIPS]) {
		nla_for_each_nested(aip, tb[WGM_PEER_A_ALLOWEDIPS], rem) {
			ret = wgm_nl_apply_aip(wg, peer, aip, extack);
			if (ret)
				goto out;
		}
	}

	/* replacing with nothing clears the list */
	if (tb[WGM_PEER_A_CANDIDATES] || (flags & WGM_PEER_F_REPLACE_CANDIDATES)) {
		ret = wgm_nl_mesh_set_candidates(peer, tb[WGM_PEER_A_CANDIDATES],
						 flags & WGM_PEER_F_REPLACE_CANDIDATES,
						 extack);
		/* netlink-mesh.c explains its refusals itself */
		if (ret == -ENOMEM)
			NL_SET_ERR_MSG_ATTR(extack, attr, "no memory for candidate endpoints");
		if (ret)
			goto out;
	}
	if (tb[WGM_PEER_A_NAT_KEEPALIVE_INTERVAL]) {
		struct nlattr *nat = tb[WGM_PEER_A_NAT_KEEPALIVE_INTERVAL];

		ret = wgm_probe_set_nat_keepalive(peer, nla_get_u16(nat));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(extack, nat, "could not set NAT keepalive");
			goto out;
		}
	}

	if (tb[WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL]) {
		u16 interval = nla_get_u16(tb[WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
		bool turned_on = interval && !peer->persistent_keepalive_interval;

		WRITE_ONCE(peer->persistent_keepalive_interval, interval);
		if (turned_on && netif_running(wg->dev))
			wgm_packet_send_keepalive(peer);
	}

	/* packets may have waited for an endpoint or a key */
	if (netif_running(wg->dev))
		wgm_packet_send_staged(peer);

out:
	wgm_peer_put(peer);
	return ret;
}

/* Must hold rtnl and device_update_lock; @attrs passed wgm_nl_check_set(). */
static int wgm_nl_apply(struct wgm_device *wg, struct nlattr **attrs,
			struct netlink_ext_ack *extack)
{
	struct nlattr *peer;
	u32 flags = 0;
	int ret, rem;

	ASSERT_RTNL();
	lockdep_assert_held(&wg->device_update_lock);

	if (attrs[WGM_DEVICE_A_FLAGS])
		flags = nla_get_u32(attrs[WGM_DEVICE_A_FLAGS]);

	/* first, as the one change likely to fail (port in use) */
	if (attrs[WGM_DEVICE_A_LISTEN_PORT]) {
		ret = wgm_nl_set_port(wg, nla_get_u16(attrs[WGM_DEVICE_A_LISTEN_PORT]));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGM_DEVICE_A_LISTEN_PORT],
					    "could not bind the UDP listen port");
			return ret;
		}
	}
	if (attrs[WGM_DEVICE_A_FWMARK])
		wgm_nl_set_fwmark(wg, nla_get_u32(attrs[WGM_DEVICE_A_FWMARK]));
	if (flags & WGM_DEVICE_F_REPLACE_PEERS)
		wgm_peer_remove_all(wg);
	if (attrs[WGM_DEVICE_A_PRIVATE_KEY])
		wgm_nl_set_private_key(wg, nla_data(attrs[WGM_DEVICE_A_PRIVATE_KEY]));
	if (attrs[WGM_DEVICE_A_STUN_SERVERS]) {
		struct wgm_endpoint servers[WGM_STUN_MAX_SERVERS];
		unsigned int n;

		/* wgm_nl_check_set() accepted it */
		ret = wgm_nl_parse_stun(attrs[WGM_DEVICE_A_STUN_SERVERS], servers,
					&n, extack);
		if (ret)
			return ret;
		wgm_stun_set_servers(wg, servers, n);
	}
	if (!attrs[WGM_DEVICE_A_PEERS])
		return 0;
	nla_for_each_nested(peer, attrs[WGM_DEVICE_A_PEERS], rem) {
		ret = wgm_nl_apply_peer(wg, peer, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/* Key material does not outlive the request in the skb. */
static void wgm_nl_wipe_keys(struct nlattr **attrs)
{
	struct nlattr *peer, *attr;
	int rem, prem;

	if (attrs[WGM_DEVICE_A_PRIVATE_KEY])
		memzero_explicit(nla_data(attrs[WGM_DEVICE_A_PRIVATE_KEY]),
				 nla_len(attrs[WGM_DEVICE_A_PRIVATE_KEY]));
	if (!attrs[WGM_DEVICE_A_PEERS])
		return;
	nla_for_each_nested(peer, attrs[WGM_DEVICE_A_PEERS], rem) {
		nla_for_each_nested(attr, peer, prem) {
			if (nla_type(attr) == WGM_PEER_A_PRESHARED_KEY)
				memzero_explicit(nla_data(attr), nla_len(attr));
		}
	}
}

int wgm_nl_set_device_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct net_device *dev;
	struct wgm_device *wg;
	int ret;

	ret = wgm_nl_check_set(attrs, extack);
	if (ret)
		goto out_wipe;

	rtnl_lock();
	dev = wgm_nl_lookup(genl_info_net(info), attrs, extack);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_lookup;
	}
	wg = netdev_priv(dev);
	mutex_lock(&wg->device_update_lock);
	ret = wgm_nl_apply(wg, attrs, extack);
	mutex_unlock(&wg->device_update_lock);
	dev_put(dev);
out_lookup:
	rtnl_unlock();
out_wipe:
	wgm_nl_wipe_keys(attrs);
	return ret;
}

/* ---- PUNCH and PING -------------------------------------------------- */

/*
 * The one WGM_PEER_A_PUBLIC_KEY of a PUNCH or PING request, or NULL with
 * the reason in @extack.
 */
static const u8 *wgm_nl_punch_key(struct nlattr **attrs,
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
	return nla_data(tb[WGM_PEER_A_PUBLIC_KEY]);
}

/* WGM_CMD_PUNCH and WGM_CMD_PING: probe and punch towards one peer now. */
int wgm_nl_punch_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct net_device *dev;
	struct wgm_device *wg;
	struct wgm_peer *peer;
	const u8 *key;
	int ret;

	key = wgm_nl_punch_key(info->attrs, extack);
	if (!key)
		return -EINVAL;
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
 * Typed events may come from the packet path: all devices together get at
 * most this many per second, the rest are dropped (listeners that need
 * the full state dump the device).
 */
static DEFINE_RATELIMIT_STATE(wgm_nl_event_rs, HZ, 200);

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
 * is built when nobody listens; beyond wgm_nl_event_rs events are dropped.
 */
static void wgm_nl_event(struct wgm_device *wg, struct wgm_peer *peer, u8 type,
			 const struct sockaddr *old_ep, const struct sockaddr *new_ep,
			 u32 reason, u32 value)
{
	struct net *net = dev_net(wg->dev);
	struct sk_buff *skb;
	void *hdr;

	if (!wgm_genetlink_has_listeners(net) || !__ratelimit(&wgm_nl_event_rs))
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

static struct genl_family wgm_genl_family __ro_after_init = {
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
	/* a dropped event is not worth a log line */
	ratelimit_set_flags(&wgm_nl_event_rs, RATELIMIT_MSG_ON_RELEASE);
	return genl_register_family(&wgm_genl_family);
}

void wgm_genetlink_uninit(void)
{
	genl_unregister_family(&wgm_genl_family);
}
