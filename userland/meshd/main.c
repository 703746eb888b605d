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
 *
 * This file: options, signals, the poll loop, logging and the clock; the
 * other parts are listed in meshd.h.
 */
#include <errno.h>
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "meshd.h"
#include "rtnl.h"

#define GATHER_INTERVAL_MS 5000u
/* No frame from meshcoord for this long: the connection is dead. */
#define DEAD_AFTER_MS (3u * PING_INTERVAL_MS)
#define STUN_DEFAULT_PORT "3478"
#define COORD_DEFAULT_PORT "7443"

void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *peer_label(const struct meshd_peer *p, char *buf, size_t len)
{
	char b64[WGM_KEY_B64_LEN + 1];

	wgm_key_to_base64(b64, p->pubkey);
	snprintf(buf, len, "%s (%.8s)", p->name[0] ? p->name : "?", b64);
	return buf;
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
	struct pollfd pfd[6 + MESHD_CARRIERS_MAX];
	struct mp_err err;
	uint64_t now, wake;
	unsigned int ncar, i;
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
		if (meshd_portmap_tick(&d->pm, now))
			d->next_gather_ms = 0;	/* report the new mapping now */
		tcprelay_tick(d);
		home_tick(d);
		if (d->connected && mp_conn_flush(&d->conn, &err) < 0)
			disconnect(d, err.msg);

		wake = d->next_gather_ms;
		if (home_wake(d) < wake)
			wake = home_wake(d);
		if (meshd_portmap_wake(&d->pm) < wake)
			wake = meshd_portmap_wake(&d->pm);
		/* when unanswered STUN would put the relays on TCP */
		if (d->connected) {
			uint64_t due = meshd_relay_tcp_due(d->o.relay_tcp, d->welcome.hello_version,
							   d->stun_n, d->stun_since_ms,
							   d->n_mapped, now);

			if (due < wake)
				wake = due;
		}
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
		/* frames coord_readable's budget left in the read buffer */
		if (d->connected && mp_conn_ready(&d->conn))
			timeout = 0;

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
		pfd[nfds].fd = meshd_portmap_fd(&d->pm);
		pfd[nfds].events = POLLIN;
		pfd[nfds].revents = 0;
		ncar = tcprelay_pollfds(d, &pfd[nfds + 1]);
		pfd[nfds + 1 + ncar] = (struct pollfd){ .fd = d->home_fd4, .events = POLLIN };
		pfd[nfds + 2 + ncar] = (struct pollfd){ .fd = d->home_fd6, .events = POLLIN };
		if (poll(pfd, (nfds_t)nfds + 3 + ncar, timeout) < 0) {
			if (errno == EINTR)
				continue;
			logmsg("poll: %s", strerror(errno));
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && handle_signal(d))
			return 0;
		if (pfd[1].revents & POLLIN)
			events_readable(d);
		if ((pfd[nfds].revents & POLLIN) &&
		    meshd_portmap_readable(&d->pm, now_ms()))
			d->next_gather_ms = 0;
		if (nfds == 3 && d->connected && (pfd[2].revents || mp_conn_ready(&d->conn))) {
			/* buffered frames too: else the loop spins on timeout 0 */
			if ((pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) ||
			    mp_conn_ready(&d->conn))
				coord_readable(d);
			if (d->connected && mp_conn_flush(&d->conn, &err) < 0)
				disconnect(d, err.msg);
		}
		/* a carrier closed meanwhile is not found by its fd */
		for (i = 0; i < ncar; i++)
			if (pfd[nfds + 1 + i].revents & POLLIN)
				tcprelay_readable(d, pfd[nfds + 1 + i].fd);
		for (i = 1; i <= 2; i++)
			if (pfd[nfds + ncar + i].revents & POLLIN)
				home_readable(d, pfd[nfds + ncar + i].fd);
	}
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: meshd --coord HOST[:PORT] --coord-key PUBKEY --interface DEV --state DIR\n"
		"             [--authkey KEY] [--name NAME] [--listen-port PORT]\n"
		"             [--stun HOST[:PORT]|none] [--no-portmap]\n"
		"             [--relay-tcp auto|always|never] [--no-birthday]\n"
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
		{ "no-portmap", no_argument, NULL, 'P' },
		{ "relay-tcp", required_argument, NULL, 'T' },
		{ "no-birthday", no_argument, NULL, 'B' },
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
		case 'P':
			o->no_portmap = true;
			break;
		case 'B':
			o->no_birthday = true;
			break;
		case 'T':
			if (!strcmp(optarg, "auto")) {
				o->relay_tcp = MESHD_RELAY_TCP_AUTO;
			} else if (!strcmp(optarg, "always")) {
				o->relay_tcp = MESHD_RELAY_TCP_ALWAYS;
			} else if (!strcmp(optarg, "never")) {
				o->relay_tcp = MESHD_RELAY_TCP_NEVER;
			} else {
				fprintf(stderr, "meshd: --relay-tcp: '%s' is not auto, always or never\n",
					optarg);
				return -1;
			}
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
	d.home_fd4 = d.home_fd6 = -1;
	d.homes.home = -1;
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
	meshd_portmap_init(&d.pm, !d.o.no_portmap);
	if (load_key(&d) || device_setup(&d)) {
		explicit_bzero(d.priv, sizeof(d.priv));
		return 1;
	}
	events_open(&d);
	logmsg("meshd: node %s, coordination service %s", d.o.name,
	       d.o.coord_addr);
	ret = run(&d);
	if (!ret)
		meshd_portmap_stop(&d.pm);	/* a clean exit deletes the mapping */
	tcprelay_close_all(&d);
	home_close(&d);
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
