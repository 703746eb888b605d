// SPDX-License-Identifier: GPL-2.0-only
/* syncconf: the minimal request between a dump and a config file. */
#include "kselftest_harness.h"
#include "testutil.h"

#include "addr.h"
#include "conffile.h"
#include "diff.h"

static int parse(const char *text, struct mesh_conf_device *dev)
{
	struct wgm_err err;

	mesh_conf_device_init(dev);
	snprintf(dev->name, sizeof(dev->name), "wgm0");
	return wgm_conf_parse(text, strlen(text), "t", dev, &err);
}

/* The "kernel" state: like a dump, no REPLACE flags. */
static const char current_conf[] =
	"[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
	"[Peer]\nPublicKey = " K2 "\nAllowedIPs = 10.0.0.2/32, fd00::2/128\n"
	"Endpoint = 192.0.2.2:51820\nPersistentKeepalive = 25\n"
	"[Peer]\nPublicKey = " K3 "\nAllowedIPs = 10.0.0.3/32\n"
	"[Peer]\nPublicKey = " K11 "\nAllowedIPs = 10.0.0.11/32\nPresharedKey = " KFF "\n";

static void current(struct mesh_conf_device *dev)
{
	size_t i;

	parse(current_conf, dev);
	dev->flags = 0;
	for (i = 0; i < dev->n_peers; i++) {
		dev->peers[i].flags = 0;
		dev->peers[i].has |= MESH_CONF_PEER_HAS_PSK | MESH_CONF_PEER_HAS_STATS;
	}
}

TEST(identical_config_sends_nothing)
{
	struct mesh_conf_device cur, want, out;
	struct wgm_err err;

	current(&cur);
	/* Same content, other order, allowed IPs reordered + host bits. */
	ASSERT_EQ(0, parse("[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
			   "[Peer]\nPublicKey = " K11 "\nAllowedIPs = 10.0.0.11/32\nPresharedKey = " KFF "\n"
			   "[Peer]\nPublicKey = " K3 "\nAllowedIPs = 10.0.0.3/32\n"
			   "[Peer]\nPublicKey = " K2 "\nAllowedIPs = fd00::2/128, 10.0.0.2/32\n"
			   "PersistentKeepalive = 25\n", &want));
	mesh_conf_device_init(&out);
	ASSERT_EQ(0, wgm_conf_diff(&cur, &want, &out, &err));
	EXPECT_EQ(0, out.has);
	EXPECT_EQ(0, out.flags);
	EXPECT_EQ(0, out.n_peers);
	EXPECT_STREQ("wgm0", out.name);
	mesh_conf_device_free(&cur);
	mesh_conf_device_free(&want);
	mesh_conf_device_free(&out);
}

TEST(minimal_changes)
{
	struct mesh_conf_device cur, want, out;
	struct wgm_err err;
	const struct mesh_conf_peer *p;
	uint8_t k[32];

	current(&cur);
	/*
	 * K2: unchanged; K3: dropped; K11: PSK removed; new peer KFF;
	 * listen port changed, private key the same.
	 */
	ASSERT_EQ(0, parse("[Interface]\nPrivateKey = " K1 "\nListenPort = 51821\n"
			   "[Peer]\nPublicKey = " K2 "\nAllowedIPs = 10.0.0.2/32, fd00::2/128\n"
			   "PersistentKeepalive = 25\nEndpoint = 192.0.2.2:51820\n"
			   "[Peer]\nPublicKey = " K11 "\nAllowedIPs = 10.0.0.11/32\n"
			   "[Peer]\nPublicKey = " KFF "\nAllowedIPs = 10.9.0.0/16\n", &want));
	mesh_conf_device_init(&out);
	ASSERT_EQ(0, wgm_conf_diff(&cur, &want, &out, &err));
	EXPECT_EQ(MESH_CONF_DEV_HAS_LISTEN_PORT, out.has);
	EXPECT_EQ(51821, out.listen_port);
	EXPECT_EQ(0, out.flags & WGM_DEVICE_F_REPLACE_PEERS);
	ASSERT_EQ(3, out.n_peers);

	p = &out.peers[0];
	ASSERT_TRUE(wgm_key_from_base64(k, K3));
	EXPECT_EQ(0, memcmp(k, p->public_key, 32));
	EXPECT_EQ(WGM_PEER_F_REMOVE_ME, p->flags);

	p = &out.peers[1];
	ASSERT_TRUE(wgm_key_from_base64(k, K11));
	EXPECT_EQ(0, memcmp(k, p->public_key, 32));
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS, p->flags);
	EXPECT_TRUE(p->has & MESH_CONF_PEER_HAS_PSK);
	EXPECT_TRUE(wgm_key_is_zero(p->preshared_key));
	EXPECT_EQ(1, p->n_aips);

	p = &out.peers[2];
	ASSERT_TRUE(wgm_key_from_base64(k, KFF));
	EXPECT_EQ(0, memcmp(k, p->public_key, 32));
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS, p->flags);
	mesh_conf_device_free(&cur);
	mesh_conf_device_free(&want);
	mesh_conf_device_free(&out);
}

TEST(endpoint_keepalive_allowedips_candidates_changes)
{
	struct mesh_conf_device cur, want, out;
	struct wgm_err err;

	current(&cur);
	ASSERT_EQ(0, parse("[Peer]\nPublicKey = " K2 "\nAllowedIPs = 10.0.0.2/32, fd00::2/128\n"
			   "PersistentKeepalive = 25\nEndpoint = 192.0.2.99:51820\n"
			   "[Peer]\nPublicKey = " K3 "\nAllowedIPs = 10.0.0.3/32\nPersistentKeepalive = 5\n"
			   "[Peer]\nPublicKey = " K11 "\nAllowedIPs = 10.0.0.11/32, 10.0.0.12/32\nPresharedKey = " KFF "\n",
			   &want));
	mesh_conf_device_init(&out);
	ASSERT_EQ(0, wgm_conf_diff(&cur, &want, &out, &err));
	EXPECT_EQ(0, out.has);	/* no [Interface] values: nothing to set */
	ASSERT_EQ(3, out.n_peers);
	EXPECT_TRUE(out.peers[0].has & MESH_CONF_PEER_HAS_ENDPOINT);
	EXPECT_EQ(5, out.peers[1].keepalive);
	EXPECT_EQ(2, out.peers[2].n_aips);
	EXPECT_EQ(0xff, out.peers[2].preshared_key[0]);
	mesh_conf_device_free(&want);
	mesh_conf_device_free(&out);

	/* A file without Endpoint leaves a roaming endpoint alone. */
	ASSERT_EQ(0, parse("[Peer]\nPublicKey = " K2 "\nAllowedIPs = 10.0.0.2/32, fd00::2/128\n"
			   "PersistentKeepalive = 25\nCandidates = 192.0.2.7:1\n", &want));
	mesh_conf_device_init(&out);
	ASSERT_EQ(0, wgm_conf_diff(&cur, &want, &out, &err));
	/* K3 and K11 removed; K2 re-sent only for its new candidate list. */
	ASSERT_EQ(3, out.n_peers);
	EXPECT_EQ(WGM_PEER_F_REMOVE_ME, out.peers[0].flags);
	EXPECT_EQ(WGM_PEER_F_REMOVE_ME, out.peers[1].flags);
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS | WGM_PEER_F_REPLACE_CANDIDATES,
		  out.peers[2].flags);
	EXPECT_FALSE(out.peers[2].has & MESH_CONF_PEER_HAS_ENDPOINT);
	EXPECT_EQ(1, out.peers[2].n_cands);
	mesh_conf_device_free(&cur);
	mesh_conf_device_free(&want);
	mesh_conf_device_free(&out);
}

TEST(many_peers_sync_is_fast_and_exact)
{
	struct mesh_conf_device cur, want, out;
	struct wgm_err err;
	uint32_t i;

	mesh_conf_device_init(&cur);
	mesh_conf_device_init(&want);
	for (i = 0; i < 10000; i++) {
		struct mesh_conf_peer *p = mesh_conf_device_add_peer(&cur);

		tu_key(p->public_key, i, 3);
		if (i % 10) {	/* every 10th peer is dropped from the file */
			p = mesh_conf_device_add_peer(&want);
			tu_key(p->public_key, i, 3);
			p->flags = WGM_PEER_F_REPLACE_ALLOWEDIPS;
			if (i % 100 == 1)
				p->keepalive = 10;	/* and some change */
		}
	}
	mesh_conf_device_init(&out);
	ASSERT_EQ(0, wgm_conf_diff(&cur, &want, &out, &err));
	EXPECT_EQ(1000 + 100, out.n_peers);
	mesh_conf_device_free(&cur);
	mesh_conf_device_free(&want);
	mesh_conf_device_free(&out);
}

TEST_HARNESS_MAIN
