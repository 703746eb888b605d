// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's public address.  The STUN client runs in the kernel, on the
 * tunnel's own socket; meshd chooses the servers it asks and reads back
 * what they saw: the mapped addresses and the NAT type they tell.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "meshd.h"
#include "natclass.h"

/* Every address host resolves to (port may be NULL), at most max. */
static size_t resolve_all(const char *host, const char *port,
			  union wgm_sockaddr *out, size_t max)
{
	struct addrinfo hints, *res = NULL, *ai;
	size_t n = 0;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	r = getaddrinfo(host, port, &hints, &res);
	if (r || !res) {
		logmsg("stun: resolving %s: %s", host, gai_strerror(r));
		return 0;
	}
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(out[0]))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
		n++;
	}
	freeaddrinfo(res);
	return n;
}

/*
 * Hands the STUN servers to the kernel: it asks them from the tunnel
 * socket itself, so what they see is the NAT mapping of the port peers
 * must use (a separate socket would get a mapping of its own).  The
 * servers: the service's list from WELCOME (version 2: two ports, whose
 * answers tell the NAT type), else all the addresses --stun (default: the
 * --coord host, port 3478) resolves to; at most WGM_STUN_MAX_SERVERS;
 * "none" clears the list.  Retried at the next gathering when the name
 * does not resolve.
 */
void stun_configure(struct meshd *d)
{
	union wgm_sockaddr sv[WGM_STUN_MAX_SERVERS], host[8];
	char a[WGM_ADDRSTRLEN], line[WGM_STUN_MAX_SERVERS * WGM_ADDRSTRLEN];
	struct mesh_conf_device dev;
	struct wgm_err err;
	size_t i, n = 0, nh, off = 0;

	mesh_conf_device_init(&dev);
	snprintf(dev.name, sizeof(dev.name), "%s", d->o.ifname);
	dev.has = MESH_CONF_DEV_HAS_STUN;
	if (!d->o.stun_given && d->have_welcome && d->welcome.stun.n) {
		nh = resolve_all(d->o.coord_host, NULL, host, 8);
		if (!nh)
			goto out;
		n = meshd_stun_servers(&d->welcome.stun, host, nh, sv,
				       WGM_STUN_MAX_SERVERS);
		if (!n)
			logmsg("stun: none of the service's %u STUN server(s) is usable here; ignored",
			       d->welcome.stun.n);
	} else if (d->o.stun_host[0]) {
		for (nh = resolve_all(d->o.stun_host, d->o.stun_port, host, 8),
		     i = 0; i < nh; i++) {
			size_t j;

			for (j = 0; j < n && !wgm_endpoint_equal(&sv[j], &host[i]); j++)
				;
			if (j == n && n < WGM_STUN_MAX_SERVERS)
				sv[n++] = host[i];
		}
		if (!nh)
			goto out;
	}
	for (i = 0; i < n; i++) {
		dev.stun[dev.n_stun++].endpoint = sv[i];
		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
					off ? " " : "",
					wgm_format_endpoint(&sv[i], a, sizeof(a)));
	}
	if (wgm_nl_set_device(&d->nl, &dev, &err)) {
		logmsg("stun: configuring %s: %s", d->o.ifname, err.msg);
		goto out;
	}
	d->stun_configured = true;
	d->stun_n = dev.n_stun;
	d->stun_since_ms = now_ms();
	if (dev.n_stun)
		logmsg("stun: the kernel asks %s", line);
out:
	mesh_conf_device_free(&dev);
}

/*
 * The NAT type from what the kernel's STUN servers saw: logged when it
 * changes, reported to a version-2 service when it changes and once per
 * session.  0, or -1 when the connection failed.
 */
int stun_note_nat(struct meshd *d, const struct mesh_conf_device *cur)
{
	char why[WGM_STUN_MAX_SERVERS * 2 * WGM_ADDRSTRLEN + 64];
	struct mp_err merr;
	unsigned int t;

	t = meshd_nat_explain(cur->stun, cur->n_stun, why, sizeof(why));
	if (t != d->nat)
		logmsg("stun: NAT %s", why);
	d->nat = t;
	if (!d->connected || d->welcome.version < 2 ||
	    (d->nat_sent && d->nat_sent_val == t))
		return 0;
	if (mp_send_nat(&d->conn, (uint8_t)t, &merr)) {
		disconnect(d, merr.msg);
		return -1;
	}
	d->nat_sent = true;
	d->nat_sent_val = t;
	logmsg("coord: reported NAT %s", wgm_nat_name(t));
	return 0;
}

/* Logs the kernel's mapped addresses when they differ from the last seen. */
void stun_note_mapped(struct meshd *d, const struct mesh_conf_device *cur)
{
	char a[WGM_ADDRSTRLEN], s[WGM_ADDRSTRLEN];
	size_t i;
	bool same = cur->n_mapped == d->n_mapped;

	for (i = 0; same && i < cur->n_mapped; i++)
		same = wgm_endpoint_equal(&cur->mapped[i].endpoint, &d->mapped[i]);
	if (same)
		return;
	d->n_mapped = cur->n_mapped;
	for (i = 0; i < cur->n_mapped; i++) {
		d->mapped[i] = cur->mapped[i].endpoint;
		logmsg("stun: public address %s (the tunnel's NAT mapping, said %s)",
		       wgm_format_endpoint(&cur->mapped[i].endpoint, a, sizeof(a)),
		       wgm_format_endpoint(&cur->mapped[i].server, s, sizeof(s)));
	}
	if (!cur->n_mapped)
		logmsg("stun: no public address known");
}

