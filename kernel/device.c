// SPDX-License-Identifier: GPL-2.0-only
/*
 * The wgmesh network device.
 *
 * Life cycle:
 *   newlink        remembers the namespace the request came from (the
 *                  sockets live there) and registers the device;
 *   ndo_init       allocates everything the device owns (undone by itself
 *                  on failure, otherwise by ndo_uninit + the destructor);
 *   ndo_open       binds the sockets, sends what was staged, starts the
 *                  persistent keepalives;
 *   ndo_stop       closes the sockets and forgets every session;
 *   ndo_uninit     (rtnl held, device unregistered) removes every peer and
 *                  stops all work;
 *   priv_destructor frees what packets in flight could still touch.
 *
 * No reference is held on the creating namespace: the sockets there do not
 * hold one either (kernel sockets), so that deleting the namespace is not
 * blocked by a device that lives in it.  Instead a pernet pre_exit hook
 * deletes every device whose sockets are in a namespace that goes away.
 */

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include <linux/workqueue.h>
#include <net/rtnetlink.h>
#include <net/ip_tunnels.h>
#include <net/icmp.h>
#include <net/dst_metadata.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "device.h"
#include "birthday.h"
#include "peer.h"
#include "peerlookup.h"
#include "socket.h"
#include "queueing.h"
#include "timers.h"
#include "netlink.h"
#include "noise.h"
#include "cookie.h"
#include "stun.h"
#include "probe.h"

/* Outer headers on top of an inner packet, worst case (IPv6 outside). */
#define WGM_OUTER_OVERHEAD	(sizeof(struct ipv6hdr) + sizeof(struct udphdr) + \
				 WGM_DATA_OVERHEAD)
#define WGM_DEFAULT_MTU		1420
#define WGM_MAX_MTU		(IP_MAX_MTU - WGM_OUTER_OVERHEAD)

#define WGM_FEATURES	(NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_SG | \
			 NETIF_F_GSO | NETIF_F_GSO_SOFTWARE | NETIF_F_HIGHDMA)

LIST_HEAD(wgm_device_list);

static const struct device_type wgm_device_type = {
	.name = KBUILD_MODNAME,
};

/* Pretends a peer never sent a handshake, so the next one goes out at once. */
static void wgm_peer_forget_handshake_time(struct wgm_peer *peer)
{
	atomic64_set(&peer->last_sent_handshake,
		     ktime_get_coarse_boottime_ns() -
		     (u64)(WGM_REKEY_TIMEOUT + 1) * NSEC_PER_SEC);
}

static int wgm_open(struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);
	struct wgm_peer *peer;
	int ret;

	mutex_lock(&wg->device_update_lock);
	ret = wgm_socket_init(wg, wg->incoming_port);
	if (ret)
		goto out;
	wgm_stun_device_up(wg);
	wgm_probe_device_start(wg);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		wgm_packet_send_staged(peer);
		if (peer->persistent_keepalive_interval)
			wgm_packet_send_keepalive(peer);
	}
out:
	mutex_unlock(&wg->device_update_lock);
	return ret;
}

static int wgm_stop(struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);
	struct wgm_peer *peer;

	wgm_stun_device_down(wg);
	mutex_lock(&wg->device_update_lock);
	/* no probe, punch or handshake rotation from here to the next open */
	wgm_probe_device_stop(wg);
	/* the birthday search and the peers' own sockets (birthday.c) */
	wgm_birthday_device_stop(wg);
	/* nothing arrives or leaves after this */
	wgm_socket_reinit(wg, NULL, NULL);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		wgm_timers_stop(peer);
		wgm_keypairs_drop_all(&peer->keypairs);
		wgm_noise_handshake_clear(&peer->handshake);
		wgm_packet_purge_staged(peer);
		wgm_peer_forget_handshake_time(peer);
	}
	mutex_unlock(&wg->device_update_lock);
	/* work queued before the sockets closed has nowhere to send to */
	flush_workqueue(wg->handshake_wq);
	flush_workqueue(wg->packet_wq);
	skb_queue_purge(&wg->incoming_handshakes);
	return 0;
}

/* The inner packet's protocol, checked against its IP header; 0 if bogus. */
static __be16 wgm_inner_protocol(struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP) &&
	    pskb_network_may_pull(skb, sizeof(struct iphdr)) &&
	    ip_hdr(skb)->version == 4)
		return htons(ETH_P_IP);
	if (skb->protocol == htons(ETH_P_IPV6) &&
	    pskb_network_may_pull(skb, sizeof(struct ipv6hdr)) &&
	    ipv6_hdr(skb)->version == 6)
		return htons(ETH_P_IPV6);
	return 0;
}

static void wgm_unreachable(struct sk_buff *skb, __be16 proto)
{
	if (proto == htons(ETH_P_IP))
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	else
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0);
}

/*
 * Appends @list to the peer's staged queue, dropping the oldest packets
 * beyond WGM_MAX_STAGED_PACKETS.  Returns how many were dropped.
 */
static unsigned int wgm_stage(struct wgm_peer *peer, struct sk_buff_head *list)
{
	struct sk_buff_head *staged = &peer->staged_packet_queue;
	struct sk_buff_head dropped;
	unsigned int n;

	__skb_queue_head_init(&dropped);
	spin_lock_bh(&staged->lock);
	skb_queue_splice_tail_init(list, staged);
	while (skb_queue_len(staged) > WGM_MAX_STAGED_PACKETS)
		__skb_queue_tail(&dropped, __skb_dequeue(staged));
	spin_unlock_bh(&staged->lock);
	n = skb_queue_len(&dropped);
	__skb_queue_purge(&dropped);
	return n;
}

/*
 * One segment on its way to the peer's staging queue: encryption works in
 * place, so the buffer must be ours alone (NULL if it cannot be had).
 * Only the ECN bits are carried outside; DSCP would tell an observer the
 * inner traffic class.
 */
static struct sk_buff *wgm_xmit_own_segment(struct sk_buff *seg, unsigned int mtu)
{
	seg = skb_share_check(seg, GFP_ATOMIC);
	if (unlikely(!seg))
		return NULL;
	WGM_SKB_CB(seg)->mtu = mtu;
	WGM_SKB_CB(seg)->ds = ip_tunnel_ecn_encap(0, ip_hdr(seg), seg);
	skb_dst_drop(seg);
	return seg;
}

static netdev_tx_t wgm_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);
	struct sk_buff *segs, *seg;
	struct sk_buff_head list;
	struct wgm_peer *peer;
	sa_family_t family;
	unsigned int mtu, dropped;
	__be16 proto;

	proto = wgm_inner_protocol(skb);
	if (unlikely(!proto)) {
		DEV_STATS_INC(dev, tx_errors);
		goto err;
	}

	rcu_read_lock_bh();
	if (proto == htons(ETH_P_IP))
		peer = wgm_allowedips_lookup_v4(&wg->peer_allowedips,
						(struct in_addr *)&ip_hdr(skb)->daddr);
	else
		peer = wgm_allowedips_lookup_v6(&wg->peer_allowedips,
						&ipv6_hdr(skb)->daddr);
	peer = wgm_peer_get_maybe_zero(peer);
	rcu_read_unlock_bh();
	if (unlikely(!peer)) {
		atomic64_inc(&wg->tx_drop_noroute);
		if (proto == htons(ETH_P_IP))
			net_dbg_ratelimited("%s: no peer for %pI4\n", dev->name,
					    &ip_hdr(skb)->daddr);
		else
			net_dbg_ratelimited("%s: no peer for %pI6\n", dev->name,
					    &ipv6_hdr(skb)->daddr);
		wgm_unreachable(skb, proto);
		goto err;
	}

	read_lock_bh(&peer->endpoint_lock);
	family = peer->endpoint.addr.sa_family;
	read_unlock_bh(&peer->endpoint_lock);
	if (unlikely(family != AF_INET && family != AF_INET6)) {
		atomic64_inc(&wg->tx_drop_noendpoint);
		net_dbg_ratelimited("%s: peer %llu has no endpoint\n", dev->name,
				    peer->internal_id);
		wgm_unreachable(skb, proto);
		goto err_peer;
	}

	mtu = skb_valid_dst(skb) ? dst_mtu(skb_dst(skb)) : dev->mtu;

	if (skb_is_gso(skb)) {
		segs = skb_gso_segment(skb, 0);
		if (IS_ERR_OR_NULL(segs)) {
			DEV_STATS_INC(dev, tx_errors);
			goto err_peer;
		}
		dev_kfree_skb(skb);
	} else {
		segs = skb;
	}
	__skb_queue_head_init(&list);
	while (segs) {
		seg = segs;
		segs = segs->next;
		skb_mark_not_on_list(seg);
		seg = wgm_xmit_own_segment(seg, mtu);
		if (seg)
			__skb_queue_tail(&list, seg);
		else
			DEV_STATS_INC(dev, tx_dropped);
	}

	dropped = wgm_stage(peer, &list);
	if (dropped)
		DEV_STATS_ADD(dev, tx_dropped, dropped);
	wgm_packet_send_staged(peer);
	wgm_peer_put(peer);
	return NETDEV_TX_OK;

err_peer:
	wgm_peer_put(peer);
err:
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

static void wgm_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *stats)
{
	struct wgm_device *wg = netdev_priv(dev);
	u64 invalid = atomic64_read(&wg->rx_drop_invalid);
	u64 auth = atomic64_read(&wg->rx_drop_auth);
	u64 replay = atomic64_read(&wg->rx_drop_replay);
	u64 rx_noroute = atomic64_read(&wg->rx_drop_noroute);
	u64 ratelimit = atomic64_read(&wg->rx_drop_ratelimit);
	u64 tx_noroute = atomic64_read(&wg->tx_drop_noroute);
	u64 noendpoint = atomic64_read(&wg->tx_drop_noendpoint);

	dev_get_tstats64(dev, stats);
	stats->rx_length_errors += invalid;
	stats->rx_crc_errors += auth;
	stats->rx_frame_errors += replay + rx_noroute;
	stats->rx_missed_errors += ratelimit;
	stats->rx_errors += invalid + auth + replay + rx_noroute + ratelimit;
	stats->tx_carrier_errors += noendpoint;
	stats->tx_aborted_errors += tx_noroute;
	/* ndo_start_xmit counted these in tx_dropped already */
	stats->tx_errors += tx_noroute + noendpoint;
}

static int wgm_init(struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);
	int ret = -ENOMEM;

	ASSERT_RTNL();
	if (wgm_compat_tstats_alloc(dev))
		goto err_tstats;
	wg->peer_hashtable = wgm_pubkey_hashtable_alloc();
	if (!wg->peer_hashtable)
		goto err_peer_hashtable;
	wg->index_hashtable = wgm_index_hashtable_alloc();
	if (!wg->index_hashtable)
		goto err_index_hashtable;
	wg->handshake_wq = alloc_workqueue("wgm-hs-%s", WQ_UNBOUND | WQ_FREEZABLE, 0,
					   dev->name);
	if (!wg->handshake_wq)
		goto err_handshake_wq;
	/* bound: each CPU's crypto worker runs on its CPU */
	wg->packet_wq = alloc_workqueue("wgm-crypt-%s", WQ_CPU_INTENSIVE | WQ_MEM_RECLAIM, 0,
					dev->name);
	if (!wg->packet_wq)
		goto err_packet_wq;
	wg->encrypt = wgm_crypt_engine_create(wg->packet_wq, wgm_packet_encrypt_one);
	if (!wg->encrypt)
		goto err_encrypt;
	wg->decrypt = wgm_crypt_engine_create(wg->packet_wq, wgm_packet_decrypt_one);
	if (!wg->decrypt)
		goto err_decrypt;
	ret = gro_cells_init(&wg->gro_cells, dev);
	if (ret)
		goto err_gro_cells;
	ret = wgm_stun_init(wg);
	if (ret)
		goto err_stun;

	list_add(&wg->device_list, &wgm_device_list);
	return 0;

err_stun:
	gro_cells_destroy(&wg->gro_cells);
err_gro_cells:
	wgm_crypt_engine_destroy(wg->decrypt);
	wg->decrypt = NULL;
err_decrypt:
	wgm_crypt_engine_destroy(wg->encrypt);
	wg->encrypt = NULL;
err_encrypt:
	destroy_workqueue(wg->packet_wq);
	wg->packet_wq = NULL;
err_packet_wq:
	destroy_workqueue(wg->handshake_wq);
	wg->handshake_wq = NULL;
err_handshake_wq:
	wgm_index_hashtable_free(wg->index_hashtable);
	wg->index_hashtable = NULL;
err_index_hashtable:
	wgm_pubkey_hashtable_free(wg->peer_hashtable);
	wg->peer_hashtable = NULL;
err_peer_hashtable:
	wgm_compat_tstats_free(dev);
err_tstats:
	return ret;
}

/* The device is unregistered (rtnl held): stop everything that runs. */
static void wgm_uninit(struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);

	ASSERT_RTNL();
	list_del_init(&wg->device_list);

	/* its work sends from the sockets: stop it before they close */
	wgm_stun_device_down(wg);
	mutex_lock(&wg->device_update_lock);
	wgm_birthday_device_stop(wg);
	wgm_socket_reinit(wg, NULL, NULL);
	mutex_unlock(&wg->device_update_lock);
	/* handshakes that were queued still name peers: finish them first */
	flush_workqueue(wg->handshake_wq);
	skb_queue_purge(&wg->incoming_handshakes);

	mutex_lock(&wg->device_update_lock);
	wgm_peer_remove_all(wg);
	wgm_allowedips_free(&wg->peer_allowedips, &wg->device_update_lock);
	mutex_unlock(&wg->device_update_lock);

	destroy_workqueue(wg->handshake_wq);
	wg->handshake_wq = NULL;
	/* runs every crypto worker dry: packets in flight are sent or dropped */
	destroy_workqueue(wg->packet_wq);
	wg->packet_wq = NULL;
	wgm_crypt_engine_destroy(wg->encrypt);
	wg->encrypt = NULL;
	wgm_crypt_engine_destroy(wg->decrypt);
	wg->decrypt = NULL;
	skb_queue_purge(&wg->incoming_handshakes);
}

/*
 * After the last reference to the device: frees what a packet in flight
 * could still have touched.  Also called by register_netdevice() when it
 * fails after ndo_init succeeded (then ndo_uninit ran just before).
 */
static void wgm_destruct(struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);

	/* peers go through call_rcu(); readers of the tables are done too */
	rcu_barrier();
	gro_cells_destroy(&wg->gro_cells);
	wgm_stun_free(wg);
	wgm_index_hashtable_free(wg->index_hashtable);
	wgm_pubkey_hashtable_free(wg->peer_hashtable);
	wgm_compat_tstats_free(dev);
	memzero_explicit(&wg->static_identity, sizeof(wg->static_identity));
	memzero_explicit(&wg->cookie_issuer, sizeof(wg->cookie_issuer));
	mutex_destroy(&wg->bday_lock);
	mutex_destroy(&wg->device_update_lock);
}

static const struct net_device_ops wgm_netdev_ops = {
	.ndo_init = wgm_init,
	.ndo_uninit = wgm_uninit,
	.ndo_open = wgm_open,
	.ndo_stop = wgm_stop,
	.ndo_start_xmit = wgm_xmit,
	.ndo_get_stats64 = wgm_get_stats64,
};

static void wgm_setup(struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);

	dev->netdev_ops = &wgm_netdev_ops;
	wgm_compat_tstats_setup(dev);
	dev->header_ops = &ip_tunnel_header_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = LL_MAX_HEADER + WGM_ENCAP_HEADROOM;
	dev->needed_tailroom = WGM_DATA_PAD + WGM_AUTHTAG_BYTES;
	dev->features |= WGM_FEATURES;
	wgm_compat_set_lltx(dev);
	dev->hw_features |= WGM_FEATURES;
	dev->hw_enc_features |= WGM_FEATURES;
	dev->mtu = WGM_DEFAULT_MTU;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = WGM_MAX_MTU;
	dev->needs_free_netdev = true;
	dev->priv_destructor = wgm_destruct;
	/* ndo_start_xmit reads the route's MTU */
	netif_keep_dst(dev);
	SET_NETDEV_DEVTYPE(dev, &wgm_device_type);

	/* netdev_priv() is zeroed by alloc_netdev() */
	wg->dev = dev;
	INIT_LIST_HEAD(&wg->device_list);
	INIT_LIST_HEAD(&wg->peer_list);
	mutex_init(&wg->device_update_lock);
	mutex_init(&wg->bday_lock);
	init_rwsem(&wg->static_identity.lock);
	skb_queue_head_init(&wg->incoming_handshakes);
	INIT_WORK(&wg->handshake_work, wgm_packet_handshake_receive_worker);
	wgm_cookie_issuer_init(&wg->cookie_issuer, wg);
	wgm_genetlink_event_limit_init(wg);
	wgm_allowedips_init(&wg->peer_allowedips, WGM_MAX_ALLOWEDIPS_PER_DEVICE);
}

int wgm_device_create(struct net *src_net, struct net_device *dev)
{
	struct wgm_device *wg = netdev_priv(dev);

	/* not a counted reference: see the pernet hook below */
	wg->creating_net = src_net;
	return register_netdevice(dev);
}

static struct rtnl_link_ops wgm_link_ops __read_mostly = {
	.kind = "wgmesh",
	.priv_size = sizeof(struct wgm_device),
	.setup = wgm_setup,
	.newlink = wgm_compat_newlink,
};

/*
 * A namespace goes away: its kernel sockets must not outlive it, so every
 * device whose sockets live there is deleted, wherever the device itself
 * was moved to.
 */
static void __net_exit wgm_netns_pre_exit(struct net *net)
{
	struct wgm_device *wg, *tmp;
	LIST_HEAD(kill);

	rtnl_lock();
	list_for_each_entry_safe(wg, tmp, &wgm_device_list, device_list) {
		if (wg->creating_net == net)
			unregister_netdevice_queue(wg->dev, &kill);
	}
	unregister_netdevice_many(&kill);
	rtnl_unlock();
}

static struct pernet_operations wgm_netns_ops = {
	.pre_exit = wgm_netns_pre_exit,
};

/*
 * The namespace hook goes in before the link type: from the moment a
 * device can be created, the deletion of its namespace must be caught.
 */
int wgm_device_init(void)
{
	int ret = register_pernet_device(&wgm_netns_ops);

	if (ret)
		return ret;
	ret = rtnl_link_register(&wgm_link_ops);
	if (ret)
		unregister_pernet_device(&wgm_netns_ops);
	return ret;
}

void wgm_device_uninit(void)
{
	rtnl_link_unregister(&wgm_link_ops);
	unregister_pernet_device(&wgm_netns_ops);
	rcu_barrier();
}

MODULE_ALIAS_RTNL_LINK("wgmesh");
