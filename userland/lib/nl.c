// SPDX-License-Identifier: GPL-2.0-only
#include "nl.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlmsg.h"

/* Dumps interrupted by concurrent changes are retried this many times. */
#define DUMP_ATTEMPTS 8

/*
 * The errno a failed request is explained with: the kernel's, or that of
 * the send or receive that failed (0: the reply itself was at fault).
 */
static int reply_errnum(const struct wgm_nl_reply *r)
{
	return r->errnum ? r->errnum : r->sock_errno;
}

static int family_cb(const struct nlmsghdr *nlh, void *data,
		     struct wgm_err *err)
{
	if (wgm_genl_family_parse(nlh, data))
		return wgm_err_set(err, "malformed generic netlink family reply");
	return 0;
}

int wgm_nl_open(struct wgm_nl *nl, struct wgm_err *err)
{
	struct wgm_nl_reply r;
	char req[512];
	size_t len;

	if (wgm_nl_sock_open(nl, NETLINK_GENERIC, "netlink", err))
		return -1;
	len = wgm_genl_family_build(req, sizeof(req), ++nl->seq, WGM_GENL_NAME);
	if (wgm_nl_transact(nl, req, len, family_cb, &nl->family, &r, err)) {
		if (reply_errnum(&r) == ENOENT)
			wgm_err_set(err, "wgmesh module not loaded (try: modprobe wgmesh)");
		else if (reply_errnum(&r))
			wgm_nl_errno_msg(err, WGM_NL_OP_GET, reply_errnum(&r),
					 r.extack, "generic netlink");
		goto fail;
	}
	if (!nl->family) {
		wgm_err_set(err, "wgmesh module not loaded (try: modprobe wgmesh)");
		goto fail;
	}
	return 0;
fail:
	wgm_nl_close(nl);
	return -1;
}

void wgm_nl_close(struct wgm_nl *nl)
{
	wgm_nl_sock_close(nl);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data, struct wgm_err *err)
{
	return wgm_dump_parse(nlh, data, err);
}

int wgm_nl_get_device(struct wgm_nl *nl, const char *ifname,
		      struct mesh_conf_device *dev, struct wgm_err *err)
{
	struct wgm_nl_reply r;
	char req[512];
	int attempt;
	size_t len;

	if (strlen(ifname) >= IFNAMSIZ)
		return wgm_err_set(err, "interface name too long: %s", ifname);
	for (attempt = 0; attempt < DUMP_ATTEMPTS; attempt++) {
		mesh_conf_device_free(dev);
		len = wgm_get_build(req, sizeof(req), nl->family, ++nl->seq,
				    ifname);
		if (wgm_nl_transact(nl, req, len, dump_cb, dev, &r, err)) {
			if (reply_errnum(&r))
				wgm_nl_errno_msg(err, WGM_NL_OP_GET,
						 reply_errnum(&r), r.extack,
						 ifname);
			mesh_conf_device_free(dev);
			return -1;
		}
		if (!r.intr) {
			if (!dev->name[0])
				snprintf(dev->name, sizeof(dev->name), "%s",
					 ifname);
			return 0;
		}
	}
	mesh_conf_device_free(dev);
	return wgm_err_set(err, "%s: peers kept changing during %d dump attempts",
			   ifname, DUMP_ATTEMPTS);
}

int wgm_nl_set_device(struct wgm_nl *nl, const struct mesh_conf_device *dev,
		      struct wgm_err *err)
{
	struct wgm_nl_reply r;
	struct wgm_set_iter it;
	int len, ret = 0;
	char *msg;

	msg = malloc(WGM_NL_SET_MSG_SIZE);
	if (!msg)
		return wgm_err_set(err, "out of memory");
	wgm_set_iter_init(&it, dev);
	for (;;) {
		len = wgm_set_build_next(&it, msg, WGM_NL_SET_MSG_SIZE,
					 nl->family, ++nl->seq, err);
		if (len <= 0) {
			ret = len;
			break;
		}
		if (wgm_nl_transact(nl, msg, (size_t)len, NULL, NULL, &r,
				    err)) {
			if (reply_errnum(&r))
				wgm_nl_errno_msg(err, WGM_NL_OP_SET,
						 reply_errnum(&r), r.extack,
						 dev->name);
			if (it.msgs > 1)
				wgm_err_prefix(err, "after %u of the request's messages were applied",
					       it.msgs - 1);
			ret = -1;
			break;
		}
	}
	explicit_bzero(msg, WGM_NL_SET_MSG_SIZE);
	free(msg);
	return ret;
}
