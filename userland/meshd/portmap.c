// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's port mapping: the socket, the timers and the order PCP, NAT-PMP,
 * UPnP IGD (portmap.h).  What the gateway says is judged by the pure
 * decoders of userland/lib/portmap*.c; an answer they refuse is ignored
 * with one log line per request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef WGM_HAVE_MINIUPNPC
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#endif

#include "addr.h"
#include "portmap.h"
#include "meshd-portmap.h"

__attribute__((format(printf, 1, 2)))
static void pmlog(const char *fmt, ...)
{
	va_list ap;

	fputs("portmap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *proto_name(enum meshd_pm_proto p)
{
	switch (p) {
	case MESHD_PM_PCP:
		return "PCP";
	case MESHD_PM_NATPMP:
		return "NAT-PMP";
	case MESHD_PM_UPNP:
		return "UPnP IGD";
	default:
		return "none";
	}
}

static const char *gw_text(const struct meshd_portmap *pm, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, pm->gw, buf, INET_ADDRSTRLEN);
}

void meshd_portmap_init(struct meshd_portmap *pm, bool enabled)
{
	memset(pm, 0, sizeof(*pm));
	pm->enabled = enabled;
	pm->fd = -1;
	pm->upnp_efd = -1;
	pm->next_ms = UINT64_MAX;	/* until the listen port is known */
	pm->retry_ms = MESHD_PM_RETRY_MIN_MS;
}

static void close_fd(struct meshd_portmap *pm)
{
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = -1;
}

#ifdef WGM_HAVE_MINIUPNPC
struct meshd_upnp {
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lan[INET_ADDRSTRLEN];
	char ext_port[6];
};

static void upnp_free(struct meshd_portmap *pm)
{
	if (!pm->upnp)
		return;
	FreeUPNPUrls(&pm->upnp->urls);
	free(pm->upnp);
	pm->upnp = NULL;
}

/* Find the IGD once; false when there is none. */
static bool upnp_find(struct meshd_portmap *pm)
{
	struct UPNPDev *devs;
	struct meshd_upnp *u;
	int err = 0, r;

	if (pm->upnp)
		return true;
	devs = upnpDiscover(1000, NULL, NULL, 0, 0, 2, &err);
	if (!devs) {
		pmlog("UPnP: no IGD answered discovery");
		return false;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		freeUPNPDevlist(devs);
		return false;
	}
	r = UPNP_GetValidIGD(devs, &u->urls, &u->data, u->lan, sizeof(u->lan));
	freeUPNPDevlist(devs);
	if (r != 1) {
		if (r)
			FreeUPNPUrls(&u->urls);
		free(u);
		pmlog("UPnP: no connected IGD found");
		return false;
	}
	pm->upnp = u;
	return true;
}

/*
 * Map (or renew) internal @port by UPnP; true on success, *out set.
 * Runs on the UPnP thread, which owns pm->upnp meanwhile.
 */
static bool upnp_map(struct meshd_portmap *pm, uint16_t port, union wgm_sockaddr *out)
{
	char ext[40] = "", in[6], lease[12], got[6] = "";
	union wgm_sockaddr a;
	struct meshd_upnp *u;
	int r;

	if (!upnp_find(pm))
		return false;
	u = pm->upnp;
	r = UPNP_GetExternalIPAddress(u->urls.controlURL, u->data.first.servicetype, ext);
	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	if (r != UPNPCOMMAND_SUCCESS || inet_pton(AF_INET, ext, &a.in.sin_addr) != 1 ||
	    !wgm_pm_external_ok(&a)) {
		pmlog("UPnP: ignored the IGD's external address '%.40s' (%s)", ext,
		      r == UPNPCOMMAND_SUCCESS ? "not a usable IPv4 address" : strupnperror(r));
		upnp_free(pm);
		return false;
	}
	snprintf(in, sizeof(in), "%u", port);
	snprintf(lease, sizeof(lease), "%u", WGM_PM_LIFETIME);
	if (!u->ext_port[0])
		snprintf(u->ext_port, sizeof(u->ext_port), "%u", port);
	r = UPNP_AddPortMapping(u->urls.controlURL, u->data.first.servicetype,
				u->ext_port, in, u->lan, "wgmesh", "UDP", NULL, lease);
	if (r != UPNPCOMMAND_SUCCESS) {
		/* the port is taken: let the IGD choose (IGDv2) */
		r = UPNP_AddAnyPortMapping(u->urls.controlURL, u->data.first.servicetype,
					   u->ext_port, in, u->lan, "wgmesh", "UDP",
					   NULL, lease, got);
		if (r != UPNPCOMMAND_SUCCESS) {
			pmlog("UPnP: AddPortMapping refused: %s", strupnperror(r));
			u->ext_port[0] = '\0';
			upnp_free(pm);
			return false;
		}
		if (!atoi(got) || atoi(got) > 65535) {
			pmlog("UPnP: ignored AddAnyPortMapping's port '%.6s'", got);
			upnp_free(pm);
			return false;
		}
		snprintf(u->ext_port, sizeof(u->ext_port), "%s", got);
	}
	a.in.sin_port = htons((uint16_t)atoi(u->ext_port));
	*out = a;
	return true;
}

static void upnp_delete(struct meshd_portmap *pm)
{
	int r;

	if (!pm->upnp)
		return;
	r = UPNP_DeletePortMapping(pm->upnp->urls.controlURL,
				   pm->upnp->data.first.servicetype,
				   pm->upnp->ext_port, "UDP", NULL);
	if (r != UPNPCOMMAND_SUCCESS)
		pmlog("UPnP: DeletePortMapping: %s", strupnperror(r));
	else
		pmlog("deleted the UPnP IGD mapping");
}
#else
struct meshd_upnp {
	int unused;
};

static void upnp_free(struct meshd_portmap *pm)
{
	(void)pm;
}

static bool upnp_map(struct meshd_portmap *pm, uint16_t port, union wgm_sockaddr *out)
{
	(void)pm;
	(void)port;
	(void)out;
	return false;
}

static void upnp_delete(struct meshd_portmap *pm)
{
	(void)pm;
}
#endif

/* The default gateway, and a socket connected to its port 5351. */
static int open_gateway(struct meshd_portmap *pm)
{
	char text[16384], g[INET_ADDRSTRLEN];
	struct sockaddr_in sa, local;
	uint8_t gw[4];
	socklen_t sl = sizeof(local);
	ssize_t n;
	int fd;

	fd = open("/proc/net/route", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n <= 0 || wgm_pm_default_gateway(text, (size_t)n, gw)) {
		if (!pm->no_gw_logged)
			pmlog("no IPv4 default gateway: no port mapping");
		pm->no_gw_logged = true;
		return -1;
	}
	if (memcmp(gw, pm->gw, sizeof(gw))) {
		/* another gateway: its epoch says nothing about the last one's */
		memcpy(pm->gw, gw, sizeof(gw));
		pm->have_epoch = false;
	}
	pm->no_gw_logged = false;
	close_fd(pm);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(WGM_PM_SERVER_PORT);
	memcpy(&sa.sin_addr, pm->gw, 4);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&local, &sl)) {
		pmlog("gateway %s: %s", gw_text(pm, g), strerror(errno));
		close(fd);
		return -1;
	}
	pm->fd = fd;
	/* PCP names the client by its IPv4-mapped address */
	memset(pm->pcp.client, 0, 10);
	pm->pcp.client[10] = 0xff;
	pm->pcp.client[11] = 0xff;
	memcpy(pm->pcp.client + 12, &local.sin_addr, 4);
	return 0;
}

static void send_request(struct meshd_portmap *pm, uint64_t now)
{
	uint8_t b[WGM_PCP_MAP_LEN];
	size_t n;

	switch (pm->state) {
	case MESHD_PM_ASK_PCP:
		pm->pcp.internal_port = pm->port;
		pm->pcp.lifetime = WGM_PM_LIFETIME;
		if (pm->proto == MESHD_PM_PCP)	/* renewal: ask for the same port */
			pm->pcp.suggested_port = ntohs(pm->mapped.in.sin_port);
		n = wgm_pcp_map_req(b, &pm->pcp);
		break;
	case MESHD_PM_ASK_ADDR:
		n = wgm_natpmp_addr_req(b);
		break;
	case MESHD_PM_ASK_MAP:
		n = wgm_natpmp_map_req(b, pm->port,
				       pm->proto == MESHD_PM_NATPMP ?
				       ntohs(pm->mapped.in.sin_port) : pm->port,
				       WGM_PM_LIFETIME);
		break;
	default:
		return;
	}
	/* a failure (an ICMP error of an earlier send) is left to the timer */
	(void)send(pm->fd, b, n, 0);
	pm->deadline_ms = now + ((uint64_t)MESHD_PM_RTO_MS << pm->tries);
}

static void ask(struct meshd_portmap *pm, enum meshd_pm_state st, uint64_t now)
{
	pm->state = st;
	pm->tries = 0;
	pm->bad_logged = false;
	send_request(pm, now);
}

static void schedule(struct meshd_portmap *pm, uint64_t now)
{
	uint64_t half = (uint64_t)pm->lifetime * 1000u / 2;

	pm->state = MESHD_PM_IDLE;
	pm->next_ms = now + (half < MESHD_PM_CHECK_MS ? half : MESHD_PM_CHECK_MS);
}

/* Got a mapping (new or renewed); true when the address changed. */
static bool mapped(struct meshd_portmap *pm, enum meshd_pm_proto proto,
		   const union wgm_sockaddr *a, uint32_t lifetime, uint64_t now)
{
	char s[WGM_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	bool changed = pm->proto != proto || !wgm_endpoint_equal(&pm->mapped, a);

	if (changed)
		pmlog("%s on %s: %s maps to the tunnel's port %u for %u s (candidate kind portmap)",
		      proto_name(proto), gw_text(pm, g),
		      wgm_format_endpoint(a, s, sizeof(s)), pm->port, lifetime);
	pm->proto = proto;
	pm->mapped = *a;
	pm->lifetime = lifetime;
	pm->retry_ms = MESHD_PM_RETRY_MIN_MS;
	schedule(pm, now);
	return changed;
}

/*
 * The epoch of an answer: logs a gateway restart (the answer maps again).
 * The last epoch outlives a lost mapping, so a gateway that was down when
 * a renewal was due is still seen to have restarted when it answers again.
 */
static void note_epoch(struct meshd_portmap *pm, uint32_t epoch, uint64_t now)
{
	char g[INET_ADDRSTRLEN];

	if (pm->have_epoch &&
	    wgm_pm_epoch_lost(pm->epoch, pm->epoch_ms, epoch, now))
		pmlog("gateway %s restarted (epoch %u after %u): mapping again",
		      gw_text(pm, g), epoch, pm->epoch);
	pm->have_epoch = true;
	pm->epoch = epoch;
	pm->epoch_ms = now;
}

static bool lose(struct meshd_portmap *pm)
{
	bool had = pm->proto != MESHD_PM_NONE;

	if (had)
		pmlog("the %s mapping is gone", proto_name(pm->proto));
	pm->proto = MESHD_PM_NONE;
	return had;
}

/*
 * Nothing to map with now: wait and start again.  A gateway that answered
 * PCP or NAT-PMP before (it has an epoch) is likely restarting: it is
 * asked again soon, backing off; any other is asked every
 * MESHD_PM_RETRY_MS (UPnP discovery blocks meshd for up to 3 s).
 */
static bool retry_later(struct meshd_portmap *pm, uint64_t now)
{
	pm->state = MESHD_PM_IDLE;
	if (!pm->have_epoch) {
		pm->next_ms = now + MESHD_PM_RETRY_MS;
		return lose(pm);
	}
	pm->next_ms = now + pm->retry_ms;
	pm->retry_ms = pm->retry_ms * 2 < MESHD_PM_RETRY_MS ?
		       pm->retry_ms * 2 : MESHD_PM_RETRY_MS;
	return lose(pm);
}

/* The UPnP thread: one mapping or renewal, then a word on the eventfd. */
static void *upnp_run(void *arg)
{
	struct meshd_portmap *pm = arg;
	uint64_t one = 1;

	pm->upnp_ok = upnp_map(pm, pm->upnp_port, &pm->upnp_out);
	if (write(pm->upnp_efd, &one, sizeof(one)) != sizeof(one))
		pmlog("UPnP: cannot signal the result: %s", strerror(errno));
	return NULL;
}

/* Wait for the UPnP thread; true when it mapped pm->upnp_out. */
static bool upnp_join(struct meshd_portmap *pm)
{
	uint64_t v;

	if (!pm->upnp_busy)
		return false;
	pthread_join(pm->upnp_thread, NULL);
	pm->upnp_busy = false;
	if (read(pm->upnp_efd, &v, sizeof(v)) < 0)
		v = 0;	/* nothing to drain */
	return pm->upnp_ok;
}

/*
 * PCP and NAT-PMP gave nothing: UPnP, or wait and start again.  UPnP
 * blocks (discovery waits 1 s, then HTTP to the IGD), so it runs on a
 * thread of its own while meshd's loop goes on (state UPNP_WAIT, the
 * eventfd in place of the gateway socket).
 */
static bool try_upnp(struct meshd_portmap *pm, uint64_t now)
{
#ifdef WGM_HAVE_MINIUPNPC
	int err;

	if (pm->upnp_busy) {
		/* still at it: its result comes by the eventfd */
		pm->state = MESHD_PM_UPNP_WAIT;
		pm->deadline_ms = UINT64_MAX;
		return false;
	}
	pm->state = MESHD_PM_IDLE;
	if (pm->upnp_efd < 0)
		pm->upnp_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pm->upnp_efd < 0) {
		pmlog("UPnP: eventfd: %s", strerror(errno));
		return retry_later(pm, now);
	}
	pm->upnp_port = pm->port;
	pm->upnp_ok = false;
	err = pthread_create(&pm->upnp_thread, NULL, upnp_run, pm);
	if (err) {
		pmlog("UPnP: cannot start its thread: %s", strerror(err));
		return retry_later(pm, now);
	}
	pm->upnp_busy = true;
	pm->state = MESHD_PM_UPNP_WAIT;
	pm->deadline_ms = UINT64_MAX;	/* the eventfd says when */
	return false;
#else
	pm->state = MESHD_PM_IDLE;
	return retry_later(pm, now);
#endif
}

/* The UPnP thread is done: its mapping, or wait and start again. */
static bool upnp_done(struct meshd_portmap *pm, uint64_t now)
{
	bool ok = upnp_join(pm);

	pm->state = MESHD_PM_IDLE;
	/* the listen port changed meanwhile: map the new one */
	if (pm->upnp_port != pm->port) {
		pm->next_ms = now;
		return false;
	}
	if (ok)
		return mapped(pm, MESHD_PM_UPNP, &pm->upnp_out, WGM_PM_LIFETIME, now);
	return retry_later(pm, now);
}

static bool start(struct meshd_portmap *pm, uint64_t now)
{
	if (!pm->port)
		return false;
	if (pm->proto == MESHD_PM_UPNP) {	/* renew where it worked */
		return try_upnp(pm, now);
	}
	if (open_gateway(pm))
		return retry_later(pm, now);
	if (pm->proto == MESHD_PM_NATPMP)
		ask(pm, MESHD_PM_ASK_ADDR, now);
	else
		ask(pm, MESHD_PM_ASK_PCP, now);
	return false;
}

void meshd_portmap_set_port(struct meshd_portmap *pm, uint16_t port,
			    uint64_t now)
{
	if (!pm->enabled || port == pm->port)
		return;
	pm->port = port;
	pm->proto = MESHD_PM_NONE;
	/* a UPnP round under way ends first (upnp_done maps the new port) */
	if (pm->state != MESHD_PM_UPNP_WAIT)
		pm->state = MESHD_PM_IDLE;
	if (!pm->pcp.nonce[0] && !pm->pcp.nonce[1] &&
	    getrandom(pm->pcp.nonce, sizeof(pm->pcp.nonce), 0) != sizeof(pm->pcp.nonce))
		pm->pcp.nonce[0] = 1;
	pm->next_ms = now;
}

int meshd_portmap_fd(const struct meshd_portmap *pm)
{
	if (pm->state == MESHD_PM_UPNP_WAIT)
		return pm->upnp_efd;
	return pm->state == MESHD_PM_IDLE ? -1 : pm->fd;
}

uint64_t meshd_portmap_wake(const struct meshd_portmap *pm)
{
	if (!pm->enabled)
		return UINT64_MAX;
	return pm->state == MESHD_PM_IDLE ? pm->next_ms : pm->deadline_ms;
}

bool meshd_portmap_tick(struct meshd_portmap *pm, uint64_t now)
{
	if (!pm->enabled)
		return false;
	if (pm->state == MESHD_PM_IDLE)
		return now >= pm->next_ms ? start(pm, now) : false;
	if (now < pm->deadline_ms)
		return false;
	if (++pm->tries < MESHD_PM_TRIES) {
		send_request(pm, now);
		return false;
	}
	/* no answer: the next protocol */
	if (pm->state == MESHD_PM_ASK_PCP) {
		ask(pm, MESHD_PM_ASK_ADDR, now);
		return false;
	}
	return try_upnp(pm, now);
}

/* One datagram in state ASK_PCP. */
static bool on_pcp(struct meshd_portmap *pm, const uint8_t *b, size_t n,
		   uint64_t now, const char **why, enum wgm_pm_verdict *v)
{
	struct wgm_pm_answer a;

	*v = wgm_pcp_decode_map(b, n, &pm->pcp, &a, why);
	if (*v == WGM_PM_NATPMP_ONLY) {
		ask(pm, MESHD_PM_ASK_ADDR, now);
		return false;
	}
	if (*v == WGM_PM_REFUSED) {
		ask(pm, MESHD_PM_ASK_ADDR, now);
		return false;
	}
	if (*v != WGM_PM_OK)
		return false;
	note_epoch(pm, a.epoch, now);
	return mapped(pm, MESHD_PM_PCP, &a.external, a.lifetime, now);
}

static bool on_natpmp(struct meshd_portmap *pm, const uint8_t *b, size_t n,
		      uint64_t now, const char **why, enum wgm_pm_verdict *v)
{
	struct wgm_pm_answer a;
	union wgm_sockaddr m;

	if (pm->state == MESHD_PM_ASK_ADDR) {
		*v = wgm_natpmp_decode_addr(b, n, &a, why);
		if (*v == WGM_PM_REFUSED)
			return try_upnp(pm, now);
		if (*v != WGM_PM_OK)
			return false;
		note_epoch(pm, a.epoch, now);
		pm->ext_addr = a.external;
		ask(pm, MESHD_PM_ASK_MAP, now);
		return false;
	}
	*v = wgm_natpmp_decode_map(b, n, pm->port, WGM_PM_LIFETIME, &a, why);
	if (*v == WGM_PM_REFUSED)
		return try_upnp(pm, now);
	if (*v != WGM_PM_OK)
		return false;
	note_epoch(pm, a.epoch, now);
	m = pm->ext_addr;
	m.in.sin_port = a.external.in.sin_port;
	return mapped(pm, MESHD_PM_NATPMP, &m, a.lifetime, now);
}

bool meshd_portmap_readable(struct meshd_portmap *pm, uint64_t now)
{
	char g[INET_ADDRSTRLEN];
	uint8_t b[WGM_PCP_MAX_LEN + 4];
	enum meshd_pm_state st;
	enum wgm_pm_verdict v;
	const char *why = NULL;
	bool changed = false;
	ssize_t n;
	int budget = 16;

	if (pm->state == MESHD_PM_UPNP_WAIT)
		return upnp_done(pm, now);
	while (budget-- > 0 && pm->fd >= 0 && pm->state != MESHD_PM_IDLE) {
		n = recv(pm->fd, b, sizeof(b), 0);
		if (n < 0)
			break;		/* EAGAIN, or an ICMP error: the timer retries */
		st = pm->state;
		if (st == MESHD_PM_ASK_PCP)
			changed |= on_pcp(pm, b, (size_t)n, now, &why, &v);
		else
			changed |= on_natpmp(pm, b, (size_t)n, now, &why, &v);
		if (v == WGM_PM_BAD && !pm->bad_logged) {
			pm->bad_logged = true;
			pmlog("ignored a %zd-byte answer from %s: %s", n,
			      gw_text(pm, g), why);
		} else if (v == WGM_PM_REFUSED || v == WGM_PM_NATPMP_ONLY) {
			pmlog("%s on %s: %s", st == MESHD_PM_ASK_PCP ? "PCP" : "NAT-PMP",
			      gw_text(pm, g), why);
		}
	}
	return changed;
}

bool meshd_portmap_get(const struct meshd_portmap *pm, union wgm_sockaddr *out)
{
	if (pm->proto == MESHD_PM_NONE)
		return false;
	*out = pm->mapped;
	return true;
}

/* Send a deletion and wait up to 500 ms for an answer to it. */
static void delete_udp(struct meshd_portmap *pm)
{
	struct wgm_pm_answer a;
	struct pollfd p;
	uint8_t b[WGM_PCP_MAX_LEN + 4];
	const char *why;
	ssize_t n;
	size_t len;
	int i;

	if (pm->fd < 0)
		return;
	if (pm->proto == MESHD_PM_PCP) {
		pm->pcp.lifetime = 0;
		pm->pcp.suggested_port = 0;
		len = wgm_pcp_map_req(b, &pm->pcp);
	} else {
		len = wgm_natpmp_map_req(b, pm->port, 0, 0);
	}
	if (send(pm->fd, b, len, 0) < 0)
		return;
	p.fd = pm->fd;
	p.events = POLLIN;
	for (i = 0; i < 5 && poll(&p, 1, 100) >= 0; i++) {
		n = recv(pm->fd, b, sizeof(b), 0);
		if (n < 0)
			continue;
		if ((pm->proto == MESHD_PM_PCP ?
		     wgm_pcp_decode_map(b, (size_t)n, &pm->pcp, &a, &why) :
		     wgm_natpmp_decode_map(b, (size_t)n, pm->port, 0, &a, &why)) == WGM_PM_OK) {
			pmlog("deleted the %s mapping", proto_name(pm->proto));
			return;
		}
	}
	pmlog("the gateway did not confirm deleting the %s mapping", proto_name(pm->proto));
}

void meshd_portmap_stop(struct meshd_portmap *pm)
{
	/* a UPnP round under way: wait for it, and delete what it mapped */
	if (upnp_join(pm))
		pm->proto = MESHD_PM_UPNP;
	if (pm->proto == MESHD_PM_UPNP)
		upnp_delete(pm);
	else if (pm->proto != MESHD_PM_NONE)
		delete_udp(pm);
	pm->proto = MESHD_PM_NONE;
	upnp_free(pm);
	close_fd(pm);
	if (pm->upnp_efd >= 0)
		close(pm->upnp_efd);
	pm->upnp_efd = -1;
}
