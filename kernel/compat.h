/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every difference between the kernels wgmesh builds for, in one place.
 *
 * The module is written against the newest API; this header maps it back
 * onto older kernels.  Each entry names the mainline release that made the
 * change.  Where stable backports blur the version (Debian's 6.1 has
 * helpers that early 6.1.y lacks), the test is on the feature itself:
 * either a macro the header defines, __has_include(), or a WGM_HAVE_*
 * flag that kernel/Kbuild sets by looking at the headers of the tree being
 * built against.  Version numbers are used only for signature changes that
 * nothing backports.
 *
 * Tested: Debian 12's 6.1 and 6.12 (amd64), cross-compiled for arm64 and
 * armhf.  Written from the documented API changes up to 6.17.
 */
#ifndef _WGM_COMPAT_H
#define _WGM_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/timer.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>
#include <net/udp_tunnel.h>

/* 6.5: skb_gso_segment() and friends moved to <net/gso.h>. */
#ifdef WGM_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/* 6.12: <asm/unaligned.h> became <linux/unaligned.h>. */
#ifdef WGM_HAVE_LINUX_UNALIGNED_H
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * 6.2 (backported to later 6.1.y): timer_delete() and timer_delete_sync();
 * 6.15 removed del_timer() and del_timer_sync().
 */
#ifndef WGM_HAVE_TIMER_DELETE
#define timer_delete(t)		del_timer(t)
#define timer_delete_sync(t)	del_timer_sync(t)
#endif

/* 6.16: from_timer() renamed timer_container_of(). */
#ifndef timer_container_of
#define timer_container_of(var, callback_timer, field) \
	from_timer(var, callback_timer, field)
#endif

/* 6.2 (backported to later 6.1.y): get_random_u32_below(). */
#ifndef WGM_HAVE_GET_RANDOM_U32_BELOW
static inline u32 get_random_u32_below(u32 ceil)
{
	return prandom_u32_max(ceil);
}
#endif

/* 6.6 (backported to later 6.1.y): lockless DEV_STATS_*() counters. */
#ifndef DEV_STATS_INC
static inline void wgm_stats_add(struct net_device *dev, size_t offset,
				 unsigned long n)
{
	*(unsigned long *)((char *)&dev->stats + offset) += n;
}

#define DEV_STATS_ADD(dev, field, n) \
	wgm_stats_add(dev, offsetof(struct net_device_stats, field), n)
#define DEV_STATS_INC(dev, field)	DEV_STATS_ADD(dev, field, 1)
#endif

/*
 * 6.12: NETIF_F_LLTX is gone; a driver that needs no tx lock sets
 * dev->lltx instead.
 */
static inline void wgm_compat_set_lltx(struct net_device *dev)
{
#ifdef NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

/*
 * 6.6 (backported to later 6.1.y): GENL_MCAST_CAP_NET_ADMIN.  Without it
 * the kernel cannot keep unprivileged listeners out of a multicast group;
 * WGM_HAVE_MCAST_CAP tells the netlink layer whether it must refuse to
 * send events at all rather than leak them.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define WGM_HAVE_MCAST_CAP 1
#else
#define WGM_HAVE_MCAST_CAP 0
#define GENL_MCAST_CAP_NET_ADMIN 0
#endif

/*
 * 6.7 (backported to Debian's 6.1): a device names the per-CPU statistics
 * it wants in dev->pcpu_stat_type and the core allocates and frees them;
 * since 6.10 the UDP tunnel transmit path warns about a device that did not
 * say.  Older kernels leave dev->tstats to the driver.
 */
static inline void wgm_compat_tstats_setup(struct net_device *dev)
{
#ifdef WGM_HAVE_CORE_PCPU_STATS
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
#endif
}

static inline int wgm_compat_tstats_alloc(struct net_device *dev)
{
#ifndef WGM_HAVE_CORE_PCPU_STATS
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
#endif
	return 0;
}

static inline void wgm_compat_tstats_free(struct net_device *dev)
{
#ifndef WGM_HAVE_CORE_PCPU_STATS
	free_percpu(dev->tstats);
	dev->tstats = NULL;
#endif
}

/* 6.2: a dump's parsed attributes moved into genl_dumpit_info::info. */
static inline struct nlattr **wgm_compat_dump_attrs(struct netlink_callback *cb)
{
#ifdef WGM_HAVE_GENL_DUMP_INFO
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/*
 * 6.15: rtnl_link_ops::newlink() takes struct rtnl_newlink_params.
 * device.c implements wgm_device_create(); wgm_compat_newlink has the
 * shape this kernel's rtnl_link_ops wants.
 */
int wgm_device_create(struct net *src_net, struct net_device *dev);

#ifdef WGM_HAVE_NEWLINK_PARAMS
static inline int wgm_compat_newlink(struct net_device *dev,
				     struct rtnl_newlink_params *params,
				     struct netlink_ext_ack *extack)
{
	return wgm_device_create(params->src_net, dev);
}
#else
static inline int wgm_compat_newlink(struct net *src_net,
				     struct net_device *dev,
				     struct nlattr *tb[], struct nlattr *data[],
				     struct netlink_ext_ack *extack)
{
	return wgm_device_create(src_net, dev);
}
#endif

/*
 * 6.17: udp_tunnel_xmit_skb() and udp_tunnel6_xmit_skb() take the IP
 * control-block flags to set; 6.3 made the IPv6 one return void.
 */
static inline void wgm_udp4_xmit(struct rtable *rt, struct sock *sk,
				 struct sk_buff *skb, __be32 src, __be32 dst,
				 u8 tos, u8 ttl, __be16 sport, __be16 dport)
{
#ifdef WGM_HAVE_UDP_TUNNEL_CB_FLAGS
	udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, 0, sport, dport,
			    false, false, 0);
#else
	udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, 0, sport, dport,
			    false, false);
#endif
}

static inline void wgm_udp6_xmit(struct dst_entry *dst, struct sock *sk,
				 struct sk_buff *skb, struct net_device *dev,
				 struct in6_addr *src, struct in6_addr *daddr,
				 u8 prio, u8 ttl, __be16 sport, __be16 dport)
{
#ifdef WGM_HAVE_UDP_TUNNEL_CB_FLAGS
	udp_tunnel6_xmit_skb(dst, sk, skb, dev, src, daddr, prio, ttl, 0,
			     sport, dport, false, 0);
#else
	udp_tunnel6_xmit_skb(dst, sk, skb, dev, src, daddr, prio, ttl, 0,
			     sport, dport, false);
#endif
}

#endif /* _WGM_COMPAT_H */
