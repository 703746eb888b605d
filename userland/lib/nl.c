// SPDX-License-Identifier: GPL-2.0-only
#include "nl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nlmsg.h"

/* Dumps interrupted by concurrent changes are retried this many times. */
#define DUMP_ATTEMPTS 8

static int nl_socket(struct wgm_nl *nl, int proto, struct wgm_err *err)
{
	int one = 1;

	nl->sock = mnl_socket_open(proto);
	if (!nl->sock)
		return wgm_err_set(err, "netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		wgm_err_set(err, "netlink bind: %s", strerror(errno));
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return -1;
	}
	/* Best effort: older kernels lack these; errors stay readable. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;
}

/* Send len bytes of nl->buf-built request and run the reply through cb. */
static int transact(struct wgm_nl *nl, const void *req, size_t len,
		    uint32_t seq, wgm_nl_data_cb cb, void *data, int *errnum,
		    char *extack, size_t extack_len, bool *intr,
		    struct wgm_err *err)
{
	enum wgm_nl_batch st;
	ssize_t n;

	*errnum = 0;
	if (mnl_socket_sendto(nl->sock, req, len) < 0) {
		*errnum = errno;
		return wgm_err_set(err, "netlink send: %s", strerror(errno));
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, WGM_NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			*errnum = errno;
			return wgm_err_set(err, "netlink receive: %s",
					   strerror(errno));
		}
		st = wgm_nl_process(nl->buf, (size_t)n, seq, nl->portid, cb,
				    data, errnum, extack, extack_len, intr, err);
		if (st == WGM_NL_BATCH_DONE)
			return 0;
		if (st == WGM_NL_BATCH_ERROR)
			return -1;
	}
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
	char req[512], extack[256];
	bool intr = false;
	size_t len;
	int errnum;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(WGM_NL_RECV_SIZE);
	if (!nl->buf)
		return wgm_err_set(err, "out of memory");
	if (nl_socket(nl, NETLINK_GENERIC, err))
		goto fail;
	len = wgm_genl_family_build(req, sizeof(req), ++nl->seq, WGM_GENL_NAME);
	if (transact(nl, req, len, nl->seq, family_cb, &nl->family, &errnum,
		     extack, sizeof(extack), &intr, err)) {
		if (errnum == ENOENT)
			wgm_err_set(err, "wgmesh module not loaded (try: modprobe wgmesh)");
		else if (errnum)
			wgm_nl_errno_msg(err, WGM_NL_OP_GET, errnum, extack,
					 "generic netlink");
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
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

static int dump_cb(const struct nlmsghdr *nlh, void *data, struct wgm_err *err)
{
	return wgm_dump_parse(nlh, data, err);
}

int wgm_nl_get_device(struct wgm_nl *nl, const char *ifname,
		      struct mesh_conf_device *dev, struct wgm_err *err)
{
	char req[512], extack[256];
	int attempt, errnum;
	bool intr;
	size_t len;

	if (strlen(ifname) >= IFNAMSIZ)
		return wgm_err_set(err, "interface name too long: %s", ifname);
	for (attempt = 0; attempt < DUMP_ATTEMPTS; attempt++) {
		mesh_conf_device_free(dev);
		intr = false;
		len = wgm_get_build(req, sizeof(req), nl->family, ++nl->seq,
				    ifname);
		if (transact(nl, req, len, nl->seq, dump_cb, dev, &errnum,
			     extack, sizeof(extack), &intr, err)) {
			if (errnum)
				wgm_nl_errno_msg(err, WGM_NL_OP_GET, errnum,
						 extack, ifname);
			mesh_conf_device_free(dev);
			return -1;
		}
		if (!intr) {
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
	char extack[256], *msg;
	struct wgm_set_iter it;
	bool intr = false;
	int len, errnum, ret = 0;

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
		if (transact(nl, msg, (size_t)len, nl->seq, NULL, NULL, &errnum,
			     extack, sizeof(extack), &intr, err)) {
			if (errnum)
				wgm_nl_errno_msg(err, WGM_NL_OP_SET, errnum,
						 extack, dev->name);
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
