// SPDX-License-Identifier: GPL-2.0-only
/* Batched relaying (udpbatch.h) over loopback sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "testutil.h"

#include "addr.h"
#include "udpbatch.h"

/* A non-blocking UDP socket on 127.0.0.1 (or ::, dual-stack), any port. */
static int sock(int family, union wgm_sockaddr *at)
{
	socklen_t sl = sizeof(*at);
	int fd, off = 0;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		abort();
	memset(at, 0, sizeof(*at));
	if (family == AF_INET) {
		at->in.sin_family = AF_INET;
		at->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		at->in6.sin6_family = AF_INET6;
	}
	if (bind(fd, &at->sa, family == AF_INET ? sizeof(at->in) : sizeof(at->in6)) ||
	    getsockname(fd, &at->sa, &sl))
		abort();
	if (family == AF_INET6) {	/* reach it at 127.0.0.1, IPv4 */
		in_port_t port = at->in6.sin6_port;

		memset(at, 0, sizeof(*at));
		at->in.sin_family = AF_INET;
		at->in.sin_port = port;
		at->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	return fd;
}

static void send_n(int fd, const union wgm_sockaddr *to, unsigned int n)
{
	uint8_t b[200];
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(b, (int)i, sizeof(b));
		if (sendto(fd, b, 100 + i, 0, &to->sa, sizeof(to->in)) != (ssize_t)(100 + i))
			abort();
	}
}

TEST(batches_of_32_in_order_and_forwarded)
{
	union wgm_sockaddr a, r1, r2, c, src;
	int fa = sock(AF_INET, &a), f1 = sock(AF_INET, &r1);
	int f2 = sock(AF_INET, &r2), fc = sock(AF_INET, &c);
	unsigned int i, n, total = 0;
	struct wgm_udpb b;
	uint8_t got[200];
	const uint8_t *p;
	size_t len;

	ASSERT_EQ(0, wgm_udpb_init(&b));
	send_n(fa, &r1, 40);
	n = wgm_udpb_recv(&b, f1);
	ASSERT_EQ(WGM_UDPB_N, n);
	for (i = 0; i < n; i++) {
		p = wgm_udpb_get(&b, i, &len, &src);
		ASSERT_EQ(100 + i, len);
		ASSERT_EQ(i & 0xff, p[len - 1]);
		ASSERT_TRUE(wgm_endpoint_equal(&src, &a));
		/* out of the other relay socket to c */
		wgm_udpb_queue(&b, i, f2, &c, false);
	}
	wgm_udpb_flush(&b);
	n = wgm_udpb_recv(&b, f1);
	ASSERT_EQ(8, n);
	for (i = 0; i < n; i++)
		wgm_udpb_queue(&b, i, f2, &c, false);
	wgm_udpb_flush(&b);
	ASSERT_EQ(0, wgm_udpb_recv(&b, f1));
	EXPECT_EQ(40, b.sent);
	EXPECT_EQ(0, b.send_dropped);
	/* c got all 40, in order, from r2 */
	for (i = 0;; i++) {
		struct sockaddr_in from;
		socklen_t sl = sizeof(from);
		ssize_t r = recvfrom(fc, got, sizeof(got), 0, (struct sockaddr *)&from, &sl);

		if (r < 0)
			break;
		EXPECT_EQ(100 + i, r);
		EXPECT_EQ(i & 0xff, got[r - 1]);
		EXPECT_EQ(r2.in.sin_port, from.sin_port);
		total++;
	}
	EXPECT_EQ(40, total);
	wgm_udpb_free(&b);
	close(fa);
	close(f1);
	close(f2);
	close(fc);
}

TEST(dual_stack_socket_maps_and_unmaps_ipv4)
{
	union wgm_sockaddr a, r, c, src;
	int fa = sock(AF_INET, &a), fr = sock(AF_INET6, &r), fc = sock(AF_INET, &c);
	struct wgm_udpb b;
	uint8_t got[200];
	size_t len;

	ASSERT_EQ(0, wgm_udpb_init(&b));
	send_n(fa, &r, 1);
	ASSERT_EQ(1, wgm_udpb_recv(&b, fr));
	wgm_udpb_get(&b, 0, &len, &src);
	/* the source comes as IPv4, not ::ffff:127.0.0.1 */
	EXPECT_EQ(AF_INET, src.sa.sa_family);
	EXPECT_TRUE(wgm_endpoint_equal(&src, &a));
	/* and an IPv4 destination leaves the IPv6 socket IPv4-mapped */
	wgm_udpb_queue(&b, 0, fr, &c, true);
	wgm_udpb_flush(&b);
	EXPECT_EQ(1, b.sent);
	EXPECT_EQ(100, recv(fc, got, sizeof(got), 0));
	wgm_udpb_free(&b);
	close(fa);
	close(fr);
	close(fc);
}

TEST(a_failed_send_drops_that_datagram_only)
{
	union wgm_sockaddr a, r, c, v6dst;
	int fa = sock(AF_INET, &a), fr = sock(AF_INET, &r), fc = sock(AF_INET, &c);
	struct wgm_udpb b;
	uint8_t got[200];

	ASSERT_EQ(0, wgm_udpb_init(&b));
	send_n(fa, &r, 3);
	ASSERT_EQ(3, wgm_udpb_recv(&b, fr));
	/* an IPv6 destination on an IPv4 socket fails: the others still go */
	memset(&v6dst, 0, sizeof(v6dst));
	v6dst.in6.sin6_family = AF_INET6;
	v6dst.in6.sin6_port = htons(9);
	v6dst.in6.sin6_addr = in6addr_loopback;
	wgm_udpb_queue(&b, 0, fr, &c, false);
	wgm_udpb_queue(&b, 1, fr, &v6dst, false);
	wgm_udpb_queue(&b, 2, fr, &c, false);
	wgm_udpb_flush(&b);
	EXPECT_EQ(2, b.sent);
	EXPECT_EQ(1, b.send_dropped);
	EXPECT_EQ(100, recv(fc, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(102, recv(fc, got, sizeof(got), MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(fc, got, sizeof(got), MSG_DONTWAIT));
	wgm_udpb_free(&b);
	close(fa);
	close(fr);
	close(fc);
}

/* n datagrams of len bytes each (the last one last bytes), byte j of k = k+j */
static void send_stream(int fd, const union wgm_sockaddr *to, unsigned int n, size_t len,
			size_t last)
{
	uint8_t b[1500];
	unsigned int k;
	size_t j, l;

	for (k = 0; k < n; k++) {
		l = k == n - 1 ? last : len;
		for (j = 0; j < l; j++)
			b[j] = (uint8_t)(k + j);
		if (sendto(fd, b, l, 0, &to->sa, sizeof(to->in)) != (ssize_t)l)
			abort();
	}
}

/* What fc holds: a send_stream(n, len, last)?  How many, or 1000+/2000+ where not. */
static unsigned int recv_stream(int fc, size_t len, size_t last, unsigned int n)
{
	unsigned int got = 0;
	uint8_t buf[1500];
	ssize_t r;
	size_t j;

	while ((r = recv(fc, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		if ((size_t)r != (got == n - 1 ? last : len))
			return 1000 + got;
		for (j = 0; j < (size_t)r; j++)
			if (buf[j] != (uint8_t)(got + j))
				return 2000 + got;
		got++;
	}
	return got;
}

/* Relays what fr holds to c out of fo; returns what c got, checked. */
static unsigned int relay_and_count(struct wgm_udpb *b, int fr, int fo, int fc,
				    const union wgm_sockaddr *c, size_t len, size_t last,
				    unsigned int n)
{
	unsigned int i, k;

	while ((k = wgm_udpb_recv(b, fr)) > 0) {
		for (i = 0; i < k; i++)
			wgm_udpb_queue(b, i, fo, c, false);
		wgm_udpb_flush(b);
	}
	return recv_stream(fc, len, last, n);
}

/* A sender a, the relay's two ports r (in) and o (out), a receiver c. */
FIXTURE(relay)
{
	union wgm_sockaddr a, r, o, c;
	int fa, fr, fo, fc;
	struct wgm_udpb b;
};

FIXTURE_SETUP(relay)
{
	int big = 1 << 20;

	self->fa = sock(AF_INET, &self->a);
	self->fr = sock(AF_INET, &self->r);
	self->fo = sock(AF_INET, &self->o);
	self->fc = sock(AF_INET, &self->c);
	setsockopt(self->fr, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(self->fc, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	ASSERT_EQ(0, wgm_udpb_init(&self->b));
}

FIXTURE_TEARDOWN(relay)
{
	wgm_udpb_free(&self->b);
	close(self->fa);
	close(self->fr);
	close(self->fo);
	close(self->fc);
}

TEST_F(relay, a_stream_leaves_offloaded_and_arrives_as_sent)
{
	/* 40 full-size WireGuard data packets and a shorter last one */
	send_stream(self->fa, &self->r, 41, 1452, 200);
	EXPECT_EQ(41, relay_and_count(&self->b, self->fr, self->fo, self->fc, &self->c,
				      1452, 200, 41));
	EXPECT_EQ(41, self->b.sent);
	EXPECT_EQ(0, self->b.send_dropped);
	/* two batches (32 + 9), each one offloaded message */
	EXPECT_EQ(2, self->b.gso_msgs);
	EXPECT_FALSE(self->b.gso_off);
}

TEST_F(relay, mixed_sizes_and_addresses_keep_their_order)
{
	static const size_t lens[] = { 300, 300, 100, 300, 300, 400, 400, 400 };
	unsigned int i, n = sizeof(lens) / sizeof(lens[0]);
	union wgm_sockaddr d;
	int fd = sock(AF_INET, &d);
	uint8_t buf[1500];
	size_t len;

	for (i = 0; i < n; i++) {
		memset(buf, (int)i, lens[i]);
		ASSERT_EQ((ssize_t)lens[i],
			  sendto(self->fa, buf, lens[i], 0, &self->r.sa, sizeof(self->r.in)));
	}
	ASSERT_EQ(n, wgm_udpb_recv(&self->b, self->fr));
	/* the fourth goes to d: it splits the run to c */
	for (i = 0; i < n; i++)
		wgm_udpb_queue(&self->b, i, self->fo, i == 3 ? &d : &self->c, false);
	/* messages: {300,300,100} {300 to d} {300} {400,400,400} */
	EXPECT_EQ(4, self->b.nmsg);
	wgm_udpb_flush(&self->b);
	EXPECT_EQ(n, self->b.sent);
	EXPECT_EQ(2, self->b.gso_msgs);
	for (i = 0; i < n; i++) {
		if (i == 3)
			continue;
		len = (size_t)recv(self->fc, buf, sizeof(buf), MSG_DONTWAIT);
		EXPECT_EQ(lens[i], len);
		EXPECT_EQ(i, buf[0]);
	}
	EXPECT_EQ(-1, recv(self->fc, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(300, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(3, buf[0]);
	close(fd);
}

TEST_F(relay, a_refused_offload_sends_one_by_one_and_stops_offering)
{
	int one = 1;

	/* a socket without UDP checksums cannot segment: EINVAL */
	ASSERT_EQ(0, setsockopt(self->fo, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)));
	send_stream(self->fa, &self->r, 10, 1000, 1000);
	EXPECT_EQ(10, relay_and_count(&self->b, self->fr, self->fo, self->fc, &self->c,
				      1000, 1000, 10));
	EXPECT_EQ(10, self->b.sent);
	EXPECT_EQ(0, self->b.send_dropped);
	EXPECT_EQ(0, self->b.gso_msgs);
	EXPECT_EQ(999, self->b.gso_max);
	/* the next stream of that size is not offered for offload at all */
	send_stream(self->fa, &self->r, 10, 1000, 1000);
	ASSERT_EQ(10, wgm_udpb_recv(&self->b, self->fr));
	wgm_udpb_queue(&self->b, 0, self->fo, &self->c, false);
	wgm_udpb_queue(&self->b, 1, self->fo, &self->c, false);
	EXPECT_EQ(2, self->b.nmsg);
}

/* meshd's TCP carrier: datagrams from frames, copied, 40 of them (> one batch). */
TEST_F(relay, copied_datagrams_leave_in_order_and_offloaded)
{
	uint8_t pkt[1452];
	unsigned int i;

	EXPECT_EQ(-1, wgm_udpb_queue_copy(&self->b, pkt, 0, self->fo, &self->c, false));
	EXPECT_EQ(-1, wgm_udpb_queue_copy(&self->b, pkt, WGM_UDPB_MAX + 1, self->fo,
					  &self->c, false));
	EXPECT_EQ(0, self->b.ntx);
	for (i = 0; i < 40; i++) {
		size_t len = i == 39 ? 200 : sizeof(pkt);
		size_t j;

		for (j = 0; j < len; j++)
			pkt[j] = (uint8_t)(i + j);
		ASSERT_EQ(0, wgm_udpb_queue_copy(&self->b, pkt, len, self->fo, &self->c, false));
		memset(pkt, 0xee, sizeof(pkt));	/* the queue kept its own copy */
	}
	wgm_udpb_flush(&self->b);
	EXPECT_EQ(40, self->b.sent);
	EXPECT_EQ(0, self->b.send_dropped);
	/* a full queue of 32 left first, then the other 8 */
	EXPECT_EQ(2, self->b.gso_msgs);
	EXPECT_EQ(40, recv_stream(self->fc, 1452, 200, 40));
}

TEST(relay_sockets_get_buffers_for_bursts)
{
	union wgm_sockaddr a;
	int fd = sock(AF_INET, &a), before = 0, got;
	socklen_t sl = sizeof(before);

	union wgm_sockaddr b;
	int probe = sock(AF_INET, &b), small = 4096;
	bool cap;

	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &before, &sl));
	/* may this process go past rmem_max (CAP_NET_ADMIN)? */
	cap = setsockopt(probe, SOL_SOCKET, SO_RCVBUFFORCE, &small, sizeof(small)) == 0;
	got = wgm_udpb_sockbufs(fd);
	/* never smaller; with the capability the full size (the kernel doubles it) */
	EXPECT_LE(before, got);
	if (cap)
		EXPECT_LE(WGM_UDPB_SOCKBUF, got);
	close(probe);
	close(fd);
}

TEST_HARNESS_MAIN
