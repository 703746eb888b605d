// SPDX-License-Identifier: GPL-2.0-only
/* Datagrams in batches: recvmmsg in, sendmmsg out (udpbatch.h). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>

#include "udpbatch.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT	103	/* linux/udp.h, since Linux 4.18 */
#endif
#ifndef SOL_UDP
#define SOL_UDP		17
#endif

int wgm_udpb_init(struct wgm_udpb *b)
{
	memset(b, 0, sizeof(*b));
	b->tx_fd = -1;
	b->gso_max = WGM_UDPB_MAX;
	b->buf = malloc((size_t)WGM_UDPB_N * WGM_UDPB_MAX);
	return b->buf ? 0 : -1;
}

int wgm_udpb_sockbufs(int fd)
{
	int want = WGM_UDPB_SOCKBUF, got = 0;
	socklen_t gl = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl))
		return -1;
	return got;
}

void wgm_udpb_free(struct wgm_udpb *b)
{
	free(b->buf);
	b->buf = NULL;
	b->ntx = b->nmsg = b->nrx = 0;	/* what was queued is dropped */
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

/*
 * Can a datagram of @len bytes to @to (@tl bytes) ride along in message m?
 * Its segment size is its first datagram's length; a shorter last one
 * closes it.
 */
static bool joins(const struct wgm_udpb *b, unsigned int m, size_t len,
		  const struct sockaddr_storage *to, socklen_t tl)
{
	const struct msghdr *h = &b->tx[m].msg_hdr;
	size_t seg = h->msg_iov[0].iov_len, nseg = h->msg_iovlen;

	if (b->gso_off || seg > b->gso_max || len > seg || h->msg_iov[nseg - 1].iov_len < seg)
		return false;
	if (nseg >= WGM_UDPB_GSO_SEGS || (nseg + 1) * seg > WGM_UDPB_GSO_BYTES)
		return false;
	return h->msg_namelen == tl && !memcmp(h->msg_name, to, tl);
}

/* A queue for another socket, or a full one, leaves first. */
static void make_room(struct wgm_udpb *b, int fd)
{
	if (b->ntx && (b->tx_fd != fd || b->ntx == WGM_UDPB_N))
		wgm_udpb_flush(b);
}

/* Queues @len bytes at @base to leave from fd to dst (room made). */
static void add(struct wgm_udpb *b, uint8_t *base, size_t len, int fd,
		const union wgm_sockaddr *dst, bool v6sock)
{
	struct sockaddr_storage to;
	unsigned int k, m;
	socklen_t tl;

	memset(&to, 0, sizeof(to));
	if (dst->sa.sa_family == AF_INET && v6sock) {
		struct sockaddr_in6 *m6 = (struct sockaddr_in6 *)&to;

		m6->sin6_family = AF_INET6;
		m6->sin6_port = dst->in.sin_port;
		m6->sin6_addr.s6_addr[10] = m6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m6->sin6_addr.s6_addr[12], &dst->in.sin_addr, 4);
		tl = sizeof(*m6);
	} else if (dst->sa.sa_family == AF_INET) {
		memcpy(&to, &dst->in, sizeof(dst->in));
		tl = sizeof(dst->in);
	} else {
		memcpy(&to, &dst->in6, sizeof(dst->in6));
		tl = sizeof(dst->in6);
	}
	k = b->ntx++;
	b->tx_fd = fd;
	b->txiov[k].iov_base = base;
	b->txiov[k].iov_len = len;
	if (b->nmsg && joins(b, b->nmsg - 1, len, &to, tl)) {
		b->tx[b->nmsg - 1].msg_hdr.msg_iovlen++;
		return;
	}
	m = b->nmsg++;
	b->to[m] = to;
	b->tx[m].msg_hdr = (struct msghdr){
		.msg_name = &b->to[m],
		.msg_namelen = tl,
		.msg_iov = &b->txiov[k],
		.msg_iovlen = 1,
	};
}

void wgm_udpb_queue(struct wgm_udpb *b, unsigned int i, int fd,
		    const union wgm_sockaddr *dst, bool v6sock)
{
	make_room(b, fd);
	add(b, b->rxiov[i].iov_base, b->rx[i].msg_len, fd, dst, v6sock);
}

int wgm_udpb_queue_copy(struct wgm_udpb *b, const uint8_t *data, size_t len, int fd,
			const union wgm_sockaddr *dst, bool v6sock)
{
	uint8_t *slot;

	if (!len || len > WGM_UDPB_MAX)
		return -1;
	make_room(b, fd);
	slot = b->buf + (size_t)b->ntx * WGM_UDPB_MAX;
	memcpy(slot, data, len);
	add(b, slot, len, fd, dst, v6sock);
	return 0;
}

/* Message m as separate datagrams, no offload: how many left. */
static unsigned int send_each(struct wgm_udpb *b, unsigned int m)
{
	struct msghdr one = b->tx[m].msg_hdr;
	unsigned int j, ok = 0;

	one.msg_iovlen = 1;
	one.msg_control = NULL;
	one.msg_controllen = 0;
	for (j = 0; j < b->tx[m].msg_hdr.msg_iovlen; j++) {
		one.msg_iov = &b->tx[m].msg_hdr.msg_iov[j];
		if (sendmsg(b->tx_fd, &one, MSG_DONTWAIT) >= 0)
			ok++;
	}
	return ok;
}

void wgm_udpb_flush(struct wgm_udpb *b)
{
	struct cmsghdr *cm;
	struct msghdr *h;
	unsigned int m, done = 0, ok;
	uint16_t gso;
	int n, err;

	for (m = 0; m < b->nmsg; m++) {
		h = &b->tx[m].msg_hdr;
		h->msg_control = NULL;
		h->msg_controllen = 0;
		if (h->msg_iovlen < 2)
			continue;
		h->msg_control = b->ctl[m].buf;
		h->msg_controllen = sizeof(b->ctl[m].buf);
		cm = CMSG_FIRSTHDR(h);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(gso));
		gso = (uint16_t)h->msg_iov[0].iov_len;
		memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
	}
	while (done < b->nmsg) {
		n = sendmmsg(b->tx_fd, b->tx + done, b->nmsg - done, MSG_DONTWAIT);
		if (n > 0) {
			for (m = done; m < done + (unsigned int)n; m++) {
				b->sent += b->tx[m].msg_hdr.msg_iovlen;
				b->gso_msgs += b->tx[m].msg_hdr.msg_iovlen > 1;
			}
			done += (unsigned int)n;
			continue;
		}
		err = n < 0 ? errno : 0;
		if (err == EINTR)
			continue;
		h = &b->tx[done++].msg_hdr;
		if (h->msg_iovlen > 1 &&
		    (err == ENOPROTOOPT || err == EOPNOTSUPP || err == EIO ||
		     err == EINVAL || err == EMSGSIZE)) {
			ok = send_each(b, done - 1);
			/* each went out alone: the offload was refused, not they */
			if (ok == h->msg_iovlen && (err == EINVAL || err == EMSGSIZE))
				b->gso_max = h->msg_iov[0].iov_len - 1;
			else if (ok == h->msg_iovlen)
				b->gso_off = true;
			b->sent += ok;
			b->send_dropped += h->msg_iovlen - ok;
			continue;
		}
		/*
		 * The first message left in the queue failed (a full socket
		 * buffer, an ICMP error reported late): drop it, send the rest.
		 */
		b->send_dropped += h->msg_iovlen;
	}
	b->ntx = 0;
	b->nmsg = 0;
}
