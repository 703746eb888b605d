// SPDX-License-Identifier: GPL-2.0-only
/* meshd's side of the relay; see relay.h and Documentation/relay.rst. */
#include "relay.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "key.h"

static const char *label(const struct meshd_peer *p, const uint8_t *key, char *buf,
			 size_t len)
{
	char b64[WGM_KEY_B64_LEN + 1];

	if (p && p->name[0]) {
		snprintf(buf, len, "%s", p->name);
		return buf;
	}
	wgm_key_to_base64(b64, key);
	snprintf(buf, len, "%s", b64);
	return buf;
}

/* The relay endpoint to install: family 0 is the port on the service's host. */
static bool resolve(const struct mp_candidate *in, const union wgm_sockaddr *coord,
		    struct mp_candidate *out)
{
	if (!in->port)
		return false;
	if (in->family == AF_INET || in->family == AF_INET6) {
		*out = *in;
		return true;
	}
	if (in->family != AF_UNSPEC || !coord || meshd_cand_from_sockaddr(out, coord))
		return false;
	out->port = in->port;
	return true;
}

bool meshd_relay_apply(struct meshd_peers *t, const struct mp_msg *m,
		       const union wgm_sockaddr *coord, char *log, size_t loglen)
{
	char who[MP_NAME_MAX + WGM_KEY_B64_LEN + 2], ep[MP_CAND_STRLEN];
	struct meshd_relay r;
	struct meshd_peer *p;

	log[0] = '\0';
	if (m->type == MP_RELAY_REMOVED) {
		p = meshd_peers_find(t, m->u.relay_removed.pubkey);
		label(p, m->u.relay_removed.pubkey, who, sizeof(who));
		if (!p || !p->relay.on || p->relay.id != m->u.relay_removed.id) {
			snprintf(log, loglen, "coord: relay withdrawal for %s (id %u) is not ours: ignored",
				 who, m->u.relay_removed.id);
			return false;
		}
		snprintf(log, loglen, "coord: relay for %s withdrawn (id %u)", who,
			 m->u.relay_removed.id);
		explicit_bzero(&p->relay, sizeof(p->relay));
		return true;
	}
	if (m->type != MP_RELAY)
		return false;
	p = meshd_peers_find(t, m->u.relay.pubkey);
	label(p, m->u.relay.pubkey, who, sizeof(who));
	if (!p) {
		snprintf(log, loglen, "coord: relay for unknown peer %s ignored", who);
		return false;
	}
	memset(&r, 0, sizeof(r));
	if (!resolve(&m->u.relay.ep, coord, &r.ep)) {
		snprintf(log, loglen, "coord: relay for %s: no usable address: ignored", who);
		return false;
	}
	r.on = true;
	r.id = m->u.relay.id;
	memcpy(r.key, m->u.relay.key, sizeof(r.key));
	if (p->relay.on && p->relay.id == r.id && mp_candidate_equal(&p->relay.ep, &r.ep) &&
	    !memcmp(p->relay.key, r.key, sizeof(r.key))) {
		explicit_bzero(&r, sizeof(r));
		return false;
	}
	explicit_bzero(&p->relay, sizeof(p->relay));
	p->relay = r;
	explicit_bzero(&r, sizeof(r));
	snprintf(log, loglen, "coord: relay for %s: %s (id %u, %u s unbound ends it)", who,
		 mp_candidate_format(&p->relay.ep, ep), p->relay.id, m->u.relay.lifetime);
	return true;
}

/* fd's peer address (@peer) or its own, an IPv4-mapped IPv6 one made IPv4. */
static int sock_addr(int fd, bool peer, union wgm_sockaddr *out)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

	memset(out, 0, sizeof(*out));
	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&ss, &sl))
		return -1;
	if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		out->in.sin_family = AF_INET;
		out->in.sin_port = s6->sin6_port;
		memcpy(&out->in.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	if (ss.ss_family == AF_INET)
		memcpy(&out->in, &ss, sizeof(out->in));
	else if (ss.ss_family == AF_INET6)
		memcpy(&out->in6, &ss, sizeof(out->in6));
	else
		return -1;
	return 0;
}

int meshd_relay_coord_addr(int fd, union wgm_sockaddr *out)
{
	return sock_addr(fd, true, out);
}

int meshd_relay_local_addr(int fd, union wgm_sockaddr *out)
{
	return sock_addr(fd, false, out);
}
