// SPDX-License-Identifier: GPL-2.0-only
/* meshcoord: the wgmesh coordination service and its admin commands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

#define DEFAULT_STATE "/var/lib/meshcoord"
#define DEFAULT_LISTEN "[::]:7443"
#define DEFAULT_STUN "[::]:3478"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: meshcoord [--listen ADDR:PORT] [--stun ADDR:PORT|none] [--state DIR]\n"
		"       meshcoord [--state DIR] nodes\n"
		"       meshcoord [--state DIR] remove NODE   (name, public key or address)\n"
		"       meshcoord [--state DIR] pubkey\n"
		"       meshcoord [--state DIR] authkey create [--reusable] [--expires DURATION]\n"
		"defaults: --listen %s --stun %s --state %s\n",
		DEFAULT_LISTEN, DEFAULT_STUN, DEFAULT_STATE);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "stun", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'd' },
		{ "reusable", no_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct coord_cfg cfg = { DEFAULT_LISTEN, DEFAULT_STUN, DEFAULT_STATE };
	bool reusable = false, svc_opts = false;
	int64_t expires = 0;
	struct wgm_err err;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg.listen = optarg;
			svc_opts = true;
			break;
		case 's':
			cfg.stun = strcmp(optarg, "none") ? optarg : NULL;
			svc_opts = true;
			break;
		case 'd':
			cfg.state_dir = optarg;
			break;
		case 'r':
			reusable = true;
			break;
		case 'e':
			expires = coord_parse_duration(optarg);
			if (expires <= 0) {
				fprintf(stderr, "meshcoord: bad duration '%s' (e.g. 90s, 30m, 24h, 7d)\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		if (coord_serve(&cfg, &err)) {
			fprintf(stderr, "meshcoord: %s\n", err.msg);
			return 1;
		}
		return 0;
	}
	if (svc_opts) {
		fprintf(stderr, "meshcoord: --listen/--stun apply to the service only\n");
		return 2;
	}
	if (!strcmp(argv[0], "nodes") && argc == 1)
		return coord_cmd_nodes(cfg.state_dir);
	if (!strcmp(argv[0], "remove") && argc == 2)
		return coord_cmd_remove(cfg.state_dir, argv[1]);
	if (!strcmp(argv[0], "pubkey") && argc == 1)
		return coord_cmd_pubkey(cfg.state_dir);
	if (!strcmp(argv[0], "authkey") && argc == 2 && !strcmp(argv[1], "create"))
		return coord_cmd_authkey_create(cfg.state_dir, reusable, expires);
	usage(stderr);
	return 2;
}
