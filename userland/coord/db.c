// SPDX-License-Identifier: GPL-2.0-only
/* meshcoord state in SQLite. */
#include "db.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "key.h"

#define V4_BASE		0x64400000u	/* 100.64.0.0 */
#define V4_HOSTS	(1u << (32 - COORD_V4_PLEN))

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS nodes ("
	"  id INTEGER PRIMARY KEY,"
	"  pubkey BLOB NOT NULL UNIQUE,"
	"  name TEXT NOT NULL UNIQUE,"
	"  ip4 INTEGER NOT NULL UNIQUE,"
	"  candidates TEXT NOT NULL DEFAULT '',"
	"  last_seen INTEGER NOT NULL DEFAULT 0,"
	"  online INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  nat INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS authkeys ("
	"  hash BLOB PRIMARY KEY,"
	"  reusable INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  uses INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL);"
	/* removed node keys; authkey_mark: max(authkeys.rowid) at removal */
	"CREATE TABLE IF NOT EXISTS removed ("
	"  pubkey BLOB PRIMARY KEY,"
	"  authkey_mark INTEGER NOT NULL,"
	"  removed_at INTEGER NOT NULL);"
	/* meshrelay keys the administrator registered (relay add) */
	"CREATE TABLE IF NOT EXISTS relays ("
	"  name TEXT PRIMARY KEY,"
	"  pubkey BLOB NOT NULL UNIQUE,"
	"  added INTEGER NOT NULL);";

static void note_busy(struct coord_db *db, int rc)
{
	rc &= 0xff;
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		db->busy = true;
}

static int sqlerr(struct coord_db *db, struct wgm_err *err, const char *what)
{
	note_busy(db, sqlite3_errcode(db->sql));
	return wgm_err_set(err, "sqlite %s: %s", what, sqlite3_errmsg(db->sql));
}

static int exec(struct coord_db *db, const char *sql, struct wgm_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		note_busy(db, rc);
		wgm_err_set(err, "sqlite: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *prep(struct coord_db *db, const char *sql,
			  struct wgm_err *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlerr(db, err, "prepare");
		return NULL;
	}
	return st;
}

/* Read meta value of exactly len bytes: 1 found, 0 absent, -1 error. */
static int meta_get(struct coord_db *db, const char *key, uint8_t *val,
		    size_t len, struct wgm_err *err)
{
	sqlite3_stmt *st = prep(db, "SELECT value FROM meta WHERE key = ?", err);
	int r;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		if ((size_t)sqlite3_column_bytes(st, 0) != len) {
			sqlite3_finalize(st);
			return wgm_err_set(err, "state: meta '%s' corrupt", key);
		}
		memcpy(val, sqlite3_column_blob(st, 0), len);
		r = 1;
	} else if (r == SQLITE_DONE) {
		r = 0;
	} else {
		r = sqlerr(db, err, "meta");
	}
	sqlite3_finalize(st);
	return r;
}

static int meta_put(struct coord_db *db, const char *key, const uint8_t *val,
		    size_t len, struct wgm_err *err)
{
	sqlite3_stmt *st = prep(db, "INSERT INTO meta (key, value) VALUES (?, ?)",
				err);
	int r;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, val, (int)len, SQLITE_TRANSIENT);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "meta insert");
	sqlite3_finalize(st);
	return r;
}

/* First open: key pair and ULA prefix, once, in one transaction. */
static int init_meta(struct coord_db *db, struct wgm_err *err)
{
	uint8_t priv[32], pub[32], ula[6];
	int r;

	if (exec(db, "BEGIN IMMEDIATE", err))
		return -1;
	r = meta_get(db, "private_key", db->priv, 32, err);
	if (r == 0) {
		if (wgm_key_generate_private(priv, err))
			goto fail;
		wgm_key_public(pub, priv);
		ula[0] = 0xfd;		/* RFC 4193: fd + 40-bit global ID */
		randombytes_buf(ula + 1, 5);
		if (meta_put(db, "private_key", priv, 32, err) ||
		    meta_put(db, "public_key", pub, 32, err) ||
		    meta_put(db, "ula_prefix", ula, 6, err))
			goto fail;
		sodium_memzero(priv, sizeof(priv));
	} else if (r < 0) {
		goto fail;
	}
	if (exec(db, "COMMIT", err))
		goto fail;
	if (meta_get(db, "private_key", db->priv, 32, err) != 1 ||
	    meta_get(db, "public_key", db->pub, 32, err) != 1 ||
	    meta_get(db, "ula_prefix", db->ula, 6, err) != 1)
		return wgm_err_prefix(err, "state");
	return 0;
fail:
	sodium_memzero(priv, sizeof(priv));
	exec(db, "ROLLBACK", NULL);
	return -1;
}

/*
 * An admin command run as root must not leave files the service (e.g. a
 * systemd DynamicUser owning the directory) cannot open: give the database
 * files the directory's owner.
 */
static void match_owner(const char *dir)
{
	static const char *const files[] = { COORD_DB_FILE, COORD_DB_FILE "-wal",
					     COORD_DB_FILE "-shm" };
	char path[4096];
	struct stat d, f;
	size_t i;

	if (geteuid() != 0 || stat(dir, &d))
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (!stat(path, &f) && (f.st_uid != d.st_uid || f.st_gid != d.st_gid) &&
		    chown(path, d.st_uid, d.st_gid))
			continue;	/* best effort */
	}
}

/* Whether nodes has the nat column (databases made before it lack it). */
static bool has_nat_column(struct coord_db *db)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->sql, "SELECT nat FROM nodes LIMIT 0", -1,
			       &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_finalize(st);
	return true;
}

/* An older database gets the nat column (NAT mapping type, MP_NAT_*). */
static int migrate(struct coord_db *db, struct wgm_err *err)
{
	if (!has_nat_column(db) &&
	    exec(db, "ALTER TABLE nodes ADD COLUMN nat INTEGER NOT NULL DEFAULT 0",
		 err))
		return -1;
	db->has_nat = true;
	return 0;
}

int coord_db_open(struct coord_db *db, const char *dir, struct wgm_err *err)
{
	char path[4096];

	memset(db, 0, sizeof(*db));
	if (mkdir(dir, 0700) && errno != EEXIST)
		return wgm_err_set(err, "mkdir %s: %s", dir, strerror(errno));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, COORD_DB_FILE) >=
	    sizeof(path))
		return wgm_err_set(err, "state directory path too long");
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		wgm_err_set(err, "open %s: %s", path,
			    db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
		coord_db_close(db);
		return -1;
	}
	chmod(path, 0600);
	sqlite3_busy_timeout(db->sql, 2000);
	if (exec(db, "PRAGMA journal_mode=WAL", err) ||
	    exec(db, "PRAGMA synchronous=NORMAL", err) ||
	    exec(db, schema, err) || migrate(db, err) || init_meta(db, err)) {
		wgm_err_prefix(err, "%s", path);
		coord_db_close(db);
		return -1;
	}
	match_owner(dir);
	db->max_nodes = COORD_MAX_NODES;
	return 0;
}

/* "file:" URI of path (RFC 3986 escapes for the few characters that need them). */
static void uri_of(char *out, size_t len, const char *path, const char *query)
{
	size_t o = (size_t)snprintf(out, len, "file:");

	for (; *path && o + 4 < len; path++) {
		if (*path == '?' || *path == '#' || *path == '%')
			o += (size_t)snprintf(out + o, len - o, "%%%02X",
					      (unsigned char)*path);
		else
			out[o++] = *path;
	}
	out[o] = '\0';
	snprintf(out + o, len - o, "%s", query);
}

static int load_meta_ro(struct coord_db *db, struct wgm_err *err)
{
	int r;

	r = meta_get(db, "private_key", db->priv, 32, err);
	if (r == 1)
		r = meta_get(db, "public_key", db->pub, 32, err);
	if (r == 1)
		r = meta_get(db, "ula_prefix", db->ula, 6, err);
	if (r == 0)
		wgm_err_set(err, "not initialised (no key pair)");
	return r == 1 ? 0 : -1;
}

int coord_db_open_ro(struct coord_db *db, const char *dir, struct wgm_err *err)
{
	char path[4096], wal[4200], uri[8400];
	int rc;

	memset(db, 0, sizeof(*db));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, COORD_DB_FILE) >=
	    sizeof(path))
		return wgm_err_set(err, "state directory path too long");
	if (access(path, R_OK))
		return wgm_err_set(err, "%s: %s", path, strerror(errno));
	rc = sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db->sql, 2000);
		if (load_meta_ro(db, err) == 0)
			goto ok;
	}
	/*
	 * A WAL database whose -wal/-shm files are gone (no writer open) and
	 * that this user cannot create: with no -wal there is nothing beyond
	 * the main file, so read that file as it is.
	 */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (access(wal, F_OK) == 0 || errno != ENOENT) {
		if (rc != SQLITE_OK)
			wgm_err_set(err, "%s", db->sql ? sqlite3_errmsg(db->sql) :
				    "out of memory");
		wgm_err_prefix(err, "%s", path);
		coord_db_close(db);
		return -1;
	}
	if (db->sql)
		sqlite3_close(db->sql);
	db->sql = NULL;
	uri_of(uri, sizeof(uri), path, "?immutable=1");
	if (sqlite3_open_v2(uri, &db->sql, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		wgm_err_set(err, "%s", db->sql ? sqlite3_errmsg(db->sql) :
			    "out of memory");
		wgm_err_prefix(err, "%s", path);
		coord_db_close(db);
		return -1;
	}
	if (load_meta_ro(db, err)) {
		wgm_err_prefix(err, "%s", path);
		coord_db_close(db);
		return -1;
	}
ok:
	db->max_nodes = COORD_MAX_NODES;
	db->has_nat = has_nat_column(db);	/* read-only: never migrated */
	return 0;
}

void coord_db_busy_timeout(struct coord_db *db, int ms)
{
	sqlite3_busy_timeout(db->sql, ms);
}

void coord_db_close(struct coord_db *db)
{
	if (db->sql)
		sqlite3_close(db->sql);
	sodium_memzero(db, sizeof(*db));
}

int coord_db_data_version(struct coord_db *db, int64_t *v)
{
	sqlite3_stmt *st = prep(db, "PRAGMA data_version", NULL);
	int r = -1;

	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

void coord_node_addrs(const struct coord_db *db, struct coord_node *n)
{
	uint32_t a = V4_BASE | n->index;

	n->addr4[0] = (uint8_t)(a >> 24);
	n->addr4[1] = (uint8_t)(a >> 16);
	n->addr4[2] = (uint8_t)(a >> 8);
	n->addr4[3] = (uint8_t)a;
	/* prefix::/48, subnet 0, interface ID ends in the IPv4 address */
	memset(n->addr6, 0, 16);
	memcpy(n->addr6, db->ula, 6);
	memcpy(n->addr6 + 12, n->addr4, 4);
}

/*
 * A candidate in the candidates column: its endpoint, after "KIND:" when
 * the agent said its kind (protocol version 7): "portmap:198.51.100.1:4000",
 * the text of meshadm's candidate syntax (wgm_parse_candidate()).
 */
#define DB_CAND_STRLEN	(WGM_ADDRSTRLEN + 16)

static int parse_cand(struct mp_candidate *c, const char *text)
{
	struct mesh_conf_cand mc;
	struct wgm_err err;

	if (wgm_parse_candidate(text, &mc, &err) ||
	    mp_candidate_from_sockaddr(c, &mc.endpoint.sa))
		return -1;
	/* relays are never a node's candidates */
	c->kind = mc.kind == WGM_CANDIDATE_KIND_RELAY ? WGM_CANDIDATE_KIND_DIRECT : mc.kind;
	return 0;
}

static void format_cand(const struct mp_candidate *c, char *buf)
{
	struct mesh_conf_cand mc;
	struct sockaddr_storage ss;

	memset(&mc, 0, sizeof(mc));
	memcpy(&mc.endpoint, &ss, mp_candidate_to_sockaddr(c, &ss));
	mc.kind = c->kind;
	wgm_format_candidate(&mc, buf, DB_CAND_STRLEN);
}

static void parse_cands(struct mp_candidates *c, const char *text)
{
	char buf[DB_CAND_STRLEN];
	const char *p = text;

	memset(c, 0, sizeof(*c));
	while (p && *p && c->n < MP_MAX_CANDIDATES) {
		const char *sp = strchr(p, ' ');
		size_t l = sp ? (size_t)(sp - p) : strlen(p);

		if (l < sizeof(buf)) {
			memcpy(buf, p, l);
			buf[l] = '\0';
			if (parse_cand(&c->c[c->n], buf) == 0)
				c->n++;
		}
		p = sp ? sp + 1 : NULL;
	}
}

#define NODE_COLS "id, pubkey, name, ip4, candidates, last_seen, online, "
/* the last column: nat, or 0 from a database without it (read-only) */
#define NODE_NAT(db) ((db)->has_nat ? "nat" : "0")

static int row_to_node(struct coord_db *db, sqlite3_stmt *st,
		       struct coord_node *n, struct wgm_err *err)
{
	const unsigned char *name = sqlite3_column_text(st, 2);
	const unsigned char *cand = sqlite3_column_text(st, 4);

	memset(n, 0, sizeof(*n));
	n->id = sqlite3_column_int64(st, 0);
	if (sqlite3_column_bytes(st, 1) != MP_KEY_LEN || !name)
		return wgm_err_set(err, "state: node %lld corrupt",
				   (long long)n->id);
	memcpy(n->pubkey, sqlite3_column_blob(st, 1), MP_KEY_LEN);
	snprintf(n->name, sizeof(n->name), "%s", (const char *)name);
	n->index = (uint32_t)sqlite3_column_int64(st, 3) & (V4_HOSTS - 1);
	parse_cands(&n->cand, cand ? (const char *)cand : "");
	n->last_seen = sqlite3_column_int64(st, 5);
	n->online = sqlite3_column_int(st, 6) != 0;
	n->nat = (uint8_t)sqlite3_column_int(st, 7);
	coord_node_addrs(db, n);
	return 0;
}

int coord_db_nodes(struct coord_db *db, struct coord_node **nodes,
		   size_t *n, struct wgm_err *err)
{
	struct coord_node *v = NULL, *nv;
	sqlite3_stmt *st;
	char sql[160];
	size_t cnt = 0, cap = 0;
	int r;

	*nodes = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT " NODE_COLS "%s FROM nodes ORDER BY id",
		 NODE_NAT(db));
	st = prep(db, sql, err);
	if (!st)
		return -1;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				wgm_err_set(err, "out of memory");
				goto fail;
			}
			v = nv;
		}
		if (row_to_node(db, st, &v[cnt], err))
			goto fail;
		cnt++;
	}
	if (r != SQLITE_DONE) {
		sqlerr(db, err, "select nodes");
		goto fail;
	}
	sqlite3_finalize(st);
	*nodes = v;
	*n = cnt;
	return 0;
fail:
	sqlite3_finalize(st);
	free(v);
	return -1;
}

int coord_db_find(struct coord_db *db, const uint8_t pubkey[MP_KEY_LEN],
		  struct coord_node *out, struct wgm_err *err)
{
	sqlite3_stmt *st;
	char sql[160];
	int r;

	snprintf(sql, sizeof(sql), "SELECT " NODE_COLS "%s FROM nodes WHERE pubkey = ?",
		 NODE_NAT(db));
	st = prep(db, sql, err);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, pubkey, MP_KEY_LEN, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		r = row_to_node(db, st, out, err) ? -1 : 1;
	else if (r == SQLITE_DONE)
		r = 0;
	else
		r = sqlerr(db, err, "find node");
	sqlite3_finalize(st);
	return r;
}

/* 1 when the query with one bound value yields a row. */
static int exists(struct coord_db *db, const char *sql, const char *text,
		  int64_t num, struct wgm_err *err)
{
	sqlite3_stmt *st = prep(db, sql, err);
	int r;

	if (!st)
		return -1;
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, num);
	r = sqlite3_step(st);
	r = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : sqlerr(db, err, "query");
	sqlite3_finalize(st);
	return r;
}

static void authkey_hash(uint8_t h[32], const char *key)
{
	crypto_generichash(h, 32, (const uint8_t *)key, strlen(key),
			   (const uint8_t *)"meshcoord authkey", 17);
}

/*
 * Check and consume an auth key; 0 ok, MP_ERR_AUTH, or -1.  *rowid orders
 * the key against removals (auth keys are never deleted, so rowids only
 * grow).
 */
static int use_authkey(struct coord_db *db, const char *key, int64_t now,
		       int64_t *rowid, struct wgm_err *err)
{
	sqlite3_stmt *st;
	uint8_t h[32];
	int r, reusable;
	int64_t expires, uses;

	if (!key || !*key) {
		wgm_err_set(err, "unknown node and no auth key");
		return MP_ERR_AUTH;
	}
	authkey_hash(h, key);
	st = prep(db, "SELECT reusable, expires, uses, rowid FROM authkeys"
		  " WHERE hash = ?", err);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (r != SQLITE_DONE)
			return sqlerr(db, err, "authkey");
		wgm_err_set(err, "invalid auth key");
		return MP_ERR_AUTH;
	}
	reusable = sqlite3_column_int(st, 0);
	expires = sqlite3_column_int64(st, 1);
	uses = sqlite3_column_int64(st, 2);
	*rowid = sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	if (expires && now >= expires) {
		wgm_err_set(err, "auth key expired");
		return MP_ERR_AUTH;
	}
	if (!reusable && uses > 0) {
		wgm_err_set(err, "auth key already used");
		return MP_ERR_AUTH;
	}
	st = prep(db, "UPDATE authkeys SET uses = uses + 1 WHERE hash = ?", err);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "authkey use");
	sqlite3_finalize(st);
	return r;
}

/* Preferred host index: from the key, never .0 of the /10 nor the last. */
static uint32_t key_index(const uint8_t pubkey[MP_KEY_LEN], uint32_t probe)
{
	uint8_t h[4];
	uint32_t v;

	crypto_generichash(h, 4, pubkey, MP_KEY_LEN,
			   (const uint8_t *)"meshcoord addr", 14);
	v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	return 1 + (v + probe) % (V4_HOSTS - 2);
}

bool coord_name_is_address(const char *name)
{
	uint8_t a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

int coord_db_join(struct coord_db *db, const uint8_t pubkey[MP_KEY_LEN],
		  const char *name, const char *authkey, int64_t now,
		  struct coord_node *out, struct wgm_err *err)
{
	char uname[MP_NAME_MAX + 1];
	sqlite3_stmt *st;
	int64_t akrow = 0;
	uint32_t idx = 0, probe;
	int r, suffix;

	if (!mp_name_valid(name)) {
		wgm_err_set(err, "invalid node name");
		return MP_ERR_NAME;
	}
	if (coord_name_is_address(name)) {
		wgm_err_set(err, "invalid node name: it reads as an IPv4 address");
		return MP_ERR_NAME;
	}
	if (exec(db, "BEGIN IMMEDIATE", err))
		return -1;
	r = exists(db, "SELECT 1 WHERE (SELECT count(*) FROM nodes) >= ?", NULL,
		   db->max_nodes, err);
	if (r) {
		if (r > 0) {
			wgm_err_set(err, "node limit (%u) reached",
				    (unsigned int)db->max_nodes);
			r = MP_ERR_FULL;
		}
		goto out;
	}
	r = use_authkey(db, authkey, now, &akrow, err);
	if (r)
		goto out;
	/*
	 * A removed node comes back only with an auth key created after its
	 * removal: a reusable key left in its configuration does not do.
	 */
	st = prep(db, "SELECT authkey_mark FROM removed WHERE pubkey = ?", err);
	if (!st) {
		r = -1;
		goto out;
	}
	sqlite3_bind_blob(st, 1, pubkey, MP_KEY_LEN, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && akrow <= sqlite3_column_int64(st, 0)) {
		wgm_err_set(err, "this node was removed; it needs an auth key created after the removal");
		r = MP_ERR_REMOVED;
	} else {
		r = r == SQLITE_ROW || r == SQLITE_DONE ? 0 :
		    sqlerr(db, err, "removed");
	}
	sqlite3_finalize(st);
	if (r)
		goto out;
	snprintf(uname, sizeof(uname), "%s", name);
	for (suffix = 2; (r = exists(db, "SELECT 1 FROM nodes WHERE name = ?",
				     uname, 0, err)) == 1; suffix++) {
		char sfx[16];
		int sl = snprintf(sfx, sizeof(sfx), "-%d", suffix);
		int keep = (int)strlen(name);

		if (keep > MP_NAME_MAX - sl)
			keep = MP_NAME_MAX - sl;
		snprintf(uname, sizeof(uname), "%.*s%s", keep, name, sfx);
	}
	if (r < 0)
		goto out;
	for (probe = 0; probe < V4_HOSTS; probe++) {
		idx = key_index(pubkey, probe);
		r = exists(db, "SELECT 1 FROM nodes WHERE ip4 = ?", NULL, idx, err);
		if (r <= 0)
			break;
	}
	if (r < 0)
		goto out;
	st = prep(db, "INSERT INTO nodes (pubkey, name, ip4, last_seen, created)"
		  " VALUES (?, ?, ?, ?, ?)", err);
	if (!st) {
		r = -1;
		goto out;
	}
	sqlite3_bind_blob(st, 1, pubkey, MP_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, uname, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, idx);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "insert node");
	sqlite3_finalize(st);
	if (r)
		goto out;
	st = prep(db, "DELETE FROM removed WHERE pubkey = ?", err);
	if (!st) {
		r = -1;
		goto out;
	}
	sqlite3_bind_blob(st, 1, pubkey, MP_KEY_LEN, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "removed");
	sqlite3_finalize(st);
	if (r)
		goto out;
	r = coord_db_find(db, pubkey, out, err);
	if (r == 1)
		r = exec(db, "COMMIT", err);
	else if (r == 0)
		r = wgm_err_set(err, "node vanished after insert");
out:
	if (r)
		exec(db, "ROLLBACK", NULL);
	return r;
}

int coord_db_set_candidates(struct coord_db *db, int64_t id,
			    const struct mp_candidates *cand,
			    struct wgm_err *err)
{
	char text[MP_MAX_CANDIDATES * DB_CAND_STRLEN + 1] = "";
	char one[DB_CAND_STRLEN];
	sqlite3_stmt *st;
	size_t len = 0;
	unsigned int i;
	int r;

	for (i = 0; i < cand->n && i < MP_MAX_CANDIDATES; i++) {
		format_cand(&cand->c[i], one);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
					i ? " " : "", one);
	}
	st = prep(db, "UPDATE nodes SET candidates = ? WHERE id = ?", err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "update");
	sqlite3_finalize(st);
	return r;
}

int coord_db_set_seen(struct coord_db *db, int64_t id, bool online,
		      int64_t now, struct wgm_err *err)
{
	sqlite3_stmt *st = prep(db, "UPDATE nodes SET last_seen = ?, online = ?"
				" WHERE id = ?", err);
	int r;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, online);
	sqlite3_bind_int64(st, 3, id);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "update");
	sqlite3_finalize(st);
	return r;
}

int coord_db_set_nat(struct coord_db *db, int64_t id, uint8_t nat,
		     struct wgm_err *err)
{
	sqlite3_stmt *st = prep(db, "UPDATE nodes SET nat = ? WHERE id = ?", err);
	int r;

	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, nat);
	sqlite3_bind_int64(st, 2, id);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "update");
	sqlite3_finalize(st);
	return r;
}

int coord_db_all_offline(struct coord_db *db, struct wgm_err *err)
{
	return exec(db, "UPDATE nodes SET online = 0 WHERE online != 0", err);
}

int coord_db_remove(struct coord_db *db, const char *sel,
		    struct coord_node *out, struct wgm_err *err)
{
	struct coord_node *nodes;
	uint8_t key[MP_KEY_LEN], a4[4], a6[16];
	bool by_key, by4, by6;
	sqlite3_stmt *st;
	size_t n, i, j, hit = SIZE_MAX;
	int r = 0;

	by_key = wgm_key_from_base64(key, sel);
	by4 = inet_pton(AF_INET, sel, a4) == 1;
	by6 = inet_pton(AF_INET6, sel, a6) == 1;
	if (exec(db, "BEGIN IMMEDIATE", err))
		return -1;
	if (coord_db_nodes(db, &nodes, &n, err)) {
		exec(db, "ROLLBACK", NULL);
		return -1;
	}
	/* every node sel can name: more than one is an error, not a guess */
	for (j = 0; j < n; j++) {
		if (strcmp(nodes[j].name, sel) != 0 &&
		    !(by_key && memcmp(nodes[j].pubkey, key, MP_KEY_LEN) == 0) &&
		    !(by4 && memcmp(nodes[j].addr4, a4, 4) == 0) &&
		    !(by6 && memcmp(nodes[j].addr6, a6, 16) == 0))
			continue;
		if (hit != SIZE_MAX) {
			r = wgm_err_set(err, "'%s' is ambiguous: it names %s and %s; name the node by its public key",
					sel, nodes[hit].name, nodes[j].name);
			goto out;
		}
		hit = j;
	}
	if (hit == SIZE_MAX)
		goto out;
	i = hit;
	st = prep(db, "DELETE FROM nodes WHERE id = ?", err);
	if (!st) {
		r = -1;
		goto out;
	}
	sqlite3_bind_int64(st, 1, nodes[i].id);
	r = sqlite3_step(st) == SQLITE_DONE ? 1 : sqlerr(db, err, "delete");
	sqlite3_finalize(st);
	if (r < 0)
		goto out;
	/* remember the key: only auth keys created from now on re-admit it */
	st = prep(db, "INSERT OR REPLACE INTO removed (pubkey, authkey_mark, removed_at)"
		  " VALUES (?, (SELECT coalesce(max(rowid), 0) FROM authkeys), ?)",
		  err);
	if (!st) {
		r = -1;
		goto out;
	}
	sqlite3_bind_blob(st, 1, nodes[i].pubkey, MP_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		r = sqlerr(db, err, "insert removed");
	sqlite3_finalize(st);
	if (r > 0 && out)
		*out = nodes[i];
out:
	if (r > 0 && exec(db, "COMMIT", err))
		r = -1;
	if (r <= 0)
		exec(db, "ROLLBACK", NULL);
	free(nodes);
	return r;
}

int coord_db_authkey_create(struct coord_db *db, bool reusable,
			    int64_t expires, int64_t now,
			    char out[COORD_AUTHKEY_LEN + 1],
			    struct wgm_err *err)
{
	uint8_t raw[20], h[32];
	sqlite3_stmt *st;
	int r;

	randombytes_buf(raw, sizeof(raw));
	memcpy(out, COORD_AUTHKEY_PREFIX, sizeof(COORD_AUTHKEY_PREFIX) - 1);
	sodium_bin2hex(out + sizeof(COORD_AUTHKEY_PREFIX) - 1, 41, raw,
		       sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	authkey_hash(h, out);
	st = prep(db, "INSERT INTO authkeys (hash, reusable, expires, created)"
		  " VALUES (?, ?, ?, ?)", err);
	if (!st)
		return -1;
	sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, reusable);
	sqlite3_bind_int64(st, 3, expires);
	sqlite3_bind_int64(st, 4, now);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sqlerr(db, err, "insert authkey");
	sqlite3_finalize(st);
	return r;
}

/* ---- relays (meshrelay) ---- */

int coord_db_relay_add(struct coord_db *db, const char *name,
		       const uint8_t pubkey[MP_KEY_LEN], int64_t now,
		       struct wgm_err *err)
{
	sqlite3_stmt *st;
	int r;

	if (!mp_name_valid(name) || !strcmp(name, COORD_EMBEDDED_RELAY))
		return wgm_err_set(err, "relay name '%s': use 1 to %d of A-Z a-z 0-9 . _ - (not starting with - or .), not '%s'",
				   name, MP_NAME_MAX, COORD_EMBEDDED_RELAY);
	st = prep(db, "INSERT INTO relays (name, pubkey, added) VALUES (?, ?, ?)", err);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pubkey, MP_KEY_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	r = sqlite3_step(st);
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		r = wgm_err_set(err, "a relay named '%s' or with this key is registered already (meshcoord relay list)",
				name);
	else
		r = r == SQLITE_DONE ? 0 : sqlerr(db, err, "relay add");
	sqlite3_finalize(st);
	return r;
}

int coord_db_relays(struct coord_db *db, struct coord_relay **out, size_t *n,
		    struct wgm_err *err)
{
	sqlite3_stmt *st;
	struct coord_relay *v = NULL, *nv;
	size_t cnt = 0;
	int r;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db->sql, "SELECT name, pubkey, added FROM relays ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return 0;	/* a read-only open of a database from before relays */
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);

		if (sqlite3_column_bytes(st, 1) != MP_KEY_LEN || !name)
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			sqlite3_finalize(st);
			return wgm_err_set(err, "out of memory");
		}
		v = nv;
		memset(&v[cnt], 0, sizeof(v[cnt]));
		snprintf(v[cnt].name, sizeof(v[cnt].name), "%s", (const char *)name);
		memcpy(v[cnt].pubkey, sqlite3_column_blob(st, 1), MP_KEY_LEN);
		v[cnt].added = sqlite3_column_int64(st, 2);
		cnt++;
	}
	if (r != SQLITE_DONE) {
		free(v);
		r = sqlerr(db, err, "relays");
		sqlite3_finalize(st);
		return r;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return 0;
}

int coord_db_relay_remove(struct coord_db *db, const char *name, struct wgm_err *err)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM relays WHERE name = ?", err);
	int r;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_DONE ? sqlite3_changes(db->sql) > 0 :
	    sqlerr(db, err, "relay remove");
	sqlite3_finalize(st);
	return r;
}
