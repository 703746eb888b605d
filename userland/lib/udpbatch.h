/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Datagrams in batches, for the relays (meshcoord's embedded one and
 * meshrelay): one recvmmsg(2) reads up to WGM_UDPB_N datagrams from a
 * relay port, and the ones to forward are queued and leave by sendmmsg(2),
 * one call per run of datagrams that go out of the same socket.  Two
 * system calls per batch instead of two per datagram: the relay's cost per
 * packet is then mostly the UDP stack's own.
 *
 * A datagram longer than WGM_UDPB_MAX is truncated by the kernel: it is
 * reported with length 0 (dropped, never forwarded in part).  Sends are
 * best effort, as sendto(MSG_DONTWAIT) was: what the socket cannot take
 * now is dropped, and WireGuard's own retransmission covers it.
 *
 * IPv4 destinations on an AF_INET6 (dual-stack) socket must be written
 * IPv4-mapped: wgm_udpb_queue() does it when @v6sock says so.
 *
 * Segmentation offload: consecutive datagrams queued to the same address
 * with the same length (the last one may be shorter), as a WireGuard data
 * stream is, leave in one message with UDP_SEGMENT (udp(7)).  The stack,
 * every router on the way and the receiver's NIC or UDP layer see one
 * packet until it is cut into the original datagrams, so the relay's
 * cost per datagram falls again.  The receiver gets the same datagrams in
 * the same order.  A kernel without it (ENOPROTOOPT, EOPNOTSUPP), a route
 * that cannot take it (EIO) or a segment the path MTU refuses (EINVAL,
 * EMSGSIZE) makes that message go out one datagram at a time, and turns
 * the offload off (or lowers the largest segment offered) from then on.
 */
#ifndef WGM_UDPBATCH_H
#define WGM_UDPBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

#define WGM_UDPB_N	32
#define WGM_UDPB_MAX	65535
/* one offloaded message: at most this many segments, this many bytes */
#define WGM_UDPB_GSO_SEGS	64
#define WGM_UDPB_GSO_BYTES	65000

struct wgm_udpb {
	/* received: rx[i].msg_len bytes in buf + i * WGM_UDPB_MAX */
	unsigned int nrx;
	struct mmsghdr rx[WGM_UDPB_N];
	struct iovec rxiov[WGM_UDPB_N];
	struct sockaddr_storage from[WGM_UDPB_N];
	uint8_t *buf;
	/*
	 * Queued to send from tx_fd: ntx datagrams (txiov, pointing into buf)
	 * in nmsg messages; message m carries tx[m].msg_hdr.msg_iovlen of
	 * them, consecutive in txiov, each as long as the first but the last,
	 * which may be shorter (then the message takes no more).
	 */
	int tx_fd;
	unsigned int ntx, nmsg;
	struct mmsghdr tx[WGM_UDPB_N];
	struct iovec txiov[WGM_UDPB_N];
	struct sockaddr_storage to[WGM_UDPB_N];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[WGM_UDPB_N];
	/* offload state: off for good, and the largest segment to offer */
	bool gso_off;
	size_t gso_max;
	/* counters since init: datagrams sent and dropped, offloaded messages */
	uint64_t sent, send_dropped, gso_msgs;
};

/* 0, or -1 (errno ENOMEM). */
int wgm_udpb_init(struct wgm_udpb *b);
/*
 * A relaying socket's receive and send buffers: WGM_UDPB_SOCKBUF bytes each,
 * past net.core.rmem_max/wmem_max when the process has CAP_NET_ADMIN, else
 * as much as those allow.  A tunnel hands over bursts (a segmentation-
 * offloaded send is dozens of datagrams at once) while the relay's process
 * may be off the CPU; the default (about 200 KiB) drops part of such a
 * burst, and each drop costs the tunnelled TCP flows half their window.
 * Best effort: the buffer the kernel grants is returned (bytes, as
 * SO_RCVBUF reads), or -1 if none could be read.
 */
#define WGM_UDPB_SOCKBUF	(4 << 20)
int wgm_udpb_sockbufs(int fd);
/* Frees the buffers; what is queued is dropped, unsent. */
void wgm_udpb_free(struct wgm_udpb *b);
/*
 * Reads what fd (non-blocking) holds, up to WGM_UDPB_N datagrams: their
 * number (0 when none or on an error).  Anything still queued to send
 * must have been flushed: the buffers are reused.
 */
unsigned int wgm_udpb_recv(struct wgm_udpb *b, int fd);
/*
 * Datagram i of the last wgm_udpb_recv(): its bytes (*len 0: truncated,
 * drop it) and its source, IPv4-mapped sources written as IPv4.
 */
const uint8_t *wgm_udpb_get(const struct wgm_udpb *b, unsigned int i, size_t *len,
			    union wgm_sockaddr *src);
/*
 * Queues datagram i of the last wgm_udpb_recv() to leave from fd to dst;
 * a queue for another socket is flushed first.
 */
void wgm_udpb_queue(struct wgm_udpb *b, unsigned int i, int fd,
		    const union wgm_sockaddr *dst, bool v6sock);
/*
 * Queues a copy of @len bytes (1..WGM_UDPB_MAX) to leave from fd to dst;
 * -1 for a bad length.  The copy goes where received datagrams are kept:
 * between two flushes, use this or wgm_udpb_queue(), not both, and
 * flush before the next wgm_udpb_recv().
 */
int wgm_udpb_queue_copy(struct wgm_udpb *b, const uint8_t *data, size_t len, int fd,
			const union wgm_sockaddr *dst, bool v6sock);
/* Sends what is queued. */
void wgm_udpb_flush(struct wgm_udpb *b);

#endif
