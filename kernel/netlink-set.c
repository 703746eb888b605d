// SPDX-License-Identifier: GPL-2.0-only
/*
 * SET_DEVICE of the "wgmesh" generic netlink family.
 *
 * SET_DEVICE validates the whole message first (every peer, every allowed
 * IP) and only then changes anything, under rtnl and device_update_lock.
 * Errors past that point are resource failures (no memory, port in use,
 * table full); the listen port, the likeliest of them, is applied first.
 * Candidate endpoints are checked in the same first pass (see
 * wgm_nl_check_candidates()), so a bad one changes nothing either; they
 * are handed to the engine by netlink-mesh.c.
 */

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/if.h>
#include <linux/ratelimit.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/in.h>
#include <net/ipv6.h>
#include <crypto/algapi.h>
#include <crypto/curve25519.h>

#include "compat.h"
#include "uapi/linux/wgmesh.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "device.h"
#include "peer.h"
#include "peerlookup.h"
#include "noise.h"
#include "cookie.h"
#include "socket.h"
#include "queueing.h"
#include "allowedips.h"
#include "probe.h"
#include "stun.h"

static const u8 wgm_nl_zero_key[WGM_KEY_BYTES];

/* ---- what a request may say ------------------------------------------- */

/*
 * Attributes a request must not carry, by type: the message that refuses
 * each.  The generated policies let them through (they only check types),
 * so that the refusal can say what is wrong.
 */
#define WGM_NL_READ_ONLY(what) what " is read-only"

static const char * const wgm_nl_device_refused[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_PUBLIC_KEY] =
		WGM_NL_READ_ONLY("the public key (it follows from the private key)"),
	[WGM_DEVICE_A_MAPPED_ADDRS] = WGM_NL_READ_ONLY("the mapped address list"),
	[WGM_DEVICE_A_EVENT] = WGM_NL_READ_ONLY("an event"),
	[WGM_DEVICE_A_STUN_DROPPED] = WGM_NL_READ_ONLY("the STUN drop count"),
};

static const char * const wgm_nl_peer_refused[WGM_PEER_A_MAX + 1] = {
	[WGM_PEER_A_LAST_HANDSHAKE_TIME] = WGM_NL_READ_ONLY("last handshake time"),
	[WGM_PEER_A_RX_BYTES] = WGM_NL_READ_ONLY("rx byte count"),
	[WGM_PEER_A_TX_BYTES] = WGM_NL_READ_ONLY("tx byte count"),
	[WGM_PEER_A_PATH_STATUS] = WGM_NL_READ_ONLY("path status"),
	[WGM_PEER_A_BIRTHDAY] = "a birthday search is started with PUNCH, not set",
};

static const char * const wgm_nl_candidate_refused[WGM_CANDIDATE_A_MAX + 1] = {
	[WGM_CANDIDATE_A_STATE] = WGM_NL_READ_ONLY("candidate state"),
	[WGM_CANDIDATE_A_RTT_US] = WGM_NL_READ_ONLY("candidate RTT"),
	[WGM_CANDIDATE_A_LAST_SENT] = WGM_NL_READ_ONLY("candidate last-sent time"),
	[WGM_CANDIDATE_A_LAST_SEEN] = WGM_NL_READ_ONLY("candidate last-seen time"),
	[WGM_CANDIDATE_A_PROBES_SENT] = WGM_NL_READ_ONLY("candidate probe count"),
	[WGM_CANDIDATE_A_PROBES_LOST] = WGM_NL_READ_ONLY("candidate loss count"),
	[WGM_CANDIDATE_A_FLAGS] = WGM_NL_READ_ONLY("candidate flags"),
};

static const char * const wgm_nl_stun_refused[WGM_STUN_A_MAX + 1] = {
	[WGM_STUN_A_MAPPED] = WGM_NL_READ_ONLY("the mapped address"),
	[WGM_STUN_A_LAST_SUCCESS] = WGM_NL_READ_ONLY("STUN last-success time"),
	[WGM_STUN_A_REQUESTS] = WGM_NL_READ_ONLY("STUN request count"),
	[WGM_STUN_A_RESPONSES] = WGM_NL_READ_ONLY("STUN response count"),
};

/* ---- SET_DEVICE: validation ------------------------------------------ */

static int wgm_nl_check_aip(const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_ALLOWEDIP_A_MAX + 1];
	unsigned int len, max_cidr;
	int ret;

	ret = nla_parse_nested(tb, WGM_ALLOWEDIP_A_MAX, attr,
			       wgm_allowedip_nl_policy, extack);
	if (ret)
		return ret;
	if (!tb[WGM_ALLOWEDIP_A_FAMILY] || !tb[WGM_ALLOWEDIP_A_IPADDR] ||
	    !tb[WGM_ALLOWEDIP_A_CIDR_MASK]) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "allowed IP needs family, address and prefix length");
		NL_SET_ERR_ATTR_MISS(extack, attr,
				     !tb[WGM_ALLOWEDIP_A_FAMILY] ? WGM_ALLOWEDIP_A_FAMILY :
				     !tb[WGM_ALLOWEDIP_A_IPADDR] ? WGM_ALLOWEDIP_A_IPADDR :
				     WGM_ALLOWEDIP_A_CIDR_MASK);
		return -EINVAL;
	}
	switch (nla_get_u16(tb[WGM_ALLOWEDIP_A_FAMILY])) {
	case AF_INET:
		len = sizeof(struct in_addr);
		max_cidr = 32;
		break;
	case AF_INET6:
		len = sizeof(struct in6_addr);
		max_cidr = 128;
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_ALLOWEDIP_A_FAMILY],
				    "allowed IP family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (nla_len(tb[WGM_ALLOWEDIP_A_IPADDR]) != len) {
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_ALLOWEDIP_A_IPADDR],
				    "allowed IP address length does not match its family");
		return -EINVAL;
	}
	if (nla_get_u8(tb[WGM_ALLOWEDIP_A_CIDR_MASK]) > max_cidr) {
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_ALLOWEDIP_A_CIDR_MASK],
				    "allowed IP prefix length too long for its family");
		return -EINVAL;
	}
	/* host bits below the prefix are accepted and cleared on insert */
	return 0;
}

/*
 * A relay bind key (exactly WGM_RELAY_KEY_LEN bytes) and id (not 0) come
 * together, and only on a candidate of kind relay (Documentation/relay.rst).
 */
static int wgm_nl_check_relay_cand(struct nlattr **tb, const struct nlattr *cand,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *key = tb[WGM_CANDIDATE_A_RELAY_KEY], *id = tb[WGM_CANDIDATE_A_RELAY_ID];
	bool relay = tb[WGM_CANDIDATE_A_KIND] &&
		     nla_get_u8(tb[WGM_CANDIDATE_A_KIND]) == WGM_CANDIDATE_KIND_RELAY;

	if (!key && !id)
		return 0;
	if (!relay) {
		NL_SET_ERR_MSG_ATTR(extack, key ? key : id,
				    "relay id and key need a candidate of kind relay");
		return -EINVAL;
	}
	if (!key) {
		NL_SET_ERR_MSG_ATTR(extack, id, "relay id without a relay key");
		NL_SET_ERR_ATTR_MISS(extack, cand, WGM_CANDIDATE_A_RELAY_KEY);
		return -EINVAL;
	}
	if (!id) {
		NL_SET_ERR_MSG_ATTR(extack, key, "relay key without a relay id");
		NL_SET_ERR_ATTR_MISS(extack, cand, WGM_CANDIDATE_A_RELAY_ID);
		return -EINVAL;
	}
	if (nla_len(key) != WGM_RELAY_KEY_LEN) {
		NL_SET_ERR_MSG_ATTR(extack, key, "relay key must be exactly "
				    __stringify(WGM_RELAY_KEY_LEN) " bytes");
		return -EINVAL;
	}
	if (!nla_get_u32(id)) {
		NL_SET_ERR_MSG_ATTR(extack, id, "relay id 0 is not an allocation");
		return -EINVAL;
	}
	return 0;
}

/*
 * WGM_PEER_A_CANDIDATES: at most WGM_MAX_CANDIDATES entries, each
 * with a usable endpoint and nothing read-only.  Appending to a peer's
 * existing list can still overflow it; netlink-mesh.c refuses that with
 * E2BIG when the peer is reached.
 */
static int wgm_nl_check_candidates(const struct nlattr *attr,
				   struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_CANDIDATE_A_MAX + 1], *cand;
	unsigned int n = 0;
	int ret, rem;

	nla_for_each_nested(cand, attr, rem) {
		if (++n > WGM_MAX_CANDIDATES) {
			NL_SET_ERR_MSG_ATTR(extack, cand,
					    "too many candidate endpoints (at most "
					    __stringify(WGM_MAX_CANDIDATES) " per peer)");
			return -E2BIG;
		}
		ret = nla_parse_nested(tb, WGM_CANDIDATE_A_MAX, cand,
				       wgm_candidate_nl_policy, extack);
		if (ret)
			return ret;
		ret = wgm_nl_refuse(tb, WGM_CANDIDATE_A_MAX,
				    wgm_nl_candidate_refused, extack);
		if (ret)
			return ret;
		if (!tb[WGM_CANDIDATE_A_ENDPOINT]) {
			NL_SET_ERR_MSG_ATTR(extack, cand,
					    "candidate needs WGM_CANDIDATE_A_ENDPOINT");
			NL_SET_ERR_ATTR_MISS(extack, cand, WGM_CANDIDATE_A_ENDPOINT);
			return -EINVAL;
		}
		ret = wgm_nl_check_candidate_sockaddr(tb[WGM_CANDIDATE_A_ENDPOINT],
						      extack);
		if (ret)
			return ret;
		ret = wgm_nl_check_relay_cand(tb, cand, extack);
		if (ret)
			return ret;
	}
	return 0;
}

static int wgm_nl_check_peer(const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_PEER_A_MAX + 1], *aip;
	int ret, rem;

	ret = nla_parse_nested(tb, WGM_PEER_A_MAX, attr, wgm_peer_nl_policy,
			       extack);
	if (ret)
		return ret;
	ret = wgm_nl_refuse(tb, WGM_PEER_A_MAX, wgm_nl_peer_refused, extack);
	if (ret)
		return ret;
	if (!tb[WGM_PEER_A_PUBLIC_KEY]) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "peer needs WGM_PEER_A_PUBLIC_KEY");
		NL_SET_ERR_ATTR_MISS(extack, attr, WGM_PEER_A_PUBLIC_KEY);
		return -EINVAL;
	}
	if (tb[WGM_PEER_A_ENDPOINT]) {
		ret = wgm_nl_check_sockaddr(tb[WGM_PEER_A_ENDPOINT], extack);
		if (ret)
			return ret;
	}
	if (tb[WGM_PEER_A_PROTOCOL_VERSION] &&
	    nla_get_u32(tb[WGM_PEER_A_PROTOCOL_VERSION]) != 1) {
		NL_SET_ERR_MSG_ATTR(extack, tb[WGM_PEER_A_PROTOCOL_VERSION],
				    "unsupported protocol version (1 is the only one)");
		return -EPROTONOSUPPORT;
	}
	if (tb[WGM_PEER_A_CANDIDATES]) {
		ret = wgm_nl_check_candidates(tb[WGM_PEER_A_CANDIDATES], extack);
		if (ret)
			return ret;
	}
	if (!tb[WGM_PEER_A_ALLOWEDIPS])
		return 0;
	nla_for_each_nested(aip, tb[WGM_PEER_A_ALLOWEDIPS], rem) {
		ret = wgm_nl_check_aip(aip, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * WGM_DEVICE_A_STUN_SERVERS into @out (WGM_STUN_MAX_SERVERS entries, src
 * zeroed): at most that many, each with an endpoint, no two the same.
 */
static int wgm_nl_parse_stun(const struct nlattr *attr, struct wgm_endpoint *out,
			     unsigned int *n, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_STUN_A_MAX + 1], *srv;
	unsigned int i;
	int ret, rem;

	*n = 0;
	nla_for_each_nested(srv, attr, rem) {
		if (*n == WGM_STUN_MAX_SERVERS) {
			NL_SET_ERR_MSG_ATTR(extack, srv, "too many STUN servers (at most 4)");
			return -E2BIG;
		}
		ret = nla_parse_nested(tb, WGM_STUN_A_MAX, srv, wgm_stun_nl_policy,
				       extack);
		if (ret)
			return ret;
		ret = wgm_nl_refuse(tb, WGM_STUN_A_MAX, wgm_nl_stun_refused, extack);
		if (ret)
			return ret;
		if (!tb[WGM_STUN_A_ENDPOINT]) {
			NL_SET_ERR_MSG_ATTR(extack, srv, "STUN server needs WGM_STUN_A_ENDPOINT");
			NL_SET_ERR_ATTR_MISS(extack, srv, WGM_STUN_A_ENDPOINT);
			return -EINVAL;
		}
		ret = wgm_nl_check_stun_sockaddr(tb[WGM_STUN_A_ENDPOINT], extack);
		if (ret)
			return ret;
		wgm_nl_get_endpoint(&out[*n], tb[WGM_STUN_A_ENDPOINT]);
		for (i = 0; i < *n; i++) {
			if (!memcmp(&out[i].addr6, &out[*n].addr6, sizeof(out[i].addr6))) {
				NL_SET_ERR_MSG_ATTR(extack, srv, "STUN server listed twice");
				return -EINVAL;
			}
		}
		++*n;
	}
	return 0;
}

/* The whole request, before anything is changed. */
static int wgm_nl_check_set(struct nlattr **attrs,
			    struct netlink_ext_ack *extack)
{
	struct wgm_endpoint servers[WGM_STUN_MAX_SERVERS];
	struct nlattr *peer;
	unsigned int n;
	int ret, rem;

	ret = wgm_nl_refuse(attrs, WGM_DEVICE_A_MAX, wgm_nl_device_refused, extack);
	if (ret)
		return ret;
	if (attrs[WGM_DEVICE_A_STUN_SERVERS]) {
		ret = wgm_nl_parse_stun(attrs[WGM_DEVICE_A_STUN_SERVERS], servers,
					&n, extack);
		if (ret)
			return ret;
	}
	if (!attrs[WGM_DEVICE_A_PEERS])
		return 0;
	nla_for_each_nested(peer, attrs[WGM_DEVICE_A_PEERS], rem) {
		ret = wgm_nl_check_peer(peer, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- SET_DEVICE: applying -------------------------------------------- */

/* Must hold rtnl and device_update_lock. */
static int wgm_nl_set_port(struct wgm_device *wg, u16 port)
{
	struct wgm_peer *peer;
	int ret;

	ASSERT_RTNL();
	lockdep_assert_held(&wg->device_update_lock);
	if (wg->incoming_port == port)
		return 0;
	if (!netif_running(wg->dev)) {
		/* bound when the device comes up */
		wg->incoming_port = port;
		return 0;
	}
	ret = wgm_socket_init(wg, port);
	if (ret)
		return ret;
	/* a new port is a new NAT mapping: learn it now */
	wgm_stun_device_up(wg);
	/* the remembered source addresses belonged to the old sockets */
	list_for_each_entry(peer, &wg->peer_list, peer_list)
		wgm_socket_clear_peer_endpoint_src(peer);
	return 0;
}

/* Must hold device_update_lock. */
static void wgm_nl_set_fwmark(struct wgm_device *wg, u32 fwmark)
{
	struct wgm_peer *peer;

	lockdep_assert_held(&wg->device_update_lock);
	if (wg->fwmark == fwmark)
		return;
	/* read without a lock on the send path (socket.c) */
	WRITE_ONCE(wg->fwmark, fwmark);
	/* cached routes were looked up with the old mark */
	list_for_each_entry(peer, &wg->peer_list, peer_list)
		wgm_socket_clear_peer_endpoint_src(peer);
}

static bool wgm_nl_is_own_key(struct wgm_device *wg,
			      const u8 public_key[WGM_KEY_BYTES])
{
	struct wgm_static_identity *si = &wg->static_identity;
	bool own;

	down_read(&si->lock);
	own = si->has_identity &&
	      !crypto_memneq(si->static_public, public_key, WGM_KEY_BYTES);
	up_read(&si->lock);
	return own;
}

/* Must hold device_update_lock. */
static void wgm_nl_set_private_key(struct wgm_device *wg,
				   const u8 private_key[WGM_KEY_BYTES])
{
	struct wgm_static_identity *si = &wg->static_identity;
	u8 public_key[WGM_KEY_BYTES], clamped[WGM_KEY_BYTES];
	struct wgm_peer *peer;
	bool same;

	lockdep_assert_held(&wg->device_update_lock);

	/* the identity keeps the key clamped: compare like with like */
	memcpy(clamped, private_key, WGM_KEY_BYTES);
	curve25519_clamp_secret(clamped);
	down_read(&si->lock);
	if (si->has_identity)
		same = !crypto_memneq(si->static_private, clamped, WGM_KEY_BYTES);
	else
		same = !memchr_inv(private_key, 0, WGM_KEY_BYTES);
	up_read(&si->lock);
	memzero_explicit(clamped, sizeof(clamped));
	if (same)
		return;

	/* we cannot be our own peer: drop the one with our new public key */
	if (curve25519_generate_public(public_key, private_key)) {
		peer = wgm_pubkey_hashtable_lookup(wg->peer_hashtable, public_key);
		if (peer) {
			wgm_peer_remove(peer);
			wgm_peer_put(peer);
		}
	}

	down_write(&si->lock);
	wgm_noise_set_static_identity_private_key(si, private_key);
	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		wgm_noise_precompute_static_static(peer);
		wgm_noise_invalidate_sessions(peer);
	}
	wgm_cookie_issuer_rekey(&wg->cookie_issuer, si);
	up_write(&si->lock);

	list_for_each_entry(peer, &wg->peer_list, peer_list)
		wgm_probe_peer_rekey(peer);
}

/* Must hold device_update_lock. */
static int wgm_nl_apply_aip(struct wgm_device *wg, struct wgm_peer *peer,
			    const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	struct wgm_allowedips *table = &wg->peer_allowedips;
	struct mutex *lock = &wg->device_update_lock;
	struct nlattr *tb[WGM_ALLOWEDIP_A_MAX + 1];
	struct in6_addr ip6;
	struct in_addr ip4;
	bool remove = false;
	u8 cidr;
	int ret;

	lockdep_assert_held(lock);
	ret = nla_parse_nested(tb, WGM_ALLOWEDIP_A_MAX, attr,
			       wgm_allowedip_nl_policy, extack);
	if (ret)
		return ret;
	cidr = nla_get_u8(tb[WGM_ALLOWEDIP_A_CIDR_MASK]);
	if (tb[WGM_ALLOWEDIP_A_FLAGS])
		remove = nla_get_u32(tb[WGM_ALLOWEDIP_A_FLAGS]) &
			 WGM_ALLOWEDIP_F_REMOVE_ME;

	if (nla_get_u16(tb[WGM_ALLOWEDIP_A_FAMILY]) == AF_INET) {
		memcpy(&ip4, nla_data(tb[WGM_ALLOWEDIP_A_IPADDR]), sizeof(ip4));
		if (remove)
			ret = wgm_allowedips_remove_v4(table, &ip4, cidr, peer, lock);
		else
			ret = wgm_allowedips_insert_v4(table, &ip4, cidr, peer, lock);
	} else {
		memcpy(&ip6, nla_data(tb[WGM_ALLOWEDIP_A_IPADDR]), sizeof(ip6));
		if (remove)
			ret = wgm_allowedips_remove_v6(table, &ip6, cidr, peer, lock);
		else
			ret = wgm_allowedips_insert_v6(table, &ip6, cidr, peer, lock);
	}
	/* removing a prefix the peer does not have is not an error */
	if (remove && ret == -ENOENT)
		ret = 0;
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, attr, "too many allowed IPs on this device");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(extack, attr, "could not change allowed IP");
	return ret;
}

/* Must hold rtnl and device_update_lock; @attr passed wgm_nl_check_peer(). */
static int wgm_nl_apply_peer(struct wgm_device *wg, const struct nlattr *attr,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[WGM_PEER_A_MAX + 1], *aip;
	bool created = false, psk_changed = false;
	const u8 *public_key;
	struct wgm_peer *peer;
	u32 flags = 0;
	int ret, rem;

	lockdep_assert_held(&wg->device_update_lock);
	ret = nla_parse_nested(tb, WGM_PEER_A_MAX, attr, wgm_peer_nl_policy,
			       extack);
	if (ret)
		return ret;
	public_key = nla_data(tb[WGM_PEER_A_PUBLIC_KEY]);
	if (tb[WGM_PEER_A_FLAGS])
		flags = nla_get_u32(tb[WGM_PEER_A_FLAGS]);

	peer = wgm_pubkey_hashtable_lookup(wg->peer_hashtable, public_key);
	if (flags & WGM_PEER_F_REMOVE_ME) {
		if (peer) {
			wgm_peer_remove(peer);
			wgm_peer_put(peer);
		}
		return 0;
	}
	if (!peer) {
		if (flags & WGM_PEER_F_UPDATE_ONLY)
			return 0;
		/* a configuration shared by the whole mesh lists us too */
		if (wgm_nl_is_own_key(wg, public_key))
			return 0;
		peer = wgm_peer_create(wg, public_key,
				       tb[WGM_PEER_A_PRESHARED_KEY] ?
				       nla_data(tb[WGM_PEER_A_PRESHARED_KEY]) :
				       wgm_nl_zero_key);
		if (IS_ERR(peer)) {
			ret = PTR_ERR(peer);
			if (ret == -ENOSPC)
				NL_SET_ERR_MSG_ATTR(extack, attr, "too many peers on this device");
			else
				NL_SET_ERR_MSG_ATTR(extack, attr, "could not create peer");
			return ret;
		}
		/* our own reference, like the lookup's */
		wgm_peer_get(peer);
		created = true;
	} else if (tb[WGM_PEER_A_PRESHARED_KEY]) {
		down_write(&peer->handshake.lock);
		memcpy(peer->handshake.preshared_key,
		       nla_data(tb[WGM_PEER_A_PRESHARED_KEY]), WGM_KEY_BYTES);
		up_write(&peer->handshake.lock);
		psk_changed = true;
	}
	if (created || psk_changed)
		wgm_probe_peer_rekey(peer);

	if (tb[WGM_PEER_A_ENDPOINT]) {
		struct wgm_endpoint ep;

		/* wgm_nl_check_peer() checked family and length */
		wgm_nl_get_endpoint(&ep, tb[WGM_PEER_A_ENDPOINT]);
		wgm_socket_set_peer_endpoint(peer, &ep);
	}

	if (flags & WGM_PEER_F_REPLACE_ALLOWEDIPS)
		wgm_allowedips_remove_by_peer(&wg->peer_allowedips, peer,
					      &wg->device_update_lock);
	if (tb[WGM_PEER_A_ALLOWEDIPS]) {
		nla_for_each_nested(aip, tb[WGM_PEER_A_ALLOWEDIPS], rem) {
			ret = wgm_nl_apply_aip(wg, peer, aip, extack);
			if (ret)
				goto out;
		}
	}

	/* replacing with nothing clears the list */
	if (tb[WGM_PEER_A_CANDIDATES] || (flags & WGM_PEER_F_REPLACE_CANDIDATES)) {
		ret = wgm_nl_mesh_set_candidates(peer, tb[WGM_PEER_A_CANDIDATES],
						 flags & WGM_PEER_F_REPLACE_CANDIDATES,
						 extack);
		/* netlink-mesh.c explains its refusals itself */
		if (ret == -ENOMEM)
			NL_SET_ERR_MSG_ATTR(extack, attr, "no memory for candidate endpoints");
		if (ret)
			goto out;
	}
	if (tb[WGM_PEER_A_NAT])
		peer->nat_label = nla_get_u8(tb[WGM_PEER_A_NAT]);
	if (tb[WGM_PEER_A_NAT_KEEPALIVE_INTERVAL]) {
		struct nlattr *nat = tb[WGM_PEER_A_NAT_KEEPALIVE_INTERVAL];

		ret = wgm_probe_set_nat_keepalive(peer, nla_get_u16(nat));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(extack, nat, "could not set NAT keepalive");
			goto out;
		}
	}

	if (tb[WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL]) {
		u16 interval = nla_get_u16(tb[WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
		bool turned_on = interval && !peer->persistent_keepalive_interval;

		WRITE_ONCE(peer->persistent_keepalive_interval, interval);
		if (turned_on && netif_running(wg->dev))
			wgm_packet_send_keepalive(peer);
	}

	/* packets may have waited for an endpoint or a key */
	if (netif_running(wg->dev))
		wgm_packet_send_staged(peer);

out:
	wgm_peer_put(peer);
	return ret;
}

/* Must hold rtnl and device_update_lock; @attrs passed wgm_nl_check_set(). */
static int wgm_nl_apply(struct wgm_device *wg, struct nlattr **attrs,
			struct netlink_ext_ack *extack)
{
	struct nlattr *peer;
	u32 flags = 0;
	int ret, rem;

	ASSERT_RTNL();
	lockdep_assert_held(&wg->device_update_lock);

	if (attrs[WGM_DEVICE_A_FLAGS])
		flags = nla_get_u32(attrs[WGM_DEVICE_A_FLAGS]);

	/* first, as the one change likely to fail (port in use) */
	if (attrs[WGM_DEVICE_A_LISTEN_PORT]) {
		ret = wgm_nl_set_port(wg, nla_get_u16(attrs[WGM_DEVICE_A_LISTEN_PORT]));
		if (ret) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[WGM_DEVICE_A_LISTEN_PORT],
					    "could not bind the UDP listen port");
			return ret;
		}
	}
	if (attrs[WGM_DEVICE_A_FWMARK])
		wgm_nl_set_fwmark(wg, nla_get_u32(attrs[WGM_DEVICE_A_FWMARK]));
	if (flags & WGM_DEVICE_F_REPLACE_PEERS)
		wgm_peer_remove_all(wg);
	if (attrs[WGM_DEVICE_A_PRIVATE_KEY])
		wgm_nl_set_private_key(wg, nla_data(attrs[WGM_DEVICE_A_PRIVATE_KEY]));
	if (attrs[WGM_DEVICE_A_STUN_SERVERS]) {
		struct wgm_endpoint servers[WGM_STUN_MAX_SERVERS];
		unsigned int n;

		/* wgm_nl_check_set() accepted it */
		ret = wgm_nl_parse_stun(attrs[WGM_DEVICE_A_STUN_SERVERS], servers,
					&n, extack);
		if (ret)
			return ret;
		wgm_stun_set_servers(wg, servers, n);
	}
	if (!attrs[WGM_DEVICE_A_PEERS])
		return 0;
	nla_for_each_nested(peer, attrs[WGM_DEVICE_A_PEERS], rem) {
		ret = wgm_nl_apply_peer(wg, peer, extack);
		if (ret)
			return ret;
	}
	return 0;
}

/* Key material does not outlive the request in the skb. */
static void wgm_nl_wipe_keys(struct nlattr **attrs)
{
	struct nlattr *peer, *attr;
	int rem, prem;

	if (attrs[WGM_DEVICE_A_PRIVATE_KEY])
		memzero_explicit(nla_data(attrs[WGM_DEVICE_A_PRIVATE_KEY]),
				 nla_len(attrs[WGM_DEVICE_A_PRIVATE_KEY]));
	if (!attrs[WGM_DEVICE_A_PEERS])
		return;
	nla_for_each_nested(peer, attrs[WGM_DEVICE_A_PEERS], rem) {
		nla_for_each_nested(attr, peer, prem) {
			if (nla_type(attr) == WGM_PEER_A_PRESHARED_KEY)
				memzero_explicit(nla_data(attr), nla_len(attr));
		}
	}
}

int wgm_nl_set_device_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct net_device *dev;
	struct wgm_device *wg;
	int ret;

	ret = wgm_nl_check_set(attrs, extack);
	if (ret)
		goto out_wipe;

	rtnl_lock();
	dev = wgm_nl_lookup(genl_info_net(info), attrs, extack);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_lookup;
	}
	wg = netdev_priv(dev);
	mutex_lock(&wg->device_update_lock);
	ret = wgm_nl_apply(wg, attrs, extack);
	mutex_unlock(&wg->device_update_lock);
	dev_put(dev);
out_lookup:
	rtnl_unlock();
out_wipe:
	wgm_nl_wipe_keys(attrs);
	return ret;
}
