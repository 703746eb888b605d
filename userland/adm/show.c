// SPDX-License-Identifier: GPL-2.0-only
/* show [DEV | all | interfaces] [FIELD] [--json] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adm.h"
#include "format.h"
#include "nl.h"
#include "rtnl.h"

struct show_opts {
	const char *field;
	bool json;
	bool color;
	bool with_name;
};

static bool want_color(void)
{
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
	       !(term && !strcmp(term, "dumb"));
}

static int flush_buf(struct wgm_buf *b)
{
	if (b->oom)
		return adm_error(ADM_FAIL, "out of memory");
	if (b->len && fwrite(b->s, 1, b->len, stdout) != b->len)
		return adm_error(ADM_FAIL, "stdout: %s", strerror(errno));
	return ADM_OK;
}

static int show_one(const char *ifname, const struct show_opts *o, bool first)
{
	struct mesh_conf_device dev;
	struct wgm_clock clk;
	struct wgm_err err;
	struct wgm_buf b;
	int ret;

	mesh_conf_device_init(&dev);
	ret = adm_get_device(ifname, &dev);
	if (ret)
		return ret;
	adm_mark_local_relays(&dev);
	wgm_clock_now(&clk);
	wgm_buf_init(&b);
	if (o->json) {
		wgm_json_device(&b, &dev, &clk);
	} else if (o->field) {
		if (wgm_show_field(&b, &dev, o->field, o->with_name, &err))
			ret = adm_error(ADM_USAGE, "%s", err.msg);
	} else {
		if (!first)
			wgm_buf_puts(&b, "\n");
		mesh_conf_device_sort_peers_by_handshake(&dev);
		wgm_show_device(&b, &dev, &clk, o->color);
	}
	if (!ret)
		ret = flush_buf(&b);
	wgm_buf_free(&b);
	mesh_conf_device_free(&dev);
	return ret;
}

static int valid_field(const char *field)
{
	struct wgm_buf list;
	size_t i;

	for (i = 0; wgm_show_fields[i]; i++)
		if (!strcmp(field, wgm_show_fields[i]))
			return ADM_OK;
	wgm_buf_init(&list);
	for (i = 0; wgm_show_fields[i]; i++)
		wgm_buf_printf(&list, "%s%s", i ? ", " : "", wgm_show_fields[i]);
	adm_error(ADM_USAGE, "unknown show field '%s' (valid: %s)", field,
		  list.s ? list.s : "");
	wgm_buf_free(&list);
	return ADM_USAGE;
}

int cmd_show(int argc, char *argv[])
{
	struct show_opts o = { 0 };
	const char *target = NULL;
	struct wgm_link *links = NULL;
	struct wgm_err err;
	size_t n = 0, i;
	int ret = ADM_OK, r;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o.json = true;
		else if (!target)
			target = argv[i];
		else if (!o.field)
			o.field = argv[i];
		else
			return adm_usage(argv[0]);
	}
	if (!target)
		target = "all";
	if (o.field && o.json)
		return adm_error(ADM_USAGE, "--json prints whole devices and cannot be combined with a FIELD");
	if (o.field && valid_field(o.field))
		return ADM_USAGE;
	o.color = !o.json && want_color();

	if (strcmp(target, "all") && strcmp(target, "interfaces"))
		return show_one(target, &o, true);

	if (wgm_rtnl_list(&links, &n, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	/*
	 * No wgmesh device: say so when the module is missing (or we may not
	 * talk to it) instead of printing nothing and succeeding.
	 */
	if (!n) {
		struct wgm_nl nl;

		if (wgm_nl_open(&nl, &err)) {
			free(links);
			return adm_error(ADM_FAIL, "%s", err.msg);
		}
		wgm_nl_close(&nl);
	}
	if (!strcmp(target, "interfaces")) {
		struct wgm_buf b;

		if (o.field) {
			free(links);
			return adm_usage(argv[0]);
		}
		wgm_buf_init(&b);
		if (o.json)
			wgm_buf_puts(&b, "[");
		for (i = 0; i < n; i++) {
			if (o.json) {
				if (i)
					wgm_buf_puts(&b, ",");
				wgm_json_string(&b, links[i].name);
			} else {
				wgm_buf_printf(&b, "%s%s", i ? " " : "",
					       links[i].name);
			}
		}
		wgm_buf_puts(&b, o.json ? "]\n" : "\n");
		ret = flush_buf(&b);
		wgm_buf_free(&b);
		free(links);
		return ret;
	}
	o.with_name = true;
	for (i = 0; i < n; i++) {
		r = show_one(links[i].name, &o, i == 0);
		if (r)
			ret = r;
	}
	free(links);
	return ret;
}
