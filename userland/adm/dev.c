// SPDX-License-Identifier: GPL-2.0-only
/* dev add DEV | dev del DEV  (rtnetlink, link kind "wgmesh") */
#include <string.h>

#include "adm.h"
#include "rtnl.h"

int cmd_dev(int argc, char *argv[])
{
	struct wgm_err err;
	int r;

	if (argc != 3 || (strcmp(argv[1], "add") && strcmp(argv[1], "del"))) {
		if (argc >= 2 && strcmp(argv[1], "add") && strcmp(argv[1], "del"))
			adm_error(ADM_USAGE, "unknown dev subcommand '%s' (valid: add, del)",
				  argv[1]);
		return adm_usage(argv[0]);
	}
	if (!strcmp(argv[1], "add"))
		r = wgm_rtnl_link_add(argv[2], &err);
	else
		r = wgm_rtnl_link_del(argv[2], &err);
	if (r)
		return adm_error(ADM_FAIL, "%s", err.msg);
	return ADM_OK;
}
