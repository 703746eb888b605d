// SPDX-License-Identifier: GPL-2.0-only
/*
 * The relay over TCP (Documentation/relay.rst, "TCP fallback").  When no
 * UDP gets out (meshd_want_relay_tcp()), meshd carries each peer's relay
 * allocation over its control connection to meshcoord:
 *
 *   kernel --UDP--> carrier socket (meshd) --RELAY_DATA--> meshcoord
 *   kernel <--UDP-- carrier socket (meshd) <--RELAY_DATA-- meshcoord
 *
 * One carrier socket per relayed peer, bound to the host address the
 * control connection leaves from (the kernel refuses loopback candidates)
 * and a port of the kernel's choosing.  The peer's relay candidate in the
 * kernel becomes that socket's address (struct meshd_relay's @tcp and
 * @local), so the kernel keeps doing everything else: WireGuard, probes,
 * path selection.  Only in this mode does tunnel data pass through
 * userspace.
 *
 * What a carrier takes: datagrams from the tunnel socket only (the host
 * address it is bound to and the device's listen port; IPv4 drops packets
 * from outside that claim a local source address, IPv6 does not, so an
 * IPv6 carrier can be fed by a LAN host forging our address: what it
 * sends reaches the peer as garbage that fails WireGuard or probe
 * authentication, and counts against our relay rate).  Binds are
 * dropped (the side is bound by RELAY_TCP over the authenticated
 * connection).  What it sends: what meshcoord sent for its allocation id,
 * to the tunnel socket only.  A full connection queue drops datagrams,
 * as a full link would.
 *
 * Cost per datagram: the carriers read in batches (recvmmsg) and write
 * what meshcoord sent in batches (sendmmsg, with UDP segmentation offload
 * for a run of same-sized datagrams; udpbatch.h), and the connection
 * reads many frames per read(2) (mp_conn_read_frame).  With a version-8
 * service the datagrams travel in clear frames, outside the channel's
 * encryption (mp_conn_send_relay(); relay.rst, "Clear frames").
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "meshd.h"
#include "portmap.h"
#include "relay.h"

/* The kernel's relay bind (relay.rst, "Bind message"): 32 bytes, type 0xE3. */
#define CARRIER_BIND_LEN	32
#define CARRIER_BIND_TYPE	0xE3

/* Relayed datagrams wait in the connection's queue up to this much. */
#define CARRIER_QUEUE_MAX	(256 * 1024)

static int send_relay_tcp(struct meshd *d, uint32_t id, bool on)
{
	struct mp_msg m = { .type = MP_RELAY_TCP };
	struct mp_err err;

	m.u.relay_tcp.id = id;
	m.u.relay_tcp.on = on;
	if (!mp_conn_send(&d->conn, &m, &err))
		return 0;
	disconnect(d, err.msg);
	return -1;
}

/* A carrier socket on the control connection's local address; -1 on failure. */
static int carrier_open(struct meshd *d, struct meshd_carrier *c)
{
	union wgm_sockaddr a;
	char t[WGM_ADDRSTRLEN];
	socklen_t sl;
	int fd;

	if (meshd_relay_local_addr(d->conn.fd, &a))
		return -1;
	/* the kernel takes only such addresses as candidates */
	if (!wgm_pm_external_ok(&a)) {
		if (!d->carrier_addr_logged)
			logmsg("relay: cannot carry the relay over TCP: the control connection leaves from %s, which the kernel does not take as a candidate (loopback, link-local, ...)",
			       wgm_format_endpoint(&a, t, sizeof(t)));
		d->carrier_addr_logged = true;
		return -1;
	}
	if (a.sa.sa_family == AF_INET)
		a.in.sin_port = 0;
	else
		a.in6.sin6_port = 0;
	fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	sl = a.sa.sa_family == AF_INET ? sizeof(a.in) : sizeof(a.in6);
	if (bind(fd, &a.sa, sl) || getsockname(fd, &a.sa, &sl)) {
		close(fd);
		goto fail;
	}
	wgm_udpb_sockbufs(fd);	/* the kernel's bursts, while we are busy */
	c->fd = fd;
	c->addr = a;
	return 0;
fail:
	logmsg("relay: carrier socket: %s", strerror(errno));
	return -1;
}

static void carrier_drop(struct meshd *d, unsigned int i)
{
	close(d->car[i].fd);
	d->car[i] = d->car[--d->ncar];
}

static struct meshd_carrier *carrier_of(struct meshd *d, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < d->ncar; i++)
		if (d->car[i].id == id)
			return &d->car[i];
	return NULL;
}

void tcprelay_close_all(struct meshd *d)
{
	size_t i;

	while (d->ncar)
		carrier_drop(d, d->ncar - 1);
	wgm_udpb_free(&d->carry);	/* and what was queued for them */
	for (i = 0; i < d->peers.n; i++)
		d->peers.v[i].relay.tcp = false;
	d->relay_tcp = false;
}

void tcprelay_tick(struct meshd *d)
{
	uint64_t now = now_ms();
	struct meshd_carrier *c;
	struct meshd_peer *p;
	char label[128], where[WGM_ADDRSTRLEN];
	bool want, dirty = false;
	unsigned int i;

	if (!d->connected)
		return;
	want = meshd_want_relay_tcp(d->o.relay_tcp, d->welcome.hello_version, d->stun_n,
				    d->stun_n ? now - d->stun_since_ms : 0, d->n_mapped);
	/*
	 * The loop runs this at every wake, a relayed datagram's included:
	 * the carriers are walked only when the mode or the peers' relay
	 * allocations changed (coord_readable sets tcprelay_check).
	 */
	if (want == d->relay_tcp && !d->tcprelay_check)
		return;
	d->tcprelay_check = false;
	if (want != d->relay_tcp)
		logmsg(want ? "relay: %s; relays go over the control connection (TCP)" :
			      "relay: %s; relays go over UDP again",
		       d->o.relay_tcp == MESHD_RELAY_TCP_ALWAYS ? "--relay-tcp always" :
		       want ? "no STUN answer for 10 s: UDP looks blocked" :
		       "a STUN answer came: UDP gets out");
	d->relay_tcp = want;
	/* carriers whose allocation ended, or that are no longer wanted */
	for (i = 0; i < d->ncar;) {
		c = &d->car[i];
		p = meshd_peers_find(&d->peers, c->peer);
		if (p && p->relay.on && p->relay.id == c->id && p->relay.tcp) {
			if (want) {
				i++;
				continue;
			}
			p->relay.tcp = false;	/* the kernel binds over UDP again */
			dirty = true;
			if (send_relay_tcp(d, c->id, false))
				return;		/* disconnected: carriers closed */
		}
		carrier_drop(d, i);
	}
	for (i = 0; want && i < d->peers.n; i++) {
		p = &d->peers.v[i];
		if (!p->relay.on || carrier_of(d, p->relay.id))
			continue;
		if (d->ncar == MESHD_CARRIERS_MAX) {
			if (!d->carrier_full_logged)
				logmsg("relay: %d peers carried over TCP already; %s stays on UDP",
				       MESHD_CARRIERS_MAX, peer_label(p, label, sizeof(label)));
			d->carrier_full_logged = true;
			break;
		}
		if (!d->carry.buf && wgm_udpb_init(&d->carry)) {
			logmsg("relay: cannot carry the relay over TCP: out of memory");
			break;
		}
		c = &d->car[d->ncar];
		if (carrier_open(d, c))
			break;
		c->id = p->relay.id;
		memcpy(c->peer, p->pubkey, MP_KEY_LEN);
		d->ncar++;
		p->relay.tcp = true;
		meshd_cand_from_sockaddr(&p->relay.local, &c->addr);
		dirty = true;
		if (send_relay_tcp(d, c->id, true))
			return;
		logmsg("relay: %s over TCP (carrier %s)", peer_label(p, label, sizeof(label)),
		       wgm_format_endpoint(&c->addr, where, sizeof(where)));
	}
	if (dirty && d->synced)
		sync_kernel(d, NULL);
}

unsigned int tcprelay_pollfds(const struct meshd *d, struct pollfd *pfd)
{
	unsigned int i;

	for (i = 0; i < d->ncar; i++) {
		pfd[i].fd = d->car[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return d->ncar;
}

/* Is @src the tunnel socket, seen from carrier @c? */
static bool from_tunnel(const struct meshd *d, const struct meshd_carrier *c,
			const union wgm_sockaddr *src)
{
	if (!d->listen_port || src->sa.sa_family != c->addr.sa.sa_family)
		return false;
	if (src->sa.sa_family == AF_INET)
		return src->in.sin_port == htons(d->listen_port) &&
		       src->in.sin_addr.s_addr == c->addr.in.sin_addr.s_addr;
	return src->in6.sin6_port == htons(d->listen_port) &&
	       !memcmp(&src->in6.sin6_addr, &c->addr.in6.sin6_addr, 16);
}

void tcprelay_readable(struct meshd *d, int fd)
{
	struct meshd_carrier *c = NULL;
	union wgm_sockaddr src;
	const uint8_t *pkt;
	struct mp_err err;
	unsigned int i, k, n, round;
	size_t len;

	for (i = 0; i < d->ncar && !c; i++)
		if (d->car[i].fd == fd)
			c = &d->car[i];
	/* two batches at most: the other sockets get their turn */
	for (round = 0; c && d->carry.buf && round < 2; round++) {
		n = wgm_udpb_recv(&d->carry, fd);
		for (k = 0; k < n; k++) {
			pkt = wgm_udpb_get(&d->carry, k, &len, &src);
			if (!from_tunnel(d, c, &src) || len == 0 || len > MP_RELAY_DATA_MAX ||
			    (len == CARRIER_BIND_LEN && pkt[0] == CARRIER_BIND_TYPE))
				continue;	/* not the kernel's, too big, or a bind */
			if (!d->connected || d->conn.wlen > CARRIER_QUEUE_MAX) {
				d->carrier_drops++;
				continue;
			}
			if (mp_conn_send_relay(&d->conn, c->id, pkt, len, &err))
				d->carrier_drops++;
		}
		if (n < WGM_UDPB_N)
			break;
	}
}

void tcprelay_from_coord(struct meshd *d, const struct mp_relay_data *rd)
{
	struct meshd_carrier *c = carrier_of(d, rd->id);
	union wgm_sockaddr to;

	if (!c || !d->listen_port || !d->carry.buf) {
		d->carrier_drops++;
		return;
	}
	to = c->addr;
	if (to.sa.sa_family == AF_INET)
		to.in.sin_port = htons(d->listen_port);
	else
		to.in6.sin6_port = htons(d->listen_port);
	if (wgm_udpb_queue_copy(&d->carry, rd->data, rd->len, c->fd, &to, false))
		d->carrier_drops++;
}

void tcprelay_flush(struct meshd *d)
{
	if (d->carry.buf && d->carry.ntx)
		wgm_udpb_flush(&d->carry);
}
