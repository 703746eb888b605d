// SPDX-License-Identifier: GPL-2.0-only
/* meshcoord state: persistence, auth keys, address allocation, removal. */
#include "kselftest_harness.h"
#include "coord_test.h"

#include <arpa/inet.h>

#include "db.h"
#include "key.h"
#include "server.h"

FIXTURE(db) {
	char dir[64];
	struct coord_db db;
};

FIXTURE_SETUP(db)
{
	struct wgm_err e;

	ASSERT_EQ(0, mp_init());
	ASSERT_TRUE(ct_tmpdir(self->dir));
	ASSERT_EQ(0, coord_db_open(&self->db, self->dir, &e)) TH_LOG("%s", e.msg);
}

FIXTURE_TEARDOWN(db)
{
	coord_db_close(&self->db);
	ct_rmdir(self->dir);
}

static void mkkey(uint8_t k[32], int n)
{
	uint8_t priv[32];

	memset(priv, 0, 32);
	/* bytes 1..3: clamping only touches bytes 0 and 31 */
	priv[1] = (uint8_t)n;
	priv[2] = (uint8_t)(n >> 8);
	priv[3] = 0x5a;
	crypto_scalarmult_base(k, priv);
}

static int join(struct coord_db *db, int n, const char *name, const char *ak,
		struct coord_node *out)
{
	uint8_t k[32];
	struct wgm_err e;

	mkkey(k, n);
	return coord_db_join(db, k, name, ak, 1000, out, &e);
}

static void authkey(struct coord_db *db, bool reusable, int64_t expires,
		    char out[COORD_AUTHKEY_LEN + 1])
{
	struct wgm_err e;

	if (coord_db_authkey_create(db, reusable, expires, 1000, out, &e))
		abort();
}

TEST_F(db, keys_and_prefix_persist_across_reopen)
{
	uint8_t pub[32], ula[6], derived[32];
	struct wgm_err e;

	memcpy(pub, self->db.pub, 32);
	memcpy(ula, self->db.ula, 6);
	EXPECT_EQ(0xfd, ula[0]);
	crypto_scalarmult_base(derived, self->db.priv);
	EXPECT_EQ(0, memcmp(derived, pub, 32));
	coord_db_close(&self->db);
	ASSERT_EQ(0, coord_db_open(&self->db, self->dir, &e));
	EXPECT_EQ(0, memcmp(pub, self->db.pub, 32));
	EXPECT_EQ(0, memcmp(ula, self->db.ula, 6));
}

TEST_F(db, two_state_dirs_differ)
{
	struct coord_db other;
	struct wgm_err e;
	char dir2[64];

	ASSERT_TRUE(ct_tmpdir(dir2));
	ASSERT_EQ(0, coord_db_open(&other, dir2, &e));
	EXPECT_NE(0, memcmp(other.pub, self->db.pub, 32));
	EXPECT_NE(0, memcmp(other.ula, self->db.ula, 6));
	coord_db_close(&other);
	ct_rmdir(dir2);
}

TEST_F(db, one_shot_authkey)
{
	char ak[COORD_AUTHKEY_LEN + 1];
	struct coord_node n;

	authkey(&self->db, false, 0, ak);
	EXPECT_EQ(0, strncmp(ak, COORD_AUTHKEY_PREFIX, strlen(COORD_AUTHKEY_PREFIX)));
	EXPECT_EQ(COORD_AUTHKEY_LEN, strlen(ak));
	EXPECT_EQ(0, join(&self->db, 1, "a", ak, &n));
	EXPECT_EQ(MP_ERR_AUTH, join(&self->db, 2, "b", ak, &n));
	EXPECT_EQ(MP_ERR_AUTH, join(&self->db, 3, "c", "", &n));
	EXPECT_EQ(MP_ERR_AUTH, join(&self->db, 3, "c", NULL, &n));
	ak[10] ^= 1;
	EXPECT_EQ(MP_ERR_AUTH, join(&self->db, 3, "c", ak, &n));
}

TEST_F(db, reusable_and_expiring_authkeys)
{
	char reuse[COORD_AUTHKEY_LEN + 1], old[COORD_AUTHKEY_LEN + 1];
	struct coord_node n;
	int i;

	authkey(&self->db, true, 0, reuse);
	authkey(&self->db, true, 1000, old);	/* expires "now" (join at 1000) */
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, join(&self->db, 10 + i, "r", reuse, &n));
	EXPECT_EQ(MP_ERR_AUTH, join(&self->db, 20, "x", old, &n));
}

TEST_F(db, failed_join_does_not_consume_the_key)
{
	char ak[COORD_AUTHKEY_LEN + 1];
	struct coord_node n;

	authkey(&self->db, false, 0, ak);
	EXPECT_EQ(MP_ERR_NAME, join(&self->db, 1, "bad name", ak, &n));
	EXPECT_EQ(0, join(&self->db, 1, "good", ak, &n));
}

TEST_F(db, addresses_are_unique_stable_and_in_range)
{
	char ak[COORD_AUTHKEY_LEN + 1];
	struct coord_node n, again, *all;
	struct wgm_err e;
	size_t cnt, i, j;
	uint8_t k[32];

	authkey(&self->db, true, 0, ak);
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, join(&self->db, (int)i, "n", ak, &n));
	ASSERT_EQ(0, coord_db_nodes(&self->db, &all, &cnt, &e));
	ASSERT_EQ(200u, cnt);
	for (i = 0; i < cnt; i++) {
		/* 100.64.0.0/10, never the first or last address */
		EXPECT_EQ(100, all[i].addr4[0]);
		EXPECT_EQ(64, all[i].addr4[1] & 0xc0);
		EXPECT_NE(0u, all[i].index);
		EXPECT_NE((1u << 22) - 1, all[i].index);
		/* IPv6 in the ULA /48, ending in the IPv4 address */
		EXPECT_EQ(0, memcmp(all[i].addr6, self->db.ula, 6));
		EXPECT_EQ(0, memcmp(all[i].addr6 + 12, all[i].addr4, 4));
		for (j = 0; j < i; j++) {
			EXPECT_NE(all[i].index, all[j].index);
			EXPECT_STRNE(all[i].name, all[j].name);
		}
	}
	/* removal and re-join of node 7: the same address again */
	mkkey(k, 7);
	ASSERT_EQ(1, coord_db_find(&self->db, k, &n, &e));
	ASSERT_EQ(1, coord_db_remove(&self->db, n.name, NULL, &e));
	EXPECT_EQ(0, coord_db_find(&self->db, k, &again, &e));
	/* the reusable key from before the removal does not re-admit it */
	EXPECT_EQ(MP_ERR_REMOVED, join(&self->db, 7, "seven", ak, &again));
	authkey(&self->db, false, 0, ak);
	ASSERT_EQ(0, join(&self->db, 7, "seven", ak, &again));
	EXPECT_EQ(n.index, again.index);
	EXPECT_EQ(0, memcmp(n.addr6, again.addr6, 16));
	free(all);
}

TEST_F(db, names_are_made_unique)
{
	char ak[COORD_AUTHKEY_LEN + 1], longname[MP_NAME_MAX + 1];
	struct coord_node n;

	authkey(&self->db, true, 0, ak);
	ASSERT_EQ(0, join(&self->db, 1, "web", ak, &n));
	EXPECT_STREQ("web", n.name);
	ASSERT_EQ(0, join(&self->db, 2, "web", ak, &n));
	EXPECT_STREQ("web-2", n.name);
	ASSERT_EQ(0, join(&self->db, 3, "web", ak, &n));
	EXPECT_STREQ("web-3", n.name);
	memset(longname, 'x', MP_NAME_MAX);
	longname[MP_NAME_MAX] = '\0';
	ASSERT_EQ(0, join(&self->db, 4, longname, ak, &n));
	ASSERT_EQ(0, join(&self->db, 5, longname, ak, &n));
	EXPECT_EQ(MP_NAME_MAX, strlen(n.name));
	EXPECT_STREQ("-2", n.name + MP_NAME_MAX - 2);
}

TEST_F(db, everything_survives_reopen)
{
	char ak[COORD_AUTHKEY_LEN + 1];
	struct coord_node a, b, *all;
	struct mp_candidates c = { .n = 2 };
	struct wgm_err e;
	size_t cnt;

	authkey(&self->db, true, 0, ak);
	ASSERT_EQ(0, join(&self->db, 1, "a", ak, &a));
	ASSERT_EQ(0, join(&self->db, 2, "b", ak, &b));
	ASSERT_EQ(0, mp_candidate_parse(&c.c[0], "192.0.2.1:51820"));
	ASSERT_EQ(0, mp_candidate_parse(&c.c[1], "[2001:db8::1]:51821"));
	ASSERT_EQ(0, coord_db_set_candidates(&self->db, a.id, &c, &e));
	ASSERT_EQ(0, coord_db_set_seen(&self->db, b.id, true, 5555, &e));
	coord_db_close(&self->db);
	ASSERT_EQ(0, coord_db_open(&self->db, self->dir, &e));
	ASSERT_EQ(0, coord_db_nodes(&self->db, &all, &cnt, &e));
	ASSERT_EQ(2u, cnt);
	EXPECT_STREQ("a", all[0].name);
	EXPECT_EQ(a.index, all[0].index);
	EXPECT_EQ(0, memcmp(a.pubkey, all[0].pubkey, 32));
	ASSERT_EQ(2, all[0].cand.n);
	EXPECT_TRUE(mp_candidate_equal(&c.c[0], &all[0].cand.c[0]));
	EXPECT_TRUE(mp_candidate_equal(&c.c[1], &all[0].cand.c[1]));
	EXPECT_EQ(b.index, all[1].index);
	EXPECT_EQ(5555, all[1].last_seen);
	EXPECT_TRUE(all[1].online);
	free(all);
	/* the service resets "online" at start */
	ASSERT_EQ(0, coord_db_all_offline(&self->db, &e));
	ASSERT_EQ(0, coord_db_nodes(&self->db, &all, &cnt, &e));
	EXPECT_FALSE(all[1].online);
	free(all);
	/* the reusable auth key is still valid */
	EXPECT_EQ(0, join(&self->db, 3, "c", ak, &a));
}

TEST_F(db, remove_by_name_key_and_address)
{
	char ak[COORD_AUTHKEY_LEN + 1], sel[64];
	char b64[WGM_KEY_B64_LEN + 1];
	struct coord_node a, b, c, gone;
	struct wgm_err e;

	authkey(&self->db, true, 0, ak);
	ASSERT_EQ(0, join(&self->db, 1, "a", ak, &a));
	ASSERT_EQ(0, join(&self->db, 2, "b", ak, &b));
	ASSERT_EQ(0, join(&self->db, 3, "c", ak, &c));
	EXPECT_EQ(0, coord_db_remove(&self->db, "zzz", &gone, &e));
	ASSERT_EQ(1, coord_db_remove(&self->db, "a", &gone, &e));
	EXPECT_STREQ("a", gone.name);
	wgm_key_to_base64(b64, b.pubkey);
	ASSERT_EQ(1, coord_db_remove(&self->db, b64, &gone, &e));
	EXPECT_STREQ("b", gone.name);
	inet_ntop(AF_INET, c.addr4, sel, sizeof(sel));
	ASSERT_EQ(1, coord_db_remove(&self->db, sel, &gone, &e));
	EXPECT_STREQ("c", gone.name);
	EXPECT_EQ(0, coord_db_remove(&self->db, "a", &gone, &e));
	/* removed nodes need an auth key again, one newer than the removal */
	EXPECT_EQ(MP_ERR_AUTH, join(&self->db, 1, "a", "", &a));
	EXPECT_EQ(MP_ERR_REMOVED, join(&self->db, 1, "a", ak, &a));
	/* other nodes still join with the old reusable key */
	EXPECT_EQ(0, join(&self->db, 4, "d", ak, &a));
	/* a key created after the removal re-admits it */
	authkey(&self->db, false, 0, sel);
	EXPECT_EQ(0, join(&self->db, 2, "b", sel, &b));
	/* re-admitted: removal is forgotten, the node reconnects freely */
	EXPECT_EQ(1, coord_db_find(&self->db, b.pubkey, &gone, &e));
	/* and removing it again needs yet another new key */
	authkey(&self->db, false, 0, sel);	/* one-shot, older than the removal */
	ASSERT_EQ(1, coord_db_remove(&self->db, "b", &gone, &e));
	EXPECT_EQ(MP_ERR_REMOVED, join(&self->db, 2, "b", ak, &b));
	EXPECT_EQ(MP_ERR_REMOVED, join(&self->db, 2, "b", sel, &b));
	/* the refused attempt did not use up the one-shot key */
	EXPECT_EQ(0, join(&self->db, 5, "e", sel, &b));
}

/* issue 16: a name that reads as an address squatted another node's selector */
TEST_F(db, names_that_read_as_addresses_are_refused_and_selectors_are_unambiguous)
{
	char ak[COORD_AUTHKEY_LEN + 1], sel[64], sql[256];
	struct coord_node a, b, gone;
	struct wgm_err e;

	authkey(&self->db, true, 0, ak);
	ASSERT_EQ(0, join(&self->db, 1, "a", ak, &a));
	inet_ntop(AF_INET, a.addr4, sel, sizeof(sel));
	/* b may not register under a's overlay address (nor any address) */
	EXPECT_EQ(MP_ERR_NAME, join(&self->db, 2, sel, ak, &b));
	EXPECT_EQ(MP_ERR_NAME, join(&self->db, 2, "10.0.0.1", ak, &b));
	ASSERT_EQ(0, join(&self->db, 2, "b", ak, &b));
	/* a squatter left over in an old database: the selector is refused */
	snprintf(sql, sizeof(sql), "UPDATE nodes SET name = '%s' WHERE name = 'b'", sel);
	ASSERT_EQ(0, sqlite3_exec(self->db.sql, sql, NULL, NULL, NULL));
	EXPECT_EQ(-1, coord_db_remove(&self->db, sel, &gone, &e));
	EXPECT_NE(NULL, strstr(e.msg, "ambiguous")) TH_LOG("%s", e.msg);
	EXPECT_EQ(1, coord_db_find(&self->db, a.pubkey, &gone, &e));
	EXPECT_EQ(1, coord_db_find(&self->db, b.pubkey, &gone, &e));
	/* the public key still names exactly one */
	{
		char b64[WGM_KEY_B64_LEN + 1];

		wgm_key_to_base64(b64, b.pubkey);
		ASSERT_EQ(1, coord_db_remove(&self->db, b64, &gone, &e));
		EXPECT_EQ(0, memcmp(gone.pubkey, b.pubkey, 32));
		EXPECT_EQ(1, coord_db_find(&self->db, a.pubkey, &gone, &e));
	}
}

/* issue 16: admin reads ran the schema and failed for a read-only user */
TEST_F(db, read_only_open_writes_nothing)
{
	struct coord_db ro;
	struct coord_node *v;
	struct wgm_err e;
	char ak[COORD_AUTHKEY_LEN + 1];
	struct coord_node a;
	size_t n;
	int64_t v1, v2;

	authkey(&self->db, true, 0, ak);
	ASSERT_EQ(0, join(&self->db, 1, "a", ak, &a));
	ASSERT_EQ(0, coord_db_data_version(&self->db, &v1));
	ASSERT_EQ(0, coord_db_open_ro(&ro, self->dir, &e)) TH_LOG("%s", e.msg);
	EXPECT_EQ(0, memcmp(ro.pub, self->db.pub, 32));
	ASSERT_EQ(0, coord_db_nodes(&ro, &v, &n, &e));
	EXPECT_EQ(1, n);
	free(v);
	/* it cannot write */
	EXPECT_NE(SQLITE_OK, sqlite3_exec(ro.sql, "UPDATE nodes SET online = 1", NULL, NULL, NULL));
	coord_db_close(&ro);
	ASSERT_EQ(0, coord_db_data_version(&self->db, &v2));
	EXPECT_EQ(v1, v2);
}

TEST_F(db, data_version_sees_other_connections)
{
	struct coord_db admin;
	struct wgm_err e;
	char ak[COORD_AUTHKEY_LEN + 1];
	int64_t v1, v2, v3;

	ASSERT_EQ(0, coord_db_data_version(&self->db, &v1));
	authkey(&self->db, false, 0, ak);	/* own write: no change */
	ASSERT_EQ(0, coord_db_data_version(&self->db, &v2));
	EXPECT_EQ(v1, v2);
	ASSERT_EQ(0, coord_db_open(&admin, self->dir, &e));
	authkey(&admin, false, 0, ak);
	coord_db_close(&admin);
	ASSERT_EQ(0, coord_db_data_version(&self->db, &v3));
	EXPECT_NE(v2, v3);
}

TEST_F(db, node_limit)
{
	char ak[COORD_AUTHKEY_LEN + 1];
	struct coord_node n;
	int i;

	authkey(&self->db, true, 0, ak);
	ASSERT_EQ(0, sqlite3_exec(self->db.sql, "BEGIN", NULL, NULL, NULL));
	/* issue 16: the default is at least 10,000 nodes */
	EXPECT_LE(10000, self->db.max_nodes);
	self->db.max_nodes = 50;
	for (i = 0; i < 50; i++) {
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO nodes (pubkey, name, ip4, created) VALUES "
			 "(randomblob(32), 'n%d', %d, 0)", i, 100000 + i);
		ASSERT_EQ(0, sqlite3_exec(self->db.sql, sql, NULL, NULL, NULL));
	}
	ASSERT_EQ(0, sqlite3_exec(self->db.sql, "COMMIT", NULL, NULL, NULL));
	EXPECT_EQ(MP_ERR_FULL, join(&self->db, 1, "one-too-many", ak, &n));
}

/* issue 15: the NAT type persists; a database from before it gets the column */
TEST_F(db, nat_column_and_migration)
{
	struct coord_node n, *all;
	struct coord_db ro;
	struct wgm_err e;
	char ak[COORD_AUTHKEY_LEN + 1];
	size_t cnt;

	authkey(&self->db, true, 0, ak);
	ASSERT_EQ(0, join(&self->db, 1, "a", ak, &n));
	EXPECT_EQ(MP_NAT_UNKNOWN, n.nat);
	ASSERT_EQ(0, coord_db_set_nat(&self->db, n.id, MP_NAT_HARD, &e));
	ASSERT_EQ(0, coord_db_nodes(&self->db, &all, &cnt, &e));
	ASSERT_EQ(1, cnt);
	EXPECT_EQ(MP_NAT_HARD, all[0].nat);
	free(all);

	/* an old database: no nat column.  Read-only reads it as unknown ... */
	ASSERT_EQ(SQLITE_OK, sqlite3_exec(self->db.sql,
					  "ALTER TABLE nodes DROP COLUMN nat", NULL, NULL, NULL));
	coord_db_close(&self->db);
	ASSERT_EQ(0, coord_db_open_ro(&ro, self->dir, &e)) TH_LOG("%s", e.msg);
	EXPECT_FALSE(ro.has_nat);
	ASSERT_EQ(0, coord_db_nodes(&ro, &all, &cnt, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, cnt);
	EXPECT_EQ(MP_NAT_UNKNOWN, all[0].nat);
	free(all);
	coord_db_close(&ro);
	/* ... and a read-write open adds the column, keeping the nodes */
	ASSERT_EQ(0, coord_db_open(&self->db, self->dir, &e)) TH_LOG("%s", e.msg);
	EXPECT_TRUE(self->db.has_nat);
	ASSERT_EQ(0, coord_db_set_nat(&self->db, n.id, MP_NAT_EASY, &e)) TH_LOG("%s", e.msg);
	ASSERT_EQ(1, coord_db_find(&self->db, n.pubkey, &n, &e));
	EXPECT_EQ(MP_NAT_EASY, n.nat);
	EXPECT_STREQ("a", n.name);
}

TEST(durations)
{
	EXPECT_EQ(90, coord_parse_duration("90"));
	EXPECT_EQ(90, coord_parse_duration("90s"));
	EXPECT_EQ(1800, coord_parse_duration("30m"));
	EXPECT_EQ(86400, coord_parse_duration("24h"));
	EXPECT_EQ(7 * 86400, coord_parse_duration("7d"));
	EXPECT_EQ(-1, coord_parse_duration("h"));
	EXPECT_EQ(-1, coord_parse_duration("-5m"));
	EXPECT_EQ(-1, coord_parse_duration("5x"));
	EXPECT_EQ(-1, coord_parse_duration("5hh"));
	EXPECT_EQ(-1, coord_parse_duration("99999999999999999999d"));
}

TEST_HARNESS_MAIN
