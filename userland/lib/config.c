// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cand_kinds[] = {
	[WGM_CANDIDATE_KIND_DIRECT] = "direct",
	[WGM_CANDIDATE_KIND_RELAY] = "relay",
	[WGM_CANDIDATE_KIND_PORTMAP] = "portmap",
	[WGM_CANDIDATE_KIND_LOCAL] = "local",
	[WGM_CANDIDATE_KIND_STUN] = "stun",
	[WGM_CANDIDATE_KIND_STATIC] = "static",
};

const char *mesh_conf_cand_kind_name(uint8_t kind)
{
	if (kind < sizeof(cand_kinds) / sizeof(cand_kinds[0]) && cand_kinds[kind])
		return cand_kinds[kind];
	return "invalid";
}

static const char *const bday_states[] = {
	[WGM_BIRTHDAY_STATE_NONE] = "none",
	[WGM_BIRTHDAY_STATE_RUNNING] = "running",
	[WGM_BIRTHDAY_STATE_DIRECT] = "direct",
	[WGM_BIRTHDAY_STATE_FAILED] = "failed",
	[WGM_BIRTHDAY_STATE_STOPPED] = "stopped",
};

const char *mesh_conf_bday_state_name(uint8_t state)
{
	if (state < sizeof(bday_states) / sizeof(bday_states[0]))
		return bday_states[state];
	return "unknown";
}

int mesh_conf_cand_kind_parse(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(cand_kinds) / sizeof(cand_kinds[0]); i++)
		if (cand_kinds[i] && strlen(cand_kinds[i]) == len &&
		    !strncmp(cand_kinds[i], name, len))
			return (int)i;
	return -1;
}

void mesh_conf_device_init(struct mesh_conf_device *dev)
{
	memset(dev, 0, sizeof(*dev));
}

static void peer_free(struct mesh_conf_peer *peer)
{
	free(peer->aips);
	if (peer->cands)	/* relay bind keys */
		explicit_bzero(peer->cands, peer->cap_cands * sizeof(*peer->cands));
	free(peer->cands);
	explicit_bzero(peer->preshared_key, sizeof(peer->preshared_key));
}

void mesh_conf_device_free(struct mesh_conf_device *dev)
{
	size_t i;

	for (i = 0; i < dev->n_peers; i++)
		peer_free(&dev->peers[i]);
	free(dev->peers);
	explicit_bzero(dev, sizeof(*dev));
}

/* Make room for one more element of size `size` in *arr. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return false;
	p = realloc(*arr, ncap * size);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

struct mesh_conf_peer *mesh_conf_device_add_peer(struct mesh_conf_device *dev)
{
	struct mesh_conf_peer *peer;

	if (!grow((void **)&dev->peers, &dev->cap_peers, dev->n_peers,
		  sizeof(*dev->peers)))
		return NULL;
	peer = &dev->peers[dev->n_peers++];
	memset(peer, 0, sizeof(*peer));
	return peer;
}

struct mesh_conf_aip *mesh_conf_peer_add_aip(struct mesh_conf_peer *peer)
{
	struct mesh_conf_aip *aip;

	if (!grow((void **)&peer->aips, &peer->cap_aips, peer->n_aips,
		  sizeof(*peer->aips)))
		return NULL;
	aip = &peer->aips[peer->n_aips++];
	memset(aip, 0, sizeof(*aip));
	return aip;
}

struct mesh_conf_cand *mesh_conf_peer_add_cand(struct mesh_conf_peer *peer)
{
	struct mesh_conf_cand *cand;

	if (!grow((void **)&peer->cands, &peer->cap_cands, peer->n_cands,
		  sizeof(*peer->cands)))
		return NULL;
	cand = &peer->cands[peer->n_cands++];
	memset(cand, 0, sizeof(*cand));
	return cand;
}

void mesh_conf_peer_clear_aips(struct mesh_conf_peer *peer)
{
	peer->n_aips = 0;
}

struct mesh_conf_peer *mesh_conf_device_add_peer_copy(struct mesh_conf_device *dev,
					  const struct mesh_conf_peer *src)
{
	struct mesh_conf_peer *peer = mesh_conf_device_add_peer(dev);
	size_t i;

	if (!peer)
		return NULL;
	*peer = *src;
	peer->aips = NULL;
	peer->cands = NULL;
	peer->n_aips = peer->cap_aips = 0;
	peer->n_cands = peer->cap_cands = 0;
	for (i = 0; i < src->n_aips; i++) {
		if (!mesh_conf_peer_add_aip(peer))
			return NULL;
		peer->aips[i] = src->aips[i];
	}
	for (i = 0; i < src->n_cands; i++) {
		if (!mesh_conf_peer_add_cand(peer))
			return NULL;
		peer->cands[i] = src->cands[i];
	}
	return peer;
}

struct mesh_conf_peer *mesh_conf_device_find_peer(const struct mesh_conf_device *dev,
				      const uint8_t key[WGM_KEY_LEN])
{
	size_t i;

	for (i = 0; i < dev->n_peers; i++)
		if (!memcmp(dev->peers[i].public_key, key, WGM_KEY_LEN))
			return &dev->peers[i];
	return NULL;
}

static int cmp_handshake_desc(const void *a, const void *b)
{
	const struct mesh_conf_peer *pa = a, *pb = b;

	if (pa->last_handshake_sec != pb->last_handshake_sec)
		return pa->last_handshake_sec < pb->last_handshake_sec ? 1 : -1;
	if (pa->last_handshake_nsec != pb->last_handshake_nsec)
		return pa->last_handshake_nsec < pb->last_handshake_nsec ? 1 : -1;
	/* Ties (e.g. all "never"): stable by key so output is deterministic. */
	return memcmp(pa->public_key, pb->public_key, WGM_KEY_LEN);
}

void mesh_conf_device_sort_peers_by_handshake(struct mesh_conf_device *dev)
{
	if (dev->n_peers > 1)
		qsort(dev->peers, dev->n_peers, sizeof(*dev->peers),
		      cmp_handshake_desc);
}

void wgm_buf_init(struct wgm_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void wgm_buf_free(struct wgm_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

static bool buf_reserve(struct wgm_buf *b, size_t extra)
{
	size_t ncap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra + 1)
		ncap *= 2;
	p = realloc(b->s, ncap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->s = p;
	b->cap = ncap;
	return true;
}

void wgm_buf_printf(struct wgm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void wgm_buf_puts(struct wgm_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (!buf_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}
