// SPDX-License-Identifier: GPL-2.0-only
/*
 * The allowed-IPs trie (kernel/allowedips.c, built in userspace through
 * selftests/unit/kshim.h) against a reference model: a flat list of
 * (family, masked prefix, cidr, peer) searched exhaustively.
 *
 * Input: a program, one operation per 4 bytes (plus address bytes):
 *   op    bits 0-2: 0, 1 insert; 2, 6 remove; 5 remove_by_peer;
 *                   3, 4, 7 lookup, or with bit 7 set: let only arg & 3
 *                   more allocations succeed (arg bit 7: all of them)
 *         bit 3: IPv6
 *   arg   peer (low 3 bits), or the number of allocations to let through
 *   cidr  taken modulo bits + 2, so that invalid ones (> bits) occur too
 *   len   how many address bytes follow (the rest of the address repeats
 *         the last base address, so prefixes share bits and nest)
 *
 * Every return code is compared with the model's, every lookup with the
 * model's longest match; after the program, each peer's prefix list must
 * hold exactly the model's prefixes of that peer.  The table is capped at
 * 64 entries so that -ENOSPC happens too.  Any mismatch aborts.
 */
#include "allowedips.c"

#include "fuzz.h"

#define NPEERS 8
#define MAX_ENTRIES 64

struct ref_entry {
	int fam;
	u8 ip[16];
	u8 cidr;
	struct wgm_peer *peer;
};

struct model {
	struct ref_entry e[MAX_ENTRIES];
	size_t n;
};

static unsigned int fam_bits(int fam)
{
	return fam == AF_INET ? 32 : 128;
}

static void mask_ip(u8 ip[16], unsigned int cidr)
{
	unsigned int i;

	for (i = 0; i < 16; ++i) {
		if (8 * i >= cidr)
			ip[i] = 0;
		else if (cidr - 8 * i < 8)
			ip[i] &= (u8)(0xff << (8 - (cidr - 8 * i)));
	}
}

static long ref_find(const struct model *r, int fam, const u8 ip[16], u8 cidr)
{
	size_t i;

	for (i = 0; i < r->n; ++i)
		if (r->e[i].fam == fam && r->e[i].cidr == cidr && !memcmp(r->e[i].ip, ip, 16))
			return (long)i;
	return -1;
}

static int ref_insert(struct model *r, int fam, const u8 ip[16], u8 cidr, struct wgm_peer *peer)
{
	long i;

	if (cidr > fam_bits(fam))
		return -EINVAL;
	i = ref_find(r, fam, ip, cidr);
	if (i >= 0) {
		r->e[i].peer = peer;
		return 0;
	}
	if (r->n >= MAX_ENTRIES)
		return -ENOSPC;
	r->e[r->n].fam = fam;
	memcpy(r->e[r->n].ip, ip, 16);
	r->e[r->n].cidr = cidr;
	r->e[r->n].peer = peer;
	++r->n;
	return 0;
}

static int ref_remove(struct model *r, int fam, const u8 ip[16], u8 cidr, struct wgm_peer *peer)
{
	long i;

	if (cidr > fam_bits(fam))
		return -EINVAL;
	i = ref_find(r, fam, ip, cidr);
	if (i < 0 || r->e[i].peer != peer)
		return -ENOENT;
	r->e[i] = r->e[--r->n];
	return 0;
}

static void ref_remove_peer(struct model *r, struct wgm_peer *peer)
{
	size_t i = 0;

	while (i < r->n) {
		if (r->e[i].peer == peer)
			r->e[i] = r->e[--r->n];
		else
			++i;
	}
}

static struct wgm_peer *ref_lookup(const struct model *r, int fam, const u8 addr[16])
{
	struct wgm_peer *best = NULL;
	int best_cidr = -1;
	u8 a[16];
	size_t i;

	for (i = 0; i < r->n; ++i) {
		if (r->e[i].fam != fam || r->e[i].cidr <= best_cidr)
			continue;
		memcpy(a, addr, 16);
		mask_ip(a, r->e[i].cidr);
		if (!memcmp(a, r->e[i].ip, 16)) {
			best = r->e[i].peer;
			best_cidr = r->e[i].cidr;
		}
	}
	return best;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model ref;
	struct wgm_peer peers[NPEERS];
	struct in_addr a4;
	struct in6_addr a6;
	struct wgm_allowedips t;
	struct mutex lock;
	struct wgm_allowedips_node *node;
	struct fuzz_in in = { data, size };
	u8 base[16] = { 0 }, ip[16], masked[16], cidr, got_ip[16], got_cidr;
	unsigned int i, nb, counted, op, arg, fam;
	int ret, want;
	struct wgm_peer *peer, *got;

	if (!node_cache)
		FUZZ_CHECK(!wgm_allowedips_slab_init());
	memset(&ref, 0, sizeof(ref));
	for (i = 0; i < NPEERS; i++) {
		INIT_LIST_HEAD(&peers[i].allowedips_list);
		peers[i].id = i;
	}
	mutex_init(&lock);
	wgm_allowedips_init(&t, MAX_ENTRIES);
	mutex_lock(&lock);

	while (in.n >= 4) {
		op = fuzz_u8(&in);
		arg = fuzz_u8(&in);
		fam = op & 8 ? AF_INET6 : AF_INET;
		cidr = fuzz_u8(&in) % (fam_bits(fam) + 2);
		nb = fuzz_u8(&in) % 17;
		memcpy(ip, base, 16);
		fuzz_bytes(&in, ip, nb);
		if (fam == AF_INET)
			memset(ip + 4, 0, 12);
		memcpy(base, ip, 16);
		memcpy(masked, ip, 16);
		mask_ip(masked, cidr);
		peer = &peers[arg % NPEERS];
		memcpy(&a4.s_addr, ip, 4);
		memcpy(a6.s6_addr, ip, 16);

		switch (op & 7) {
		case 0:
		case 1:
			want = ref_insert(&ref, fam, masked, cidr, peer);
			ret = fam == AF_INET ? wgm_allowedips_insert_v4(&t, &a4, cidr, peer, &lock) :
					       wgm_allowedips_insert_v6(&t, &a6, cidr, peer, &lock);
			if (ret == -ENOMEM) {
				/* injected failure: nothing may have changed */
				FUZZ_CHECK(kshim_slab.fail_after == 0);
				if (!want)
					ref_remove(&ref, fam, masked, cidr, peer);
				break;
			}
			FUZZ_CHECK(ret == want);
			break;
		case 2:
		case 6:
			want = ref_remove(&ref, fam, masked, cidr, peer);
			ret = fam == AF_INET ? wgm_allowedips_remove_v4(&t, &a4, cidr, peer, &lock) :
					       wgm_allowedips_remove_v6(&t, &a6, cidr, peer, &lock);
			FUZZ_CHECK(ret == want);
			break;
		case 5:
			ref_remove_peer(&ref, peer);
			wgm_allowedips_remove_by_peer(&t, peer, &lock);
			FUZZ_CHECK(list_empty(&peer->allowedips_list));
			break;
		default:	/* 3, 4, 7 */
			if (op & 0x80) {
				/* fail an allocation soon (or let them all through) */
				kshim_slab.fail_after = arg & 0x80 ? -1 : arg & 3;
				break;
			}
			got = fam == AF_INET ? wgm_allowedips_lookup_v4(&t, &a4) :
					       wgm_allowedips_lookup_v6(&t, &a6);
			FUZZ_CHECK(got == ref_lookup(&ref, fam, ip));
			break;
		}
		FUZZ_CHECK(t.entries == ref.n);
	}
	kshim_slab.fail_after = -1;

	/* each peer's list is exactly its prefixes in the model */
	counted = 0;
	for (i = 0; i < NPEERS; i++) {
		unsigned int n = 0;

		wgm_allowedips_for_each_peer_node(node, &peers[i]) {
			int f = wgm_allowedips_read_node(node, got_ip, &got_cidr);
			long at = ref_find(&ref, f, got_ip, got_cidr);

			FUZZ_CHECK(at >= 0 && ref.e[at].peer == &peers[i]);
			++n;
		}
		FUZZ_CHECK(n == wgm_allowedips_count_peer(&peers[i]));
		counted += n;
	}
	FUZZ_CHECK(counted == ref.n);

	for (i = 0; i < NPEERS; i++)
		wgm_allowedips_remove_by_peer(&t, &peers[i], &lock);
	FUZZ_CHECK(!rcu_access_pointer(t.root4) && !rcu_access_pointer(t.root6));
	wgm_allowedips_free(&t, &lock);
	mutex_unlock(&lock);
	/* every node went back to the cache */
	FUZZ_CHECK(kshim_slab.live == 0);
	return 0;
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	/* 10.0.0.0/8 -> 1, 10.1.0.0/16 -> 2, lookups, remove, lookup again */
	static const u8 nest4[] = {
		0, 1, 8, 4, 10, 0, 0, 0,
		0, 2, 16, 2, 10, 1,
		3, 0, 0, 4, 10, 1, 2, 3,
		3, 0, 0, 4, 10, 2, 2, 3,
		2, 2, 16, 0,
		3, 0, 0, 4, 10, 1, 2, 3,
		0, 3, 32, 4, 192, 0, 2, 1,
		0, 4, 0, 0,
		3, 0, 0, 4, 8, 8, 8, 8,
		5, 1, 0, 0,
		3, 0, 0, 4, 10, 1, 2, 3,
	};
	/* fd00::/8, fd00:1::/32, 2001:db8::1/128, default route, lookups */
	static const u8 nest6[] = {
		8, 1, 8, 16, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		8, 2, 32, 4, 0xfd, 0, 0, 1,
		8, 3, 128, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		8, 4, 0, 0,
		11, 0, 0, 16, 0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
		11, 0, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		10, 3, 128, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		11, 0, 0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		13, 2, 0, 0,
		11, 0, 0, 4, 0xfd, 0, 0, 1,
	};
	/* allocation failures around a join node */
	static const u8 nomem[] = {
		0, 1, 24, 4, 10, 0, 1, 0,
		0x83, 1, 0, 0,
		0, 2, 24, 4, 10, 0, 2, 0,
		0x83, 0x80, 0, 0,
		0, 2, 24, 4, 10, 0, 2, 0,
		3, 0, 0, 4, 10, 0, 2, 9,
	};
	u8 full[68 * 8];
	unsigned int i;

	emit("nested-v4", nest4, sizeof(nest4));
	emit("nested-v6", nest6, sizeof(nest6));
	emit("nomem", nomem, sizeof(nomem));
	/* 68 distinct /32s: the last ones meet the 64-entry cap */
	for (i = 0; i < 68; i++) {
		u8 *p = full + 8 * i;

		p[0] = 0;
		p[1] = (u8)i;
		p[2] = 32;
		p[3] = 4;
		p[4] = 198;
		p[5] = 51;
		p[6] = (u8)(i * 7);
		p[7] = (u8)(i * 13);
	}
	emit("full", full, sizeof(full));
}
