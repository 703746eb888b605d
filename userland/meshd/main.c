// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd - the wgmesh node agent.
 *
 * Keeps the node's WireGuard key in the state directory, creates and
 * configures the wgmesh device, registers with meshcoord, reports the
 * node's candidate endpoints and programs the kernel's peer list from what
 * meshcoord says; passes punch signals on to the module.  One poll loop:
 * a signalfd, the meshcoord connection, timers.  The data plane never
 * depends on meshcoord being reachable: nothing is torn down on reconnect.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <netdb.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>

#include "addr.h"
#include "key.h"
#include "logic.h"
#include "netif.h"
#include "nl.h"
#include "natclass.h"
#include "nlpunch.h"
#include "proto.h"
#include "rtnl.h"
#include "nlevents.h"

#define CONNECT_TIMEOUT_MS 5000
#define GATHER_INTERVAL_MS 5000u
#define PING_INTERVAL_MS (MP_KEEPALIVE_SEC * 1000u)
/* No frame from meshcoord for this long: the connection is dead. */
#define DEAD_AFTER_MS (3u * PING_INTERVAL_MS)
#define STUN_DEFAULT_PORT "3478"
#define COORD_DEFAULT_PORT "7443"

/* Exit statuses (meshd(8)). */
#define EXIT_USAGE 2
#define EXIT_REPLACED 3		/* another agent took over our key */
#define EXIT_AUTH 4		/* the service refused our auth key */

struct opts {
	const char *coord;		/* as given */
	char coord_host[256];
	char coord_addr[256 + 9];	/* "host:port", "[v6]:port" */
	uint8_t coord_key[MP_KEY_LEN];
	const char *authkey;
	const char *ifname;
	const char *state;
	char name[MP_NAME_MAX + 1];
	uint16_t listen_port;
	char stun_host[256];		/* "" = no STUN */
	char stun_port[6];
	bool stun_given;		/* --stun: not the service's list */
};

struct meshd {
	struct opts o;
	uint8_t priv[WGM_KEY_LEN], pub[WGM_KEY_LEN];
	uint32_t ifindex;
	struct wgm_nl nl;
	int sigfd;

	struct mp_conn conn;
	bool connected;
	bool registered;		/* the service knows our key */
	bool removed;			/* the administrator removed us */
	bool auth_refused;		/* first registration refused: exit */
	bool have_welcome;
	struct mp_welcome welcome;
	unsigned int backoff_ms;
	uint64_t next_connect_ms, last_rx_ms, next_ping_ms, ping_token;

	struct meshd_peers peers;
	bool synced;			/* one SYNC_END seen since start */
	bool punch_unsupported;		/* the module answered EOPNOTSUPP */

	/*
	 * The kernel learns the tunnel socket's NAT mappings from the STUN
	 * servers we give it (stun_configure) and reports them in GET_DEVICE;
	 * they become candidates as they are, port included.  Its events say
	 * when a mapping changes.
	 */
	bool stun_configured;		/* the server list is in the kernel */
	unsigned int nat;		/* enum wgm_nat_type, as last logged */
	bool nat_sent;			/* reported to this session's service */
	unsigned int nat_sent_val;
	union wgm_sockaddr mapped[2];	/* the kernel's, as last logged */
	size_t n_mapped;
	struct wgm_nl ev;		/* subscribed to the events group */
	bool ev_open;

	struct mp_candidates sent;	/* what meshcoord has from us */
	bool sent_valid;
	uint64_t next_gather_ms;
};

__attribute__((format(printf, 1, 2)))
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *peer_label(const struct meshd_peer *p, char *buf,
			      size_t len)
{
	char b64[WGM_KEY_B64_LEN + 1];

	wgm_key_to_base64(b64, p->pubkey);
	snprintf(buf, len, "%s (%.8s)", p->name[0] ? p->name : "?", b64);
	return buf;
}

/* ---- state directory and key ---- */

static int state_path(const struct meshd *d, const char *file, char *buf,
		      size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", d->o.state, file) >= len) {
		logmsg("state directory path too long: %s", d->o.state);
		return -1;
	}
	return 0;
}

static int write_file_0600(const char *path, const char *text)
{
	char tmp[4096 + 8];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd)) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

static int load_key(struct meshd *d)
{
	char path[4096], b64[WGM_KEY_B64_LEN + 2];
	struct wgm_err err;
	struct stat st;
	bool empty = false;

	if (mkdir(d->o.state, 0700) && errno != EEXIST) {
		logmsg("state directory %s: %s", d->o.state, strerror(errno));
		return -1;
	}
	if (stat(d->o.state, &st)) {
		logmsg("state directory %s: %s", d->o.state, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		logmsg("state directory %s: exists and is not a directory",
		       d->o.state);
		return -1;
	}
	if (st.st_mode & 077)
		logmsg("warning: state directory %s is accessible by others (mode %04o, expected 0700): it holds the node's private key",
		       d->o.state, (unsigned int)(st.st_mode & 07777));
	if (state_path(d, "private.key", path, sizeof(path)))
		return -1;
	if (stat(path, &st) && errno == ENOENT) {
		if (wgm_key_generate_private(d->priv, &err)) {
			logmsg("%s", err.msg);
			return -1;
		}
		wgm_key_to_base64(b64, d->priv);
		strcat(b64, "\n");
		if (write_file_0600(path, b64)) {
			logmsg("writing %s: %s", path, strerror(errno));
			explicit_bzero(b64, sizeof(b64));
			return -1;
		}
		explicit_bzero(b64, sizeof(b64));
		logmsg("generated a new private key in %s", path);
	} else {
		if (!stat(path, &st) && (st.st_mode & 077))
			logmsg("warning: %s is accessible by others (mode %03o)",
			       path, st.st_mode & 0777);
		if (wgm_key_read_file(d->priv, path, &empty, &err) || empty) {
			logmsg("%s", empty ? "private key file is empty" :
			       err.msg);
			return -1;
		}
	}
	wgm_key_public(d->pub, d->priv);
	if (state_path(d, "registered", path, sizeof(path)))
		return -1;
	d->registered = !access(path, F_OK);
	return 0;
}

static void mark_registered(struct meshd *d)
{
	char path[4096];

	if (d->registered || state_path(d, "registered", path, sizeof(path)))
		return;
	if (write_file_0600(path, "1\n"))
		logmsg("warning: writing %s: %s", path, strerror(errno));
	d->registered = true;
}

/* ---- the device ---- */

static void stun_configure(struct meshd *d);

static int device_setup(struct meshd *d)
{
	struct mesh_conf_device dev;
	struct wgm_link link;
	struct wgm_err err;
	char b64[WGM_KEY_B64_LEN + 1];

	if (!if_nametoindex(d->o.ifname)) {
		if (wgm_rtnl_link_add(d->o.ifname, &err)) {
			logmsg("creating %s: %s", d->o.ifname, err.msg);
			return -1;
		}
		logmsg("created device %s", d->o.ifname);
	}
	if (wgm_rtnl_link_get(d->o.ifname, &link, &err)) {
		logmsg("%s", err.msg);
		return -1;
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

static void apply_welcome(struct meshd *d, const struct mp_welcome *w)
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
static int sync_kernel(struct meshd *d, struct mesh_conf_device *req_out)
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

/* ---- punching ---- */

static void punch(struct meshd *d, struct meshd_peer *p)
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
		if (!wgm_nl_punch(&d->nl, d->o.ifname, p->pubkey, &errnum,
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

/* ---- meshcoord connection ---- */

static void disconnect(struct meshd *d, const char *why)
{
	if (!d->connected)
		return;
	mp_conn_close(&d->conn);
	d->connected = false;
	d->sent_valid = false;
	d->backoff_ms = meshd_backoff_next(d->backoff_ms);
	d->next_connect_ms = now_ms() +
			     meshd_backoff_jitter(d->backoff_ms,
						  (uint32_t)random());
	logmsg("coord: disconnected (%s); reconnecting in %u.%u s", why,
	       d->backoff_ms / 1000, d->backoff_ms % 1000 / 100);
}

/*
 * The administrator removed this node: forget the registration and the
 * peers.  The auth key given on the command line is not used again by this
 * process (a removed node must not rejoin by itself); restarting meshd
 * with a valid auth key joins again.
 */
static void node_removed(struct meshd *d)
{
	char path[4096];

	if (d->removed)
		return;
	d->removed = true;
	d->registered = false;
	if (!state_path(d, "registered", path, sizeof(path)))
		unlink(path);
	meshd_peers_free(&d->peers);
	if (d->synced)
		sync_kernel(d, NULL);
	logmsg("removed from the network: peers dropped, not rejoining until restarted");
}

static void try_connect(struct meshd *d)
{
	struct mp_client_cfg cfg = {
		.server = d->o.coord_addr,
		.server_pub = d->o.coord_key,
		.node_priv = d->priv,
		.name = d->o.name,
		.authkey = d->registered || d->removed ? NULL : d->o.authkey,
		.timeout_ms = CONNECT_TIMEOUT_MS,
	};
	struct mp_welcome w;
	struct mp_err err;
	char a4[INET_ADDRSTRLEN];
	int r;

	memset(&err, 0, sizeof(err));
	r = mp_client_connect(&d->conn, &cfg, &w, &err);
	if (r && err.code == MP_ERR_AUTH && d->registered && d->o.authkey &&
	    !d->removed) {
		/* registered once but forgotten (removed, new database) */
		cfg.authkey = d->o.authkey;
		memset(&err, 0, sizeof(err));
		r = mp_client_connect(&d->conn, &cfg, &w, &err);
	}
	if (r) {
		d->backoff_ms = meshd_backoff_next(d->backoff_ms);
		d->next_connect_ms = now_ms() +
				     meshd_backoff_jitter(d->backoff_ms,
							  (uint32_t)random());
		switch (err.code) {
		case MP_ERR_AUTH:
			logmsg("coord: not registered: %s%s", err.msg,
			       d->o.authkey ? "" : " (start with --authkey KEY)");
			/*
			 * A key the service refused (invalid, expired, used)
			 * never becomes good: say so once and stop, rather
			 * than retry forever.
			 */
			if (!d->registered && d->o.authkey && d->o.authkey[0]) {
				logmsg("coord: the service refused the auth key; exiting. Start meshd with a valid --authkey (on the service host: meshcoord authkey create)");
				d->auth_refused = true;
				return;
			}
			break;
		case MP_ERR_REMOVED:
			logmsg("coord: this node was removed by the administrator: %s",
			       err.msg);
			node_removed(d);
			break;
		default:
			logmsg("coord: connecting to %s: %s", d->o.coord_addr,
			       err.msg);
		}
		logmsg("coord: retrying in %u.%u s", d->backoff_ms / 1000,
		       d->backoff_ms % 1000 / 100);
		return;
	}
	d->connected = true;
	d->removed = false;
	d->backoff_ms = 0;
	d->last_rx_ms = now_ms();
	d->next_ping_ms = d->last_rx_ms + PING_INTERVAL_MS;
	d->sent_valid = false;
	d->nat_sent = false;		/* a new session hears the NAT type anew */
	d->next_gather_ms = 0;		/* report candidates right away */
	mark_registered(d);
	meshd_peers_unsee(&d->peers);
	inet_ntop(AF_INET, w.addr4, a4, sizeof(a4));
	logmsg("coord: connected to %s as %s (%s)", d->o.coord_addr, w.name,
	       a4);
	apply_welcome(d, &w);
}

/*
 * The device disappeared under us (deleted by hand, module reloaded): build
 * it again with the same key, addresses and peers.
 */
static int recreate(struct meshd *d)
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

/* ---- public address (STUN, done by the kernel) ---- */

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
static void stun_configure(struct meshd *d)
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
static int stun_note_nat(struct meshd *d, const struct mesh_conf_device *cur)
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
static void stun_note_mapped(struct meshd *d, const struct mesh_conf_device *cur)
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

static void events_readable(struct meshd *d)
{
	struct wgm_err err;

	if (wgm_nl_events_read(&d->ev, on_event, d, &err)) {
		/* lost events: look at the device instead */
		logmsg("events: %s", err.msg);
		d->next_gather_ms = 0;
	}
}

static void events_open(struct meshd *d)
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

static void report_candidates(struct meshd *d)
{
	struct mp_candidate c[MP_MAX_CANDIDATES];
	char s[MP_CAND_STRLEN], line[MP_MAX_CANDIDATES * MP_CAND_STRLEN];
	union wgm_sockaddr mapped[2];
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
	if ((!d->nl.sock || !if_nametoindex(d->o.ifname)) && recreate(d))
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
	for (i = 0; i < cur.n_mapped; i++)
		mapped[i] = cur.mapped[i].endpoint;
	n = meshd_gather(addrs, n_addrs, d->o.ifname, cur.listen_port,
			 mapped, cur.n_mapped, c, MP_MAX_CANDIDATES);
	meshd_ifaddrs_free(addrs, handle);
	if (!d->connected)
		goto out;
	if (!d->sent_valid || !meshd_cands_same(c, n, d->sent.c, d->sent.n)) {
		line[0] = '\0';
		for (i = 0; i < n; i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						"%s%s", i ? " " : "",
						mp_candidate_format(&c[i], s));
		if (mp_send_candidates(&d->conn, c, n, &merr)) {
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

/* Once per address change: p claims an overlay address another peer has. */
static void log_addr_shared(const struct meshd *d, const struct meshd_peer *p)
{
	const struct meshd_peer *o = meshd_peers_addr_shared(&d->peers, p,
							     d->pub);
	char a[128], b[128];
	bool p_first;

	if (!o)
		return;
	p_first = memcmp(p->pubkey, o->pubkey, MP_KEY_LEN) < 0;
	peer_label(p, a, sizeof(a));
	peer_label(o, b, sizeof(b));
	logmsg("coord: peers %s and %s claim the same overlay address; only %s gets it",
	       a, b, p_first ? a : b);
}

static void handle_msg(struct meshd *d, const struct mp_msg *m, bool *dirty)
{
	uint8_t gone[64][MP_KEY_LEN];
	char label[128], b64[WGM_KEY_B64_LEN + 1], why[48];
	struct meshd_peer *p;
	struct mp_msg pong;
	struct mp_err err;
	size_t n, i;
	int ch;

	switch (m->type) {
	case MP_PEER:
		if (!memcmp(m->u.peer.pubkey, d->pub, MP_KEY_LEN))
			break;
		ch = meshd_peers_update(&d->peers, &m->u.peer);
		if (ch < 0) {
			logmsg("out of memory");
			break;
		}
		p = meshd_peers_find(&d->peers, m->u.peer.pubkey);
		peer_label(p, label, sizeof(label));
		if (ch & MESHD_PEER_NEW)
			logmsg("coord: peer %s %s, %u candidate(s)", label,
			       p->online ? "online" : "offline", p->cand.n);
		else if (ch & MESHD_PEER_ONLINE)
			logmsg("coord: peer %s is %s", label,
			       p->online ? "online" : "offline");
		else if (ch)
			logmsg("coord: peer %s changed, %u candidate(s)",
			       label, p->cand.n);
		if (ch & (MESHD_PEER_NEW | MESHD_PEER_ADDRS))
			log_addr_shared(d, p);
		if (ch & (MESHD_PEER_NEW | MESHD_PEER_ADDRS | MESHD_PEER_CANDS))
			*dirty = true;
		break;
	case MP_PEER_REMOVED:
		p = meshd_peers_find(&d->peers, m->u.removed);
		if (p) {
			logmsg("coord: peer %s removed",
			       peer_label(p, label, sizeof(label)));
			meshd_peers_remove(&d->peers, m->u.removed);
			*dirty = true;
		}
		break;
	case MP_SYNC_END:
		n = meshd_peers_prune(&d->peers, gone, 64);
		for (i = 0; i < n && i < 64; i++) {
			wgm_key_to_base64(b64, gone[i]);
			logmsg("coord: peer %s is gone", b64);
		}
		logmsg("coord: peer list complete, %zu peer(s)", d->peers.n);
		d->synced = true;
		*dirty = true;
		break;
	case MP_PUNCH:
		p = meshd_peers_find(&d->peers, m->u.punch.pubkey);
		if (!p) {
			wgm_key_to_base64(b64, m->u.punch.pubkey);
			logmsg("coord: punch for unknown peer %s ignored", b64);
			break;
		}
		meshd_peers_set_cands(&d->peers, p, &m->u.punch.cand);
		if (*dirty && d->synced && !sync_kernel(d, NULL))
			*dirty = false;
		p->no_punch = 0;
		punch(d, p);
		break;
	case MP_NO_PUNCH:
		/* the service chose not to punch this pair: say why, once */
		p = meshd_peers_find(&d->peers, m->u.no_punch.pubkey);
		if (!p) {
			wgm_key_to_base64(b64, m->u.no_punch.pubkey);
			logmsg("coord: no-punch for unknown peer %s ignored", b64);
			break;
		}
		p->last_punch_ms = now_ms();
		if (p->no_punch == m->u.no_punch.reason)
			break;
		p->no_punch = m->u.no_punch.reason;
		logmsg("coord: %s: %s: not punching (the pair stays on the relay, if there is one)",
		       peer_label(p, label, sizeof(label)),
		       mp_nopunch_text(m->u.no_punch.reason, why));
		break;
	case MP_PING:
		memset(&pong, 0, sizeof(pong));
		pong.type = MP_PONG;
		pong.u.token = m->u.token;
		if (mp_conn_send(&d->conn, &pong, &err) < 0)
			logmsg("coord: %s", err.msg);
		break;
	case MP_PONG:
		break;
	case MP_ERROR:
		logmsg("coord: error %u: %s", m->u.error.code, m->u.error.text);
		if (m->u.error.code == MP_ERR_REPLACED) {
			logmsg("another agent with this node key connected; exiting");
			exit(EXIT_REPLACED);
		}
		if (m->u.error.code == MP_ERR_REMOVED)
			node_removed(d);
		break;
	default:
		logmsg("coord: unexpected message %s", mp_type_name(m->type));
	}
}

static void coord_readable(struct meshd *d)
{
	struct mp_err err;
	struct mp_msg m;
	bool dirty = false;
	int r, budget = 256;

	while (budget-- > 0) {
		r = mp_conn_recv(&d->conn, &m, &err);
		if (r == 0)
			break;
		if (r < 0) {
			if (dirty && d->synced)
				sync_kernel(d, NULL);
			disconnect(d, err.msg);
			return;
		}
		d->last_rx_ms = now_ms();
		handle_msg(d, &m, &dirty);
	}
	if (dirty && d->synced)
		sync_kernel(d, NULL);
}

/* ---- main loop ---- */

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* 1: exit requested, 0: keep going. */
static int handle_signal(struct meshd *d)
{
	struct signalfd_siginfo si;
	struct wgm_err err;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			logmsg("SIGHUP: reconnecting and resyncing");
			if (d->connected) {
				mp_conn_close(&d->conn);
				d->connected = false;
			}
			d->backoff_ms = 0;
			d->next_connect_ms = 0;
			d->sent_valid = false;
			if (d->synced)
				sync_kernel(d, NULL);
			continue;
		}
		logmsg("%s: removing %s and exiting",
		       si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT",
		       d->o.ifname);
		if (wgm_rtnl_link_del(d->o.ifname, &err))
			logmsg("%s", err.msg);
		return 1;
	}
	return 0;
}

static int run(struct meshd *d)
{
	struct pollfd pfd[3];
	struct mp_err err;
	uint64_t now, wake;
	int timeout, nfds;

	for (;;) {
		now = now_ms();
		if (!d->connected && now >= d->next_connect_ms) {
			try_connect(d);
			if (d->auth_refused) {
				struct wgm_err lerr;

				if (wgm_rtnl_link_del(d->o.ifname, &lerr))
					logmsg("%s", lerr.msg);
				return EXIT_AUTH;
			}
			now = now_ms();
		}
		if (d->connected && now - d->last_rx_ms >= DEAD_AFTER_MS)
			disconnect(d, "no answer to keepalives");
		if (d->connected && now >= d->next_ping_ms) {
			d->next_ping_ms = now + PING_INTERVAL_MS;
			if (mp_send_ping(&d->conn, ++d->ping_token, &err))
				disconnect(d, err.msg);
		}
		if (now >= d->next_gather_ms) {
			d->next_gather_ms = now + GATHER_INTERVAL_MS;
			report_candidates(d);
		}
		if (d->connected && mp_conn_flush(&d->conn, &err) < 0)
			disconnect(d, err.msg);

		wake = d->next_gather_ms;
		if (d->connected) {
			if (d->next_ping_ms < wake)
				wake = d->next_ping_ms;
			if (d->last_rx_ms + DEAD_AFTER_MS < wake)
				wake = d->last_rx_ms + DEAD_AFTER_MS;
		} else if (d->next_connect_ms < wake) {
			wake = d->next_connect_ms;
		}
		now = now_ms();
		timeout = wake > now ? (int)(wake - now) : 0;

		pfd[0].fd = d->sigfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = d->ev_open ? mnl_socket_get_fd(d->ev.sock) : -1;
		pfd[1].events = POLLIN;
		nfds = 2;
		if (d->connected) {
			pfd[2].fd = d->conn.fd;
			pfd[2].events = POLLIN |
				(mp_conn_want_write(&d->conn) ? POLLOUT : 0);
			nfds = 3;
		}
		if (poll(pfd, (nfds_t)nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && handle_signal(d))
			return 0;
		if (pfd[1].revents & POLLIN)
			events_readable(d);
		if (nfds == 3 && d->connected && pfd[2].revents) {
			if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
				coord_readable(d);
			if (d->connected && mp_conn_flush(&d->conn, &err) < 0)
				disconnect(d, err.msg);
		}
	}
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: meshd --coord HOST[:PORT] --coord-key PUBKEY --interface DEV --state DIR\n"
		"             [--authkey KEY] [--name NAME] [--listen-port PORT]\n"
		"             [--stun HOST[:PORT]|none]\n"
		"The wgmesh node agent; see meshd(8).  IPv6 addresses go in brackets,\n"
		"[ADDRESS]:PORT; the ports default to " COORD_DEFAULT_PORT " (--coord) and "
		STUN_DEFAULT_PORT " (--stun).\n");
}

static void default_name(char *out, size_t len)
{
	char host[256];
	size_t i, j = 0;

	if (gethostname(host, sizeof(host)))
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] && host[i] != '.' && j + 1 < len; i++) {
		char c = host[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			out[j++] = c;
	}
	out[j] = '\0';
	if (!mp_name_valid(out))
		snprintf(out, len, "node");
}

/*
 * --coord HOST[:PORT] -> o->coord_addr ("host:port" or "[v6]:port", what
 * the protocol library connects to) and o->coord_host; --stun
 * HOST[:PORT] -> o->stun_host/stun_port.  Ports are checked (1-65535).
 */
static int parse_addr_opt(const char *opt, const char *s, const char *defport,
			  char *host, size_t host_len, char port[6])
{
	struct wgm_err err;

	if (!wgm_split_hostport(s, defport, host, host_len, port, &err))
		return 0;
	fprintf(stderr, "meshd: %s %s\n", opt, err.msg);
	return -1;
}

static int parse_opts(int argc, char *argv[], struct opts *o)
{
	static const struct option lo[] = {
		{ "coord", required_argument, NULL, 'c' },
		{ "coord-key", required_argument, NULL, 'k' },
		{ "authkey", required_argument, NULL, 'a' },
		{ "interface", required_argument, NULL, 'i' },
		{ "state", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "listen-port", required_argument, NULL, 'p' },
		{ "stun", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *stun = NULL;
	bool have_key = false;
	char port[6];
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "c:k:a:i:s:n:p:S:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->coord = optarg;
			break;
		case 'k':
			if (!wgm_key_from_arg(o->coord_key, optarg)) {
				fprintf(stderr, "meshd: --coord-key: not a 32-byte base64 key\n");
				return -1;
			}
			have_key = true;
			break;
		case 'a':
			o->authkey = optarg;
			if (strlen(optarg) > MP_AUTHKEY_MAX) {
				fprintf(stderr, "meshd: --authkey too long\n");
				return -1;
			}
			break;
		case 'i':
			o->ifname = optarg;
			break;
		case 's':
			o->state = optarg;
			break;
		case 'n':
			if (!mp_name_valid(optarg)) {
				fprintf(stderr, "meshd: --name: 1 to 63 of [A-Za-z0-9._-], not starting with '-' or '.'\n");
				return -1;
			}
			snprintf(o->name, sizeof(o->name), "%s", optarg);
			break;
		case 'p':
			if (wgm_parse_uint(optarg, 65535, false, &v)) {
				fprintf(stderr, "meshd: --listen-port: 0 to 65535\n");
				return -1;
			}
			o->listen_port = (uint16_t)v;
			break;
		case 'S':
			stun = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || !o->coord || !have_key || !o->ifname ||
	    !o->state) {
		usage(stderr);
		return -1;
	}
	if (!*o->ifname || strlen(o->ifname) >= IFNAMSIZ) {
		fprintf(stderr, "meshd: invalid interface name '%s'\n",
			o->ifname);
		return -1;
	}
	if (!o->name[0])
		default_name(o->name, sizeof(o->name));
	if (parse_addr_opt("--coord", o->coord, COORD_DEFAULT_PORT, o->coord_host,
			   sizeof(o->coord_host), port))
		return -1;
	snprintf(o->coord_addr, sizeof(o->coord_addr),
		 strchr(o->coord_host, ':') ? "[%s]:%s" : "%s:%s",
		 o->coord_host, port);
	if (!stun) {
		snprintf(o->stun_host, sizeof(o->stun_host), "%s", o->coord_host);
		snprintf(o->stun_port, sizeof(o->stun_port), "%s",
			 STUN_DEFAULT_PORT);
		return 0;
	}
	o->stun_given = true;
	if (!strcmp(stun, "none"))
		return 0;
	return parse_addr_opt("--stun", stun, STUN_DEFAULT_PORT, o->stun_host,
			      sizeof(o->stun_host), o->stun_port);
}

int main(int argc, char *argv[])
{
	struct meshd d;
	unsigned int seed;
	int ret;

	memset(&d, 0, sizeof(d));
	umask(077);
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (parse_opts(argc, argv, &d.o))
		return EXIT_USAGE;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	srandom(seed);
	if (mp_init()) {
		logmsg("libsodium initialisation failed");
		return 1;
	}
	d.sigfd = setup_signals();
	if (d.sigfd < 0) {
		logmsg("signals: %s", strerror(errno));
		return 1;
	}
	meshd_peers_init(&d.peers);
	if (load_key(&d) || device_setup(&d)) {
		explicit_bzero(d.priv, sizeof(d.priv));
		return 1;
	}
	events_open(&d);
	logmsg("meshd: node %s, coordination service %s", d.o.name,
	       d.o.coord_addr);
	ret = run(&d);
	if (d.connected)
		mp_conn_close(&d.conn);
	wgm_nl_close(&d.nl);
	meshd_peers_free(&d.peers);
	close(d.sigfd);
	if (d.ev_open)
		wgm_nl_close(&d.ev);
	explicit_bzero(d.priv, sizeof(d.priv));
	return ret;
}
