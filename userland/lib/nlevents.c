// SPDX-License-Identifier: GPL-2.0-only
#include "nlevents.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wgmesh.h>
#include <stdbool.h>
#include <string.h>

#include "nlmsg.h"

/* One CTRL_ATTR_MCAST_GRP_* nest: 1 when it is `group`. */
static int match_group(const struct nlattr *nest, const char *group,
		       uint32_t *id)
{
	const struct nlattr *a;
	bool have_id = false, named = false;
	uint32_t gid = 0;

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_MCAST_GRP_ID:
			if (mnl_attr_get_payload_len(a) != 4)
				return 0;
			gid = mnl_attr_get_u32(a);
			have_id = true;
			break;
		case CTRL_ATTR_MCAST_GRP_NAME:
			if (!mnl_attr_get_payload_len(a) ||
			    !memchr(mnl_attr_get_payload(a), '\0',
				    mnl_attr_get_payload_len(a)))
				return 0;
			named = !strcmp(mnl_attr_get_str(a), group);
			break;
		}
	}
	if (!have_id || !named)
		return 0;
	*id = gid;
	return 1;
}

int wgm_genl_mcgrp_parse(const struct nlmsghdr *nlh, const char *group,
			 uint32_t *id)
{
	const struct nlattr *a, *g;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -1;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		mnl_attr_for_each_nested(g, a)
			if (match_group(g, group, id))
				return 0;
	}
	return -1;
}

struct grp_lookup {
	uint32_t id;
	bool found;
};

static int grp_cb(const struct nlmsghdr *nlh, void *data, struct wgm_err *err)
{
	struct grp_lookup *g = data;

	(void)err;
	if (!wgm_genl_mcgrp_parse(nlh, WGM_MCGRP_EVENTS, &g->id))
		g->found = true;
	return 0;
}

int wgm_nl_events_subscribe(struct wgm_nl *nl, int *missing,
			    struct wgm_err *err)
{
	struct grp_lookup g = { 0, false };
	struct wgm_nl_reply r;
	char req[512];
	size_t len;
	int grp;

	*missing = 0;
	len = wgm_genl_family_build(req, sizeof(req), ++nl->seq, WGM_GENL_NAME);
	if (wgm_nl_transact(nl, req, len, grp_cb, &g, &r, err)) {
		if (r.sock_errno)
			return -1;
		return wgm_err_prefix(err, "generic netlink family lookup");
	}
	if (!g.found) {
		*missing = 1;
		return wgm_err_set(err, "the wgmesh module has no \"%s\" multicast group (events not supported)",
				   WGM_MCGRP_EVENTS);
	}
	grp = (int)g.id;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		if (errno == EPERM || errno == EACCES)
			return wgm_err_set(err, "joining the \"%s\" group: permission denied: needs CAP_NET_ADMIN (run as root)",
					   WGM_MCGRP_EVENTS);
		return wgm_err_set(err, "joining the \"%s\" group: %s",
				   WGM_MCGRP_EVENTS, strerror(errno));
	}
	return 0;
}

static int event_sockaddr(const struct nlattr *a, union wgm_sockaddr *out)
{
	size_t len = mnl_attr_get_payload_len(a);
	const struct sockaddr *sa = mnl_attr_get_payload(a);

	memset(out, 0, sizeof(*out));
	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET)
		memcpy(&out->in, sa, len);
	else if (len == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6)
		memcpy(&out->in6, sa, len);
	else
		return -1;
	return 0;
}

int wgm_event_parse(const struct nlmsghdr *nlh, struct wgm_event *ev)
{
	const struct nlattr *a, *e;

	memset(ev, 0, sizeof(*ev));
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -1;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != WGM_DEVICE_A_EVENT)
			continue;
		ev->present = true;
		mnl_attr_for_each_nested(e, a) {
			switch (mnl_attr_get_type(e)) {
			case WGM_EVENT_A_TYPE:
				if (mnl_attr_get_payload_len(e) != 1)
					return -1;
				ev->type = mnl_attr_get_u8(e);
				break;
			case WGM_EVENT_A_OLD_ENDPOINT:
				if (event_sockaddr(e, &ev->old_ep))
					return -1;
				break;
			case WGM_EVENT_A_NEW_ENDPOINT:
				if (event_sockaddr(e, &ev->new_ep))
					return -1;
				break;
			case WGM_EVENT_A_REASON:
			case WGM_EVENT_A_VALUE:
				if (mnl_attr_get_payload_len(e) != 4)
					return -1;
				if (mnl_attr_get_type(e) == WGM_EVENT_A_REASON)
					ev->reason = mnl_attr_get_u32(e);
				else
					ev->value = mnl_attr_get_u32(e);
				break;
			}
		}
	}
	return 0;
}

struct event_walk {
	uint16_t family;
	wgm_event_cb cb;
	void *data;
};

static int event_msg(const struct nlmsghdr *nlh, void *data,
		     struct wgm_err *err)
{
	const struct event_walk *w = data;
	const struct genlmsghdr *genl;
	struct mesh_conf_device dev;
	struct wgm_event ev;
	int ret;

	if (nlh->nlmsg_type != w->family ||
	    mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return 0;
	genl = mnl_nlmsg_get_payload(nlh);
	mesh_conf_device_init(&dev);
	if (wgm_dump_parse(nlh, &dev, err)) {
		mesh_conf_device_free(&dev);
		return wgm_err_prefix(err, "malformed event");
	}
	if (wgm_event_parse(nlh, &ev)) {
		mesh_conf_device_free(&dev);
		return wgm_err_set(err, "malformed event attributes");
	}
	ret = w->cb(genl->cmd, &dev, &ev, w->data);
	mesh_conf_device_free(&dev);
	return ret ? -1 : 0;
}

int wgm_nl_events_read(struct wgm_nl *nl, wgm_event_cb cb, void *data,
		       struct wgm_err *err)
{
	struct event_walk w = { nl->family, cb, data };
	char extack[1];
	bool intr;
	int errnum;
	ssize_t n;

	n = wgm_nl_recv(nl, err);
	if (n < 0) {
		if (errno == ENOBUFS)
			return wgm_err_set(err, "receive buffer overrun: some events were lost");
		return -1;
	}
	/* Multicast messages carry sequence number 0 and no port. */
	if (wgm_nl_process(nl->buf, (size_t)n, 0, 0, event_msg, &w, &errnum,
			   extack, sizeof(extack), &intr,
			   err) == WGM_NL_BATCH_ERROR)
		return -1;
	return 0;
}
