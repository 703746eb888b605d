// SPDX-License-Identifier: GPL-2.0-only
#include "diff.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"

static int cmp_peer_ptr(const void *a, const void *b)
{
	const struct mesh_conf_peer *const *pa = a, *const *pb = b;

	return memcmp((*pa)->public_key, (*pb)->public_key, WGM_KEY_LEN);
}

/* Peers of dev sorted by public key, for binary search. */
static const struct mesh_conf_peer **sorted_peers(const struct mesh_conf_device *dev)
{
	const struct mesh_conf_peer **v;
	size_t i;

	v = malloc((dev->n_peers ? dev->n_peers : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < dev->n_peers; i++)
		v[i] = &dev->peers[i];
	qsort(v, dev->n_peers, sizeof(*v), cmp_peer_ptr);
	return v;
}

static const struct mesh_conf_peer *lookup(const struct mesh_conf_peer **v, size_t n,
				     const uint8_t key[WGM_KEY_LEN])
{
	struct mesh_conf_peer probe;
	const struct mesh_conf_peer *pp = &probe, **hit;

	memcpy(probe.public_key, key, WGM_KEY_LEN);
	hit = bsearch(&pp, v, n, sizeof(*v), cmp_peer_ptr);
	return hit ? *hit : NULL;
}

static int cmp_aip(const void *a, const void *b)
{
	return wgm_cidr_cmp(a, b);
}

/* Sorted, de-duplicated copy of a peer's allowed IPs (NULL if none/OOM). */
static struct mesh_conf_aip *aip_set(const struct mesh_conf_peer *p, size_t *n,
				     bool *oom)
{
	struct mesh_conf_aip *v;
	size_t i, w = 0;

	*n = 0;
	if (!p->n_aips)
		return NULL;
	v = malloc(p->n_aips * sizeof(*v));
	if (!v) {
		*oom = true;
		return NULL;
	}
	memcpy(v, p->aips, p->n_aips * sizeof(*v));
	qsort(v, p->n_aips, sizeof(*v), cmp_aip);
	for (i = 0; i < p->n_aips; i++)
		if (!w || wgm_cidr_cmp(&v[w - 1], &v[i]))
			v[w++] = v[i];
	*n = w;
	return v;
}

static bool aips_differ(const struct mesh_conf_peer *a, const struct mesh_conf_peer *b,
			bool *oom)
{
	struct mesh_conf_aip *va, *vb;
	size_t na, nb, i;
	bool differ;

	va = aip_set(a, &na, oom);
	vb = aip_set(b, &nb, oom);
	differ = na != nb;
	for (i = 0; !differ && i < na; i++)
		differ = wgm_cidr_cmp(&va[i], &vb[i]) != 0;
	free(va);
	free(vb);
	return differ;
}

static bool peer_differs(const struct mesh_conf_peer *want,
			 const struct mesh_conf_peer *cur, bool *oom)
{
	static const uint8_t zero[WGM_KEY_LEN];
	const uint8_t *wpsk = want->has & MESH_CONF_PEER_HAS_PSK ?
			      want->preshared_key : zero;
	const uint8_t *cpsk = cur->has & MESH_CONF_PEER_HAS_PSK ?
			      cur->preshared_key : zero;
	size_t i;

	if (!wgm_key_equal(wpsk, cpsk))
		return true;
	if (want->keepalive != cur->keepalive)
		return true;
	if ((want->has & MESH_CONF_PEER_HAS_ENDPOINT) &&
	    !wgm_endpoint_equal(&want->endpoint, &cur->endpoint))
		return true;
	if (want->has & MESH_CONF_PEER_HAS_CANDIDATES) {
		if (want->n_cands != cur->n_cands)
			return true;
		for (i = 0; i < want->n_cands; i++)
			if (!wgm_endpoint_equal(&want->cands[i].endpoint,
						&cur->cands[i].endpoint) ||
			    want->cands[i].kind != cur->cands[i].kind)
				return true;
	}
	return aips_differ(want, cur, oom);
}

int wgm_conf_diff(const struct mesh_conf_device *cur, const struct mesh_conf_device *want,
		  struct mesh_conf_device *out, struct wgm_err *err)
{
	const struct mesh_conf_peer **cur_sorted = NULL, **want_sorted = NULL;
	const struct mesh_conf_peer *c;
	struct mesh_conf_peer *p;
	bool oom = false;
	size_t i;
	int ret = -1;

	memcpy(out->name, want->name, sizeof(out->name));
	if ((want->has & MESH_CONF_DEV_HAS_PRIVATE_KEY) &&
	    (!(cur->has & MESH_CONF_DEV_HAS_PRIVATE_KEY) ||
	     !wgm_key_equal(want->private_key, cur->private_key))) {
		memcpy(out->private_key, want->private_key, WGM_KEY_LEN);
		out->has |= MESH_CONF_DEV_HAS_PRIVATE_KEY;
	}
	if ((want->has & MESH_CONF_DEV_HAS_LISTEN_PORT) &&
	    want->listen_port != cur->listen_port) {
		out->listen_port = want->listen_port;
		out->has |= MESH_CONF_DEV_HAS_LISTEN_PORT;
	}
	if ((want->has & MESH_CONF_DEV_HAS_FWMARK) && want->fwmark != cur->fwmark) {
		out->fwmark = want->fwmark;
		out->has |= MESH_CONF_DEV_HAS_FWMARK;
	}

	cur_sorted = sorted_peers(cur);
	want_sorted = sorted_peers(want);
	if (!cur_sorted || !want_sorted)
		goto oom;

	for (i = 0; i < cur->n_peers; i++) {
		if (lookup(want_sorted, want->n_peers, cur->peers[i].public_key))
			continue;
		p = mesh_conf_device_add_peer(out);
		if (!p)
			goto oom;
		memcpy(p->public_key, cur->peers[i].public_key, WGM_KEY_LEN);
		p->flags = WGM_PEER_F_REMOVE_ME;
	}

	for (i = 0; i < want->n_peers; i++) {
		const struct mesh_conf_peer *w = &want->peers[i];

		c = lookup(cur_sorted, cur->n_peers, w->public_key);
		if (c) {
			bool differs = peer_differs(w, c, &oom);

			if (oom)
				goto oom;
			if (!differs)
				continue;
		}
		p = mesh_conf_device_add_peer_copy(out, w);
		if (!p)
			goto oom;
		p->flags = (w->flags & WGM_PEER_F_REPLACE_CANDIDATES) |
			   WGM_PEER_F_REPLACE_ALLOWEDIPS;
		p->has |= MESH_CONF_PEER_HAS_PSK | MESH_CONF_PEER_HAS_KEEPALIVE;
		p->has &= ~MESH_CONF_PEER_HAS_STATS;
	}
	ret = 0;
	goto out;
oom:
	wgm_err_set(err, "out of memory");
out:
	free(cur_sorted);
	free(want_sorted);
	return ret;
}
