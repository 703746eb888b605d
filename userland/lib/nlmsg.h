/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Socket-free netlink message handling for the wgmesh family: building
 * SET_DEVICE requests (split into as many messages as needed), parsing
 * GET_DEVICE dump messages into a struct mesh_conf_device (joining a peer that is
 * continued in the next message), and decoding NLMSG_ERROR / NLMSG_DONE with
 * their extended-ack text.  nlsock.c adds the socket around these.
 */
#ifndef WGM_NLMSG_H
#define WGM_NLMSG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

/* Size of each SET_DEVICE message we build (one page, like libmnl's). */
#define WGM_NL_SET_MSG_SIZE 4096
/* Receive buffer: the kernel may send dump skbs of up to 32 KiB and more. */
#define WGM_NL_RECV_SIZE 65536

struct wgm_set_iter {
	const struct mesh_conf_device *dev;
	size_t peer;		/* next peer to emit */
	size_t aip;		/* next allowed IP of that peer */
	bool peer_head_sent;	/* its flags/keys/endpoint already went out */
	unsigned int msgs;	/* messages built so far */
};

void wgm_set_iter_init(struct wgm_set_iter *it, const struct mesh_conf_device *dev);
bool wgm_set_iter_done(const struct wgm_set_iter *it);
/*
 * Build the next SET_DEVICE message into buf (buflen bytes, at least 512).
 * Device attributes and WGM_DEVICE_F_REPLACE_PEERS only go in the first
 * message; a peer whose allowed IPs do not fit is continued in the next one
 * with only its public key (plus UPDATE_ONLY if it had it).  Returns the
 * message length, 0 when done, -1 on error (a peer head that cannot fit).
 */
int wgm_set_build_next(struct wgm_set_iter *it, void *buf, size_t buflen,
		       uint16_t family, uint32_t seq, struct wgm_err *err);

/*
 * Put a netlink header (type, flags, seq) and a generic netlink header
 * (cmd, version) at the start of buf; attributes follow.  buf must hold
 * both headers.
 */
struct nlmsghdr *wgm_genl_start(void *buf, uint16_t type, uint16_t flags,
				uint32_t seq, uint8_t cmd, uint8_t version);

/* GET_DEVICE dump request for ifname. */
size_t wgm_get_build(void *buf, size_t buflen, uint16_t family, uint32_t seq,
		     const char *ifname);

/*
 * Merge one GET_DEVICE reply (or a SET_DEVICE request: same layout) into
 * dev.  A first peer whose public key equals dev's last peer continues it.
 */
int wgm_dump_parse(const struct nlmsghdr *nlh, struct mesh_conf_device *dev,
		   struct wgm_err *err);

/* CTRL_CMD_GETFAMILY request and reply. */
size_t wgm_genl_family_build(void *buf, size_t buflen, uint32_t seq,
			     const char *name);
int wgm_genl_family_parse(const struct nlmsghdr *nlh, uint16_t *id);

/*
 * Whether a whole message starts at nlh with remain bytes left.  Use it,
 * not libmnl's mnl_nlmsg_ok(), which lets an nlmsg_len above INT_MAX
 * through (the walk then overruns the buffer or never advances).
 */
bool wgm_nlmsg_ok(const struct nlmsghdr *nlh, int remain);

/*
 * NLMSG_ERROR (or NLMSG_DONE carrying an error) → positive errno (0 for an
 * ACK) and the extack message (NULL when absent; points into nlh).
 */
int wgm_nl_parse_error(const struct nlmsghdr *nlh, const char **extack);

enum wgm_nl_batch {
	WGM_NL_BATCH_MORE,	/* keep reading */
	WGM_NL_BATCH_DONE,	/* NLMSG_DONE / ACK seen */
	WGM_NL_BATCH_ERROR,	/* *errnum and *extack filled */
};

typedef int (*wgm_nl_data_cb)(const struct nlmsghdr *nlh, void *data,
			      struct wgm_err *err);

/*
 * Walk a buffer of received messages for request seq/portid: data messages
 * go to cb (its failure is reported with *errnum = 0), an ACK/DONE ends the
 * exchange, an error reply fills *errnum and extack_buf.  NLM_F_DUMP_INTR on
 * a data message sets *intr.
 */
enum wgm_nl_batch wgm_nl_process(const void *buf, size_t len, uint32_t seq,
				 uint32_t portid, wgm_nl_data_cb cb, void *data,
				 int *errnum, char *extack_buf,
				 size_t extack_len, bool *intr,
				 struct wgm_err *err);

enum wgm_nl_op {
	WGM_NL_OP_GET,
	WGM_NL_OP_SET,
	WGM_NL_OP_LINK,
};

/* One-line explanation for a failed request on device ifname. */
int wgm_nl_errno_msg(struct wgm_err *err, enum wgm_nl_op op, int errnum,
		     const char *extack, const char *ifname);

#endif /* WGM_NLMSG_H */
