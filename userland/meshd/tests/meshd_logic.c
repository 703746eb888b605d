// SPDX-License-Identifier: GPL-2.0-only
/* meshd's pure logic: backoff, candidate gathering, peer table, kernel diff. */
#include "kselftest_harness.h"

#include "addr.h"

#include <arpa/inet.h>
#include <net/if.h>

#include "logic.h"
#include "relay.h"

static union wgm_sockaddr sa4(const char *ip, uint16_t port)
{
	union wgm_sockaddr s;

	memset(&s, 0, sizeof(s));
	s.in.sin_family = AF_INET;
	s.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &s.in.sin_addr);
	return s;
}

static union wgm_sockaddr sa6(const char *ip, uint16_t port)
{
	union wgm_sockaddr s;

	memset(&s, 0, sizeof(s));
	s.in6.sin6_family = AF_INET6;
	s.in6.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &s.in6.sin6_addr);
	return s;
}

static struct meshd_ifaddr ifa(const char *name, unsigned int flags,
			       union wgm_sockaddr addr)
{
	struct meshd_ifaddr a = { name, flags, addr };

	return a;
}

static struct mp_candidate cand4(const char *ip, uint16_t port)
{
	union wgm_sockaddr s = sa4(ip, port);
	struct mp_candidate c;

	meshd_cand_from_sockaddr(&c, &s);
	return c;
}

static void mkpeer(struct mp_peer *p, uint8_t id, unsigned int ncand)
{
	unsigned int i;
	char ip[32];

	memset(p, 0, sizeof(*p));
	memset(p->pubkey, id, MP_KEY_LEN);
	snprintf(p->name, sizeof(p->name), "node%u", id);
	p->addr4[0] = 100;
	p->addr4[1] = 64;
	p->addr4[3] = id;
	p->addr6[0] = 0xfd;
	p->addr6[15] = id;
	p->online = 1;
	for (i = 0; i < ncand; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%u", id * 10 + i);
		p->cand.c[i] = cand4(ip, (uint16_t)(51820 + i));
	}
	p->cand.n = (uint8_t)ncand;
}

TEST(backoff_doubles_up_to_30s)
{
	unsigned int b = 0, i;
	static const unsigned int want[] = {
		1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000
	};

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		b = meshd_backoff_next(b);
		EXPECT_EQ(want[i], b);
	}
	EXPECT_EQ(30000, meshd_backoff_next(29999));
	EXPECT_EQ(1000, meshd_backoff_jitter(1000, 0));
	EXPECT_EQ(1250, meshd_backoff_jitter(1000, 250));
	EXPECT_EQ(1000, meshd_backoff_jitter(1000, 251));	/* 251 % 251 */
	EXPECT_EQ(30000, meshd_backoff_jitter(30000, 7000));
	for (i = 0; i < 1000; i++) {
		unsigned int j = meshd_backoff_jitter(8000, i * 7919u);

		ASSERT_GE(j, 8000);
		ASSERT_LE(j, 10000);
	}
}

TEST(address_filter)
{
	const unsigned int up = IFF_UP | IFF_RUNNING;
	struct meshd_ifaddr a;

	a = ifa("eth0", up, sa4("192.0.2.1", 0));
	EXPECT_TRUE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa6("2001:db8::1", 0));
	EXPECT_TRUE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa4("10.1.2.3", 0));
	EXPECT_TRUE(meshd_addr_usable(&a, "mesh0"));
	/* the mesh device itself, loopback, interfaces that are down */
	a = ifa("mesh0", up, sa4("100.64.0.5", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("lo", up | IFF_LOOPBACK, sa4("127.0.0.1", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth1", 0, sa4("192.0.2.9", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	/* addresses that cannot work as endpoints */
	a = ifa("eth0", up, sa4("127.0.0.2", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa4("169.254.1.1", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa4("0.0.0.0", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa4("224.0.0.1", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa6("fe80::1", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa6("::1", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa6("ff02::1", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a = ifa("eth0", up, sa6("::ffff:192.0.2.1", 0));
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
	a.addr.sa.sa_family = AF_PACKET;
	EXPECT_FALSE(meshd_addr_usable(&a, "mesh0"));
}

TEST(gather_uses_listen_port_dedups_and_caps)
{
	const unsigned int up = IFF_UP;
	struct meshd_ifaddr addrs[40];
	union wgm_sockaddr mapped[3];
	const uint8_t kinds[3] = { WGM_CANDIDATE_KIND_STUN, WGM_CANDIDATE_KIND_STUN,
				   WGM_CANDIDATE_KIND_PORTMAP };
	struct mp_candidate out[MP_MAX_CANDIDATES], want;
	char ip[32];
	unsigned int n, i;

	addrs[0] = ifa("lo", up | IFF_LOOPBACK, sa4("127.0.0.1", 0));
	addrs[1] = ifa("eth0", up, sa4("192.0.2.1", 0));
	addrs[2] = ifa("eth0", up, sa6("fe80::1", 0));
	addrs[3] = ifa("eth0", up, sa6("2001:db8::1", 0));
	addrs[4] = ifa("mesh0", up, sa4("100.64.0.1", 0));
	addrs[5] = ifa("br0", up, sa4("192.0.2.1", 0));	/* duplicate */
	n = meshd_gather(addrs, 6, "mesh0", 51820, NULL, NULL, 0, out,
			 MP_MAX_CANDIDATES);
	ASSERT_EQ(2, n);
	want = cand4("192.0.2.1", 51820);
	want.kind = WGM_CANDIDATE_KIND_LOCAL;
	EXPECT_TRUE(meshd_cands_same(&want, 1, &out[0], 1));
	EXPECT_EQ(AF_INET6, out[1].family);
	EXPECT_EQ(51820, out[1].port);
	EXPECT_EQ(WGM_CANDIDATE_KIND_LOCAL, out[1].kind);

	/* mapped addresses first, with their own port; duplicates dropped */
	mapped[0] = sa4("203.0.113.7", 40000);
	mapped[1] = sa4("203.0.113.7", 40000);
	n = meshd_gather(addrs, 6, "mesh0", 51820, mapped, kinds, 2, out,
			 MP_MAX_CANDIDATES);
	ASSERT_EQ(3, n);
	want = cand4("203.0.113.7", 40000);
	want.kind = WGM_CANDIDATE_KIND_STUN;
	EXPECT_TRUE(meshd_cands_same(&want, 1, &out[0], 1));

	/* the gateway's mapping: its own kind, even where STUN saw it too */
	mapped[1] = sa4("203.0.113.7", 41000);
	mapped[2] = sa4("203.0.113.7", 40000);
	n = meshd_gather(addrs, 6, "mesh0", 51820, mapped, kinds, 3, out,
			 MP_MAX_CANDIDATES);
	ASSERT_EQ(4, n);
	EXPECT_EQ(WGM_CANDIDATE_KIND_PORTMAP, out[0].kind);
	EXPECT_EQ(WGM_CANDIDATE_KIND_STUN, out[1].kind);
	EXPECT_EQ(41000, out[1].port);
	EXPECT_FALSE(meshd_cands_same(&want, 1, &out[0], 1));

	/* no port yet: local addresses are useless */
	EXPECT_EQ(0, meshd_gather(addrs, 6, "mesh0", 0, NULL, NULL, 0, out,
				  MP_MAX_CANDIDATES));

	/* never more than the limit */
	for (i = 0; i < 40; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", i + 1);
		addrs[i] = ifa("eth0", up, sa4(ip, 0));
	}
	EXPECT_EQ(MP_MAX_CANDIDATES,
		  meshd_gather(addrs, 40, "mesh0", 1, NULL, NULL, 0, out, 100));
	EXPECT_EQ(5, meshd_gather(addrs, 40, "mesh0", 1, NULL, NULL, 0, out, 5));
}

TEST(candidate_sets)
{
	struct mp_candidate a[3], b[3];

	a[0] = cand4("192.0.2.1", 1);
	a[1] = cand4("192.0.2.2", 1);
	a[2] = cand4("192.0.2.3", 1);
	b[0] = a[2];
	b[1] = a[0];
	b[2] = a[1];
	EXPECT_TRUE(meshd_cands_same(a, 3, b, 3));
	EXPECT_FALSE(meshd_cands_same(a, 3, b, 2));
	EXPECT_FALSE(meshd_cands_same(a, 2, b, 3));
	b[0].port = 2;
	EXPECT_FALSE(meshd_cands_same(a, 3, b, 3));
	EXPECT_TRUE(meshd_cands_same(a, 0, b, 0));
	/* the same address of another kind is another candidate */
	b[0] = a[2];
	b[0].kind = WGM_CANDIDATE_KIND_PORTMAP;
	EXPECT_FALSE(meshd_cands_same(a, 3, b, 3));
}

TEST(peer_table_updates_and_prune)
{
	struct meshd_peers t;
	struct mp_peer p;
	uint8_t gone[4][MP_KEY_LEN], key[MP_KEY_LEN];
	int i;

	meshd_peers_init(&t);
	for (i = 1; i <= 20; i++) {
		mkpeer(&p, (uint8_t)i, 2);
		ASSERT_EQ(MESHD_PEER_NEW, meshd_peers_update(&t, &p));
	}
	ASSERT_EQ(20, t.n);
	mkpeer(&p, 3, 2);
	EXPECT_EQ(MESHD_PEER_SAME, meshd_peers_update(&t, &p));
	p.online = 0;
	EXPECT_EQ(MESHD_PEER_ONLINE, meshd_peers_update(&t, &p));
	mkpeer(&p, 3, 1);
	EXPECT_EQ(MESHD_PEER_CANDS | MESHD_PEER_ONLINE,
		  meshd_peers_update(&t, &p));
	p.addr4[3] = 99;
	EXPECT_EQ(MESHD_PEER_ADDRS, meshd_peers_update(&t, &p));
	EXPECT_EQ(99, meshd_peers_find(&t, p.pubkey)->addr4[3]);

	memset(key, 5, sizeof(key));
	EXPECT_TRUE(meshd_peers_remove(&t, key));
	EXPECT_FALSE(meshd_peers_remove(&t, key));
	EXPECT_EQ(NULL, meshd_peers_find(&t, key));
	EXPECT_EQ(19, t.n);

	/* a new session lists only peers 1 and 2: the others are gone */
	meshd_peers_unsee(&t);
	mkpeer(&p, 1, 2);
	meshd_peers_update(&t, &p);
	mkpeer(&p, 2, 2);
	meshd_peers_update(&t, &p);
	EXPECT_EQ(17, meshd_peers_prune(&t, gone, 4));
	ASSERT_EQ(2, t.n);
	memset(key, 1, sizeof(key));
	EXPECT_NE(NULL, meshd_peers_find(&t, key));
	memset(key, 2, sizeof(key));
	EXPECT_NE(NULL, meshd_peers_find(&t, key));
	EXPECT_EQ(0, meshd_peers_prune(&t, gone, 4));
	meshd_peers_free(&t);
}

/* Turn a request into the kernel state it would produce (for re-diffing). */
static void apply(struct mesh_conf_device *cur, const struct mesh_conf_device *req)
{
	const struct mesh_conf_peer *rp;
	struct mesh_conf_peer *kp;
	size_t i, j;

	for (i = 0; i < req->n_peers; i++) {
		rp = &req->peers[i];
		kp = mesh_conf_device_find_peer(cur, rp->public_key);
		if (rp->flags & WGM_PEER_F_REMOVE_ME) {
			if (kp) {
				free(kp->aips);
				free(kp->cands);
				*kp = cur->peers[--cur->n_peers];
			}
			continue;
		}
		if (!kp) {
			kp = mesh_conf_device_add_peer(cur);
			memcpy(kp->public_key, rp->public_key, WGM_KEY_LEN);
		}
		if (rp->flags & WGM_PEER_F_REPLACE_ALLOWEDIPS)
			kp->n_aips = 0;
		for (j = 0; j < rp->n_aips; j++)
			*mesh_conf_peer_add_aip(kp) = rp->aips[j];
		if (rp->flags & WGM_PEER_F_REPLACE_CANDIDATES)
			kp->n_cands = 0;
		for (j = 0; j < rp->n_cands; j++)
			*mesh_conf_peer_add_cand(kp) = rp->cands[j];
		if (rp->has & MESH_CONF_PEER_HAS_KEEPALIVE)
			kp->keepalive = rp->keepalive;
		if (rp->has & MESH_CONF_PEER_HAS_ENDPOINT) {
			kp->endpoint = rp->endpoint;
			kp->has |= MESH_CONF_PEER_HAS_ENDPOINT;
		}
	}
}

TEST(diff_installs_updates_removes)
{
	struct mesh_conf_device cur, req;
	struct meshd_peers t;
	struct mp_peer p;
	struct wgm_err err;
	const struct mesh_conf_peer *rp;
	uint8_t self[MP_KEY_LEN], key[MP_KEY_LEN];
	union wgm_sockaddr first, other;

	memset(self, 0xee, sizeof(self));
	meshd_peers_init(&t);
	mesh_conf_device_init(&cur);
	mkpeer(&p, 1, 2);
	meshd_peers_update(&t, &p);
	mkpeer(&p, 2, 0);
	meshd_peers_update(&t, &p);
	mkpeer(&p, 0xee, 1);		/* ourselves: never installed */
	meshd_peers_update(&t, &p);

	/* empty kernel: both peers added in full */
	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(2, req.n_peers);
	memset(key, 1, sizeof(key));
	rp = mesh_conf_device_find_peer(&req, key);
	ASSERT_NE(NULL, rp);
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS | WGM_PEER_F_REPLACE_CANDIDATES,
		  rp->flags);
	ASSERT_EQ(2, rp->n_aips);
	EXPECT_EQ(AF_INET, rp->aips[0].family);
	EXPECT_EQ(32, rp->aips[0].cidr);
	EXPECT_EQ(htonl(0x64400001), rp->aips[0].addr.ip4.s_addr);
	EXPECT_EQ(AF_INET6, rp->aips[1].family);
	EXPECT_EQ(128, rp->aips[1].cidr);
	ASSERT_EQ(2, rp->n_cands);
	EXPECT_TRUE(rp->has & MESH_CONF_PEER_HAS_KEEPALIVE);
	EXPECT_EQ(MESHD_KEEPALIVE, rp->keepalive);
	ASSERT_TRUE(rp->has & MESH_CONF_PEER_HAS_ENDPOINT);
	first = sa4("192.0.2.10", 51820);
	EXPECT_TRUE(wgm_endpoint_equal(&first, &rp->endpoint));
	memset(key, 2, sizeof(key));
	rp = mesh_conf_device_find_peer(&req, key);
	ASSERT_NE(NULL, rp);
	EXPECT_EQ(0, rp->n_cands);
	EXPECT_FALSE(rp->has & MESH_CONF_PEER_HAS_ENDPOINT);
	EXPECT_TRUE(rp->flags & WGM_PEER_F_REPLACE_CANDIDATES);

	/* once applied, nothing more to do */
	apply(&cur, &req);
	mesh_conf_device_free(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	EXPECT_EQ(0, req.n_peers);

	/* the kernel moved peer 1 to its second candidate: left alone */
	memset(key, 1, sizeof(key));
	other = sa4("192.0.2.11", 51821);
	mesh_conf_device_find_peer(&cur, key)->endpoint = other;
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	EXPECT_EQ(0, req.n_peers);

	/* new candidates for peer 1: only those, endpoint untouched */
	mkpeer(&p, 1, 3);
	meshd_peers_update(&t, &p);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	EXPECT_EQ(WGM_PEER_F_UPDATE_ONLY | WGM_PEER_F_REPLACE_CANDIDATES,
		  req.peers[0].flags);
	EXPECT_EQ(3, req.peers[0].n_cands);
	EXPECT_EQ(0, req.peers[0].n_aips);
	EXPECT_FALSE(req.peers[0].has & MESH_CONF_PEER_HAS_ENDPOINT);
	EXPECT_FALSE(req.peers[0].has & MESH_CONF_PEER_HAS_KEEPALIVE);
	apply(&cur, &req);
	mesh_conf_device_free(&req);

	/* the service says what kind a candidate is: the kernel is told */
	mkpeer(&p, 1, 3);
	p.cand.c[2].kind = WGM_CANDIDATE_KIND_PORTMAP;
	p.cand.kinds = true;
	meshd_peers_update(&t, &p);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	ASSERT_EQ(3, req.peers[0].n_cands);
	EXPECT_EQ(WGM_CANDIDATE_KIND_DIRECT, req.peers[0].cands[0].kind);
	EXPECT_EQ(WGM_CANDIDATE_KIND_PORTMAP, req.peers[0].cands[2].kind);
	apply(&cur, &req);
	mesh_conf_device_free(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	EXPECT_EQ(0, req.n_peers);

	/* peer 2 leaves the table; a stranger appears in the kernel */
	memset(key, 2, sizeof(key));
	meshd_peers_remove(&t, key);
	memset(mesh_conf_device_add_peer(&cur)->public_key, 7, WGM_KEY_LEN);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(2, req.n_peers);
	EXPECT_EQ(WGM_PEER_F_REMOVE_ME, req.peers[0].flags);
	EXPECT_EQ(WGM_PEER_F_REMOVE_ME, req.peers[1].flags);
	EXPECT_EQ(NULL, mesh_conf_device_find_peer(&req, self));
	apply(&cur, &req);
	mesh_conf_device_free(&req);
	ASSERT_EQ(1, cur.n_peers);

	/* someone changed the keepalive or allowed IPs: put back */
	cur.peers[0].keepalive = 0;
	cur.peers[0].aips[0].cidr = 24;
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	EXPECT_EQ(WGM_PEER_F_UPDATE_ONLY | WGM_PEER_F_REPLACE_ALLOWEDIPS,
		  req.peers[0].flags);
	EXPECT_EQ(2, req.peers[0].n_aips);
	EXPECT_EQ(MESHD_KEEPALIVE, req.peers[0].keepalive);

	mesh_conf_device_free(&req);
	mesh_conf_device_free(&cur);
	meshd_peers_free(&t);
}

TEST(recandidate_and_punch_requests)
{
	struct meshd_peers t;
	struct meshd_peer *p;
	struct mesh_conf_device req;
	struct mesh_conf_peer kp;
	struct mesh_conf_cand kc[2];
	struct mp_peer mp;
	struct wgm_err err;

	meshd_peers_init(&t);
	mkpeer(&mp, 4, 2);
	meshd_peers_update(&t, &mp);
	p = &t.v[0];

	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_recandidate(p, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	EXPECT_EQ(WGM_PEER_F_UPDATE_ONLY | WGM_PEER_F_REPLACE_CANDIDATES,
		  req.peers[0].flags);
	EXPECT_EQ(2, req.peers[0].n_cands);
	mesh_conf_device_free(&req);

	memset(&kp, 0, sizeof(kp));
	memset(kc, 0, sizeof(kc));
	kp.cands = kc;
	kp.n_cands = 2;
	kc[0].state = WGM_CANDIDATE_DEAD;
	kc[1].state = WGM_CANDIDATE_DEAD;
	EXPECT_TRUE(meshd_want_punch_request(p, &kp, 1000));
	p->last_punch_ms = 1000;
	EXPECT_FALSE(meshd_want_punch_request(p, &kp, 1000 + 29999));
	EXPECT_TRUE(meshd_want_punch_request(p, &kp, 1000 + 30000));
	kc[1].state = WGM_CANDIDATE_PROBING;
	EXPECT_FALSE(meshd_want_punch_request(p, &kp, 100000));
	kc[1].state = WGM_CANDIDATE_ALIVE;
	EXPECT_FALSE(meshd_want_punch_request(p, &kp, 100000));
	kc[1].state = WGM_CANDIDATE_DEAD;
	p->online = false;
	EXPECT_FALSE(meshd_want_punch_request(p, &kp, 100000));
	p->online = true;
	EXPECT_FALSE(meshd_want_punch_request(p, NULL, 100000));
	kp.n_cands = 0;
	EXPECT_FALSE(meshd_want_punch_request(p, &kp, 100000));
	meshd_peers_free(&t);
}

static struct mp_candidate cand6(const char *ip, uint16_t port)
{
	union wgm_sockaddr s = sa6(ip, port);
	struct mp_candidate c;

	meshd_cand_from_sockaddr(&c, &s);
	return c;
}

/* The candidates req installs for key, as mp_candidates. */
static unsigned int req_cands(const struct mesh_conf_device *req, uint8_t id,
			      struct mp_candidate *out)
{
	const struct mesh_conf_peer *rp;
	uint8_t key[MP_KEY_LEN];
	unsigned int n = 0;
	size_t i;

	memset(key, id, sizeof(key));
	rp = mesh_conf_device_find_peer(req, key);
	if (!rp)
		return 0;
	for (i = 0; i < rp->n_cands && n < MP_MAX_CANDIDATES; i++)
		if (!meshd_cand_from_sockaddr(&out[n], &rp->cands[i].endpoint))
			n++;
	return n;
}

/*
 * A hostile or buggy coordinator's candidates: only the usable ones reach
 * the kernel, each once; the first usable one is the endpoint.
 */
TEST(coordinator_candidates_filtered)
{
	static const char *const bad6[] = {
		"::", "::1", "ff02::1", "fe80::1",
	};
	struct mp_candidate got[MP_MAX_CANDIDATES], want[3];
	struct mesh_conf_device cur, req;
	const struct mesh_conf_peer *rp;
	struct meshd_peers t;
	struct mp_peer p;
	struct wgm_err err;
	uint8_t self[MP_KEY_LEN];
	union wgm_sockaddr ep;
	unsigned int n = 0, i;

	memset(self, 0xee, sizeof(self));
	mkpeer(&p, 1, 0);
	p.cand.c[n++] = cand4("0.0.0.0", 51820);
	p.cand.c[n++] = cand4("127.0.0.1", 51820);
	p.cand.c[n++] = cand4("224.0.0.1", 51820);
	p.cand.c[n++] = cand4("255.255.255.255", 51820);
	p.cand.c[n++] = cand4("198.51.100.1", 0);
	for (i = 0; i < 4; i++)
		p.cand.c[n++] = cand6(bad6[i], 51820);
	p.cand.c[n] = cand4("198.51.100.1", 1);
	p.cand.c[n].family = 99;		/* neither IPv4 nor IPv6 */
	n++;
	want[0] = p.cand.c[n++] = cand4("198.51.100.7", 51820);
	p.cand.c[n++] = cand4("198.51.100.7", 51820);	/* duplicate */
	want[1] = p.cand.c[n++] = cand6("2001:db8::7", 51820);
	want[2] = p.cand.c[n++] = cand4("169.254.3.4", 51820);
	p.cand.n = (uint8_t)n;

	meshd_peers_init(&t);
	EXPECT_EQ(MESHD_PEER_NEW, meshd_peers_update(&t, &p));
	mesh_conf_device_init(&cur);
	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	n = req_cands(&req, 1, got);
	EXPECT_EQ(3, n);
	EXPECT_TRUE(meshd_cands_same(got, n, want, 3));
	rp = &req.peers[0];
	ASSERT_TRUE(rp->has & MESH_CONF_PEER_HAS_ENDPOINT);
	meshd_cand_to_sockaddr(&want[0], &ep);
	EXPECT_EQ(0, memcmp(&ep, &rp->endpoint, sizeof(ep)));
	/* The same list again changes nothing. */
	EXPECT_EQ(MESHD_PEER_SAME, meshd_peers_update(&t, &p));

	/* Only unusable candidates: none installed, no endpoint. */
	p.cand.c[0] = cand4("127.0.0.1", 51820);
	p.cand.n = 1;
	EXPECT_EQ(MESHD_PEER_CANDS, meshd_peers_update(&t, &p));
	EXPECT_EQ(0, meshd_peers_find(&t, p.pubkey)->cand.n);
	mesh_conf_device_free(&req);
	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	EXPECT_EQ(0, req.peers[0].n_cands);
	EXPECT_FALSE(req.peers[0].has & MESH_CONF_PEER_HAS_ENDPOINT);

	mesh_conf_device_free(&req);
	mesh_conf_device_free(&cur);
	meshd_peers_free(&t);
}

/* Our own candidates handed back as a peer's are not installed. */
TEST(coordinator_candidates_not_ours)
{
	struct mp_candidate mine[2], out[MP_MAX_CANDIDATES];
	struct mp_candidates in;
	struct meshd_peers t;
	struct mp_peer p;
	unsigned int i;

	mine[0] = cand4("203.0.113.5", 40000);
	mine[1] = cand6("2001:db8::5", 51820);
	memset(&in, 0, sizeof(in));
	in.c[in.n++] = mine[1];
	in.c[in.n++] = cand4("203.0.113.5", 40001);	/* same host, other port */
	in.c[in.n++] = mine[0];
	EXPECT_EQ(1, meshd_cands_filter(&in, mine, 2, out));
	EXPECT_EQ(0, memcmp(&out[0], &in.c[1], sizeof(out[0])));

	/* The cap is the kernel's. */
	memset(&in, 0, sizeof(in));
	for (i = 0; i < MP_MAX_CANDIDATES; i++)
		in.c[in.n++] = cand4("198.51.100.9", (uint16_t)(1000 + i));
	EXPECT_EQ(MP_MAX_CANDIDATES, meshd_cands_filter(&in, NULL, 0, out));

	/* Through the table: meshd_peers_set_self applies to later updates. */
	meshd_peers_init(&t);
	meshd_peers_set_self(&t, mine, 2);
	mkpeer(&p, 3, 1);
	p.cand.c[1] = mine[0];
	p.cand.n = 2;
	meshd_peers_update(&t, &p);
	EXPECT_EQ(1, meshd_peers_find(&t, p.pubkey)->cand.n);
	meshd_peers_free(&t);
}

/*
 * Two peers claiming one overlay address: the lower public key keeps it, the
 * other gets none of the contested allowed IPs (the kernel would otherwise
 * move the address to whichever came last); once the conflict is gone the
 * other gets it.
 */
TEST(diff_duplicate_overlay_address)
{
	struct mesh_conf_device cur, req;
	const struct mesh_conf_peer *rp;
	struct meshd_peers t;
	struct mp_peer p;
	struct wgm_err err;
	uint8_t self[MP_KEY_LEN];
	size_t i;

	memset(self, 0xee, sizeof(self));
	meshd_peers_init(&t);
	mesh_conf_device_init(&cur);
	mesh_conf_device_init(&req);
	/* Peer 9 arrives first and claims 2's IPv4 address, not its IPv6. */
	mkpeer(&p, 9, 1);
	p.addr4[3] = 2;
	meshd_peers_update(&t, &p);
	mkpeer(&p, 2, 1);
	meshd_peers_update(&t, &p);
	mkpeer(&p, 5, 1);
	p.addr4[3] = 2;
	p.addr6[15] = 2;
	meshd_peers_update(&t, &p);

	/* meshd logs the conflict once, when an address arrives. */
	EXPECT_NE(NULL, meshd_peers_addr_shared(&t, meshd_peers_find(&t, p.pubkey), self));
	memset(p.pubkey, 2, MP_KEY_LEN);
	EXPECT_NE(NULL, meshd_peers_addr_shared(&t, meshd_peers_find(&t, p.pubkey), self));
	mkpeer(&p, 7, 0);
	meshd_peers_update(&t, &p);
	EXPECT_EQ(NULL, meshd_peers_addr_shared(&t, meshd_peers_find(&t, p.pubkey), self));
	meshd_peers_remove(&t, p.pubkey);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(3, req.n_peers);
	for (i = 0; i < req.n_peers; i++) {
		rp = &req.peers[i];
		switch (rp->public_key[0]) {
		case 2:		/* keeps both */
			EXPECT_EQ(2, rp->n_aips);
			break;
		case 5:		/* loses both to 2 */
			EXPECT_EQ(0, rp->n_aips);
			break;
		case 9:		/* loses IPv4 to 2, keeps its IPv6 */
			ASSERT_EQ(1, rp->n_aips);
			EXPECT_EQ(AF_INET6, rp->aips[0].family);
			EXPECT_EQ(9, rp->aips[0].addr.ip6.s6_addr[15]);
			break;
		default:
			EXPECT_TRUE(false);
		}
	}
	apply(&cur, &req);
	mesh_conf_device_free(&req);

	/* 2 leaves: 5 (lower than 9) now owns 100.64.0.2, then nothing moves. */
	memset(p.pubkey, 2, MP_KEY_LEN);
	meshd_peers_remove(&t, p.pubkey);
	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	for (i = 0; i < req.n_peers; i++) {
		rp = &req.peers[i];
		if (rp->public_key[0] == 5) {
			EXPECT_EQ(2, rp->n_aips);
		} else if (rp->public_key[0] == 9) {
			EXPECT_TRUE(!(rp->flags & WGM_PEER_F_REPLACE_ALLOWEDIPS));
		}
	}
	apply(&cur, &req);
	mesh_conf_device_free(&req);
	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	EXPECT_EQ(0, req.n_peers);

	mesh_conf_device_free(&req);
	mesh_conf_device_free(&cur);
	meshd_peers_free(&t);
}

/* issue 15: the service's STUN list becomes the kernel's servers */
TEST(stun_servers_from_welcome)
{
	union wgm_sockaddr coord[3] = { sa6("2001:db8::c", 0), sa4("198.51.100.1", 0),
					sa4("198.51.100.9", 0) };
	union wgm_sockaddr out[WGM_STUN_MAX_SERVERS], want;
	struct mp_stun_list l;
	char a[WGM_ADDRSTRLEN];
	size_t n;

	memset(&l, 0, sizeof(l));
	l.n = 2;
	l.s[0].port = 3478;		/* AF_UNSPEC: the --coord host */
	l.s[1].port = 3479;
	n = meshd_stun_servers(&l, coord, 3, out, WGM_STUN_MAX_SERVERS);
	ASSERT_EQ(4, n);
	/* the first address of each family, IPv4 first, both ports each */
	EXPECT_STREQ("198.51.100.1:3478", wgm_format_endpoint(&out[0], a, sizeof(a)));
	EXPECT_STREQ("198.51.100.1:3479", wgm_format_endpoint(&out[1], a, sizeof(a)));
	EXPECT_STREQ("[2001:db8::c]:3478", wgm_format_endpoint(&out[2], a, sizeof(a)));
	EXPECT_STREQ("[2001:db8::c]:3479", wgm_format_endpoint(&out[3], a, sizeof(a)));
	/* a cut keeps a family's pair */
	EXPECT_EQ(2, meshd_stun_servers(&l, coord, 3, out, 2));
	EXPECT_STREQ("198.51.100.1:3479", wgm_format_endpoint(&out[1], a, sizeof(a)));
	/* an IPv4-only host: two servers */
	EXPECT_EQ(2, meshd_stun_servers(&l, coord + 1, 2, out, WGM_STUN_MAX_SERVERS));
	/* no host address at all: nothing */
	EXPECT_EQ(0, meshd_stun_servers(&l, coord, 0, out, WGM_STUN_MAX_SERVERS));

	/* literal addresses as given; a repeated one once */
	l.n = 3;
	l.s[0] = cand4("192.0.2.7", 3478);
	l.s[1] = cand4("192.0.2.8", 3478);
	l.s[2] = cand4("192.0.2.7", 3478);
	n = meshd_stun_servers(&l, coord, 3, out, WGM_STUN_MAX_SERVERS);
	ASSERT_EQ(2, n);
	want = sa4("192.0.2.8", 3478);
	EXPECT_TRUE(wgm_endpoint_equal(&out[1], &want));
	/* an empty list: nothing (the caller keeps its default) */
	l.n = 0;
	EXPECT_EQ(0, meshd_stun_servers(&l, coord, 3, out, WGM_STUN_MAX_SERVERS));
}

TEST(nat_explain)
{
	struct mesh_conf_stun s[2];
	char buf[256];

	memset(s, 0, sizeof(s));
	s[0].endpoint = sa4("198.51.100.1", 3478);
	s[1].endpoint = sa4("198.51.100.1", 3479);
	s[0].mapped = sa4("203.0.113.1", 40000);
	EXPECT_EQ(0, meshd_nat_explain(s, 2, buf, sizeof(buf)));
	EXPECT_STREQ("unknown (fewer than two STUN answers): 198.51.100.1:3478 saw "
		     "203.0.113.1:40000, 198.51.100.1:3479 saw nothing yet", buf);
	s[1].mapped = sa4("203.0.113.1", 40001);
	EXPECT_EQ(2, meshd_nat_explain(s, 2, buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "hard (endpoint-dependent mapping): ", 35));
	s[1].mapped = sa4("203.0.113.1", 40000);
	EXPECT_EQ(1, meshd_nat_explain(s, 2, buf, sizeof(buf)));
	/* a short buffer is cut, not overrun (ASan watches) */
	EXPECT_EQ(1, meshd_nat_explain(s, 2, buf, 10));
	EXPECT_STREQ("easy (end", buf);
}

static struct mp_msg relay_msg(uint8_t peer, const char *ip, uint16_t port, uint32_t id,
			       uint8_t keybyte)
{
	struct mp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY;
	memset(m.u.relay.pubkey, peer, MP_KEY_LEN);
	if (ip)
		m.u.relay.ep = cand4(ip, port);
	else
		m.u.relay.ep.port = port;	/* family 0: the service's host */
	m.u.relay.id = id;
	memset(m.u.relay.key, keybyte, MP_RELAY_KEY_LEN);
	m.u.relay.lifetime = 600;
	return m;
}

/*
 * issue 14: RELAY puts a relay candidate (kind, id, key) next to the
 * direct ones, the endpoint of family 0 on the service's address; the
 * kernel's report (id, no key) matches it; RELAY_REMOVED with the right
 * id takes it away, a stale one does not; a new session forgets it; a
 * live relay path does not stop punch requests.
 */
TEST(relay_candidates)
{
	union wgm_sockaddr coord = sa4("198.51.100.1", 7443), want;
	struct mesh_conf_device cur, req;
	struct mesh_conf_peer kp;
	struct mesh_conf_cand kc[2];
	const struct mesh_conf_peer *rp;
	struct meshd_peers t;
	struct meshd_peer *p;
	struct wgm_err err;
	struct mp_peer mp;
	struct mp_msg m;
	uint8_t self[MP_KEY_LEN], key[MP_KEY_LEN];
	char line[256];
	unsigned int i;

	memset(self, 0xee, sizeof(self));
	meshd_peers_init(&t);
	mesh_conf_device_init(&cur);
	mkpeer(&mp, 1, 2);
	meshd_peers_update(&t, &mp);

	/* unknown peer, no address: nothing */
	m = relay_msg(9, NULL, 3500, 77, 0x41);
	EXPECT_FALSE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "unknown peer"));
	m = relay_msg(1, NULL, 3500, 77, 0x41);
	EXPECT_FALSE(meshd_relay_apply(&t, &m, NULL, line, sizeof(line)));
	EXPECT_FALSE(t.v[0].relay.on);

	/* family 0 on the service's address */
	ASSERT_TRUE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "198.51.100.1:3500 (id 77"));
	EXPECT_FALSE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));	/* same again */

	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	rp = &req.peers[0];
	ASSERT_EQ(3, rp->n_cands);
	EXPECT_EQ(0, rp->cands[0].kind);
	EXPECT_FALSE(rp->cands[0].has_relay_key);
	EXPECT_EQ(WGM_CANDIDATE_KIND_RELAY, rp->cands[2].kind);
	EXPECT_TRUE(rp->cands[2].has_relay_key);
	EXPECT_EQ(77u, rp->cands[2].relay_id);
	EXPECT_EQ(0x41, rp->cands[2].relay_key[0]);
	EXPECT_EQ(0x41, rp->cands[2].relay_key[31]);
	want = sa4("198.51.100.1", 3500);
	EXPECT_TRUE(wgm_endpoint_equal(&want, &rp->cands[2].endpoint));
	/* the endpoint is a direct one */
	want = sa4("192.0.2.10", 51820);
	EXPECT_TRUE(wgm_endpoint_equal(&want, &rp->endpoint));

	/* applied; the kernel reports the id but never the key: in sync */
	apply(&cur, &req);
	mesh_conf_device_free(&req);
	memset(cur.peers[0].cands[2].relay_key, 0, WGM_RELAY_KEY_LEN);
	cur.peers[0].cands[2].has_relay_key = false;
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	EXPECT_EQ(0, req.n_peers);

	/* a new allocation (new id): replaced */
	m = relay_msg(1, "203.0.113.5", 3600, 78, 0x42);
	ASSERT_TRUE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	ASSERT_EQ(3, req.peers[0].n_cands);
	EXPECT_EQ(78u, req.peers[0].cands[2].relay_id);
	want = sa4("203.0.113.5", 3600);
	EXPECT_TRUE(wgm_endpoint_equal(&want, &req.peers[0].cands[2].endpoint));
	apply(&cur, &req);
	mesh_conf_device_free(&req);

	/* a stale withdrawal changes nothing; the right one removes it */
	memset(&m, 0, sizeof(m));
	m.type = MP_RELAY_REMOVED;
	memset(m.u.relay_removed.pubkey, 1, MP_KEY_LEN);
	m.u.relay_removed.id = 77;
	EXPECT_FALSE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));
	EXPECT_TRUE(t.v[0].relay.on);
	m.u.relay_removed.id = 78;
	ASSERT_TRUE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));
	EXPECT_FALSE(t.v[0].relay.on);
	EXPECT_EQ(0, t.v[0].relay.key[0]);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	EXPECT_EQ(2, req.peers[0].n_cands);
	for (i = 0; i < req.peers[0].n_cands; i++)
		EXPECT_EQ(0, req.peers[0].cands[i].kind);
	apply(&cur, &req);
	mesh_conf_device_free(&req);

	/* 16 direct candidates and a relay: the relay keeps its place */
	mkpeer(&mp, 1, MP_MAX_CANDIDATES);
	meshd_peers_update(&t, &mp);
	m = relay_msg(1, NULL, 3502, 79, 0x43);
	ASSERT_TRUE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	ASSERT_EQ(MP_MAX_CANDIDATES, req.peers[0].n_cands);
	EXPECT_EQ(WGM_CANDIDATE_KIND_RELAY, req.peers[0].cands[MP_MAX_CANDIDATES - 1].kind);
	apply(&cur, &req);
	mesh_conf_device_free(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	EXPECT_EQ(0, req.n_peers);

	/* punch requests: a live relay does not count, dead directs do */
	p = &t.v[0];
	memset(&kp, 0, sizeof(kp));
	memset(kc, 0, sizeof(kc));
	kp.cands = kc;
	kp.n_cands = 2;
	kc[0].state = WGM_CANDIDATE_DEAD;
	kc[1].state = WGM_CANDIDATE_ALIVE;
	kc[1].kind = WGM_CANDIDATE_KIND_RELAY;
	EXPECT_TRUE(meshd_want_punch_request(p, &kp, 100000));
	kc[0].state = WGM_CANDIDATE_ALIVE;
	EXPECT_FALSE(meshd_want_punch_request(p, &kp, 100000));
	kp.cands = &kc[1];	/* only the relay in the kernel */
	kp.n_cands = 1;
	EXPECT_FALSE(meshd_want_punch_request(p, &kp, 100000));

	/* a new session: the last one's allocations are gone */
	meshd_peers_unsee(&t);
	EXPECT_FALSE(t.v[0].relay.on);
	memset(key, 0, sizeof(key));
	EXPECT_EQ(0, memcmp(t.v[0].relay.key, key, sizeof(key)));

	mesh_conf_device_free(&cur);
	meshd_peers_free(&t);
}

TEST(relay_over_tcp)
{
	union wgm_sockaddr coord = sa4("198.51.100.1", 7443), want;
	struct mesh_conf_device cur, req;
	struct meshd_peers t;
	struct wgm_err err;
	struct mp_peer mp;
	struct mp_msg m;
	uint8_t self[MP_KEY_LEN];
	char line[256];

	/* when: never before version 4; always; auto after 10 s of unanswered STUN */
	EXPECT_FALSE(meshd_want_relay_tcp(MESHD_RELAY_TCP_ALWAYS, 3, 2, 60000, 0));
	EXPECT_TRUE(meshd_want_relay_tcp(MESHD_RELAY_TCP_ALWAYS, 4, 0, 0, 1));
	EXPECT_FALSE(meshd_want_relay_tcp(MESHD_RELAY_TCP_NEVER, 4, 2, 60000, 0));
	EXPECT_FALSE(meshd_want_relay_tcp(MESHD_RELAY_TCP_AUTO, 4, 2, MESHD_UDP_BLOCKED_MS - 1, 0));
	EXPECT_TRUE(meshd_want_relay_tcp(MESHD_RELAY_TCP_AUTO, 4, 2, MESHD_UDP_BLOCKED_MS, 0));
	/* an answer says UDP gets out; no server, nothing to judge by */
	EXPECT_FALSE(meshd_want_relay_tcp(MESHD_RELAY_TCP_AUTO, 4, 2, 60000, 1));
	EXPECT_FALSE(meshd_want_relay_tcp(MESHD_RELAY_TCP_AUTO, 4, 0, 60000, 0));
	/* the wake-up for that moment: only ahead of now, only in auto mode */
	EXPECT_EQ(1000 + MESHD_UDP_BLOCKED_MS,
		  meshd_relay_tcp_due(MESHD_RELAY_TCP_AUTO, 4, 2, 1000, 0, 5000));
	EXPECT_EQ(UINT64_MAX, meshd_relay_tcp_due(MESHD_RELAY_TCP_AUTO, 4, 2, 1000, 0,
						  1000 + MESHD_UDP_BLOCKED_MS));
	EXPECT_EQ(UINT64_MAX, meshd_relay_tcp_due(MESHD_RELAY_TCP_NEVER, 4, 2, 1000, 0, 5000));
	EXPECT_EQ(UINT64_MAX, meshd_relay_tcp_due(MESHD_RELAY_TCP_AUTO, 3, 2, 1000, 0, 5000));
	EXPECT_EQ(UINT64_MAX, meshd_relay_tcp_due(MESHD_RELAY_TCP_AUTO, 4, 2, 1000, 1, 5000));

	/* carried over TCP: the kernel's relay candidate is the local carrier */
	memset(self, 0xee, sizeof(self));
	meshd_peers_init(&t);
	mesh_conf_device_init(&cur);
	mkpeer(&mp, 1, 2);
	meshd_peers_update(&t, &mp);
	m = relay_msg(1, NULL, 3500, 77, 0x41);
	ASSERT_TRUE(meshd_relay_apply(&t, &m, &coord, line, sizeof(line)));
	t.v[0].relay.tcp = true;
	ASSERT_EQ(0, mp_candidate_parse(&t.v[0].relay.local, "10.0.0.2:40000"));
	mesh_conf_device_init(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	ASSERT_EQ(3, req.peers[0].n_cands);
	EXPECT_EQ(WGM_CANDIDATE_KIND_RELAY, req.peers[0].cands[2].kind);
	EXPECT_EQ(77u, req.peers[0].cands[2].relay_id);
	want = sa4("10.0.0.2", 40000);
	EXPECT_TRUE(wgm_endpoint_equal(&want, &req.peers[0].cands[2].endpoint));
	apply(&cur, &req);
	mesh_conf_device_free(&req);
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	EXPECT_EQ(0, req.n_peers);
	/* back to UDP: the relay's own address again */
	t.v[0].relay.tcp = false;
	ASSERT_EQ(0, meshd_diff(&t, &cur, self, &req, &err));
	ASSERT_EQ(1, req.n_peers);
	want = sa4("198.51.100.1", 3500);
	EXPECT_TRUE(wgm_endpoint_equal(&want, &req.peers[0].cands[2].endpoint));
	mesh_conf_device_free(&req);
	mesh_conf_device_free(&cur);
	meshd_peers_free(&t);
}

/*
 * issue 15: the birthday search a PUNCH asks for, as a decision table:
 * role, switch, target (the peer's mapped candidate, IPv4 and usable),
 * then the bounds (one a minute, six an hour per peer).
 */
TEST(peer_nat_label)
{
	EXPECT_EQ(MP_NAT_EASY, meshd_peer_nat(0, MP_PUNCH, MP_BIRTHDAY_OPEN, 0));
	EXPECT_EQ(MP_NAT_HARD, meshd_peer_nat(0, MP_PUNCH, MP_BIRTHDAY_SPRAY, 0));
	EXPECT_EQ(MP_NAT_HARD, meshd_peer_nat(MP_NAT_EASY, MP_NO_PUNCH, 0, MP_NOPUNCH_BOTH_HARD));
	/* a plain punch or another reason says nothing new */
	EXPECT_EQ(MP_NAT_EASY, meshd_peer_nat(MP_NAT_EASY, MP_PUNCH, MP_BIRTHDAY_NONE, 0));
	EXPECT_EQ(0, meshd_peer_nat(0, MP_NO_PUNCH, 0, 77));
	EXPECT_EQ(MP_NAT_HARD, meshd_peer_nat(MP_NAT_HARD, MP_PING, 0, 0));
}

TEST(birthday_decisions)
{
	static const struct {
		uint8_t role;
		bool enabled;
		uint8_t mapped;
		enum meshd_birthday_verdict want;
	} table[] = {
		{ MP_BIRTHDAY_NONE, true, 1, MESHD_BIRTHDAY_NONE },
		{ MP_BIRTHDAY_NONE, false, 1, MESHD_BIRTHDAY_NONE },
		{ MP_BIRTHDAY_OPEN, false, 1, MESHD_BIRTHDAY_OFF },
		{ MP_BIRTHDAY_SPRAY, false, 1, MESHD_BIRTHDAY_OFF },
		{ 3, true, 1, MESHD_BIRTHDAY_ROLE },		/* a newer service's role */
		{ MP_BIRTHDAY_OPEN, true, MP_MAPPED_NONE, MESHD_BIRTHDAY_NO_TARGET },
		{ MP_BIRTHDAY_OPEN, true, 4, MESHD_BIRTHDAY_NO_TARGET },	/* past the list */
		{ MP_BIRTHDAY_OPEN, true, 2, MESHD_BIRTHDAY_NO_TARGET },	/* IPv6 */
		{ MP_BIRTHDAY_SPRAY, true, 3, MESHD_BIRTHDAY_NO_TARGET },	/* loopback */
		{ MP_BIRTHDAY_OPEN, true, 1, MESHD_BIRTHDAY_GO },
		{ MP_BIRTHDAY_SPRAY, true, 1, MESHD_BIRTHDAY_GO },
		{ MP_BIRTHDAY_SPRAY, true, 0, MESHD_BIRTHDAY_GO },	/* private: the kernel judges */
	};
	struct meshd_birthday h = { { 0 } };
	struct mp_punch pu;
	struct mp_candidate t;
	char s[MP_CAND_STRLEN];
	uint64_t now = 10000000;
	unsigned int i;

	memset(&pu, 0, sizeof(pu));
	pu.version = 5;
	pu.cand.n = 4;
	pu.cand.c[0] = cand4("192.168.1.7", 51820);
	pu.cand.c[1] = cand4("203.0.113.3", 40000);
	pu.cand.c[2].family = AF_INET6;
	pu.cand.c[2].addr[0] = 0x20;
	pu.cand.c[2].addr[15] = 1;
	pu.cand.c[2].port = 40000;
	pu.cand.c[3] = cand4("127.0.0.1", 51820);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		pu.birthday = table[i].role;
		pu.mapped = table[i].mapped;
		memset(&t, 0, sizeof(t));
		EXPECT_EQ(table[i].want, meshd_birthday_decide(&pu, table[i].enabled, &h, now, &t))
			TH_LOG("row %u", i);
		if (table[i].want == MESHD_BIRTHDAY_GO)
			EXPECT_TRUE(mp_candidate_equal(&t, &pu.cand.c[table[i].mapped]));
	}
	pu.birthday = MP_BIRTHDAY_OPEN;
	pu.mapped = 1;
	ASSERT_EQ(MESHD_BIRTHDAY_GO, meshd_birthday_decide(&pu, true, &h, now, &t));
	EXPECT_STREQ("203.0.113.3:40000", mp_candidate_format(&t, s));

	/* one a minute: refused within the gap, allowed at its end */
	meshd_birthday_note(&h, now);
	EXPECT_EQ(MESHD_BIRTHDAY_GAP, meshd_birthday_decide(&pu, true, &h, now, &t));
	EXPECT_EQ(MESHD_BIRTHDAY_GAP,
		  meshd_birthday_decide(&pu, true, &h, now + MESHD_BIRTHDAY_GAP_MS - 1, &t));
	EXPECT_EQ(MESHD_BIRTHDAY_GO,
		  meshd_birthday_decide(&pu, true, &h, now + MESHD_BIRTHDAY_GAP_MS, &t));
	/* six an hour: the seventh waits until the first is an hour old */
	for (i = 1; i < MESHD_BIRTHDAY_PER_HOUR; i++)
		meshd_birthday_note(&h, now + i * MESHD_BIRTHDAY_GAP_MS);
	EXPECT_EQ(MESHD_BIRTHDAY_HOURLY,
		  meshd_birthday_decide(&pu, true, &h, now + 6 * MESHD_BIRTHDAY_GAP_MS, &t));
	EXPECT_EQ(MESHD_BIRTHDAY_HOURLY,
		  meshd_birthday_decide(&pu, true, &h, now + MESHD_BIRTHDAY_HOUR_MS - 1, &t));
	EXPECT_EQ(MESHD_BIRTHDAY_GO,
		  meshd_birthday_decide(&pu, true, &h, now + MESHD_BIRTHDAY_HOUR_MS, &t));
	/* the gap is checked first; the switch and the target before both */
	EXPECT_EQ(MESHD_BIRTHDAY_GAP, meshd_birthday_decide(&pu, true, &h,
		  now + 5 * MESHD_BIRTHDAY_GAP_MS + 1, &t));
	EXPECT_EQ(MESHD_BIRTHDAY_OFF, meshd_birthday_decide(&pu, false, &h,
		  now + 5 * MESHD_BIRTHDAY_GAP_MS + 1, &t));
	pu.mapped = MP_MAPPED_NONE;
	EXPECT_EQ(MESHD_BIRTHDAY_NO_TARGET, meshd_birthday_decide(&pu, true, &h,
		  now + 5 * MESHD_BIRTHDAY_GAP_MS + 1, &t));
	/* a note at 0 ms still counts */
	memset(&h, 0, sizeof(h));
	meshd_birthday_note(&h, 0);
	pu.mapped = 1;
	EXPECT_EQ(MESHD_BIRTHDAY_GAP, meshd_birthday_decide(&pu, true, &h, 1, &t));
	/* texts for the log */
	EXPECT_STREQ("the peer has no IPv4 STUN candidate",
		     meshd_birthday_text(MESHD_BIRTHDAY_NO_TARGET));
	EXPECT_STREQ("turned off (--no-birthday)", meshd_birthday_text(MESHD_BIRTHDAY_OFF));
	EXPECT_STREQ("one started less than 60 s ago", meshd_birthday_text(MESHD_BIRTHDAY_GAP));
	EXPECT_STREQ("6 in the last hour already", meshd_birthday_text(MESHD_BIRTHDAY_HOURLY));
}

static void home_entry(struct mp_relay_list *l, const char *name, const char *ip, uint16_t port)
{
	struct mp_relay_info *r = &l->r[l->n++];

	snprintf(r->name, sizeof(r->name), "%s", name);
	r->ep.family = AF_INET;
	inet_pton(AF_INET, ip, r->ep.addr);
	r->ep.port = port;
}

/* One answered request to relay i taking rtt_us. */
static void home_sample(struct meshd_homes *h, unsigned int i, uint64_t t, uint32_t rtt_us)
{
	h->r[i].pending = true;
	h->r[i].sent_us = t;
	meshd_home_answer(h, i, t + rtt_us);
}

/* The home relay: samples, losses, the embedded relay's handicap, hysteresis, new lists. */
TEST(home_relay_choice)
{
	struct mp_relay_list l;
	struct meshd_homes h;
	unsigned int k;

	memset(&l, 0, sizeof(l));
	memset(&h, 0, sizeof(h));
	h.home = -1;
	home_entry(&l, MP_EMBEDDED_RELAY, "203.0.113.254", 3478);
	home_entry(&l, "eu", "203.0.113.10", 3478);
	home_entry(&l, "us", "198.51.100.10", 3478);
	EXPECT_TRUE(meshd_homes_set(&h, &l));
	EXPECT_EQ(3, h.n);
	EXPECT_FALSE(meshd_homes_set(&h, &l));		/* the same list */
	/* nothing measured: no home */
	EXPECT_EQ(-1, meshd_home_choose(&h));
	EXPECT_EQ(0u, meshd_home_rtt(&h.r[0]));
	/* the RTT is the least of the last three answers */
	home_sample(&h, 1, 1000, 9000);
	home_sample(&h, 1, 2000, 4000);
	home_sample(&h, 1, 3000, 6000);
	EXPECT_EQ(4000u, meshd_home_rtt(&h.r[1]));
	home_sample(&h, 1, 4000, 7000);
	home_sample(&h, 1, 5000, 8000);
	EXPECT_EQ(6000u, meshd_home_rtt(&h.r[1]));	/* 4000 fell out */
	/* the embedded relay counts 5 ms more: 2 ms there loses to 6 ms on eu */
	home_sample(&h, 0, 6000, 2000);
	EXPECT_EQ(1, meshd_home_choose(&h));
	h.home = 1;
	/* us a little better than eu: not enough to move */
	home_sample(&h, 2, 7000, 5500);
	EXPECT_EQ(1, meshd_home_choose(&h));
	/* clearly better (by a fifth and 1 ms): move */
	h.r[2].rtt_us[0] = 3000;
	EXPECT_EQ(2, meshd_home_choose(&h));
	/* three losses in a row: unreachable, the home goes elsewhere at once */
	h.home = 2;
	for (k = 0; k < MESHD_HOME_LOST; k++) {
		h.r[2].pending = true;
		h.r[2].sent_us = 100000;
		EXPECT_FALSE(meshd_home_expire(&h, 100000 + MESHD_HOME_TIMEOUT_MS * 1000ULL - 1));
		EXPECT_TRUE(meshd_home_expire(&h, 100000 + MESHD_HOME_TIMEOUT_MS * 1000ULL));
	}
	EXPECT_EQ(0u, meshd_home_rtt(&h.r[2]));
	EXPECT_EQ(1, meshd_home_choose(&h));
	/* an answer brings it back */
	home_sample(&h, 2, 200000, 3000);
	EXPECT_EQ(3000u, meshd_home_rtt(&h.r[2]));
	/* a late answer (nothing pending) changes nothing */
	meshd_home_answer(&h, 2, 999999);
	EXPECT_EQ(3000u, meshd_home_rtt(&h.r[2]));
	/* a new list: survivors keep their samples and the home, rounds restart */
	h.home = 1;
	h.rounds = 7;
	memset(&l, 0, sizeof(l));
	home_entry(&l, "eu", "203.0.113.10", 3478);
	home_entry(&l, MP_EMBEDDED_RELAY, "203.0.113.254", 3478);
	EXPECT_TRUE(meshd_homes_set(&h, &l));
	EXPECT_EQ(2, h.n);
	EXPECT_EQ(0, h.home);
	EXPECT_EQ(6000u, meshd_home_rtt(&h.r[0]));
	EXPECT_EQ(2000u, meshd_home_rtt(&h.r[1]));
	EXPECT_EQ(0u, h.rounds);
	EXPECT_EQ(MESHD_HOME_QUICK_MS + 10, meshd_home_next_round(&h, 10));
	h.rounds = MESHD_HOME_QUICK;
	EXPECT_EQ(MESHD_HOME_ROUND_MS + 10, meshd_home_next_round(&h, 10));
	/* the home's relay gone (same name, another address): no home */
	memset(&l, 0, sizeof(l));
	home_entry(&l, "eu", "203.0.113.11", 3478);
	EXPECT_TRUE(meshd_homes_set(&h, &l));
	EXPECT_EQ(-1, h.home);
	EXPECT_EQ(0u, meshd_home_rtt(&h.r[0]));
	/* the empty list */
	memset(&l, 0, sizeof(l));
	EXPECT_TRUE(meshd_homes_set(&h, &l));
	EXPECT_EQ(-1, meshd_home_choose(&h));
}

TEST_HARNESS_MAIN
