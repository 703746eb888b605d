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

struct monitor {
	const char *ifname;	/* NULL: every device */
	struct wgm_buf line;
};

static void put_event(struct wgm_buf *b, const struct wgm_event *ev);

static void put_peer(struct wgm_buf *b, const struct mesh_conf_peer *p,
		     const struct wgm_event *ev)
{
	char key[WGM_KEY_B64_LEN + 1], ep[WGM_ADDRSTRLEN];
	const struct mesh_conf_cand *c;
	size_t i;

	wgm_key_to_base64(key, p->public_key);
	wgm_buf_printf(b, " peer %s", key);
	if (ev)
		put_event(b, ev);
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

static const char *event_type_name(uint8_t type)
{
	switch (type) {
	case WGM_EVENT_HANDSHAKE_COMPLETE:
		return "handshake";
	case WGM_EVENT_PATH_CHANGED:
		return "path";
	case WGM_EVENT_CANDIDATE_STATE:
		return "candidate";
	case WGM_EVENT_PUNCH_DONE:
		return "punch";
	case WGM_EVENT_STUN_MAPPED:
		return "mapped";
	}
	return NULL;
}

static const char *reason_name(uint32_t reason)
{
	switch (reason) {
	case WGM_EVENT_REASON_RTT:
		return "faster";
	case WGM_EVENT_REASON_FAILOVER:
		return "failover";
	case WGM_EVENT_REASON_ROAMING:
		return "roaming";
	case WGM_EVENT_REASON_CONFIG:
		return "config";
	case WGM_EVENT_REASON_PUNCH_OK:
		return "ok";
	case WGM_EVENT_REASON_PUNCH_FAILED:
		return "failed";
	}
	return NULL;
}

/* " path 1.2.3.4:5 -> 6.7.8.9:10 (failover, rtt 0.42 ms)" and the like. */
static void put_event(struct wgm_buf *b, const struct wgm_event *ev)
{
	char old[WGM_ADDRSTRLEN], nw[WGM_ADDRSTRLEN];
	const char *name = event_type_name(ev->type);
	const char *why = reason_name(ev->reason);

	wgm_format_endpoint(&ev->old_ep, old, sizeof(old));
	wgm_format_endpoint(&ev->new_ep, nw, sizeof(nw));
	if (name)
		wgm_buf_printf(b, " %s", name);
	else
		wgm_buf_printf(b, " event %u", ev->type);
	switch (ev->type) {
	case WGM_EVENT_HANDSHAKE_COMPLETE:
		wgm_buf_printf(b, " with %s", nw);
		break;
	case WGM_EVENT_PATH_CHANGED:
		wgm_buf_printf(b, " %s -> %s (%s", old, nw, why ? why : "?");
		if (ev->value)
			wgm_buf_printf(b, ", rtt %u.%02u ms", ev->value / 1000,
				       ev->value % 1000 / 10);
		wgm_buf_puts(b, ")");
		break;
	case WGM_EVENT_CANDIDATE_STATE:
		wgm_buf_printf(b, " %s is %s", nw,
			       wgm_candidate_state_name((uint8_t)ev->reason));
		break;
	case WGM_EVENT_PUNCH_DONE:
		wgm_buf_printf(b, " %s", why ? why : "?");
		if (ev->new_ep.sa.sa_family != AF_UNSPEC)
			wgm_buf_printf(b, " via %s", nw);
		wgm_buf_printf(b, " after %u ms", ev->value);
		break;
	case WGM_EVENT_STUN_MAPPED:
		/* the tunnel socket's NAT mapping, as a STUN server saw it */
		wgm_buf_printf(b, " %s", nw);
		if (ev->old_ep.sa.sa_family != AF_UNSPEC)
			wgm_buf_printf(b, " (was %s)", old);
		break;
	default:
		wgm_buf_printf(b, " %s -> %s reason %u value %u", old, nw,
			       ev->reason, ev->value);
	}
	wgm_buf_puts(b, ";");
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
		put_peer(&m->line, &dev->peers[i], ev->present ? ev : NULL);
	}
	if (!dev->n_peers) {
		wgm_buf_puts(&m->line, " device");
		/* device events (a new STUN mapping) name no peer */
		if (ev->present)
			put_event(&m->line, ev);
	}
	if (m->line.oom)
		return -1;
	printf("%s\n", m->line.s);
	fflush(stdout);
	return 0;
}

int cmd_monitor(int argc, char *argv[])
{
	struct monitor m = { NULL, { NULL, 0, 0, false } };
	struct wgm_err err;
	struct wgm_nl nl;
	int missing, ret = ADM_OK;

	if (argc > 2)
		return adm_usage(argv[0]);
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
	wgm_nl_close(&nl);
	return ret;
}
