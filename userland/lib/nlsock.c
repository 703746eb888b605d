// SPDX-License-Identifier: GPL-2.0-only
#include "nlsock.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int wgm_nl_sock_open(struct wgm_nl *nl, int proto, const char *what,
		     struct wgm_err *err)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->what = what;
	nl->buf = malloc(WGM_NL_RECV_SIZE);
	if (!nl->buf)
		return wgm_err_set(err, "out of memory");
	nl->sock = mnl_socket_open(proto);
	if (!nl->sock) {
		wgm_err_set(err, "%s socket: %s", what, strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		wgm_err_set(err, "%s bind: %s", what, strerror(errno));
		goto fail;
	}
	/* Best effort: older kernels lack these; errors stay readable. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	return 0;
fail:
	wgm_nl_sock_close(nl);
	return -1;
}

void wgm_nl_sock_close(struct wgm_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

ssize_t wgm_nl_recv(struct wgm_nl *nl, struct wgm_err *err)
{
	ssize_t n;
	int e;

	do
		n = mnl_socket_recvfrom(nl->sock, nl->buf, WGM_NL_RECV_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		e = errno;
		wgm_err_set(err, "%s receive: %s", nl->what, strerror(e));
		errno = e;
	}
	return n;
}

int wgm_nl_transact(struct wgm_nl *nl, const void *req, size_t len,
		    wgm_nl_data_cb cb, void *data, struct wgm_nl_reply *r,
		    struct wgm_err *err)
{
	uint32_t seq = ((const struct nlmsghdr *)req)->nlmsg_seq;
	enum wgm_nl_batch st;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (mnl_socket_sendto(nl->sock, req, len) < 0) {
		r->sock_errno = errno;
		return wgm_err_set(err, "%s send: %s", nl->what,
				   strerror(r->sock_errno));
	}
	for (;;) {
		n = wgm_nl_recv(nl, err);
		if (n < 0) {
			r->sock_errno = errno;
			return -1;
		}
		st = wgm_nl_process(nl->buf, (size_t)n, seq, nl->portid, cb,
				    data, &r->errnum, r->extack,
				    sizeof(r->extack), &r->intr, err);
		if (st == WGM_NL_BATCH_DONE)
			return 0;
		if (st == WGM_NL_BATCH_ERROR)
			return -1;
	}
}
