// SPDX-License-Identifier: GPL-2.0-only
#include "netif.h"

#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nlmsg.h"
#include "nlsock.h"

/* Send one rtnetlink request and wait for its acknowledgement. */
static int rt_request(struct nlmsghdr *nlh, const char *what,
		      struct wgm_err *err)
{
	struct wgm_nl_reply r;
	struct wgm_nl rt;
	int ret;

	if (wgm_nl_sock_open(&rt, NETLINK_ROUTE, "rtnetlink", err))
		return -1;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ret = wgm_nl_transact(&rt, nlh, nlh->nlmsg_len, NULL, NULL, &r, err);
	if (ret && r.sock_errno)
		wgm_err_set(err, "%s: %s", what, strerror(r.sock_errno));
	else if (ret && r.extack[0])
		wgm_err_set(err, "%s: %s (%s)", what, r.extack,
			    strerror(r.errnum));
	else if (ret)
		wgm_err_set(err, "%s: %s", what, strerror(r.errnum));
	wgm_nl_sock_close(&rt);
	return ret;
}

int meshd_link_up(uint32_t ifindex, struct wgm_err *err)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return rt_request(nlh, "setting the link up", err);
}

static int addr_add(uint32_t ifindex, int family, const uint8_t *addr,
		    uint8_t plen, struct wgm_err *err)
{
	size_t alen = family == AF_INET ? 4 : 16;
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	uint32_t flags = IFA_F_NOPREFIXROUTE;

	if (family == AF_INET6)
		flags |= IFA_F_NODAD;
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			   NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_flags = (uint8_t)flags;
	mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	return rt_request(nlh, family == AF_INET ? "adding the IPv4 address" :
			  "adding the IPv6 address", err);
}

static int route_add(uint32_t ifindex, int family, const uint8_t *addr,
		     uint8_t plen, struct wgm_err *err)
{
	size_t alen = family == AF_INET ? 4 : 16, i;
	uint8_t prefix[16] = { 0 };
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	for (i = 0; i < alen && i * 8 < plen; i++)
		prefix[i] = plen >= (i + 1) * 8 ? addr[i] :
			    (uint8_t)(addr[i] & (0xff << (8 - (plen - i * 8))));
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			   NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen, prefix);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return rt_request(nlh, family == AF_INET ? "adding the IPv4 route" :
			  "adding the IPv6 route", err);
}

int meshd_overlay_set(uint32_t ifindex, int family, const uint8_t *addr,
		      uint8_t plen, struct wgm_err *err)
{
	if (plen > (family == AF_INET ? 32 : 128))
		return wgm_err_set(err, "bad prefix length %u", plen);
	if (addr_add(ifindex, family, addr, plen, err))
		return -1;
	return route_add(ifindex, family, addr, plen, err);
}

int meshd_ifaddrs_get(struct meshd_ifaddr **out, size_t *n, void **handle,
		      struct wgm_err *err)
{
	struct ifaddrs *ifa, *list;
	struct meshd_ifaddr *v;
	size_t count = 0;

	if (getifaddrs(&list))
		return wgm_err_set(err, "getifaddrs: %s", strerror(errno));
	for (ifa = list; ifa; ifa = ifa->ifa_next)
		count++;
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v) {
		freeifaddrs(list);
		return wgm_err_set(err, "out of memory");
	}
	count = 0;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET)
			memcpy(&v[count].addr.in, ifa->ifa_addr,
			       sizeof(struct sockaddr_in));
		else if (ifa->ifa_addr->sa_family == AF_INET6)
			memcpy(&v[count].addr.in6, ifa->ifa_addr,
			       sizeof(struct sockaddr_in6));
		else
			continue;
		v[count].ifname = ifa->ifa_name;
		v[count].ifflags = ifa->ifa_flags;
		count++;
	}
	*out = v;
	*n = count;
	*handle = list;
	return 0;
}

void meshd_ifaddrs_free(struct meshd_ifaddr *v, void *handle)
{
	free(v);
	if (handle)
		freeifaddrs(handle);
}
