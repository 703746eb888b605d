// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshadm - configure wgmesh devices.
 */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "adm.h"
#include "nl.h"

#ifndef MESHADM_VERSION
#define MESHADM_VERSION "unknown"
#endif

static const struct adm_cmd commands[] = {
	{ "show", cmd_show,
	  "[DEV | all | interfaces] [FIELD] [--json]",
	  "Show devices, peers and their state" },
	{ "showconf", cmd_showconf, "DEV",
	  "Print a device's configuration in config-file format" },
	{ "set", cmd_set,
	  "DEV [listen-port PORT] [private-key FILE] [fwmark MARK|off] "
	  "[stun-server HOST:PORT[,HOST:PORT...]|off] "
	  "[peer PUBKEY [remove] [preshared-key FILE] [endpoint HOST:PORT] "
	  "[candidates HOST:PORT,...] [persistent-keepalive SECS|off] "
	  "[allowed-ips [+|-]CIDR,...]]...",
	  "Change a device's configuration" },
	{ "setconf", cmd_setconf, "DEV FILE",
	  "Replace a device's configuration with a config file" },
	{ "addconf", cmd_setconf, "DEV FILE",
	  "Add or update the peers of a config file" },
	{ "syncconf", cmd_setconf, "DEV FILE",
	  "Make a device match a config file, keeping live sessions" },
	{ "peer", cmd_peer,
	  "add DEV PUBKEY [allowed-ips CIDR,...] [endpoint HOST:PORT] "
	  "[candidates HOST:PORT,...] [persistent-keepalive SECS|off] "
	  "[preshared-key FILE] | del DEV PUBKEY | list DEV",
	  "Add, remove or list peers" },
	{ "dev", cmd_dev, "add DEV | del DEV",
	  "Create or delete a wgmesh network device" },
	{ "punch", cmd_punch, "DEV PUBKEY [birthday open|spray IPV4:PORT [COUNT]]",
	  "Probe all candidate endpoints of a peer now (hole punching)" },
	{ "ping", cmd_ping, "DEV PUBKEY [--count N]",
	  "Punch, then show which candidates answer and the active path" },
	{ "monitor", cmd_monitor, "[DEV]",
	  "Print the module's events as they happen" },
	{ "genkey", cmd_genkey, "[FILE | -]",
	  "Generate a private key (to FILE with mode 0600, or stdout)" },
	{ "genpsk", cmd_genpsk, "[FILE | -]",
	  "Generate a preshared key (to FILE with mode 0600, or stdout)" },
	{ "pubkey", cmd_pubkey, "",
	  "Read a private key on stdin, print its public key" },
	{ NULL, NULL, NULL, NULL },
};

const struct adm_cmd *adm_find(const char *name)
{
	const struct adm_cmd *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int adm_error(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("meshadm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int adm_usage(const char *cmd)
{
	const struct adm_cmd *c = adm_find(cmd);

	if (c)
		fprintf(stderr, "Usage: meshadm %s %s\n", c->name, c->usage);
	return ADM_USAGE;
}

int adm_set_name(struct mesh_conf_device *dev, const char *ifname)
{
	if (!*ifname || strlen(ifname) >= sizeof(dev->name))
		return adm_error(ADM_USAGE, "invalid interface name '%s'",
				 ifname);
	snprintf(dev->name, sizeof(dev->name), "%s", ifname);
	return ADM_OK;
}

int adm_get_device(const char *ifname, struct mesh_conf_device *dev)
{
	struct wgm_err err;
	struct wgm_nl nl;
	int ret;

	if (wgm_nl_open(&nl, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	ret = wgm_nl_get_device(&nl, ifname, dev, &err);
	wgm_nl_close(&nl);
	if (ret)
		return adm_error(ADM_FAIL, "%s", err.msg);
	return ADM_OK;
}

int adm_set_device(const struct mesh_conf_device *dev)
{
	struct wgm_err err;
	struct wgm_nl nl;
	int ret;

	if (wgm_nl_open(&nl, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	ret = wgm_nl_set_device(&nl, dev, &err);
	wgm_nl_close(&nl);
	if (ret)
		return adm_error(ADM_FAIL, "%s", err.msg);
	return ADM_OK;
}

/* Is @a (port aside) one of the addresses in @list? */
static bool addr_is_local(const union wgm_sockaddr *a, const struct ifaddrs *list)
{
	const struct ifaddrs *i;

	for (i = list; i; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (!sa || sa->sa_family != a->sa.sa_family)
			continue;
		if (sa->sa_family == AF_INET &&
		    ((const struct sockaddr_in *)sa)->sin_addr.s_addr == a->in.sin_addr.s_addr)
			return true;
		if (sa->sa_family == AF_INET6 &&
		    !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &a->in6.sin6_addr, 16))
			return true;
	}
	return false;
}

void adm_mark_local_relays(struct mesh_conf_device *dev)
{
	struct ifaddrs *list;
	size_t p, c;

	if (getifaddrs(&list))
		return;
	for (p = 0; p < dev->n_peers; p++) {
		struct mesh_conf_peer *peer = &dev->peers[p];

		for (c = 0; c < peer->n_cands; c++)
			if (peer->cands[c].kind == WGM_CANDIDATE_KIND_RELAY)
				peer->cands[c].local = addr_is_local(&peer->cands[c].endpoint, list);
	}
	freeifaddrs(list);
}

static void help(FILE *f)
{
	const struct adm_cmd *c;

	fprintf(f, "Usage: meshadm [COMMAND [ARGS]...]\n"
		"Configure wgmesh devices (WireGuard-compatible, with candidate endpoints).\n\n"
		"Commands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\nWithout a COMMAND, meshadm runs show.\n"
		"meshadm help COMMAND or meshadm COMMAND --help shows a command's usage;\n"
		"meshadm --version prints the version.  See meshadm(8).\n");
}

static int command_help(const char *name, FILE *f)
{
	const struct adm_cmd *c = adm_find(name);

	if (!c)
		return adm_error(ADM_USAGE, "unknown command '%s' (try: meshadm --help)",
				 name);
	fprintf(f, "Usage: meshadm %s %s\n%s.\n", c->name, c->usage,
		c->summary);
	return ADM_OK;
}

int main(int argc, char *argv[])
{
	const struct adm_cmd *c;

	/* Any file meshadm creates (private keys!) is private to the owner. */
	umask(077);

	/* No command: show everything, as wg(8) does. */
	if (argc < 2) {
		char show[] = "show", *args[] = { show, NULL };

		return cmd_show(1, args);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help(stdout);
		return ADM_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("meshadm %s\n", MESHADM_VERSION);
		return ADM_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			help(stdout);
			return ADM_OK;
		}
		return command_help(argv[2], stdout);
	}
	c = adm_find(argv[1]);
	if (!c)
		return adm_error(ADM_USAGE, "unknown command '%s' (try: meshadm --help)",
				 argv[1]);
	if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
		return command_help(c->name, stdout);
	return c->run(argc - 1, argv + 1);
}
