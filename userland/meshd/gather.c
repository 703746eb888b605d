// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's gathering, every few seconds and at once when the module reports
 * a new NAT mapping: the node's candidates (local addresses and the
 * kernel's mapped ones) reported to meshcoord when they change, the NAT
 * type, and punch requests for peers whose every path is dead.
 */
#include <stdio.h>
#include <string.h>

#include "meshd.h"
#include "netif.h"
#include "nlevents.h"

/* The module's events: a new NAT mapping is reported to meshcoord at once. */
static int on_event(uint8_t cmd, const struct mesh_conf_device *dev,
		    const struct wgm_event *ev, void *data)
{
	struct meshd *d = data;

	if (cmd == WGM_CMD_EVENT && ev->present && ev->type == WGM_EVENT_STUN_MAPPED &&
	    dev->ifindex == d->ifindex)
		d->next_gather_ms = 0;
	return 0;
}

void events_readable(struct meshd *d)
{
	struct wgm_err err;

	if (wgm_nl_events_read(&d->ev, on_event, d, &err)) {
		/* lost events: look at the device instead */
		logmsg("events: %s", err.msg);
		d->next_gather_ms = 0;
	}
}

void events_open(struct meshd *d)
{
	struct wgm_err err;
	int missing = 0;

	if (wgm_nl_open(&d->ev, &err)) {
		logmsg("events: %s", err.msg);
		return;
	}
	if (wgm_nl_events_subscribe(&d->ev, &missing, &err)) {
		logmsg("events: %s; polling the device instead", err.msg);
		wgm_nl_close(&d->ev);
		return;
	}
	d->ev_open = true;
}

void report_candidates(struct meshd *d)
{
	struct mp_candidate c[MP_MAX_CANDIDATES];
	char s[MP_CAND_STRLEN], line[MP_MAX_CANDIDATES * MP_CAND_STRLEN];
	union wgm_sockaddr mapped[3];
	uint8_t mapped_kind[3];
	struct meshd_ifaddr *addrs = NULL;
	struct mesh_conf_device cur;
	struct wgm_err err;
	struct mp_err merr;
	size_t n_addrs = 0, i, off = 0;
	void *handle = NULL;
	unsigned int n;
	uint64_t now = now_ms();
	struct meshd_peer *p;
	const struct mesh_conf_peer *kp;

	mesh_conf_device_init(&cur);
	if ((!d->nl.sock || device_gone(d)) && recreate(d))
		goto out;
	if (wgm_nl_get_device(&d->nl, d->o.ifname, &cur, &err)) {
		logmsg("reading %s: %s", d->o.ifname, err.msg);
		goto out;
	}
	if (meshd_ifaddrs_get(&addrs, &n_addrs, &handle, &err)) {
		logmsg("%s", err.msg);
		goto out;
	}
	if (!d->stun_configured)
		stun_configure(d);
	stun_note_mapped(d, &cur);
	for (i = 0; i < cur.n_mapped && i < 2; i++) {
		mapped[i] = cur.mapped[i].endpoint;
		mapped_kind[i] = WGM_CANDIDATE_KIND_STUN;
	}
	meshd_portmap_set_port(&d->pm, cur.listen_port, now);
	d->listen_port = cur.listen_port;
	if (meshd_portmap_get(&d->pm, &mapped[i]))
		mapped_kind[i++] = WGM_CANDIDATE_KIND_PORTMAP;
	n = meshd_gather(addrs, n_addrs, d->o.ifname, cur.listen_port,
			 mapped, mapped_kind, i, c, MP_MAX_CANDIDATES);
	meshd_ifaddrs_free(addrs, handle);
	if (!d->connected)
		goto out;
	if (!d->sent_valid || !meshd_cands_same(c, n, d->sent.c, d->sent.n)) {
		line[0] = '\0';
		for (i = 0; i < n; i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						"%s%s", i ? " " : "",
						mp_candidate_format(&c[i], s));
		if (mp_send_candidates(&d->conn, c, n,
				       d->welcome.hello_version >= MP_KINDS_VERSION, &merr)) {
			disconnect(d, merr.msg);
			goto out;
		}
		d->sent.n = (uint8_t)n;
		memcpy(d->sent.c, c, sizeof(c[0]) * n);
		d->sent_valid = true;
		meshd_peers_set_self(&d->peers, c, n);
		logmsg("coord: reported %u candidate(s): %s", n,
		       n ? line : "(none)");
	}
	if (stun_note_nat(d, &cur))
		goto out;
	/* Peers whose every path is dead: ask for a simultaneous punch. */
	for (i = 0; d->synced && i < d->peers.n; i++) {
		p = &d->peers.v[i];
		kp = mesh_conf_device_find_peer(&cur, p->pubkey);
		if (!meshd_want_punch_request(p, kp, now))
			continue;
		p->last_punch_ms = now;
		if (mp_send_punch_request(&d->conn, p->pubkey, &merr)) {
			disconnect(d, merr.msg);
			goto out;
		}
		logmsg("coord: no live path to %s, asked for a punch",
		       peer_label(p, line, sizeof(line)));
	}
out:
	mesh_conf_device_free(&cur);
}

