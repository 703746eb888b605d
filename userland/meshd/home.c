// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's home relay (relay.rst, "Several relays: meshrelay"): the relays
 * of the service's RELAY_LIST are timed with STUN Binding requests from a
 * socket of meshd's own (one per address family, opened when needed; the
 * tunnel socket is the kernel's), the choice is logic.c's
 * meshd_home_choose(), and the service hears it as HOME_RELAY.  Requests
 * go out in rounds, one per relay, at most one round at a time.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "meshd.h"
#include "relay.h"

#define STUN_HDR	20
#define STUN_COOKIE	"\x21\x12\xa4\x42"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int *home_fd(struct meshd *d, int family)
{
	return family == AF_INET6 ? &d->home_fd6 : &d->home_fd4;
}

void home_close(struct meshd *d)
{
	if (d->home_fd4 >= 0)
		close(d->home_fd4);
	if (d->home_fd6 >= 0)
		close(d->home_fd6);
	d->home_fd4 = d->home_fd6 = -1;
}

static void home_decide(struct meshd *d);

/* RELAY_LIST: entries of family AF_UNSPEC are that port on the service's host. */
void home_list(struct meshd *d, const struct mp_relay_list *l)
{
	struct mp_relay_list r = *l;
	union wgm_sockaddr coord;
	struct mp_candidate c;
	unsigned int i, n = 0;

	for (i = 0; i < l->n; i++) {
		if (r.r[i].ep.family == AF_UNSPEC) {
			if (meshd_relay_coord_addr(d->conn.fd, &coord) ||
			    meshd_cand_from_sockaddr(&c, &coord))
				continue;
			c.port = l->r[i].ep.port;
			r.r[i].ep = c;
		}
		r.r[n++] = r.r[i];
	}
	r.n = (uint8_t)n;
	if (meshd_homes_set(&d->homes, &r))
		logmsg("relay: %u relay(s) to measure", d->homes.n);
	else if (!d->home_sent && d->homes.home >= 0)
		home_decide(d);		/* a new session, the same relays: say it now */
}

/* The choice after a round: logged and reported when it changed. */
static void home_decide(struct meshd *d)
{
	int i = meshd_home_choose(&d->homes);
	const struct meshd_home_relay *r;
	struct mp_err err;
	uint32_t rtt;

	if (i == d->homes.home && d->home_sent)
		return;
	if (i != d->homes.home) {
		d->homes.home = i;
		if (i < 0) {
			logmsg("relay: no relay answers: no home relay");
		} else {
			r = &d->homes.r[i];
			rtt = meshd_home_rtt(r);
			logmsg("relay: home relay %s (RTT %u.%u ms)", r->name, rtt / 1000,
			       rtt % 1000 / 100);
		}
	}
	if (!d->connected || d->welcome.hello_version < MP_RELAYS_VERSION)
		return;
	r = i < 0 ? NULL : &d->homes.r[i];
	if (mp_send_home_relay(&d->conn, r ? r->name : "", r ? meshd_home_rtt(r) : 0, &err))
		disconnect(d, err.msg);
	else
		d->home_sent = true;
}

/* One request to each relay; a socket that cannot be opened is said once. */
static void home_round(struct meshd *d)
{
	struct sockaddr_storage ss;
	uint8_t req[STUN_HDR];
	unsigned int i;
	socklen_t sl;

	for (i = 0; i < d->homes.n; i++) {
		struct meshd_home_relay *r = &d->homes.r[i];
		int *fd = home_fd(d, r->ep.family);

		if (*fd < 0) {
			*fd = socket(r->ep.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (*fd < 0) {
				if (!d->home_sock_logged)
					logmsg("relay: socket for measuring relays: %s", strerror(errno));
				d->home_sock_logged = true;
				continue;
			}
		}
		if (getrandom(r->txid, sizeof(r->txid), 0) != sizeof(r->txid))
			continue;
		memset(req, 0, sizeof(req));
		req[1] = 0x01;			/* Binding request, no attributes */
		memcpy(req + 4, STUN_COOKIE, 4);
		memcpy(req + 8, r->txid, 12);
		sl = mp_candidate_to_sockaddr(&r->ep, &ss);
		r->sent_us = now_us();
		r->pending = sendto(*fd, req, sizeof(req), 0, (struct sockaddr *)&ss, sl) ==
			     (ssize_t)sizeof(req);
		if (!r->pending)
			r->lost++;
	}
}

void home_tick(struct meshd *d)
{
	uint64_t now = now_ms();

	if (!d->homes.n)
		return;
	if (!meshd_home_expire(&d->homes, now_us())) {
		return;			/* the round is still out */
	}
	if (d->homes.rounds && d->home_round_out) {
		d->home_round_out = false;
		home_decide(d);
	}
	if (now < d->homes.next_round_ms)
		return;
	home_round(d);
	d->homes.rounds++;
	d->homes.next_round_ms = meshd_home_next_round(&d->homes, now);
	d->home_round_out = true;
}

uint64_t home_wake(const struct meshd *d)
{
	uint64_t w = d->homes.next_round_ms;
	unsigned int i;

	if (!d->homes.n)
		return UINT64_MAX;
	for (i = 0; i < d->homes.n; i++)
		if (d->homes.r[i].pending) {
			uint64_t t = d->homes.r[i].sent_us / 1000 + MESHD_HOME_TIMEOUT_MS;

			if (t < w)
				w = t;
		}
	return w;
}

/* Answers: a Binding success whose transaction id is a pending request's. */
void home_readable(struct meshd *d, int fd)
{
	uint8_t pkt[512];
	unsigned int i, k;
	ssize_t n;

	for (k = 0; k < 32; k++) {
		n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);
		if (n < 0)
			return;
		if (n < STUN_HDR || pkt[0] != 0x01 || pkt[1] != 0x01 ||
		    memcmp(pkt + 4, STUN_COOKIE, 4))
			continue;
		for (i = 0; i < d->homes.n; i++)
			if (d->homes.r[i].pending && !memcmp(d->homes.r[i].txid, pkt + 8, 12))
				meshd_home_answer(&d->homes, i, now_us());
	}
	if (meshd_home_expire(&d->homes, now_us()) && d->home_round_out) {
		d->home_round_out = false;
		home_decide(d);
	}
}
