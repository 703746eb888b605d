// SPDX-License-Identifier: GPL-2.0-only
/*
 * wgmesh: module skeleton.  Registers the "wgmesh" link kind and the
 * "wgmesh" generic netlink family; the data path replaces this file.
 */

#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/if_arp.h>
#include <net/rtnetlink.h>
#include <net/genetlink.h>

#include "uapi/linux/wgmesh.h"

static netdev_tx_t wgm_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev->stats.tx_dropped++;
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops wgm_netdev_ops = {
	.ndo_start_xmit = wgm_xmit,
};

static void wgm_setup(struct net_device *dev)
{
	dev->netdev_ops = &wgm_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->mtu = 1420;
	dev->min_mtu = 68;
	dev->max_mtu = 65535 - 80;
	dev->needs_free_netdev = true;
}

static struct rtnl_link_ops wgm_link_ops __read_mostly = {
	.kind = "wgmesh",
	.setup = wgm_setup,
};

static const struct nla_policy wgm_device_policy[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_IFINDEX] = { .type = NLA_U32 },
	[WGM_DEVICE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
};

static int wgm_get_device_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return -EOPNOTSUPP;
}

static const struct genl_ops wgm_genl_ops[] = {
	{
		.cmd = WGM_CMD_GET_DEVICE,
		.dumpit = wgm_get_device_dumpit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group wgm_mcgrps[] = {
	{ .name = WGM_MCGRP_EVENTS },
};

static struct genl_family wgm_genl_family __ro_after_init = {
	.ops = wgm_genl_ops,
	.n_ops = ARRAY_SIZE(wgm_genl_ops),
	.mcgrps = wgm_mcgrps,
	.n_mcgrps = ARRAY_SIZE(wgm_mcgrps),
	.name = WGM_GENL_NAME,
	.version = WGM_GENL_VERSION,
	.maxattr = WGM_DEVICE_A_MAX,
	.policy = wgm_device_policy,
	.module = THIS_MODULE,
	.netnsok = true,
};

static int __init wgm_mod_init(void)
{
	int ret;

	ret = rtnl_link_register(&wgm_link_ops);
	if (ret)
		return ret;
	ret = genl_register_family(&wgm_genl_family);
	if (ret)
		goto err_genl;
	pr_info("loaded\n");
	return 0;

err_genl:
	rtnl_link_unregister(&wgm_link_ops);
	return ret;
}

static void __exit wgm_mod_exit(void)
{
	genl_unregister_family(&wgm_genl_family);
	rtnl_link_unregister(&wgm_link_ops);
}

module_init(wgm_mod_init);
module_exit(wgm_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard-compatible mesh tunnel with in-kernel NAT traversal");
MODULE_ALIAS_RTNL_LINK("wgmesh");
MODULE_ALIAS_GENL_FAMILY(WGM_GENL_NAME);
