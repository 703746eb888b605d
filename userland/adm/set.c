// SPDX-License-Identifier: GPL-2.0-only
/* set DEV ... : the whole command line is validated before anything is sent */
#include "adm.h"
#include "setargs.h"

int cmd_set(int argc, char *argv[])
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	int ret;

	if (argc < 2)
		return adm_usage(argv[0]);
	mesh_conf_device_init(&dev);
	ret = adm_set_name(&dev, argv[1]);
	if (!ret && wgm_set_parse(argc - 2, argv + 2, &dev, &err))
		ret = adm_error(ADM_USAGE, "%s", err.msg);
	if (!ret)
		ret = adm_set_device(&dev);
	mesh_conf_device_free(&dev);
	return ret;
}
