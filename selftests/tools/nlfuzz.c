// SPDX-License-Identifier: GPL-2.0-only
/*
 * nlfuzz: a bounded, seeded, randomized client of the wgmesh generic
 * netlink family (libnl-genl).  It sends well-shaped and malformed
 * requests to the devices it is given: random attribute trees built from
 * the uapi's attribute layout (right and wrong types, sizes, nesting,
 * NLA_F_NESTED or not), random and unknown commands, truncated messages,
 * corrupted attribute lengths, dumps read to the end and dumps abandoned
 * midway (read in part, then closed or left open).
 *
 *   nlfuzz [--seconds N | --iterations N] [--seed S] [--unpriv] --dev NAME...
 *
 * As root it checks that every request is answered (an ACK, an error or a
 * complete dump) and that the socket stays in step; the kernel's health
 * is for the caller to check (dmesg, the device still working).  With
 * --unpriv it drops to nobody first and checks that every command gets
 * EPERM, that no request gets anything else than an error, and that the
 * events group cannot be joined.  The seed is printed first: the same
 * seed and options replay the same sequence of requests.
 *
 * Exit status: 0 pass, 1 a check failed, 2 usage or setup error.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <linux/wgmesh.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEVS	4
#define KEY_POOL	16
#define MAX_ABANDONED	4
#define MAX_DEPTH	4
#define REPLY_TIMEOUT_S	60
#define MSG_SIZE	16384

/* ---- PRNG (splitmix64: small, seedable, good enough to fuzz) ---------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd64(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n) (n > 0; the bias is irrelevant here) */
static uint32_t rnd(struct rng *r, uint32_t n)
{
	return (uint32_t)(rnd64(r) % n);
}

/* true with probability pct % */
static bool chance(struct rng *r, unsigned int pct)
{
	return rnd(r, 100) < pct;
}

static void rnd_bytes(struct rng *r, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n--)
		*p++ = (uint8_t)rnd64(r);
}

/* ---- the attribute layout, from linux/wgmesh.h ------------------------ */

enum kind {
	K_NONE,		/* not an attribute of this level */
	K_U8, K_U16, K_U32, K_U64,
	K_KEY,		/* WGM_KEY_LEN bytes */
	K_SOCKADDR,
	K_IFNAME,
	K_IPADDR,	/* 4 or 16 bytes */
	K_FAMILY,	/* u16 address family */
	K_TIMESPEC,
	K_NEST,		/* nested attributes of .child */
	K_ARRAY,	/* nested array of nests of .child */
};

enum level { L_DEVICE, L_PEER, L_AIP, L_CAND, L_STUN, L_EVENT, L_PATH, L_MAPPED, L_BDAY, L_N };

struct attr_spec {
	enum kind kind;
	enum level child;
};

static const struct attr_spec device_attrs[WGM_DEVICE_A_MAX + 1] = {
	[WGM_DEVICE_A_IFINDEX] = { K_U32 },
	[WGM_DEVICE_A_IFNAME] = { K_IFNAME },
	[WGM_DEVICE_A_PRIVATE_KEY] = { K_KEY },
	[WGM_DEVICE_A_PUBLIC_KEY] = { K_KEY },
	[WGM_DEVICE_A_FLAGS] = { K_U32 },
	[WGM_DEVICE_A_LISTEN_PORT] = { K_U16 },
	[WGM_DEVICE_A_FWMARK] = { K_U32 },
	[WGM_DEVICE_A_PEERS] = { K_ARRAY, L_PEER },
	[WGM_DEVICE_A_STUN_SERVERS] = { K_ARRAY, L_STUN },
	[WGM_DEVICE_A_MAPPED_ADDRS] = { K_ARRAY, L_MAPPED },
	[WGM_DEVICE_A_EVENT] = { K_NEST, L_EVENT },
	[WGM_DEVICE_A_STUN_DROPPED] = { K_U32 },
};

static const struct attr_spec peer_attrs[WGM_PEER_A_MAX + 1] = {
	[WGM_PEER_A_PUBLIC_KEY] = { K_KEY },
	[WGM_PEER_A_PRESHARED_KEY] = { K_KEY },
	[WGM_PEER_A_FLAGS] = { K_U32 },
	[WGM_PEER_A_ENDPOINT] = { K_SOCKADDR },
	[WGM_PEER_A_PERSISTENT_KEEPALIVE_INTERVAL] = { K_U16 },
	[WGM_PEER_A_LAST_HANDSHAKE_TIME] = { K_TIMESPEC },
	[WGM_PEER_A_RX_BYTES] = { K_U64 },
	[WGM_PEER_A_TX_BYTES] = { K_U64 },
	[WGM_PEER_A_ALLOWEDIPS] = { K_ARRAY, L_AIP },
	[WGM_PEER_A_PROTOCOL_VERSION] = { K_U32 },
	[WGM_PEER_A_PAD] = { K_U64 },
	[WGM_PEER_A_CANDIDATES] = { K_ARRAY, L_CAND },
	[WGM_PEER_A_NAT_KEEPALIVE_INTERVAL] = { K_U16 },
	[WGM_PEER_A_PATH_STATUS] = { K_NEST, L_PATH },
	[WGM_PEER_A_BIRTHDAY] = { K_NEST, L_BDAY },
	[WGM_PEER_A_NAT] = { K_U8 },
};

/* PUNCH's birthday search: well-shaped ones start real searches (bounded) */
static const struct attr_spec bday_attrs[WGM_BIRTHDAY_A_MAX + 1] = {
	[WGM_BIRTHDAY_A_ROLE] = { K_U8 },
	[WGM_BIRTHDAY_A_TARGET] = { K_SOCKADDR },
	[WGM_BIRTHDAY_A_COUNT] = { K_U16 },
	[WGM_BIRTHDAY_A_STATE] = { K_U8 },
	[WGM_BIRTHDAY_A_SOCKETS] = { K_U16 },
	[WGM_BIRTHDAY_A_SENT] = { K_U32 },
	[WGM_BIRTHDAY_A_PORT] = { K_U16 },
};

static const struct attr_spec aip_attrs[WGM_ALLOWEDIP_A_MAX + 1] = {
	[WGM_ALLOWEDIP_A_FAMILY] = { K_FAMILY },
	[WGM_ALLOWEDIP_A_IPADDR] = { K_IPADDR },
	[WGM_ALLOWEDIP_A_CIDR_MASK] = { K_U8 },
	[WGM_ALLOWEDIP_A_FLAGS] = { K_U32 },
};

static const struct attr_spec cand_attrs[WGM_CANDIDATE_A_MAX + 1] = {
	[WGM_CANDIDATE_A_ENDPOINT] = { K_SOCKADDR },
	[WGM_CANDIDATE_A_STATE] = { K_U8 },
	[WGM_CANDIDATE_A_RTT_US] = { K_U32 },
	[WGM_CANDIDATE_A_LAST_SENT] = { K_U64 },
	[WGM_CANDIDATE_A_LAST_SEEN] = { K_U64 },
	[WGM_CANDIDATE_A_PROBES_SENT] = { K_U32 },
	[WGM_CANDIDATE_A_PROBES_LOST] = { K_U32 },
	[WGM_CANDIDATE_A_FLAGS] = { K_U32 },
	[WGM_CANDIDATE_A_PAD] = { K_U64 },
	[WGM_CANDIDATE_A_KIND] = { K_U8 },
	[WGM_CANDIDATE_A_RELAY_ID] = { K_U32 },
	[WGM_CANDIDATE_A_RELAY_KEY] = { K_KEY },
};

static const struct attr_spec stun_attrs[WGM_STUN_A_MAX + 1] = {
	[WGM_STUN_A_ENDPOINT] = { K_SOCKADDR },
	[WGM_STUN_A_MAPPED] = { K_SOCKADDR },
	[WGM_STUN_A_LAST_SUCCESS] = { K_U64 },
	[WGM_STUN_A_REQUESTS] = { K_U32 },
	[WGM_STUN_A_RESPONSES] = { K_U32 },
	[WGM_STUN_A_PAD] = { K_U64 },
};

static const struct attr_spec event_attrs[WGM_EVENT_A_MAX + 1] = {
	[WGM_EVENT_A_TYPE] = { K_U8 },
	[WGM_EVENT_A_OLD_ENDPOINT] = { K_SOCKADDR },
	[WGM_EVENT_A_NEW_ENDPOINT] = { K_SOCKADDR },
	[WGM_EVENT_A_REASON] = { K_U32 },
	[WGM_EVENT_A_VALUE] = { K_U32 },
};

static const struct attr_spec path_attrs[WGM_PATH_A_MAX + 1] = {
	[WGM_PATH_A_FLAGS] = { K_U32 },
	[WGM_PATH_A_PUNCHES] = { K_U32 },
	[WGM_PATH_A_PUNCH_RESULT] = { K_U8 },
	[WGM_PATH_A_LAST_PUNCH] = { K_U64 },
	[WGM_PATH_A_NO_PATH_SINCE] = { K_U64 },
	[WGM_PATH_A_PAD] = { K_U64 },
};

static const struct attr_spec mapped_attrs[WGM_MAPPED_A_MAX + 1] = {
	[WGM_MAPPED_A_ENDPOINT] = { K_SOCKADDR },
	[WGM_MAPPED_A_AGE_MS] = { K_U32 },
	[WGM_MAPPED_A_SERVER] = { K_SOCKADDR },
};

static const struct {
	const struct attr_spec *attrs;
	int max;
} levels[L_N] = {
	[L_DEVICE] = { device_attrs, WGM_DEVICE_A_MAX },
	[L_PEER] = { peer_attrs, WGM_PEER_A_MAX },
	[L_AIP] = { aip_attrs, WGM_ALLOWEDIP_A_MAX },
	[L_CAND] = { cand_attrs, WGM_CANDIDATE_A_MAX },
	[L_STUN] = { stun_attrs, WGM_STUN_A_MAX },
	[L_EVENT] = { event_attrs, WGM_EVENT_A_MAX },
	[L_PATH] = { path_attrs, WGM_PATH_A_MAX },
	[L_MAPPED] = { mapped_attrs, WGM_MAPPED_A_MAX },
	[L_BDAY] = { bday_attrs, WGM_BIRTHDAY_A_MAX },
};

/* ---- state ------------------------------------------------------------ */

struct dev {
	char name[IFNAMSIZ];
	int ifindex;
};

struct fuzz {
	struct rng rng;
	struct nl_sock *sk;		/* requests and their answers */
	int family;
	uint32_t seq;
	bool unpriv;
	struct dev devs[MAX_DEVS];
	int ndevs;
	uint8_t keys[KEY_POOL][WGM_KEY_LEN];
	struct nl_sock *abandoned[MAX_ABANDONED];	/* dumps read in part */
	struct nl_sock *listener;	/* joined to the events group, never read */
	/* what came back */
	unsigned long requests, acks, dumps, dump_msgs, abandoned_dumps;
	unsigned long by_errno[256];
	unsigned long failures;
};

#define FAIL(f, fmt, ...)							\
	do {									\
		fprintf(stderr, "nlfuzz: FAIL: " fmt "\n", ##__VA_ARGS__);	\
		(f)->failures++;						\
	} while (0)

/* ---- building requests ------------------------------------------------- */

static void put_sockaddr(struct fuzz *f, struct nl_msg *msg, int type)
{
	static const char *const v4[] = {
		"10.0.0.1", "192.0.2.7", "203.0.113.9", "127.0.0.1", "0.0.0.0",
		"169.254.1.1", "224.0.0.1", "255.255.255.255", "0.1.2.3", "100.64.0.1",
	};
	static const char *const v6[] = {
		"2001:db8::1", "::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
		"fe80::1", "ff02::1", "64:ff9b::a00:1",
	};
	struct rng *r = &f->rng;

	if (chance(r, 50)) {
		struct sockaddr_in sin = { .sin_family = AF_INET };

		if (chance(r, 80))
			inet_pton(AF_INET, v4[rnd(r, sizeof(v4) / sizeof(v4[0]))], &sin.sin_addr);
		else
			rnd_bytes(r, &sin.sin_addr, sizeof(sin.sin_addr));
		sin.sin_port = chance(r, 10) ? 0 : htons((uint16_t)(1 + rnd(r, 65535)));
		if (chance(r, 5))
			sin.sin_family = (sa_family_t)rnd(r, 64);
		nla_put(msg, type, chance(r, 90) ? (int)sizeof(sin) : (int)rnd(r, 40), &sin);
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
		uint8_t big[40] = { 0 };

		if (chance(r, 80))
			inet_pton(AF_INET6, v6[rnd(r, sizeof(v6) / sizeof(v6[0]))], &sin6.sin6_addr);
		else
			rnd_bytes(r, &sin6.sin6_addr, sizeof(sin6.sin6_addr));
		sin6.sin6_port = chance(r, 10) ? 0 : htons((uint16_t)(1 + rnd(r, 65535)));
		if (chance(r, 20))
			sin6.sin6_scope_id = rnd(r, 4);
		if (chance(r, 5))
			sin6.sin6_family = (sa_family_t)rnd(r, 64);
		memcpy(big, &sin6, sizeof(sin6));
		nla_put(msg, type, chance(r, 90) ? (int)sizeof(sin6) : (int)rnd(r, 40), big);
	}
}

static void put_key(struct fuzz *f, struct nl_msg *msg, int type)
{
	struct rng *r = &f->rng;
	uint8_t key[WGM_KEY_LEN + 8];

	if (chance(r, 85))
		memcpy(key, f->keys[rnd(r, KEY_POOL)], WGM_KEY_LEN);
	else if (chance(r, 50))
		memset(key, 0, sizeof(key));
	else
		rnd_bytes(r, key, sizeof(key));
	nla_put(msg, type, chance(r, 92) ? WGM_KEY_LEN : (int)rnd(r, WGM_KEY_LEN + 8), key);
}

static void put_ifname(struct fuzz *f, struct nl_msg *msg, int type)
{
	struct rng *r = &f->rng;
	char name[IFNAMSIZ + 8];
	size_t i, n;

	if (chance(r, 80) && f->ndevs) {
		nla_put_string(msg, type, f->devs[rnd(r, f->ndevs)].name);
		return;
	}
	n = rnd(r, sizeof(name));
	for (i = 0; i < n; i++)
		name[i] = (char)('a' + rnd(r, 26));
	if (chance(r, 70)) {
		/* a string, maybe too long */
		name[n < sizeof(name) ? n : sizeof(name) - 1] = '\0';
		nla_put_string(msg, type, name);
	} else {
		nla_put(msg, type, (int)n, name);	/* not terminated */
	}
}

static uint64_t small_biased(struct rng *r)
{
	switch (rnd(r, 4)) {
	case 0:
		return rnd(r, 4);
	case 1:
		return rnd(r, 256);
	case 2:
		return rnd(r, 65536);
	default:
		return rnd64(r);
	}
}

static void gen_attrs(struct fuzz *f, struct nl_msg *msg, enum level lv, int depth);

/* One attribute of type @type at level @lv, well-shaped or not. */
static void gen_one(struct fuzz *f, struct nl_msg *msg, enum level lv, int type, int depth)
{
	struct rng *r = &f->rng;
	const struct attr_spec *spec = NULL;
	uint8_t junk[96];
	struct nlattr *n;
	int i, count;

	if (type >= 0 && type <= levels[lv].max)
		spec = &levels[lv].attrs[type];
	if (!spec || spec->kind == K_NONE || chance(r, 8)) {
		/* anything at all: random length, maybe a random nest */
		if (depth < MAX_DEPTH && chance(r, 30)) {
			n = nla_nest_start(msg, type | (chance(r, 50) ? NLA_F_NESTED : 0));
			if (n) {
				gen_attrs(f, msg, (enum level)rnd(r, L_N), depth + 1);
				nla_nest_end_keep_empty(msg, n);
			}
			return;
		}
		rnd_bytes(r, junk, sizeof(junk));
		nla_put(msg, type, (int)rnd(r, sizeof(junk)), junk);
		return;
	}
	switch (spec->kind) {
	case K_U8:
		nla_put_u8(msg, type, (uint8_t)small_biased(r));
		break;
	case K_U16:
		nla_put_u16(msg, type, (uint16_t)small_biased(r));
		break;
	case K_U32:
		/* the ifindex of a target now and then, so requests go deep */
		if (lv == L_DEVICE && type == WGM_DEVICE_A_IFINDEX && f->ndevs && chance(r, 80))
			nla_put_u32(msg, type, (uint32_t)f->devs[rnd(r, f->ndevs)].ifindex);
		else
			nla_put_u32(msg, type, (uint32_t)small_biased(r));
		break;
	case K_U64:
		nla_put_u64(msg, type, small_biased(r));
		break;
	case K_KEY:
		put_key(f, msg, type);
		break;
	case K_SOCKADDR:
		put_sockaddr(f, msg, type);
		break;
	case K_IFNAME:
		put_ifname(f, msg, type);
		break;
	case K_IPADDR:
		rnd_bytes(r, junk, 16);
		if (chance(r, 50))
			junk[0] = 10;
		nla_put(msg, type, chance(r, 45) ? 4 : chance(r, 80) ? 16 : (int)rnd(r, 20), junk);
		break;
	case K_FAMILY:
		nla_put_u16(msg, type, chance(r, 45) ? AF_INET : chance(r, 80) ? AF_INET6 :
				       (uint16_t)rnd(r, 64));
		break;
	case K_TIMESPEC:
		rnd_bytes(r, junk, 16);
		nla_put(msg, type, 16, junk);
		break;
	case K_NEST:
		if (depth >= MAX_DEPTH)
			break;
		n = nla_nest_start(msg, type | (chance(r, 90) ? NLA_F_NESTED : 0));
		if (!n)
			break;
		gen_attrs(f, msg, spec->child, depth + 1);
		nla_nest_end_keep_empty(msg, n);
		break;
	case K_ARRAY:
		if (depth >= MAX_DEPTH)
			break;
		n = nla_nest_start(msg, type | (chance(r, 90) ? NLA_F_NESTED : 0));
		if (!n)
			break;
		count = chance(r, 10) ? (int)rnd(r, 24) : (int)rnd(r, 5);
		for (i = 0; i < count; i++) {
			struct nlattr *e = nla_nest_start(msg, (chance(r, 90) ? 0 : (int)rnd(r, 8)) |
							       (chance(r, 90) ? NLA_F_NESTED : 0));

			if (!e)
				break;
			gen_attrs(f, msg, spec->child, depth + 1);
			nla_nest_end_keep_empty(msg, e);
		}
		nla_nest_end_keep_empty(msg, n);
		break;
	case K_NONE:
		break;
	}
}

static void gen_attrs(struct fuzz *f, struct nl_msg *msg, enum level lv, int depth)
{
	struct rng *r = &f->rng;
	int i, n = (int)rnd(r, depth ? 6 : 5);

	/* the public key first, most of the time, so peers are found */
	if (lv == L_PEER && chance(r, 85))
		gen_one(f, msg, lv, WGM_PEER_A_PUBLIC_KEY, depth);
	for (i = 0; i < n; i++) {
		int type;

		if (chance(r, 85))
			type = 1 + (int)rnd(r, levels[lv].max);
		else if (chance(r, 70))
			type = chance(r, 50) ? 0 : levels[lv].max + 1 + (int)rnd(r, 3);
		else
			type = (int)rnd(r, 0x4000);
		gen_one(f, msg, lv, type, depth);
	}
}

/*
 * A request for command @cmd with NLM_F_DUMP or not.  Most name a target
 * device first; the rest of the tree is random.
 */
static struct nl_msg *gen_request(struct fuzz *f, uint8_t cmd, bool dump)
{
	struct rng *r = &f->rng;
	struct nl_msg *msg = nlmsg_alloc_size(MSG_SIZE);
	struct genlmsghdr *g;
	int flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, ++f->seq, f->family, 0, flags, cmd,
			 chance(r, 95) ? WGM_GENL_VERSION : (uint8_t)rnd(r, 256))) {
		nlmsg_free(msg);
		return NULL;
	}
	/*
	 * A reserved field set is refused by genetlink itself (EINVAL) before
	 * any privilege check: not for --unpriv, whose point is the EPERM.
	 */
	g = nlmsg_data(nlmsg_hdr(msg));
	if (!f->unpriv && chance(r, 3))
		g->reserved = (uint16_t)rnd(r, 65536);
	if (f->ndevs && chance(r, 90)) {
		if (chance(r, 50))
			nla_put_u32(msg, WGM_DEVICE_A_IFINDEX,
				    (uint32_t)f->devs[rnd(r, f->ndevs)].ifindex);
		else
			nla_put_string(msg, WGM_DEVICE_A_IFNAME, f->devs[rnd(r, f->ndevs)].name);
	}
	if (!dump || chance(r, 30))
		gen_attrs(f, msg, L_DEVICE, 0);
	return msg;
}

/*
 * Malformed on the wire: a truncated message (attributes cut short), an
 * attribute length overwritten, bytes flipped.  The netlink and genetlink
 * headers stay whole, so the request still gets an answer.  Returns the
 * length to send.
 */
static size_t corrupt(struct fuzz *f, struct nl_msg *msg)
{
	struct rng *r = &f->rng;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	size_t head = NLMSG_HDRLEN + GENL_HDRLEN;
	size_t len = nlh->nlmsg_len;
	uint8_t *p = (uint8_t *)nlh;
	unsigned int i, n;

	if (len <= head || !chance(r, 25))
		return len;
	switch (rnd(r, 3)) {
	case 0:
		len = head + rnd(r, (uint32_t)(len - head));
		nlh->nlmsg_len = (uint32_t)len;
		break;
	case 1: {
		/* an nla_len at a random 4-byte aligned offset */
		size_t off = head + 4 * rnd(r, (uint32_t)((len - head) / 4));
		uint16_t v = (uint16_t)small_biased(r);

		if (off + 2 <= len)
			memcpy(p + off, &v, sizeof(v));
		break;
	}
	default:
		n = 1 + rnd(r, 4);
		for (i = 0; i < n; i++)
			p[head + rnd(r, (uint32_t)(len - head))] ^= (uint8_t)(1 + rnd(r, 255));
		break;
	}
	return len;
}

/* ---- answers ----------------------------------------------------------- */

struct answer {
	int err;		/* positive errno; 0: ACK or complete dump */
	unsigned int msgs;	/* data messages */
	bool timeout;
};

/*
 * Reads until the answer to @seq ends: NLMSG_ERROR (an ACK or an error)
 * or NLMSG_DONE.  At most @max_msgs data messages are read when it is not
 * 0 (an abandoned dump); messages for other sequence numbers (late ACKs
 * of dumps) are skipped.
 */
static void read_answer(struct nl_sock *sk, uint32_t seq, unsigned int max_msgs,
			struct answer *a)
{
	memset(a, 0, sizeof(*a));
	for (;;) {
		struct sockaddr_nl nla;
		unsigned char *buf = NULL;
		struct nlmsghdr *nlh;
		int n = nl_recv(sk, &nla, &buf, NULL);

		if (n <= 0) {
			a->timeout = true;
			a->err = n == -NLE_AGAIN ? ETIMEDOUT : EIO;
			free(buf);
			return;
		}
		for (nlh = (struct nlmsghdr *)buf; nlmsg_ok(nlh, n); nlh = nlmsg_next(nlh, &n)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = nlmsg_data(nlh);

				a->err = -e->error;
				free(buf);
				return;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int err;

				memcpy(&err, nlmsg_data(nlh), sizeof(err));
				a->err = -err;
				free(buf);
				return;
			}
			a->msgs++;
		}
		free(buf);
		if (max_msgs && a->msgs >= max_msgs)
			return;
	}
}

static struct nl_sock *open_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	int one = 1;

	if (!sk)
		return NULL;
	if (genl_connect(sk)) {
		nl_socket_free(sk);
		return NULL;
	}
	nl_socket_enable_msg_peek(sk);
	nl_socket_disable_auto_ack(sk);
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return sk;
}

/* by_errno[0]: errors beyond 255 */
static void count_errno(struct fuzz *f, int err)
{
	if (err)
		f->by_errno[err > 0 && err < 256 ? err : 0]++;
}

/* --unpriv: what nobody may get back for @cmd. */
static void check_unpriv(struct fuzz *f, uint8_t cmd, bool dump, const struct answer *a)
{
	bool own_form = (cmd == WGM_CMD_GET_DEVICE) == dump;
	bool known = cmd >= WGM_CMD_GET_DEVICE && cmd <= WGM_CMD_PING;

	if (a->msgs)
		FAIL(f, "unprivileged command %u got %u data messages", cmd, a->msgs);
	if (!a->err)
		FAIL(f, "unprivileged command %u%s succeeded", cmd, dump ? " (dump)" : "");
	else if (known && own_form && a->err != EPERM)
		FAIL(f, "unprivileged command %u%s: %s, not EPERM", cmd, dump ? " (dump)" : "",
		     strerror(a->err));
	else if (known && !own_form && a->err != EPERM && a->err != EOPNOTSUPP)
		FAIL(f, "unprivileged command %u in the other form: %s", cmd, strerror(a->err));
}

/* One request on the main socket, answered in full. */
static void one_request(struct fuzz *f)
{
	struct rng *r = &f->rng;
	struct answer a;
	struct nl_msg *msg;
	uint8_t cmd;
	bool dump;
	size_t len;

	switch (rnd(r, 10)) {
	case 0: case 1: case 2: case 3:
		cmd = WGM_CMD_SET_DEVICE;
		break;
	case 4: case 5:
		cmd = WGM_CMD_GET_DEVICE;
		break;
	case 6:
		cmd = WGM_CMD_PUNCH;
		break;
	case 7:
		cmd = WGM_CMD_PING;
		break;
	default:
		cmd = (uint8_t)(chance(r, 70) ? rnd(r, WGM_CMD_MAX + 3) : rnd(r, 256));
		break;
	}
	dump = cmd == WGM_CMD_GET_DEVICE ? chance(r, 90) : chance(r, 5);
	msg = gen_request(f, cmd, dump);
	if (!msg)
		return;
	len = f->unpriv ? nlmsg_hdr(msg)->nlmsg_len : corrupt(f, msg);
	f->requests++;
	if (nl_sendto(f->sk, nlmsg_hdr(msg), len) < 0) {
		FAIL(f, "send of request %lu failed", f->requests);
		nlmsg_free(msg);
		return;
	}
	nlmsg_free(msg);
	read_answer(f->sk, f->seq, 0, &a);
	if (a.timeout) {
		FAIL(f, "no answer to request %lu (command %u%s): %s", f->requests, cmd,
		     dump ? ", dump" : "", strerror(a.err));
		return;
	}
	count_errno(f, a.err);
	if (!a.err)
		f->acks++;
	if (a.msgs) {
		f->dumps++;
		f->dump_msgs += a.msgs;
	}
	if (f->unpriv)
		check_unpriv(f, cmd, dump, &a);
}

/*
 * A dump on its own socket, read for 0 to 2 messages, then left: the
 * socket is kept (up to MAX_ABANDONED, the oldest is closed) or closed now.
 */
static void abandoned_dump(struct fuzz *f)
{
	struct rng *r = &f->rng;
	struct nl_sock *sk = open_sock();
	struct nl_msg *msg;
	struct answer a;
	unsigned int slot;

	if (!sk) {
		FAIL(f, "cannot open a netlink socket");
		return;
	}
	msg = gen_request(f, WGM_CMD_GET_DEVICE, true);
	if (!msg) {
		nl_socket_free(sk);
		return;
	}
	f->requests++;
	if (nl_sendto(sk, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len) < 0)
		FAIL(f, "send of dump %lu failed", f->requests);
	nlmsg_free(msg);
	if (chance(r, 70)) {
		read_answer(sk, f->seq, 1 + rnd(r, 2), &a);
		if (a.timeout)
			FAIL(f, "no answer to dump %lu", f->requests);
		if (f->unpriv)
			check_unpriv(f, WGM_CMD_GET_DEVICE, true, &a);
	}
	f->abandoned_dumps++;
	if (chance(r, 40)) {
		nl_socket_free(sk);
		return;
	}
	slot = rnd(r, MAX_ABANDONED);
	if (f->abandoned[slot])
		nl_socket_free(f->abandoned[slot]);
	f->abandoned[slot] = sk;
}

/*
 * As root, at the start and every RESET_EVERY requests: each device's peers
 * replaced by BIG_PEERS peers with two prefixes and a candidate each (the
 * pool keys among them), so that dumps span several messages, and the peer
 * count stays bounded however many random keys the requests brought.
 */
#define BIG_PEERS	200
#define PEERS_PER_SET	50
#define RESET_EVERY	500

static void reset_peers(struct fuzz *f)
{
	struct answer a;
	int i, p, q;

	for (i = 0; i < f->ndevs; i++) {
		for (p = 0; p < BIG_PEERS; p += PEERS_PER_SET) {
			struct nl_msg *msg = nlmsg_alloc_size(MSG_SIZE);
			struct nlattr *peers;

			if (!msg)
				return;
			genlmsg_put(msg, NL_AUTO_PORT, ++f->seq, f->family, 0,
				    NLM_F_REQUEST | NLM_F_ACK, WGM_CMD_SET_DEVICE, WGM_GENL_VERSION);
			nla_put_u32(msg, WGM_DEVICE_A_IFINDEX, (uint32_t)f->devs[i].ifindex);
			if (!p)
				nla_put_u32(msg, WGM_DEVICE_A_FLAGS, WGM_DEVICE_F_REPLACE_PEERS);
			peers = nla_nest_start(msg, WGM_DEVICE_A_PEERS | NLA_F_NESTED);
			for (q = p; q < p + PEERS_PER_SET; q++) {
				struct nlattr *peer = nla_nest_start(msg, NLA_F_NESTED);
				struct nlattr *list, *e;
				struct sockaddr_in sin = { .sin_family = AF_INET };
				uint8_t key[WGM_KEY_LEN], ip6[16] = { 0xfd };
				uint32_t ip4 = htonl(0x0a000000 | (uint32_t)q << 8);

				if (q < KEY_POOL)
					memcpy(key, f->keys[q], sizeof(key));
				else
					rnd_bytes(&f->rng, key, sizeof(key));
				nla_put(msg, WGM_PEER_A_PUBLIC_KEY, sizeof(key), key);
				list = nla_nest_start(msg, WGM_PEER_A_ALLOWEDIPS | NLA_F_NESTED);
				e = nla_nest_start(msg, NLA_F_NESTED);
				nla_put_u16(msg, WGM_ALLOWEDIP_A_FAMILY, AF_INET);
				nla_put(msg, WGM_ALLOWEDIP_A_IPADDR, 4, &ip4);
				nla_put_u8(msg, WGM_ALLOWEDIP_A_CIDR_MASK, 24);
				nla_nest_end(msg, e);
				e = nla_nest_start(msg, NLA_F_NESTED);
				ip6[14] = (uint8_t)(q >> 8);
				ip6[15] = (uint8_t)q;
				nla_put_u16(msg, WGM_ALLOWEDIP_A_FAMILY, AF_INET6);
				nla_put(msg, WGM_ALLOWEDIP_A_IPADDR, 16, ip6);
				nla_put_u8(msg, WGM_ALLOWEDIP_A_CIDR_MASK, 128);
				nla_nest_end(msg, e);
				nla_nest_end(msg, list);
				list = nla_nest_start(msg, WGM_PEER_A_CANDIDATES | NLA_F_NESTED);
				e = nla_nest_start(msg, NLA_F_NESTED);
				sin.sin_addr.s_addr = htonl(0xc6336400 | (uint32_t)(q % 250 + 1));
				sin.sin_port = htons((uint16_t)(1000 + q));
				nla_put(msg, WGM_CANDIDATE_A_ENDPOINT, sizeof(sin), &sin);
				nla_nest_end(msg, e);
				nla_nest_end(msg, list);
				nla_nest_end(msg, peer);
			}
			nla_nest_end(msg, peers);
			if (nl_sendto(f->sk, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len) >= 0) {
				read_answer(f->sk, f->seq, 0, &a);
				if (a.timeout)
					FAIL(f, "no answer to a peer reset of %s", f->devs[i].name);
				else if (a.err)
					FAIL(f, "peer reset of %s: %s", f->devs[i].name,
					     strerror(a.err));
			}
			nlmsg_free(msg);
		}
	}
}

static void drop_privileges(void)
{
	if (getuid() == 0 || geteuid() == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
			perror("nlfuzz: cannot become nobody");
			exit(2);
		}
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: nlfuzz [--seconds N | --iterations N] [--seed S] [--unpriv] --dev NAME...\n"
		"  --seconds N     run for N seconds (default 20)\n"
		"  --iterations N  send N requests instead\n"
		"  --seed S        PRNG seed (default: from the clock; printed first)\n"
		"  --unpriv        drop to nobody; every command must get EPERM\n"
		"  --dev NAME      a wgmesh device to aim at (up to %d; at least one)\n",
		MAX_DEVS);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "seed", required_argument, NULL, 'S' },
		{ "unpriv", no_argument, NULL, 'u' },
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct fuzz *f = calloc(1, sizeof(*f));
	unsigned long iterations = 0, it;
	double seconds = 20, start;
	uint64_t seed = 0;
	bool have_seed = false;
	char *end;
	int c, i, grp;

	if (!f)
		return 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || seconds <= 0)
				goto bad_usage;
			break;
		case 'i':
			iterations = strtoul(optarg, &end, 0);
			if (*end || !iterations)
				goto bad_usage;
			break;
		case 'S':
			seed = strtoull(optarg, &end, 0);
			if (*end)
				goto bad_usage;
			have_seed = true;
			break;
		case 'u':
			f->unpriv = true;
			break;
		case 'd':
			if (f->ndevs == MAX_DEVS || strlen(optarg) >= IFNAMSIZ)
				goto bad_usage;
			snprintf(f->devs[f->ndevs].name, IFNAMSIZ, "%s", optarg);
			f->devs[f->ndevs].ifindex = (int)if_nametoindex(optarg);
			if (!f->devs[f->ndevs].ifindex) {
				fprintf(stderr, "nlfuzz: no device %s\n", optarg);
				return 2;
			}
			f->ndevs++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad_usage;
		}
	}
	if (optind != argc || !f->ndevs)
		goto bad_usage;
	if (!have_seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	f->rng.s = seed;
	printf("nlfuzz: seed %" PRIu64 " (%s, %s %g)\n", seed, f->unpriv ? "unprivileged" : "root",
	       iterations ? "iterations" : "seconds", iterations ? (double)iterations : seconds);
	fflush(stdout);
	for (i = 0; i < KEY_POOL; i++)
		rnd_bytes(&f->rng, f->keys[i], WGM_KEY_LEN);

	if (f->unpriv)
		drop_privileges();
	f->sk = open_sock();
	if (!f->sk) {
		fprintf(stderr, "nlfuzz: cannot open a generic netlink socket\n");
		return 2;
	}
	f->family = genl_ctrl_resolve(f->sk, WGM_GENL_NAME);
	grp = genl_ctrl_resolve_grp(f->sk, WGM_GENL_NAME, WGM_MCGRP_EVENTS);
	if (f->family < 0 || grp < 0) {
		fprintf(stderr, "nlfuzz: family %s not found (module loaded?)\n", WGM_GENL_NAME);
		return 2;
	}
	f->listener = open_sock();
	if (!f->listener) {
		fprintf(stderr, "nlfuzz: cannot open a generic netlink socket\n");
		return 2;
	}
	if (setsockopt(nl_socket_get_fd(f->listener), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &grp, sizeof(grp))) {
		if (!f->unpriv)
			FAIL(f, "root cannot join the events group: %s", strerror(errno));
	} else if (f->unpriv) {
		FAIL(f, "an unprivileged user joined the events group");
	}

	if (!f->unpriv)
		reset_peers(f);
	start = now_s();
	for (it = 0; iterations ? it < iterations : now_s() - start < seconds; it++) {
		if (chance(&f->rng, 6))
			abandoned_dump(f);
		else
			one_request(f);
		if (!f->unpriv && it % RESET_EVERY == RESET_EVERY - 1)
			reset_peers(f);
		if (f->failures > 20)
			break;
	}
	for (i = 0; i < MAX_ABANDONED; i++)
		if (f->abandoned[i])
			nl_socket_free(f->abandoned[i]);
	nl_socket_free(f->listener);
	nl_socket_free(f->sk);

	printf("nlfuzz: %lu requests in %.1f s: %lu succeeded, %lu dumps (%lu messages), "
	       "%lu abandoned dumps\n", f->requests, now_s() - start, f->acks, f->dumps,
	       f->dump_msgs, f->abandoned_dumps);
	printf("nlfuzz: errors:");
	for (i = 1; i < 256; i++)
		if (f->by_errno[i])
			printf(" %s %lu,", strerrorname_np(i) ? strerrorname_np(i) : "?",
			       f->by_errno[i]);
	printf(" other %lu\n", f->by_errno[0]);
	printf("nlfuzz: seed %" PRIu64 ": %s (%lu failures)\n", seed,
	       f->failures ? "FAIL" : "pass", f->failures);
	return f->failures ? 1 : 0;

bad_usage:
	usage(stderr);
	return 2;
}
