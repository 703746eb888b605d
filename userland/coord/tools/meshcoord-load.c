// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshcoord-load: N simulated agents against one meshcoord, for
 * scripts/bench-mesh.  Each agent is a real control channel (handshake,
 * HELLO with a reusable auth key, CANDIDATES, keepalive PINGs); nothing
 * touches a kernel, so it runs as any user against a service on loopback.
 *
 * Prints (figures only, no thresholds):
 *   connect    time to register all N agents (each sends its candidates,
 *              which the service pushes to every other agent)
 *   settle     until every agent has its full peer list
 *   memory     the service's VmRSS / VmHWM (--pid)
 *   push       per round: agent 0 changes its candidates; time until every
 *              other agent has received the new set (median over --rounds)
 *   slow       with --silent K, K agents stop reading; the pushes above run
 *              with them present (a slow client must not stall the others)
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "proto.h"

#define PING_EVERY_MS	10000

struct agent {
	struct mp_conn c;
	uint8_t priv[MP_KEY_LEN], pub[MP_KEY_LEN];
	unsigned int peers;	/* MP_PEER messages seen (first copies + updates) */
	bool synced;		/* MP_SYNC_END seen */
	bool silent;		/* stopped reading (--silent) */
	bool dead;		/* the service closed it */
	bool got_update;	/* saw the candidate change of the current round */
	int64_t next_ping;
	atomic_bool ready;	/* registered: from now on only the main thread */
};

struct load {
	struct agent *a;
	unsigned int n;
	uint16_t want_port;	/* round marker: agent 0's candidate port */
	uint8_t target[MP_KEY_LEN];
	unsigned int updated;	/* agents with got_update this round */
	unsigned long msgs;	/* everything but PONG */
	unsigned long by_type[16];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: meshcoord-load --coord HOST:PORT --coord-key PUBKEY --authkey KEY\n"
		"                      [--agents N] [--rounds R] [--silent K] [--pid PID]\n"
		"                      [--parallel P]\n"
		"  N simulated agents (default 1000) register with meshcoord (use a reusable\n"
		"  auth key), then agent 0 changes its candidates R times (default 5) and the\n"
		"  time until every other agent has the change is printed.  --pid: the\n"
		"  service's pid, to print its memory and CPU time.  --silent K: K agents stop\n"
		"  reading.  --parallel P: P registrations in flight (default 1).  N <= 100000.\n");
}

static void fake_candidate(struct mp_candidate *c, unsigned int i, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_INET;
	c->port = port;
	c->addr[0] = 198;	/* 198.18.0.0/15, benchmarking (RFC 2544) */
	c->addr[1] = 18 + (i >> 16 & 1);
	c->addr[2] = i >> 8 & 0xff;
	c->addr[3] = i & 0xff;
}

static void note_msg(struct load *l, struct agent *ag, const struct mp_msg *m)
{
	if (m->type < 16)
		l->by_type[m->type]++;
	if (m->type != MP_PONG)
		l->msgs++;
	switch (m->type) {
	case MP_SYNC_END:
		ag->synced = true;
		break;
	case MP_PEER:
		ag->peers++;
		if (l->want_port && !ag->got_update &&
		    !memcmp(m->u.peer.pubkey, l->target, MP_KEY_LEN) &&
		    m->u.peer.cand.n >= 1 && m->u.peer.cand.c[0].port == l->want_port) {
			ag->got_update = true;
			l->updated++;
		}
		break;
	default:
		break;
	}
}

/* Reads what is there on every live agent, sends due pings, flushes. */
static int pump(struct load *l, int timeout_ms)
{
	static const short want = POLLIN;
	struct pollfd *pfd;
	unsigned int i, np = 0;
	int64_t now = now_ms();
	struct mp_err err;
	struct mp_msg m;
	int r, k;

	pfd = calloc(l->n ? l->n : 1, sizeof(*pfd));
	if (!pfd)
		return -1;
	for (i = 0; i < l->n; i++) {
		struct agent *ag = &l->a[i];

		pfd[i].fd = -1;
		if (!atomic_load_explicit(&ag->ready, memory_order_acquire) ||
		    ag->dead || ag->c.fd < 0)
			continue;
		if (!ag->silent && now >= ag->next_ping) {
			mp_send_ping(&ag->c, (uint64_t)now, &err);
			ag->next_ping = now + PING_EVERY_MS;
		}
		pfd[i].fd = ag->c.fd;
		if (!ag->silent && mp_conn_ready(&ag->c))
			timeout_ms = 0;	/* frames the last round left buffered */
		pfd[i].events = (ag->silent ? 0 : want) |
				(mp_conn_want_write(&ag->c) ? POLLOUT : 0);
		np++;
	}
	if (np && poll(pfd, l->n, timeout_ms) < 0 && errno != EINTR) {
		free(pfd);
		return -1;
	}
	for (i = 0; i < l->n; i++) {
		struct agent *ag = &l->a[i];

		if (pfd[i].fd < 0 ||
		    (!pfd[i].revents && (ag->silent || !mp_conn_ready(&ag->c))))
			continue;
		if (mp_conn_want_write(&ag->c) && mp_conn_flush(&ag->c, &err) < 0)
			goto dead;
		if (ag->silent)
			continue;
		/*
		 * A bounded number per round: with thousands of agents behind
		 * on their reading, one round must still end soon enough for
		 * every agent's keepalive to go out in time.
		 */
		for (k = 0; k < 64 && (r = mp_conn_recv(&ag->c, &m, &err)) > 0; k++)
			note_msg(l, ag, &m);
		if (k == 64)
			r = 0;
		if (r < 0)
			goto dead;
		continue;
dead:
		ag->dead = true;
		mp_conn_close(&ag->c);
	}
	free(pfd);
	return 0;
}

static unsigned int count(const struct load *l, bool (*pred)(const struct agent *))
{
	unsigned int i, k = 0;

	for (i = 0; i < l->n; i++)
		k += pred(&l->a[i]);
	return k;
}

static bool is_dead(const struct agent *a) { return a->dead; }

/* Registration: --parallel threads, each taking the next agent. */
struct reg {
	struct load *l;
	const char *coord;
	const char *authkey;
	const uint8_t *server_pub;
	atomic_uint next, done, retries;
	atomic_bool failed;
};

static void *reg_worker(void *arg)
{
	struct reg *rg = arg;
	unsigned int i, tries;

	while (!atomic_load(&rg->failed) &&
	       (i = atomic_fetch_add(&rg->next, 1)) < rg->l->n) {
		struct agent *ag = &rg->l->a[i];
		struct mp_client_cfg cfg = {
			.server = rg->coord, .server_pub = rg->server_pub,
			.node_priv = ag->priv, .authkey = rg->authkey,
			.timeout_ms = 60000,
		};
		struct mp_candidate cand;
		struct mp_welcome w;
		struct mp_err err;
		char name[32];

		snprintf(name, sizeof(name), "load-%u", i);
		cfg.name = name;
		/* as meshd would: a transport failure is retried (3 times) */
		for (tries = 0; mp_client_connect(&ag->c, &cfg, &w, &err); tries++) {
			if (err.code != MP_ERR_NONE || tries == 3)
				break;
			atomic_fetch_add(&rg->retries, 1);
		}
		if (ag->c.fd < 0) {
			fprintf(stderr, "meshcoord-load: agent %u: %s\n", i, err.msg);
			atomic_store(&rg->failed, true);
			break;
		}
		fake_candidate(&cand, i, 40000);
		mp_send_candidates(&ag->c, &cand, 1, false, &err);
		mp_conn_flush(&ag->c, &err);
		ag->next_ping = now_ms() + PING_EVERY_MS;
		atomic_store_explicit(&ag->ready, true, memory_order_release);
		atomic_fetch_add(&rg->done, 1);
	}
	return NULL;
}
static bool is_waiting_sync(const struct agent *a)
{
	return !a->dead && !a->silent && !a->synced;
}

static void print_mem(int pid)
{
	char path[64], line[256];
	FILE *f;

	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f) {
		printf("memory: cannot read %s: %s\n", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6) || !strncmp(line, "VmHWM:", 6))
			printf("memory: meshcoord %s", line);
	fclose(f);
	/* its CPU time so far (utime, stime: fields 14 and 15 of stat) */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f)) {
		const char *p = strrchr(line, ')');
		unsigned long ut = 0, st = 0;
		long hz = sysconf(_SC_CLK_TCK);

		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&ut, &st) == 2 && hz > 0)
			printf("cpu: meshcoord %.2f s user, %.2f s system so far\n",
			       (double)ut / hz, (double)st / hz);
	}
	if (f)
		fclose(f);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *coord = NULL, *ckey = NULL, *authkey = NULL;
	unsigned int n = 1000, rounds = 5, silent = 0, par = 1, i, r;
	uint8_t server_pub[MP_KEY_LEN];
	struct rlimit rl;
	struct load l;
	int64_t t0, t1, *push;
	int pid = 0, rc = 1;

	for (i = 1; i < (unsigned int)argc; i++) {
		const char *o = argv[i], *v = i + 1 < (unsigned int)argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "meshcoord-load: %s needs a value\n", o);
			return 2;
		}
		i++;
		if (!strcmp(o, "--coord"))
			coord = v;
		else if (!strcmp(o, "--coord-key"))
			ckey = v;
		else if (!strcmp(o, "--authkey"))
			authkey = v;
		else if (!strcmp(o, "--agents"))
			n = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--rounds"))
			rounds = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--silent"))
			silent = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--parallel"))
			par = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--pid"))
			pid = atoi(v);
		else {
			fprintf(stderr, "meshcoord-load: unknown option %s\n", o);
			usage(stderr);
			return 2;
		}
	}
	if (!coord || !ckey || !authkey || n < 2 || n > 100000 || silent >= n - 1 ||
	    !rounds || rounds > 100 || !par || par > 256) {
		usage(stderr);
		return 2;
	}
	if (mp_init()) {
		fprintf(stderr, "meshcoord-load: libsodium init failed\n");
		return 1;
	}
	if (sodium_base642bin(server_pub, sizeof(server_pub), ckey, strlen(ckey), NULL,
			      NULL, NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    strlen(ckey) != 44) {
		fprintf(stderr, "meshcoord-load: --coord-key: not a base64 public key\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
		rl.rlim_cur = rl.rlim_max < n + 64 ? rl.rlim_max : n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < n + 64) {
			fprintf(stderr, "meshcoord-load: open file limit %lu too low for %u agents (ulimit -n)\n",
				(unsigned long)rl.rlim_cur, n);
			return 1;
		}
	}

	memset(&l, 0, sizeof(l));
	l.n = 0;
	l.a = calloc(n, sizeof(*l.a));
	push = calloc(rounds, sizeof(*push));
	if (!l.a || !push) {
		fprintf(stderr, "meshcoord-load: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		randombytes_buf(l.a[i].priv, MP_KEY_LEN);
		crypto_scalarmult_curve25519_base(l.a[i].pub, l.a[i].priv);
		l.a[i].c.fd = -1;
	}

	printf("agents: %u against %s%s, %u registering at a time\n", n, coord,
	       silent ? "" : " (all reading)", par);
	fflush(stdout);
	l.n = n;
	t0 = now_ms();
	{
		struct reg rg = { .l = &l, .coord = coord, .authkey = authkey,
				  .server_pub = server_pub };
		pthread_t *th = calloc(par, sizeof(*th));
		unsigned int started = 0;
		bool bad = false;

		for (i = 0; th && i < par; i++)
			started += pthread_create(&th[i], NULL, reg_worker, &rg) == 0;
		if (!started)
			atomic_store(&rg.failed, true);
		/* meanwhile the registered agents read what the service pushes */
		while (atomic_load(&rg.done) < n && !atomic_load(&rg.failed) && !bad)
			bad = pump(&l, 20) != 0;
		atomic_store(&rg.failed, atomic_load(&rg.failed) || bad);
		for (i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		free(th);
		if (atomic_load(&rg.retries))
			printf("connect: %u registration attempts failed and were retried\n",
			       atomic_load(&rg.retries));
		if (atomic_load(&rg.failed))
			goto out;
	}
	t1 = now_ms();
	printf("connect: %u agents registered in %lld ms (%.2f ms each)\n", n,
	       (long long)(t1 - t0), (double)(t1 - t0) / n);
	print_mem(pid);

	/* Settle: everyone has its initial list, then quiet for 1 s. */
	while (count(&l, is_waiting_sync) && now_ms() - t1 < 120000)
		if (pump(&l, 100))
			goto out;
	{
		unsigned long before;

		do {
			before = l.msgs;
			for (t0 = now_ms(); now_ms() - t0 < 1000;)
				if (pump(&l, 100))
					goto out;
		} while (l.msgs != before && now_ms() - t1 < 180000);
	}
	printf("settle: quiet %lld ms after the last registration; received %lu PEER, %lu PUNCH, %lu other (not PONG); %u connections closed by the service\n",
	       (long long)(now_ms() - t1), l.by_type[MP_PEER], l.by_type[MP_PUNCH],
	       l.msgs - l.by_type[MP_PEER] - l.by_type[MP_PUNCH], count(&l, is_dead));
	print_mem(pid);

	for (i = 1; i <= silent; i++)
		l.a[i].silent = true;
	if (silent)
		printf("slow: agents 1..%u stop reading from now on\n", silent);

	memcpy(l.target, l.a[0].pub, MP_KEY_LEN);
	for (r = 0; r < rounds; r++) {
		unsigned int expect = 0;
		struct mp_candidate cand;
		struct mp_err err;

		for (i = 1; i < n; i++) {
			l.a[i].got_update = false;
			expect += !l.a[i].dead && !l.a[i].silent;
		}
		l.updated = 0;
		l.want_port = 41000 + r;
		fake_candidate(&cand, 0, l.want_port);
		t0 = now_ms();
		if (mp_send_candidates(&l.a[0].c, &cand, 1, false, &err)) {
			fprintf(stderr, "meshcoord-load: send: %s\n", err.msg);
			goto out;
		}
		while (l.updated < expect && now_ms() - t0 < 30000)
			if (pump(&l, 50))
				goto out;
		push[r] = now_ms() - t0;
		printf("push %u: candidate change reached %u/%u agents in %lld ms\n", r + 1,
		       l.updated, expect, (long long)push[r]);
		if (l.updated < expect)
			push[r] = -1;
		/* let keepalives and stragglers drain between rounds */
		for (t0 = now_ms(); now_ms() - t0 < 300;)
			if (pump(&l, 50))
				goto out;
	}
	qsort(push, rounds, sizeof(*push), cmp_i64);
	for (i = 0; i < rounds && push[i] < 0; i++)
		;
	if (i < rounds)
		printf("push: one change to all %u other agents: median %lld ms (min %lld, max %lld, n %u)\n",
		       n - 1 - silent, (long long)push[i + (rounds - i - 1) / 2],
		       (long long)push[i], (long long)push[rounds - 1], rounds - i);
	else
		printf("push: no round reached every agent\n");
	print_mem(pid);
	printf("closed by the service: %u of %u connections (silent ones: %u)\n",
	       count(&l, is_dead), n, silent);
	rc = 0;
out:
	for (i = 0; i < l.n; i++)
		if (!l.a[i].dead && l.a[i].c.fd >= 0)
			mp_conn_close(&l.a[i].c);
	sodium_memzero(l.a, n * sizeof(*l.a));
	free(l.a);
	free(push);
	return rc;
}
