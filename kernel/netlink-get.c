// SPDX-License-Identifier: GPL-2.0-only
/*
 * GET_DEVICE of the "wgmesh" generic netlink family: the device dump.
 *
 * A dump may take several messages for a large device.  Each message
 * carries the device's ifindex and name, the first one also its keys, port
 * and fwmark, and every message a slice of the peer list.  When a peer's
 * allowed IPs do not fit, the peer is closed with what did fit and
 * continued at the start of the next message under the same public key.
 * Between messages nothing is held, no lock and no reference (a reader
 * that never reads must not keep a device from going away): the position
 * is an ifindex and a peer id, see struct wgm_nl_dump.  A peer's mesh
 * attributes and the device's STUN state are written by netlink-mesh.c.
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

/* ---- GET_DEVICE ------------------------------------------------------ */

/* GET_DEVICE requests only select the device. */
static const char * const wgm_nl_get_refused[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_PRIVATE_KEY ... WGM_DEVICE_A_MAX] =
		"GET_DEVICE takes only WGM_DEVICE_A_IFINDEX or WGM_DEVICE_A_IFNAME",
};

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
