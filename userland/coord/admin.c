// SPDX-License-Identifier: GPL-2.0-only
/*
 * Admin subcommands.  They open the service's database directly (SQLite
 * serialises writers); a running service notices committed changes through
 * PRAGMA data_version within COORD_DB_POLL_MS.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "db.h"
#include "key.h"

/*
 * pubkey and authkey create may initialise a new state directory (to
 * provision agents before the first start); nodes and remove must not
 * invent a network on a mistyped path.
 */
static int open_db(struct coord_db *db, const char *dir, bool create)
{
	char path[4096];
	struct wgm_err e;

	snprintf(path, sizeof(path), "%s/%s", dir, COORD_DB_FILE);
	if (!create && access(path, F_OK)) {
		fprintf(stderr, "meshcoord: %s: %s\n", path, strerror(errno));
		return -1;
	}

	if (mp_init()) {
		fprintf(stderr, "meshcoord: libsodium initialisation failed\n");
		return -1;
	}
	if (coord_db_open(db, dir, &e)) {
		fprintf(stderr, "meshcoord: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static void fmt_time(char *buf, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm))
		snprintf(buf, len, "never");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int coord_cmd_nodes(const char *dir)
{
	struct coord_node *nodes;
	struct coord_db db;
	struct wgm_err e = { "libsodium initialisation failed" };
	size_t n, i;
	unsigned int j;

	/* a read: no schema, no writes (a read-only user can list) */
	if (mp_init() || coord_db_open_ro(&db, dir, &e)) {
		fprintf(stderr, "meshcoord: %s\n", e.msg);
		return 1;
	}
	if (coord_db_nodes(&db, &nodes, &n, &e)) {
		fprintf(stderr, "meshcoord: %s\n", e.msg);
		coord_db_close(&db);
		return 1;
	}
	printf("%-20s %-15s %-28s %-20s %-44s %-7s %s\n", "NAME", "IPV4", "IPV6",
	       "LAST-SEEN", "PUBLIC-KEY", "NAT", "CANDIDATES");
	for (i = 0; i < n; i++) {
		char a4[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN], seen[32];
		char key[WGM_KEY_B64_LEN + 1], c[MP_CAND_STRLEN], nat[24];

		inet_ntop(AF_INET, nodes[i].addr4, a4, sizeof(a4));
		inet_ntop(AF_INET6, nodes[i].addr6, a6, sizeof(a6));
		if (nodes[i].online)
			snprintf(seen, sizeof(seen), "online");
		else
			fmt_time(seen, sizeof(seen), nodes[i].last_seen);
		wgm_key_to_base64(key, nodes[i].pubkey);
		printf("%-20s %-15s %-28s %-20s %-44s %-7s", nodes[i].name, a4, a6,
		       seen, key, mp_nat_name(nodes[i].nat, nat));
		for (j = 0; j < nodes[i].cand.n; j++)
			printf(" %s", mp_candidate_format(&nodes[i].cand.c[j], c));
		if (nodes[i].cand.n == 0)
			printf(" -");
		printf("\n");
	}
	free(nodes);
	coord_db_close(&db);
	return 0;
}

int coord_cmd_remove(const char *dir, const char *sel)
{
	struct coord_node gone;
	struct coord_db db;
	struct wgm_err e;
	int r;

	if (open_db(&db, dir, false))
		return 1;
	r = coord_db_remove(&db, sel, &gone, &e);
	coord_db_close(&db);
	if (r < 0) {
		fprintf(stderr, "meshcoord: %s\n", e.msg);
		return 1;
	}
	if (r == 0) {
		fprintf(stderr, "meshcoord: no node '%s'\n", sel);
		return 1;
	}
	printf("removed %s\n", gone.name);
	return 0;
}

int coord_cmd_pubkey(const char *dir)
{
	char key[WGM_KEY_B64_LEN + 1], path[4096];
	struct coord_db db;
	struct wgm_err e = { "libsodium initialisation failed" };

	/* an existing network is only read (any user who may read it) */
	snprintf(path, sizeof(path), "%s/%s", dir, COORD_DB_FILE);
	if (access(path, F_OK) == 0) {
		if (mp_init() || coord_db_open_ro(&db, dir, &e)) {
			fprintf(stderr, "meshcoord: %s\n", e.msg);
			return 1;
		}
	} else if (open_db(&db, dir, true)) {
		return 1;
	}
	wgm_key_to_base64(key, db.pub);
	coord_db_close(&db);
	printf("%s\n", key);
	return 0;
}

int coord_cmd_authkey_create(const char *dir, bool reusable,
			     int64_t expires_in)
{
	char key[COORD_AUTHKEY_LEN + 1];
	struct coord_db db;
	struct wgm_err e;
	int64_t now = (int64_t)time(NULL);
	int r;

	if (open_db(&db, dir, true))
		return 1;
	r = coord_db_authkey_create(&db, reusable,
				    expires_in > 0 ? now + expires_in : 0, now,
				    key, &e);
	coord_db_close(&db);
	if (r) {
		fprintf(stderr, "meshcoord: %s\n", e.msg);
		return 1;
	}
	printf("%s\n", key);
	sodium_memzero(key, sizeof(key));
	return 0;
}

/* relay add NAME PUBKEY: the key a meshrelay connects with (meshrelay pubkey). */
int coord_cmd_relay_add(const char *dir, const char *name, const char *pubkey)
{
	uint8_t key[MP_KEY_LEN];
	struct coord_db db;
	struct wgm_err e;
	int r;

	if (!wgm_key_from_arg(key, pubkey)) {
		fprintf(stderr, "meshcoord: relay add: '%s' is not a base64 public key (on the relay host: meshrelay --state DIR pubkey)\n",
			pubkey);
		return 2;
	}
	if (open_db(&db, dir, false))
		return 1;
	r = coord_db_relay_add(&db, name, key, (int64_t)time(NULL), &e);
	coord_db_close(&db);
	if (r) {
		fprintf(stderr, "meshcoord: relay add: %s\n", e.msg);
		return 1;
	}
	printf("relay %s added: the meshrelay holding this key may connect now (%s)\n",
	       name, pubkey);
	return 0;
}

int coord_cmd_relay_list(const char *dir)
{
	char key[WGM_KEY_B64_LEN + 1], added[32];
	struct coord_relay *rs;
	struct coord_db db;
	struct wgm_err e = { "libsodium initialisation failed" };
	size_t n, i;

	memset(&db, 0, sizeof(db));
	if (mp_init() || coord_db_open_ro(&db, dir, &e) || coord_db_relays(&db, &rs, &n, &e)) {
		fprintf(stderr, "meshcoord: %s\n", e.msg);
		if (db.sql)
			coord_db_close(&db);
		return 1;
	}
	coord_db_close(&db);
	printf("%-20s %-44s %s\n", "NAME", "PUBLIC-KEY", "ADDED");
	for (i = 0; i < n; i++) {
		wgm_key_to_base64(key, rs[i].pubkey);
		fmt_time(added, sizeof(added), rs[i].added);
		printf("%-20s %-44s %s\n", rs[i].name, key, added);
	}
	free(rs);
	return 0;
}

int coord_cmd_relay_remove(const char *dir, const char *name)
{
	struct coord_db db;
	struct wgm_err e;
	int r;

	if (open_db(&db, dir, false))
		return 1;
	r = coord_db_relay_remove(&db, name, &e);
	coord_db_close(&db);
	if (r < 0) {
		fprintf(stderr, "meshcoord: relay remove: %s\n", e.msg);
		return 1;
	}
	if (!r) {
		fprintf(stderr, "meshcoord: no relay '%s' (meshcoord relay list)\n", name);
		return 1;
	}
	printf("relay %s removed (a running meshcoord disconnects it)\n", name);
	return 0;
}

int64_t coord_parse_duration(const char *s)
{
	char *end;
	long long v;
	int64_t mul = 1;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v < 0)
		return -1;
	if (*end && end[1])
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return -1;
	}
	if (v > INT64_MAX / mul / 2)
		return -1;
	return (int64_t)v * mul;
}
