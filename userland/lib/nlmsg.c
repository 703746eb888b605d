// SPDX-License-Identifier: GPL-2.0-only
#include "nlmsg.h"

#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

struct nlmsghdr *wgm_genl_start(void *buf, uint16_t type, uint16_t flags,
				uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/* ---- SET_DEVICE ---------------------------------------------------- */

static bool put_sockaddr(struct nlmsghdr *nlh, size_t buflen, uint16_t type,
			 const union wgm_sockaddr *sa)
{
	if (sa->sa.sa_family == AF_INET)
		return mnl_attr_put_check(nlh, buflen, type, sizeof(sa->in),
					  &sa->in);
	if (sa->sa.sa_family == AF_INET6)
		return mnl_attr_put_check(nlh, buflen, type, sizeof(sa->in6),
					  &sa->in6);
	return true;
}

/* Everything about a peer except its public key and allowed IPs. */
static bool put_peer_head(struct nlmsghdr *nlh, size_t buflen,
			  const struct mesh_conf_peer *peer)
{
	struct nlattr *cands, *cand;
	size_t i;

	if (peer->flags &&
	    !mnl_attr_put_u32_check(nlh, buflen, WGM_PEER_A_FLAGS, peer->flags))
		return false;
	if (peer->flags & WGM_PEER_F_REMOVE_ME)
		return true;
	if ((peer->has & MESH_CONF_PEER_HAS_PSK) &&
	    !mnl_attr_put_check(nlh, buflen, WGM_PEER_A_PRESHARED_KEY,
				WGM_KEY_LEN, peer->preshared_key))
		return false;
	if ((peer->has & MESH_CONF_PEER_HAS_ENDPOINT) &&
	    !put_sockaddr(nlh, buflen, WGM_PEER_A_ENDPOINT, &peer->endpoint))
		return false;
	if ((peer->has & MESH_CONF_PEER_HAS_KEEPALIVE) &&
	    !mnl_attr_put_u16_check(nlh, buflen,
				    WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    peer->keepalive))
		return false;
	if ((peer->has & MESH_CONF_PEER_HAS_NAT) &&
	    !mnl_attr_put_u8_check(nlh, buflen, WGM_PEER_A_NAT, peer->nat))
		return false;
	if ((peer->has & MESH_CONF_PEER_HAS_CANDIDATES) && peer->n_cands) {
		cands = mnl_attr_nest_start_check(nlh, buflen,
						  WGM_PEER_A_CANDIDATES);
		if (!cands)
			return false;
		for (i = 0; i < peer->n_cands; i++) {
			cand = mnl_attr_nest_start_check(nlh, buflen, 0);
			if (!cand ||
			    !put_sockaddr(nlh, buflen, WGM_CANDIDATE_A_ENDPOINT,
					  &peer->cands[i].endpoint))
				return false;
			if (peer->cands[i].kind &&
			    !mnl_attr_put_u8_check(nlh, buflen, WGM_CANDIDATE_A_KIND,
						   peer->cands[i].kind))
				return false;
			if (peer->cands[i].has_relay_key &&
			    (!mnl_attr_put_u32_check(nlh, buflen, WGM_CANDIDATE_A_RELAY_ID,
						     peer->cands[i].relay_id) ||
			     !mnl_attr_put_check(nlh, buflen, WGM_CANDIDATE_A_RELAY_KEY,
						 WGM_RELAY_KEY_LEN, peer->cands[i].relay_key)))
				return false;
			mnl_attr_nest_end(nlh, cand);
		}
		mnl_attr_nest_end(nlh, cands);
	}
	return true;
}

static bool put_aip(struct nlmsghdr *nlh, size_t buflen,
		    const struct mesh_conf_aip *aip)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, buflen, 0);

	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, buflen, WGM_ALLOWEDIP_A_FAMILY,
				    aip->family) ||
	    !mnl_attr_put_check(nlh, buflen, WGM_ALLOWEDIP_A_IPADDR,
				aip->family == AF_INET ? 4 : 16, &aip->addr) ||
	    !mnl_attr_put_u8_check(nlh, buflen, WGM_ALLOWEDIP_A_CIDR_MASK,
				   aip->cidr) ||
	    (aip->remove &&
	     !mnl_attr_put_u32_check(nlh, buflen, WGM_ALLOWEDIP_A_FLAGS,
				     WGM_ALLOWEDIP_F_REMOVE_ME))) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

void wgm_set_iter_init(struct wgm_set_iter *it, const struct mesh_conf_device *dev)
{
	memset(it, 0, sizeof(*it));
	it->dev = dev;
}

bool wgm_set_iter_done(const struct wgm_set_iter *it)
{
	return it->msgs > 0 && it->peer >= it->dev->n_peers;
}

/*
 * Append as much of the current peer as fits.  Returns true when the peer
 * is complete (the caller moves on), false when the message is full.
 * *progress tells whether anything of this peer went into the message.
 */
static bool put_peer(struct wgm_set_iter *it, struct nlmsghdr *nlh,
		     size_t buflen, bool *progress)
{
	const struct mesh_conf_peer *peer = &it->dev->peers[it->peer];
	bool head = !it->peer_head_sent, removing;
	struct nlattr *nest, *aips;
	size_t idx = it->aip;

	*progress = false;
	removing = peer->flags & WGM_PEER_F_REMOVE_ME;
	nest = mnl_attr_nest_start_check(nlh, buflen, 0);
	if (!nest)
		return false;
	if (!mnl_attr_put_check(nlh, buflen, WGM_PEER_A_PUBLIC_KEY, WGM_KEY_LEN,
				peer->public_key))
		goto cancel;
	if (head) {
		if (!put_peer_head(nlh, buflen, peer))
			goto cancel;
	} else if (peer->flags & WGM_PEER_F_UPDATE_ONLY) {
		/* A continuation must not create a peer the head skipped. */
		if (!mnl_attr_put_u32_check(nlh, buflen, WGM_PEER_A_FLAGS,
					    WGM_PEER_F_UPDATE_ONLY))
			goto cancel;
	}
	if (!removing && idx < peer->n_aips) {
		aips = mnl_attr_nest_start_check(nlh, buflen,
						 WGM_PEER_A_ALLOWEDIPS);
		if (aips) {
			while (idx < peer->n_aips &&
			       put_aip(nlh, buflen, &peer->aips[idx]))
				idx++;
			if (idx == it->aip)
				mnl_attr_nest_cancel(nlh, aips);
			else
				mnl_attr_nest_end(nlh, aips);
		}
	}
	if (!head && idx == it->aip)
		goto cancel;	/* a bare public key would be pointless */
	mnl_attr_nest_end(nlh, nest);
	*progress = true;
	if (removing || idx >= peer->n_aips) {
		it->peer++;
		it->aip = 0;
		it->peer_head_sent = false;
		return true;
	}
	it->aip = idx;
	it->peer_head_sent = true;
	return false;

cancel:
	mnl_attr_nest_cancel(nlh, nest);
	return false;
}

/* The whole STUN server list (an empty nest clears it). */
static bool put_stun(struct nlmsghdr *nlh, size_t buflen,
		     const struct mesh_conf_device *dev)
{
	struct nlattr *list, *one;
	size_t i;

	list = mnl_attr_nest_start_check(nlh, buflen, WGM_DEVICE_A_STUN_SERVERS);
	if (!list)
		return false;
	for (i = 0; i < dev->n_stun; i++) {
		one = mnl_attr_nest_start_check(nlh, buflen, 0);
		if (!one || !put_sockaddr(nlh, buflen, WGM_STUN_A_ENDPOINT,
					  &dev->stun[i].endpoint))
			return false;
		mnl_attr_nest_end(nlh, one);
	}
	mnl_attr_nest_end(nlh, list);
	return true;
}

int wgm_set_build_next(struct wgm_set_iter *it, void *buf, size_t buflen,
		       uint16_t family, uint32_t seq, struct wgm_err *err)
{
	const struct mesh_conf_device *dev = it->dev;
	struct nlattr *peers;
	struct nlmsghdr *nlh;
	unsigned int n = 0;
	bool progress;

	if (wgm_set_iter_done(it))
		return 0;
	if (buflen < 512)
		return wgm_err_set(err, "netlink buffer too small");
	nlh = wgm_genl_start(buf, family, NLM_F_REQUEST | NLM_F_ACK, seq,
			     WGM_CMD_SET_DEVICE, WGM_GENL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, buflen, WGM_DEVICE_A_IFNAME,
				     dev->name))
		goto too_big;
	if (it->msgs == 0) {
		if (dev->flags &&
		    !mnl_attr_put_u32_check(nlh, buflen, WGM_DEVICE_A_FLAGS,
					    dev->flags))
			goto too_big;
		if ((dev->has & MESH_CONF_DEV_HAS_PRIVATE_KEY) &&
		    !mnl_attr_put_check(nlh, buflen, WGM_DEVICE_A_PRIVATE_KEY,
					WGM_KEY_LEN, dev->private_key))
			goto too_big;
		if ((dev->has & MESH_CONF_DEV_HAS_LISTEN_PORT) &&
		    !mnl_attr_put_u16_check(nlh, buflen,
					    WGM_DEVICE_A_LISTEN_PORT,
					    dev->listen_port))
			goto too_big;
		if ((dev->has & MESH_CONF_DEV_HAS_FWMARK) &&
		    !mnl_attr_put_u32_check(nlh, buflen, WGM_DEVICE_A_FWMARK,
					    dev->fwmark))
			goto too_big;
		if ((dev->has & MESH_CONF_DEV_HAS_STUN) && !put_stun(nlh, buflen, dev))
			goto too_big;
	}
	if (it->peer < dev->n_peers) {
		peers = mnl_attr_nest_start_check(nlh, buflen,
						  WGM_DEVICE_A_PEERS);
		if (peers) {
			while (it->peer < dev->n_peers) {
				bool complete = put_peer(it, nlh, buflen,
							 &progress);

				if (progress)
					n++;
				if (!complete)
					break;
			}
			if (n)
				mnl_attr_nest_end(nlh, peers);
			else
				mnl_attr_nest_cancel(nlh, peers);
		}
		if (!n && it->msgs > 0)
			goto too_big;
	}
	it->msgs++;
	return (int)nlh->nlmsg_len;

too_big:
	return wgm_err_set(err, "peer configuration too large for one netlink message");
}

size_t wgm_get_build(void *buf, size_t buflen, uint16_t family, uint32_t seq,
		     const char *ifname)
{
	struct nlmsghdr *nlh;

	nlh = wgm_genl_start(buf, family,
			     NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq,
			     WGM_CMD_GET_DEVICE, WGM_GENL_VERSION);
	if (!mnl_attr_put_strz_check(nlh, buflen, WGM_DEVICE_A_IFNAME, ifname))
		return 0;
	return nlh->nlmsg_len;
}

/* ---- GET_DEVICE dump ----------------------------------------------- */

static int bad(struct wgm_err *err, const char *what)
{
	return wgm_err_set(err, "malformed netlink message from the kernel (%s)",
			   what);
}

static bool attr_len_is(const struct nlattr *a, size_t len)
{
	return mnl_attr_get_payload_len(a) == len;
}

static int parse_sockaddr(const struct nlattr *a, union wgm_sockaddr *out)
{
	const struct sockaddr *sa = mnl_attr_get_payload(a);
	size_t len = mnl_attr_get_payload_len(a);

	memset(out, 0, sizeof(*out));
	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		memcpy(&out->in, sa, len);
		return 0;
	}
	if (len == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6) {
		memcpy(&out->in6, sa, len);
		return 0;
	}
	return -1;
}

static int parse_aip(const struct nlattr *nest, struct mesh_conf_peer *peer,
		     struct wgm_err *err)
{
	struct mesh_conf_aip aip;
	const struct nlattr *a;
	bool have_addr = false, have_cidr = false;
	size_t alen = 0;

	memset(&aip, 0, sizeof(aip));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGM_ALLOWEDIP_A_FAMILY:
			if (!attr_len_is(a, 2))
				return bad(err, "allowed IP family");
			aip.family = mnl_attr_get_u16(a);
			break;
		case WGM_ALLOWEDIP_A_IPADDR:
			alen = mnl_attr_get_payload_len(a);
			if (alen != 4 && alen != 16)
				return bad(err, "allowed IP address");
			memcpy(&aip.addr, mnl_attr_get_payload(a), alen);
			have_addr = true;
			break;
		case WGM_ALLOWEDIP_A_CIDR_MASK:
			if (!attr_len_is(a, 1))
				return bad(err, "allowed IP prefix");
			aip.cidr = mnl_attr_get_u8(a);
			have_cidr = true;
			break;
		case WGM_ALLOWEDIP_A_FLAGS:
			if (!attr_len_is(a, 4))
				return bad(err, "allowed IP flags");
			aip.remove = mnl_attr_get_u32(a) &
				     WGM_ALLOWEDIP_F_REMOVE_ME;
			break;
		}
	}
	if (!have_addr || !have_cidr ||
	    !((aip.family == AF_INET && alen == 4 && aip.cidr <= 32) ||
	      (aip.family == AF_INET6 && alen == 16 && aip.cidr <= 128)))
		return bad(err, "allowed IP");
	if (!mesh_conf_peer_add_aip(peer))
		return wgm_err_set(err, "out of memory");
	peer->aips[peer->n_aips - 1] = aip;
	return 0;
}

static int parse_candidate(const struct nlattr *nest, struct mesh_conf_peer *peer,
			   struct wgm_err *err)
{
	struct mesh_conf_cand c;
	const struct nlattr *a;
	bool have_ep = false;

	memset(&c, 0, sizeof(c));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGM_CANDIDATE_A_ENDPOINT:
			if (parse_sockaddr(a, &c.endpoint))
				return bad(err, "candidate endpoint");
			have_ep = true;
			break;
		case WGM_CANDIDATE_A_STATE:
			if (!attr_len_is(a, 1))
				return bad(err, "candidate state");
			c.state = mnl_attr_get_u8(a);
			break;
		case WGM_CANDIDATE_A_KIND:
			if (!attr_len_is(a, 1))
				return bad(err, "candidate kind");
			c.kind = mnl_attr_get_u8(a);
			break;
		case WGM_CANDIDATE_A_RELAY_ID:
			if (!attr_len_is(a, 4))
				return bad(err, "candidate relay id");
			c.relay_id = mnl_attr_get_u32(a);
			break;
		case WGM_CANDIDATE_A_RTT_US:
		case WGM_CANDIDATE_A_PROBES_SENT:
		case WGM_CANDIDATE_A_PROBES_LOST:
		case WGM_CANDIDATE_A_FLAGS:
			if (!attr_len_is(a, 4))
				return bad(err, "candidate u32");
			if (mnl_attr_get_type(a) == WGM_CANDIDATE_A_RTT_US)
				c.rtt_us = mnl_attr_get_u32(a);
			else if (mnl_attr_get_type(a) == WGM_CANDIDATE_A_PROBES_SENT)
				c.probes_sent = mnl_attr_get_u32(a);
			else if (mnl_attr_get_type(a) == WGM_CANDIDATE_A_PROBES_LOST)
				c.probes_lost = mnl_attr_get_u32(a);
			else
				c.flags = mnl_attr_get_u32(a);
			break;
		case WGM_CANDIDATE_A_LAST_SENT:
		case WGM_CANDIDATE_A_LAST_SEEN:
			if (!attr_len_is(a, 8))
				return bad(err, "candidate time");
			if (mnl_attr_get_type(a) == WGM_CANDIDATE_A_LAST_SENT)
				c.last_sent_ns = mnl_attr_get_u64(a);
			else
				c.last_seen_ns = mnl_attr_get_u64(a);
			break;
		}
	}
	if (!have_ep)
		return bad(err, "candidate without endpoint");
	if (!mesh_conf_peer_add_cand(peer))
		return wgm_err_set(err, "out of memory");
	peer->cands[peer->n_cands - 1] = c;
	return 0;
}

static int parse_birthday(const struct nlattr *nest, struct mesh_conf_peer *peer,
			  struct wgm_err *err)
{
	struct mesh_conf_bday *st = &peer->bday;
	const struct nlattr *a;

	memset(st, 0, sizeof(*st));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGM_BIRTHDAY_A_STATE:
			if (!attr_len_is(a, 1))
				return bad(err, "birthday state");
			st->state = mnl_attr_get_u8(a);
			break;
		case WGM_BIRTHDAY_A_SOCKETS:
		case WGM_BIRTHDAY_A_PORT:
			if (!attr_len_is(a, 2))
				return bad(err, "birthday u16");
			if (mnl_attr_get_type(a) == WGM_BIRTHDAY_A_PORT)
				st->port = mnl_attr_get_u16(a);
			else
				st->sockets = mnl_attr_get_u16(a);
			break;
		case WGM_BIRTHDAY_A_SENT:
			if (!attr_len_is(a, 4))
				return bad(err, "birthday probe count");
			st->sent = mnl_attr_get_u32(a);
			break;
		}
	}
	peer->has |= MESH_CONF_PEER_HAS_BIRTHDAY;
	return 0;
}

static int parse_path_status(const struct nlattr *nest, struct mesh_conf_peer *peer,
			     struct wgm_err *err)
{
	struct mesh_conf_path *st = &peer->path;
	const struct nlattr *a;

	memset(st, 0, sizeof(*st));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGM_PATH_A_FLAGS:
		case WGM_PATH_A_PUNCHES:
			if (!attr_len_is(a, 4))
				return bad(err, "path status u32");
			if (mnl_attr_get_type(a) == WGM_PATH_A_FLAGS)
				st->flags = mnl_attr_get_u32(a);
			else
				st->punches = mnl_attr_get_u32(a);
			break;
		case WGM_PATH_A_PUNCH_RESULT:
			if (!attr_len_is(a, 1))
				return bad(err, "punch result");
			st->punch_result = mnl_attr_get_u8(a);
			break;
		case WGM_PATH_A_LAST_PUNCH:
		case WGM_PATH_A_NO_PATH_SINCE:
			if (!attr_len_is(a, 8))
				return bad(err, "path status time");
			if (mnl_attr_get_type(a) == WGM_PATH_A_LAST_PUNCH)
				st->last_punch_ns = mnl_attr_get_u64(a);
			else
				st->no_path_since_ns = mnl_attr_get_u64(a);
			break;
		}
	}
	peer->has |= MESH_CONF_PEER_HAS_PATH_STATUS;
	return 0;
}

static int parse_peer(const struct nlattr *nest, struct mesh_conf_device *dev,
		      bool first_in_msg, struct wgm_err *err)
{
	const uint8_t *key = NULL;
	struct __kernel_timespec ts;
	const struct nlattr *a, *b;
	struct mesh_conf_peer *peer;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == WGM_PEER_A_PUBLIC_KEY) {
			if (!attr_len_is(a, WGM_KEY_LEN))
				return bad(err, "peer public key");
			key = mnl_attr_get_payload(a);
		}
	}
	if (!key)
		return bad(err, "peer without public key");
	if (first_in_msg && dev->n_peers &&
	    !memcmp(dev->peers[dev->n_peers - 1].public_key, key, WGM_KEY_LEN)) {
		peer = &dev->peers[dev->n_peers - 1];
	} else {
		peer = mesh_conf_device_add_peer(dev);
		if (!peer)
			return wgm_err_set(err, "out of memory");
		memcpy(peer->public_key, key, WGM_KEY_LEN);
	}

	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGM_PEER_A_PRESHARED_KEY:
			if (!attr_len_is(a, WGM_KEY_LEN))
				return bad(err, "preshared key");
			memcpy(peer->preshared_key, mnl_attr_get_payload(a),
			       WGM_KEY_LEN);
			peer->has |= MESH_CONF_PEER_HAS_PSK;
			break;
		case WGM_PEER_A_FLAGS:
			if (!attr_len_is(a, 4))
				return bad(err, "peer flags");
			peer->flags |= mnl_attr_get_u32(a);
			break;
		case WGM_PEER_A_ENDPOINT:
			if (parse_sockaddr(a, &peer->endpoint))
				return bad(err, "peer endpoint");
			peer->has |= MESH_CONF_PEER_HAS_ENDPOINT;
			break;
		case WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (!attr_len_is(a, 2))
				return bad(err, "keepalive");
			peer->keepalive = mnl_attr_get_u16(a);
			peer->has |= MESH_CONF_PEER_HAS_KEEPALIVE;
			break;
		case WGM_PEER_A_LAST_HANDSHAKE_TIME:
			if (!attr_len_is(a, sizeof(ts)))
				return bad(err, "handshake time");
			memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
			peer->last_handshake_sec = ts.tv_sec;
			peer->last_handshake_nsec = ts.tv_nsec;
			peer->has |= MESH_CONF_PEER_HAS_STATS;
			break;
		case WGM_PEER_A_RX_BYTES:
		case WGM_PEER_A_TX_BYTES:
			if (!attr_len_is(a, 8))
				return bad(err, "transfer counter");
			if (mnl_attr_get_type(a) == WGM_PEER_A_RX_BYTES)
				peer->rx_bytes = mnl_attr_get_u64(a);
			else
				peer->tx_bytes = mnl_attr_get_u64(a);
			peer->has |= MESH_CONF_PEER_HAS_STATS;
			break;
		case WGM_PEER_A_ALLOWEDIPS:
			mnl_attr_for_each_nested(b, a) {
				if (parse_aip(b, peer, err))
					return -1;
			}
			break;
		case WGM_PEER_A_CANDIDATES:
			peer->has |= MESH_CONF_PEER_HAS_CANDIDATES;
			mnl_attr_for_each_nested(b, a) {
				if (parse_candidate(b, peer, err))
					return -1;
			}
			break;
		case WGM_PEER_A_BIRTHDAY:
			if (parse_birthday(a, peer, err))
				return -1;
			break;
		case WGM_PEER_A_NAT:
			if (!attr_len_is(a, 1))
				return bad(err, "peer nat");
			peer->nat = mnl_attr_get_u8(a);
			peer->has |= MESH_CONF_PEER_HAS_NAT;
			break;
		case WGM_PEER_A_PATH_STATUS:
			if (parse_path_status(a, peer, err))
				return -1;
			break;
		}
	}
	return 0;
}

static int parse_stun(const struct nlattr *nest, struct mesh_conf_device *dev,
		      struct wgm_err *err)
{
	struct mesh_conf_stun s;
	const struct nlattr *a;
	bool have_ep = false;

	memset(&s, 0, sizeof(s));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGM_STUN_A_ENDPOINT:
			if (parse_sockaddr(a, &s.endpoint))
				return bad(err, "STUN server");
			have_ep = true;
			break;
		case WGM_STUN_A_MAPPED:
			if (parse_sockaddr(a, &s.mapped))
				return bad(err, "STUN mapped address");
			break;
		case WGM_STUN_A_LAST_SUCCESS:
			if (!attr_len_is(a, 8))
				return bad(err, "STUN time");
			s.last_success_ns = mnl_attr_get_u64(a);
			break;
		case WGM_STUN_A_REQUESTS:
		case WGM_STUN_A_RESPONSES:
			if (!attr_len_is(a, 4))
				return bad(err, "STUN counter");
			if (mnl_attr_get_type(a) == WGM_STUN_A_REQUESTS)
				s.requests = mnl_attr_get_u32(a);
			else
				s.responses = mnl_attr_get_u32(a);
			break;
		}
	}
	if (!have_ep)
		return bad(err, "STUN server without endpoint");
	if (dev->n_stun >= WGM_STUN_MAX_SERVERS)
		return bad(err, "too many STUN servers");
	dev->stun[dev->n_stun++] = s;
	return 0;
}

static int parse_mapped(const struct nlattr *nest, struct mesh_conf_device *dev,
			struct wgm_err *err)
{
	struct mesh_conf_mapped m;
	const struct nlattr *a;
	bool have_ep = false;

	memset(&m, 0, sizeof(m));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGM_MAPPED_A_ENDPOINT:
			if (parse_sockaddr(a, &m.endpoint))
				return bad(err, "mapped address");
			have_ep = true;
			break;
		case WGM_MAPPED_A_SERVER:
			if (parse_sockaddr(a, &m.server))
				return bad(err, "mapped address server");
			break;
		case WGM_MAPPED_A_AGE_MS:
			if (!attr_len_is(a, 4))
				return bad(err, "mapped address age");
			m.age_ms = mnl_attr_get_u32(a);
			break;
		}
	}
	if (!have_ep)
		return bad(err, "mapped address without endpoint");
	if (dev->n_mapped >= 2)
		return bad(err, "too many mapped addresses");
	dev->mapped[dev->n_mapped++] = m;
	return 0;
}

int wgm_dump_parse(const struct nlmsghdr *nlh, struct mesh_conf_device *dev,
		   struct wgm_err *err)
{
	const struct nlattr *a, *p;
	bool first = true;
	size_t len;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return bad(err, "short message");
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case WGM_DEVICE_A_IFINDEX:
			if (!attr_len_is(a, 4))
				return bad(err, "ifindex");
			dev->ifindex = mnl_attr_get_u32(a);
			break;
		case WGM_DEVICE_A_IFNAME:
			len = mnl_attr_get_payload_len(a);
			if (!len || len > sizeof(dev->name) ||
			    !memchr(mnl_attr_get_payload(a), '\0', len))
				return bad(err, "ifname");
			memcpy(dev->name, mnl_attr_get_str(a), strlen(mnl_attr_get_str(a)) + 1);
			break;
		case WGM_DEVICE_A_PRIVATE_KEY:
			if (!attr_len_is(a, WGM_KEY_LEN))
				return bad(err, "private key");
			memcpy(dev->private_key, mnl_attr_get_payload(a),
			       WGM_KEY_LEN);
			dev->has |= MESH_CONF_DEV_HAS_PRIVATE_KEY;
			break;
		case WGM_DEVICE_A_PUBLIC_KEY:
			if (!attr_len_is(a, WGM_KEY_LEN))
				return bad(err, "public key");
			memcpy(dev->public_key, mnl_attr_get_payload(a),
			       WGM_KEY_LEN);
			dev->has |= MESH_CONF_DEV_HAS_PUBLIC_KEY;
			break;
		case WGM_DEVICE_A_FLAGS:
			if (!attr_len_is(a, 4))
				return bad(err, "device flags");
			dev->flags |= mnl_attr_get_u32(a);
			break;
		case WGM_DEVICE_A_LISTEN_PORT:
			if (!attr_len_is(a, 2))
				return bad(err, "listen port");
			dev->listen_port = mnl_attr_get_u16(a);
			dev->has |= MESH_CONF_DEV_HAS_LISTEN_PORT;
			break;
		case WGM_DEVICE_A_FWMARK:
			if (!attr_len_is(a, 4))
				return bad(err, "fwmark");
			dev->fwmark = mnl_attr_get_u32(a);
			dev->has |= MESH_CONF_DEV_HAS_FWMARK;
			break;
		case WGM_DEVICE_A_PEERS:
			mnl_attr_for_each_nested(p, a) {
				if (parse_peer(p, dev, first, err))
					return -1;
				first = false;
			}
			break;
		case WGM_DEVICE_A_STUN_SERVERS:
			dev->has |= MESH_CONF_DEV_HAS_STUN;
			dev->n_stun = 0;
			mnl_attr_for_each_nested(p, a) {
				if (parse_stun(p, dev, err))
					return -1;
			}
			break;
		case WGM_DEVICE_A_MAPPED_ADDRS:
			dev->n_mapped = 0;
			mnl_attr_for_each_nested(p, a) {
				if (parse_mapped(p, dev, err))
					return -1;
			}
			break;
		case WGM_DEVICE_A_STUN_DROPPED:
			if (!attr_len_is(a, 4))
				return bad(err, "STUN drop count");
			dev->stun_dropped = mnl_attr_get_u32(a);
			break;
		}
	}
	return 0;
}

/* ---- generic netlink controller ------------------------------------ */

size_t wgm_genl_family_build(void *buf, size_t buflen, uint32_t seq,
			     const char *name)
{
	struct nlmsghdr *nlh;

	nlh = wgm_genl_start(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq,
			     CTRL_CMD_GETFAMILY, 1);
	if (!mnl_attr_put_strz_check(nlh, buflen, CTRL_ATTR_FAMILY_NAME, name))
		return 0;
	return nlh->nlmsg_len;
}

int wgm_genl_family_parse(const struct nlmsghdr *nlh, uint16_t *id)
{
	const struct nlattr *a;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -1;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    attr_len_is(a, 2)) {
			*id = mnl_attr_get_u16(a);
			return 0;
		}
	}
	return -1;
}

/* ---- errors and receive loop --------------------------------------- */

/* The positive errno of a netlink error field: a negated errno, 0 for an ACK. */
static int nl_errno(int v)
{
	return v > 0 || v == INT_MIN ? EPROTO : -v;
}

int wgm_nl_parse_error(const struct nlmsghdr *nlh, const char **extack)
{
	size_t plen = mnl_nlmsg_get_payload_len(nlh), off;
	const struct nlmsgerr *e;
	const struct nlattr *a;
	int errnum;

	*extack = NULL;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		int v;

		if (plen < sizeof(int))
			return 0;
		memcpy(&v, mnl_nlmsg_get_payload(nlh), sizeof(v));
		errnum = nl_errno(v);
		off = sizeof(int);
	} else {
		if (plen < sizeof(*e))
			return EPROTO;
		e = mnl_nlmsg_get_payload(nlh);
		errnum = nl_errno(e->error);
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < sizeof(struct nlmsghdr) ||
			    e->msg.nlmsg_len - sizeof(struct nlmsghdr) >
			    plen - off)
				return errnum;
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		}
	}
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || MNL_ALIGN(off) > plen)
		return errnum;
	mnl_attr_for_each(a, nlh, off) {
		size_t alen = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && alen &&
		    memchr(mnl_attr_get_payload(a), '\0', alen))
			*extack = mnl_attr_get_str(a);
	}
	return errnum;
}

bool wgm_nlmsg_ok(const struct nlmsghdr *nlh, int remain)
{
	return remain >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)remain;
}

enum wgm_nl_batch wgm_nl_process(const void *buf, size_t len, uint32_t seq,
				 uint32_t portid, wgm_nl_data_cb cb, void *data,
				 int *errnum, char *extack_buf,
				 size_t extack_len, bool *intr,
				 struct wgm_err *err)
{
	const struct nlmsghdr *nlh = buf;
	int remain = (int)len;
	const char *ext;
	int e;

	*errnum = 0;
	if (extack_len)
		extack_buf[0] = '\0';
	for (; wgm_nlmsg_ok(nlh, remain);
	     nlh = mnl_nlmsg_next((struct nlmsghdr *)nlh, &remain)) {
		if (nlh->nlmsg_seq != seq ||
		    (portid && nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			*intr = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_OVERRUN:
			*errnum = ENOBUFS;
			wgm_err_set(err, "netlink overrun");
			return WGM_NL_BATCH_ERROR;
		case NLMSG_ERROR:
		case NLMSG_DONE:
			e = wgm_nl_parse_error(nlh, &ext);
			if (!e)
				return WGM_NL_BATCH_DONE;
			*errnum = e;
			if (ext && extack_len)
				snprintf(extack_buf, extack_len, "%s", ext);
			wgm_err_set(err, "%s", strerror(e));
			return WGM_NL_BATCH_ERROR;
		default:
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb && cb(nlh, data, err))
				return WGM_NL_BATCH_ERROR;
		}
	}
	return WGM_NL_BATCH_MORE;
}

int wgm_nl_errno_msg(struct wgm_err *err, enum wgm_nl_op op, int errnum,
		     const char *extack, const char *ifname)
{
	bool ext = extack && *extack;

	if (errnum == EPERM || errnum == EACCES)
		return wgm_err_set(err, "%s: permission denied: needs CAP_NET_ADMIN (run as root)",
				   ifname);
	/* RTM_NEWLINK of an unregistered kind, extack or not. */
	if (op == WGM_NL_OP_LINK && errnum == EOPNOTSUPP)
		return wgm_err_set(err, "wgmesh module not loaded (try: modprobe wgmesh)");
	if (!ext) {
		if (errnum == ENODEV)
			return wgm_err_set(err, "no such device: %s", ifname);
		if (op == WGM_NL_OP_LINK && errnum == EEXIST)
			return wgm_err_set(err, "%s: a device with this name already exists",
					   ifname);
		if (errnum == EOPNOTSUPP)
			return wgm_err_set(err, "%s is not a wgmesh device",
					   ifname);
		return wgm_err_set(err, "%s: %s", ifname, strerror(errnum));
	}
	return wgm_err_set(err, "%s: %s (%s)", ifname, extack, strerror(errnum));
}
