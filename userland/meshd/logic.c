// SPDX-License-Identifier: GPL-2.0-only
#include "logic.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "natclass.h"

/* ---- reconnect backoff ---- */

unsigned int meshd_backoff_next(unsigned int cur_ms)
{
	if (cur_ms < MESHD_BACKOFF_MIN_MS)
		return MESHD_BACKOFF_MIN_MS;
	if (cur_ms >= MESHD_BACKOFF_MAX_MS / 2)
		return MESHD_BACKOFF_MAX_MS;
	return cur_ms * 2;
}

unsigned int meshd_backoff_jitter(unsigned int ms, uint32_t rnd)
{
	unsigned int quarter = ms / 4, out;

	out = ms + (quarter ? rnd % (quarter + 1) : 0);
	return out > MESHD_BACKOFF_MAX_MS ? MESHD_BACKOFF_MAX_MS : out;
}

/* ---- candidates ---- */

static bool v4_usable(const struct in_addr *a)
{
	uint32_t h = ntohl(a->s_addr);

	if (h == 0 || h == 0xffffffffu)
		return false;
	if ((h >> 24) == 127)			/* loopback */
		return false;
	if ((h >> 16) == 0xa9fe)		/* 169.254/16 link-local */
		return false;
	if ((h >> 28) == 0xe)			/* multicast */
		return false;
	return true;
}

static bool v6_usable(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
	    IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MULTICAST(a) ||
	    IN6_IS_ADDR_V4MAPPED(a))
		return false;
	return true;
}

bool meshd_addr_usable(const struct meshd_ifaddr *a, const char *meshif)
{
	if (!(a->ifflags & IFF_UP) || (a->ifflags & IFF_LOOPBACK))
		return false;
	if (!a->ifname || (meshif && !strcmp(a->ifname, meshif)))
		return false;
	if (a->addr.sa.sa_family == AF_INET)
		return v4_usable(&a->addr.in.sin_addr);
	if (a->addr.sa.sa_family == AF_INET6)
		return v6_usable(&a->addr.in6.sin6_addr);
	return false;
}

void meshd_cand_to_sockaddr(const struct mp_candidate *c,
			    union wgm_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (c->family == AF_INET) {
		sa->in.sin_family = AF_INET;
		memcpy(&sa->in.sin_addr, c->addr, 4);
		sa->in.sin_port = htons(c->port);
	} else if (c->family == AF_INET6) {
		sa->in6.sin6_family = AF_INET6;
		memcpy(&sa->in6.sin6_addr, c->addr, 16);
		sa->in6.sin6_port = htons(c->port);
	}
}

int meshd_cand_from_sockaddr(struct mp_candidate *c,
			     const union wgm_sockaddr *sa)
{
	memset(c, 0, sizeof(*c));
	if (sa->sa.sa_family == AF_INET) {
		c->family = AF_INET;
		memcpy(c->addr, &sa->in.sin_addr, 4);
		c->port = ntohs(sa->in.sin_port);
		return 0;
	}
	if (sa->sa.sa_family == AF_INET6) {
		c->family = AF_INET6;
		memcpy(c->addr, &sa->in6.sin6_addr, 16);
		c->port = ntohs(sa->in6.sin6_port);
		return 0;
	}
	return -1;
}

static bool cand_eq(const struct mp_candidate *a, const struct mp_candidate *b)
{
	size_t len = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, len);
}

static bool cand_in(const struct mp_candidate *c,
		    const struct mp_candidate *set, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (cand_eq(c, &set[i]))
			return true;
	return false;
}

/* c is in set with the same kind. */
static bool cand_kind_in(const struct mp_candidate *c,
			 const struct mp_candidate *set, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (cand_eq(c, &set[i]) && c->kind == set[i].kind)
			return true;
	return false;
}

bool meshd_cands_same(const struct mp_candidate *a, unsigned int na,
		      const struct mp_candidate *b, unsigned int nb)
{
	unsigned int i;

	for (i = 0; i < na; i++)
		if (!cand_kind_in(&a[i], b, nb))
			return false;
	for (i = 0; i < nb; i++)
		if (!cand_kind_in(&b[i], a, na))
			return false;
	return true;
}

/*
 * Append c to out unless its address is there already or out is full;
 * a gateway's mapping makes the address already there a portmap one.
 */
static void add_unique(struct mp_candidate *out, unsigned int *n,
		       unsigned int max, const struct mp_candidate *c)
{
	unsigned int i;

	for (i = 0; i < *n; i++) {
		if (!cand_eq(c, &out[i]))
			continue;
		if (c->kind == WGM_CANDIDATE_KIND_PORTMAP)
			out[i].kind = WGM_CANDIDATE_KIND_PORTMAP;
		return;
	}
	if (*n < max && c->port)
		out[(*n)++] = *c;
}

unsigned int meshd_gather(const struct meshd_ifaddr *addrs, size_t n,
			  const char *meshif, uint16_t port,
			  const union wgm_sockaddr *mapped, const uint8_t *mapped_kinds,
			  size_t n_mapped, struct mp_candidate *out, unsigned int max)
{
	struct mp_candidate c;
	unsigned int count = 0;
	size_t i;

	if (max > MP_MAX_CANDIDATES)
		max = MP_MAX_CANDIDATES;
	/*
	 * The mapped (public) addresses go first when the list is cut: they
	 * are the ones that work across NATs.
	 */
	for (i = 0; i < n_mapped; i++) {
		if (meshd_cand_from_sockaddr(&c, &mapped[i]))
			continue;
		if (c.family == AF_INET ?
		    !v4_usable((const struct in_addr *)c.addr) :
		    !v6_usable((const struct in6_addr *)c.addr))
			continue;
		c.kind = mapped_kinds[i];
		add_unique(out, &count, max, &c);
	}
	for (i = 0; i < n && port; i++) {
		if (!meshd_addr_usable(&addrs[i], meshif))
			continue;
		if (meshd_cand_from_sockaddr(&c, &addrs[i].addr))
			continue;
		c.port = port;
		c.kind = WGM_CANDIDATE_KIND_LOCAL;
		add_unique(out, &count, max, &c);
	}
	return count;
}

/*
 * A peer's candidate: unlike v4_usable, 169.254/16 passes (a peer on our
 * link may offer it; an IPv4 address needs no scope id).
 */
static bool peer_cand_usable(const struct mp_candidate *c)
{
	struct in6_addr a6;
	uint32_t h;

	if (!c->port)
		return false;
	if (c->family == AF_INET) {
		h = (uint32_t)c->addr[0] << 24 | (uint32_t)c->addr[1] << 16 |
		    (uint32_t)c->addr[2] << 8 | c->addr[3];
		return h && h != 0xffffffffu && (h >> 24) != 127 &&
		       (h >> 28) != 0xe;
	}
	if (c->family == AF_INET6) {
		memcpy(&a6, c->addr, 16);
		return !IN6_IS_ADDR_UNSPECIFIED(&a6) &&
		       !IN6_IS_ADDR_LOOPBACK(&a6) &&
		       !IN6_IS_ADDR_LINKLOCAL(&a6) &&
		       !IN6_IS_ADDR_MULTICAST(&a6);
	}
	return false;
}

unsigned int meshd_cands_filter(const struct mp_candidates *in,
				const struct mp_candidate *self,
				unsigned int n_self, struct mp_candidate *out)
{
	unsigned int i, n = 0, nin = in->n;

	if (nin > MP_MAX_CANDIDATES)
		nin = MP_MAX_CANDIDATES;
	for (i = 0; i < nin; i++) {
		if (!peer_cand_usable(&in->c[i]) ||
		    cand_in(&in->c[i], self, n_self))
			continue;
		add_unique(out, &n, MP_MAX_CANDIDATES, &in->c[i]);
	}
	return n;
}

/* ---- the peer table ---- */

void meshd_peers_init(struct meshd_peers *t)
{
	memset(t, 0, sizeof(*t));
}

void meshd_peers_free(struct meshd_peers *t)
{
	if (t->v)	/* relay bind keys */
		explicit_bzero(t->v, t->cap * sizeof(*t->v));
	free(t->v);
	memset(t, 0, sizeof(*t));
}

struct meshd_peer *meshd_peers_find(const struct meshd_peers *t,
				    const uint8_t key[MP_KEY_LEN])
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!memcmp(t->v[i].pubkey, key, MP_KEY_LEN))
			return &t->v[i];
	return NULL;
}

int meshd_peers_update(struct meshd_peers *t, const struct mp_peer *p)
{
	struct meshd_peer *e = meshd_peers_find(t, p->pubkey), *nv;
	struct mp_candidates cand;
	int change = MESHD_PEER_SAME;
	size_t ncap;

	memset(&cand, 0, sizeof(cand));
	cand.n = (uint8_t)meshd_cands_filter(&p->cand, t->self.c, t->self.n,
					     cand.c);

	if (!e) {
		if (t->n == t->cap) {
			ncap = t->cap ? t->cap * 2 : 8;
			/* not realloc: the old block, relay keys and all, is wiped */
			nv = calloc(ncap, sizeof(*nv));
			if (!nv)
				return -1;
			if (t->v) {
				memcpy(nv, t->v, t->n * sizeof(*nv));
				explicit_bzero(t->v, t->cap * sizeof(*nv));
				free(t->v);
			}
			t->v = nv;
			t->cap = ncap;
		}
		e = &t->v[t->n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->pubkey, p->pubkey, MP_KEY_LEN);
		change = MESHD_PEER_NEW;
	} else {
		if (memcmp(e->addr4, p->addr4, 4) ||
		    memcmp(e->addr6, p->addr6, 16))
			change |= MESHD_PEER_ADDRS;
		if (!meshd_cands_same(e->cand.c, e->cand.n, cand.c, cand.n))
			change |= MESHD_PEER_CANDS;
		if (e->online != !!p->online)
			change |= MESHD_PEER_ONLINE;
		if (strcmp(e->name, p->name))
			change |= MESHD_PEER_OTHER;
	}
	snprintf(e->name, sizeof(e->name), "%s", p->name);
	memcpy(e->addr4, p->addr4, 4);
	memcpy(e->addr6, p->addr6, 16);
	e->online = !!p->online;
	e->cand = cand;
	e->seen = true;
	return change;
}

void meshd_peers_set_self(struct meshd_peers *t, const struct mp_candidate *c,
			  unsigned int n)
{
	memset(&t->self, 0, sizeof(t->self));
	if (n > MP_MAX_CANDIDATES)
		n = MP_MAX_CANDIDATES;
	memcpy(t->self.c, c, n * sizeof(*c));
	t->self.n = (uint8_t)n;
}

void meshd_peers_set_cands(const struct meshd_peers *t, struct meshd_peer *e,
			   const struct mp_candidates *c)
{
	struct mp_candidates f;

	memset(&f, 0, sizeof(f));
	f.n = (uint8_t)meshd_cands_filter(c, t->self.c, t->self.n, f.c);
	e->cand = f;
}

static const uint8_t zero_addr[16];

static bool same_addr4(const struct meshd_peer *a, const struct meshd_peer *b)
{
	return memcmp(a->addr4, zero_addr, 4) && !memcmp(a->addr4, b->addr4, 4);
}

static bool same_addr6(const struct meshd_peer *a, const struct meshd_peer *b)
{
	return memcmp(a->addr6, zero_addr, 16) &&
	       !memcmp(a->addr6, b->addr6, 16);
}

const struct meshd_peer *meshd_peers_addr_shared(const struct meshd_peers *t,
						 const struct meshd_peer *p,
						 const uint8_t self[MP_KEY_LEN])
{
	size_t i;

	for (i = 0; p && i < t->n; i++) {
		if (&t->v[i] == p || !memcmp(t->v[i].pubkey, self, MP_KEY_LEN))
			continue;
		if (same_addr4(p, &t->v[i]) || same_addr6(p, &t->v[i]))
			return &t->v[i];
	}
	return NULL;
}

/*
 * Whether p loses its IPv4 (v6 false) or IPv6 overlay address to a peer
 * with a lower public key claiming the same.
 */
static bool addr_lost(const struct meshd_peers *t, const struct meshd_peer *p,
		      const uint8_t self[MP_KEY_LEN], bool v6)
{
	const struct meshd_peer *o;
	size_t i;

	for (i = 0; i < t->n; i++) {
		o = &t->v[i];
		if (o == p || !memcmp(o->pubkey, self, MP_KEY_LEN) ||
		    memcmp(o->pubkey, p->pubkey, MP_KEY_LEN) > 0)
			continue;
		if (v6 ? same_addr6(p, o) : same_addr4(p, o))
			return true;
	}
	return false;
}

bool meshd_peers_remove(struct meshd_peers *t, const uint8_t key[MP_KEY_LEN])
{
	struct meshd_peer *e = meshd_peers_find(t, key);

	if (!e)
		return false;
	*e = t->v[--t->n];
	explicit_bzero(&t->v[t->n], sizeof(t->v[t->n]));	/* a relay key */
	return true;
}

void meshd_peers_unsee(struct meshd_peers *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		t->v[i].seen = false;
		/* the service ended the last session's relay allocations */
		explicit_bzero(&t->v[i].relay, sizeof(t->v[i].relay));
	}
}

size_t meshd_peers_prune(struct meshd_peers *t, uint8_t (*gone)[MP_KEY_LEN],
			 size_t max)
{
	size_t i = 0, dropped = 0;

	while (i < t->n) {
		if (t->v[i].seen) {
			i++;
			continue;
		}
		if (dropped < max)
			memcpy(gone[dropped], t->v[i].pubkey, MP_KEY_LEN);
		dropped++;
		t->v[i] = t->v[--t->n];
		explicit_bzero(&t->v[t->n], sizeof(t->v[t->n]));
	}
	return dropped;
}

/*
 * The allowed IPs a table peer should have: its /32 and (if any) /128,
 * unless a peer with a lower key claims the same.
 */
static size_t want_aips(const struct meshd_peers *t, const struct meshd_peer *p,
			const uint8_t self[MP_KEY_LEN], struct mesh_conf_aip *out)
{
	const uint8_t *zero = zero_addr;
	size_t n = 0;

	if (memcmp(p->addr4, zero, 4) && !addr_lost(t, p, self, false)) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = AF_INET;
		out[n].cidr = 32;
		memcpy(&out[n].addr.ip4, p->addr4, 4);
		n++;
	}
	if (memcmp(p->addr6, zero, 16) && !addr_lost(t, p, self, true)) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = AF_INET6;
		out[n].cidr = 128;
		memcpy(&out[n].addr.ip6, p->addr6, 16);
		n++;
	}
	return n;
}

static bool aips_same(const struct mesh_conf_peer *kp, const struct mesh_conf_aip *w,
		      size_t nw)
{
	size_t i, j;

	if (kp->n_aips != nw)
		return false;
	for (i = 0; i < nw; i++) {
		for (j = 0; j < kp->n_aips; j++)
			if (wgm_cidr_equal(&w[i], &kp->aips[j]) &&
			    w[i].cidr == kp->aips[j].cidr)
				break;
		if (j == kp->n_aips)
			return false;
	}
	return true;
}

/* Direct candidates installed: all of them, or one fewer to leave the relay room. */
static unsigned int direct_max(const struct meshd_peer *p)
{
	unsigned int n = p->cand.n;

	if (p->relay.on && n > MP_MAX_CANDIDATES - 1)
		n = MP_MAX_CANDIDATES - 1;
	return n;
}

/*
 * The kernel peer's candidates equal the table's: the direct endpoints as
 * sets, and the relay candidate (endpoint and bind id) when there is one.
 */
static bool kcands_same(const struct mesh_conf_peer *kp, const struct meshd_peer *p)
{
	struct mp_candidate k[MP_MAX_CANDIDATES], r;
	unsigned int n = 0, relays = 0;
	bool relay_ok = false;
	size_t i;

	if (kp->n_cands > MP_MAX_CANDIDATES)
		return false;
	for (i = 0; i < kp->n_cands; i++) {
		if (kp->cands[i].kind == WGM_CANDIDATE_KIND_RELAY) {
			relays++;
			relay_ok = p->relay.on && kp->cands[i].relay_id == p->relay.id &&
				   !meshd_cand_from_sockaddr(&r, &kp->cands[i].endpoint) &&
				   meshd_cands_same(&r, 1, meshd_relay_kernel_ep(&p->relay), 1);
			continue;
		}
		if (!meshd_cand_from_sockaddr(&k[n], &kp->cands[i].endpoint))
			k[n++].kind = kp->cands[i].kind;
	}
	if (relays != (p->relay.on ? 1u : 0u) || (p->relay.on && !relay_ok))
		return false;
	return meshd_cands_same(k, n, p->cand.c, direct_max(p));
}

static int put_cands(struct mesh_conf_peer *rp, const struct meshd_peer *p,
		     struct wgm_err *err)
{
	struct mesh_conf_cand *c;
	unsigned int i;

	rp->flags |= WGM_PEER_F_REPLACE_CANDIDATES;
	rp->has |= MESH_CONF_PEER_HAS_CANDIDATES;
	for (i = 0; i < direct_max(p); i++) {
		c = mesh_conf_peer_add_cand(rp);
		if (!c)
			return wgm_err_set(err, "out of memory");
		memset(c, 0, sizeof(*c));
		meshd_cand_to_sockaddr(&p->cand.c[i], &c->endpoint);
		c->kind = p->cand.c[i].kind;
	}
	if (p->relay.on) {
		c = mesh_conf_peer_add_cand(rp);
		if (!c)
			return wgm_err_set(err, "out of memory");
		memset(c, 0, sizeof(*c));
		meshd_cand_to_sockaddr(meshd_relay_kernel_ep(&p->relay), &c->endpoint);
		c->kind = WGM_CANDIDATE_KIND_RELAY;
		c->relay_id = p->relay.id;
		c->has_relay_key = true;
		memcpy(c->relay_key, p->relay.key, sizeof(c->relay_key));
	}
	return 0;
}

static int put_aips(struct mesh_conf_peer *rp, const struct mesh_conf_aip *w,
		    size_t nw, struct wgm_err *err)
{
	struct mesh_conf_aip *a;
	size_t i;

	rp->flags |= WGM_PEER_F_REPLACE_ALLOWEDIPS;
	for (i = 0; i < nw; i++) {
		a = mesh_conf_peer_add_aip(rp);
		if (!a)
			return wgm_err_set(err, "out of memory");
		*a = w[i];
	}
	return 0;
}

/* The request entry for table peer p; kp is its kernel peer or NULL. */
static int diff_peer(const struct meshd_peers *t, const struct meshd_peer *p,
		     const uint8_t self[MP_KEY_LEN],
		     const struct mesh_conf_peer *kp,
		     struct mesh_conf_device *req, struct wgm_err *err)
{
	struct mesh_conf_aip w[2];
	bool aips, cands, ka, ep, nat;
	struct mesh_conf_peer *rp;
	size_t nw = want_aips(t, p, self, w);

	aips = !kp || !aips_same(kp, w, nw);
	cands = !kp || !kcands_same(kp, p);
	ka = !kp || kp->keepalive != MESHD_KEEPALIVE;
	ep = p->cand.n && (!kp || !(kp->has & MESH_CONF_PEER_HAS_ENDPOINT) ||
			   kp->endpoint.sa.sa_family == AF_UNSPEC);
	nat = p->nat && (!kp || !(kp->has & MESH_CONF_PEER_HAS_NAT) || kp->nat != p->nat);
	if (!aips && !cands && !ka && !ep && !nat)
		return 0;
	rp = mesh_conf_device_add_peer(req);
	if (!rp)
		return wgm_err_set(err, "out of memory");
	memcpy(rp->public_key, p->pubkey, WGM_KEY_LEN);
	if (kp)
		rp->flags |= WGM_PEER_F_UPDATE_ONLY;
	if (aips && put_aips(rp, w, nw, err))
		return -1;
	if ((cands || ep) && put_cands(rp, p, err))
		return -1;
	if (ka) {
		rp->has |= MESH_CONF_PEER_HAS_KEEPALIVE;
		rp->keepalive = MESHD_KEEPALIVE;
	}
	if (ep) {
		rp->has |= MESH_CONF_PEER_HAS_ENDPOINT;
		meshd_cand_to_sockaddr(&p->cand.c[0], &rp->endpoint);
	}
	if (nat) {
		rp->has |= MESH_CONF_PEER_HAS_NAT;
		rp->nat = p->nat;
	}
	return 0;
}

uint8_t meshd_peer_nat(uint8_t known, uint8_t type, uint8_t birthday, uint8_t nopunch)
{
	if (type == MP_PUNCH && birthday == MP_BIRTHDAY_OPEN)
		return MP_NAT_EASY;	/* we open: the peer sprays, it is easy */
	if (type == MP_PUNCH && birthday == MP_BIRTHDAY_SPRAY)
		return MP_NAT_HARD;
	if (type == MP_NO_PUNCH && nopunch == MP_NOPUNCH_BOTH_HARD)
		return MP_NAT_HARD;
	return known;
}

int meshd_diff(const struct meshd_peers *t, const struct mesh_conf_device *cur,
	       const uint8_t self[MP_KEY_LEN], struct mesh_conf_device *req,
	       struct wgm_err *err)
{
	const struct mesh_conf_peer *kp;
	struct mesh_conf_peer *rp;
	size_t i;

	for (i = 0; i < cur->n_peers; i++) {
		kp = &cur->peers[i];
		if (meshd_peers_find(t, kp->public_key) &&
		    memcmp(kp->public_key, self, WGM_KEY_LEN))
			continue;
		rp = mesh_conf_device_add_peer(req);
		if (!rp)
			return wgm_err_set(err, "out of memory");
		memcpy(rp->public_key, kp->public_key, WGM_KEY_LEN);
		rp->flags = WGM_PEER_F_REMOVE_ME;
	}
	for (i = 0; i < t->n; i++) {
		if (!memcmp(t->v[i].pubkey, self, MP_KEY_LEN))
			continue;
		if (diff_peer(t, &t->v[i], self,
			      mesh_conf_device_find_peer(cur, t->v[i].pubkey), req,
			      err))
			return -1;
	}
	return 0;
}

int meshd_recandidate(const struct meshd_peer *p, struct mesh_conf_device *req,
		      struct wgm_err *err)
{
	struct mesh_conf_peer *rp = mesh_conf_device_add_peer(req);

	if (!rp)
		return wgm_err_set(err, "out of memory");
	memcpy(rp->public_key, p->pubkey, WGM_KEY_LEN);
	rp->flags = WGM_PEER_F_UPDATE_ONLY;
	return put_cands(rp, p, err);
}

bool meshd_want_relay_tcp(enum meshd_relay_tcp_mode mode, uint8_t service_version,
			  unsigned int stun_servers, uint64_t stun_age_ms, size_t n_mapped)
{
	if (service_version < 4 || mode == MESHD_RELAY_TCP_NEVER)
		return false;
	if (mode == MESHD_RELAY_TCP_ALWAYS)
		return true;
	return stun_servers && !n_mapped && stun_age_ms >= MESHD_UDP_BLOCKED_MS;
}

uint64_t meshd_relay_tcp_due(enum meshd_relay_tcp_mode mode, uint8_t service_version,
			     unsigned int stun_servers, uint64_t stun_since_ms,
			     size_t n_mapped, uint64_t now_ms)
{
	uint64_t due = stun_since_ms + MESHD_UDP_BLOCKED_MS;

	if (mode != MESHD_RELAY_TCP_AUTO || service_version < 4 || !stun_servers ||
	    n_mapped || due <= now_ms)
		return UINT64_MAX;
	return due;
}

bool meshd_want_punch_request(const struct meshd_peer *p,
			      const struct mesh_conf_peer *kp, uint64_t now_ms)
{
	size_t i, direct = 0;

	if (!p->online || !p->cand.n || !kp)
		return false;
	for (i = 0; i < kp->n_cands; i++) {
		if (kp->cands[i].kind == WGM_CANDIDATE_KIND_RELAY)
			continue;
		direct++;
		if (kp->cands[i].state == WGM_CANDIDATE_ALIVE ||
		    kp->cands[i].state == WGM_CANDIDATE_PROBING)
			return false;
	}
	if (!direct)
		return false;
	return !p->last_punch_ms ||
	       now_ms - p->last_punch_ms >= MESHD_PUNCH_REQUEST_MS;
}

/* ---- birthday searches ---- */

enum meshd_birthday_verdict meshd_birthday_decide(const struct mp_punch *pu, bool enabled,
						  const struct meshd_birthday *h,
						  uint64_t now_ms, struct mp_candidate *target)
{
	const struct mp_candidate *c;
	uint64_t oldest = h->at[MESHD_BIRTHDAY_PER_HOUR - 1];

	if (pu->birthday == MP_BIRTHDAY_NONE)
		return MESHD_BIRTHDAY_NONE;
	if (!enabled)
		return MESHD_BIRTHDAY_OFF;
	if (pu->birthday != MP_BIRTHDAY_OPEN && pu->birthday != MP_BIRTHDAY_SPRAY)
		return MESHD_BIRTHDAY_ROLE;
	if (pu->mapped == MP_MAPPED_NONE || pu->mapped >= pu->cand.n ||
	    pu->mapped >= MP_MAX_CANDIDATES)
		return MESHD_BIRTHDAY_NO_TARGET;
	c = &pu->cand.c[pu->mapped];
	if (c->family != AF_INET || !peer_cand_usable(c))
		return MESHD_BIRTHDAY_NO_TARGET;
	if (h->at[0] && now_ms - h->at[0] < MESHD_BIRTHDAY_GAP_MS)
		return MESHD_BIRTHDAY_GAP;
	if (oldest && now_ms - oldest < MESHD_BIRTHDAY_HOUR_MS)
		return MESHD_BIRTHDAY_HOURLY;
	*target = *c;
	return MESHD_BIRTHDAY_GO;
}

_Static_assert(MESHD_BIRTHDAY_GAP_MS == 60000u && MESHD_BIRTHDAY_PER_HOUR == 6,
	       "meshd_birthday_text() says 60 s and 6");

const char *meshd_birthday_text(enum meshd_birthday_verdict v)
{
	switch (v) {
	case MESHD_BIRTHDAY_GO:
		return "searching";
	case MESHD_BIRTHDAY_NONE:
		return "no role given (a plain punch)";
	case MESHD_BIRTHDAY_OFF:
		return "turned off (--no-birthday)";
	case MESHD_BIRTHDAY_ROLE:
		return "a role this agent does not know";
	case MESHD_BIRTHDAY_NO_TARGET:
		return "the peer has no IPv4 STUN candidate";
	case MESHD_BIRTHDAY_GAP:
		return "one started less than 60 s ago";
	case MESHD_BIRTHDAY_HOURLY:
		return "6 in the last hour already";
	}
	return "?";
}

void meshd_birthday_note(struct meshd_birthday *h, uint64_t now_ms)
{
	memmove(&h->at[1], &h->at[0], (MESHD_BIRTHDAY_PER_HOUR - 1) * sizeof(h->at[0]));
	h->at[0] = now_ms ? now_ms : 1;
}

/* ---- STUN servers and the NAT type ---- */

static void add_server(union wgm_sockaddr *out, size_t *n, size_t max,
		       const union wgm_sockaddr *sa)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (wgm_endpoint_equal(&out[i], sa))
			return;
	if (*n < max)
		out[(*n)++] = *sa;
}

size_t meshd_stun_servers(const struct mp_stun_list *l,
			  const union wgm_sockaddr *coord, size_t n_coord,
			  union wgm_sockaddr *out, size_t max)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	union wgm_sockaddr sa;
	size_t n = 0, i, j, f;
	struct mp_candidate c;

	for (f = 0; f < 2; f++) {
		const union wgm_sockaddr *host = NULL;

		for (j = 0; j < n_coord && !host; j++)
			if (coord[j].sa.sa_family == fams[f])
				host = &coord[j];
		for (i = 0; i < l->n && i < MP_MAX_STUN; i++) {
			c = l->s[i];
			if (c.family == AF_UNSPEC) {
				if (!host || !c.port)
					continue;
				if (meshd_cand_from_sockaddr(&c, host))
					continue;
				c.port = l->s[i].port;
			}
			if (c.family != fams[f] || !c.port)
				continue;
			meshd_cand_to_sockaddr(&c, &sa);
			add_server(out, &n, max, &sa);
		}
	}
	return n;
}

unsigned int meshd_nat_explain(const struct mesh_conf_stun *s, size_t n,
			       char *buf, size_t len)
{
	unsigned int t = wgm_nat_classify(s, n);
	char a[WGM_ADDRSTRLEN], b[WGM_ADDRSTRLEN];
	size_t i, off;
	int k;

	k = snprintf(buf, len, "%s (%s)", wgm_nat_name(t), wgm_nat_describe(t));
	off = k < 0 ? 0 : (size_t)k;
	for (i = 0; i < n && off < len; i++) {
		k = snprintf(buf + off, len - off, "%s%s saw %s", i ? ", " : ": ",
			     wgm_format_endpoint(&s[i].endpoint, a, sizeof(a)),
			     s[i].mapped.sa.sa_family == AF_UNSPEC ? "nothing yet" :
			     wgm_format_endpoint(&s[i].mapped, b, sizeof(b)));
		off += k < 0 ? 0 : (size_t)k;
	}
	return t;
}

/* ---- the home relay ---- */

bool meshd_homes_set(struct meshd_homes *h, const struct mp_relay_list *l)
{
	struct meshd_homes old = *h;
	bool changed = l->n != old.n;
	unsigned int i, j;

	memset(h, 0, sizeof(*h));
	h->home = -1;
	for (i = 0; i < l->n && i < MP_MAX_RELAYS; i++) {
		struct meshd_home_relay *r = &h->r[h->n++];

		snprintf(r->name, sizeof(r->name), "%s", l->r[i].name);
		r->ep = l->r[i].ep;
		for (j = 0; j < old.n; j++)
			if (!strcmp(old.r[j].name, r->name) && mp_candidate_equal(&old.r[j].ep, &r->ep))
				break;
		if (j == old.n) {
			changed = true;
			continue;
		}
		*r = old.r[j];
		r->pending = false;	/* an answer to it is taken as lost */
		if ((int)j == old.home)
			h->home = (int)i;
		changed |= i != j;
	}
	h->rounds = changed ? 0 : old.rounds;
	h->next_round_ms = changed ? 0 : old.next_round_ms;
	return changed;
}

uint32_t meshd_home_rtt(const struct meshd_home_relay *r)
{
	uint32_t best = 0;
	unsigned int i;

	if (r->lost >= MESHD_HOME_LOST)
		return 0;
	for (i = 0; i < MESHD_HOME_SAMPLES; i++)
		if (r->rtt_us[i] && (!best || r->rtt_us[i] < best))
			best = r->rtt_us[i];
	return best;
}

/* The RTT the choice compares: the embedded relay's counts more. */
static uint64_t home_cost(const struct meshd_home_relay *r)
{
	uint64_t rtt = meshd_home_rtt(r);

	if (!rtt)
		return UINT64_MAX;
	return rtt + (strcmp(r->name, MP_EMBEDDED_RELAY) ? 0 : MESHD_HOME_EMBEDDED_US);
}

int meshd_home_choose(const struct meshd_homes *h)
{
	uint64_t best_cost = UINT64_MAX, cur, margin;
	unsigned int i;
	int best = -1;

	for (i = 0; i < h->n; i++) {
		uint64_t c = home_cost(&h->r[i]);

		if (c < best_cost) {
			best_cost = c;
			best = (int)i;
		}
	}
	if (h->home < 0 || h->home >= (int)h->n || best < 0)
		return best;
	cur = home_cost(&h->r[h->home]);
	if (cur == UINT64_MAX)
		return best;
	margin = cur / 5 > MESHD_HOME_MARGIN_US ? cur / 5 : MESHD_HOME_MARGIN_US;
	return best_cost + margin < cur ? best : h->home;
}

void meshd_home_answer(struct meshd_homes *h, unsigned int i, uint64_t now_us)
{
	struct meshd_home_relay *r = &h->r[i];
	uint64_t rtt;

	if (i >= h->n || !r->pending)
		return;
	r->pending = false;
	rtt = now_us > r->sent_us ? now_us - r->sent_us : 1;
	memmove(&r->rtt_us[1], &r->rtt_us[0], (MESHD_HOME_SAMPLES - 1) * sizeof(r->rtt_us[0]));
	r->rtt_us[0] = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
	r->lost = 0;
}

bool meshd_home_expire(struct meshd_homes *h, uint64_t now_us)
{
	bool none = true;
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		struct meshd_home_relay *r = &h->r[i];

		if (r->pending && now_us - r->sent_us >= MESHD_HOME_TIMEOUT_MS * 1000ULL) {
			r->pending = false;
			r->lost++;
		}
		none &= !r->pending;
	}
	return none;
}

uint64_t meshd_home_next_round(const struct meshd_homes *h, uint64_t now_ms)
{
	return now_ms + (h->rounds < MESHD_HOME_QUICK ? MESHD_HOME_QUICK_MS : MESHD_HOME_ROUND_MS);
}
