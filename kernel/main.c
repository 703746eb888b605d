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
 * The parts, in the order they come up; they go down in reverse.  The
 * generic netlink family comes before the link type and goes after it:
 * while any wgmesh device exists (and so any handshake worker, timer or
 * probe that may emit an event), the family is there.
 */
static int (* const wgm_part_up[])(void) __initconst = {
	wgm_allowedips_slab_init,
	wgm_peer_init,
	wgm_ratelimiter_init,
	wgm_genetlink_init,
	wgm_device_init,
};

static void (* const wgm_part_down[])(void) = {
	wgm_allowedips_slab_uninit,
	wgm_peer_uninit,
	wgm_ratelimiter_uninit,
	wgm_genetlink_uninit,
	wgm_device_uninit,
};

/* Takes down the first @n parts, newest first. */
static void wgm_parts_down(unsigned int n)
{
	while (n--)
		wgm_part_down[n]();
}

static int __init wgm_mod_init(void)
{
	unsigned int i;
	int ret;

	BUILD_BUG_ON(ARRAY_SIZE(wgm_part_up) != ARRAY_SIZE(wgm_part_down));
	wgm_noise_init();
	wgm_probe_ids_init();
	for (i = 0; i < ARRAY_SIZE(wgm_part_up); i++) {
		ret = wgm_part_up[i]();
		if (ret) {
			pr_err("initialisation step %u failed: %d\n", i, ret);
			wgm_parts_down(i);
			return ret;
		}
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit wgm_mod_exit(void)
{
	wgm_parts_down(ARRAY_SIZE(wgm_part_down));
}

module_init(wgm_mod_init);
module_exit(wgm_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("WireGuard-compatible mesh tunnel with in-kernel NAT traversal");
MODULE_ALIAS_GENL_FAMILY(WGM_GENL_NAME);
