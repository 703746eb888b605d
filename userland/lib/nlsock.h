/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one netlink send/receive loop: a libmnl socket, a request sent on it
 * and its replies (one or many, a dump ending in NLMSG_DONE, an ACK or an
 * error with extended-ack text) walked by nlmsg.c's wgm_nl_process().
 */
#ifndef WGM_NLSOCK_H
#define WGM_NLSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "nlmsg.h"

struct mnl_socket;

struct wgm_nl {
	struct mnl_socket *sock;
	uint16_t family;	/* generic netlink family; 0 for rtnetlink */
	uint32_t portid;
	uint32_t seq;		/* last request's sequence number */
	char *buf;		/* WGM_NL_RECV_SIZE bytes */
	const char *what;	/* "netlink" or "rtnetlink", for messages */
};

/* What went wrong with a request, for the caller's own message. */
struct wgm_nl_reply {
	int errnum;		/* the kernel's error (positive), 0 if none */
	int sock_errno;		/* a failed send or receive: its errno */
	char extack[256];	/* the kernel's extended-ack text, or "" */
	bool intr;		/* a dump message had NLM_F_DUMP_INTR */
};

/*
 * Open and bind a socket of protocol proto (NETLINK_GENERIC or
 * NETLINK_ROUTE) with extended acks asked for.  what names it in messages.
 */
int wgm_nl_sock_open(struct wgm_nl *nl, int proto, const char *what,
		     struct wgm_err *err);
void wgm_nl_sock_close(struct wgm_nl *nl);

/*
 * Receive one buffer into nl->buf, retrying on EINTR.  Returns its length,
 * or -1 with errno kept and err set to "<what> receive: <errno text>".
 */
ssize_t wgm_nl_recv(struct wgm_nl *nl, struct wgm_err *err);

/*
 * Send the len-byte request req (its nlmsg_seq selects the replies) and
 * read until the ACK or NLMSG_DONE, passing each data message to cb (may
 * be NULL).  Returns 0 or -1 with err set and *r saying why: a socket
 * failure ("<what> send/receive: ...", r->sock_errno), the kernel's error
 * (its errno text, r->errnum and r->extack) or cb's failure (both 0).
 */
int wgm_nl_transact(struct wgm_nl *nl, const void *req, size_t len,
		    wgm_nl_data_cb cb, void *data, struct wgm_nl_reply *r,
		    struct wgm_err *err);

#endif /* WGM_NLSOCK_H */
