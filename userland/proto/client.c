// SPDX-License-Identifier: GPL-2.0-only
/*
 * libmeshproto, client session: connect, handshake and HELLO/WELCOME
 * for an agent, and the messages an agent sends.
 * The wire format is described in Documentation/coordination.rst.
 */
#include "proto.h"
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

/* ---- client ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int64_t deadline, struct mp_err *err)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return mp_fail(err, MP_ERR_NONE, "timed out");
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return mp_fail(err, MP_ERR_NONE, "poll: %s",
				    strerror(errno));
	}
}

static int connect_to(const char *server, int64_t deadline,
		      struct mp_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char host[256];
	const char *port;
	int fd = -1, r;

	uint16_t portnum;

	if (mp_split_hostport(server, host, sizeof(host), &port) ||
	    mp_parse_port(port, &portnum, false))
		return mp_fail(err, MP_ERR_NONE,
			    "bad server address '%s' (HOST:PORT, port 1-65535)",
			    server);
	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		return mp_fail(err, MP_ERR_NONE, "%s: %s", server,
			    gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS &&
		    wait_fd(fd, POLLOUT, deadline, err) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr == 0)
			break;
		mp_fail(err, MP_ERR_NONE, "connect %s: %s", server,
		     strerror(soerr ? soerr : errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		mp_sock_tune(fd);
	return fd;
}

/*
 * The service closed (or reset) the connection without a word while our
 * handshake was pending.  A service that cannot open message 1 says so
 * (MP_HSREJ_KEY), one at its limits sends MP_BUSY_NOTICE; one that closes
 * at once is refusing the connection anyway: its limits (an older service),
 * or a firewall or proxy in between.
 */
static void hs_closed(struct mp_err *err)
{
	char was[sizeof(err->msg)];

	snprintf(was, sizeof(was), "%s", err->msg);
	mp_fail(err, MP_ERR_BUSY,
	     "the service closed the connection before authentication (overloaded or refusing this address?): %s",
	     was);
}

/* A refusal frame from the service (unauthenticated: only reported). */
static void hs_refused(struct mp_err *err, unsigned int reason)
{
	switch (reason) {
	case MP_HSREJ_KEY:
		mp_fail(err, MP_ERR_KEY,
		     "the service's key does not match --coord-key (it could not open our handshake)");
		break;
	default:
		mp_fail(err, MP_ERR_NONE,
		     "the service refused the handshake (reason %u)", reason);
	}
}

/* Write the whole queue, blocking (with the deadline). */
static int exchange(struct mp_conn *c, int64_t deadline, struct mp_err *err)
{
	while (mp_conn_want_write(c)) {
		int r = mp_conn_flush(c, err);

		if (r < 0)
			return -1;
		if (r > 0 && wait_fd(c->fd, POLLOUT, deadline, err))
			return -1;
	}
	return 0;
}

/*
 * One attempt with HELLO version `version`.  -2 (only when version > 1):
 * the service closed the connection after HELLO without a word, or
 * answered ERROR PROTO: a service older than this version.
 */
static int connect_once(struct mp_conn *c, const struct mp_client_cfg *cfg,
			uint8_t version, int64_t deadline,
			struct mp_welcome *welcome, struct mp_err *err)
{
	struct mp_hs_client hs;
	uint8_t msg1[MP_HS1_LEN];
	const uint8_t *body;
	struct mp_msg m;
	size_t len;
	int fd, r;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!mp_name_valid(cfg->name))
		return mp_fail(err, MP_ERR_NAME, "invalid node name '%s'",
			    cfg->name);
	fd = connect_to(cfg->server, deadline, err);
	if (fd < 0)
		return -1;
	if (mp_conn_init(c, fd, 1 << 20)) {
		close(fd);
		return mp_fail(err, MP_ERR_NONE, "fcntl: %s", strerror(errno));
	}
	if (mp_hs_client_start(&hs, cfg->node_priv, cfg->server_pub, msg1)) {
		mp_fail(err, MP_ERR_NONE, "bad key");
		goto fail;
	}
	if (mp_conn_queue_raw(c, msg1, sizeof(msg1), err))
		goto fail_hs;
	if (exchange(c, deadline, err)) {
		if (err && err->code == MP_ERR_NONE && strcmp(err->msg, "timed out"))
			hs_closed(err);
		goto fail_hs;
	}
	for (;;) {
		r = mp_conn_read_frame(c, &body, &len, err);
		if (r < 0) {
			/* EOF or reset with nothing read: see hs_closed */
			if (err && err->code == MP_ERR_NONE && !c->rlen)
				hs_closed(err);
			goto fail_hs;
		}
		if (r > 0)
			break;
		if (wait_fd(c->fd, POLLIN, deadline, err))
			goto fail_hs;
	}
	if (len == sizeof(MP_BUSY_NOTICE) - 1 &&
	    !memcmp(body, MP_BUSY_NOTICE, len)) {
		mp_fail(err, MP_ERR_BUSY, "the service refused the connection: too many connections pending (unauthenticated notice); retry later");
		goto fail_hs;
	}
	if (len == MP_HSREJ_LEN && !memcmp(body, mp_hs_magic, 4)) {
		hs_refused(err, (unsigned int)body[4] << 8 | body[5]);
		goto fail_hs;
	}
	if (len != MP_HS2_LEN) {
		mp_fail(err, MP_ERR_NONE, "handshake: bad answer (%zu bytes)", len);
		goto fail_hs;
	}
	if (mp_hs_client_finish(&hs, body, &c->chan)) {	/* wipes hs */
		mp_fail(err, MP_ERR_NONE,
		     "handshake failed (wrong service public key?)");
		goto fail;
	}
	c->established = true;
	memset(&m, 0, sizeof(m));
	if (cfg->relay) {
		/* a meshrelay: no auth key, its key is registered */
		m.type = MP_RELAY_HELLO;
		m.u.relay_hello = *cfg->relay;
		m.u.relay_hello.version = version;
		snprintf(m.u.relay_hello.name, sizeof(m.u.relay_hello.name), "%s",
			 cfg->name);
	} else {
		m.type = MP_HELLO;
		m.u.hello.version = version;
		snprintf(m.u.hello.name, sizeof(m.u.hello.name), "%s", cfg->name);
	}
	if (!cfg->relay && cfg->authkey &&
	    snprintf(m.u.hello.authkey, sizeof(m.u.hello.authkey), "%s",
		     cfg->authkey) > MP_AUTHKEY_MAX) {
		mp_fail(err, MP_ERR_AUTH, "auth key too long");
		goto fail;
	}
	r = mp_conn_send(c, &m, err);
	sodium_memzero(&m, sizeof(m));
	if (r || exchange(c, deadline, err))
		goto fail;
	for (;;) {
		r = mp_conn_recv(c, &m, err);
		if (r < 0 && cfg->relay && err && err->code == MP_ERR_NONE && !c->rlen) {
			mp_fail(err, MP_ERR_PROTO,
				"the service closed the connection after RELAY_HELLO: it is older than protocol version %d and knows no meshrelay; upgrade meshcoord",
				MP_RELAYS_VERSION);
			goto fail;
		}
		if (r < 0 && version > 1 && err && err->code == MP_ERR_NONE &&
		    !c->rlen) {
			mp_conn_close(c);
			return -2;	/* closed after HELLO: an older service */
		}
		if (r < 0)
			goto fail;
		if (r > 0)
			break;
		if (wait_fd(c->fd, POLLIN, deadline, err))
			goto fail;
	}
	if (m.type == MP_ERROR && m.u.error.code == MP_ERR_PROTO && version > 1 &&
	    !cfg->relay) {
		mp_conn_close(c);
		return -2;
	}
	if (m.type == MP_ERROR) {
		mp_fail(err, m.u.error.code, "service refused: %s",
		     m.u.error.text);
		goto fail;
	}
	if (m.type != MP_WELCOME) {
		mp_fail(err, MP_ERR_PROTO, "expected WELCOME, got %s",
		     mp_type_name(m.type));
		goto fail;
	}
	if (welcome) {
		*welcome = m.u.welcome;
		/* a version-1 service never sends version-2 fields */
		if (version < 2)
			memset(&welcome->stun, 0, sizeof(welcome->stun));
		welcome->hello_version = version;
	}
	/* the service said 8 too: relayed datagrams go in clear frames */
	c->clear_relay = !cfg->relay && version >= MP_CLEAR_RELAY_VERSION;
	return 0;
fail_hs:
	sodium_memzero(&hs, sizeof(hs));
fail:
	mp_conn_close(c);
	return -1;
}

int mp_client_connect(struct mp_conn *c, const struct mp_client_cfg *cfg,
		      struct mp_welcome *welcome, struct mp_err *err)
{
	int64_t deadline = now_ms() + (cfg->timeout_ms > 0 ? cfg->timeout_ms :
				       10000);
	int r;

	uint8_t v = cfg->version ? cfg->version : MP_HELLO_VERSION;

	/* A service older than version v: again, one version lower. */
	while ((r = connect_once(c, cfg, v, deadline, welcome, err)) == -2)
		v--;
	return r;
}

int mp_send_candidates(struct mp_conn *c, const struct mp_candidate *cand,
		       unsigned int n, bool kinds, struct mp_err *err)
{
	struct mp_msg m = { .type = MP_CANDIDATES };

	if (n > MP_MAX_CANDIDATES)
		return mp_fail(err, MP_ERR_NONE, "too many candidates (%u > %d)",
			    n, MP_MAX_CANDIDATES);
	m.u.cand.n = (uint8_t)n;
	m.u.cand.kinds = kinds;
	memcpy(m.u.cand.c, cand, n * sizeof(*cand));
	return mp_conn_send(c, &m, err);
}

int mp_send_ping(struct mp_conn *c, uint64_t token, struct mp_err *err)
{
	struct mp_msg m = { .type = MP_PING, .u.token = token };

	return mp_conn_send(c, &m, err);
}

int mp_send_nat(struct mp_conn *c, uint8_t nat, struct mp_err *err)
{
	struct mp_msg m = { .type = MP_NAT, .u.nat = nat };

	return mp_conn_send(c, &m, err);
}

int mp_send_punch_request(struct mp_conn *c, const uint8_t peer[MP_KEY_LEN],
			  struct mp_err *err)
{
	struct mp_msg m = { .type = MP_PUNCH_REQUEST };

	memcpy(m.u.punch_req, peer, MP_KEY_LEN);
	return mp_conn_send(c, &m, err);
}


int mp_send_home_relay(struct mp_conn *c, const char *name, uint32_t rtt_us,
		       struct mp_err *err)
{
	struct mp_msg m = { .type = MP_HOME_RELAY };

	snprintf(m.u.home_relay.name, sizeof(m.u.home_relay.name), "%s", name);
	m.u.home_relay.rtt_us = rtt_us;
	return mp_conn_send(c, &m, err);
}
