// SPDX-License-Identifier: GPL-2.0-only
/* peer add DEV PUBKEY [options] | peer del DEV PUBKEY | peer list DEV */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "adm.h"
#include "setargs.h"

static int peer_add(int argc, char *argv[])
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	int ret;

	mesh_conf_device_init(&dev);
	ret = adm_set_name(&dev, argv[0]);
	if (!ret && wgm_set_parse_peer(argv[1], argc - 2, argv + 2, &dev, &err))
		ret = adm_error(ADM_USAGE, "%s", err.msg);
	if (!ret)
		ret = adm_set_device(&dev);
	mesh_conf_device_free(&dev);
	return ret;
}

static int peer_del(const char *ifname, const char *pubkey)
{
	struct mesh_conf_device cur, req;
	uint8_t key[WGM_KEY_LEN];
	struct mesh_conf_peer *peer;
	int ret;

	if (!wgm_key_from_arg(key, pubkey))
		return adm_error(ADM_USAGE, "'%s' is not a 32-byte base64 key",
				 pubkey);
	mesh_conf_device_init(&cur);
	mesh_conf_device_init(&req);
	ret = adm_get_device(ifname, &cur);
	if (ret)
		goto out;
	if (!mesh_conf_device_find_peer(&cur, key)) {
		ret = adm_error(ADM_FAIL, "%s has no peer %s", ifname, pubkey);
		goto out;
	}
	ret = adm_set_name(&req, ifname);
	if (ret)
		goto out;
	peer = mesh_conf_device_add_peer(&req);
	if (!peer) {
		ret = adm_error(ADM_FAIL, "out of memory");
		goto out;
	}
	memcpy(peer->public_key, key, WGM_KEY_LEN);
	peer->flags = WGM_PEER_F_REMOVE_ME;
	ret = adm_set_device(&req);
out:
	mesh_conf_device_free(&cur);
	mesh_conf_device_free(&req);
	return ret;
}

static int peer_list(const char *ifname)
{
	char k[WGM_KEY_B64_LEN + 1], tmp[WGM_ADDRSTRLEN];
	struct mesh_conf_device dev;
	size_t i, j;
	int ret;

	mesh_conf_device_init(&dev);
	ret = adm_get_device(ifname, &dev);
	if (ret)
		return ret;
	for (i = 0; i < dev.n_peers; i++) {
		const struct mesh_conf_peer *p = &dev.peers[i];

		wgm_key_to_base64(k, p->public_key);
		printf("%s\t%s\t", k,
		       wgm_format_endpoint(&p->endpoint, tmp, sizeof(tmp)));
		if (!p->n_aips)
			fputs("(none)", stdout);
		for (j = 0; j < p->n_aips; j++)
			printf("%s%s", j ? "," : "",
			       wgm_format_cidr(&p->aips[j], tmp, sizeof(tmp)));
		putchar('\n');
	}
	mesh_conf_device_free(&dev);
	if (fflush(stdout))
		return adm_error(ADM_FAIL, "stdout: write error");
	return ADM_OK;
}

int cmd_peer(int argc, char *argv[])
{
	if (argc >= 4 && !strcmp(argv[1], "add"))
		return peer_add(argc - 2, argv + 2);
	if (argc == 4 && !strcmp(argv[1], "del"))
		return peer_del(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "list"))
		return peer_list(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "add") && strcmp(argv[1], "del") &&
	    strcmp(argv[1], "list"))
		adm_error(ADM_USAGE, "unknown peer subcommand '%s' (valid: add, del, list)",
			  argv[1]);
	return adm_usage(argv[0]);
}
