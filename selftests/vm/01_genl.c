// SPDX-License-Identifier: GPL-2.0-only
/*
 * The wgmesh generic netlink family as userspace sees it, through libnl (an
 * independent client: meshadm uses libmnl): the family itself, then requests
 * to a device (policies, extended acks, dumps).
 */
// timeout: 300
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <linux/wgmesh.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

FIXTURE(genl) {
	struct nl_sock *sk;
	struct nl_cache *families;
};

FIXTURE_SETUP(genl)
{
	self->sk = nl_socket_alloc();
	ASSERT_NE(NULL, self->sk);
	ASSERT_EQ(0, genl_connect(self->sk));
	ASSERT_EQ(0, genl_ctrl_alloc_cache(self->sk, &self->families));
}

FIXTURE_TEARDOWN(genl)
{
	nl_cache_free(self->families);
	nl_socket_free(self->sk);
}

TEST_F(genl, family_resolves)
{
	EXPECT_LT(0, genl_ctrl_resolve(self->sk, WGM_GENL_NAME));
}

TEST_F(genl, family_version_and_maxattr)
{
	struct genl_family *fam;

	fam = genl_ctrl_search_by_name(self->families, WGM_GENL_NAME);
	ASSERT_NE(NULL, fam);
	EXPECT_EQ((unsigned int)WGM_GENL_VERSION, genl_family_get_version(fam));
	EXPECT_EQ((unsigned int)WGM_DEVICE_A_MAX, genl_family_get_maxattr(fam));
	genl_family_put(fam);
}

TEST_F(genl, events_group_resolves)
{
	EXPECT_LT(0, genl_ctrl_resolve_grp(self->sk, WGM_GENL_NAME,
					   WGM_MCGRP_EVENTS));
}

TEST_F(genl, unknown_group_does_not_resolve)
{
	EXPECT_GT(0, genl_ctrl_resolve_grp(self->sk, WGM_GENL_NAME,
					   "no-such-group"));
}


/*
 * Requests to a real device, each test in its own network namespace with a
 * fresh wgmesh device "wgmt0" (the namespace, and so the device, goes away
 * with the test's process).
 */

#define DEV "wgmt0"

/* RFC 7748 section 6.1: Alice's private key and its public key. */
static const uint8_t alice_priv[32] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72,
	0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
};
static const uint8_t alice_pub[32] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc,
	0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};

/* What came back: the error (positive errno, 0 for ACK/DONE) and extack,
 * and for GET_DEVICE the reassembled device.
 */
struct reply {
	int err;
	char extack[256];
	int msgs;		/* data messages */
	bool intr;		/* NLM_F_DUMP_INTR seen */
	bool has_private, has_public, has_psk;
	uint8_t private_key[32], public_key[32];
	int listen_port;	/* -1: absent */
	long fwmark;		/* -1: absent */
	int peers;		/* distinct peers after joining continuations */
	int continued;		/* peers continued from the previous message */
	long aips;		/* allowed IPs over all peers */
	long cur_aips, max_peer_aips;
	uint8_t last_key[32];
	/* the last allowed IP seen */
	int aip_family, aip_cidr;
	uint8_t aip_addr[16];
	int endpoint_family;
	int keepalive;
	int nat_keepalive;	/* -1: absent */
	int cands;		/* candidates over all peers */
	int cand_v4, cand_v6;
	int cand_bad;		/* candidates without an endpoint */
};

typedef void (*after_first_msg_fn)(void *arg);
/* Called after each data message of a dump, with that message. */
typedef void (*after_msg_fn)(void *arg, struct nlmsghdr *nlh);

static struct nl_sock *open_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1;

	if (!sk)
		return NULL;
	if (genl_connect(sk)) {
		nl_socket_free(sk);
		return NULL;
	}
	nl_socket_enable_msg_peek(sk);
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return sk;
}

static void parse_error(struct nlmsghdr *nlh, struct reply *r)
{
	struct nlattr *a;
	size_t off;
	int err, rem;

	if (nlh->nlmsg_type == NLMSG_DONE) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		off = sizeof(err);
	} else {
		struct nlmsgerr *e = nlmsg_data(nlh);

		err = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	r->err = -err;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	off = NLMSG_ALIGN(off);
	nla_for_each_attr(a, (struct nlattr *)((char *)nlmsg_data(nlh) + off),
			  (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off), rem) {
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(r->extack, sizeof(r->extack), "%s", (char *)nla_data(a));
	}
}

static void parse_device(struct nlmsghdr *nlh, struct reply *r)
{
	struct nlattr *tb[WGM_DEVICE_A_MAX + 1], *p, *a, *aip, *b;
	bool first = true;
	int rem, prem, arem, brem;

	if (genlmsg_parse(nlh, 0, tb, WGM_DEVICE_A_MAX, NULL))
		return;
	if (tb[WGM_DEVICE_A_PRIVATE_KEY]) {
		r->has_private = true;
		memcpy(r->private_key, nla_data(tb[WGM_DEVICE_A_PRIVATE_KEY]), 32);
	}
	if (tb[WGM_DEVICE_A_PUBLIC_KEY]) {
		r->has_public = true;
		memcpy(r->public_key, nla_data(tb[WGM_DEVICE_A_PUBLIC_KEY]), 32);
	}
	if (tb[WGM_DEVICE_A_LISTEN_PORT])
		r->listen_port = nla_get_u16(tb[WGM_DEVICE_A_LISTEN_PORT]);
	if (tb[WGM_DEVICE_A_FWMARK])
		r->fwmark = nla_get_u32(tb[WGM_DEVICE_A_FWMARK]);
	if (!tb[WGM_DEVICE_A_PEERS])
		return;
	nla_for_each_nested(p, tb[WGM_DEVICE_A_PEERS], rem) {
		const uint8_t *key = NULL;

		nla_for_each_nested(a, p, prem) {
			if (nla_type(a) == WGM_PEER_A_PUBLIC_KEY && nla_len(a) == 32)
				key = nla_data(a);
		}
		if (!key)
			continue;
		if (first && r->peers && !memcmp(key, r->last_key, 32)) {
			r->continued++;
		} else {
			r->peers++;
			r->cur_aips = 0;
			memcpy(r->last_key, key, 32);
		}
		first = false;
		nla_for_each_nested(a, p, prem) {
			switch (nla_type(a)) {
			case WGM_PEER_A_PRESHARED_KEY:
				r->has_psk = true;
				break;
			case WGM_PEER_A_ENDPOINT:
				r->endpoint_family = ((struct sockaddr *)nla_data(a))->sa_family;
				break;
			case WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
				r->keepalive = nla_get_u16(a);
				break;
			case WGM_PEER_A_NAT_KEEPALIVE_INTERVAL:
				r->nat_keepalive = nla_get_u16(a);
				break;
			case WGM_PEER_A_CANDIDATES:
				nla_for_each_nested(aip, a, arem) {
					int family = 0;

					r->cands++;
					nla_for_each_nested(b, aip, brem) {
						if (nla_type(b) == WGM_CANDIDATE_A_ENDPOINT &&
						    nla_len(b) >= 2)
							family = ((struct sockaddr *)nla_data(b))->sa_family;
					}
					if (family == AF_INET)
						r->cand_v4++;
					else if (family == AF_INET6)
						r->cand_v6++;
					else
						r->cand_bad++;
				}
				break;
			case WGM_PEER_A_ALLOWEDIPS:
				nla_for_each_nested(aip, a, arem) {
					r->aips++;
					r->cur_aips++;
					nla_for_each_nested(b, aip, brem) {
						if (nla_type(b) == WGM_ALLOWEDIP_A_FAMILY)
							r->aip_family = nla_get_u16(b);
						else if (nla_type(b) == WGM_ALLOWEDIP_A_CIDR_MASK)
							r->aip_cidr = nla_get_u8(b);
						else if (nla_type(b) == WGM_ALLOWEDIP_A_IPADDR)
							memcpy(r->aip_addr, nla_data(b),
							       nla_len(b) > 16 ? 16 : nla_len(b));
					}
				}
				break;
			}
		}
		if (r->cur_aips > r->max_peer_aips)
			r->max_peer_aips = r->cur_aips;
	}
}

/*
 * Reads until the ACK, error or NLMSG_DONE; after the first data message
 * calls @hook, after each one @each.  Returns 0 when an answer came, -1
 * on a socket error.
 */
static int read_reply(struct nl_sock *sk, struct reply *r, after_first_msg_fn hook,
		      after_msg_fn each, void *arg)
{
	bool done = false;

	while (!done) {
		struct sockaddr_nl nla;
		unsigned char *buf = NULL;
		struct nlmsghdr *nlh;
		int n = nl_recv(sk, &nla, &buf, NULL);

		if (n <= 0)
			return -1;
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, n); nlh = nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				r->intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
				parse_error(nlh, r);
				done = true;
				break;
			}
			r->msgs++;
			parse_device(nlh, r);
			if (r->msgs == 1 && hook)
				hook(arg);
			if (each)
				each(arg, nlh);
		}
		free(buf);
	}
	return 0;
}

static void reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->listen_port = -1;
	r->fwmark = -1;
	r->nat_keepalive = -1;
}

/* Sends @msg (consumed) and reads the answer, see read_reply(). */
static int transact_each(struct nl_sock *sk, struct nl_msg *msg, struct reply *r,
			 after_first_msg_fn hook, after_msg_fn each, void *arg)
{
	reply_init(r);
	if (nl_send_auto(sk, msg) < 0) {
		nlmsg_free(msg);
		return -1;
	}
	nlmsg_free(msg);
	return read_reply(sk, r, hook, each, arg);
}

static int transact_hook(struct nl_sock *sk, struct nl_msg *msg, struct reply *r,
			 after_first_msg_fn hook, void *arg)
{
	return transact_each(sk, msg, r, hook, NULL, arg);
}

static int transact(struct nl_sock *sk, struct nl_msg *msg, struct reply *r)
{
	return transact_hook(sk, msg, r, NULL, NULL);
}

static struct nl_msg *request(int family, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(65536);

	if (msg)
		genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
			    WGM_GENL_VERSION);
	return msg;
}

static struct nl_msg *set_request(int family)
{
	struct nl_msg *msg = request(family, WGM_CMD_SET_DEVICE, 0);

	if (msg)
		nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	return msg;
}

static struct nlattr *nest(struct nl_msg *msg, int type)
{
	return nla_nest_start(msg, type | NLA_F_NESTED);
}

static void put_key(struct nl_msg *msg, int type, uint8_t fill)
{
	uint8_t key[32];

	memset(key, fill, sizeof(key));
	nla_put(msg, type, sizeof(key), key);
}

static void put_aip4(struct nl_msg *msg, uint32_t addr, uint8_t cidr)
{
	struct nlattr *a = nest(msg, 0);
	uint32_t be = htonl(addr);

	nla_put_u16(msg, WGM_ALLOWEDIP_A_FAMILY, AF_INET);
	nla_put(msg, WGM_ALLOWEDIP_A_IPADDR, 4, &be);
	nla_put_u8(msg, WGM_ALLOWEDIP_A_CIDR_MASK, cidr);
	nla_nest_end(msg, a);
}

FIXTURE(dev) {
	struct nl_sock *sk;
	int family;
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, system("ip link add " DEV " type wgmesh"));
	self->sk = open_sock();
	ASSERT_NE(NULL, self->sk);
	self->family = genl_ctrl_resolve(self->sk, WGM_GENL_NAME);
	ASSERT_LT(0, self->family);
}

FIXTURE_TEARDOWN(dev)
{
	/* the namespace and the device go with this process */
	nl_socket_free(self->sk);
}

static void get_device(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
		       struct reply *r)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);

	ASSERT_NE(NULL, msg);
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	ASSERT_EQ(0, transact(self->sk, msg, r));
	ASSERT_EQ(0, r->err) TH_LOG("GET_DEVICE: %s (%s)", strerror(r->err), r->extack);
}

#define EXPECT_EXTACK(r, text) \
	EXPECT_NE(NULL, strstr((r).extack, text)) TH_LOG("extack was \"%s\"", (r).extack)

TEST_F(dev, get_fresh_device)
{
	struct reply r;

	get_device(_metadata, self, &r);
	EXPECT_EQ(1, r.msgs);
	EXPECT_EQ(0, r.peers);
	EXPECT_FALSE(r.has_private);
	EXPECT_FALSE(r.has_public);
	EXPECT_LE(0, r.listen_port);
	EXPECT_EQ(0, r.fwmark);
}

TEST_F(dev, set_without_device_fails)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_SET_DEVICE, 0);
	struct reply r;

	nla_put_u32(msg, WGM_DEVICE_A_FWMARK, 1);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "no device given");
}

TEST_F(dev, set_missing_device_fails)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_SET_DEVICE, 0);
	struct reply r;

	nla_put_string(msg, WGM_DEVICE_A_IFNAME, "nosuch0");
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(ENODEV, r.err);
	EXPECT_EXTACK(r, "no such device");
}

TEST_F(dev, get_missing_device_fails)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	struct reply r;

	nla_put_u32(msg, WGM_DEVICE_A_IFINDEX, 999999);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(ENODEV, r.err);
	EXPECT_EXTACK(r, "no such device");
}

TEST_F(dev, set_on_other_kind_fails)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_SET_DEVICE, 0);
	struct reply r;

	nla_put_string(msg, WGM_DEVICE_A_IFNAME, "lo");
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EOPNOTSUPP, r.err);
	EXPECT_EXTACK(r, "not a wgmesh device");
}

TEST_F(dev, get_on_other_kind_fails)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	struct reply r;

	nla_put_string(msg, WGM_DEVICE_A_IFNAME, "lo");
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EOPNOTSUPP, r.err);
	EXPECT_EXTACK(r, "not a wgmesh device");
}

TEST_F(dev, ifindex_and_ifname_must_agree)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_SET_DEVICE, 0);
	struct reply r;

	nla_put_u32(msg, WGM_DEVICE_A_IFINDEX, 1);	/* lo */
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "different devices");
}

TEST_F(dev, private_key_of_31_or_33_bytes_is_rejected)
{
	uint8_t key[33];
	struct reply r;
	int len;

	memset(key, 0x41, sizeof(key));
	for (len = 31; len <= 33; len += 2) {
		struct nl_msg *msg = set_request(self->family);

		nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, len, key);
		ASSERT_EQ(0, transact(self->sk, msg, &r));
		EXPECT_EQ(ERANGE, r.err);
		EXPECT_EXTACK(r, "size out of range");
	}
	get_device(_metadata, self, &r);
	EXPECT_FALSE(r.has_private);
}

TEST_F(dev, unknown_device_flag_is_rejected)
{
	struct nl_msg *msg = set_request(self->family);
	struct reply r;

	nla_put_u32(msg, WGM_DEVICE_A_FLAGS, 1U << 7);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "reserved bit");
}

TEST_F(dev, unknown_peer_flag_is_rejected)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	nla_put_u32(msg, WGM_PEER_A_FLAGS, 1U << 9);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "reserved bit");
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);
}

TEST_F(dev, public_key_is_read_only)
{
	struct nl_msg *msg = set_request(self->family);
	struct reply r;

	put_key(msg, WGM_DEVICE_A_PUBLIC_KEY, 3);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "read-only");
}

TEST_F(dev, unknown_attribute_is_rejected)
{
	struct nl_msg *msg = set_request(self->family);
	struct reply r;

	nla_put_u32(msg, WGM_DEVICE_A_MAX + 1, 0);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_NE(0, r.extack[0]);
}

TEST_F(dev, get_takes_only_selectors)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	struct reply r;

	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	nla_put_u32(msg, WGM_DEVICE_A_FWMARK, 1);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "only");
}

TEST_F(dev, peers_need_nla_f_nested)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	peers->nla_type &= ~NLA_F_NESTED;	/* libnl sets it */
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "NLA_F_NESTED");
}

TEST_F(dev, peer_without_public_key_is_rejected)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	nla_put_u16(msg, WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 5);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "PUBLIC_KEY");
}

TEST_F(dev, bad_endpoint_length_is_rejected)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	nla_put(msg, WGM_PEER_A_ENDPOINT, 10, &sin);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "sockaddr_in");
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);
}

static void put_cand4(struct nl_msg *msg, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct nlattr *c = nest(msg, 0);

	sin.sin_addr.s_addr = htonl(addr);
	nla_put(msg, WGM_CANDIDATE_A_ENDPOINT, sizeof(sin), &sin);
	nla_nest_end(msg, c);
}

static void put_cand6(struct nl_msg *msg, uint8_t last, uint16_t port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct nlattr *c = nest(msg, 0);

	sin6.sin6_addr.s6_addr[0] = 0x20;
	sin6.sin6_addr.s6_addr[1] = 0x01;
	sin6.sin6_addr.s6_addr[2] = 0x0d;
	sin6.sin6_addr.s6_addr[3] = 0xb8;
	sin6.sin6_addr.s6_addr[15] = last;
	nla_put(msg, WGM_CANDIDATE_A_ENDPOINT, sizeof(sin6), &sin6);
	nla_nest_end(msg, c);
}

/*
 * One peer (key @key) with @n IPv4 candidates 10.0.0.@first.. (port 51820)
 * and @peer_flags; returns the answer in @r.
 */
static void set_cands(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
		      uint8_t key, uint32_t peer_flags, int first, int n, struct reply *r)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer, *cands;
	int i;

	ASSERT_NE(NULL, msg);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, key);
	if (peer_flags)
		nla_put_u32(msg, WGM_PEER_A_FLAGS, peer_flags);
	if (n) {
		cands = nest(msg, WGM_PEER_A_CANDIDATES);
		for (i = 0; i < n; i++)
			put_cand4(msg, 0x0a000000 + first + i, 51820);
		nla_nest_end(msg, cands);
	}
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, r));
}

TEST_F(dev, candidates_are_accepted_and_dumped)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer, *cands;
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	nla_put_u16(msg, WGM_PEER_A_NAT_KEEPALIVE_INTERVAL, 15);
	cands = nest(msg, WGM_PEER_A_CANDIDATES);
	put_cand4(msg, 0x0a000001, 51820);
	put_cand6(msg, 1, 51821);
	put_cand4(msg, 0x0a000001, 51820);	/* a duplicate is ignored */
	nla_nest_end(msg, cands);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);

	get_device(_metadata, self, &r);
	EXPECT_EQ(1, r.peers);
	EXPECT_EQ(15, r.nat_keepalive);
	EXPECT_EQ(2, r.cands);
	EXPECT_EQ(1, r.cand_v4);
	EXPECT_EQ(1, r.cand_v6);
	EXPECT_EQ(0, r.cand_bad);

	/* without the flag: added to the list */
	set_cands(_metadata, self, 1, 0, 2, 2, &r);
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	get_device(_metadata, self, &r);
	EXPECT_EQ(4, r.cands);
	EXPECT_EQ(3, r.cand_v4);

	/* with it: replaced */
	set_cands(_metadata, self, 1, WGM_PEER_F_REPLACE_CANDIDATES, 9, 1, &r);
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	get_device(_metadata, self, &r);
	EXPECT_EQ(1, r.cands);
	EXPECT_EQ(1, r.cand_v4);
	EXPECT_EQ(0, r.cand_v6);

	/* the flag alone clears the list */
	set_cands(_metadata, self, 1, WGM_PEER_F_REPLACE_CANDIDATES, 0, 0, &r);
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	get_device(_metadata, self, &r);
	EXPECT_EQ(1, r.peers);
	EXPECT_EQ(0, r.cands);
	EXPECT_EQ(15, r.nat_keepalive);
}

TEST_F(dev, sixteen_candidates_are_accepted_seventeen_refused)
{
	struct reply r;

	set_cands(_metadata, self, 1, 0, 1, 17, &r);
	EXPECT_EQ(E2BIG, r.err);
	EXPECT_EXTACK(r, "too many candidate");
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);

	set_cands(_metadata, self, 1, 0, 1, 16, &r);
	EXPECT_EQ(0, r.err) TH_LOG("%s", r.extack);
	get_device(_metadata, self, &r);
	EXPECT_EQ(16, r.cands);
}

/*
 * A bad candidate in the second peer: nothing of the request is applied,
 * whatever is wrong with it.
 */
static void bad_candidate(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
			  int attr, const void *data, int len, int want_err,
			  const char *want_extack)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer, *cands, *c;
	struct reply r;

	nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, 32, alice_priv);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	cands = nest(msg, WGM_PEER_A_CANDIDATES);
	put_cand4(msg, 0x0a000001, 51820);
	nla_nest_end(msg, cands);
	nla_nest_end(msg, peer);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 2);
	cands = nest(msg, WGM_PEER_A_CANDIDATES);
	put_cand4(msg, 0x0a000002, 51820);
	c = nest(msg, 0);
	if (attr)
		nla_put(msg, attr, len, data);
	/* libnl's nla_nest_end() would drop an empty candidate */
	nla_nest_end_keep_empty(msg, c);
	nla_nest_end(msg, cands);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(want_err, r.err);
	EXPECT_EXTACK(r, want_extack);
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);
	EXPECT_FALSE(r.has_private);
}

TEST_F(dev, bad_candidates_are_refused_and_change_nothing)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(1) };
	uint8_t state = 2;

	sin.sin_addr.s_addr = htonl(0x0a000003);
	/* the family must be AF_INET or AF_INET6 */
	sin.sin_family = AF_UNIX;
	bad_candidate(_metadata, self, WGM_CANDIDATE_A_ENDPOINT, &sin, sizeof(sin),
		      EINVAL, "sockaddr_in");
	/* and fit the length */
	sin.sin_family = AF_INET;
	bad_candidate(_metadata, self, WGM_CANDIDATE_A_ENDPOINT, &sin, sizeof(sin6),
		      EINVAL, "sockaddr_in");
	/* a port is needed */
	sin.sin_port = 0;
	bad_candidate(_metadata, self, WGM_CANDIDATE_A_ENDPOINT, &sin, sizeof(sin),
		      EINVAL, "address and a port");
	/* and an address */
	bad_candidate(_metadata, self, WGM_CANDIDATE_A_ENDPOINT, &sin6, sizeof(sin6),
		      EINVAL, "address and a port");
	/* the state is the kernel's to say */
	bad_candidate(_metadata, self, WGM_CANDIDATE_A_STATE, &state, 1,
		      EINVAL, "read-only");
	/* an empty candidate */
	bad_candidate(_metadata, self, 0, NULL, 0, EINVAL, "WGM_CANDIDATE_A_ENDPOINT");
}

/*
 * Addresses that are never a path from another host: a member must not be
 * able to aim other nodes' probes at their own local services.
 */
static void bad_candidate4(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
			   uint32_t addr, const char *want_extack)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(22) };

	sin.sin_addr.s_addr = htonl(addr);
	bad_candidate(_metadata, self, WGM_CANDIDATE_A_ENDPOINT, &sin, sizeof(sin),
		      EINVAL, want_extack);
}

static void bad_candidate6(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
			   const char *addr, const char *want_extack)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(22) };

	ASSERT_EQ(1, inet_pton(AF_INET6, addr, &sin6.sin6_addr));
	bad_candidate(_metadata, self, WGM_CANDIDATE_A_ENDPOINT, &sin6, sizeof(sin6),
		      EINVAL, want_extack);
}

TEST_F(dev, local_only_candidates_are_refused)
{
	struct reply r;

	bad_candidate4(_metadata, self, 0x7f000001, "candidate endpoint is a loopback address");
	bad_candidate4(_metadata, self, 0x7f0a0b0c, "candidate endpoint is a loopback address");
	bad_candidate6(_metadata, self, "::1", "candidate endpoint is a loopback address");
	bad_candidate6(_metadata, self, "::ffff:127.0.0.1",
		       "candidate endpoint is a loopback address");
	bad_candidate4(_metadata, self, 0xa9fe0101, "candidate endpoint is an IPv4 link-local");
	bad_candidate6(_metadata, self, "::ffff:169.254.1.1",
		       "candidate endpoint is an IPv4 link-local");
	bad_candidate4(_metadata, self, 0xe0000001, "candidate endpoint is a multicast address");
	bad_candidate4(_metadata, self, 0xeffffffa, "candidate endpoint is a multicast address");
	bad_candidate6(_metadata, self, "ff02::1", "candidate endpoint is a multicast address");
	bad_candidate4(_metadata, self, 0xffffffff, "candidate endpoint is the broadcast address");
	bad_candidate4(_metadata, self, 0x00010203, "candidate endpoint needs an address");
	bad_candidate6(_metadata, self, "::ffff:0.0.0.0", "candidate endpoint needs an address");

	/* neighbours of the refused ranges are fine, and so is IPv6 link-local */
	{
		struct nl_msg *msg = set_request(self->family);
		struct sockaddr_in6 ll = { .sin6_family = AF_INET6, .sin6_port = htons(1),
					   .sin6_scope_id = 1 };
		struct nlattr *peers, *peer, *cands, *c;

		inet_pton(AF_INET6, "fe80::1", &ll.sin6_addr);
		peers = nest(msg, WGM_DEVICE_A_PEERS);
		peer = nest(msg, 0);
		put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
		cands = nest(msg, WGM_PEER_A_CANDIDATES);
		put_cand4(msg, 0x7e000001, 1);		/* 126.0.0.1 */
		put_cand4(msg, 0x80000001, 1);		/* 128.0.0.1 */
		put_cand4(msg, 0xa9fd0101, 1);		/* 169.253.1.1 */
		put_cand4(msg, 0xdfffffff, 1);		/* 223.255.255.255 */
		put_cand4(msg, 0xfffffffe, 1);		/* 255.255.255.254 */
		c = nest(msg, 0);
		nla_put(msg, WGM_CANDIDATE_A_ENDPOINT, sizeof(ll), &ll);
		nla_nest_end(msg, c);
		nla_nest_end(msg, cands);
		nla_nest_end(msg, peer);
		nla_nest_end(msg, peers);
		ASSERT_EQ(0, transact(self->sk, msg, &r));
		ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	}
	get_device(_metadata, self, &r);
	EXPECT_EQ(6, r.cands);
}

/*
 * Events are the kernel's to send: requests cannot carry one.  (Sent
 * without NLA_F_NESTED, which libnl's nests would set and the policy
 * would complain about first.)
 */
TEST_F(dev, event_attribute_is_refused_in_requests)
{
	struct nl_msg *msg = set_request(self->family);
	/* an event nest with TYPE path-changed, as raw bytes (well-formed:
	 * the generated policy checks the nest before the handler refuses it)
	 */
	struct { struct nlattr nla; uint8_t type, pad[3]; } ev = {
		{ 5, WGM_EVENT_A_TYPE }, WGM_EVENT_PATH_CHANGED, { 0 }
	};
	struct reply r;

	nla_put(msg, WGM_DEVICE_A_EVENT | NLA_F_NESTED, sizeof(ev), &ev);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "read-only");

	msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	nla_put(msg, WGM_DEVICE_A_EVENT | NLA_F_NESTED, sizeof(ev), &ev);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "GET_DEVICE takes only");
}

TEST_F(dev, mapped_addrs_are_read_only)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *list, *entry;
	struct reply r;

	/* well-formed, as a dump reports it: refused as read-only */
	list = nest(msg, WGM_DEVICE_A_MAPPED_ADDRS);
	entry = nest(msg, 0);
	nla_put_u32(msg, WGM_MAPPED_A_AGE_MS, 1);
	nla_nest_end(msg, entry);
	nla_nest_end(msg, list);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "read-only");
}

static void put_stun4(struct nl_msg *msg, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct nlattr *s = nest(msg, 0);

	sin.sin_addr.s_addr = htonl(addr);
	nla_put(msg, WGM_STUN_A_ENDPOINT, sizeof(sin), &sin);
	nla_nest_end(msg, s);
}

/* SET_DEVICE with WGM_DEVICE_A_STUN_SERVERS holding n servers 192.0.2.1.. */
static void set_stun(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
		     unsigned int n, uint32_t dup_of_first, struct reply *r)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *list;
	unsigned int i;

	ASSERT_NE(NULL, msg);
	/* libnl drops empty nests at nla_nest_end(): put an empty one as is */
	if (!n) {
		nla_put(msg, WGM_DEVICE_A_STUN_SERVERS | NLA_F_NESTED, 0, NULL);
		ASSERT_EQ(0, transact(self->sk, msg, r));
		return;
	}
	list = nest(msg, WGM_DEVICE_A_STUN_SERVERS);
	for (i = 0; i < n; i++)
		put_stun4(msg, 0xc0000201 + (dup_of_first ? 0 : i), 3478);
	nla_nest_end(msg, list);
	ASSERT_EQ(0, transact(self->sk, msg, r));
}

TEST_F(dev, stun_servers_are_validated)
{
	struct nl_msg *msg;
	struct nlattr *list, *srv;
	struct reply r;

	set_stun(_metadata, self, 4, 0, &r);
	EXPECT_EQ(0, r.err) TH_LOG("%s", r.extack);
	set_stun(_metadata, self, 0, 0, &r);
	EXPECT_EQ(0, r.err) TH_LOG("an empty list clears: %s", r.extack);
	set_stun(_metadata, self, 5, 0, &r);
	EXPECT_EQ(E2BIG, r.err);
	EXPECT_EXTACK(r, "too many STUN servers");
	set_stun(_metadata, self, 2, 1, &r);
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "listed twice");

	/* port 0 */
	msg = set_request(self->family);
	list = nest(msg, WGM_DEVICE_A_STUN_SERVERS);
	put_stun4(msg, 0xc0000201, 0);
	nla_nest_end(msg, list);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "STUN server needs an address and a port");

	/* never a path from another host */
	{
		static const struct {
			uint32_t addr;
			const char *why;
		} bad[] = {
			{ 0x7f000001, "STUN server is a loopback address" },
			{ 0xa9fe0001, "STUN server is an IPv4 link-local address" },
			{ 0xe0000005, "STUN server is a multicast address" },
			{ 0xffffffff, "STUN server is the broadcast address" },
		};
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			msg = set_request(self->family);
			list = nest(msg, WGM_DEVICE_A_STUN_SERVERS);
			put_stun4(msg, bad[i].addr, 3478);
			nla_nest_end(msg, list);
			ASSERT_EQ(0, transact(self->sk, msg, &r));
			EXPECT_EQ(EINVAL, r.err);
			EXPECT_EXTACK(r, bad[i].why);
		}
	}

	/* no endpoint; a read-only attribute */
	msg = set_request(self->family);
	list = nest(msg, WGM_DEVICE_A_STUN_SERVERS);
	srv = nest(msg, 0);
	nla_put_u32(msg, WGM_STUN_A_REQUESTS, 1);
	nla_nest_end(msg, srv);
	nla_nest_end(msg, list);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "read-only");

	msg = set_request(self->family);
	list = nest(msg, WGM_DEVICE_A_STUN_SERVERS);
	nla_put(msg, NLA_F_NESTED, 0, NULL);	/* a server with nothing in it */
	nla_nest_end(msg, list);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "needs WGM_STUN_A_ENDPOINT");

	/* a refused list changes nothing else in the request */
	msg = set_request(self->family);
	nla_put_u32(msg, WGM_DEVICE_A_FWMARK, 77);
	list = nest(msg, WGM_DEVICE_A_STUN_SERVERS);
	put_stun4(msg, 0xc0000201, 0);
	nla_nest_end(msg, list);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.fwmark);
}

TEST_F(dev, protocol_version_2_is_rejected)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	nla_put_u32(msg, WGM_PEER_A_PROTOCOL_VERSION, 2);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EPROTONOSUPPORT, r.err);
	EXPECT_EXTACK(r, "protocol version");
}

TEST_F(dev, allowed_ip_length_must_match_family)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer, *aips, *aip;
	uint8_t addr[16] = { 10 };
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
	aip = nest(msg, 0);
	nla_put_u16(msg, WGM_ALLOWEDIP_A_FAMILY, AF_INET);
	nla_put(msg, WGM_ALLOWEDIP_A_IPADDR, 16, addr);
	nla_put_u8(msg, WGM_ALLOWEDIP_A_CIDR_MASK, 8);
	nla_nest_end(msg, aip);
	nla_nest_end(msg, aips);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "does not match");
}

/* A bad allowed IP in the second peer: the first peer, the private key and
 * the port of the same message are not applied either.
 */
TEST_F(dev, invalid_request_changes_nothing)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer, *aips;
	struct reply before, r;

	get_device(_metadata, self, &before);
	nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, 32, alice_priv);
	nla_put_u16(msg, WGM_DEVICE_A_LISTEN_PORT, 41414);
	nla_put_u32(msg, WGM_DEVICE_A_FWMARK, 7);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
	put_aip4(msg, 0x0a000000, 8);
	nla_nest_end(msg, aips);
	nla_nest_end(msg, peer);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 2);
	aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
	put_aip4(msg, 0x0b000000, 33);
	nla_nest_end(msg, aips);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "prefix length");

	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);
	EXPECT_FALSE(r.has_private);
	EXPECT_EQ(before.listen_port, r.listen_port);
	EXPECT_EQ(0, r.fwmark);
}

TEST_F(dev, set_then_get)
{
	struct nl_msg *msg = set_request(self->family);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(51820) };
	struct nlattr *peers, *peer, *aips;
	uint8_t clamped[32];
	struct reply r;

	nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, 32, alice_priv);
	nla_put_u16(msg, WGM_DEVICE_A_LISTEN_PORT, 41415);
	nla_put_u32(msg, WGM_DEVICE_A_FWMARK, 0x42);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	put_key(msg, WGM_PEER_A_PRESHARED_KEY, 9);
	sin6.sin6_addr.s6_addr[15] = 1;
	nla_put(msg, WGM_PEER_A_ENDPOINT, sizeof(sin6), &sin6);
	nla_put_u16(msg, WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
	aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
	put_aip4(msg, 0x0a0000ff, 24);	/* host bits are cleared */
	nla_nest_end(msg, aips);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);

	get_device(_metadata, self, &r);
	EXPECT_TRUE(r.has_private);
	/* reported clamped, as wg does */
	memcpy(clamped, alice_priv, 32);
	clamped[0] &= 248;
	clamped[31] = (clamped[31] & 127) | 64;
	EXPECT_EQ(0, memcmp(clamped, r.private_key, 32));
	EXPECT_TRUE(r.has_public);
	EXPECT_EQ(0, memcmp(alice_pub, r.public_key, 32));
	EXPECT_EQ(41415, r.listen_port);
	EXPECT_EQ(0x42, r.fwmark);
	EXPECT_EQ(1, r.peers);
	EXPECT_TRUE(r.has_psk);
	EXPECT_EQ(AF_INET6, r.endpoint_family);
	EXPECT_EQ(25, r.keepalive);
	EXPECT_EQ(1, r.aips);
	EXPECT_EQ(AF_INET, r.aip_family);
	EXPECT_EQ(24, r.aip_cidr);
	EXPECT_EQ(0, memcmp(r.aip_addr, "\x0a\x00\x00\x00", 4));
}

static void set_peer_flags(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
			   uint32_t dev_flags, uint8_t key, uint32_t peer_flags)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct reply r;

	if (dev_flags)
		nla_put_u32(msg, WGM_DEVICE_A_FLAGS, dev_flags);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, key);
	if (peer_flags)
		nla_put_u32(msg, WGM_PEER_A_FLAGS, peer_flags);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
}

TEST_F(dev, peer_flags)
{
	struct reply r;

	set_peer_flags(_metadata, self, 0, 1, WGM_PEER_F_UPDATE_ONLY);
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);		/* update-only does not create */
	set_peer_flags(_metadata, self, 0, 1, 0);
	set_peer_flags(_metadata, self, 0, 2, 0);
	set_peer_flags(_metadata, self, 0, 3, 0);
	get_device(_metadata, self, &r);
	EXPECT_EQ(3, r.peers);
	set_peer_flags(_metadata, self, 0, 2, WGM_PEER_F_REMOVE_ME);
	get_device(_metadata, self, &r);
	EXPECT_EQ(2, r.peers);
	set_peer_flags(_metadata, self, WGM_DEVICE_F_REPLACE_PEERS, 4, 0);
	get_device(_metadata, self, &r);
	EXPECT_EQ(1, r.peers);
	EXPECT_EQ(0x04, r.last_key[0]);
}

/* We are never our own peer: a peer with our public key is dropped. */
TEST_F(dev, own_public_key_is_not_a_peer)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct reply r;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, alice_pub);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err);
	get_device(_metadata, self, &r);
	EXPECT_EQ(1, r.peers);

	msg = set_request(self->family);
	nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, 32, alice_priv);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err);
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);

	msg = set_request(self->family);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, alice_pub);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err);
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);
}

/*
 * Without CAP_NET_ADMIN (nobody): every command is refused with EPERM,
 * GET_DEVICE included (it shows keys, and a dump must not be a lever on
 * the device), and the events group cannot be joined.  Each command in its
 * own form (GET_DEVICE as a dump, the others as do) must get EPERM; the
 * other form must not succeed either.
 */
TEST_F(dev, unprivileged_user_gets_eperm_for_every_command)
{
	static const uint8_t cmds[] = {
		WGM_CMD_GET_DEVICE, WGM_CMD_SET_DEVICE, WGM_CMD_PUNCH, WGM_CMD_PING,
	};
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer;
	struct nl_sock *sk;
	struct reply r;
	unsigned int i;
	int family, grp;

	nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, 32, alice_priv);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	put_key(msg, WGM_PEER_A_PRESHARED_KEY, 9);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err);

	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	sk = open_sock();
	ASSERT_NE(NULL, sk);
	family = genl_ctrl_resolve(sk, WGM_GENL_NAME);
	ASSERT_LT(0, family);
	grp = genl_ctrl_resolve_grp(sk, WGM_GENL_NAME, WGM_MCGRP_EVENTS);
	ASSERT_LT(0, grp);

	for (i = 0; i < sizeof(cmds); i++) {
		bool dump = cmds[i] == WGM_CMD_GET_DEVICE;
		int form;

		for (form = 0; form < 2; form++) {
			msg = request(family, cmds[i], (form ? !dump : dump) ? NLM_F_DUMP : 0);
			ASSERT_NE(NULL, msg);
			nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
			peers = nest(msg, WGM_DEVICE_A_PEERS);
			peer = nest(msg, 0);
			put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
			nla_nest_end(msg, peer);
			nla_nest_end(msg, peers);
			ASSERT_EQ(0, transact(sk, msg, &r));
			if (!form) {
				EXPECT_EQ(EPERM, r.err)
					TH_LOG("command %d: %s", cmds[i], strerror(r.err));
			} else {
				EXPECT_NE(0, r.err) TH_LOG("command %d in the other form", cmds[i]);
			}
			EXPECT_EQ(0, r.msgs);
			EXPECT_FALSE(r.has_private);
			EXPECT_FALSE(r.has_public);
		}
	}

	EXPECT_EQ(-1, setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				 &grp, sizeof(grp)));
	EXPECT_EQ(EPERM, errno);
	nl_socket_free(sk);
}

static void set_aips(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
		     uint32_t peer_flags, uint32_t aip_flags, const uint32_t *addrs, int n)
{
	struct nl_msg *msg = set_request(self->family);
	struct nlattr *peers, *peer, *aips, *aip;
	struct reply r;
	int i;

	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 1);
	if (peer_flags)
		nla_put_u32(msg, WGM_PEER_A_FLAGS, peer_flags);
	aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
	for (i = 0; i < n; i++) {
		uint32_t be = htonl(addrs[i]);

		aip = nest(msg, 0);
		nla_put_u16(msg, WGM_ALLOWEDIP_A_FAMILY, AF_INET);
		nla_put(msg, WGM_ALLOWEDIP_A_IPADDR, 4, &be);
		nla_put_u8(msg, WGM_ALLOWEDIP_A_CIDR_MASK, 32);
		if (aip_flags)
			nla_put_u32(msg, WGM_ALLOWEDIP_A_FLAGS, aip_flags);
		nla_nest_end(msg, aip);
	}
	nla_nest_end(msg, aips);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
}

TEST_F(dev, allowed_ips_remove_and_replace)
{
	const uint32_t three[] = { 0x0a000001, 0x0a000002, 0x0a000003 };
	const uint32_t absent[] = { 0x0b000001 };
	const uint32_t other[] = { 0x0c000001 };
	struct reply r;

	set_aips(_metadata, self, 0, 0, three, 3);
	get_device(_metadata, self, &r);
	EXPECT_EQ(3, r.aips);
	set_aips(_metadata, self, 0, WGM_ALLOWEDIP_F_REMOVE_ME, three + 1, 1);
	get_device(_metadata, self, &r);
	EXPECT_EQ(2, r.aips);
	/* removing what is not there is fine */
	set_aips(_metadata, self, 0, WGM_ALLOWEDIP_F_REMOVE_ME, absent, 1);
	get_device(_metadata, self, &r);
	EXPECT_EQ(2, r.aips);
	set_aips(_metadata, self, WGM_PEER_F_REPLACE_ALLOWEDIPS, 0, other, 1);
	get_device(_metadata, self, &r);
	EXPECT_EQ(1, r.aips);
	EXPECT_EQ(0, memcmp(r.aip_addr, "\x0c\x00\x00\x01", 4));
}

static int set_port(FIXTURE_DATA(dev) *self, uint16_t port, struct reply *r)
{
	struct nl_msg *msg = set_request(self->family);

	nla_put_u16(msg, WGM_DEVICE_A_LISTEN_PORT, port);
	return transact(self->sk, msg, r);
}

TEST_F(dev, listen_port_of_running_device)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(45000) };
	struct reply r;
	int fd, old;

	ASSERT_EQ(0, system("ip link set " DEV " up"));
	get_device(_metadata, self, &r);
	old = r.listen_port;
	EXPECT_LT(0, old);	/* bound to a random port when it came up */

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, set_port(self, 45000, &r));
	EXPECT_EQ(EADDRINUSE, r.err);
	EXPECT_EXTACK(r, "could not bind");
	get_device(_metadata, self, &r);
	EXPECT_EQ(old, r.listen_port);

	close(fd);
	ASSERT_EQ(0, set_port(self, 45000, &r));
	EXPECT_EQ(0, r.err) TH_LOG("%s", r.extack);
	get_device(_metadata, self, &r);
	EXPECT_EQ(45000, r.listen_port);
}

/*
 * 200 peers with 10 allowed IPs each and one with 3000: the dump needs
 * several messages and splits the big peer across them.
 */
static void fill_big_device(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self)
{
	struct nlattr *peers, *peer, *aips;
	struct nl_msg *msg;
	struct reply r;
	int i, j, chunk;

	for (i = 0; i < 200; i++) {
		uint8_t key[32] = { 0 };

		key[0] = 0xa0;
		key[1] = (uint8_t)i;
		msg = set_request(self->family);
		peers = nest(msg, WGM_DEVICE_A_PEERS);
		peer = nest(msg, 0);
		nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, key);
		aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
		for (j = 0; j < 10; j++)
			put_aip4(msg, 0x0a000000 | (uint32_t)i << 8 | (uint32_t)j, 32);
		nla_nest_end(msg, aips);
		nla_nest_end(msg, peer);
		nla_nest_end(msg, peers);
		ASSERT_EQ(0, transact(self->sk, msg, &r));
		ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	}
	for (chunk = 0; chunk < 6; chunk++) {
		msg = set_request(self->family);
		peers = nest(msg, WGM_DEVICE_A_PEERS);
		peer = nest(msg, 0);
		put_key(msg, WGM_PEER_A_PUBLIC_KEY, 0xbb);
		aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
		for (j = 0; j < 500; j++)
			put_aip4(msg, 0xac100000 | (uint32_t)(chunk * 500 + j), 32);
		nla_nest_end(msg, aips);
		nla_nest_end(msg, peer);
		nla_nest_end(msg, peers);
		ASSERT_EQ(0, transact(self->sk, msg, &r));
		ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	}
}

TEST_F(dev, big_dump_resumes_across_messages)
{
	struct reply r;

	fill_big_device(_metadata, self);
	get_device(_metadata, self, &r);
	EXPECT_LT(2, r.msgs);
	EXPECT_FALSE(r.intr);
	EXPECT_EQ(201, r.peers);
	EXPECT_LE(1, r.continued);
	EXPECT_EQ(200 * 10 + 3000, r.aips);
	EXPECT_EQ(3000, r.max_peer_aips);
}

struct change_arg {
	int family;
	bool ok;
};

static void add_peer_from_other_socket(void *p)
{
	struct change_arg *arg = p;
	struct nl_sock *sk = open_sock();
	struct nlattr *peers, *peer;
	struct nl_msg *msg;
	struct reply r;

	if (!sk)
		return;
	msg = set_request(arg->family);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 0xcc);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	arg->ok = !transact(sk, msg, &r) && !r.err;
	nl_socket_free(sk);
}

/* Peers come and go during a dump: no interruption, none lost or repeated. */
TEST_F(dev, peer_added_during_dump_is_no_interruption)
{
	struct change_arg arg = { .family = self->family };
	struct nl_msg *msg;
	struct reply r;

	fill_big_device(_metadata, self);
	msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	ASSERT_EQ(0, transact_hook(self->sk, msg, &r, add_peer_from_other_socket, &arg));
	ASSERT_TRUE(arg.ok);
	EXPECT_EQ(0, r.err) TH_LOG("%s", r.extack);
	EXPECT_FALSE(r.intr);
	/* the new peer comes after every other one: the dump meets it */
	EXPECT_EQ(202, r.peers);
	EXPECT_EQ(200 * 10 + 3000, r.aips);
}

static void add_aip_from_other_socket(void *p)
{
	struct change_arg *arg = p;
	struct nl_sock *sk = open_sock();
	struct nlattr *peers, *peer, *aips;
	struct nl_msg *msg;
	struct reply r;

	if (!sk)
		return;
	msg = set_request(arg->family);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	put_key(msg, WGM_PEER_A_PUBLIC_KEY, 0xbb);
	aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
	put_aip4(msg, 0xc0a80101, 32);
	nla_nest_end(msg, aips);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	arg->ok = !transact(sk, msg, &r) && !r.err;
	nl_socket_free(sk);
}

/*
 * A peer split across messages resumes by a count of prefixes sent: when
 * the allowed IPs change in between, the dump says so (NLM_F_DUMP_INTR).
 */
TEST_F(dev, allowed_ips_changed_under_a_split_peer_set_dump_intr)
{
	struct change_arg arg = { .family = self->family };
	struct nlattr *peers, *peer, *aips;
	struct nl_msg *msg;
	struct reply r;
	int chunk, j;

	for (chunk = 0; chunk < 6; chunk++) {
		msg = set_request(self->family);
		peers = nest(msg, WGM_DEVICE_A_PEERS);
		peer = nest(msg, 0);
		put_key(msg, WGM_PEER_A_PUBLIC_KEY, 0xbb);
		aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
		for (j = 0; j < 500; j++)
			put_aip4(msg, 0xac100000 | (uint32_t)(chunk * 500 + j), 32);
		nla_nest_end(msg, aips);
		nla_nest_end(msg, peer);
		nla_nest_end(msg, peers);
		ASSERT_EQ(0, transact(self->sk, msg, &r));
		ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	}
	msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	ASSERT_EQ(0, transact_hook(self->sk, msg, &r, add_aip_from_other_socket, &arg));
	ASSERT_TRUE(arg.ok);
	EXPECT_EQ(0, r.err);
	EXPECT_LT(1, r.msgs);
	EXPECT_TRUE(r.intr);

	get_device(_metadata, self, &r);
	EXPECT_FALSE(r.intr);
	EXPECT_EQ(1, r.peers);
	EXPECT_EQ(3001, r.aips);
}

/*
 * A dump read only in part holds nothing: the device can be deleted while
 * its reader sleeps (before, `ip link del` waited for ever for the
 * reference), and the rest of the dump then ends with ENODEV.
 */
TEST_F(dev, abandoned_dump_does_not_block_device_deletion)
{
	struct sockaddr_nl nla;
	unsigned char *buf = NULL;
	struct nl_msg *msg;
	struct reply r;
	int i, n, status = -1;
	bool deleted = false;
	pid_t pid;

	fill_big_device(_metadata, self);
	msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	ASSERT_LT(0, nl_send_auto(self->sk, msg));
	nlmsg_free(msg);
	n = nl_recv(self->sk, &nla, &buf, NULL);
	ASSERT_LT(0, n);
	EXPECT_EQ(self->family, ((struct nlmsghdr *)buf)->nlmsg_type);
	EXPECT_TRUE(((struct nlmsghdr *)buf)->nlmsg_flags & NLM_F_MULTI);
	free(buf);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		execlp("ip", "ip", "link", "del", DEV, (char *)NULL);
		_exit(127);
	}
	/* a watchdog, not a measurement: a held reference blocks for ever */
	for (i = 0; i < 1200 && !deleted; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			deleted = true;
		else
			usleep(100 * 1000);
	}
	EXPECT_TRUE(deleted) TH_LOG("ip link del still blocked after 120 s");
	if (!deleted) {
		/* closing the socket ends the dump and lets the deletion finish */
		nl_socket_free(self->sk);
		self->sk = open_sock();
		waitpid(pid, &status, 0);
		return;
	}
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	reply_init(&r);
	ASSERT_EQ(0, read_reply(self->sk, &r, NULL, NULL, NULL));
	EXPECT_EQ(ENODEV, r.err);
	EXPECT_EXTACK(r, "removed during the dump");

	/* a new device of the same name is a different one: a fresh dump sees it */
	ASSERT_EQ(0, system("ip link add " DEV " type wgmesh"));
	get_device(_metadata, self, &r);
	EXPECT_EQ(0, r.peers);
}

/* 10,000 peers, churned between the messages of one dump. */
#define CHURN_PEERS 10000
#define CHURN_MAX (CHURN_PEERS + 4096)

struct churn {
	struct __test_metadata *md;
	struct nl_sock *sk;
	int family;
	int next_new;				/* index of the next peer to add */
	unsigned char present[CHURN_MAX];
	unsigned char removed[CHURN_MAX];	/* removed at some point */
	unsigned char seen[CHURN_MAX];		/* times in the dump */
	int foreign;				/* keys not of this test */
	int lo_seen;		/* next index to try removing behind the cursor */
	int hi;			/* next initial index to try removing ahead of it */
	int churns;
	bool ok;
};

static void churn_key(uint8_t key[32], int idx)
{
	memset(key, 0, 32);
	key[0] = 0xd0;
	key[1] = (uint8_t)(idx >> 8);
	key[2] = (uint8_t)idx;
}

static int churn_index(const uint8_t *key)
{
	static const uint8_t zero[29];

	if (key[0] != 0xd0 || memcmp(key + 3, zero, sizeof(zero)))
		return -1;
	return key[1] << 8 | key[2];
}

/* @nremove peers removed and @add added, in one SET_DEVICE. */
static bool churn_set(struct churn *c, const int *remove, int nremove, int add)
{
	struct nl_msg *msg = set_request(c->family);
	struct nlattr *peers, *peer, *aips;
	struct reply r;
	uint8_t key[32];
	int i;

	if (!msg)
		return false;
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	for (i = 0; i < nremove; i++) {
		peer = nest(msg, 0);
		churn_key(key, remove[i]);
		nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, key);
		nla_put_u32(msg, WGM_PEER_A_FLAGS, WGM_PEER_F_REMOVE_ME);
		nla_nest_end(msg, peer);
	}
	for (i = 0; i < add; i++) {
		int idx = c->next_new++;

		peer = nest(msg, 0);
		churn_key(key, idx);
		nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, key);
		aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
		put_aip4(msg, 0x0b000000 | (uint32_t)idx, 32);
		nla_nest_end(msg, aips);
		nla_nest_end(msg, peer);
		c->present[idx] = 1;
	}
	nla_nest_end(msg, peers);
	if (transact(c->sk, msg, &r) || r.err)
		return false;
	for (i = 0; i < nremove; i++) {
		c->present[remove[i]] = 0;
		c->removed[remove[i]] = 1;
	}
	return true;
}

/* After each message: count its peers, remove two behind and two ahead, add two. */
static void churn_after_msg(void *arg, struct nlmsghdr *nlh)
{
	struct nlattr *tb[WGM_DEVICE_A_MAX + 1], *p, *a;
	struct churn *c = arg;
	int rem, prem, remove[4], n = 0;

	if (genlmsg_parse(nlh, 0, tb, WGM_DEVICE_A_MAX, NULL) || !tb[WGM_DEVICE_A_PEERS])
		return;
	nla_for_each_nested(p, tb[WGM_DEVICE_A_PEERS], rem) {
		nla_for_each_nested(a, p, prem) {
			if (nla_type(a) == WGM_PEER_A_PUBLIC_KEY && nla_len(a) == 32) {
				int idx = churn_index(nla_data(a));

				if (idx < 0 || idx >= CHURN_MAX)
					c->foreign++;
				else
					c->seen[idx]++;
			}
		}
	}
	if (c->next_new + 2 > CHURN_MAX)
		return;
	while (n < 2 && c->lo_seen < CHURN_PEERS) {
		if (c->present[c->lo_seen] && c->seen[c->lo_seen])
			remove[n++] = c->lo_seen;
		c->lo_seen++;
	}
	while (n < 4 && c->hi > 0) {
		if (c->present[c->hi] && !c->seen[c->hi])
			remove[n++] = c->hi;
		c->hi--;
	}
	if (!churn_set(c, remove, n, 2))
		c->ok = false;
	c->churns++;
}

TEST_F(dev, dump_of_10000_peers_under_churn_is_exact)
{
	struct churn *c = calloc(1, sizeof(*c));
	struct nlattr *peers, *peer, *aips;
	struct nl_msg *msg;
	struct reply r;
	uint8_t key[32];
	int i, j, exact = 0, twice = 0, missing = 0;

	ASSERT_NE(NULL, c);
	c->md = _metadata;
	c->family = self->family;
	c->sk = open_sock();
	ASSERT_NE(NULL, c->sk);
	c->ok = true;
	for (i = 0; i < CHURN_PEERS; i += 250) {
		msg = set_request(self->family);
		peers = nest(msg, WGM_DEVICE_A_PEERS);
		for (j = i; j < i + 250; j++) {
			peer = nest(msg, 0);
			churn_key(key, j);
			nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, key);
			aips = nest(msg, WGM_PEER_A_ALLOWEDIPS);
			put_aip4(msg, 0x0b000000 | (uint32_t)j, 32);
			nla_nest_end(msg, aips);
			nla_nest_end(msg, peer);
			c->present[j] = 1;
		}
		nla_nest_end(msg, peers);
		ASSERT_EQ(0, transact(self->sk, msg, &r));
		ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	}
	c->next_new = CHURN_PEERS;
	c->hi = CHURN_PEERS - 1;

	msg = request(self->family, WGM_CMD_GET_DEVICE, NLM_F_DUMP);
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
	ASSERT_EQ(0, transact_each(self->sk, msg, &r, NULL, churn_after_msg, c));
	EXPECT_EQ(0, r.err) TH_LOG("%s", r.extack);
	EXPECT_TRUE(c->ok);
	EXPECT_FALSE(r.intr);
	EXPECT_LT(10, c->churns);
	EXPECT_EQ(0, c->foreign);
	for (i = 0; i < CHURN_MAX; i++) {
		if (c->seen[i] > 1)
			twice++;
		if (i < CHURN_PEERS && !c->removed[i]) {
			if (c->seen[i] == 1)
				exact++;
			else
				missing++;
		}
	}
	EXPECT_EQ(0, twice);
	EXPECT_EQ(0, missing);
	TH_LOG("%d messages, %d churns, %d peers kept throughout, each seen once",
	       r.msgs, c->churns, exact);

	/* and a quiet dump afterwards has exactly the peers present */
	get_device(_metadata, self, &r);
	for (i = 0, j = 0; i < CHURN_MAX; i++)
		j += c->present[i];
	EXPECT_EQ(j, r.peers);
	EXPECT_FALSE(r.intr);
	nl_socket_free(c->sk);
	free(c);
}

/* RFC 7748 section 6.1: Bob's keys. */
static const uint8_t bob_priv[32] = {
	0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f, 0x8b,
	0x83, 0x80, 0x0e, 0xe6, 0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18, 0xb6, 0xfd,
	0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb,
};
static const uint8_t bob_pub[32] = {
	0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2,
	0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
	0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
};

/*
 * PUNCH or PING to @ifname naming @npeers peers with the key filled with
 * @key; @extra adds an endpoint to the peer (not allowed there).
 */
static int punch(struct nl_sock *sk, int family, uint8_t cmd, const char *ifname,
		 uint8_t key, int npeers, bool extra, struct reply *r)
{
	struct nl_msg *msg = request(family, cmd, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(1) };
	struct nlattr *peers, *peer;
	int i;

	if (!msg)
		return -1;
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, ifname);
	if (npeers) {
		peers = nest(msg, WGM_DEVICE_A_PEERS);
		for (i = 0; i < npeers; i++) {
			peer = nest(msg, 0);
			put_key(msg, WGM_PEER_A_PUBLIC_KEY, key + i);
			if (extra)
				nla_put(msg, WGM_PEER_A_ENDPOINT, sizeof(sin), &sin);
			nla_nest_end(msg, peer);
		}
		nla_nest_end(msg, peers);
	}
	return transact(sk, msg, r);
}

TEST_F(dev, punch_and_ping_one_peer)
{
	struct nl_msg *msg;
	struct reply r;

	/* nobody to punch to */
	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PUNCH, DEV, 1, 1, false, &r));
	EXPECT_EQ(ENOENT, r.err);
	EXPECT_EXTACK(r, "no such peer");

	set_cands(_metadata, self, 1, 0, 1, 2, &r);
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	set_cands(_metadata, self, 2, 0, 0, 0, &r);
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);

	/* no private key yet: no probe key */
	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PUNCH, DEV, 1, 1, false, &r));
	EXPECT_EQ(ENOKEY, r.err);

	msg = set_request(self->family);
	nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, 32, alice_priv);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);

	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PUNCH, DEV, 1, 1, false, &r));
	EXPECT_EQ(0, r.err) TH_LOG("%s", r.extack);
	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PING, DEV, 1, 1, false, &r));
	EXPECT_EQ(0, r.err) TH_LOG("%s", r.extack);

	/* peer 2 has no candidates */
	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PING, DEV, 2, 1, false, &r));
	EXPECT_EQ(EDESTADDRREQ, r.err);
	EXPECT_EXTACK(r, "no candidate");

	/* exactly one peer, named by its key and nothing else */
	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PUNCH, DEV, 1, 0, false, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "no peer given");
	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PUNCH, DEV, 1, 2, false, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "exactly one peer");
	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PUNCH, DEV, 1, 1, true, &r));
	EXPECT_EQ(EINVAL, r.err);
	EXPECT_EXTACK(r, "public key only");

	ASSERT_EQ(0, punch(self->sk, self->family, WGM_CMD_PUNCH, "nosuchdev", 1, 1, false, &r));
	EXPECT_EQ(ENODEV, r.err);
}

TEST_F(dev, punch_needs_cap_net_admin)
{
	struct nl_sock *sk;
	struct reply r;
	int family;

	set_cands(_metadata, self, 1, 0, 1, 1, &r);
	ASSERT_EQ(0, r.err) TH_LOG("%s", r.extack);
	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	sk = open_sock();
	ASSERT_NE(NULL, sk);
	family = genl_ctrl_resolve(sk, WGM_GENL_NAME);
	ASSERT_LT(0, family);
	ASSERT_EQ(0, punch(sk, family, WGM_CMD_PUNCH, DEV, 1, 1, false, &r));
	EXPECT_EQ(EPERM, r.err);
	ASSERT_EQ(0, punch(sk, family, WGM_CMD_PING, DEV, 1, 1, false, &r));
	EXPECT_EQ(EPERM, r.err);
	nl_socket_free(sk);
}

/*
 * A local address that is not loopback (loopback candidates are refused):
 * on lo, so two devices in one namespace reach each other through it.
 */
#define LOCAL_ADDR 0x0a63000a		/* 10.99.0.10 */
#define LOCAL_ADDR_CMD "ip addr add 10.99.0.10/32 dev lo"

/* @ifname: private key @priv, port @port, one peer @peer_pub reachable at LOCAL_ADDR:@peer_port. */
static void loop_device(struct __test_metadata *_metadata, FIXTURE_DATA(dev) *self,
			const char *ifname, const uint8_t *priv, uint16_t port,
			const uint8_t *peer_pub, uint16_t peer_port)
{
	struct nl_msg *msg = request(self->family, WGM_CMD_SET_DEVICE, 0);
	struct nlattr *peers, *peer, *cands;
	struct reply r;

	ASSERT_NE(NULL, msg);
	nla_put_string(msg, WGM_DEVICE_A_IFNAME, ifname);
	nla_put(msg, WGM_DEVICE_A_PRIVATE_KEY, 32, priv);
	nla_put_u16(msg, WGM_DEVICE_A_LISTEN_PORT, port);
	peers = nest(msg, WGM_DEVICE_A_PEERS);
	peer = nest(msg, 0);
	nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, peer_pub);
	cands = nest(msg, WGM_PEER_A_CANDIDATES);
	put_cand4(msg, LOCAL_ADDR, peer_port);
	nla_nest_end(msg, cands);
	nla_nest_end(msg, peer);
	nla_nest_end(msg, peers);
	ASSERT_EQ(0, transact(self->sk, msg, &r));
	ASSERT_EQ(0, r.err) TH_LOG("%s: %s", ifname, r.extack);
}

/* What an event listener saw about wgmt0's peer bob. */
struct seen {
	int events;		/* WGM_CMD_EVENT about that peer */
	int with_cands;		/* ... carrying its candidates */
	int typed;		/* ... with a WGM_DEVICE_A_EVENT of a known type */
	int path_to_cand;	/* ... saying the path is now LOCAL_ADDR:41002 */
	int other;		/* anything else from the family */
};

static bool is_loop_cand(const struct nlattr *a)
{
	const struct sockaddr_in *sin = nla_data(a);

	return nla_len(a) == sizeof(*sin) && sin->sin_family == AF_INET &&
	       sin->sin_addr.s_addr == htonl(LOCAL_ADDR) &&
	       sin->sin_port == htons(41002);
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[WGM_DEVICE_A_MAX + 1], *p, *a, *ev[WGM_EVENT_A_MAX + 1];
	struct seen *seen = arg;
	bool ours = false, cands = false;
	int rem, prem;

	if (gh->cmd != WGM_CMD_EVENT ||
	    genlmsg_parse(nlh, 0, tb, WGM_DEVICE_A_MAX, NULL) ||
	    !tb[WGM_DEVICE_A_IFNAME] || !tb[WGM_DEVICE_A_PEERS]) {
		seen->other++;
		return NL_OK;
	}
	if (strcmp(nla_get_string(tb[WGM_DEVICE_A_IFNAME]), DEV))
		return NL_OK;
	nla_for_each_nested(p, tb[WGM_DEVICE_A_PEERS], rem) {
		nla_for_each_nested(a, p, prem) {
			if (nla_type(a) == WGM_PEER_A_PUBLIC_KEY && nla_len(a) == 32 &&
			    !memcmp(nla_data(a), bob_pub, 32))
				ours = true;
			if (nla_type(a) == WGM_PEER_A_CANDIDATES)
				cands = true;
		}
	}
	if (!ours)
		return NL_OK;
	seen->events++;
	seen->with_cands += cands;
	if (tb[WGM_DEVICE_A_EVENT] &&
	    !nla_parse_nested(ev, WGM_EVENT_A_MAX, tb[WGM_DEVICE_A_EVENT], NULL) &&
	    ev[WGM_EVENT_A_TYPE] && nla_get_u8(ev[WGM_EVENT_A_TYPE]) > WGM_EVENT_UNSPEC &&
	    nla_get_u8(ev[WGM_EVENT_A_TYPE]) < __WGM_EVENT_MAX) {
		seen->typed++;
		if (nla_get_u8(ev[WGM_EVENT_A_TYPE]) == WGM_EVENT_PATH_CHANGED &&
		    ev[WGM_EVENT_A_NEW_ENDPOINT] && is_loop_cand(ev[WGM_EVENT_A_NEW_ENDPOINT]))
			seen->path_to_cand++;
	}
	return NL_OK;
}

/*
 * Two devices probing each other over loopback: the listener on the
 * events group hears about wgmt0's peer once a path is found, both as a
 * typed path-changed event naming the candidate and as a snapshot with
 * the peer's candidates.
 */
TEST_F(dev, probing_two_devices_sends_events)
{
	struct timeval tv = { .tv_sec = 1 };
	struct seen seen = { 0 };
	struct nl_sock *ev;
	struct reply r;
	int grp, i;

	ASSERT_EQ(0, system("ip link set lo up && " LOCAL_ADDR_CMD " && ip link add wgmt1 type wgmesh"));
	ev = nl_socket_alloc();
	ASSERT_NE(NULL, ev);
	ASSERT_EQ(0, genl_connect(ev));
	nl_socket_disable_seq_check(ev);
	grp = genl_ctrl_resolve_grp(ev, WGM_GENL_NAME, WGM_MCGRP_EVENTS);
	ASSERT_LT(0, grp);
	ASSERT_EQ(0, nl_socket_add_membership(ev, grp));
	ASSERT_EQ(0, nl_socket_modify_cb(ev, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &seen));
	ASSERT_EQ(0, setsockopt(nl_socket_get_fd(ev), SOL_SOCKET, SO_RCVTIMEO,
				&tv, sizeof(tv)));

	loop_device(_metadata, self, DEV, alice_priv, 41001, bob_pub, 41002);
	loop_device(_metadata, self, "wgmt1", bob_priv, 41002, alice_pub, 41001);
	ASSERT_EQ(0, system("ip link set " DEV " up && ip link set wgmt1 up"));
	/* wait_until: at most 30 receive timeouts of a second */
	for (i = 0; i < 30 && !(seen.path_to_cand && seen.with_cands); i++) {
		if (!(i % 5)) {
			struct nl_msg *msg = request(self->family, WGM_CMD_PUNCH, 0);
			struct nlattr *peers, *peer;

			nla_put_string(msg, WGM_DEVICE_A_IFNAME, DEV);
			peers = nest(msg, WGM_DEVICE_A_PEERS);
			peer = nest(msg, 0);
			nla_put(msg, WGM_PEER_A_PUBLIC_KEY, 32, bob_pub);
			nla_nest_end(msg, peer);
			nla_nest_end(msg, peers);
			ASSERT_EQ(0, transact(self->sk, msg, &r));
			ASSERT_EQ(0, r.err) TH_LOG("PUNCH: %s", r.extack);
		}
		nl_recvmsgs_default(ev);
	}
	EXPECT_LT(0, seen.events) TH_LOG("no event about the peer");
	EXPECT_LT(0, seen.path_to_cand) TH_LOG("no path-changed event to LOCAL_ADDR:41002");
	EXPECT_LT(0, seen.with_cands) TH_LOG("no snapshot with the candidates");
	EXPECT_EQ(0, seen.other);
	TH_LOG("%d events about the peer, %d with candidates, %d typed",
	       seen.events, seen.with_cands, seen.typed);
	nl_socket_free(ev);
}

TEST_HARNESS_MAIN
