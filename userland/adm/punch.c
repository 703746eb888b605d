// SPDX-License-Identifier: GPL-2.0-only
/*
 * punch DEV PUBKEY                 probe all candidates of a peer now
 * punch DEV PUBKEY birthday open|spray IPV4:PORT [COUNT]
 *                                  ... and start a birthday search with it
 * ping DEV PUBKEY [--count N]      punch, then report which candidates
 *                                  answered, the path that did (direct or
 *                                  relayed) and why no direct one is used
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "adm.h"
#include "nl.h"
#include "natclass.h"
#include "nlpunch.h"
#include "pathinfo.h"

/* ping polls the candidate states this often, for at most this long. */
#define PING_POLL_MS 100
#define PING_WAIT_MS 3000
#define PING_MAX_COUNT 1000

static int parse_key(const char *text, uint8_t key[WGM_KEY_LEN])
{
	if (!wgm_key_from_arg(key, text))
		return adm_error(ADM_USAGE, "'%s' is not a 32-byte base64 key",
				 text);
	return ADM_OK;
}

static int check_name(const char *ifname)
{
	if (!*ifname || strlen(ifname) >= IFNAMSIZ)
		return adm_error(ADM_USAGE, "invalid interface name '%s'",
				 ifname);
	return ADM_OK;
}

/*
 * "birthday open|spray IPV4:PORT [COUNT]" (argv[0] is "birthday"): the
 * search to start with the punch.
 */
static int parse_birthday(int argc, char *argv[], struct wgm_birthday_req *req)
{
	union wgm_sockaddr sa;
	struct wgm_err err;
	uint64_t count = 0;

	if (argc < 3 || argc > 4 || strcmp(argv[0], "birthday"))
		return adm_error(ADM_USAGE, "expected: birthday open|spray IPV4:PORT [COUNT]");
	memset(req, 0, sizeof(*req));
	if (!strcmp(argv[1], "open"))
		req->role = WGM_BIRTHDAY_OPEN;
	else if (!strcmp(argv[1], "spray"))
		req->role = WGM_BIRTHDAY_SPRAY;
	else
		return adm_error(ADM_USAGE, "birthday role '%s': expected open or spray",
				 argv[1]);
	if (wgm_parse_endpoint(argv[2], &sa, &err))
		return adm_error(ADM_USAGE, "birthday target: %s", err.msg);
	if (sa.sa.sa_family != AF_INET)
		return adm_error(ADM_USAGE,
				 "birthday target '%s' must be IPv4 (IPv6 has no NAT to search)",
				 argv[2]);
	req->target = sa.in;
	if (argc == 4 &&
	    (wgm_parse_uint(argv[3], req->role == WGM_BIRTHDAY_OPEN ? WGM_BIRTHDAY_MAX_SOCKETS :
			    WGM_BIRTHDAY_MAX_PROBES, false, &count) || !count))
		return adm_error(ADM_USAGE, "birthday count '%s': 1..%u %s", argv[3],
				 req->role == WGM_BIRTHDAY_OPEN ? WGM_BIRTHDAY_MAX_SOCKETS :
				 WGM_BIRTHDAY_MAX_PROBES,
				 req->role == WGM_BIRTHDAY_OPEN ? "sockets" : "probes");
	req->count = (uint16_t)count;
	return ADM_OK;
}

int cmd_punch(int argc, char *argv[])
{
	struct wgm_birthday_req bday;
	uint8_t key[WGM_KEY_LEN];
	struct wgm_err err;
	struct wgm_nl nl;
	int ret, errnum;

	if (argc < 3)
		return adm_usage(argv[0]);
	if (check_name(argv[1]) || parse_key(argv[2], key))
		return ADM_USAGE;
	if (argc > 3 && parse_birthday(argc - 3, argv + 3, &bday))
		return ADM_USAGE;
	if (wgm_nl_open(&nl, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	ret = wgm_nl_punch(&nl, argv[1], key, argc > 3 ? &bday : NULL, &errnum, &err);
	wgm_nl_close(&nl);
	if (ret)
		return adm_error(ADM_FAIL, "%s", err.msg);
	return ADM_OK;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A candidate answered a probe sent after `since`. */
static bool answered(const struct mesh_conf_cand *c, uint64_t since)
{
	return c->state == WGM_CANDIDATE_ALIVE && c->last_seen_ns >= since;
}

/* Every candidate has answered since `since`, or has been given up on. */
static bool settled(const struct mesh_conf_peer *p, uint64_t since)
{
	size_t i;

	for (i = 0; i < p->n_cands; i++)
		if (!answered(&p->cands[i], since) &&
		    p->cands[i].state != WGM_CANDIDATE_DEAD)
			return false;
	return true;
}

/* Fetch the device; *peer points into dev (NULL when the peer is gone). */
static int fetch(struct wgm_nl *nl, const char *ifname,
		 const uint8_t key[WGM_KEY_LEN], struct mesh_conf_device *dev,
		 const struct mesh_conf_peer **peer)
{
	char b64[WGM_KEY_B64_LEN + 1];
	struct wgm_err err;

	if (wgm_nl_get_device(nl, ifname, dev, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	*peer = mesh_conf_device_find_peer(dev, key);
	if (!*peer) {
		wgm_key_to_base64(b64, key);
		return adm_error(ADM_FAIL, "%s has no peer %s", ifname, b64);
	}
	return ADM_OK;
}

/*
 * One round: read the peer's counters, punch, poll, then print what
 * answered and the verdict (pathinfo.h).  ADM_OK when a direct path
 * answered.
 */
static int ping_round(struct wgm_nl *nl, const char *ifname,
		      const uint8_t key[WGM_KEY_LEN])
{
	const struct mesh_conf_peer *p = NULL, *before = NULL;
	struct mesh_conf_device dev, old;
	enum wgm_ping_result res;
	struct wgm_err err;
	struct wgm_buf b;
	unsigned int waited;
	uint64_t start;
	int ret, errnum;

	mesh_conf_device_init(&dev);
	mesh_conf_device_init(&old);
	ret = fetch(nl, ifname, key, &old, &before);
	if (ret)
		goto out;
	start = boottime_ns();
	if (wgm_nl_punch(nl, ifname, key, NULL, &errnum, &err)) {
		ret = adm_error(ADM_FAIL, "%s", err.msg);
		goto out;
	}
	for (waited = 0;; waited += PING_POLL_MS) {
		ret = fetch(nl, ifname, key, &dev, &p);
		if (ret)
			goto out;
		if (waited >= PING_WAIT_MS || settled(p, start))
			break;
		sleep_ms(PING_POLL_MS);
	}
	adm_mark_local_relays(&dev);
	wgm_buf_init(&b);
	res = wgm_ping_report(&b, p, before, start, wgm_nat_classify(dev.stun, dev.n_stun));
	if (b.oom)
		ret = adm_error(ADM_FAIL, "out of memory");
	else
		fputs(b.s, stdout);
	wgm_buf_free(&b);
	if (!ret)
		ret = res == WGM_PING_DIRECT ? ADM_OK : ADM_FAIL;
out:
	mesh_conf_device_free(&old);
	mesh_conf_device_free(&dev);
	return ret;
}

int cmd_ping(int argc, char *argv[])
{
	uint8_t key[WGM_KEY_LEN];
	uint64_t count = 1, n;
	const char *ifname = NULL, *pub = NULL;
	struct wgm_err err;
	struct wgm_nl nl;
	int i, ret = ADM_OK;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") || !strcmp(argv[i], "-c")) {
			if (i + 1 >= argc ||
			    wgm_parse_uint(argv[i + 1], PING_MAX_COUNT, false,
					   &count) || !count)
				return adm_error(ADM_USAGE, "--count needs a number from 1 to %d",
						 PING_MAX_COUNT);
			i++;
		} else if (!ifname) {
			ifname = argv[i];
		} else if (!pub) {
			pub = argv[i];
		} else {
			return adm_usage(argv[0]);
		}
	}
	if (!pub)
		return adm_usage(argv[0]);
	if (check_name(ifname) || parse_key(pub, key))
		return ADM_USAGE;
	if (wgm_nl_open(&nl, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	for (n = 0; n < count; n++) {
		if (n) {
			putchar('\n');
			sleep_ms(1000);
		}
		ret = ping_round(&nl, ifname, key);
		fflush(stdout);
	}
	wgm_nl_close(&nl);
	return ret;
}
