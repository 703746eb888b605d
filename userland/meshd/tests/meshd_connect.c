// SPDX-License-Identifier: GPL-2.0-only
/*
 * What meshd says when the service will not talk to it: the client half of
 * the coordination handshake (mp_client_connect) against a scripted service
 * on loopback, one forked child per connection.
 */
#include "kselftest_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "proto.h"

enum svc {
	SVC_CLOSE,		/* accept and close at once (a connection limit) */
	SVC_READ_CLOSE,		/* read message 1, close without a word */
	SVC_REAL,		/* the real handshake, with the service's own key */
	SVC_BUSY_NOTICE,	/* meshcoord's notice for its connection limit */
};

/* Reads exactly n bytes; 0 or -1. */
static int read_n(int fd, uint8_t *p, size_t n)
{
	ssize_t r;

	while (n) {
		r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The child: one connection handled as svc says; exit status 0 = as planned. */
static int serve(int lfd, enum svc svc, const uint8_t priv[32],
		 const uint8_t pub[32])
{
	uint8_t frame[4 + MP_HS1_LEN], msg2[MP_HS2_LEN], rej[4 + MP_HSREJ_LEN];
	uint8_t node_pub[32], busy[4 + sizeof(MP_BUSY_NOTICE) - 1];
	struct mp_chan chan;
	int fd = accept(lfd, NULL, NULL), r;

	if (fd < 0)
		return 10;
	switch (svc) {
	case SVC_CLOSE:
		break;
	case SVC_READ_CLOSE:
		if (read_n(fd, frame, sizeof(frame)))
			return 11;
		break;
	case SVC_REAL:
		if (read_n(fd, frame, sizeof(frame)))
			return 12;
		r = mp_hs_server(priv, pub, frame + 4, msg2, &chan, node_pub);
		if (r != MP_HS_BADKEY)
			return 13;	/* the agent pinned another key */
		/* what meshcoord sends then */
		rej[0] = rej[1] = rej[2] = 0;
		rej[3] = MP_HSREJ_LEN;
		mp_hs_reject(rej + 4, MP_HSREJ_KEY);
		if (write(fd, rej, sizeof(rej)) != (ssize_t)sizeof(rej))
			return 14;
		break;
	case SVC_BUSY_NOTICE:
		busy[0] = busy[1] = busy[2] = 0;
		busy[3] = sizeof(MP_BUSY_NOTICE) - 1;
		memcpy(busy + 4, MP_BUSY_NOTICE, sizeof(MP_BUSY_NOTICE) - 1);
		if (write(fd, busy, sizeof(busy)) != (ssize_t)sizeof(busy))
			return 15;
		break;
	}
	close(fd);
	return 0;
}

/* Connects an agent to a scripted service; err gets the client's error. */
static int run(enum svc svc, struct mp_err *err, int *child_status)
{
	uint8_t spriv[32], spub[32], wrong_priv[32], wrong_pub[32], npriv[32];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct mp_client_cfg cfg = {
		.server_pub = wrong_pub, .node_priv = npriv, .name = "n1",
		.authkey = "", .timeout_ms = 10000,
	};
	struct mp_welcome w;
	struct mp_conn c;
	char server[64];
	int lfd, r, status;
	pid_t pid;

	if (mp_init())
		return -2;
	randombytes_buf(spriv, 32);
	crypto_scalarmult_base(spub, spriv);
	randombytes_buf(wrong_priv, 32);
	crypto_scalarmult_base(wrong_pub, wrong_priv);
	randombytes_buf(npriv, 32);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 4) || getsockname(lfd, (struct sockaddr *)&sin, &sl))
		return -2;
	snprintf(server, sizeof(server), "127.0.0.1:%u", ntohs(sin.sin_port));
	cfg.server = server;
	pid = fork();
	if (pid < 0)
		return -2;
	if (!pid)
		_exit(serve(lfd, svc, spriv, spub));
	close(lfd);
	memset(err, 0, sizeof(*err));
	r = mp_client_connect(&c, &cfg, &w, err);
	if (!r)
		mp_conn_close(&c);
	if (waitpid(pid, &status, 0) != pid)
		return -2;
	*child_status = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
	return r;
}

TEST(wrong_coord_key_is_named)
{
	struct mp_err err;
	int st = -1;

	EXPECT_EQ(-1, run(SVC_REAL, &err, &st));
	EXPECT_EQ(0, st);
	EXPECT_EQ(MP_ERR_KEY, err.code);
	EXPECT_NE(NULL, strstr(err.msg, "the service's key does not match --coord-key"))
		TH_LOG("%s", err.msg);
}

TEST(connection_limit_refusal_is_named)
{
	struct mp_err err;
	int st = -1;

	EXPECT_EQ(-1, run(SVC_BUSY_NOTICE, &err, &st));
	EXPECT_EQ(0, st);
	EXPECT_EQ(MP_ERR_BUSY, err.code);
	EXPECT_NE(NULL, strstr(err.msg, "too many connections")) TH_LOG("%s", err.msg);
}

/* A service that says nothing: not "connection closed" alone. */
TEST(silent_close_before_authentication)
{
	struct mp_err err;
	int st = -1;

	EXPECT_EQ(-1, run(SVC_CLOSE, &err, &st));
	EXPECT_EQ(0, st);
	EXPECT_EQ(MP_ERR_BUSY, err.code);
	EXPECT_NE(NULL, strstr(err.msg, "closed the connection before authentication (overloaded or refusing this address?)"))
		TH_LOG("%s", err.msg);
	EXPECT_EQ(-1, run(SVC_READ_CLOSE, &err, &st));
	EXPECT_EQ(0, st);
	EXPECT_EQ(MP_ERR_BUSY, err.code);
	EXPECT_NE(NULL, strstr(err.msg, "before authentication")) TH_LOG("%s", err.msg);
}

TEST(server_port_checked)
{
	uint8_t k[32] = { 9 };
	const char *bad[] = { "127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1:-1",
			      "[::1]:", "127.0.0.1" };
	struct mp_client_cfg cfg = {
		.server_pub = k, .node_priv = k, .name = "n1", .timeout_ms = 1000,
	};
	struct mp_err err;
	struct mp_conn c;
	size_t i;

	ASSERT_EQ(0, mp_init());
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.server = bad[i];
		memset(&err, 0, sizeof(err));
		EXPECT_EQ(-1, mp_client_connect(&c, &cfg, NULL, &err));
		EXPECT_NE(NULL, strstr(err.msg, "port 1-65535")) TH_LOG("%s: %s", bad[i], err.msg);
	}
}

TEST_HARNESS_MAIN
