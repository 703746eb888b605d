// SPDX-License-Identifier: GPL-2.0-only
/*
 * The userland netlink reply parser (userland/lib/nlmsg.c): what meshadm,
 * meshd and the event monitor do with the bytes of one recv() from a
 * netlink socket, i.e. wgm_nl_process() walking the messages, decoding
 * NLMSG_ERROR / NLMSG_DONE with extended acks, and handing every other
 * message to wgm_dump_parse() (GET_DEVICE dumps and events, joined into one
 * device as nl.c does) and wgm_genl_family_parse(); then the parsed device
 * is printed the three ways meshadm prints one.
 *
 * Input: a mode byte (bit 0: a port id to match; bit 1: colour), then the
 * received bytes, copied to an aligned buffer as recv() would leave them.
 * Checked: no out-of-bounds access, leak or UB, and an error result
 * always has an errno and a NUL-terminated extack.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <string.h>

#include "format.h"
#include "fuzz.h"
#include "nlmsg.h"
#include "conffile.h"

#define SEQ 7
#define PORTID 4242
#define FAMILY 0x1234

static int data_cb(const struct nlmsghdr *nlh, void *data, struct wgm_err *err)
{
	struct mesh_conf_device *dev = data;
	uint16_t id;

	if (!wgm_genl_family_parse(nlh, &id))
		return 0;
	return wgm_dump_parse(nlh, dev, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct wgm_clock clk = { .realtime_sec = 1700000000, .boottime_ns = 5000000000ULL };
	char extack[256];
	struct mesh_conf_device dev;
	struct wgm_err err;
	struct wgm_buf b;
	enum wgm_nl_batch st;
	bool intr = false;
	uint8_t mode;
	void *buf;
	int errnum;

	if (!size)
		return 0;
	mode = data[0];
	size--;
	buf = malloc(size ? size : 1);	/* malloc: aligned, and exactly sized for ASan */
	FUZZ_CHECK(buf);
	memcpy(buf, data + 1, size);

	mesh_conf_device_init(&dev);
	st = wgm_nl_process(buf, size, SEQ, mode & 1 ? PORTID : 0, data_cb, &dev, &errnum,
			    extack, sizeof(extack), &intr, &err);
	FUZZ_CHECK(st == WGM_NL_BATCH_MORE || st == WGM_NL_BATCH_DONE ||
		   st == WGM_NL_BATCH_ERROR);
	FUZZ_CHECK(memchr(extack, '\0', sizeof(extack)));
	if (st == WGM_NL_BATCH_ERROR && errnum) {
		FUZZ_CHECK(errnum > 0);
		wgm_nl_errno_msg(&err, WGM_NL_OP_GET, errnum, extack, "wgm0");
		FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
	}

	/* what meshadm prints of it: show, JSON, showconf */
	wgm_buf_init(&b);
	wgm_show_device(&b, &dev, &clk, mode & 2);
	wgm_json_device(&b, &dev, &clk);
	wgm_conf_format(&b, &dev);
	FUZZ_CHECK(!b.oom);
	wgm_buf_free(&b);

	mesh_conf_device_free(&dev);
	free(buf);
	return 0;
}

/* ---- seeds: replies as the kernel sends them ---- */

static void emit_msgs(fuzz_emit_fn emit, const char *name, uint8_t mode, const void *m,
		      size_t len)
{
	uint8_t *buf = malloc(len + 1);

	FUZZ_CHECK(buf);
	buf[0] = mode;
	memcpy(buf + 1, m, len);
	emit(name, buf, len + 1);
	free(buf);
}

/* A device like a GET_DEVICE dump describes it (a SET_DEVICE has the same layout). */
static void sample_device(struct mesh_conf_device *dev, unsigned int n_aips)
{
	struct mesh_conf_peer *p;
	struct mesh_conf_aip *a;
	struct mesh_conf_cand *c;
	unsigned int i;

	mesh_conf_device_init(dev);
	snprintf(dev->name, sizeof(dev->name), "wgm0");
	dev->has = MESH_CONF_DEV_HAS_PRIVATE_KEY | MESH_CONF_DEV_HAS_LISTEN_PORT |
		   MESH_CONF_DEV_HAS_FWMARK;
	memset(dev->private_key, 0x11, WGM_KEY_LEN);
	dev->listen_port = 51820;
	dev->fwmark = 0x10;
	p = mesh_conf_device_add_peer(dev);
	memset(p->public_key, 0x22, WGM_KEY_LEN);
	p->has = MESH_CONF_PEER_HAS_ENDPOINT | MESH_CONF_PEER_HAS_KEEPALIVE |
		 MESH_CONF_PEER_HAS_CANDIDATES;
	p->endpoint.in.sin_family = AF_INET;
	p->endpoint.in.sin_port = htons(51820);
	p->endpoint.in.sin_addr.s_addr = htonl(0xc0000201);
	p->keepalive = 25;
	p->flags = WGM_PEER_F_REPLACE_CANDIDATES;
	for (i = 0; i < 2; i++) {
		c = mesh_conf_peer_add_cand(p);
		memset(c, 0, sizeof(*c));
		c->endpoint.in6.sin6_family = AF_INET6;
		c->endpoint.in6.sin6_port = htons(4500 + i);
		c->endpoint.in6.sin6_addr.s6_addr[0] = 0x20;
		c->endpoint.in6.sin6_addr.s6_addr[15] = (uint8_t)i;
	}
	for (i = 0; i < n_aips; i++) {
		a = mesh_conf_peer_add_aip(p);
		memset(a, 0, sizeof(*a));
		a->family = i % 2 ? AF_INET6 : AF_INET;
		a->cidr = i % 2 ? 64 : 24;
		if (a->family == AF_INET)
			a->addr.ip4.s_addr = htonl(0x0a000000 + (i << 8));
		else
			a->addr.ip6.s6_addr[0] = 0xfd;
	}
	p = mesh_conf_device_add_peer(dev);
	memset(p->public_key, 0x33, WGM_KEY_LEN);
}

/* The device as one or more messages of a dump, then NLMSG_DONE. */
static size_t dump_of(const struct mesh_conf_device *dev, uint8_t *out, size_t cap)
{
	struct wgm_set_iter it;
	struct wgm_err err;
	struct nlmsghdr *nlh;
	size_t len = 0;
	int n;

	wgm_set_iter_init(&it, dev);
	while (!wgm_set_iter_done(&it)) {
		FUZZ_CHECK(cap - len >= WGM_NL_SET_MSG_SIZE);
		n = wgm_set_build_next(&it, out + len, WGM_NL_SET_MSG_SIZE, FAMILY, SEQ, &err);
		FUZZ_CHECK(n >= 0);
		if (!n)
			break;
		nlh = (struct nlmsghdr *)(out + len);
		nlh->nlmsg_flags = NLM_F_MULTI;
		nlh->nlmsg_pid = PORTID;
		len += MNL_ALIGN((size_t)n);
	}
	nlh = mnl_nlmsg_put_header(out + len);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = SEQ;
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = 0;
	return len + nlh->nlmsg_len;
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	static uint8_t buf[4 * WGM_NL_SET_MSG_SIZE];
	struct mesh_conf_device dev;
	struct nlmsghdr *nlh, *req;
	struct nlmsgerr *e;
	struct genlmsghdr *g;
	size_t n;

	sample_device(&dev, 3);
	emit_msgs(emit, "dump", 0, buf, dump_of(&dev, buf, sizeof(buf)));
	mesh_conf_device_free(&dev);
	sample_device(&dev, 300);
	emit_msgs(emit, "dump-split", 1, buf, dump_of(&dev, buf, sizeof(buf)));
	mesh_conf_device_free(&dev);

	/* NLMSG_ERROR EINVAL with the request echoed and an extack message */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS;
	nlh->nlmsg_seq = SEQ;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EINVAL;
	req = &e->msg;
	req->nlmsg_len = sizeof(*req);
	req->nlmsg_type = FAMILY;
	req->nlmsg_seq = SEQ;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "peer: invalid public key");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
	emit_msgs(emit, "error-extack", 0, buf, nlh->nlmsg_len);
	/* the plain ACK */
	e->error = 0;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(*e);
	emit_msgs(emit, "ack", 0, buf, nlh->nlmsg_len);

	/* CTRL_CMD_NEWFAMILY for "wgmesh" */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_seq = SEQ;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_NEWFAMILY;
	g->version = 2;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "wgmesh");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	n = nlh->nlmsg_len;
	emit_msgs(emit, "family", 0, buf, n);
}
