/* SPDX-License-Identifier: GPL-2.0-only */
/* meshadm: one file per subcommand, dispatched from main.c. */
#ifndef MESHADM_ADM_H
#define MESHADM_ADM_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

/* Exit statuses (documented in meshadm(8)). */
#define ADM_OK 0
#define ADM_FAIL 1	/* the operation failed (kernel, system, I/O) */
#define ADM_USAGE 2	/* bad command line or configuration file */

struct adm_cmd {
	const char *name;
	int (*run)(int argc, char *argv[]);
	const char *usage;	/* after "meshadm NAME " */
	const char *summary;
};

/* argv[0] is the subcommand name in every run(). */
int cmd_genkey(int argc, char *argv[]);
int cmd_genpsk(int argc, char *argv[]);
int cmd_pubkey(int argc, char *argv[]);
int cmd_show(int argc, char *argv[]);
int cmd_showconf(int argc, char *argv[]);
int cmd_set(int argc, char *argv[]);
int cmd_setconf(int argc, char *argv[]);	/* also addconf, syncconf */
int cmd_peer(int argc, char *argv[]);
int cmd_dev(int argc, char *argv[]);
int cmd_punch(int argc, char *argv[]);
int cmd_ping(int argc, char *argv[]);
int cmd_monitor(int argc, char *argv[]);

const struct adm_cmd *adm_find(const char *name);

/* "meshadm: <msg>" on stderr; return the given status. */
__attribute__((format(printf, 2, 3)))
int adm_error(int status, const char *fmt, ...);
/* Print the usage line of cmd to stderr and return ADM_USAGE. */
int adm_usage(const char *cmd);

/* Fetch / apply over generic netlink, reporting errors; ADM_* status. */
int adm_get_device(const char *ifname, struct mesh_conf_device *dev);
int adm_set_device(const struct mesh_conf_device *dev);
/*
 * Marks the relay candidates on this host's own addresses (mesh_conf_cand
 * .local): meshd's carriers of a relay over TCP, shown as such.  Best
 * effort: without the interface list every relay reads as UDP.
 */
void adm_mark_local_relays(struct mesh_conf_device *dev);
/* Validate and copy an interface name into dev->name. */
int adm_set_name(struct mesh_conf_device *dev, const char *ifname);

#endif /* MESHADM_ADM_H */
