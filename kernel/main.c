// SPDX-License-Identifier: GPL-2.0-only
/*
 * wgmesh: module init and exit.  Every subsystem is brought up in
 * dependency order and torn down in reverse, also when one fails halfway.
 */

#include <linux/module.h>
#include <linux/init.h>
#include <net/genetlink.h>

#include "uapi/linux/wgmesh.h"
#include "device.h"
#include "peer.h"
#include "noise.h"
#include "allowedips.h"
#include "ratelimiter.h"
#include "netlink.h"

static int __init wgm_mod_init(void)
{
	int ret;

	wgm_noise_init();
	ret = wgm_allowedips_slab_init();
	if (ret)
		goto err_allowedips;
	ret = wgm_peer_init();
	if (ret)
		goto err_peer;
	ret = wgm_ratelimiter_init();
	if (ret)
		goto err_ratelimiter;
	ret = wgm_device_init();
	if (ret)
		goto err_device;
	ret = wgm_genetlink_init();
	if (ret)
		goto err_genetlink;
	pr_info("loaded\n");
	return 0;

err_genetlink:
	wgm_device_uninit();
err_device:
	wgm_ratelimiter_uninit();
err_ratelimiter:
	wgm_peer_uninit();
err_peer:
	wgm_allowedips_slab_uninit();
err_allowedips:
	return ret;
}

static void __exit wgm_mod_exit(void)
{
	wgm_genetlink_uninit();
	wgm_device_uninit();
	wgm_ratelimiter_uninit();
	wgm_peer_uninit();
	wgm_allowedips_slab_uninit();
}

module_init(wgm_mod_init);
module_exit(wgm_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard-compatible mesh tunnel with in-kernel NAT traversal");
MODULE_ALIAS_GENL_FAMILY(WGM_GENL_NAME);
