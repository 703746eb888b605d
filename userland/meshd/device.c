// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's device: created and configured (key, port, link up, STUN servers),
 * built again when it disappears, given the overlay addresses meshcoord
 * assigns; its peer list made to match meshd's table; punches passed on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "meshd.h"
#include "netif.h"
#include "nlpunch.h"
#include "rtnl.h"

int device_setup(struct meshd *d)
{
	struct mesh_conf_device dev;
	struct wgm_link link;
	struct wgm_err err;
	char b64[WGM_KEY_B64_LEN + 1];
	int r;

	/* not if_nametoindex(): see wgm_rtnl_link_lookup() (seconds at start) */
	r = wgm_rtnl_link_lookup(d->o.ifname, &link, &err);
	if (r < 0) {
		logmsg("%s", err.msg);
		return -1;
	}
	if (r > 0) {
		if (wgm_rtnl_link_add(d->o.ifname, &err)) {
			logmsg("creating %s: %s", d->o.ifname, err.msg);
			return -1;
		}
		logmsg("created device %s", d->o.ifname);
		if (wgm_rtnl_link_get(d->o.ifname, &link, &err)) {
			logmsg("%s", err.msg);
			return -1;
		}
	}
	if (strcmp(link.kind, WGM_LINK_KIND)) {
		logmsg("%s exists and is not a wgmesh device (kind '%s')",
		       d->o.ifname, link.kind);
		return -1;
	}
	d->ifindex = link.ifindex;
	if (d->nl.sock)
		wgm_nl_close(&d->nl);	/* the family may have been reloaded */
	if (wgm_nl_open(&d->nl, &err)) {
		logmsg("%s", err.msg);
		return -1;
	}
	mesh_conf_device_init(&dev);
	snprintf(dev.name, sizeof(dev.name), "%s", d->o.ifname);
	memcpy(dev.private_key, d->priv, WGM_KEY_LEN);
	dev.has = MESH_CONF_DEV_HAS_PRIVATE_KEY;
	if (d->o.listen_port) {
		dev.listen_port = d->o.listen_port;
		dev.has |= MESH_CONF_DEV_HAS_LISTEN_PORT;
	}
	if (wgm_nl_set_device(&d->nl, &dev, &err)) {
		mesh_conf_device_free(&dev);
		logmsg("configuring %s: %s", d->o.ifname, err.msg);
		return -1;
	}
	mesh_conf_device_free(&dev);
	if (meshd_link_up(d->ifindex, &err)) {
		logmsg("%s: %s", d->o.ifname, err.msg);
		return -1;
	}
	wgm_key_to_base64(b64, d->pub);
	logmsg("device %s up, public key %s", d->o.ifname, b64);
	d->stun_configured = false;
	stun_configure(d);
	return 0;
}

void apply_welcome(struct meshd *d, const struct mp_welcome *w)
{
	char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];
	struct wgm_err err;

	inet_ntop(AF_INET, w->addr4, a4, sizeof(a4));
	inet_ntop(AF_INET6, w->addr6, a6, sizeof(a6));
	if (meshd_overlay_set(d->ifindex, AF_INET, w->addr4, w->plen4, &err))
		logmsg("%s: %s", d->o.ifname, err.msg);
	if (meshd_overlay_set(d->ifindex, AF_INET6, w->addr6, w->plen6, &err))
		logmsg("%s: %s", d->o.ifname, err.msg);
	if (!d->have_welcome || memcmp(&d->welcome, w, sizeof(*w)))
		logmsg("overlay addresses %s/%u %s/%u on %s", a4, w->plen4, a6,
		       w->plen6, d->o.ifname);
	/* the service's STUN servers (version 2) replace the default */
	if (!d->o.stun_given && (!d->have_welcome ||
				 memcmp(&d->welcome.stun, &w->stun, sizeof(w->stun))))
		d->stun_configured = false;
	d->welcome = *w;
	d->have_welcome = true;
}

/* Make the kernel's peers match the table; *req_out gets the request. */
int sync_kernel(struct meshd *d, struct mesh_conf_device *req_out)
{
	char label[128], b64[WGM_KEY_B64_LEN + 1];
	struct mesh_conf_device cur, req;
	struct meshd_peer *p;
	struct wgm_err err;
	int ret = -1;
	size_t i;

	if (!d->nl.sock)
		return -1;		/* recreate() will try again */
	mesh_conf_device_init(&cur);
	mesh_conf_device_init(&req);
	snprintf(req.name, sizeof(req.name), "%s", d->o.ifname);
	if (wgm_nl_get_device(&d->nl, d->o.ifname, &cur, &err)) {
		logmsg("reading %s: %s", d->o.ifname, err.msg);
		goto out;
	}
	if (meshd_diff(&d->peers, &cur, d->pub, &req, &err)) {
		logmsg("%s", err.msg);
		goto out;
	}
	if (req.n_peers && wgm_nl_set_device(&d->nl, &req, &err)) {
		logmsg("updating %s: %s", d->o.ifname, err.msg);
		goto out;
	}
	for (i = 0; i < req.n_peers; i++) {
		p = meshd_peers_find(&d->peers, req.peers[i].public_key);
		if (p) {
			logmsg("kernel: %s peer %s, %zu candidate(s)",
			       req.peers[i].flags & WGM_PEER_F_UPDATE_ONLY ?
			       "updated" : "added",
			       peer_label(p, label, sizeof(label)),
			       (size_t)p->cand.n);
		} else {
			wgm_key_to_base64(b64, req.peers[i].public_key);
			logmsg("kernel: removed peer %s", b64);
		}
	}
	ret = 0;
out:
	mesh_conf_device_free(&cur);
	if (req_out && !ret)
		*req_out = req;
	else
		mesh_conf_device_free(&req);
	return ret;
}

bool device_gone(const struct meshd *d)
{
	struct wgm_link link;
	struct wgm_err err;
	int r = wgm_rtnl_link_lookup(d->o.ifname, &link, &err);

	if (r < 0)
		logmsg("%s", err.msg);
	return r > 0;
}

/*
 * The device disappeared under us (deleted by hand, module reloaded): build
 * it again with the same key, addresses and peers.
 */
int recreate(struct meshd *d)
{
	logmsg("device %s is gone; creating it again", d->o.ifname);
	if (device_setup(d))
		return -1;
	if (d->have_welcome)
		apply_welcome(d, &d->welcome);
	if (d->synced)
		sync_kernel(d, NULL);
	return 0;
}


void punch(struct meshd *d, struct meshd_peer *p)
{
	char label[128];
	struct mesh_conf_device req;
	struct wgm_err err;
	const struct mesh_conf_peer *rp;
	int errnum;

	peer_label(p, label, sizeof(label));
	p->last_punch_ms = now_ms();
	if (!d->synced)
		return;
	/* New candidates go to the kernel first; replacing them punches. */
	if (sync_kernel(d, &req))
		return;
	rp = mesh_conf_device_find_peer(&req, p->pubkey);
	if (rp && (rp->flags & WGM_PEER_F_REPLACE_CANDIDATES)) {
		mesh_conf_device_free(&req);
		logmsg("punch %s: new candidates handed to the kernel", label);
		return;
	}
	mesh_conf_device_free(&req);
	if (!p->cand.n) {
		logmsg("punch %s: no candidates, nothing to do", label);
		return;
	}
	if (!d->punch_unsupported) {
		if (!wgm_nl_punch(&d->nl, d->o.ifname, p->pubkey, NULL, &errnum,
				  &err)) {
			logmsg("punch %s: %u candidate(s)", label, p->cand.n);
			return;
		}
		if (errnum != EOPNOTSUPP) {
			logmsg("punch %s: %s", label, err.msg);
			return;
		}
		d->punch_unsupported = true;
		logmsg("the module lacks PUNCH; punching by setting candidates again");
	}
	mesh_conf_device_init(&req);
	snprintf(req.name, sizeof(req.name), "%s", d->o.ifname);
	if (meshd_recandidate(p, &req, &err) ||
	    wgm_nl_set_device(&d->nl, &req, &err))
		logmsg("punch %s: %s", label, err.msg);
	else
		logmsg("punch %s: candidates set again (%u)", label,
		       p->cand.n);
	mesh_conf_device_free(&req);
}
