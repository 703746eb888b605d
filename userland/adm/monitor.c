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

static void put_peer(struct wgm_buf *b, const struct wgm_peer *p)
{
	char key[WGM_KEY_B64_LEN + 1], ep[WGM_ADDRSTRLEN];
	const struct wgm_candidate *c;
	size_t i;

	wgm_key_to_base64(key, p->public_key);
	wgm_buf_printf(b, " peer %s", key);
	if (p->flags & WGM_PEER_F_REMOVE_ME)
		wgm_buf_puts(b, " removed");
	if (p->has & WGM_PEER_HAS_ENDPOINT) {
		wgm_format_endpoint(&p->endpoint, ep, sizeof(ep));
		wgm_buf_printf(b, " endpoint %s", ep);
	}
	if (p->has & WGM_PEER_HAS_STATS && p->last_handshake_sec)
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

static int print_event(uint8_t cmd, const struct wgm_device *dev, void *data)
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
	for (i = 0; i < dev->n_peers; i++)
		put_peer(&m->line, &dev->peers[i]);
	if (!dev->n_peers)
		wgm_buf_puts(&m->line, " device");
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
