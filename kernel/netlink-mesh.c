// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mesh part of the netlink layer: candidate lists in, candidate and
 * path status and the STUN client's state out, and the per-peer
 * WGM_CMD_EVENT multicast.  The candidate engine (candidate.c, probe.c,
 * punch.c) and the STUN client (stunclient.c) take and return the plain
 * structs of probe.h and stunclient.h; only this file and netlink.c speak
 * attributes.
 * netlink.c keeps the WireGuard-compatible part, the policies and the
 * operation table.
 *
 * Locking: GET_DEVICE and SET_DEVICE hold device_update_lock; the fill
 * callbacks run under the engine's probe->lock (spin_lock_bh) and so
 * must not sleep.  The event is built from the engine's work item with no
 * lock held.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/netdevice.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/genetlink.h>

#include "birthday.h"
#include "device.h"
#include "peer.h"
#include "socket.h"
#include "probe.h"
#include "stunclient.h"
#include "netlink.h"
#include "uapi/linux/wgmesh.h"

int wgm_nl_get_endpoint(struct wgm_endpoint *ep, const struct nlattr *attr)
{
	const struct sockaddr *sa = nla_data(attr);
	int len = nla_len(attr);

	memset(ep, 0, sizeof(*ep));
	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		memcpy(&ep->addr4, sa, sizeof(ep->addr4));
		return 0;
	}
	if (len == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
		memcpy(&ep->addr6, sa, sizeof(ep->addr6));
		return 0;
	}
	return -EINVAL;
}

/* A candidate endpoint: a usable address with a port. */
static int wgm_nl_get_candidate_endpoint(struct wgm_endpoint *ep, const struct nlattr *attr)
{
	if (wgm_nl_get_endpoint(ep, attr))
		return -EINVAL;
	if (ep->addr.sa_family == AF_INET &&
	    (!ep->addr4.sin_port || ep->addr4.sin_addr.s_addr == htonl(INADDR_ANY)))
		return -EINVAL;
	if (ep->addr.sa_family == AF_INET6 &&
	    (!ep->addr6.sin6_port || ipv6_addr_any(&ep->addr6.sin6_addr)))
		return -EINVAL;
	return 0;
}

int wgm_nl_mesh_set_candidates(struct wgm_peer *peer, const struct nlattr *attr,
			       bool replace, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_CANDIDATE_A_MAX + 1];
	struct wgm_cand_cfg *want;
	const struct nlattr *nest;
	unsigned int n = 0, j;
	int rem, ret;

	lockdep_assert_held(&peer->device->device_update_lock);
	want = kcalloc(WGM_MAX_CANDIDATES, sizeof(*want), GFP_KERNEL);
	if (!want)
		return -ENOMEM;

	/* the list asked for: (old configured ones unless replacing) + new ones */
	if (!replace)
		n = wgm_probe_get_candidates(peer, want, WGM_MAX_CANDIDATES);

	if (attr) {
		nla_for_each_nested(nest, attr, rem) {
			struct wgm_cand_cfg cfg = { };
			bool dup = false;

			ret = nla_parse_nested_deprecated(tb, WGM_CANDIDATE_A_MAX,
							  (struct nlattr *)nest, NULL, extack);
			if (ret)
				goto out;
			if (!tb[WGM_CANDIDATE_A_ENDPOINT]) {
				NL_SET_ERR_MSG_ATTR(extack, nest, "candidate without endpoint");
				ret = -EINVAL;
				goto out;
			}
			ret = wgm_nl_get_candidate_endpoint(&cfg.ep, tb[WGM_CANDIDATE_A_ENDPOINT]);
			if (ret) {
				NL_SET_ERR_MSG_ATTR(extack, tb[WGM_CANDIDATE_A_ENDPOINT],
						    "bad candidate endpoint");
				goto out;
			}
			/* the policy bounded it to WGM_CANDIDATE_KIND_MAX */
			if (tb[WGM_CANDIDATE_A_KIND])
				cfg.kind = nla_get_u8(tb[WGM_CANDIDATE_A_KIND]);
			/* wgm_nl_check_relay_cand(): both or neither, kind relay */
			if (tb[WGM_CANDIDATE_A_RELAY_KEY] && tb[WGM_CANDIDATE_A_RELAY_ID]) {
				cfg.has_relay_key = true;
				cfg.relay_id = nla_get_u32(tb[WGM_CANDIDATE_A_RELAY_ID]);
				nla_memcpy(cfg.relay_key, tb[WGM_CANDIDATE_A_RELAY_KEY],
					   sizeof(cfg.relay_key));
			}
			/* given again: the kind (and relay key) given last counts */
			for (j = 0; j < n; j++) {
				if (wgm_endpoint_same_addr_port(&want[j].ep, &cfg.ep)) {
					want[j] = cfg;
					dup = true;
				}
			}
			if (!dup && n >= WGM_MAX_CANDIDATES) {
				memzero_explicit(cfg.relay_key, sizeof(cfg.relay_key));
				NL_SET_ERR_MSG_ATTR(extack, nest, "too many candidates ("
						    __stringify(WGM_MAX_CANDIDATES) " max)");
				ret = -E2BIG;
				goto out;
			}
			if (!dup)
				want[n++] = cfg;
			/* the copies in @want are wiped on the way out */
			memzero_explicit(cfg.relay_key, sizeof(cfg.relay_key));
		}
	}
	ret = wgm_probe_set_candidates(peer, want, n);
out:
	kfree_sensitive(want);	/* relay bind keys */
	return ret;
}

/* Filling one peer's mesh attributes: the open WGM_PEER_A_CANDIDATES nest. */
struct wgm_nl_mesh_fill {
	struct sk_buff *skb;
	struct nlattr *cands;
};

static int wgm_nl_mesh_put_path(void *ctx, const struct wgm_path_status *path)
{
	struct wgm_nl_mesh_fill *fill = ctx;
	struct sk_buff *skb = fill->skb;
	struct nlattr *nest;

	if (nla_put_u16(skb, WGM_PEER_A_NAT_KEEPALIVE_INTERVAL, path->nat_keepalive))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, WGM_PEER_A_PATH_STATUS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, WGM_PATH_A_FLAGS, path->flags) ||
	    nla_put_u32(skb, WGM_PATH_A_PUNCHES, path->punches) ||
	    nla_put_u8(skb, WGM_PATH_A_PUNCH_RESULT, path->punch_result) ||
	    nla_put_u64_64bit(skb, WGM_PATH_A_LAST_PUNCH, path->punch_at, WGM_PATH_A_PAD) ||
	    nla_put_u64_64bit(skb, WGM_PATH_A_NO_PATH_SINCE, path->no_path_since,
			      WGM_PATH_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	if (path->has_cands) {
		fill->cands = nla_nest_start(skb, WGM_PEER_A_CANDIDATES);
		if (!fill->cands)
			return -EMSGSIZE;
	}
	return 0;
}

static int wgm_nl_mesh_put_cand(void *ctx, const struct wgm_cand_info *c)
{
	struct wgm_nl_mesh_fill *fill = ctx;
	struct sk_buff *skb = fill->skb;
	struct nlattr *nest = nla_nest_start(skb, 0);

	if (!nest)
		return -EMSGSIZE;
	if (wgm_nl_put_sockaddr(skb, WGM_CANDIDATE_A_ENDPOINT, &c->ep) ||
	    nla_put_u8(skb, WGM_CANDIDATE_A_STATE, c->state) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_RTT_US, c->srtt_us) ||
	    nla_put_u64_64bit(skb, WGM_CANDIDATE_A_LAST_SENT, c->last_sent,
			      WGM_CANDIDATE_A_PAD) ||
	    nla_put_u64_64bit(skb, WGM_CANDIDATE_A_LAST_SEEN, c->last_seen,
			      WGM_CANDIDATE_A_PAD) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_PROBES_SENT, c->probes_sent) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_PROBES_LOST, c->probes_lost) ||
	    nla_put_u32(skb, WGM_CANDIDATE_A_FLAGS, c->active ? WGM_CANDIDATE_F_ACTIVE : 0) ||
	    nla_put_u8(skb, WGM_CANDIDATE_A_KIND, c->kind) ||
	    (c->relay_id && nla_put_u32(skb, WGM_CANDIDATE_A_RELAY_ID, c->relay_id)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static const struct wgm_probe_report_ops wgm_nl_mesh_report_ops = {
	.path = wgm_nl_mesh_put_path,
	.cand = wgm_nl_mesh_put_cand,
};

/* Ends the candidate nest, or trims everything after @mark on @ret. */
static int wgm_nl_mesh_fill_end(struct wgm_nl_mesh_fill *fill, unsigned char *mark, int ret)
{
	if (ret) {
		nlmsg_trim(fill->skb, mark);
		return -EMSGSIZE;
	}
	if (fill->cands)
		nla_nest_end(fill->skb, fill->cands);
	return 0;
}

/* The peer's birthday search and own socket (birthday.c), when there is news. */
static int wgm_nl_mesh_put_birthday(struct sk_buff *skb, const struct wgm_bday_status *st)
{
	struct nlattr *nest;

	if (!st->state && !st->port)
		return 0;
	nest = nla_nest_start(skb, WGM_PEER_A_BIRTHDAY);
	if (!nest ||
	    nla_put_u8(skb, WGM_BIRTHDAY_A_STATE, st->state) ||
	    nla_put_u16(skb, WGM_BIRTHDAY_A_SOCKETS, st->sockets) ||
	    nla_put_u32(skb, WGM_BIRTHDAY_A_SENT, st->sent) ||
	    nla_put_u16(skb, WGM_BIRTHDAY_A_PORT, st->port))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* Must hold device_update_lock. */
int wgm_nl_mesh_fill_peer(struct sk_buff *skb, struct wgm_peer *peer)
{
	struct wgm_nl_mesh_fill fill = { .skb = skb };
	unsigned char *mark = skb_tail_pointer(skb);
	struct wgm_bday_status st;
	int ret;

	ret = wgm_probe_report_peer(peer, &wgm_nl_mesh_report_ops, &fill);
	ret = wgm_nl_mesh_fill_end(&fill, mark, ret);
	if (ret)
		return ret;
	wgm_birthday_status(peer, &st);
	ret = wgm_nl_mesh_put_birthday(skb, &st);
	if (!ret && peer->nat_label && nla_put_u8(skb, WGM_PEER_A_NAT, peer->nat_label))
		ret = -EMSGSIZE;
	if (ret)
		nlmsg_trim(skb, mark);
	return ret;
}

/* The STUN servers, the mapped addresses and the drop counter. */
static int wgm_nl_mesh_put_stun(struct sk_buff *skb, const struct wgm_stun_info *info)
{
	struct nlattr *list, *one;
	unsigned int i;

	list = nla_nest_start(skb, WGM_DEVICE_A_STUN_SERVERS);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < info->n_servers; i++) {
		const struct wgm_stun_server_info *srv = &info->servers[i];

		one = nla_nest_start(skb, i);
		if (!one ||
		    wgm_nl_put_sockaddr(skb, WGM_STUN_A_ENDPOINT, &srv->addr) ||
		    wgm_nl_put_sockaddr(skb, WGM_STUN_A_MAPPED, &srv->mapped) ||
		    nla_put_u64_64bit(skb, WGM_STUN_A_LAST_SUCCESS, srv->last_ok_ns,
				      WGM_STUN_A_PAD) ||
		    nla_put_u32(skb, WGM_STUN_A_REQUESTS, srv->requests) ||
		    nla_put_u32(skb, WGM_STUN_A_RESPONSES, srv->responses))
			return -EMSGSIZE;
		nla_nest_end(skb, one);
	}
	nla_nest_end(skb, list);

	list = nla_nest_start(skb, WGM_DEVICE_A_MAPPED_ADDRS);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(info->mapped); i++) {
		const struct wgm_stun_mapping_info *m = &info->mapped[i];

		if (!m->addr.addr.sa_family)
			continue;
		one = nla_nest_start(skb, i);
		if (!one ||
		    wgm_nl_put_sockaddr(skb, WGM_MAPPED_A_ENDPOINT, &m->addr) ||
		    nla_put_u32(skb, WGM_MAPPED_A_AGE_MS, m->age_ms) ||
		    wgm_nl_put_sockaddr(skb, WGM_MAPPED_A_SERVER, &m->server))
			return -EMSGSIZE;
		nla_nest_end(skb, one);
	}
	nla_nest_end(skb, list);
	return nla_put_u32(skb, WGM_DEVICE_A_STUN_DROPPED, info->dropped);
}

int wgm_nl_mesh_fill_stun(struct sk_buff *skb, struct wgm_device *wg)
{
	/* some 670 bytes: too many for the stack of a dump */
	struct wgm_stun_info *info = kmalloc(sizeof(*info), GFP_KERNEL);
	int ret;

	if (!info)
		return -ENOMEM;
	wgm_stun_snapshot(wg, info);
	ret = wgm_nl_mesh_put_stun(skb, info);
	kfree(info);
	return ret;
}

int wgm_nl_mesh_probe_event(struct wgm_peer *peer, struct wgm_probe_peer *probe)
{
	struct net_device *dev = peer->device->dev;
	struct wgm_nl_mesh_fill fill = { };
	u8 pub[WGM_KEY_BYTES];
	struct nlattr *peers, *one;
	unsigned char *mark;
	struct wgm_endpoint ep;
	struct sk_buff *skb;
	void *hdr;
	int ret;

	if (!wgm_genetlink_has_listeners(dev_net(dev)))
		return -ENOENT;
	down_read(&peer->handshake.lock);
	memcpy(pub, peer->handshake.remote_static, sizeof(pub));
	up_read(&peer->handshake.lock);
	read_lock_bh(&peer->endpoint_lock);
	ep = peer->endpoint;
	read_unlock_bh(&peer->endpoint_lock);

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	fill.skb = skb;
	hdr = wgm_genetlink_event_put(skb);
	if (!hdr)
		goto err_fill;
	if (nla_put_u32(skb, WGM_DEVICE_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(skb, WGM_DEVICE_A_IFNAME, dev->name))
		goto err_fill;
	peers = nla_nest_start(skb, WGM_DEVICE_A_PEERS);
	if (!peers)
		goto err_fill;
	one = nla_nest_start(skb, 0);
	if (!one || nla_put(skb, WGM_PEER_A_PUBLIC_KEY, sizeof(pub), pub) ||
	    wgm_nl_put_sockaddr(skb, WGM_PEER_A_ENDPOINT, &ep))
		goto err_fill;
	mark = skb_tail_pointer(skb);
	ret = wgm_probe_report_event(probe, &wgm_nl_mesh_report_ops, &fill);
	if (wgm_nl_mesh_fill_end(&fill, mark, ret))
		goto err_fill;
	nla_nest_end(skb, one);
	nla_nest_end(skb, peers);
	genlmsg_end(skb, hdr);
	wgm_genetlink_event_send(dev_net(dev), skb);
	return 0;

err_fill:
	nlmsg_free(skb);
	return -EMSGSIZE;
}
