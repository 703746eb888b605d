/* SPDX-License-Identifier: GPL-2.0-only */
/* wgmesh links over rtnetlink: create, delete, enumerate. */
#ifndef WGM_RTNL_H
#define WGM_RTNL_H

#include <linux/netlink.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WGM_LINK_KIND "wgmesh"

struct wgm_link {
	char name[IFNAMSIZ];
	uint32_t ifindex;
	char kind[32];		/* "" when the link has no IFLA_INFO_KIND */
};

/* Pure builders/parsers (unit-tested). */
size_t wgm_rtnl_build_newlink(void *buf, size_t buflen, uint32_t seq,
			      const char *name);
size_t wgm_rtnl_build_dellink(void *buf, size_t buflen, uint32_t seq,
			      uint32_t ifindex);
size_t wgm_rtnl_build_getlink(void *buf, size_t buflen, uint32_t seq,
			      const char *name);	/* NULL: dump */
int wgm_rtnl_parse_link(const struct nlmsghdr *nlh, struct wgm_link *link);

int wgm_rtnl_link_add(const char *name, struct wgm_err *err);
/* Refuses to delete a link that is not of kind wgmesh. */
int wgm_rtnl_link_del(const char *name, struct wgm_err *err);
int wgm_rtnl_link_get(const char *name, struct wgm_link *link,
		      struct wgm_err *err);
/*
 * Like wgm_rtnl_link_get(), but a missing link is no error: 0 found, 1
 * no such link, -1 error.  Use it, not if_nametoindex(), to ask whether a
 * name exists: SIOCGIFINDEX on a missing name makes the kernel try to load
 * modules named after it ("netdev-NAME", then "NAME": one or two modprobe
 * runs, seconds in a VM), RTM_GETLINK never does.
 */
int wgm_rtnl_link_lookup(const char *name, struct wgm_link *link,
			 struct wgm_err *err);
/* All wgmesh links, sorted by name; *links is malloc'ed. */
int wgm_rtnl_list(struct wgm_link **links, size_t *n, struct wgm_err *err);

#endif /* WGM_RTNL_H */
