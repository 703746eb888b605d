// SPDX-License-Identifier: GPL-2.0-only
#include "setargs.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

#define DEVICE_WORDS "listen-port, private-key, fwmark, stun-server, peer"
#define PEER_WORDS "remove, preshared-key, endpoint, candidates, " \
		   "persistent-keepalive, allowed-ips, peer"

static int parse_allowed_ips(struct mesh_conf_peer *peer, const char *value,
			     struct wgm_err *err)
{
	size_t max = strlen(value) / 2 + 1, n, i, prefixed = 0;
	char *copy, **items;
	struct mesh_conf_aip aip;
	int ret = -1;

	copy = strdup(value);
	items = calloc(max, sizeof(*items));
	if (!copy || !items) {
		wgm_err_set(err, "out of memory");
		goto out;
	}
	if (wgm_split_list(copy, items, max, &n)) {
		wgm_err_set(err, "allowed-ips: empty entry in '%s'", value);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (items[i][0] == '+' || items[i][0] == '-')
			prefixed++;
	if (prefixed && prefixed != n) {
		wgm_err_set(err, "allowed-ips: prefix either every entry with +/- (add/remove) or none (replace the list)");
		goto out;
	}
	if (!prefixed) {
		mesh_conf_peer_clear_aips(peer);
		peer->flags |= WGM_PEER_F_REPLACE_ALLOWEDIPS;
	}
	for (i = 0; i < n; i++) {
		const char *s = items[i] + (prefixed ? 1 : 0);

		if (wgm_parse_cidr(s, &aip, err)) {
			wgm_err_prefix(err, "allowed-ips");
			goto out;
		}
		aip.remove = prefixed && items[i][0] == '-';
		if (!mesh_conf_peer_add_aip(peer)) {
			wgm_err_set(err, "out of memory");
			goto out;
		}
		peer->aips[peer->n_aips - 1] = aip;
	}
	ret = 0;
out:
	free(items);
	free(copy);
	return ret;
}

static int parse_candidates(struct mesh_conf_peer *peer, const char *value,
			    struct wgm_err *err)
{
	char *items[WGM_MAX_CANDIDATES + 1], *copy;
	struct mesh_conf_cand *c;
	size_t n, i;
	int ret = -1;

	copy = strdup(value);
	if (!copy)
		return wgm_err_set(err, "out of memory");
	if (wgm_split_list(copy, items, WGM_MAX_CANDIDATES + 1, &n)) {
		wgm_err_set(err, "candidates: empty entry in '%s'", value);
		goto out;
	}
	if (n > WGM_MAX_CANDIDATES) {
		wgm_err_set(err, "candidates: at most %d per peer",
			    WGM_MAX_CANDIDATES);
		goto out;
	}
	peer->n_cands = 0;
	for (i = 0; i < n; i++) {
		c = mesh_conf_peer_add_cand(peer);
		if (!c) {
			wgm_err_set(err, "out of memory");
			goto out;
		}
		if (wgm_parse_candidate(items[i], c, err)) {
			wgm_err_prefix(err, "candidates");
			goto out;
		}
	}
	peer->has |= MESH_CONF_PEER_HAS_CANDIDATES;
	peer->flags |= WGM_PEER_F_REPLACE_CANDIDATES;
	ret = 0;
out:
	free(copy);
	return ret;
}

/* "ADDR:PORT[,ADDR:PORT...]" or "off": the device's whole STUN server list. */
static int parse_stun_servers(struct mesh_conf_device *dev, const char *value,
			      struct wgm_err *err)
{
	char *items[WGM_STUN_MAX_SERVERS + 1], *copy;
	size_t n, i, j;
	int ret = -1;

	dev->n_stun = 0;
	dev->has |= MESH_CONF_DEV_HAS_STUN;
	if (!strcasecmp(value, "off") || !*value)
		return 0;
	copy = strdup(value);
	if (!copy)
		return wgm_err_set(err, "out of memory");
	if (wgm_split_list(copy, items, WGM_STUN_MAX_SERVERS + 1, &n)) {
		wgm_err_set(err, "stun-server: empty entry in '%s'", value);
		goto out;
	}
	if (n > WGM_STUN_MAX_SERVERS) {
		wgm_err_set(err, "stun-server: at most %d servers",
			    WGM_STUN_MAX_SERVERS);
		goto out;
	}
	for (i = 0; i < n; i++) {
		memset(&dev->stun[i], 0, sizeof(dev->stun[i]));
		if (wgm_parse_endpoint(items[i], &dev->stun[i].endpoint, err)) {
			wgm_err_prefix(err, "stun-server");
			goto out;
		}
		for (j = 0; j < i; j++) {
			if (wgm_endpoint_equal(&dev->stun[j].endpoint,
					       &dev->stun[i].endpoint)) {
				wgm_err_set(err, "stun-server: '%s' given twice",
					    items[i]);
				goto out;
			}
		}
	}
	dev->n_stun = n;
	ret = 0;
out:
	free(copy);
	return ret;
}

static int key_file(const char *word, const char *path,
		    uint8_t key[WGM_KEY_LEN], struct wgm_err *err)
{
	if (wgm_key_read_file(key, path, NULL, err))
		return wgm_err_prefix(err, "%s", word);
	return 0;
}

/*
 * One peer option at argv[*i]; returns 1 if consumed (advancing *i past its
 * value), 0 if argv[*i] is not a peer option, -1 on error.
 */
static int peer_option(struct mesh_conf_peer *peer, int argc, char *const argv[],
		       int *i, bool *removing, struct wgm_err *err)
{
	const char *w = argv[*i], *v;
	uint64_t n;

	if (!strcmp(w, "remove")) {
		peer->flags |= WGM_PEER_F_REMOVE_ME;
		*removing = true;
		return 1;
	}
	if (strcmp(w, "preshared-key") && strcmp(w, "endpoint") &&
	    strcmp(w, "candidates") && strcmp(w, "persistent-keepalive") &&
	    strcmp(w, "allowed-ips") && strcmp(w, "nat"))
		return 0;
	if (*i + 1 >= argc)
		return wgm_err_set(err, "'%s' needs a value", w);
	v = argv[++*i];

	if (!strcmp(w, "preshared-key")) {
		if (key_file(w, v, peer->preshared_key, err))
			return -1;
		peer->has |= MESH_CONF_PEER_HAS_PSK;
	} else if (!strcmp(w, "endpoint")) {
		if (wgm_parse_endpoint(v, &peer->endpoint, err))
			return wgm_err_prefix(err, "endpoint");
		peer->has |= MESH_CONF_PEER_HAS_ENDPOINT;
	} else if (!strcmp(w, "candidates")) {
		if (parse_candidates(peer, v, err))
			return -1;
	} else if (!strcmp(w, "persistent-keepalive")) {
		if (!strcasecmp(v, "off"))
			n = 0;
		else if (wgm_parse_uint(v, 65535, false, &n))
			return wgm_err_set(err, "persistent-keepalive: '%s' is not 0-65535 seconds or 'off'",
					   v);
		peer->keepalive = (uint16_t)n;
		peer->has |= MESH_CONF_PEER_HAS_KEEPALIVE;
	} else if (!strcmp(w, "nat")) {
		if (!strcmp(v, "unknown"))
			peer->nat = WGM_NAT_UNKNOWN;
		else if (!strcmp(v, "easy"))
			peer->nat = WGM_NAT_EASY;
		else if (!strcmp(v, "hard"))
			peer->nat = WGM_NAT_HARD;
		else
			return wgm_err_set(err, "nat: '%s' is not easy, hard or unknown", v);
		peer->has |= MESH_CONF_PEER_HAS_NAT;
	} else {
		if (parse_allowed_ips(peer, v, err))
			return -1;
	}
	return 1;
}

static int check_remove(const struct mesh_conf_peer *peer, bool removing,
			struct wgm_err *err)
{
	if (removing && (peer->has || peer->n_aips ||
			 (peer->flags & ~WGM_PEER_F_REMOVE_ME)))
		return wgm_err_set(err, "peer 'remove' cannot be combined with other peer options");
	return 0;
}

static struct mesh_conf_peer *new_peer(struct mesh_conf_device *dev, const char *pubkey,
				 struct wgm_err *err)
{
	uint8_t key[WGM_KEY_LEN];
	struct mesh_conf_peer *peer;

	if (!wgm_key_from_arg(key, pubkey)) {
		wgm_err_set(err, "peer: '%s' is not a 32-byte base64 key",
			    pubkey);
		return NULL;
	}
	peer = mesh_conf_device_add_peer(dev);
	if (!peer) {
		wgm_err_set(err, "out of memory");
		return NULL;
	}
	memcpy(peer->public_key, key, WGM_KEY_LEN);
	return peer;
}

int wgm_set_parse(int argc, char *const argv[], struct mesh_conf_device *dev,
		  struct wgm_err *err)
{
	struct mesh_conf_peer *peer = NULL;
	bool removing = false;
	const char *w, *v;
	uint64_t n;
	int i, r;

	for (i = 0; i < argc; i++) {
		w = argv[i];
		if (!strcmp(w, "peer")) {
			if (peer && check_remove(peer, removing, err))
				return -1;
			if (i + 1 >= argc)
				return wgm_err_set(err, "'peer' needs a public key");
			peer = new_peer(dev, argv[++i], err);
			if (!peer)
				return -1;
			removing = false;
			continue;
		}
		if (peer) {
			r = peer_option(peer, argc, argv, &i, &removing, err);
			if (r < 0)
				return -1;
			if (!r)
				return wgm_err_set(err, "unknown peer keyword '%s' (valid after 'peer': %s)",
						   w, PEER_WORDS);
			continue;
		}
		if (strcmp(w, "listen-port") && strcmp(w, "private-key") &&
		    strcmp(w, "fwmark") && strcmp(w, "stun-server"))
			return wgm_err_set(err, "unknown keyword '%s' (valid: %s)",
					   w, DEVICE_WORDS);
		if (i + 1 >= argc)
			return wgm_err_set(err, "'%s' needs a value", w);
		v = argv[++i];
		if (!strcmp(w, "listen-port")) {
			if (wgm_parse_uint(v, 65535, false, &n))
				return wgm_err_set(err, "listen-port: '%s' is not a port number 0-65535",
						   v);
			dev->listen_port = (uint16_t)n;
			dev->has |= MESH_CONF_DEV_HAS_LISTEN_PORT;
		} else if (!strcmp(w, "private-key")) {
			if (key_file(w, v, dev->private_key, err))
				return -1;
			dev->has |= MESH_CONF_DEV_HAS_PRIVATE_KEY;
		} else if (!strcmp(w, "stun-server")) {
			if (parse_stun_servers(dev, v, err))
				return -1;
		} else {
			if (!strcasecmp(v, "off"))
				n = 0;
			else if (wgm_parse_uint(v, UINT32_MAX, true, &n))
				return wgm_err_set(err, "fwmark: '%s' is not a 32-bit number or 'off'",
						   v);
			dev->fwmark = (uint32_t)n;
			dev->has |= MESH_CONF_DEV_HAS_FWMARK;
		}
	}
	if (peer && check_remove(peer, removing, err))
		return -1;
	return 0;
}

int wgm_set_parse_peer(const char *pubkey, int argc, char *const argv[],
		       struct mesh_conf_device *dev, struct wgm_err *err)
{
	struct mesh_conf_peer *peer = new_peer(dev, pubkey, err);
	bool removing = false;
	int i, r;

	if (!peer)
		return -1;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "remove") || !strcmp(argv[i], "peer"))
			r = 0;
		else
			r = peer_option(peer, argc, argv, &i, &removing, err);
		if (r < 0)
			return -1;
		if (!r)
			return wgm_err_set(err, "unknown peer option '%s' (valid: preshared-key, endpoint, candidates, persistent-keepalive, allowed-ips, nat)",
					   argv[i]);
	}
	return 0;
}
