// SPDX-License-Identifier: GPL-2.0-only
/* showconf DEV */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "adm.h"
#include "conffile.h"

int cmd_showconf(int argc, char *argv[])
{
	struct mesh_conf_device dev;
	struct wgm_buf b;
	int ret;

	if (argc != 2)
		return adm_usage(argv[0]);
	mesh_conf_device_init(&dev);
	ret = adm_get_device(argv[1], &dev);
	if (ret)
		return ret;
	wgm_buf_init(&b);
	wgm_conf_format(&b, &dev);
	if (b.oom)
		ret = adm_error(ADM_FAIL, "out of memory");
	else if (fwrite(b.s, 1, b.len, stdout) != b.len || fflush(stdout))
		ret = adm_error(ADM_FAIL, "stdout: %s", strerror(errno));
	if (b.s)
		explicit_bzero(b.s, b.len);
	wgm_buf_free(&b);
	mesh_conf_device_free(&dev);
	return ret;
}
