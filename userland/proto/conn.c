// SPDX-License-Identifier: GPL-2.0-only
/*
 * libmeshproto, framing: a connection's length-prefixed frames over a
 * non-blocking socket, sealed by its channel.
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

/* ---- connection ---- */

int mp_conn_init(struct mp_conn *c, int fd, size_t wmax)
{
	int fl = fcntl(fd, F_GETFL);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->wmax = wmax;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

void mp_sock_tune(int fd)
{
	int one = 1, lowat = MP_NOTSENT_LOWAT;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
}

void mp_conn_close(struct mp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->wbuf);
	c->wbuf = NULL;
	c->wlen = c->wcap = 0;
	c->established = false;
	mp_chan_wipe(&c->chan);
	sodium_memzero(c->rbuf, sizeof(c->rbuf));
	c->rpos = c->rlen = c->rtaken = 0;
	c->rclear = c->clear_relay = false;
}

/*
 * The read buffer holds rlen bytes from rbuf + rpos: the rest of what the
 * last read() brought, which may be several frames and the head of the
 * next one.  Each read() asks for all the room there is, so a busy
 * connection (relayed datagrams, a peer list) costs about one system
 * call per buffer of frames instead of two per frame.  The frame handed
 * out last (rtaken bytes) stays in place until the next call.
 */
static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A frame's length, without the clear-frame bit. */
static size_t frame_len_at(const uint8_t *p)
{
	return be32_at(p) & ~MP_FRAME_CLEAR;
}

static void consume_taken(struct mp_conn *c)
{
	if (c->rtaken) {
		c->rpos += c->rtaken;
		c->rlen -= c->rtaken;
		c->rtaken = 0;
	}
	if (!c->rlen)
		c->rpos = 0;
}

bool mp_conn_ready(const struct mp_conn *c)
{
	size_t left = c->rlen - c->rtaken, flen;

	if (left < 4)
		return false;
	flen = frame_len_at(c->rbuf + c->rpos + c->rtaken);
	/* a bad length is "ready" too: the next read reports it */
	return flen == 0 || flen > MP_MAX_FRAME || left >= 4 + flen;
}

int mp_conn_read_frame(struct mp_conn *c, const uint8_t **body, size_t *len,
		       struct mp_err *err)
{
	size_t flen;
	ssize_t n;

	consume_taken(c);
	for (;;) {
		if (c->rlen >= 4) {
			flen = frame_len_at(c->rbuf + c->rpos);
			if (flen == 0 || flen > MP_MAX_FRAME)
				return mp_fail(err, MP_ERR_PROTO,
					    "frame length %zu out of range",
					    flen);
			c->rclear = be32_at(c->rbuf + c->rpos) & MP_FRAME_CLEAR;
			if (c->rclear && !c->clear_relay)
				return mp_fail(err, MP_ERR_PROTO,
					    "clear frame, but clear relay frames were not agreed (version %d)",
					    MP_CLEAR_RELAY_VERSION);
			if (c->rlen >= 4 + flen) {
				*body = c->rbuf + c->rpos + 4;
				*len = flen;
				c->rtaken = 4 + flen;
				return 1;
			}
		}
		/* a partial frame moves to the front: it always fits */
		if (c->rpos) {
			memmove(c->rbuf, c->rbuf + c->rpos, c->rlen);
			c->rpos = 0;
		}
		n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
		if (n > 0) {
			c->rlen += (size_t)n;
			continue;
		}
		if (n == 0)
			return mp_fail(err, MP_ERR_NONE, c->rlen ?
				    "connection closed mid-frame" :
				    "connection closed");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return mp_fail(err, MP_ERR_NONE, "read: %s", strerror(errno));
	}
}

static int wbuf_reserve(struct mp_conn *c, size_t add, struct mp_err *err)
{
	size_t want = c->wlen + add, cap;
	uint8_t *p;

	if (want > c->wmax)
		return mp_fail(err, MP_ERR_NONE,
			    "send queue full (%zu bytes): peer too slow",
			    c->wlen);
	if (want <= c->wcap)
		return 0;
	cap = c->wcap ? c->wcap : 4096;
	while (cap < want)
		cap *= 2;
	if (cap > c->wmax)
		cap = c->wmax;
	p = realloc(c->wbuf, cap);
	if (!p)
		return mp_fail(err, MP_ERR_NONE, "out of memory");
	c->wbuf = p;
	c->wcap = cap;
	return 0;
}

int mp_conn_queue_raw(struct mp_conn *c, const uint8_t *body, size_t len,
		      struct mp_err *err)
{
	if (len == 0 || len > MP_MAX_FRAME)
		return mp_fail(err, MP_ERR_NONE, "frame too large");
	if (wbuf_reserve(c, 4 + len, err))
		return -1;
	mp_put_len(c->wbuf + c->wlen, (uint32_t)len);
	memcpy(c->wbuf + c->wlen + 4, body, len);
	c->wlen += 4 + len;
	return 0;
}

int mp_conn_send(struct mp_conn *c, const struct mp_msg *m,
		 struct mp_err *err)
{
	uint8_t pt[MP_MAX_PLAINTEXT];
	int n, f;

	if (!c->established)
		return mp_fail(err, MP_ERR_NONE, "not established");
	n = mp_msg_encode(m, pt, sizeof(pt));
	if (n < 0)
		return mp_fail(err, MP_ERR_NONE, "cannot encode %s message",
			    mp_type_name(m->type));
	if (wbuf_reserve(c, 4 + (size_t)n + MP_TAG_LEN, err))
		return -1;
	f = mp_chan_seal(&c->chan, pt, (size_t)n, c->wbuf + c->wlen,
			 c->wcap - c->wlen);
	sodium_memzero(pt, (size_t)n);
	if (f < 0)
		return mp_fail(err, MP_ERR_NONE, "cannot seal frame");
	c->wlen += (size_t)f;
	return 0;
}

int mp_conn_send_relay(struct mp_conn *c, uint32_t id, const uint8_t *data,
		       size_t len, struct mp_err *err)
{
	struct mp_msg m;
	uint8_t *p;

	if (!c->established)
		return mp_fail(err, MP_ERR_NONE, "not established");
	if (!id || !len || len > MP_RELAY_DATA_MAX)
		return mp_fail(err, MP_ERR_NONE,
			    "relayed datagram of %zu bytes: out of range", len);
	if (!c->clear_relay) {
		m.type = MP_RELAY_DATA;
		m.u.relay_data.id = id;
		m.u.relay_data.len = (uint16_t)len;
		memcpy(m.u.relay_data.data, data, len);
		return mp_conn_send(c, &m, err);
	}
	/* length word with the clear bit, the side's id, the datagram */
	if (wbuf_reserve(c, 8 + len, err))
		return -1;
	p = c->wbuf + c->wlen;
	mp_put_len(p, (uint32_t)(4 + len) | MP_FRAME_CLEAR);
	mp_put_len(p + 4, id);
	memcpy(p + 8, data, len);
	c->wlen += 8 + len;
	return 0;
}

/* A clear frame's body as the MP_RELAY_DATA it stands for. */
static int clear_frame_msg(const uint8_t *body, size_t len, struct mp_msg *m,
			   struct mp_err *err)
{
	uint32_t id;

	if (len < 5 || len > 4 + MP_RELAY_DATA_MAX)
		return mp_fail(err, MP_ERR_PROTO,
			    "clear frame of %zu bytes: not a relayed datagram",
			    len);
	id = be32_at(body);
	if (!id)
		return mp_fail(err, MP_ERR_PROTO, "clear frame for relay side 0");
	m->type = MP_RELAY_DATA;
	m->u.relay_data.id = id;
	m->u.relay_data.len = (uint16_t)(len - 4);
	memcpy(m->u.relay_data.data, body + 4, len - 4);
	return 1;
}

int mp_conn_recv(struct mp_conn *c, struct mp_msg *m, struct mp_err *err)
{
	uint8_t pt[MP_MAX_PLAINTEXT];
	const uint8_t *body;
	unsigned int type;
	size_t len;
	int r, n;

	if (!c->established)
		return mp_fail(err, MP_ERR_PROTO, "not established");
	r = mp_conn_read_frame(c, &body, &len, err);
	if (r <= 0)
		return r;
	if (c->rclear)
		return clear_frame_msg(body, len, m, err);
	n = mp_chan_open(&c->chan, body, len, pt, sizeof(pt));
	if (n < 0)
		return mp_fail(err, MP_ERR_PROTO,
			    "frame of %zu bytes failed authentication", len);
	r = mp_msg_decode(m, pt, (size_t)n);
	type = n ? pt[0] : 0;
	sodium_memzero(pt, (size_t)n);
	if (r < 0)
		return mp_fail(err, MP_ERR_PROTO,
			    "malformed message (type %u, %d bytes)", type, n);
	return 1;
}

int mp_conn_flush(struct mp_conn *c, struct mp_err *err)
{
	size_t off = 0;
	ssize_t n;

	while (off < c->wlen) {
		n = send(c->fd, c->wbuf + off, c->wlen - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		return mp_fail(err, MP_ERR_NONE, "send: %s",
			    n < 0 ? strerror(errno) : "short write");
	}
	if (off) {
		memmove(c->wbuf, c->wbuf + off, c->wlen - off);
		c->wlen -= off;
	}
	/* a burst (a full peer list) left a large buffer: give it back */
	if (!c->wlen && c->wcap > MP_WBUF_KEEP) {
		free(c->wbuf);
		c->wbuf = NULL;
		c->wcap = 0;
	}
	return c->wlen ? 1 : 0;
}

