// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's handling of what meshcoord tells it (userland/meshd/logic.c,
 * driven as meshd's handle_msg() in userland/meshd/main.c drives it): a
 * session of coordinator messages, decoded with mp_msg_decode()
 * (userland/proto/), applied to meshd's peer table, and after each
 * change the SET_DEVICE request meshd_diff() makes for the kernel.
 *
 * main.c itself needs sockets, netlink and a clock, so the kernel is a
 * model here: the request is applied to an in-memory device (peers added,
 * updated, removed; allowed IPs and candidates replaced as flagged).
 *
 * Input: a list of (u16 length, message bytes).  Checked: no
 * out-of-bounds access, leak or UB; the table never holds two peers with
 * one key nor our own key; meshd_diff() converges: once its request is
 * applied, a second diff asks for nothing; and a birthday search a PUNCH
 * starts aims at its mapped IPv4 candidate, then waits out the gap.
 */
#include <arpa/inet.h>
#include <string.h>

#include "fuzz.h"
#include "addr.h"
#include "logic.h"

static const uint8_t self_key[MP_KEY_LEN] = {
	0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
	0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
	0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
};

/*
 * The STUN servers meshd derives from a WELCOME list: within the limit,
 * each with a port and a family, none twice.
 */
static void check_stun_list(const struct mp_stun_list *l)
{
	union wgm_sockaddr coord[2], out[WGM_STUN_MAX_SERVERS];
	size_t n, i, j;

	memset(coord, 0, sizeof(coord));
	coord[0].in.sin_family = AF_INET;
	coord[0].in.sin_addr.s_addr = htonl(0xc6336401);
	coord[1].in6.sin6_family = AF_INET6;
	coord[1].in6.sin6_addr.s6_addr[0] = 0x20;
	n = meshd_stun_servers(l, coord, 2, out, WGM_STUN_MAX_SERVERS);
	FUZZ_CHECK(n <= WGM_STUN_MAX_SERVERS && n <= 2u * l->n);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(out[i].sa.sa_family == AF_INET ? out[i].in.sin_port :
			   out[i].sa.sa_family == AF_INET6 && out[i].in6.sin6_port);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(!wgm_endpoint_equal(&out[i], &out[j]));
	}
}

static void kpeer_remove(struct mesh_conf_device *k, struct mesh_conf_peer *p)
{
	size_t i = (size_t)(p - k->peers);

	free(p->aips);
	free(p->cands);
	memmove(p, p + 1, (k->n_peers - i - 1) * sizeof(*p));
	k->n_peers--;
}

static bool aip_equal(const struct mesh_conf_aip *a, const struct mesh_conf_aip *b)
{
	return a->family == b->family && a->cidr == b->cidr &&
	       !memcmp(&a->addr, &b->addr, a->family == AF_INET ? 4 : 16);
}

/* The kernel's SET_DEVICE, as far as meshd's requests use it. */
static void kernel_apply(struct mesh_conf_device *k, const struct mesh_conf_device *req)
{
	const struct mesh_conf_peer *rp;
	struct mesh_conf_peer *kp;
	size_t i, j, l;

	for (i = 0; i < req->n_peers; i++) {
		rp = &req->peers[i];
		kp = mesh_conf_device_find_peer(k, rp->public_key);
		if (rp->flags & WGM_PEER_F_REMOVE_ME) {
			if (kp)
				kpeer_remove(k, kp);
			continue;
		}
		if (!kp) {
			if (rp->flags & WGM_PEER_F_UPDATE_ONLY)
				continue;
			kp = mesh_conf_device_add_peer(k);
			FUZZ_CHECK(kp);
			memcpy(kp->public_key, rp->public_key, WGM_KEY_LEN);
		}
		if (rp->flags & WGM_PEER_F_REPLACE_ALLOWEDIPS)
			kp->n_aips = 0;
		for (j = 0; j < rp->n_aips; j++) {
			for (l = 0; l < kp->n_aips && !aip_equal(&kp->aips[l], &rp->aips[j]); l++)
				;
			if (rp->aips[j].remove) {
				if (l < kp->n_aips)
					kp->aips[l] = kp->aips[--kp->n_aips];
			} else if (l == kp->n_aips) {
				*mesh_conf_peer_add_aip(kp) = rp->aips[j];
			}
		}
		if (rp->has & MESH_CONF_PEER_HAS_CANDIDATES) {
			kp->has |= MESH_CONF_PEER_HAS_CANDIDATES;
			kp->n_cands = 0;
			for (j = 0; j < rp->n_cands; j++)
				*mesh_conf_peer_add_cand(kp) = rp->cands[j];
		}
		if (rp->has & MESH_CONF_PEER_HAS_KEEPALIVE) {
			kp->has |= MESH_CONF_PEER_HAS_KEEPALIVE;
			kp->keepalive = rp->keepalive;
		}
		if (rp->has & MESH_CONF_PEER_HAS_ENDPOINT) {
			kp->has |= MESH_CONF_PEER_HAS_ENDPOINT;
			kp->endpoint = rp->endpoint;
		}
	}
}

static void check_table(const struct meshd_peers *t)
{
	size_t i, j;

	FUZZ_CHECK(t->n <= t->cap);
	for (i = 0; i < t->n; i++) {
		FUZZ_CHECK(memcmp(t->v[i].pubkey, self_key, MP_KEY_LEN));
		FUZZ_CHECK(t->v[i].cand.n <= MP_MAX_CANDIDATES);
		FUZZ_CHECK(memchr(t->v[i].name, '\0', sizeof(t->v[i].name)));
		for (j = i + 1; j < t->n; j++)
			FUZZ_CHECK(memcmp(t->v[i].pubkey, t->v[j].pubkey, MP_KEY_LEN));
	}
}

/* sync_kernel(): diff, apply; then nothing is left to do. */
static void sync_kernel(const struct meshd_peers *t, struct mesh_conf_device *k)
{
	struct mesh_conf_device req;
	struct wgm_err err;
	size_t i;

	mesh_conf_device_init(&req);
	FUZZ_CHECK(!meshd_diff(t, k, self_key, &req, &err));
	kernel_apply(k, &req);
	mesh_conf_device_free(&req);

	mesh_conf_device_init(&req);
	FUZZ_CHECK(!meshd_diff(t, k, self_key, &req, &err));
	if (req.n_peers) {
		for (i = 0; i < req.n_peers; i++)
			fprintf(stderr, "still to do: peer %02x.. flags %#x has %#x, %zu aips, %zu cands\n",
				req.peers[i].public_key[0], req.peers[i].flags, req.peers[i].has,
				req.peers[i].n_aips, req.peers[i].n_cands);
		FUZZ_CHECK(!"meshd_diff converges");
	}
	mesh_conf_device_free(&req);
	FUZZ_CHECK(k->n_peers == t->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t body[MP_MAX_PLAINTEXT];
	uint8_t gone[64][MP_KEY_LEN];
	struct fuzz_in in = { data, size };
	struct meshd_peers t;
	struct meshd_peer *p;
	struct mesh_conf_device k, req;
	struct mesh_conf_peer *kp;
	struct wgm_err err;
	struct mp_msg m;
	bool dirty = false, synced = false;
	uint64_t now = 1000000;
	struct mp_candidate tgt;
	size_t len;
	int ch;

	meshd_peers_init(&t);
	mesh_conf_device_init(&k);
	/* a peer the kernel has and the service never lists */
	kp = mesh_conf_device_add_peer(&k);
	FUZZ_CHECK(kp);
	memset(kp->public_key, 0x99, WGM_KEY_LEN);
	meshd_peers_unsee(&t);

	while (in.n >= 2) {
		len = fuzz_u16(&in) % (MP_MAX_PLAINTEXT + 1);
		if (len > in.n)
			len = in.n;
		fuzz_bytes(&in, body, len);
		now += 7000;
		if (mp_msg_decode(&m, body, len))
			continue;	/* meshd closes the connection; the table stays */
		switch (m.type) {
		case MP_PEER:
			if (!memcmp(m.u.peer.pubkey, self_key, MP_KEY_LEN))
				break;
			ch = meshd_peers_update(&t, &m.u.peer);
			FUZZ_CHECK(ch >= 0);
			p = meshd_peers_find(&t, m.u.peer.pubkey);
			FUZZ_CHECK(p && p->seen);
			if (ch & (MESHD_PEER_NEW | MESHD_PEER_ADDRS | MESHD_PEER_CANDS))
				dirty = true;
			break;
		case MP_PEER_REMOVED:
			if (meshd_peers_find(&t, m.u.removed)) {
				FUZZ_CHECK(meshd_peers_remove(&t, m.u.removed));
				dirty = true;
			}
			FUZZ_CHECK(!meshd_peers_find(&t, m.u.removed));
			break;
		case MP_SYNC_END:
			meshd_peers_prune(&t, gone, 64);
			synced = true;
			dirty = true;
			break;
		case MP_PUNCH:
			p = meshd_peers_find(&t, m.u.punch.pubkey);
			if (!p)
				break;
			p->cand = m.u.punch.cand;
			if (dirty && synced) {
				sync_kernel(&t, &k);
				dirty = false;
			}
			/* the fallback punch: candidates set again */
			mesh_conf_device_init(&req);
			FUZZ_CHECK(!meshd_recandidate(p, &req, &err));
			kernel_apply(&k, &req);
			mesh_conf_device_free(&req);
			/* a birthday search aims only at the PUNCH's own mapped IPv4 candidate */
			if (meshd_birthday_decide(&m.u.punch, true, &p->birthday, now, &tgt) ==
			    MESHD_BIRTHDAY_GO) {
				FUZZ_CHECK(m.u.punch.mapped < m.u.punch.cand.n);
				FUZZ_CHECK(tgt.family == AF_INET &&
					   mp_candidate_equal(&tgt, &m.u.punch.cand.c[m.u.punch.mapped]));
				meshd_birthday_note(&p->birthday, now);
				FUZZ_CHECK(meshd_birthday_decide(&m.u.punch, true, &p->birthday, now,
								 &tgt) == MESHD_BIRTHDAY_GAP);
			}
			break;
		case MP_WELCOME:
			/* a new session */
			meshd_peers_unsee(&t);
			check_stun_list(&m.u.welcome.stun);
			break;
		default:
			break;
		}
		check_table(&t);
		for (size_t i = 0; i < t.n; i++)
			meshd_want_punch_request(&t.v[i],
						 mesh_conf_device_find_peer(&k, t.v[i].pubkey),
						 now);
		if (dirty && synced) {
			sync_kernel(&t, &k);
			dirty = false;
		}
	}
	meshd_peers_free(&t);
	mesh_conf_device_free(&k);
	return 0;
}

/* ---- seeds: sessions as meshcoord runs them ---- */

struct stream {
	uint8_t b[8192];
	size_t n;
};

static void put_msg(struct stream *s, const struct mp_msg *m)
{
	int n = mp_msg_encode(m, s->b + s->n + 2, sizeof(s->b) - s->n - 2);

	FUZZ_CHECK(n > 0);
	s->b[s->n] = (uint8_t)(n >> 8);
	s->b[s->n + 1] = (uint8_t)n;
	s->n += 2 + (size_t)n;
}

static void peer_msg(struct mp_msg *m, uint8_t key, uint8_t host, unsigned int ncand)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->type = MP_PEER;
	memset(m->u.peer.pubkey, key, MP_KEY_LEN);
	snprintf(m->u.peer.name, sizeof(m->u.peer.name), "node-%u", host);
	m->u.peer.addr4[0] = 10;
	m->u.peer.addr4[1] = 64;
	m->u.peer.addr4[3] = host;
	m->u.peer.addr6[0] = 0xfd;
	m->u.peer.addr6[15] = host;
	m->u.peer.online = 1;
	m->u.peer.last_seen = 1700000000;
	m->u.peer.cand.n = (uint8_t)ncand;
	for (i = 0; i < ncand; i++) {
		m->u.peer.cand.c[i].family = i % 2 ? AF_INET6 : AF_INET;
		m->u.peer.cand.c[i].port = (uint16_t)(51820 + i);
		m->u.peer.cand.c[i].addr[0] = i % 2 ? 0x20 : 192;
		m->u.peer.cand.c[i].addr[3] = (uint8_t)(host + i);
	}
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	static struct stream s;
	struct mp_msg m;

	/* WELCOME, three peers, SYNC_END, an update, a removal, a punch */
	s.n = 0;
	memset(&m, 0, sizeof(m));
	m.type = MP_WELCOME;
	strcpy(m.u.welcome.name, "self");
	m.u.welcome.plen4 = 10;
	m.u.welcome.plen6 = 48;
	/* version 2: the service's two STUN ports on its host */
	m.u.welcome.version = 2;
	m.u.welcome.stun.n = 2;
	m.u.welcome.stun.s[0].port = 3478;
	m.u.welcome.stun.s[1].port = 3479;
	put_msg(&s, &m);
	peer_msg(&m, 0x22, 2, 2);
	put_msg(&s, &m);
	peer_msg(&m, 0x33, 3, 1);
	put_msg(&s, &m);
	peer_msg(&m, 0x44, 4, 0);
	put_msg(&s, &m);
	memset(&m, 0, sizeof(m));
	m.type = MP_SYNC_END;
	put_msg(&s, &m);
	peer_msg(&m, 0x33, 3, 3);
	m.u.peer.online = 0;
	put_msg(&s, &m);
	memset(&m, 0, sizeof(m));
	m.type = MP_PEER_REMOVED;
	memset(m.u.removed, 0x44, MP_KEY_LEN);
	put_msg(&s, &m);
	peer_msg(&m, 0x22, 2, 4);
	m.type = MP_PUNCH;
	memmove(&m.u.punch.cand, &m.u.peer.cand, sizeof(m.u.punch.cand));
	put_msg(&s, &m);
	emit("session", s.b, s.n);

	/* ourselves listed, a peer with no addresses, reconnect and prune */
	s.n = 0;
	peer_msg(&m, 0x5e, 1, 1);
	put_msg(&s, &m);
	peer_msg(&m, 0x66, 0, 16);
	memset(m.u.peer.addr4, 0, 4);
	put_msg(&s, &m);
	memset(&m, 0, sizeof(m));
	m.type = MP_SYNC_END;
	put_msg(&s, &m);
	m.type = MP_WELCOME;
	put_msg(&s, &m);
	m.type = MP_SYNC_END;
	put_msg(&s, &m);
	emit("reconnect", s.b, s.n);
}
