// SPDX-License-Identifier: GPL-2.0-only
/* monitor [DEV]: print the module's notifications, one line each. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "adm.h"
#include "format.h"
#include "nl.h"
#include "nlevents.h"
#include "pathinfo.h"

struct monitor {
	const char *ifname;	/* NULL: every device */
	struct wgm_buf line;
	/* for path events: a socket for GET, and the device it last read */
	struct wgm_nl get;
	bool get_open;
	struct mesh_conf_device last;
};

/*
 * Whether a path event's endpoints are direct or relays: the event names
 * only addresses, so the peer's candidates are read (GET) and the two
 * looked up among them; an endpoint no longer there (candidates replaced
 * meanwhile) is looked up in what the previous read saw.  Unknown when
 * the device cannot be read.
 */
static void path_classes(struct monitor *m, const char *ifname,
			 const uint8_t key[WGM_KEY_LEN], const struct wgm_event *ev,
			 enum wgm_path_class *from, enum wgm_path_class *to)
{
	const struct mesh_conf_peer *p, *was = NULL;
	struct mesh_conf_device cur;
	struct wgm_err err;

	*from = *to = WGM_PATH_UNKNOWN;
	if (!m->get_open) {
		if (wgm_nl_open(&m->get, &err))
			return;
		m->get_open = true;
	}
	mesh_conf_device_init(&cur);
	if (wgm_nl_get_device(&m->get, ifname, &cur, &err)) {
		mesh_conf_device_free(&cur);
		return;
	}
	adm_mark_local_relays(&cur);
	p = mesh_conf_device_find_peer(&cur, key);
	if (!strcmp(m->last.name, ifname))
		was = mesh_conf_device_find_peer(&m->last, key);
	if (p) {
		*from = wgm_peer_path_class(p, &ev->old_ep);
		*to = wgm_peer_path_class(p, &ev->new_ep);
	}
	if (was && *from == WGM_PATH_UNKNOWN)
		*from = wgm_peer_path_class(was, &ev->old_ep);
	if (was && *to == WGM_PATH_UNKNOWN)
		*to = wgm_peer_path_class(was, &ev->new_ep);
	mesh_conf_device_free(&m->last);
	m->last = cur;
}

static void put_peer(struct monitor *m, const char *ifname,
		     const struct mesh_conf_peer *p, const struct wgm_event *ev)
{
	enum wgm_path_class from = WGM_PATH_UNKNOWN, to = WGM_PATH_UNKNOWN;
	char key[WGM_KEY_B64_LEN + 1], ep[WGM_ADDRSTRLEN];
	struct wgm_buf *b = &m->line;
	const struct mesh_conf_cand *c;
	size_t i;

	wgm_key_to_base64(key, p->public_key);
	wgm_buf_printf(b, " peer %s", key);
	if (ev && ev->type == WGM_EVENT_PATH_CHANGED)
		path_classes(m, ifname, p->public_key, ev, &from, &to);
	if (ev)
		wgm_event_format(b, ev, from, to);
	if (p->flags & WGM_PEER_F_REMOVE_ME)
		wgm_buf_puts(b, " removed");
	if (p->has & MESH_CONF_PEER_HAS_ENDPOINT) {
		wgm_format_endpoint(&p->endpoint, ep, sizeof(ep));
		wgm_buf_printf(b, " endpoint %s", ep);
	}
	if (p->has & MESH_CONF_PEER_HAS_STATS && p->last_handshake_sec)
		wgm_buf_printf(b, " handshake %lld",
			       (long long)p->last_handshake_sec);
	for (i = 0; i < p->n_cands; i++) {
		c = &p->cands[i];
		wgm_format_endpoint(&c->endpoint, ep, sizeof(ep));
		wgm_buf_printf(b, " %s %s%s", ep,
			       wgm_candidate_state_name(c->state),
			       c->flags & WGM_CANDIDATE_F_ACTIVE ? " (active)" : "");
		if (c->state == WGM_CANDIDATE_ALIVE)
			wgm_buf_printf(b, " rtt %u.%02u ms", c->rtt_us / 1000,
				       (c->rtt_us % 1000) / 10);
	}
}

static int print_event(uint8_t cmd, const struct mesh_conf_device *dev,
		       const struct wgm_event *ev, void *data)
{
	struct monitor *m = data;
	struct timespec ts;
	struct tm tm;
	size_t i;

	if (m->ifname && strcmp(dev->name, m->ifname))
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	m->line.len = 0;
	wgm_buf_printf(&m->line, "%02d:%02d:%02d.%03ld %s", tm.tm_hour,
		       tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		       dev->name[0] ? dev->name : "?");
	if (cmd != WGM_CMD_EVENT)
		wgm_buf_printf(&m->line, " command %u", cmd);
	for (i = 0; i < dev->n_peers; i++) {
		put_peer(m, dev->name, &dev->peers[i], ev->present ? ev : NULL);
	}
	if (!dev->n_peers) {
		wgm_buf_puts(&m->line, " device");
		/* device events (a new STUN mapping) name no peer */
		if (ev->present)
			wgm_event_format(&m->line, ev, WGM_PATH_UNKNOWN, WGM_PATH_UNKNOWN);
	}
	if (m->line.oom)
		return -1;
	printf("%s\n", m->line.s);
	fflush(stdout);
	return 0;
}

int cmd_monitor(int argc, char *argv[])
{
	struct monitor m;
	struct wgm_err err;
	struct wgm_nl nl;
	int missing, ret = ADM_OK;

	if (argc > 2)
		return adm_usage(argv[0]);
	memset(&m, 0, sizeof(m));
	mesh_conf_device_init(&m.last);
	if (argc == 2) {
		if (!*argv[1] || strlen(argv[1]) >= IFNAMSIZ)
			return adm_error(ADM_USAGE, "invalid interface name '%s'",
					 argv[1]);
		m.ifname = argv[1];
	}
	if (wgm_nl_open(&nl, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	if (wgm_nl_events_subscribe(&nl, &missing, &err)) {
		wgm_nl_close(&nl);
		return adm_error(ADM_FAIL, "%s", err.msg);
	}
	wgm_buf_init(&m.line);
	for (;;) {
		if (wgm_nl_events_read(&nl, print_event, &m, &err)) {
			if (m.line.oom) {
				ret = adm_error(ADM_FAIL, "out of memory");
				break;
			}
			/* lost events are worth a note, not an exit */
			fprintf(stderr, "meshadm: %s\n", err.msg);
			if (!strstr(err.msg, "lost")) {
				ret = ADM_FAIL;
				break;
			}
		}
	}
	wgm_buf_free(&m.line);
	mesh_conf_device_free(&m.last);
	if (m.get_open)
		wgm_nl_close(&m.get);
	wgm_nl_close(&nl);
	return ret;
}
