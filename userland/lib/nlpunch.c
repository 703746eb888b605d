// SPDX-License-Identifier: GPL-2.0-only
#include "nlpunch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wgmesh.h>
#include <net/if.h>
#include <string.h>

#include "nlmsg.h"

size_t wgm_punch_build(void *buf, size_t buflen, uint16_t family, uint32_t seq,
		       const char *ifname, const uint8_t key[WGM_KEY_LEN],
		       const struct wgm_birthday_req *bday)
{
	struct nlattr *peers, *peer, *nest;
	struct nlmsghdr *nlh;

	if (buflen < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return 0;
	nlh = wgm_genl_start(buf, family, NLM_F_REQUEST | NLM_F_ACK, seq,
			     WGM_CMD_PUNCH, WGM_GENL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, buflen, WGM_DEVICE_A_IFNAME, ifname))
		return 0;
	peers = mnl_attr_nest_start_check(nlh, buflen, WGM_DEVICE_A_PEERS);
	if (!peers)
		return 0;
	peer = mnl_attr_nest_start_check(nlh, buflen, 0);
	if (!peer ||
	    !mnl_attr_put_check(nlh, buflen, WGM_PEER_A_PUBLIC_KEY, WGM_KEY_LEN,
				key))
		return 0;
	if (bday) {
		nest = mnl_attr_nest_start_check(nlh, buflen, WGM_PEER_A_BIRTHDAY);
		if (!nest ||
		    !mnl_attr_put_u8_check(nlh, buflen, WGM_BIRTHDAY_A_ROLE, bday->role) ||
		    !mnl_attr_put_check(nlh, buflen, WGM_BIRTHDAY_A_TARGET,
					sizeof(bday->target), &bday->target) ||
		    (bday->count &&
		     !mnl_attr_put_u16_check(nlh, buflen, WGM_BIRTHDAY_A_COUNT, bday->count)))
			return 0;
		mnl_attr_nest_end(nlh, nest);
	}
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	return nlh->nlmsg_len;
}

int wgm_nl_punch(struct wgm_nl *nl, const char *ifname,
		 const uint8_t key[WGM_KEY_LEN],
		 const struct wgm_birthday_req *bday, int *errnum,
		 struct wgm_err *err)
{
	struct wgm_nl_reply r;
	const char *extack = r.extack;
	char req[256];
	size_t len;

	*errnum = 0;
	if (strlen(ifname) >= IFNAMSIZ)
		return wgm_err_set(err, "interface name too long: %s", ifname);
	len = wgm_punch_build(req, sizeof(req), nl->family, ++nl->seq, ifname,
			      key, bday);
	if (!len)
		return wgm_err_set(err, "punch request does not fit");
	if (!wgm_nl_transact(nl, req, len, NULL, NULL, &r, err))
		return 0;
	*errnum = r.errnum;
	if (*errnum == EOPNOTSUPP && !extack[0])
		return wgm_err_set(err, "%s: the wgmesh module does not support PUNCH (too old?)",
				   ifname);
	if (*errnum == ENOENT && !extack[0])
		return wgm_err_set(err, "%s: no such peer", ifname);
	if (*errnum == ENOKEY && !extack[0])
		return wgm_err_set(err, "%s: the device has no private key",
				   ifname);
	if (*errnum == EBUSY && !extack[0])
		return wgm_err_set(err, "%s: a birthday search already runs on this device",
				   ifname);
	if (*errnum == EDESTADDRREQ && !extack[0])
		return wgm_err_set(err, "%s: the peer has no candidate endpoints",
				   ifname);
	if (*errnum)
		return wgm_nl_errno_msg(err, WGM_NL_OP_SET, *errnum, extack,
					ifname);
	return -1;
}
