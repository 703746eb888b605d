// SPDX-License-Identifier: GPL-2.0-only
#include "rtnl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nlmsg.h"
#include "nlsock.h"

static struct nlmsghdr *rt_start(void *buf, uint16_t type, uint16_t flags,
				 uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	return nlh;
}

size_t wgm_rtnl_build_newlink(void *buf, size_t buflen, uint32_t seq,
			      const char *name)
{
	struct nlmsghdr *nlh;
	struct nlattr *info;

	nlh = rt_start(buf, RTM_NEWLINK,
		       NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		       seq);
	if (!mnl_attr_put_strz_check(nlh, buflen, IFLA_IFNAME, name))
		return 0;
	info = mnl_attr_nest_start_check(nlh, buflen, IFLA_LINKINFO);
	if (!info ||
	    !mnl_attr_put_strz_check(nlh, buflen, IFLA_INFO_KIND, WGM_LINK_KIND))
		return 0;
	mnl_attr_nest_end(nlh, info);
	return nlh->nlmsg_len;
}

size_t wgm_rtnl_build_dellink(void *buf, size_t buflen, uint32_t seq,
			      uint32_t ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	(void)buflen;
	nlh = rt_start(buf, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_index = (int)ifindex;
	return nlh->nlmsg_len;
}

size_t wgm_rtnl_build_getlink(void *buf, size_t buflen, uint32_t seq,
			      const char *name)
{
	struct nlmsghdr *nlh;

	nlh = rt_start(buf, RTM_GETLINK,
		       NLM_F_REQUEST | (name ? NLM_F_ACK : NLM_F_DUMP), seq);
	if (name && !mnl_attr_put_strz_check(nlh, buflen, IFLA_IFNAME, name))
		return 0;
	return nlh->nlmsg_len;
}

int wgm_rtnl_parse_link(const struct nlmsghdr *nlh, struct wgm_link *link)
{
	const struct ifinfomsg *ifm;
	const struct nlattr *a, *b;
	size_t len;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return -1;
	memset(link, 0, sizeof(*link));
	ifm = mnl_nlmsg_get_payload(nlh);
	link->ifindex = (uint32_t)ifm->ifi_index;
	mnl_attr_for_each(a, nlh, sizeof(*ifm)) {
		len = mnl_attr_get_payload_len(a);
		if (mnl_attr_get_type(a) == IFLA_IFNAME) {
			if (!len || len > sizeof(link->name) ||
			    !memchr(mnl_attr_get_payload(a), '\0', len))
				return -1;
			memcpy(link->name, mnl_attr_get_payload(a), len);
		} else if (mnl_attr_get_type(a) == IFLA_LINKINFO) {
			mnl_attr_for_each_nested(b, a) {
				size_t blen = mnl_attr_get_payload_len(b);

				if (mnl_attr_get_type(b) != IFLA_INFO_KIND ||
				    !blen || blen > sizeof(link->kind) ||
				    !memchr(mnl_attr_get_payload(b), '\0', blen))
					continue;
				memcpy(link->kind, mnl_attr_get_payload(b),
				       blen);
			}
		}
	}
	return link->name[0] ? 0 : -1;
}

static int rt_open(struct wgm_nl *rt, struct wgm_err *err)
{
	return wgm_nl_sock_open(rt, NETLINK_ROUTE, "rtnetlink", err);
}

static int rt_transact(struct wgm_nl *rt, const void *req, size_t len,
		       wgm_nl_data_cb cb, void *data, const char *ifname,
		       struct wgm_err *err)
{
	struct wgm_nl_reply r;

	if (!wgm_nl_transact(rt, req, len, cb, data, &r, err))
		return 0;
	if (r.errnum)
		wgm_nl_errno_msg(err, WGM_NL_OP_LINK, r.errnum, r.extack,
				 ifname);
	return -1;
}

static int get_cb(const struct nlmsghdr *nlh, void *data, struct wgm_err *err)
{
	(void)err;
	wgm_rtnl_parse_link(nlh, data);
	return 0;
}

int wgm_rtnl_link_get(const char *name, struct wgm_link *link,
		      struct wgm_err *err)
{
	char req[512];
	struct wgm_nl rt;
	size_t len;
	int ret;

	if (strlen(name) >= IFNAMSIZ)
		return wgm_err_set(err, "interface name too long: %s", name);
	if (rt_open(&rt, err))
		return -1;
	memset(link, 0, sizeof(*link));
	len = wgm_rtnl_build_getlink(req, sizeof(req), ++rt.seq, name);
	ret = rt_transact(&rt, req, len, get_cb, link, name, err);
	/* A single RTM_GETLINK answers with the link then (NLM_F_ACK) 0. */
	if (!ret && !link->name[0])
		ret = wgm_err_set(err, "no such device: %s", name);
	wgm_nl_sock_close(&rt);
	return ret;
}

int wgm_rtnl_link_lookup(const char *name, struct wgm_link *link,
			 struct wgm_err *err)
{
	struct wgm_nl_reply r;
	char req[512];
	struct wgm_nl rt;
	size_t len;
	int ret = 0;

	if (strlen(name) >= IFNAMSIZ)
		return wgm_err_set(err, "interface name too long: %s", name);
	if (rt_open(&rt, err))
		return -1;
	memset(link, 0, sizeof(*link));
	len = wgm_rtnl_build_getlink(req, sizeof(req), ++rt.seq, name);
	if (wgm_nl_transact(&rt, req, len, get_cb, link, &r, err)) {
		if (r.errnum == ENODEV)
			ret = 1;
		else if (r.errnum)
			ret = wgm_nl_errno_msg(err, WGM_NL_OP_LINK, r.errnum, r.extack, name);
		else
			ret = -1;
	} else if (!link->name[0]) {
		ret = 1;
	}
	wgm_nl_sock_close(&rt);
	return ret;
}

int wgm_rtnl_link_add(const char *name, struct wgm_err *err)
{
	char req[512];
	struct wgm_nl rt;
	size_t len;
	int ret;

	if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') ||
	    strpbrk(name, " \t\n:"))
		return wgm_err_set(err, "invalid interface name '%s'", name);
	if (rt_open(&rt, err))
		return -1;
	len = wgm_rtnl_build_newlink(req, sizeof(req), ++rt.seq, name);
	ret = rt_transact(&rt, req, len, NULL, NULL, name, err);
	wgm_nl_sock_close(&rt);
	return ret;
}

int wgm_rtnl_link_del(const char *name, struct wgm_err *err)
{
	struct wgm_link link;
	char req[512];
	struct wgm_nl rt;
	size_t len;
	int ret;

	if (wgm_rtnl_link_get(name, &link, err))
		return -1;
	if (strcmp(link.kind, WGM_LINK_KIND))
		return wgm_err_set(err, "%s is not a wgmesh device (kind '%s'); not deleting it",
				   name, link.kind[0] ? link.kind : "none");
	if (rt_open(&rt, err))
		return -1;
	len = wgm_rtnl_build_dellink(req, sizeof(req), ++rt.seq, link.ifindex);
	ret = rt_transact(&rt, req, len, NULL, NULL, name, err);
	wgm_nl_sock_close(&rt);
	return ret;
}

struct list_ctx {
	struct wgm_link *links;
	size_t n, cap;
};

static int list_cb(const struct nlmsghdr *nlh, void *data, struct wgm_err *err)
{
	struct list_ctx *ctx = data;
	struct wgm_link link, *p;

	if (wgm_rtnl_parse_link(nlh, &link) || strcmp(link.kind, WGM_LINK_KIND))
		return 0;
	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap ? ctx->cap * 2 : 8;
		p = realloc(ctx->links, ctx->cap * sizeof(*p));
		if (!p)
			return wgm_err_set(err, "out of memory");
		ctx->links = p;
	}
	ctx->links[ctx->n++] = link;
	return 0;
}

static int cmp_link(const void *a, const void *b)
{
	return strcmp(((const struct wgm_link *)a)->name,
		      ((const struct wgm_link *)b)->name);
}

int wgm_rtnl_list(struct wgm_link **links, size_t *n, struct wgm_err *err)
{
	struct list_ctx ctx = { 0 };
	char req[512];
	struct wgm_nl rt;
	size_t len;
	int ret;

	if (rt_open(&rt, err))
		return -1;
	len = wgm_rtnl_build_getlink(req, sizeof(req), ++rt.seq, NULL);
	ret = rt_transact(&rt, req, len, list_cb, &ctx, "link dump", err);
	wgm_nl_sock_close(&rt);
	if (ret) {
		free(ctx.links);
		return -1;
	}
	if (ctx.n > 1)
		qsort(ctx.links, ctx.n, sizeof(*ctx.links), cmp_link);
	*links = ctx.links;
	*n = ctx.n;
	return 0;
}
