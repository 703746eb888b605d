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
#include "probe.h"

/*
 * The generic netlink family is registered before the link type and torn
 * down after it: while any wgmesh device exists (and so any handshake
 * worker, timer or probe that may emit an event), the family is there.
 */
static int __init wgm_mod_init(void)
{
	int ret;

	wgm_noise_init();
	wgm_probe_ids_init();
	ret = wgm_allowedips_slab_init();
	if (ret)
		goto err_allowedips;
	ret = wgm_peer_init();
	if (ret)
		goto err_peer;
	ret = wgm_ratelimiter_init();
	if (ret)
		goto err_ratelimiter;
	ret = wgm_genetlink_init();
	if (ret)
		goto err_genetlink;
	ret = wgm_device_init();
	if (ret)
		goto err_device;
	pr_info("loaded\n");
	return 0;

err_device:
	wgm_genetlink_uninit();
err_genetlink:
	wgm_ratelimiter_uninit();
err_ratelimiter:
	wgm_peer_uninit();
err_peer:
	wgm_allowedips_slab_uninit();
err_allowedips:
	return ret;
}

/* The exact reverse of wgm_mod_init(): devices (and their workers) first. */
static void __exit wgm_mod_exit(void)
{
	wgm_device_uninit();
	wgm_genetlink_uninit();
	wgm_ratelimiter_uninit();
	wgm_peer_uninit();
	wgm_allowedips_slab_uninit();
}

module_init(wgm_mod_init);
module_exit(wgm_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard-compatible mesh tunnel with in-kernel NAT traversal");
MODULE_ALIAS_GENL_FAMILY(WGM_GENL_NAME);
