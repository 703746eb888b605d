// SPDX-License-Identifier: GPL-2.0-only
/* meshcoord: the wgmesh coordination service and its admin commands. */
#include <errno.h>
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
		"usage: meshcoord [--listen ADDR:PORT] [--stun ADDR:PORT|none]\n"
		"                 [--stun2 ADDR:PORT|none] [--state DIR]\n"
		"                 [--max-nodes N] [--max-pending N] [--max-pending-per-address N]\n"
		"                 [--max-connections N]\n"
		"                 [--relay-ports LO-HI|any:N] [--relay-rate BYTES] [--relay-max-per-node N]\n"
		"                 [--no-relay] [--no-birthday]\n"
		"       meshcoord [--state DIR] nodes\n"
		"       meshcoord [--state DIR] remove NODE   (name, public key or address)\n"
		"       meshcoord [--state DIR] pubkey\n"
		"       meshcoord [--state DIR] authkey create [--reusable] [--expires DURATION]\n"
		"       meshcoord [--state DIR] relay add NAME PUBKEY | relay list | relay remove NAME\n"
		"defaults: --listen %s --stun %s --stun2 (--stun's port + 1) --state %s\n"
		"          --max-nodes %d --max-pending %d --max-pending-per-address %d\n"
		"          --max-connections: max-nodes + max-pending\n"
		"          --relay-ports %d-%d on --stun's address (any:%d when its port is 0)\n"
		"          --relay-rate %llu (bytes/s per node and allocation; 0: no cap)\n"
		"          --relay-max-per-node %d\n",
		DEFAULT_LISTEN, DEFAULT_STUN, DEFAULT_STATE, COORD_DEF_MAX_NODES,
		COORD_DEF_MAX_PENDING, COORD_DEF_MAX_PER_SOURCE, COORD_DEF_RELAY_LO,
		COORD_DEF_RELAY_HI, COORD_DEF_RELAY_ANY, COORD_DEF_RELAY_RATE,
		COORD_DEF_RELAY_PER_NODE);
}

static bool parse_limit(const char *opt, const char *v, unsigned int *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > COORD_LIMIT_MAX) {
		fprintf(stderr, "meshcoord: %s: '%s' is not a number from 1 to %d\n",
			opt, v, COORD_LIMIT_MAX);
		return false;
	}
	*out = (unsigned int)n;
	return true;
}

/* The service's addresses, checked before anything starts. */
static bool addr_ok(const char *opt, const char *spec)
{
	char host[64];
	uint16_t port;
	struct wgm_err e;

	if (!spec || !coord_parse_addr(spec, host, sizeof(host), &port, true, &e))
		return true;
	fprintf(stderr, "meshcoord: %s %s\n", opt, e.msg);
	return false;
}

/* The state directory of a subcommand: a directory, and say so if open. */
static bool state_ok(const char *dir, bool create)
{
	char warn[512];
	struct wgm_err e;

	if (coord_check_state_dir(dir, create, warn, sizeof(warn), &e)) {
		fprintf(stderr, "meshcoord: %s\n", e.msg);
		return false;
	}
	if (warn[0])
		fprintf(stderr, "meshcoord: %s\n", warn);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "stun", required_argument, NULL, 's' },
		{ "stun2", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 'd' },
		{ "reusable", no_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "max-nodes", required_argument, NULL, 'N' },
		{ "max-pending", required_argument, NULL, 'P' },
		{ "max-pending-per-address", required_argument, NULL, 'A' },
		{ "max-connections", required_argument, NULL, 'C' },
		{ "relay-ports", required_argument, NULL, 'R' },
		{ "relay-rate", required_argument, NULL, 'B' },
		{ "relay-max-per-node", required_argument, NULL, 'M' },
		{ "no-relay", no_argument, NULL, 'n' },
		{ "no-birthday", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct coord_cfg cfg = {
		.listen = DEFAULT_LISTEN, .stun = DEFAULT_STUN,
		.state_dir = DEFAULT_STATE, .max_nodes = COORD_DEF_MAX_NODES,
		.max_pending = COORD_DEF_MAX_PENDING,
		.max_per_source = COORD_DEF_MAX_PER_SOURCE,
		.relay = true, .relay_lo = COORD_DEF_RELAY_LO,
		.relay_hi = COORD_DEF_RELAY_HI, .relay_rate = COORD_DEF_RELAY_RATE,
		.relay_max_per_node = COORD_DEF_RELAY_PER_NODE,
	};
	bool ports_given = false;
	unsigned long long rate;
	char *end;
	bool reusable = false, svc_opts = false, key_opts = false;
	int64_t expires = 0;
	bool stun2_given = false;
	char stun2[80];
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
		case 'S':
			cfg.stun2 = strcmp(optarg, "none") ? optarg : NULL;
			stun2_given = true;
			svc_opts = true;
			break;
		case 'd':
			cfg.state_dir = optarg;
			break;
		case 'r':
			reusable = true;
			key_opts = true;
			break;
		case 'N':
			if (!parse_limit("--max-nodes", optarg, &cfg.max_nodes))
				return 2;
			svc_opts = true;
			break;
		case 'P':
			if (!parse_limit("--max-pending", optarg, &cfg.max_pending))
				return 2;
			svc_opts = true;
			break;
		case 'A':
			if (!parse_limit("--max-pending-per-address", optarg,
					 &cfg.max_per_source))
				return 2;
			svc_opts = true;
			break;
		case 'C':
			if (!parse_limit("--max-connections", optarg, &cfg.max_conns))
				return 2;
			svc_opts = true;
			break;
		case 'R':
			if (coord_parse_relay_ports(optarg, &cfg.relay_lo, &cfg.relay_hi,
						    &cfg.relay_any, &err)) {
				fprintf(stderr, "meshcoord: %s\n", err.msg);
				return 2;
			}
			ports_given = true;
			svc_opts = true;
			break;
		case 'B':
			errno = 0;
			rate = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || errno ||
			    rate > 1000000000000ULL) {
				fprintf(stderr, "meshcoord: --relay-rate: '%s' is not a number of bytes per second (0: no cap)\n",
					optarg);
				return 2;
			}
			cfg.relay_rate = rate;
			svc_opts = true;
			break;
		case 'M':
			if (!parse_limit("--relay-max-per-node", optarg,
					 &cfg.relay_max_per_node))
				return 2;
			svc_opts = true;
			break;
		case 'n':
			cfg.relay = false;
			svc_opts = true;
			break;
		case 'b':
			cfg.no_birthday = true;
			svc_opts = true;
			break;
		case 'e':
			key_opts = true;
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
	if (key_opts && !(argc == 2 && !strcmp(argv[0], "authkey") &&
			  !strcmp(argv[1], "create"))) {
		fprintf(stderr, "meshcoord: --reusable/--expires apply to 'authkey create' only\n");
		return 2;
	}
	if (argc == 0) {
		if (!addr_ok("--listen", cfg.listen) || !addr_ok("--stun", cfg.stun) ||
		    !addr_ok("--stun2", cfg.stun2))
			return 2;
		if (!stun2_given && cfg.stun) {
			if (coord_stun2_default(cfg.stun, stun2, sizeof(stun2), &err)) {
				fprintf(stderr, "meshcoord: %s\n", err.msg);
				return 2;
			}
			cfg.stun2 = stun2;
		}
		/* --stun on port 0 (tests): the relay's ports are any too */
		if (!ports_given && cfg.stun) {
			char host[64];
			uint16_t port = 1;

			if (!coord_parse_addr(cfg.stun, host, sizeof(host), &port, true, &err) &&
			    !port)
				cfg.relay_any = COORD_DEF_RELAY_ANY;
		}
		if (cfg.max_per_source > cfg.max_pending)
			cfg.max_per_source = cfg.max_pending;
		if (coord_serve(&cfg, &err)) {
			fprintf(stderr, "meshcoord: %s\n", err.msg);
			return 1;
		}
		return 0;
	}
	if (svc_opts) {
		fprintf(stderr, "meshcoord: --listen/--stun/--stun2/--max-*/--relay-*/--no-relay/--no-birthday apply to the service only\n");
		return 2;
	}
	if (!state_ok(cfg.state_dir, !strcmp(argv[0], "pubkey") ||
		      !strcmp(argv[0], "authkey")))
		return 1;
	if (!strcmp(argv[0], "nodes") && argc == 1)
		return coord_cmd_nodes(cfg.state_dir);
	if (!strcmp(argv[0], "remove") && argc == 2)
		return coord_cmd_remove(cfg.state_dir, argv[1]);
	if (!strcmp(argv[0], "pubkey") && argc == 1)
		return coord_cmd_pubkey(cfg.state_dir);
	if (!strcmp(argv[0], "authkey") && argc == 2 && !strcmp(argv[1], "create"))
		return coord_cmd_authkey_create(cfg.state_dir, reusable, expires);
	if (!strcmp(argv[0], "relay") && argc == 4 && !strcmp(argv[1], "add"))
		return coord_cmd_relay_add(cfg.state_dir, argv[2], argv[3]);
	if (!strcmp(argv[0], "relay") && argc == 2 && !strcmp(argv[1], "list"))
		return coord_cmd_relay_list(cfg.state_dir);
	if (!strcmp(argv[0], "relay") && argc == 3 && !strcmp(argv[1], "remove"))
		return coord_cmd_relay_remove(cfg.state_dir, argv[2]);
	usage(stderr);
	return 2;
}
