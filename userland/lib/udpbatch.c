// SPDX-License-Identifier: GPL-2.0-only
/* Datagrams in batches: recvmmsg in, sendmmsg out (udpbatch.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "udpbatch.h"

int wgm_udpb_init(struct wgm_udpb *b)
{
	memset(b, 0, sizeof(*b));
	b->tx_fd = -1;
	b->buf = malloc((size_t)WGM_UDPB_N * WGM_UDPB_MAX);
	return b->buf ? 0 : -1;
}

void wgm_udpb_free(struct wgm_udpb *b)
{
	free(b->buf);
	b->buf = NULL;
}

unsigned int wgm_udpb_recv(struct wgm_udpb *b, int fd)
{
	unsigned int i;
	int n;

	for (i = 0; i < WGM_UDPB_N; i++) {
		b->rxiov[i].iov_base = b->buf + (size_t)i * WGM_UDPB_MAX;
		b->rxiov[i].iov_len = WGM_UDPB_MAX;
		b->rx[i].msg_hdr = (struct msghdr){
			.msg_name = &b->from[i],
			.msg_namelen = sizeof(b->from[i]),
			.msg_iov = &b->rxiov[i],
			.msg_iovlen = 1,
		};
		b->rx[i].msg_len = 0;
	}
	n = recvmmsg(fd, b->rx, WGM_UDPB_N, MSG_DONTWAIT, NULL);
	b->nrx = n > 0 ? (unsigned int)n : 0;
	return b->nrx;
}

const uint8_t *wgm_udpb_get(const struct wgm_udpb *b, unsigned int i, size_t *len,
			    union wgm_sockaddr *src)
{
	const struct sockaddr_storage *ss = &b->from[i];
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	memset(src, 0, sizeof(*src));
	if (ss->ss_family == AF_INET) {
		memcpy(&src->in, ss, sizeof(src->in));
	} else if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		src->in.sin_family = AF_INET;
		src->in.sin_port = s6->sin6_port;
		memcpy(&src->in.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	} else if (ss->ss_family == AF_INET6) {
		memcpy(&src->in6, ss, sizeof(src->in6));
	}
	*len = b->rx[i].msg_hdr.msg_flags & MSG_TRUNC ? 0 : b->rx[i].msg_len;
	return b->buf + (size_t)i * WGM_UDPB_MAX;
}

void wgm_udpb_queue(struct wgm_udpb *b, unsigned int i, int fd,
		    const union wgm_sockaddr *dst, bool v6sock)
{
	struct sockaddr_storage *to;
	socklen_t tl;
	unsigned int k;

	if (b->ntx && (b->tx_fd != fd || b->ntx == WGM_UDPB_N))
		wgm_udpb_flush(b);
	k = b->ntx;
	to = &b->to[k];
	memset(to, 0, sizeof(*to));
	if (dst->sa.sa_family == AF_INET && v6sock) {
		struct sockaddr_in6 *m6 = (struct sockaddr_in6 *)to;

		m6->sin6_family = AF_INET6;
		m6->sin6_port = dst->in.sin_port;
		m6->sin6_addr.s6_addr[10] = m6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m6->sin6_addr.s6_addr[12], &dst->in.sin_addr, 4);
		tl = sizeof(*m6);
	} else if (dst->sa.sa_family == AF_INET) {
		memcpy(to, &dst->in, sizeof(dst->in));
		tl = sizeof(dst->in);
	} else {
		memcpy(to, &dst->in6, sizeof(dst->in6));
		tl = sizeof(dst->in6);
	}
	b->txiov[k].iov_base = b->rxiov[i].iov_base;
	b->txiov[k].iov_len = b->rx[i].msg_len;
	b->tx[k].msg_hdr = (struct msghdr){
		.msg_name = to,
		.msg_namelen = tl,
		.msg_iov = &b->txiov[k],
		.msg_iovlen = 1,
	};
	b->tx_fd = fd;
	b->ntx++;
}

void wgm_udpb_flush(struct wgm_udpb *b)
{
	unsigned int done = 0;
	int n;

	while (done < b->ntx) {
		n = sendmmsg(b->tx_fd, b->tx + done, b->ntx - done, MSG_DONTWAIT);
		if (n > 0) {
			done += (unsigned int)n;
			b->sent += (unsigned int)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/*
		 * The first datagram left in the queue failed (a full socket
		 * buffer, an ICMP error reported late): drop it, send the rest.
		 */
		done++;
		b->send_dropped++;
	}
	b->ntx = 0;
}
