// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshcoord end to end, without a VM: the real binary on 127.0.0.1
 * ephemeral ports in a temp state directory, fake agents built on
 * libmeshproto.  Every wait polls with a deadline; nothing sleeps.
 */
#include "kselftest_harness.h"
#include "coord_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "proto.h"
#include "relay.h"
#include "stun.h"

#ifndef MESHCOORD_BIN
#error "MESHCOORD_BIN must name the meshcoord binary"
#endif

#define WAIT_MS 5000		/* generous: only a failure waits this long */
#define MAX_PEERS 8

struct svc {
	char dir[64];
	pid_t pid;
	char listen[128], stun[128], stun2[128], relay[8192];
	uint8_t pub[32];
};

struct peer_view {
	struct mp_peer p;
	bool present, removed;
};

struct agent {
	char name[32];
	uint8_t priv[32], pub[32];
	struct mp_conn c;
	bool up, synced;
	struct mp_welcome w;
	struct peer_view peers[MAX_PEERS];
	int npeers;
	int punches;
	struct mp_punch punch;	/* the last one */
	int no_punches;
	struct mp_no_punch no_punch;	/* the last one */
	int relays, relays_removed;
	struct mp_relay relay;		/* the last RELAY */
	struct mp_relay_removed relay_removed;	/* the last RELAY_REMOVED */
	uint16_t error;		/* last MP_ERROR code */
	uint64_t last_pong;
};

static const char *bin(void)
{
	const char *b = getenv("MESHCOORD_BIN");

	return b && *b ? b : MESHCOORD_BIN;
}

/* Run "meshcoord --state DIR ARGS", first line of stdout into out. */
static int admin(const struct svc *s, const char *args, char *out, size_t len)
{
	char cmd[512];
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%s --state %s %s 2>>%s/admin.log", bin(),
		 s->dir, args, s->dir);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (out) {
		out[0] = '\0';
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
	}
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool read_addr_file(struct svc *s)
{
	char path[128], line[8192];
	FILE *f;
	bool ok = false;

	snprintf(path, sizeof(path), "%s/meshcoord.addr", s->dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "listen ", 7)) {
			snprintf(s->listen, sizeof(s->listen), "%.127s", line + 7);
			ok = true;
		} else if (!strncmp(line, "stun ", 5)) {
			snprintf(s->stun, sizeof(s->stun), "%.127s", line + 5);
		} else if (!strncmp(line, "stun2 ", 6)) {
			snprintf(s->stun2, sizeof(s->stun2), "%.127s", line + 6);
		} else if (!strncmp(line, "relay ", 6)) {
			snprintf(s->relay, sizeof(s->relay), "%s", line + 6);
		}
	}
	fclose(f);
	return ok;
}

static int svc_start(struct svc *s)
{
	char path[128];
	int64_t dl = ct_now_ms() + 10000;
	int st;

	snprintf(path, sizeof(path), "%s/meshcoord.addr", s->dir);
	unlink(path);
	s->listen[0] = s->stun[0] = s->stun2[0] = s->relay[0] = '\0';
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(path, sizeof(path), "%s/service.log", s->dir);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin(), "meshcoord", "--state", s->dir, "--listen",
		      "127.0.0.1:0", "--stun", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	while (ct_now_ms() < dl) {
		if (read_addr_file(s))
			return 0;
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		poll(NULL, 0, 10);
	}
	return -1;
}

static int svc_stop(struct svc *s)
{
	int st = 0;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, SIGTERM);
	waitpid(s->pid, &st, 0);
	s->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Lines of the service log containing needle. */
static int log_count(const struct svc *s, const char *needle)
{
	char path[128], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/service.log", s->dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void agent_init(struct agent *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	ct_keypair(a->priv, a->pub);
	a->c.fd = -1;
}

static void agent_reset_view(struct agent *a)
{
	memset(a->peers, 0, sizeof(a->peers));
	a->npeers = 0;
	a->punches = 0;
	a->no_punches = 0;
	a->relays = a->relays_removed = 0;
	a->synced = false;
	a->error = 0;
}

/* Connect saying HELLO version `version` first (0: the newest). */
static int agent_connect_v(struct agent *a, const struct svc *s,
			   const char *authkey, uint8_t version,
			   struct mp_err *err)
{
	struct mp_client_cfg cfg = {
		.server = s->listen, .server_pub = s->pub,
		.node_priv = a->priv, .name = a->name, .authkey = authkey,
		.timeout_ms = WAIT_MS, .version = version,
	};

	agent_reset_view(a);
	if (mp_client_connect(&a->c, &cfg, &a->w, err))
		return -1;
	a->up = true;
	return 0;
}

static int agent_connect(struct agent *a, const struct svc *s,
			 const char *authkey, struct mp_err *err)
{
	return agent_connect_v(a, s, authkey, 0, err);
}

static void agent_close(struct agent *a)
{
	if (a->c.fd >= 0)
		mp_conn_close(&a->c);
	a->up = false;
}

static struct peer_view *view_of(struct agent *a, const uint8_t *key)
{
	int i;

	for (i = 0; i < a->npeers; i++)
		if (!memcmp(a->peers[i].p.pubkey, key, 32))
			return &a->peers[i];
	if (a->npeers == MAX_PEERS)
		abort();
	memset(&a->peers[a->npeers], 0, sizeof(a->peers[0]));
	memcpy(a->peers[a->npeers].p.pubkey, key, 32);
	return &a->peers[a->npeers++];
}

static void agent_handle(struct agent *a, const struct mp_msg *m)
{
	struct peer_view *v;

	switch (m->type) {
	case MP_PEER:
		v = view_of(a, m->u.peer.pubkey);
		v->p = m->u.peer;
		v->present = true;
		v->removed = false;
		break;
	case MP_PEER_REMOVED:
		v = view_of(a, m->u.removed);
		v->present = false;
		v->removed = true;
		break;
	case MP_PUNCH:
		a->punches++;
		a->punch = m->u.punch;
		break;
	case MP_NO_PUNCH:
		a->no_punches++;
		a->no_punch = m->u.no_punch;
		break;
	case MP_RELAY:
		a->relays++;
		a->relay = m->u.relay;
		break;
	case MP_RELAY_REMOVED:
		a->relays_removed++;
		a->relay_removed = m->u.relay_removed;
		break;
	case MP_SYNC_END:
		a->synced = true;
		break;
	case MP_ERROR:
		a->error = m->u.error.code;
		break;
	case MP_PONG:
		a->last_pong = m->u.token;
		break;
	default:
		break;
	}
}

/* One round: wait up to ms for any agent's socket, then drain all. */
static void pump(struct agent **ag, int n, int ms)
{
	struct pollfd p[8];
	struct mp_msg m;
	struct mp_err e;
	int i, np = 0;

	for (i = 0; i < n; i++) {
		if (!ag[i]->up)
			continue;
		p[np].fd = ag[i]->c.fd;
		p[np].events = POLLIN | (mp_conn_want_write(&ag[i]->c) ? POLLOUT : 0);
		np++;
	}
	poll(p, (nfds_t)np, ms);
	for (i = 0; i < n; i++) {
		int r;

		if (!ag[i]->up)
			continue;
		while ((r = mp_conn_recv(&ag[i]->c, &m, &e)) == 1)
			agent_handle(ag[i], &m);
		if (r == 0 && mp_conn_flush(&ag[i]->c, &e) >= 0)
			continue;
		agent_close(ag[i]);	/* EOF or error: the service closed */
	}
}

#define WAIT_UNTIL(ag, n, ms, cond) ({					\
	int64_t _dl = ct_now_ms() + (ms);				\
	bool _ok;							\
	while (!(_ok = (cond)) && ct_now_ms() < _dl)			\
		pump((ag), (n), 20);					\
	_ok;								\
})

/* Ping and wait for the pong: everything sent before was processed. */
static bool agent_sync(struct agent **ag, int n, struct agent *a, uint64_t tok)
{
	struct mp_err e;

	if (mp_send_ping(&a->c, tok, &e) || mp_conn_flush(&a->c, &e) < 0)
		return false;
	return WAIT_UNTIL(ag, n, WAIT_MS, a->last_pong == tok);
}

static bool has_peer_with(struct agent *a, const struct agent *b, bool online,
			  const struct mp_candidate *cand)
{
	struct peer_view *v = view_of(a, b->pub);

	if (!v->present || v->p.online != online)
		return false;
	if (!cand)
		return true;
	return v->p.cand.n == 1 && mp_candidate_equal(&v->p.cand.c[0], cand);
}

static bool punched_towards(const struct agent *a, const struct agent *b,
			    const struct mp_candidate *cand)
{
	return a->punches > 0 && !memcmp(a->punch.pubkey, b->pub, 32) &&
	       a->punch.cand.n == 1 &&
	       mp_candidate_equal(&a->punch.cand.c[0], cand);
}

FIXTURE(coord) {
	struct svc s;
	struct agent a, b;
	struct agent *ag[2];
	char key_a[128], key_b[128];
	struct mp_candidate ca, cb;
};

FIXTURE_SETUP(coord)
{
	char pub[128];

	ASSERT_EQ(0, mp_init());
	memset(&self->s, 0, sizeof(self->s));
	ASSERT_TRUE(ct_tmpdir(self->s.dir));
	ASSERT_EQ(0, svc_start(&self->s)) TH_LOG("meshcoord did not start (%s)", bin());
	ASSERT_EQ(0, admin(&self->s, "pubkey", pub, sizeof(pub)));
	ASSERT_EQ(0, sodium_base642bin(self->s.pub, 32, pub, strlen(pub), NULL,
				       NULL, NULL, sodium_base64_VARIANT_ORIGINAL));
	ASSERT_EQ(0, admin(&self->s, "authkey create", self->key_a, sizeof(self->key_a)));
	ASSERT_EQ(0, admin(&self->s, "authkey create --expires 1h", self->key_b,
			   sizeof(self->key_b)));
	EXPECT_STRNE(self->key_a, self->key_b);
	agent_init(&self->a, "alpha");
	agent_init(&self->b, "bravo");
	self->ag[0] = &self->a;
	self->ag[1] = &self->b;
	mp_candidate_parse(&self->ca, "192.0.2.1:1001");
	mp_candidate_parse(&self->cb, "198.51.100.2:2002");
}

/* The service log as TAP comments (on failure, or with COORD_TEST_LOG=1). */
static void dump_log(const struct svc *s)
{
	char path[128], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/service.log", s->dir);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "# service: %s", line);
	fclose(f);
}

FIXTURE_TEARDOWN(coord)
{
	if (!_metadata->passed || getenv("COORD_TEST_LOG"))
		dump_log(&self->s);
	agent_close(&self->a);
	agent_close(&self->b);
	if (self->s.pid > 0)
		svc_stop(&self->s);
	ct_rmdir(self->s.dir);
}

/*
 * Both agents joined, synced, with one candidate each.  No PUNCH: a pair
 * gets one only when an agent reports it has no live path (issue 16).
 */
static bool join_both(struct __test_metadata *_metadata,
		      FIXTURE_DATA(coord) *self)
{
	struct mp_err e;

	if (agent_connect(&self->a, &self->s, self->key_a, &e)) {
		TH_LOG("alpha: %s", e.msg);
		return false;
	}
	if (!WAIT_UNTIL(self->ag, 2, WAIT_MS, self->a.synced))
		return false;
	if (mp_send_candidates(&self->a.c, &self->ca, 1, false, &e) ||
	    !agent_sync(self->ag, 2, &self->a, 1))
		return false;
	if (agent_connect(&self->b, &self->s, self->key_b, &e)) {
		TH_LOG("bravo: %s", e.msg);
		return false;
	}
	if (mp_send_candidates(&self->b.c, &self->cb, 1, false, &e))
		return false;
	return WAIT_UNTIL(self->ag, 2, WAIT_MS,
			  self->b.synced &&
			  has_peer_with(&self->a, &self->b, true, &self->cb) &&
			  has_peer_with(&self->b, &self->a, true, &self->ca));
}

TEST_F_TIMEOUT(coord, join_peers_punch_restart_remove, 90)
{
	struct mp_welcome wa, wb;
	struct peer_view *v;
	struct mp_err e;
	char out[256], reusable[128];
	int64_t t0;

	ASSERT_TRUE(join_both(_metadata, self));
	/* joining punched nobody: the agents did not ask */
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 100));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->b, 101));
	EXPECT_EQ(0, self->a.punches);
	EXPECT_EQ(0, self->b.punches);
	wa = self->a.w;
	wb = self->b.w;
	/* overlay addresses: 100.64.0.0/10 and the ULA /48, distinct */
	EXPECT_EQ(100, wa.addr4[0]);
	EXPECT_EQ(64, wa.addr4[1] & 0xc0);
	EXPECT_EQ(10, wa.plen4);
	EXPECT_EQ(48, wa.plen6);
	EXPECT_EQ(0xfd, wa.addr6[0]);
	EXPECT_EQ(0, memcmp(wa.addr6, wb.addr6, 6));
	EXPECT_NE(0, memcmp(wa.addr4, wb.addr4, 4));
	EXPECT_STREQ("alpha", wa.name);
	EXPECT_STREQ("bravo", wb.name);
	/* each side's view of the other matches what the other was told */
	v = view_of(&self->a, self->b.pub);
	EXPECT_EQ(0, memcmp(v->p.addr4, wb.addr4, 4));
	EXPECT_EQ(0, memcmp(v->p.addr6, wb.addr6, 16));
	EXPECT_STREQ("bravo", v->p.name);
	v = view_of(&self->b, self->a.pub);
	EXPECT_EQ(0, memcmp(v->p.addr4, wa.addr4, 4));
	EXPECT_STREQ("alpha", v->p.name);
	/* nobody is told about itself */
	EXPECT_FALSE(view_of(&self->a, self->a.pub)->present);

	/* the admin view */
	ASSERT_EQ(0, admin(&self->s, "nodes", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "NAME"));

	/* candidates change: the other side is told (PEER), no PUNCH */
	{
		struct mp_candidate nc;
		int pa = self->a.punches, pb = self->b.punches;

		mp_candidate_parse(&nc, "[2001:db8::2]:2003");
		ASSERT_EQ(0, mp_send_candidates(&self->b.c, &nc, 1, false, &e));
		ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
				       has_peer_with(&self->a, &self->b, true, &nc)));
		ASSERT_TRUE(agent_sync(self->ag, 2, &self->b, 102));
		EXPECT_EQ(pa, self->a.punches);
		EXPECT_EQ(pb, self->b.punches);
		self->cb = nc;
	}

	/* alpha reports no live path to bravo: both get a PUNCH */
	{
		int pa = self->a.punches, pb = self->b.punches;

		ASSERT_EQ(0, mp_send_punch_request(&self->a.c, self->b.pub, &e));
		ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
				       self->a.punches == pa + 1 && self->b.punches == pb + 1 &&
				       punched_towards(&self->a, &self->b, &self->cb) &&
				       punched_towards(&self->b, &self->a, &self->ca)));
		/* about an unknown key: nothing, and the connection stays up */
		ASSERT_EQ(0, mp_send_punch_request(&self->a.c, self->a.pub, &e));
		ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 3));
		EXPECT_EQ(pa + 1, self->a.punches);
	}

	/*
	 * unusable and duplicate candidates are dropped before anyone sees
	 * them; so are those that aim peers' probes at their own host or link
	 * (issue 16: 127.0.0.1:22 reached every peer)
	 */
	{
		static const char *const bad[] = {
			"0.0.0.0:5", "224.0.0.1:5", "127.0.0.1:22", "127.1.2.3:80",
			"169.254.1.1:5", "255.255.255.255:5", "240.0.0.1:5",
			"[::1]:22", "[::]:5", "[fe80::1]:5", "[ff02::1]:5",
			"[::ffff:127.0.0.1]:22", "[::127.0.0.1]:22", "[fec0::1]:5",
		};
		struct mp_candidate cc[16];
		unsigned int k, nb = sizeof(bad) / sizeof(bad[0]);

		for (k = 0; k < nb; k++)
			ASSERT_EQ(0, mp_candidate_parse(&cc[k], bad[k]));
		cc[nb] = self->ca;
		cc[nb + 1] = self->ca;
		ASSERT_EQ(0, mp_send_candidates(&self->a.c, cc, nb + 2, false, &e));
		ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 4));
		ASSERT_TRUE(agent_sync(self->ag, 2, &self->b, 5));
		EXPECT_TRUE(has_peer_with(&self->b, &self->a, true, &self->ca));
	}

	/* bravo leaves: alpha sees it offline; rejoins with its key only */
	agent_close(&self->b);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       has_peer_with(&self->a, &self->b, false, NULL)));
	ASSERT_EQ(0, agent_connect(&self->b, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, memcmp(self->b.w.addr4, wb.addr4, 4));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       self->b.synced &&
			       has_peer_with(&self->a, &self->b, true, &self->cb) &&
			       has_peer_with(&self->b, &self->a, true, &self->ca)));

	/* restart: both reconnect without auth keys, same addresses */
	ASSERT_EQ(0, svc_stop(&self->s));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, !self->a.up && !self->b.up));
	ASSERT_EQ(0, svc_start(&self->s));
	ASSERT_EQ(0, agent_connect(&self->a, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(0, agent_connect(&self->b, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, memcmp(self->a.w.addr4, wa.addr4, 4));
	EXPECT_EQ(0, memcmp(self->a.w.addr6, wa.addr6, 16));
	EXPECT_EQ(0, memcmp(self->b.w.addr4, wb.addr4, 4));
	EXPECT_EQ(0, memcmp(self->b.w.addr6, wb.addr6, 16));
	/* persisted candidates come back with the peer list */
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       self->a.synced && self->b.synced &&
			       has_peer_with(&self->a, &self->b, true, &self->cb) &&
			       has_peer_with(&self->b, &self->a, true, &self->ca)));

	/* removal by the admin while running: alpha is told within 1 s */
	ASSERT_EQ(0, admin(&self->s, "authkey create --reusable", reusable,
			   sizeof(reusable)));
	ASSERT_EQ(0, admin(&self->s, "remove bravo", out, sizeof(out)));
	t0 = ct_now_ms();
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, 1000, view_of(&self->a, self->b.pub)->removed))
		TH_LOG("no PEER_REMOVED after %lld ms", (long long)(ct_now_ms() - t0));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, !self->b.up));
	EXPECT_EQ(MP_ERR_REMOVED, self->b.error);
	/* alpha is unaffected */
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->a, 77));
	/* a removed node needs an auth key, and one older than the removal
	 * (a reusable key left in its configuration) does not do */
	EXPECT_EQ(-1, agent_connect(&self->b, &self->s, NULL, &e));
	EXPECT_EQ(MP_ERR_AUTH, e.code);
	EXPECT_EQ(-1, agent_connect(&self->b, &self->s, reusable, &e));
	EXPECT_EQ(MP_ERR_REMOVED, e.code);
	EXPECT_FALSE(view_of(&self->a, self->b.pub)->present);
	/* a key created after the removal re-admits bravo, same addresses */
	ASSERT_EQ(0, admin(&self->s, "authkey create", self->key_b, sizeof(self->key_b)));
	ASSERT_EQ(0, agent_connect(&self->b, &self->s, self->key_b, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, memcmp(self->b.w.addr4, wb.addr4, 4));
	EXPECT_EQ(0, memcmp(self->b.w.addr6, wb.addr6, 16));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       has_peer_with(&self->a, &self->b, true, NULL)));
	/* removing an unknown node fails */
	EXPECT_EQ(1, admin(&self->s, "remove charlie", NULL, 0));
}

/* A raw TCP connection to the service. */
static int raw_connect(const struct svc *s, char who[MP_CAND_STRLEN])
{
	struct mp_candidate c;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (mp_candidate_parse(&c, s->listen))
		return -1;
	sl = mp_candidate_to_sockaddr(&c, &ss);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	mp_candidate_from_sockaddr(&c, (struct sockaddr *)&ss);
	mp_candidate_format(&c, who);
	return fd;
}

/* Open descriptors of a process. */
static int fd_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Wait until the service closes fd (read returns 0 or an error). */
static bool closed_by_peer(int fd, int ms)
{
	int64_t dl = ct_now_ms() + ms;
	char buf[256];

	while (ct_now_ms() < dl) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return true;
	}
	return false;
}

TEST_F_TIMEOUT(coord, hostile_input_closes_only_that_connection, 60)
{
	uint8_t junk[MP_HS1_LEN + 4] = { 0, 0, 0, MP_HS1_LEN };
	uint8_t huge[4] = { 0x7f, 0xff, 0xff, 0xff };
	char who[4][MP_CAND_STRLEN], line[128];
	struct agent stranger;
	uint8_t wrong[32], wrong_priv[32];
	struct svc fake;
	struct mp_err e;
	int fd[4], silent[8], i, fds;

	ASSERT_TRUE(join_both(_metadata, self));
	fds = fd_count(self->s.pid);
	ASSERT_LT(0, fds);
	/* idle connections that never speak, and one half frame */
	for (i = 0; i < 8; i++)
		ASSERT_LE(0, silent[i] = raw_connect(&self->s, who[0]));
	ASSERT_EQ(2, write(silent[7], junk, 2));
	/* 1: a random handshake message */
	ASSERT_LE(0, fd[0] = raw_connect(&self->s, who[0]));
	randombytes_buf(junk + 4, MP_HS1_LEN);
	ASSERT_EQ((ssize_t)sizeof(junk), write(fd[0], junk, sizeof(junk)));
	/* 2: an oversized length */
	ASSERT_LE(0, fd[1] = raw_connect(&self->s, who[1]));
	ASSERT_EQ(4, write(fd[1], huge, 4));
	/* 3: a handshake message of the wrong size */
	ASSERT_LE(0, fd[2] = raw_connect(&self->s, who[2]));
	junk[3] = 10;
	ASSERT_EQ(14, write(fd[2], junk, 14));
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(closed_by_peer(fd[i], WAIT_MS)) TH_LOG("conn %d not closed", i);
	/* the agents did not notice: pushes and pings still flow */
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->a, 5));
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->b, 6));
	EXPECT_TRUE(self->a.up && self->b.up);
	/* one log line per hostile connection */
	for (i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "%s: closed:", who[i]);
		EXPECT_EQ(1, log_count(&self->s, line)) TH_LOG("%s", line);
		close(fd[i]);
	}

	/* a burst of candidate changes: rate-limited, yet the last one arrives */
	{
		struct mp_candidate nc;
		char txt[64];

		for (i = 1; i <= 20; i++) {
			snprintf(txt, sizeof(txt), "203.0.113.%d:%d", i, 4000 + i);
			mp_candidate_parse(&nc, txt);
			ASSERT_EQ(0, mp_send_candidates(&self->b.c, &nc, 1, false, &e));
		}
		ASSERT_LE(0, mp_conn_flush(&self->b.c, &e));
		EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, 4 * WAIT_MS,
				       has_peer_with(&self->a, &self->b, true, &nc)));
	}

	/* a stranger with no auth key is refused with MP_ERR_AUTH */
	agent_init(&stranger, "stranger");
	EXPECT_EQ(-1, agent_connect(&stranger, &self->s, NULL, &e));
	EXPECT_EQ(MP_ERR_AUTH, e.code);
	EXPECT_EQ(-1, agent_connect(&stranger, &self->s, "wgmk-00", &e));
	EXPECT_EQ(MP_ERR_AUTH, e.code);
	/* an agent pinning the wrong service key gets nowhere */
	fake = self->s;
	ct_keypair(wrong_priv, wrong);
	memcpy(fake.pub, wrong, 32);
	EXPECT_EQ(-1, agent_connect(&stranger, &fake, self->key_a, &e));
	/* the silent connections never held anyone up ... */
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->a, 7));
	/* ... and the service drops them after its handshake timeout */
	for (i = 0; i < 8; i++) {
		EXPECT_TRUE(closed_by_peer(silent[i], 3 * WAIT_MS)) TH_LOG("silent %d", i);
		close(silent[i]);
	}
	EXPECT_LE(1, log_count(&self->s, "closed: handshake timeout"));
	/* nothing leaked: the service is back to its descriptors before */
	EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, fd_count(self->s.pid) == fds))
		TH_LOG("%d descriptors, %d before", fd_count(self->s.pid), fds);
}

TEST_F_TIMEOUT(coord, reconnect_replaces_the_old_connection, 60)
{
	struct agent again;
	struct mp_err e;

	ASSERT_TRUE(join_both(_metadata, self));
	/* alpha's key connects again while the old connection is up */
	again = self->a;
	memset(&again.c, 0, sizeof(again.c));
	again.c.fd = -1;
	ASSERT_EQ(0, agent_connect(&again, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, memcmp(again.w.addr4, self->a.w.addr4, 4));
	{
		struct agent *all[3] = { &self->a, &self->b, &again };

		ASSERT_TRUE(WAIT_UNTIL(all, 3, WAIT_MS, !self->a.up && again.synced));
		EXPECT_EQ(MP_ERR_REPLACED, self->a.error);
		/* bravo never saw alpha go offline */
		EXPECT_TRUE(agent_sync(all, 3, &self->b, 9));
		EXPECT_TRUE(has_peer_with(&self->b, &self->a, true, &self->ca));
		EXPECT_TRUE(agent_sync(all, 3, &again, 10));
	}
	agent_close(&again);
}

TEST_F_TIMEOUT(coord, a_client_that_never_reads_is_cut_off, 90)
{
	struct agent slow;
	struct mp_err e;
	char ak[128];
	uint64_t tok = 0, syncs = 0;
	int64_t dl, next_sync = 0;
	int r = 0;

	ASSERT_TRUE(join_both(_metadata, self));
	ASSERT_EQ(0, admin(&self->s, "authkey create", ak, sizeof(ak)));
	agent_init(&slow, "slow");
	ASSERT_EQ(0, agent_connect(&slow, &self->s, ak, &e)) TH_LOG("%s", e.msg);
	/*
	 * Ping as fast as possible and never read a pong: once the socket
	 * buffers are full the service's queue for us grows until its limit.
	 */
	dl = ct_now_ms() + 60000;
	while (r >= 0 && ct_now_ms() < dl) {
		struct pollfd p = { .fd = slow.c.fd, .events = POLLOUT };

		while (slow.c.wlen < 65536 && mp_send_ping(&slow.c, ++tok, &e) == 0)
			;
		r = mp_conn_flush(&slow.c, &e);
		if (r > 0)
			poll(&p, 1, 100);
		/* meanwhile alpha is served */
		if (ct_now_ms() >= next_sync) {
			ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 1000000 + ++syncs));
			next_sync = ct_now_ms() + 200;
		}
	}
	EXPECT_EQ(-1, r) TH_LOG("the service kept an unread connection (%llu pings, %zu queued)",
				(unsigned long long)tok, slow.c.wlen);
	EXPECT_EQ(1, log_count(&self->s, "send queue full"));
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->a, 1));
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->b, 2));
	/* alpha saw slow go offline */
	EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, has_peer_with(&self->a, &slow, false, NULL)));
	agent_close(&slow);
}

TEST_F(coord, stun_binding_over_udp)
{
	struct mp_candidate c;
	struct sockaddr_storage ss, local;
	struct sockaddr_in *l4 = (struct sockaddr_in *)&local;
	uint8_t txid[12], req[STUN_HDR_LEN], resp[256], junk[20] = { 0xff };
	uint8_t xm[6];
	size_t i;
	socklen_t sl, ll = sizeof(local);
	int fd, n = -1;
	int64_t dl;

	ASSERT_EQ(0, mp_candidate_parse(&c, self->s.stun));
	sl = mp_candidate_to_sockaddr(&c, &ss);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&ss, sl));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&local, &ll));
	/* garbage first, then a request: the first answer is the request's */
	ASSERT_EQ(20, send(fd, junk, sizeof(junk), 0));
	randombytes_buf(txid, sizeof(txid));
	memcpy(req, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);	/* Binding */
	memcpy(req + 8, txid, sizeof(txid));
	ASSERT_EQ(20, send(fd, req, sizeof(req), 0));
	dl = ct_now_ms() + WAIT_MS;
	while (n < 0 && ct_now_ms() < dl) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			n = (int)recv(fd, resp, sizeof(resp), 0);
	}
	ASSERT_LT(0, n);
	/* a success for our transaction with XOR-MAPPED-ADDRESS (IPv4) */
	ASSERT_EQ(32, n);
	EXPECT_EQ(0, memcmp(resp, "\x01\x01\x00\x0c\x21\x12\xa4\x42", 8));
	EXPECT_EQ(0, memcmp(resp + 8, txid, sizeof(txid)));
	EXPECT_EQ(0, memcmp(resp + 20, "\x00\x20\x00\x08\x00\x01", 6));
	for (i = 0; i < 6; i++)		/* port, address XOR the cookie */
		xm[i] = resp[26 + i] ^ resp[4 + (i < 2 ? i : i - 2)];
	EXPECT_EQ(0, memcmp(xm, &l4->sin_port, 2));
	EXPECT_EQ(0, memcmp(xm + 2, &l4->sin_addr, 4));
	close(fd);
}

/* issue 16 (fan-out): a punch asked for while the peer has no candidates
 * happens once it reports some */
TEST_F_TIMEOUT(coord, punch_waits_for_a_peer_without_candidates, 60)
{
	struct agent c;
	struct agent *all[3] = { &self->a, &self->b, &c };
	struct mp_candidate cc;
	struct mp_err e;
	char ak[128];

	ASSERT_TRUE(join_both(_metadata, self));
	ASSERT_EQ(0, admin(&self->s, "authkey create", ak, sizeof(ak)));
	agent_init(&c, "charlie");
	ASSERT_EQ(0, agent_connect(&c, &self->s, ak, &e)) TH_LOG("%s", e.msg);
	ASSERT_TRUE(WAIT_UNTIL(all, 3, WAIT_MS, c.synced &&
			       has_peer_with(&self->a, &c, true, NULL)));
	ASSERT_EQ(0, mp_send_punch_request(&self->a.c, c.pub, &e));
	ASSERT_TRUE(agent_sync(all, 3, &self->a, 200));
	EXPECT_EQ(0, self->a.punches);
	EXPECT_EQ(0, c.punches);
	mp_candidate_parse(&cc, "203.0.113.7:7007");
	ASSERT_EQ(0, mp_send_candidates(&c.c, &cc, 1, false, &e));
	ASSERT_TRUE(WAIT_UNTIL(all, 3, WAIT_MS,
			       punched_towards(&self->a, &c, &cc) &&
			       punched_towards(&c, &self->a, &self->ca)));
	/* bravo asked for nothing and got nothing */
	ASSERT_TRUE(agent_sync(all, 3, &self->b, 201));
	EXPECT_EQ(0, self->b.punches);
	agent_close(&c);
}

/* A TCP connection from a given local source address (127.0.0.x). */
static int raw_connect_from(const struct svc *s, const char *src)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct mp_candidate c;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (mp_candidate_parse(&c, s->listen))
		return -1;
	sl = mp_candidate_to_sockaddr(&c, &ss);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    connect(fd, (struct sockaddr *)&ss, sl)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The first frame the service sends on fd (before any handshake), or -1. */
static int first_frame(int fd, char *buf, size_t len)
{
	uint8_t hdr[4 + 64];
	size_t got = 0;
	int64_t dl = ct_now_ms() + WAIT_MS;

	while (ct_now_ms() < dl && got < sizeof(hdr)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(fd, hdr + got, sizeof(hdr) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < 4 || hdr[3] + 4u > got || hdr[3] >= len)
		return -1;
	memcpy(buf, hdr + 4, hdr[3]);
	buf[hdr[3]] = '\0';
	return hdr[3];
}

/*
 * issue 16: one client holding 128 idle pre-auth connections locked every
 * join and reconnect out, and each refusal was a log line.
 */
TEST_F_TIMEOUT(coord, pending_connections_are_limited_per_source, 90)
{
	enum { FLOOD = 200 };
	int fl[FLOOD], own[16], i, nfl = 0, lines;
	char note[64];
	struct mp_err e;
	int64_t t0, t1;

	ASSERT_TRUE(join_both(_metadata, self));
	agent_close(&self->b);
	t0 = ct_now_ms();
	for (i = 0; i < FLOOD; i++) {
		fl[i] = raw_connect_from(&self->s, "127.0.0.2");
		nfl += fl[i] >= 0;
	}
	ASSERT_EQ(FLOOD, nfl);
	/* the last ones were refused with the busy notice */
	ASSERT_LT(0, first_frame(fl[FLOOD - 1], note, sizeof(note)));
	EXPECT_STREQ(MP_BUSY_NOTICE, note);
	/* a registered node reconnects and a new one joins meanwhile */
	ASSERT_EQ(0, agent_connect(&self->b, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	{
		struct agent c;
		char ak[128];

		ASSERT_EQ(0, admin(&self->s, "authkey create", ak, sizeof(ak)));
		agent_init(&c, "charlie");
		ASSERT_EQ(0, agent_connect(&c, &self->s, ak, &e)) TH_LOG("%s", e.msg);
		agent_close(&c);
	}
	t1 = ct_now_ms();
	/* refusals log a line a second at most (and count the rest) */
	lines = log_count(&self->s, "refused:");
	EXPECT_LE(1, lines);
	EXPECT_GE(2 + (t1 - t0) / 1000, lines) TH_LOG("%d refusal lines in %lld ms",
						     lines, (long long)(t1 - t0));
	/* a client refused by its own source's limit is told why */
	for (i = 0; i < 16; i++)
		ASSERT_LE(0, own[i] = raw_connect_from(&self->s, "127.0.0.1"));
	{
		struct agent d;
		struct svc s2 = self->s;

		agent_init(&d, "delta");
		EXPECT_EQ(-1, agent_connect(&d, &s2, NULL, &e));
		EXPECT_NE(NULL, strstr(e.msg, "too many connections pending")) TH_LOG("%s", e.msg);
	}
	for (i = 0; i < 16; i++)
		close(own[i]);
	for (i = 0; i < FLOOD; i++)
		close(fl[i]);
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->a, 300));
}

/* issue 16: SO_REUSEADDR on the STUN socket let another socket share it */
TEST_F(coord, stun_port_cannot_be_shared)
{
	struct mp_candidate c;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	ASSERT_EQ(0, mp_candidate_parse(&c, self->s.stun));
	sl = mp_candidate_to_sockaddr(&c, &ss);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&ss, sl));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);
}

/*
 * Run meshcoord with args (NULL-terminated); its stdout+stderr into out.
 * Exit status, or -2 when it was still running after ms (then killed).
 */
static int run_coord(char *out, size_t len, int ms, uid_t uid, const char *arg0, ...)
{
	char path[] = "/tmp/wgm-coord-run-XXXXXX";
	const char *argv[24] = { "meshcoord", arg0 };
	va_list ap;
	int fd, st = 0, i = 2;
	int64_t dl = ct_now_ms() + ms;
	pid_t pid;
	ssize_t n;

	va_start(ap, arg0);
	while (i < 23 && (argv[i] = va_arg(ap, const char *)))
		i++;
	va_end(ap);
	argv[i] = NULL;
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 1);
		dup2(fd, 2);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(126);
		execv(bin(), (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (ct_now_ms() > dl) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = -2;
			break;
		}
		poll(NULL, 0, 20);
	}
	n = pread(fd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	if (st == -2)
		return -2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -3;
}

static bool node_online(const struct svc *s, const char *name)
{
	char out[4096], *l;

	if (run_coord(out, sizeof(out), WAIT_MS, 0, "--state", s->dir, "nodes", NULL))
		return false;
	for (l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
		if (!strncmp(l, name, strlen(name)) && l[strlen(name)] == ' ')
			return strstr(l, " online ") != NULL;
	return false;
}

/*
 * issue 16: a second service on the same state dir marked every node
 * offline before failing to bind; with another port it even ran.
 */
TEST_F_TIMEOUT(coord, a_second_service_on_the_same_state_changes_nothing, 60)
{
	char out[4096];
	int r;

	ASSERT_TRUE(join_both(_metadata, self));
	ASSERT_TRUE(node_online(&self->s, "alpha"));
	/* same port: refused, nothing marked offline */
	r = run_coord(out, sizeof(out), 3 * WAIT_MS, 0, "--state", self->s.dir,
		      "--listen", self->s.listen, "--stun", "none", NULL);
	EXPECT_EQ(1, r) TH_LOG("%s", out);
	EXPECT_TRUE(node_online(&self->s, "alpha"));
	/* another port: the state directory is locked */
	r = run_coord(out, sizeof(out), 3 * WAIT_MS, 0, "--state", self->s.dir,
		      "--listen", "127.0.0.1:0", "--stun", "none", NULL);
	EXPECT_EQ(1, r) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "in use by another meshcoord")) TH_LOG("%s", out);
	EXPECT_TRUE(node_online(&self->s, "alpha"));
	EXPECT_TRUE(node_online(&self->s, "bravo"));
	EXPECT_TRUE(agent_sync(self->ag, 2, &self->a, 400));
}

/* issue 16: ports out of range bound something else; option mistakes were silent */
TEST_F_TIMEOUT(coord, bad_addresses_and_options_are_refused, 60)
{
	static const char *const bad[] = {
		"127.0.0.1:99999", "[::1]:", "127.0.0.1:-1", "127.0.0.1:65536",
		"127.0.0.1:7x", "127.0.0.1", "::1:5",
	};
	char out[4096], dir[64], path[128];
	unsigned int i;
	int r;

	ASSERT_TRUE(ct_tmpdir(dir));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = run_coord(out, sizeof(out), 3 * WAIT_MS, 0, "--state", dir,
			      "--listen", bad[i], "--stun", "none", NULL);
		EXPECT_EQ(2, r) TH_LOG("--listen %s: %d: %s", bad[i], r, out);
		EXPECT_NE(NULL, strstr(out, bad[i])) TH_LOG("%s", out);
		r = run_coord(out, sizeof(out), 3 * WAIT_MS, 0, "--state", dir,
			      "--listen", "127.0.0.1:0", "--stun", bad[i], NULL);
		EXPECT_EQ(2, r) TH_LOG("--stun %s: %d: %s", bad[i], r, out);
	}
	r = run_coord(out, sizeof(out), WAIT_MS, 0, "--state", dir, "--listen",
		      "127.0.0.1:99999", NULL);
	EXPECT_NE(NULL, strstr(out, "port")) TH_LOG("%s", out);
	/* --reusable means nothing to pubkey */
	EXPECT_EQ(2, run_coord(out, sizeof(out), WAIT_MS, 0, "--state", dir,
			       "--reusable", "pubkey", NULL)) TH_LOG("%s", out);
	/* a file as state directory */
	snprintf(path, sizeof(path), "%s/file", dir);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	EXPECT_EQ(1, run_coord(out, sizeof(out), WAIT_MS, 0, "--state", path,
			       "nodes", NULL));
	EXPECT_NE(NULL, strstr(out, "not a directory")) TH_LOG("%s", out);
	EXPECT_EQ(1, run_coord(out, sizeof(out), 3 * WAIT_MS, 0, "--state", path,
			       "--listen", "127.0.0.1:0", "--stun", "none", NULL));
	EXPECT_NE(NULL, strstr(out, "not a directory")) TH_LOG("%s", out);
	/* a state directory every user may write to */
	snprintf(path, sizeof(path), "%s/open", dir);
	ASSERT_EQ(0, mkdir(path, 0700));
	ASSERT_EQ(0, chmod(path, 0777));
	EXPECT_EQ(1, run_coord(out, sizeof(out), WAIT_MS, 0, "--state", path,
			       "pubkey", NULL));
	EXPECT_NE(NULL, strstr(out, "writable by every user")) TH_LOG("%s", out);
	EXPECT_EQ(1, run_coord(out, sizeof(out), 3 * WAIT_MS, 0, "--state", path,
			       "--listen", "127.0.0.1:0", "--stun", "none", NULL));
	EXPECT_NE(NULL, strstr(out, "writable by every user")) TH_LOG("%s", out);
	rmdir(path);
	ct_rmdir(dir);
}

/* issue 16: SIGHUP killed the service with no log line and no teardown */
TEST_F_TIMEOUT(coord, sighup_is_a_clean_exit, 60)
{
	int st = 0;

	ASSERT_TRUE(join_both(_metadata, self));
	ASSERT_TRUE(node_online(&self->s, "alpha"));
	kill(self->s.pid, SIGHUP);
	waitpid(self->s.pid, &st, 0);
	self->s.pid = 0;
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) TH_LOG("status %#x", st);
	EXPECT_EQ(1, log_count(&self->s, "shutting down"));
	EXPECT_FALSE(node_online(&self->s, "alpha"));
	EXPECT_FALSE(node_online(&self->s, "bravo"));
}

/*
 * issue 16: while another process held the write lock each write stalled
 * the loop for 2 s and a join got "internal error".
 */
TEST_F_TIMEOUT(coord, a_locked_database_keeps_the_loop_going, 90)
{
	struct agent c;
	struct mp_err e;
	char path[128], ak[128];
	sqlite3 *db;
	int i;

	ASSERT_TRUE(join_both(_metadata, self));
	ASSERT_EQ(0, admin(&self->s, "authkey create", ak, sizeof(ak)));
	snprintf(path, sizeof(path), "%s/state.db", self->s.dir);
	ASSERT_EQ(SQLITE_OK, sqlite3_open(path, &db));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
	/* bravo goes: a write that meets the lock */
	agent_close(&self->b);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       has_peer_with(&self->a, &self->b, false, NULL)));
	/* a join needs the database: a clear "busy" */
	agent_init(&c, "charlie");
	EXPECT_EQ(-1, agent_connect(&c, &self->s, ak, &e));
	EXPECT_EQ(MP_ERR_NONE, e.code);
	EXPECT_NE(NULL, strstr(e.msg, "busy")) TH_LOG("%s", e.msg);
	for (i = 0; i < 5; i++)
		EXPECT_TRUE(agent_sync(self->ag, 2, &self->a, 500 + i));
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL));
	sqlite3_close(db);
	/* after the lock: the join works, the held writes land */
	ASSERT_EQ(0, agent_connect(&c, &self->s, ak, &e)) TH_LOG("%s", e.msg);
	agent_close(&c);
	{
		int64_t dl = ct_now_ms() + WAIT_MS;

		while ((node_online(&self->s, "bravo") ||
			log_count(&self->s, "writes caught up") < 1) && ct_now_ms() < dl)
			pump(self->ag, 2, 50);
	}
	EXPECT_FALSE(node_online(&self->s, "bravo"));
	EXPECT_TRUE(node_online(&self->s, "alpha"));
	EXPECT_LE(1, log_count(&self->s, "writes caught up"));
}

/* issue 16: "meshcoord nodes" as a read-only user ran the schema and failed */
TEST_F_TIMEOUT(coord, nodes_works_for_a_read_only_user, 60)
{
	char out[4096], path[128];
	struct stat before, after;
	static const char *const f[] = { "", "state.db", "state.db-wal", "state.db-shm" };
	unsigned int i;
	int r;

	ASSERT_TRUE(join_both(_metadata, self));
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", self->s.dir, f[i]);
		chmod(path, i ? 0644 : 0755);
	}
	/* with the service running ... */
	r = run_coord(out, sizeof(out), WAIT_MS, 65534, "--state", self->s.dir, "nodes", NULL);
	EXPECT_EQ(0, r) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "alpha")) TH_LOG("%s", out);
	/* ... and stopped (no -wal/-shm left) */
	ASSERT_EQ(0, svc_stop(&self->s));
	snprintf(path, sizeof(path), "%s/state.db", self->s.dir);
	chmod(path, 0644);
	ASSERT_EQ(0, stat(path, &before));
	r = run_coord(out, sizeof(out), WAIT_MS, 65534, "--state", self->s.dir, "nodes", NULL);
	EXPECT_EQ(0, r) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "bravo")) TH_LOG("%s", out);
	ASSERT_EQ(0, stat(path, &after));
	EXPECT_EQ(before.st_mtime, after.st_mtime);
	EXPECT_EQ(before.st_size, after.st_size);
}

/*
 * One Binding request to server ("ADDR:PORT") from fd; the XOR-MAPPED
 * address and port (network order, 6 bytes) into xm.  0 or -1.
 */
static int stun_ask(int fd, const char *server, uint8_t xm[6])
{
	struct sockaddr_storage ss;
	struct mp_candidate c;
	uint8_t txid[12], req[STUN_HDR_LEN], resp[256];
	int64_t dl = ct_now_ms() + WAIT_MS;
	socklen_t sl;
	size_t i;
	int n = -1;

	if (mp_candidate_parse(&c, server))
		return -1;
	sl = mp_candidate_to_sockaddr(&c, &ss);
	randombytes_buf(txid, sizeof(txid));
	memcpy(req, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);
	memcpy(req + 8, txid, sizeof(txid));
	if (sendto(fd, req, sizeof(req), 0, (struct sockaddr *)&ss, sl) != 20)
		return -1;
	while (n < 0 && ct_now_ms() < dl) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) > 0)
			n = (int)recv(fd, resp, sizeof(resp), 0);
	}
	if (n != 32 || memcmp(resp + 8, txid, sizeof(txid)))
		return -1;
	for (i = 0; i < 6; i++)
		xm[i] = resp[26 + i] ^ resp[4 + (i < 2 ? i : i - 2)];
	return 0;
}

/* issue 15: STUN on two ports; both see the same source, both in WELCOME */
TEST_F(coord, stun_on_two_ports_both_in_welcome)
{
	struct sockaddr_in local = { .sin_family = AF_INET };
	struct mp_candidate c1, c2;
	socklen_t ll = sizeof(local);
	uint8_t x1[6], x2[6];
	struct mp_err e;
	int fd;

	ASSERT_NE(0, self->s.stun2[0]) TH_LOG("no stun2 line in meshcoord.addr");
	ASSERT_EQ(0, mp_candidate_parse(&c1, self->s.stun));
	ASSERT_EQ(0, mp_candidate_parse(&c2, self->s.stun2));
	EXPECT_NE(c1.port, c2.port);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, fd);
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&local, sizeof(local)));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&local, &ll));
	ASSERT_EQ(0, stun_ask(fd, self->s.stun, x1));
	ASSERT_EQ(0, stun_ask(fd, self->s.stun2, x2));
	EXPECT_EQ(0, memcmp(x1, x2, 6));
	EXPECT_EQ(0, memcmp(x1, &local.sin_port, 2));
	close(fd);

	/* a version-2 agent gets both in WELCOME, as bound */
	ASSERT_EQ(0, agent_connect(&self->a, &self->s, self->key_a, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(2, self->a.w.version);
	ASSERT_EQ(2, self->a.w.stun.n);
	EXPECT_TRUE(mp_candidate_equal(&self->a.w.stun.s[0], &c1));
	EXPECT_TRUE(mp_candidate_equal(&self->a.w.stun.s[1], &c2));
	/* a version-1 agent gets the version-1 WELCOME and works as before */
	ASSERT_EQ(0, agent_connect_v(&self->b, &self->s, self->key_b, 1, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(1, self->b.w.version);
	EXPECT_EQ(0, self->b.w.stun.n);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, self->b.synced));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->b, 7));
}

/* a sees b's first candidate with kind k, kinds on the wire when @kinds */
static bool kind_seen(struct agent *a, const struct agent *b, bool kinds, uint8_t k)
{
	struct peer_view *v = view_of(a, b->pub);

	return v->present && v->p.cand.n == 1 && v->p.cand.kinds == kinds &&
	       v->p.cand.c[0].kind == k;
}

/*
 * issue 15: candidate kinds (version 7) pass through the service to the
 * agents that said 7, and are kept across a restart; an older agent gets
 * the older PEER form.
 */
TEST_F_TIMEOUT(coord, candidate_kinds_reach_agents_that_know_them, 60)
{
	struct mp_candidate c = self->ca;
	struct mp_err e;

	ASSERT_EQ(0, agent_connect(&self->a, &self->s, self->key_a, &e)) TH_LOG("%s", e.msg);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, self->a.synced));
	c.kind = WGM_CANDIDATE_KIND_PORTMAP;
	ASSERT_EQ(0, mp_send_candidates(&self->a.c, &c, 1, true, &e));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 1));
	ASSERT_EQ(0, agent_connect_v(&self->b, &self->s, self->key_b, MP_KINDS_VERSION - 1, &e))
		TH_LOG("%s", e.msg);
	EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       kind_seen(&self->b, &self->a, false, WGM_CANDIDATE_KIND_DIRECT)));
	agent_close(&self->b);
	ASSERT_EQ(0, agent_connect(&self->b, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       kind_seen(&self->b, &self->a, true, WGM_CANDIDATE_KIND_PORTMAP)));
	/* a kind this reader does not know, or relay, reads as not said */
	c.kind = WGM_CANDIDATE_KIND_RELAY;
	ASSERT_EQ(0, mp_send_candidates(&self->a.c, &c, 1, true, &e));
	EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       kind_seen(&self->b, &self->a, true, WGM_CANDIDATE_KIND_DIRECT)));
	c.kind = WGM_CANDIDATE_KIND_STUN;
	ASSERT_EQ(0, mp_send_candidates(&self->a.c, &c, 1, true, &e));
	EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       kind_seen(&self->b, &self->a, true, WGM_CANDIDATE_KIND_STUN)));
	/* the database keeps them */
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 2));
	ASSERT_EQ(0, svc_stop(&self->s));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, !self->a.up && !self->b.up));
	ASSERT_EQ(0, svc_start(&self->s));
	ASSERT_EQ(0, agent_connect(&self->b, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	EXPECT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       kind_seen(&self->b, &self->a, true, WGM_CANDIDATE_KIND_STUN)));
}

/*
 * issue 15: a service that does not know the version said first: again
 * with one version less each time, down to one it knows (the newest,
 * whose WELCOME has the version-2 form).
 */
TEST_F(coord, a_newer_agent_steps_down_to_a_known_version)
{
	char said[64];
	struct mp_err e;

	ASSERT_EQ(0, agent_connect_v(&self->a, &self->s, self->key_a, MP_HELLO_VERSION + 2, &e))
		TH_LOG("%s", e.msg);
	EXPECT_EQ(2, self->a.w.version);
	EXPECT_EQ(MP_HELLO_VERSION, self->a.w.hello_version);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, self->a.synced));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 3));
	snprintf(said, sizeof(said), "unsupported protocol version %d", MP_HELLO_VERSION + 2);
	EXPECT_EQ(1, log_count(&self->s, said));
	snprintf(said, sizeof(said), "unsupported protocol version %d", MP_HELLO_VERSION + 1);
	EXPECT_EQ(1, log_count(&self->s, said));
	snprintf(said, sizeof(said), "unsupported protocol version %d", MP_HELLO_VERSION);
	EXPECT_EQ(0, log_count(&self->s, said));
}

static int send_nat(struct agent *a, uint8_t nat)
{
	struct mp_err e;

	return mp_send_nat(&a->c, nat, &e);
}

static bool no_punch_from(const struct agent *a, const struct agent *b, int n)
{
	return a->no_punches == n && !memcmp(a->no_punch.pubkey, b->pub, 32) &&
	       a->no_punch.reason == MP_NOPUNCH_BOTH_HARD;
}

/* Lines of `meshcoord nodes` for name containing needle. */
static bool nodes_line_has(const struct svc *s, const char *name, const char *needle)
{
	char cmd[512], line[1024];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s --state %s nodes 2>/dev/null", bin(), s->dir);
	f = popen(cmd, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ' ' &&
		    strstr(line, needle))
			found = true;
	pclose(f);
	return found;
}

/*
 * issue 15: two hard NATs are not punched (both told why, one log line per
 * pair); once one side is easy the pair is punched as before.
 */
TEST_F_TIMEOUT(coord, hard_hard_pairs_are_not_punched, 60)
{
	const char *why = "punch alpha <-> bravo: both NATs endpoint-dependent: not punching";
	struct mp_err e;

	ASSERT_TRUE(join_both(_metadata, self));
	ASSERT_EQ(0, send_nat(&self->a, MP_NAT_HARD));
	ASSERT_EQ(0, send_nat(&self->b, MP_NAT_HARD));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 10));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->b, 11));
	EXPECT_EQ(1, log_count(&self->s, "alpha: NAT hard (was unknown)"));
	EXPECT_TRUE(nodes_line_has(&self->s, "alpha", " hard "));
	EXPECT_TRUE(nodes_line_has(&self->s, "bravo", " hard "));

	ASSERT_EQ(0, mp_send_punch_request(&self->a.c, self->b.pub, &e));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       no_punch_from(&self->a, &self->b, 1) &&
			       no_punch_from(&self->b, &self->a, 1)));
	/* asked again: answered again, logged once */
	ASSERT_EQ(0, mp_send_punch_request(&self->b.c, self->a.pub, &e));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       no_punch_from(&self->a, &self->b, 2) &&
			       no_punch_from(&self->b, &self->a, 2)));
	EXPECT_EQ(0, self->a.punches);
	EXPECT_EQ(0, self->b.punches);
	EXPECT_EQ(1, log_count(&self->s, why));

	/* hostile NAT values: logged, taken as unknown, the connection lives */
	ASSERT_EQ(0, send_nat(&self->b, 200));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->b, 12));
	EXPECT_EQ(1, log_count(&self->s, "bravo: NAT type unknown (200) not known here, taken as unknown"));
	EXPECT_TRUE(nodes_line_has(&self->s, "bravo", " unknown "));
	/* easy <-> hard (and unknown <-> hard): punched as before */
	ASSERT_EQ(0, mp_send_punch_request(&self->a.c, self->b.pub, &e));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       punched_towards(&self->a, &self->b, &self->cb) &&
			       punched_towards(&self->b, &self->a, &self->ca)));
	ASSERT_EQ(0, send_nat(&self->b, MP_NAT_EASY));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->b, 13));
	EXPECT_TRUE(nodes_line_has(&self->s, "bravo", " easy "));
	ASSERT_EQ(0, mp_send_punch_request(&self->b.c, self->a.pub, &e));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS,
			       self->a.punches == 2 && self->b.punches == 2));
	EXPECT_EQ(2, self->a.no_punches);
	/*
	 * easy <-> hard between version-5 agents is a birthday search, but
	 * these connect from 127.0.0.1, where none of their candidates is:
	 * no mapped candidate, a plain punch, said once
	 */
	EXPECT_EQ(5, self->a.punch.version);
	EXPECT_EQ(MP_BIRTHDAY_NONE, self->a.punch.birthday);
	EXPECT_EQ(MP_BIRTHDAY_NONE, self->b.punch.birthday);
	EXPECT_EQ(MP_MAPPED_NONE, self->a.punch.mapped);
	EXPECT_EQ(1, log_count(&self->s, "has no IPv4 candidate at the address it connects from; plain punch"));
	EXPECT_EQ(0, log_count(&self->s, "birthday search ("));

	/* a reconnect starts with unknown: reported anew by the agent */
	agent_close(&self->a);
	ASSERT_EQ(0, agent_connect(&self->a, &self->s, NULL, &e)) TH_LOG("%s", e.msg);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, self->a.synced));
	ASSERT_TRUE(agent_sync(self->ag, 2, &self->a, 14));
	EXPECT_TRUE(nodes_line_has(&self->s, "alpha", " unknown "));
}

/* issue 15: NAT is a version-2 message: from a version-1 agent it closes */
TEST_F(coord, nat_from_a_version_1_agent_is_refused)
{
	struct mp_err e;

	ASSERT_EQ(0, agent_connect_v(&self->a, &self->s, self->key_a, 1, &e)) TH_LOG("%s", e.msg);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, self->a.synced));
	ASSERT_EQ(0, send_nat(&self->a, MP_NAT_EASY));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, !self->a.up));
	EXPECT_EQ(1, log_count(&self->s, "closed: NAT from a version-1 agent"));
}


/* A UDP socket on 127.0.0.1, any port. */
static int udp_local(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int udp_to(int fd, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)n ? 0 : -1;
}

/*
 * One datagram within ms: its length and source port, or -1 when none came
 * (the silence the relay owes strangers).
 */
static ssize_t udp_recv(int fd, uint8_t *buf, size_t cap, int ms, uint16_t *from)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&a, &al);
	if (n >= 0 && from)
		*from = ntohs(a.sin_port);
	return n;
}

/*
 * issue 14: every pair of version-3 agents gets a relay allocation (each
 * its own side, id and key); the relay forwards only between bound
 * sides, says nothing to anyone, and withdraws the allocation when a
 * side goes.
 */
TEST_F_TIMEOUT(coord, relay_allocates_forwards_and_withdraws, 60)
{
	uint8_t bind[RELAY_BIND_LEN], buf[2048], junk[300];
	struct mp_relay ra, rb;
	uint16_t from;
	int fa, fb, fx, i;
	ssize_t n;

	ASSERT_NE(0, self->s.relay[0]) TH_LOG("no relay line in meshcoord.addr");
	EXPECT_EQ(0, strncmp(self->s.relay, "127.0.0.1:", 10));
	ASSERT_TRUE(join_both(_metadata, self));
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, self->a.relays == 1 && self->b.relays == 1));
	ra = self->a.relay;
	rb = self->b.relay;
	/* each names the other, with its own port, id and key */
	EXPECT_EQ(0, memcmp(ra.pubkey, self->b.pub, 32));
	EXPECT_EQ(0, memcmp(rb.pubkey, self->a.pub, 32));
	EXPECT_EQ(AF_INET, ra.ep.family);
	EXPECT_NE(ra.ep.port, rb.ep.port);
	EXPECT_NE(ra.id, rb.id);
	EXPECT_NE(0, memcmp(ra.key, rb.key, 32));
	EXPECT_EQ(600u, ra.lifetime);
	EXPECT_EQ(1, log_count(&self->s, "relay alpha <-> bravo: ports") +
		     log_count(&self->s, "relay bravo <-> alpha: ports"));

	fa = udp_local();
	fb = udp_local();
	fx = udp_local();
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_LE(0, fx);
	/* before any bind nothing is forwarded */
	ASSERT_EQ(0, udp_to(fa, ra.ep.port, "hello", 5));
	EXPECT_GT(0, udp_recv(fb, buf, sizeof(buf), 300, NULL));
	/* a's side bound with b's key, or a's key under b's id: refused */
	relay_bind_build(bind, ra.id, 1, rb.key);
	ASSERT_EQ(0, udp_to(fa, ra.ep.port, bind, sizeof(bind)));
	relay_bind_build(bind, rb.id, 1, ra.key);
	ASSERT_EQ(0, udp_to(fa, ra.ep.port, bind, sizeof(bind)));
	/* good binds on both sides: forwarding both ways, unchanged */
	relay_bind_build(bind, ra.id, 10, ra.key);
	ASSERT_EQ(0, udp_to(fa, ra.ep.port, bind, sizeof(bind)));
	relay_bind_build(bind, rb.id, 10, rb.key);
	ASSERT_EQ(0, udp_to(fb, rb.ep.port, bind, sizeof(bind)));
	/* the binds are not answered */
	EXPECT_GT(0, udp_recv(fa, buf, sizeof(buf), 200, NULL));
	for (i = 0; i < 50; i++) {	/* until the binds are in (UDP on lo) */
		ASSERT_EQ(0, udp_to(fa, ra.ep.port, "a to b", 6));
		n = udp_recv(fb, buf, sizeof(buf), 100, &from);
		if (n >= 0)
			break;
	}
	ASSERT_EQ(6, n);
	EXPECT_EQ(0, memcmp(buf, "a to b", 6));
	EXPECT_EQ(rb.ep.port, from);	/* b hears it from its own relay port */
	ASSERT_EQ(0, udp_to(fb, rb.ep.port, "b to a!", 7));
	n = udp_recv(fa, buf, sizeof(buf), 2000, &from);
	ASSERT_EQ(7, n);
	EXPECT_EQ(0, memcmp(buf, "b to a!", 7));
	EXPECT_EQ(ra.ep.port, from);

	/*
	 * A stranger: random datagrams, a replayed bind and binds under
	 * made-up keys on both ports get no answer, and nothing of it
	 * reaches a or b.
	 */
	for (i = 0; i < 20; i++) {
		randombytes_buf(junk, sizeof(junk));
		ASSERT_EQ(0, udp_to(fx, i & 1 ? ra.ep.port : rb.ep.port, junk,
				    1 + (size_t)i * 13));
		randombytes_buf(junk, 32);
		relay_bind_build(bind, i & 1 ? ra.id : rb.id, 100 + (uint64_t)i, junk);
		ASSERT_EQ(0, udp_to(fx, i & 1 ? ra.ep.port : rb.ep.port, bind, sizeof(bind)));
	}
	relay_bind_build(bind, rb.id, 10, rb.key);	/* b's, replayed */
	ASSERT_EQ(0, udp_to(fx, rb.ep.port, bind, sizeof(bind)));
	EXPECT_GT(0, udp_recv(fx, buf, sizeof(buf), 500, NULL));
	EXPECT_GT(0, udp_recv(fa, buf, sizeof(buf), 100, NULL));
	EXPECT_GT(0, udp_recv(fb, buf, sizeof(buf), 100, NULL));
	/* and b's traffic still goes to a, not to the stranger */
	ASSERT_EQ(0, udp_to(fb, rb.ep.port, "still", 5));
	EXPECT_EQ(5, udp_recv(fa, buf, sizeof(buf), 2000, NULL));
	EXPECT_GT(0, udp_recv(fx, buf, sizeof(buf), 200, NULL));

	/* b goes: a hears the withdrawal of exactly that allocation */
	agent_close(&self->b);
	ASSERT_TRUE(WAIT_UNTIL(self->ag, 2, WAIT_MS, self->a.relays_removed == 1));
	EXPECT_EQ(0, memcmp(self->a.relay_removed.pubkey, self->b.pub, 32));
	EXPECT_EQ(ra.id, self->a.relay_removed.id);
	ASSERT_EQ(0, udp_to(fa, ra.ep.port, "gone", 4));
	EXPECT_GT(0, udp_recv(fb, buf, sizeof(buf), 300, NULL));
	close(fa);
	close(fb);
	close(fx);
}


TEST_HARNESS_MAIN
