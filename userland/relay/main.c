// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshrelay: options, its static key, the relay and STUN sockets, the
 * connection to meshcoord, and one poll(2) loop over all of them.  What
 * arrives on a relay port goes through the core (relay_input); the only
 * thing ever sent from a relay port is a forwarded datagram, unchanged,
 * to an address that bound the other side with its key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "key.h"
#include "meshrelay.h"
#include "stun.h"
#include "udpbatch.h"

#define DEFAULT_STATE		"/var/lib/meshrelay"
#define KEY_FILE		"relay.key"
#define CONNECT_TIMEOUT_MS	5000
#define PING_MS			(MP_KEEPALIVE_SEC * 1000)
#define DEAD_MS			(3 * PING_MS)

struct opts {
	const char *coord;
	uint8_t coord_key[MP_KEY_LEN];
	bool have_coord_key;
	const char *state;
	char name[MP_NAME_MAX + 1];
	struct mp_candidate pub;	/* --public, port: the STUN port */
	const char *listen;		/* --listen, NULL: the wildcard of pub's family */
	uint16_t stun_port, lo, hi;
	uint64_t rate;
};

struct relayd {
	struct opts o;
	uint8_t priv[MP_KEY_LEN], pub[MP_KEY_LEN];
	struct relay_table t;
	int *rfd;			/* one socket per port lo + i */
	bool v6;			/* they are IPv6 sockets */
	struct wgm_udpb batch;		/* datagrams in and out, batched */
	unsigned int nports;
	int stun_fd, sigfd;
	struct mp_conn conn;
	bool connected;
	unsigned int backoff_ms;
	uint64_t next_connect_ms, last_rx_ms, next_ping_ms, ping_token;
	uint64_t next_idle_ms, stats_next_ms;
	uint64_t stats_fwd, stats_bytes, stats_drops, stats_bad;
};

__attribute__((format(printf, 1, 2)))
static void logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("meshrelay: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the key ---- */

/*
 * STATE/relay.key: the relay's X25519 private key in base64, made on
 * first use (mode 0600, the directory 0700); never world-writable.
 */
static int load_key(struct relayd *d, bool create)
{
	char path[4096], b64[WGM_KEY_B64_LEN + 2];
	struct wgm_err err;
	struct stat st;
	bool empty = false;
	int fd;

	if (create && mkdir(d->o.state, 0700) && errno != EEXIST) {
		logmsg("state directory %s: %s", d->o.state, strerror(errno));
		return -1;
	}
	if (stat(d->o.state, &st)) {
		logmsg("state directory %s: %s", d->o.state, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		logmsg("state directory %s: exists and is not a directory", d->o.state);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		logmsg("state directory %s is writable by every user (mode %04o): chmod 700 it",
		       d->o.state, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", d->o.state, KEY_FILE) >= sizeof(path)) {
		logmsg("state directory path too long: %s", d->o.state);
		return -1;
	}
	if (access(path, F_OK) == 0) {
		if (wgm_key_read_file(d->priv, path, &empty, &err) || empty) {
			logmsg("%s: %s", path, empty ? "empty" : err.msg);
			return -1;
		}
	} else {
		if (wgm_key_generate_private(d->priv, &err)) {
			logmsg("%s", err.msg);
			return -1;
		}
		wgm_key_to_base64(b64, d->priv);
		strcat(b64, "\n");
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || write(fd, b64, strlen(b64)) != (ssize_t)strlen(b64) || fsync(fd)) {
			logmsg("%s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			sodium_memzero(b64, sizeof(b64));
			return -1;
		}
		close(fd);
		sodium_memzero(b64, sizeof(b64));
		logmsg("new key in %s", path);
	}
	wgm_key_public(d->pub, d->priv);
	return 0;
}

/* ---- sockets ---- */

static socklen_t sockaddr_of(const struct mp_candidate *c, uint16_t port,
			     struct sockaddr_storage *ss)
{
	struct mp_candidate x = *c;

	x.port = port;
	return mp_candidate_to_sockaddr(&x, ss);
}

/* A UDP socket on the listen address and @port; -1 with a log line. */
static int udp_bind(const struct relayd *d, const struct mp_candidate *at, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(at, port, &ss);
	int fd, one = 1;
	char a[MP_CAND_STRLEN];

	fd = socket(at->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && at->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl)) {
		struct mp_candidate x = *at;

		x.port = port;
		logmsg("bind %s: %s (--listen, --relay-ports, --stun)",
		       mp_candidate_format(&x, a), strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	(void)d;
	return fd;
}

/*
 * Every relay port bound before anything starts (a port taken by
 * something else is an error now, not a lost pair later), and the STUN port.
 */
static int sockets_setup(struct relayd *d)
{
	struct mp_candidate at;
	unsigned int i;

	memset(&at, 0, sizeof(at));
	if (d->o.listen) {
		char spec[80];

		snprintf(spec, sizeof(spec), strchr(d->o.listen, ':') ? "[%s]:1" : "%s:1",
			 d->o.listen);
		if (mp_candidate_parse(&at, spec)) {
			logmsg("--listen '%s' is not a numeric IP address", d->o.listen);
			return -1;
		}
	} else {
		at.family = d->o.pub.family;	/* the wildcard of that family */
	}
	if (relay_init(&d->t, d->o.lo, d->o.hi, UINT32_MAX, d->o.rate)) {
		logmsg("relay: bad port range or out of memory");
		return -1;
	}
	d->nports = 2 * d->t.n;
	d->rfd = malloc(d->nports * sizeof(*d->rfd));
	if (!d->rfd || wgm_udpb_init(&d->batch)) {
		logmsg("out of memory");
		return -1;
	}
	d->v6 = at.family == AF_INET6;
	for (i = 0; i < d->nports; i++)
		d->rfd[i] = -1;
	for (i = 0; i < d->nports; i++) {
		d->rfd[i] = udp_bind(d, &at, (uint16_t)(d->o.lo + i));
		if (d->rfd[i] < 0)
			return -1;
		wgm_udpb_sockbufs(d->rfd[i]);
	}
	d->stun_fd = udp_bind(d, &at, d->o.stun_port);
	return d->stun_fd < 0 ? -1 : 0;
}

/*
 * Datagrams on relay port index idx: forwarded or dropped, never answered.
 * At most two batches per wakeup, so the other ports get their turn.
 */
static void on_relay(struct relayd *d, unsigned int idx)
{
	struct wgm_udpb *b = &d->batch;
	union wgm_sockaddr src, dst;
	unsigned int round, i, n;
	const uint8_t *pkt;
	uint64_t now;
	uint16_t out;
	size_t len;

	for (round = 0; round < 2; round++) {
		n = wgm_udpb_recv(b, d->rfd[idx]);
		now = now_ms();		/* one clock read per batch */
		for (i = 0; i < n; i++) {
			pkt = wgm_udpb_get(b, i, &len, &src);
			if (len && relay_input(&d->t, (uint16_t)(d->o.lo + idx), &src, pkt, len,
					       now, &out, &dst) == RELAY_FORWARD)
				wgm_udpb_queue(b, i, d->rfd[out - d->o.lo], &dst, d->v6);
		}
		wgm_udpb_flush(b);
		if (n < WGM_UDPB_N)
			return;
	}
}

/* STUN Binding requests get the source address back (agents time them). */
static void on_stun(struct relayd *d)
{
	uint8_t pkt[1500], txid[12], resp[STUN_MAX_RESPONSE];
	struct sockaddr_storage from;
	ssize_t n;
	size_t rl;
	int i;

	for (i = 0; i < 64; i++) {
		socklen_t sl = sizeof(from);

		n = recvfrom(d->stun_fd, pkt, sizeof(pkt), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &sl);
		if (n < 0)
			return;
		if (stun_parse_request(pkt, (size_t)n, txid))
			continue;	/* never answer garbage */
		rl = stun_build_response(resp, txid, (struct sockaddr *)&from);
		if (rl)
			sendto(d->stun_fd, resp, rl, MSG_DONTWAIT, (struct sockaddr *)&from, sl);
	}
}

/* ---- the service ---- */

static void disconnect(struct relayd *d, const char *why)
{
	if (!d->connected)
		return;
	mp_conn_close(&d->conn);
	d->connected = false;
	d->backoff_ms = meshrelay_backoff_next(d->backoff_ms);
	d->next_connect_ms = now_ms() + meshrelay_backoff_jitter(d->backoff_ms, randombytes_random());
	logmsg("coord: disconnected (%s); forwarding what is bound, reconnecting in %u.%u s",
	       why, d->backoff_ms / 1000, d->backoff_ms % 1000 / 100);
}

static void try_connect(struct relayd *d)
{
	struct mp_relay_hello h = {
		.ep = d->o.pub, .port_lo = d->o.lo, .port_hi = d->o.hi,
	};
	struct mp_client_cfg cfg = {
		.server = d->o.coord, .server_pub = d->o.coord_key, .node_priv = d->priv,
		.name = d->o.name, .timeout_ms = CONNECT_TIMEOUT_MS, .relay = &h,
	};
	char key[WGM_KEY_B64_LEN + 1];
	struct mp_welcome w;
	struct mp_err err;

	memset(&err, 0, sizeof(err));
	if (mp_client_connect(&d->conn, &cfg, &w, &err)) {
		d->backoff_ms = meshrelay_backoff_next(d->backoff_ms);
		d->next_connect_ms = now_ms() +
				     meshrelay_backoff_jitter(d->backoff_ms, randombytes_random());
		wgm_key_to_base64(key, d->pub);
		if (err.code == MP_ERR_AUTH)
			logmsg("coord: the service does not know this relay's key; on the service host: meshcoord relay add %s %s",
			       d->o.name, key);
		else
			logmsg("coord: connecting to %s: %s", d->o.coord, err.msg);
		logmsg("coord: retrying in %u.%u s", d->backoff_ms / 1000,
		       d->backoff_ms % 1000 / 100);
		return;
	}
	d->connected = true;
	d->backoff_ms = 0;
	d->last_rx_ms = now_ms();
	d->next_ping_ms = d->last_rx_ms + PING_MS;
	logmsg("coord: connected to %s as relay %s", d->o.coord, w.name);
}

static void coord_readable(struct relayd *d)
{
	char line[256];
	struct mp_msg m, r;
	struct mp_err err;
	int budget = 256, rc;

	while (d->connected && budget-- > 0) {
		rc = mp_conn_recv(&d->conn, &m, &err);
		if (rc == 0)
			return;
		if (rc < 0) {
			disconnect(d, err.msg);
			return;
		}
		d->last_rx_ms = now_ms();
		switch (m.type) {
		case MP_PING:
			memset(&r, 0, sizeof(r));
			r.type = MP_PONG;
			r.u.token = m.u.token;
			if (mp_conn_send(&d->conn, &r, &err))
				disconnect(d, err.msg);
			break;
		case MP_PONG:
			break;
		case MP_ERROR:
			logmsg("coord: error %u: %s", m.u.error.code, m.u.error.text);
			break;
		default:
			if (meshrelay_apply(&d->t, &m, now_ms(), line, sizeof(line)) < 0) {
				logmsg("coord: unexpected message %s", mp_type_name(m.type));
				break;
			}
			if (line[0])
				logmsg("%s", line);
		}
		sodium_memzero(&m, sizeof(m));	/* RELAY_ALLOC's keys */
	}
}

/*
 * Once a second: allocations idle for RELAY_IDLE_MS are freed and the
 * service told; once a minute, when anything moved, what was forwarded.
 */
static void housekeeping(struct relayd *d, uint64_t now)
{
	unsigned int pos = 0, i, nalloc = 0;
	struct mp_msg m;
	struct mp_err err;
	int k;

	if (now < d->next_idle_ms)
		return;
	d->next_idle_ms = now + 1000;
	while ((k = relay_next_idle(&d->t, now, &pos)) >= 0) {
		logmsg("allocation %d (ports %u and %u): not bound for %llu s: freed", k,
		       relay_port_of(&d->t, (unsigned int)k, 0), relay_port_of(&d->t, (unsigned int)k, 1),
		       (unsigned long long)(RELAY_IDLE_MS / 1000));
		memset(&m, 0, sizeof(m));
		m.type = MP_RELAY_FREE;
		m.u.relay_free.index = (uint16_t)k;
		m.u.relay_free.id = d->t.allocs[k].side[0].id;
		relay_release(&d->t, (unsigned int)k);
		if (d->connected && mp_conn_send(&d->conn, &m, &err))
			disconnect(d, err.msg);
	}
	if (now < d->stats_next_ms)
		return;
	d->stats_next_ms = now + 60000;
	if (d->t.fwd_pkts == d->stats_fwd && d->t.drops == d->stats_drops)
		return;
	for (i = 0; i < d->t.n; i++)
		nalloc += d->t.allocs[i].used;
	logmsg("%u allocation(s); in the last minute %llu datagrams (%llu bytes) forwarded, %llu dropped (%llu bad binds)",
	       nalloc, (unsigned long long)(d->t.fwd_pkts - d->stats_fwd),
	       (unsigned long long)(d->t.fwd_bytes - d->stats_bytes),
	       (unsigned long long)(d->t.drops - d->stats_drops),
	       (unsigned long long)(d->t.bad_binds - d->stats_bad));
	d->stats_fwd = d->t.fwd_pkts;
	d->stats_bytes = d->t.fwd_bytes;
	d->stats_drops = d->t.drops;
	d->stats_bad = d->t.bad_binds;
}

/* pfd[]: signals, STUN, the service, then the relay ports of live allocations */
#define NFIXED 3

static int run(struct relayd *d)
{
	struct pollfd *pfd = calloc(NFIXED + d->nports, sizeof(*pfd));
	unsigned int *idx = calloc(d->nports, sizeof(*idx));
	struct mp_err err;
	unsigned int i, nr;
	int rc = 1;

	if (!pfd || !idx)
		goto out;
	for (;;) {
		uint64_t now = now_ms(), wake;
		int timeout;

		if (!d->connected && now >= d->next_connect_ms)
			try_connect(d);
		now = now_ms();
		if (d->connected && now - d->last_rx_ms >= DEAD_MS)
			disconnect(d, "no answer to keepalives");
		if (d->connected && now >= d->next_ping_ms) {
			d->next_ping_ms = now + PING_MS;
			if (mp_send_ping(&d->conn, ++d->ping_token, &err))
				disconnect(d, err.msg);
		}
		housekeeping(d, now);
		if (d->connected && mp_conn_flush(&d->conn, &err) < 0)
			disconnect(d, err.msg);
		wake = d->next_idle_ms;
		if (d->connected) {
			if (d->next_ping_ms < wake)
				wake = d->next_ping_ms;
		} else if (d->next_connect_ms < wake) {
			wake = d->next_connect_ms;
		}
		now = now_ms();
		timeout = wake > now ? (int)(wake - now) : 0;
		/* frames coord_readable's budget left in the read buffer */
		if (d->connected && mp_conn_ready(&d->conn))
			timeout = 0;
		pfd[0] = (struct pollfd){ .fd = d->sigfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = d->stun_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = d->connected ? d->conn.fd : -1, .events =
			(short)(POLLIN | (d->connected && mp_conn_want_write(&d->conn) ? POLLOUT : 0)) };
		/* only live allocations' ports: the others' datagrams wait and are dropped */
		for (i = 0, nr = 0; i < d->nports; i++) {
			if (!d->t.allocs[i / 2].used)
				continue;
			idx[nr] = i;
			pfd[NFIXED + nr++] = (struct pollfd){ .fd = d->rfd[i], .events = POLLIN };
		}
		if (poll(pfd, NFIXED + nr, timeout) < 0 && errno != EINTR) {
			logmsg("poll: %s", strerror(errno));
			goto out;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
				logmsg("signal %u (%s): exiting", si.ssi_signo,
				       strsignal((int)si.ssi_signo));
				rc = 0;
				goto out;
			}
		}
		for (i = 0; i < nr; i++)
			if (pfd[NFIXED + i].revents & POLLIN)
				on_relay(d, idx[i]);
		if (pfd[1].revents & POLLIN)
			on_stun(d);
		if (d->connected && ((pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) ||
				     mp_conn_ready(&d->conn)))
			coord_readable(d);
	}
out:
	free(pfd);
	free(idx);
	return rc;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: meshrelay --coord HOST:PORT --coord-key KEY --public ADDR\n"
		"                 [--name NAME] [--state DIR] [--listen ADDR] [--stun PORT]\n"
		"                 [--relay-ports LO-HI] [--relay-rate BYTES]\n"
		"       meshrelay [--state DIR] pubkey\n"
		"defaults: --name the host name, --state %s, --listen the wildcard\n"
		"          address of --public's family, --stun %d, --relay-ports %d-%d,\n"
		"          --relay-rate %llu (bytes/s per node and allocation; 0: no cap)\n"
		"The service's administrator registers the relay's key first:\n"
		"          meshcoord relay add NAME $(meshrelay pubkey)\n",
		DEFAULT_STATE, MESHRELAY_DEF_STUN, MESHRELAY_DEF_LO, MESHRELAY_DEF_HI,
		MESHRELAY_DEF_RATE);
}

static bool parse_port(const char *opt, const char *v, uint16_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || n < 1 || n > 65535) {
		fprintf(stderr, "meshrelay: %s: '%s' is not a port from 1 to 65535\n", opt, v);
		return false;
	}
	*out = (uint16_t)n;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "coord", required_argument, NULL, 'c' },
		{ "coord-key", required_argument, NULL, 'k' },
		{ "public", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "state", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "stun", required_argument, NULL, 's' },
		{ "relay-ports", required_argument, NULL, 'R' },
		{ "relay-rate", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct relayd *d = calloc(1, sizeof(*d));
	char spec[80], key[WGM_KEY_B64_LEN + 1], a[MP_CAND_STRLEN];
	const char *public = NULL;
	unsigned long long rate;
	sigset_t mask;
	char *end;
	int c, rc;

	if (!d)
		return 1;
	d->o.state = DEFAULT_STATE;
	d->o.stun_port = MESHRELAY_DEF_STUN;
	d->o.lo = MESHRELAY_DEF_LO;
	d->o.hi = MESHRELAY_DEF_HI;
	d->o.rate = MESHRELAY_DEF_RATE;
	d->stun_fd = d->sigfd = -1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->o.coord = optarg;
			break;
		case 'k':
			if (!wgm_key_from_arg(d->o.coord_key, optarg)) {
				fprintf(stderr, "meshrelay: --coord-key: '%s' is not a base64 key (meshcoord pubkey prints it)\n",
					optarg);
				return 2;
			}
			d->o.have_coord_key = true;
			break;
		case 'p':
			public = optarg;
			break;
		case 'n':
			if (!mp_name_valid(optarg)) {
				fprintf(stderr, "meshrelay: --name '%s': use 1 to %d of A-Z a-z 0-9 . _ - (not starting with - or .)\n",
					optarg, MP_NAME_MAX);
				return 2;
			}
			snprintf(d->o.name, sizeof(d->o.name), "%s", optarg);
			break;
		case 'd':
			d->o.state = optarg;
			break;
		case 'l':
			d->o.listen = optarg;
			break;
		case 's':
			if (!parse_port("--stun", optarg, &d->o.stun_port))
				return 2;
			break;
		case 'R':
			if (meshrelay_parse_ports(optarg, &d->o.lo, &d->o.hi)) {
				fprintf(stderr, "meshrelay: --relay-ports '%s': expected LO-HI (1 <= LO < HI <= 65535)\n",
					optarg);
				return 2;
			}
			break;
		case 'B':
			errno = 0;
			rate = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || errno ||
			    rate > 1000000000000ULL) {
				fprintf(stderr, "meshrelay: --relay-rate: '%s' is not a number of bytes per second (0: no cap)\n",
					optarg);
				return 2;
			}
			d->o.rate = rate;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (mp_init()) {
		fprintf(stderr, "meshrelay: libsodium initialisation failed\n");
		return 1;
	}
	if (optind == argc - 1 && !strcmp(argv[optind], "pubkey")) {
		if (load_key(d, true))
			return 1;
		wgm_key_to_base64(key, d->pub);
		printf("%s\n", key);
		return 0;
	}
	if (optind != argc || !d->o.coord || !d->o.have_coord_key || !public) {
		if (optind == argc)
			fprintf(stderr, "meshrelay: --coord, --coord-key and --public are needed\n");
		usage(stderr);
		return 2;
	}
	snprintf(spec, sizeof(spec), strchr(public, ':') ? "[%s]:%u" : "%s:%u", public,
		 d->o.stun_port);
	if (mp_candidate_parse(&d->o.pub, spec)) {
		fprintf(stderr, "meshrelay: --public '%s' is not a numeric IP address\n", public);
		return 2;
	}
	if (!d->o.name[0] && (gethostname(d->o.name, sizeof(d->o.name) - 1) ||
			      !mp_name_valid(d->o.name))) {
		fprintf(stderr, "meshrelay: the host name is not a valid relay name: give --name NAME\n");
		return 2;
	}
	if (load_key(d, true) || sockets_setup(d))
		return 1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0) {
		logmsg("signalfd: %s", strerror(errno));
		return 1;
	}
	wgm_key_to_base64(key, d->pub);
	logmsg("relay %s, key %s: public address %s, relay ports %u..%u (udp), %llu bytes/s per side",
	       d->o.name, key, mp_candidate_format(&d->o.pub, a), d->o.lo,
	       d->o.lo + d->nports - 1, (unsigned long long)d->o.rate);
	rc = run(d);
	if (d->connected)
		mp_conn_close(&d->conn);
	for (unsigned int i = 0; d->rfd && i < d->nports; i++)
		if (d->rfd[i] >= 0)
			close(d->rfd[i]);
	free(d->rfd);
	wgm_udpb_free(&d->batch);
	relay_free(&d->t);	/* wipes the keys */
	sodium_memzero(d->priv, sizeof(d->priv));
	free(d);
	return rc;
}
