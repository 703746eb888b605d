// SPDX-License-Identifier: GPL-2.0-only
/*
 * setconf DEV FILE   replace configuration and peers (REPLACE_PEERS)
 * addconf DEV FILE   add/update the file's peers, keep the others
 * syncconf DEV FILE  minimal change towards the file, sessions survive
 */
#include <string.h>

#include "adm.h"
#include "conffile.h"
#include "diff.h"

static int syncconf(struct mesh_conf_device *want)
{
	struct mesh_conf_device cur, out;
	struct wgm_err err;
	int ret;

	mesh_conf_device_init(&cur);
	mesh_conf_device_init(&out);
	ret = adm_get_device(want->name, &cur);
	if (!ret && wgm_conf_diff(&cur, want, &out, &err))
		ret = adm_error(ADM_FAIL, "%s", err.msg);
	if (!ret && (out.has || out.n_peers))
		ret = adm_set_device(&out);
	mesh_conf_device_free(&cur);
	mesh_conf_device_free(&out);
	return ret;
}

int cmd_setconf(int argc, char *argv[])
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	int ret;

	if (argc != 3)
		return adm_usage(argv[0]);
	mesh_conf_device_init(&dev);
	ret = adm_set_name(&dev, argv[1]);
	if (ret)
		return ret;
	if (wgm_conf_parse_file(argv[2], &dev, &err)) {
		mesh_conf_device_free(&dev);
		return adm_error(ADM_USAGE, "%s", err.msg);
	}
	if (!strcmp(argv[0], "syncconf")) {
		ret = syncconf(&dev);
	} else {
		if (!strcmp(argv[0], "addconf"))
			dev.flags &= ~(uint32_t)WGM_DEVICE_F_REPLACE_PEERS;
		ret = adm_set_device(&dev);
	}
	mesh_conf_device_free(&dev);
	return ret;
}
