// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel/noise.c and kernel/cookie.c in userspace: a full handshake between
 * two simulated devices, a cookie reply, mac2, the replay/flood/TAI64N
 * rules and the key pair rotation, with the other helpers' functions
 * (lookup tables, peer references) stubbed below.
 *
 * Randomness is a fixed PRNG, so the messages are reproducible: the
 * expected bytes in noise_vectors.h were produced with `noise_test --dump F`
 * and every one of them recomputed from the whitepaper's formulas by
 * noise_ref.py (Python: hashlib.blake2s, hmac, cryptography's X25519 and
 * ChaCha20Poly1305) before being recorded:
 *     build/unit/noise_test --dump /tmp/v && selftests/crypto/noise_ref.py /tmp/v
 */
#include "noise.h"
#include "cookie.h"
#include "peer.h"
#include "device.h"
#include "peerlookup.h"
#include "timers.h"
#include "ratelimiter.h"

int shim_allocs;
u64 shim_now_ns = 1000ULL * NSEC_PER_SEC;
struct timespec64 shim_real = { 1700000000, 123456789 };

/* deterministic "randomness" (splitmix64) so the vectors are reproducible */
static u64 prng_state = 0x0123456789abcdefULL;

void shim_random(void *p, size_t n)
{
	u8 *o = p;

	while (n) {
		u64 z = (prng_state += 0x9e3779b97f4a7c15ULL);
		size_t take = min(n, (size_t)8);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(o, &z, take);
		o += take;
		n -= take;
	}
}

void chacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			      u64 nonce, const u8 *key)
{
	u8 n[12] = { 0 };
	unsigned long long cl;
	u64 le = htole64(nonce);

	memcpy(n + 4, &le, 8);
	crypto_aead_chacha20poly1305_ietf_encrypt(dst, &cl, src ? src : (const u8 *)"", len, ad, adlen,
						  NULL, n, key);
}

bool chacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			      u64 nonce, const u8 *key)
{
	u8 n[12] = { 0 }, dummy[1];
	unsigned long long ml;
	u64 le = htole64(nonce);

	memcpy(n + 4, &le, 8);
	return crypto_aead_chacha20poly1305_ietf_decrypt(dst ? dst : dummy, &ml, NULL, src, len,
							 ad, adlen, n, key) == 0;
}

void xchacha20poly1305_encrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			       const u8 *nonce, const u8 *key)
{
	unsigned long long cl;

	crypto_aead_xchacha20poly1305_ietf_encrypt(dst, &cl, src, len, ad, adlen, NULL, nonce, key);
}

bool xchacha20poly1305_decrypt(u8 *dst, const u8 *src, size_t len, const u8 *ad, size_t adlen,
			       const u8 *nonce, const u8 *key)
{
	unsigned long long ml;

	return crypto_aead_xchacha20poly1305_ietf_decrypt(dst, &ml, NULL, src, len, ad, adlen,
							  nonce, key) == 0;
}

/* ---- stubs of the other helpers' functions ---- */
struct wgm_pubkey_hashtable { struct wgm_peer *peers[4]; int n; };
struct wgm_index_hashtable { struct wgm_index_entry *e[64]; };

int peer_refs_taken;

struct wgm_peer *wgm_peer_get_maybe_zero(struct wgm_peer *peer)
{
	peer_refs_taken++;
	return peer;
}

void wgm_peer_put(struct wgm_peer *peer)
{
	assert(peer);
	peer_refs_taken--;
}

struct wgm_peer *wgm_pubkey_hashtable_lookup(struct wgm_pubkey_hashtable *t, const u8 pk[32])
{
	for (int i = 0; i < t->n; i++)
		if (!memcmp(t->peers[i]->handshake.remote_static, pk, 32))
			return wgm_peer_get_maybe_zero(t->peers[i]);
	return NULL;
}

static int idx_find(struct wgm_index_hashtable *t, struct wgm_index_entry *e)
{
	for (int i = 0; i < 64; i++)
		if (t->e[i] == e)
			return i;
	return -1;
}

__le32 wgm_index_hashtable_insert(struct wgm_index_hashtable *t, struct wgm_index_entry *e)
{
	int i = idx_find(t, e);

	if (i < 0)
		i = idx_find(t, NULL);
	assert(i >= 0);
	t->e[i] = e;
	e->index = get_random_u32();
	return e->index;
}

bool wgm_index_hashtable_replace(struct wgm_index_hashtable *t, struct wgm_index_entry *old,
				 struct wgm_index_entry *new)
{
	int i = idx_find(t, old);

	if (i < 0)
		return false;
	t->e[i] = new;
	new->index = old->index;
	return true;
}

void wgm_index_hashtable_remove(struct wgm_index_hashtable *t, struct wgm_index_entry *e)
{
	int i = idx_find(t, e);

	if (i >= 0)
		t->e[i] = NULL;
}

struct wgm_index_entry *wgm_index_hashtable_lookup(struct wgm_index_hashtable *t,
						   enum wgm_index_type mask, __le32 index,
						   struct wgm_peer **peer)
{
	*peer = NULL;
	for (int i = 0; i < 64; i++)
		if (t->e[i] && t->e[i]->index == index && (t->e[i]->type & mask)) {
			*peer = wgm_peer_get_maybe_zero(t->e[i]->peer);
			return t->e[i];
		}
	return NULL;
}

bool wgm_birthdate_has_expired(u64 b, u64 s)
{
	return b + s * NSEC_PER_SEC <= shim_now_ns;
}

int ratelimit_allow = 1;
bool wgm_ratelimiter_allow(struct sk_buff *skb, struct net *net)
{
	(void)skb; (void)net;
	return ratelimit_allow;
}

/* ---- test ---- */
static int failures, checks;
static FILE *dump;

#define CHECK(c) tap(!!(c), __LINE__, #c)

static void tap(bool ok, int line, const char *what)
{
	printf("%sok %d - line %d: %s\n", ok ? "" : "not ", ++checks, line, what);
	failures += !ok;
}

/* with --dump FILE: the values noise_ref.py recomputes independently */
static void hex(const char *name, const void *p, size_t n)
{
	if (!dump)
		return;
	fprintf(dump, "%s=", name);
	for (size_t i = 0; i < n; i++)
		fprintf(dump, "%02x", ((const u8 *)p)[i]);
	fprintf(dump, "\n");
}

static void unhex(u8 *out, const char *h, size_t n)
{
	assert(strlen(h) == 2 * n);
	for (size_t i = 0; i < n; i++)
		assert(sscanf(h + 2 * i, "%2hhx", &out[i]) == 1);
}

/* The expected bytes, verified by noise_ref.py (see the top of the file). */
#include "noise_vectors.h"

static bool same(const void *got, const char *want_hex, size_t n)
{
	u8 want[256];

	assert(n <= sizeof(want));
	unhex(want, want_hex, n);
	return !memcmp(got, want, n);
}

struct side {
	struct wgm_device dev;
	struct net_device nd;
	struct wgm_pubkey_hashtable pt;
	struct wgm_index_hashtable it;
	struct wgm_peer peer;
	struct net net;
};

static void side_init(struct side *s, const char *name, const u8 priv[32], const u8 peer_pub[32],
		      const u8 psk[32])
{
	memset(s, 0, sizeof(*s));
	strcpy(s->nd.name, name);
	s->nd.net = &s->net;
	s->dev.dev = &s->nd;
	s->dev.peer_hashtable = &s->pt;
	s->dev.index_hashtable = &s->it;
	init_rwsem(&s->dev.static_identity.lock);
	down_write(&s->dev.static_identity.lock);
	wgm_noise_set_static_identity_private_key(&s->dev.static_identity, priv);
	wgm_cookie_issuer_init(&s->dev.cookie_issuer, &s->dev);
	wgm_cookie_issuer_rekey(&s->dev.cookie_issuer, &s->dev.static_identity);
	up_write(&s->dev.static_identity.lock);
	s->peer.device = &s->dev;
	wgm_noise_handshake_init(&s->peer.handshake, &s->dev.static_identity, peer_pub, psk, &s->peer);
	wgm_keypairs_init(&s->peer.keypairs);
	wgm_cookie_holder_init(&s->peer.cookie, peer_pub);
	s->pt.peers[s->pt.n++] = &s->peer;
}

static struct sk_buff *mkskb(void *msg, size_t len, u8 *frame, bool v6)
{
	static struct sk_buff skb;
	struct iphdr *ip = (void *)frame;
	struct ipv6hdr *ip6 = (void *)frame;
	struct udphdr *udp = (void *)(frame + 40);

	memset(frame, 0, 48);
	if (v6) {
		skb.protocol = htons(ETH_P_IPV6);
		memset(&ip6->saddr, 0xfd, 16);
	} else {
		skb.protocol = htons(ETH_P_IP);
		ip->saddr = htonl(0xc0a80102);
	}
	udp->source = htons(51820);
	skb.network_header = frame;
	skb.transport_header = (u8 *)udp;
	skb.data = msg;
	skb.len = len;
	return &skb;
}

int main(int argc, char **argv)
{
	u8 apriv[32], bpriv[32], apub[32], bpub[32], psk[32], frame[64], epriv_i[32], epriv_r[32];
	struct wgm_msg_handshake_initiation init, init2;
	struct wgm_msg_handshake_response resp;
	struct wgm_msg_handshake_cookie ck;
	static struct side A, B;
	struct wgm_keypair *ka, *kb;
	struct wgm_peer *p;
	struct sk_buff *skb;

	if (argc == 3 && !strcmp(argv[1], "--dump"))
		dump = fopen(argv[2], "w");
	printf("TAP version 13\n");
	assert(sodium_init() >= 0);
	wgm_noise_init();
	shim_random(apriv, 32);
	shim_random(bpriv, 32);
	shim_random(psk, 32);
	curve25519_clamp_secret(apriv);
	curve25519_clamp_secret(bpriv);
	assert(curve25519_generate_public(apub, apriv));
	assert(curve25519_generate_public(bpub, bpriv));
	side_init(&A, "a", apriv, bpub, psk);
	side_init(&B, "b", bpriv, apub, psk);
	CHECK(!memcmp(A.dev.static_identity.static_public, apub, 32));

	/* A -> B initiation */
	CHECK(wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));
	memcpy(epriv_i, A.peer.handshake.ephemeral_private, 32);
	wgm_mac_stamp(&init, sizeof(init), &A.peer.cookie);
	skb = mkskb(&init, sizeof(init), frame, false);
	CHECK(wgm_mac_check(&B.dev.cookie_issuer, skb, false) == WGM_MAC_MAC1);
	CHECK(wgm_mac_check(&B.dev.cookie_issuer, skb, true) == WGM_MAC_MAC1);
	CHECK(wgm_mac_check(&A.dev.cookie_issuer, skb, false) == WGM_MAC_BAD);
	p = wgm_noise_handshake_consume_initiation(&init, &B.dev);
	CHECK(p == &B.peer);
	if (p)
		wgm_peer_put(p);
	/* replay of the same initiation is refused */
	shim_now_ns += NSEC_PER_SEC;
	CHECK(!wgm_noise_handshake_consume_initiation(&init, &B.dev));

	/* B -> A response */
	CHECK(wgm_noise_handshake_create_response(&resp, &B.peer.handshake));
	memcpy(epriv_r, B.peer.handshake.ephemeral_private, 32);
	wgm_mac_stamp(&resp, sizeof(resp), &B.peer.cookie);
	CHECK(wgm_noise_handshake_begin_session(&B.peer.handshake, &B.peer.keypairs));
	skb = mkskb(&resp, sizeof(resp), frame, true);
	CHECK(wgm_mac_check(&A.dev.cookie_issuer, skb, false) == WGM_MAC_MAC1);
	p = wgm_noise_handshake_consume_response(&resp, &A.dev);
	CHECK(p == &A.peer);
	if (p)
		wgm_peer_put(p);
	CHECK(wgm_noise_handshake_begin_session(&A.peer.handshake, &A.peer.keypairs));
	/* a second consume of the same response fails (state moved on) */
	CHECK(!wgm_noise_handshake_consume_response(&resp, &A.dev));

	ka = A.peer.keypairs.slot[WGM_KP_LIVE];
	kb = B.peer.keypairs.slot[WGM_KP_PENDING];
	CHECK(ka && kb && !B.peer.keypairs.slot[WGM_KP_LIVE]);
	if (ka && kb) {
		CHECK(!memcmp(ka->sending.key, kb->receiving.key, 32));
		CHECK(!memcmp(ka->receiving.key, kb->sending.key, 32));
		CHECK(memcmp(ka->sending.key, ka->receiving.key, 32));
		CHECK(ka->remote_index == kb->entry.index);
		CHECK(kb->remote_index == ka->entry.index);
		CHECK(ka->i_am_the_initiator && !kb->i_am_the_initiator);
		/* handshake entries were replaced by the keypairs */
		CHECK(idx_find(&A.it, &ka->entry) >= 0 && idx_find(&A.it, &A.peer.handshake.entry) < 0);
		CHECK(wgm_keypairs_confirm(&B.peer.keypairs, kb));
		CHECK(B.peer.keypairs.slot[WGM_KP_LIVE] == kb && !B.peer.keypairs.slot[WGM_KP_PENDING]);
		CHECK(!wgm_keypairs_confirm(&B.peer.keypairs, kb));
	}

	hex("apriv", apriv, 32);
	hex("bpriv", bpriv, 32);
	hex("psk", psk, 32);
	hex("epriv_i", epriv_i, 32);
	hex("epriv_r", epriv_r, 32);
	hex("init", &init, sizeof(init));
	hex("resp", &resp, sizeof(resp));
	CHECK(same(&init, vec_init, sizeof(init)));
	CHECK(same(&resp, vec_resp, sizeof(resp)));
	if (ka) {
		hex("i_send", ka->sending.key, 32);
		hex("i_recv", ka->receiving.key, 32);
		CHECK(same(ka->sending.key, vec_i_send, 32));
		CHECK(same(ka->receiving.key, vec_i_recv, 32));
	}

	/* cookie reply from B to A's next initiation, under load */
	shim_now_ns += NSEC_PER_SEC;
	shim_real.tv_sec += 1;
	CHECK(wgm_noise_handshake_create_initiation(&init2, &A.peer.handshake));
	wgm_mac_stamp(&init2, sizeof(init2), &A.peer.cookie);
	CHECK(sodium_is_zero(init2.macs.mac2, 16));
	skb = mkskb(&init2, sizeof(init2), frame, false);
	CHECK(wgm_mac_check(&B.dev.cookie_issuer, skb, true) == WGM_MAC_MAC1);
	wgm_cookie_reply_build(&ck, skb, init2.sender_index, &B.dev.cookie_issuer);
	hex("cookie_secret", B.dev.cookie_issuer.secret, 32);
	hex("cookie_msg", &ck, sizeof(ck));
	CHECK(same(&ck, vec_cookie_msg, sizeof(ck)));
	hex("cookie_for_mac1", init2.macs.mac1, 16);
	wgm_cookie_reply_take(&A.dev, &ck);
	CHECK(A.peer.cookie.received_ns);
	/* a replayed cookie reply is ignored (reply_expected cleared) */
	CHECK(!A.peer.cookie.reply_expected);
	wgm_mac_stamp(&init2, sizeof(init2), &A.peer.cookie);
	CHECK(!sodium_is_zero(init2.macs.mac2, 16));
	hex("init2", &init2, sizeof(init2));
	CHECK(same(&init2, vec_init2, sizeof(init2)));
	CHECK(wgm_mac_check(&B.dev.cookie_issuer, skb, true) == WGM_MAC_MAC2);
	ratelimit_allow = 0;
	CHECK(wgm_mac_check(&B.dev.cookie_issuer, skb, true) == WGM_MAC_MAC2_LIMITED);
	/* a different source port gets a different cookie */
	((struct udphdr *)(frame + 40))->source = htons(1);
	CHECK(wgm_mac_check(&B.dev.cookie_issuer, skb, true) == WGM_MAC_MAC1);
	/* the cookie expires */
	shim_now_ns += 120 * NSEC_PER_SEC;
	wgm_mac_stamp(&init2, sizeof(init2), &A.peer.cookie);
	CHECK(sodium_is_zero(init2.macs.mac2, 16));

	/* B consumes init2 -> second handshake; flood: a third within 20 ms is refused */
	p = wgm_noise_handshake_consume_initiation(&init2, &B.dev);
	CHECK(p == &B.peer);
	if (p)
		wgm_peer_put(p);

	/* old timestamp is refused even after the flood window */
	shim_now_ns += NSEC_PER_SEC;
	CHECK(!wgm_noise_handshake_consume_initiation(&init, &B.dev));

	/* flood: a newer initiation only 10 ms after the last accepted one */
	shim_real.tv_sec += 1;
	CHECK(wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));
	shim_now_ns += NSEC_PER_SEC;
	p = wgm_noise_handshake_consume_initiation(&init, &B.dev);
	CHECK(p == &B.peer);
	if (p)
		wgm_peer_put(p);
	shim_real.tv_sec += 1;
	CHECK(wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));
	shim_now_ns += 10 * 1000 * 1000;
	CHECK(!wgm_noise_handshake_consume_initiation(&init, &B.dev));
	/* ... is taken once 1/WGM_INITIATIONS_PER_SECOND has passed */
	shim_now_ns += 15 * 1000 * 1000;
	p = wgm_noise_handshake_consume_initiation(&init, &B.dev);
	CHECK(p == &B.peer);
	if (p)
		wgm_peer_put(p);

	/* TAI64N: same grain (rounded ns) -> not newer -> refused */
	shim_real.tv_nsec += 1000;
	CHECK(wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));
	shim_now_ns += NSEC_PER_SEC;
	CHECK(!wgm_noise_handshake_consume_initiation(&init, &B.dev));
	/* next grain within the same second -> newer -> taken */
	shim_real.tv_nsec += 1 << 24;
	CHECK(wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));
	p = wgm_noise_handshake_consume_initiation(&init, &B.dev);
	CHECK(p == &B.peer);
	if (p)
		wgm_peer_put(p);
	/* the wall clock stepped back 5 s: refused */
	shim_real.tv_sec -= 5;
	CHECK(wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));
	shim_now_ns += NSEC_PER_SEC;
	CHECK(!wgm_noise_handshake_consume_initiation(&init, &B.dev));

	/* a tampered initiation is refused; the peer reference is not leaked */
	shim_real.tv_sec += 10;
	CHECK(wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));
	init.encrypted_timestamp[3] ^= 1;
	CHECK(!wgm_noise_handshake_consume_initiation(&init, &B.dev));
	CHECK(peer_refs_taken == 0);

	/* no identity: no initiation */
	down_write(&A.dev.static_identity.lock);
	wgm_noise_set_static_identity_private_key(&A.dev.static_identity, (u8[32]){ 0 });
	up_write(&A.dev.static_identity.lock);
	CHECK(!A.dev.static_identity.has_identity);
	CHECK(!wgm_noise_handshake_create_initiation(&init, &A.peer.handshake));

	/* teardown */
	wgm_keypairs_drop_all(&A.peer.keypairs);
	wgm_keypairs_drop_all(&B.peer.keypairs);
	wgm_noise_handshake_clear(&A.peer.handshake);
	wgm_noise_handshake_clear(&B.peer.handshake);
	CHECK(shim_allocs == 0);
	CHECK(peer_refs_taken == 0);
	{
		int left = 0;

		for (int i = 0; i < 64; i++)
			left += !!A.it.e[i] + !!B.it.e[i];
		CHECK(left == 0);
	}
	printf("1..%d\n", checks);
	if (dump)
		fclose(dump);
	return failures != 0;
}
