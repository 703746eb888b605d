// SPDX-License-Identifier: GPL-2.0-only
/* The `set` / `peer add` grammar into an in-memory configuration. */
#include "kselftest_harness.h"
#include "testutil.h"

#include "addr.h"
#include "setargs.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

TEST(device_options)
{
	char keyfile[64];
	struct mesh_conf_device dev;
	struct wgm_err err;
	uint8_t k[32];

	ASSERT_TRUE(tu_tmpfile(keyfile, K1 "\n"));
	{
		char *argv[] = { "listen-port", "51820", "private-key", keyfile,
				 "fwmark", "0x10" };

		mesh_conf_device_init(&dev);
		ASSERT_EQ(0, wgm_set_parse(ARGC(argv), argv, &dev, &err)) TH_LOG("%s", err.msg);
	}
	EXPECT_EQ(51820, dev.listen_port);
	EXPECT_EQ(16, dev.fwmark);
	EXPECT_EQ(MESH_CONF_DEV_HAS_PRIVATE_KEY | MESH_CONF_DEV_HAS_LISTEN_PORT |
		  MESH_CONF_DEV_HAS_FWMARK, dev.has);
	ASSERT_TRUE(wgm_key_from_base64(k, K1));
	EXPECT_EQ(0, memcmp(k, dev.private_key, 32));
	EXPECT_EQ(0, dev.flags);
	EXPECT_EQ(0, dev.n_peers);
	mesh_conf_device_free(&dev);
	unlink(keyfile);
}

TEST(fwmark_off_and_empty_key_file_clears)
{
	char keyfile[64];
	struct mesh_conf_device dev;
	struct wgm_err err;

	ASSERT_TRUE(tu_tmpfile(keyfile, ""));
	{
		char *argv[] = { "fwmark", "off", "private-key", keyfile };

		mesh_conf_device_init(&dev);
		memset(dev.private_key, 0xaa, 32);
		ASSERT_EQ(0, wgm_set_parse(ARGC(argv), argv, &dev, &err));
	}
	EXPECT_EQ(0, dev.fwmark);
	EXPECT_TRUE(dev.has & MESH_CONF_DEV_HAS_FWMARK);
	EXPECT_TRUE(wgm_key_is_zero(dev.private_key));
	mesh_conf_device_free(&dev);
	unlink(keyfile);
}

TEST(peers)
{
	char pskfile[64], buf[WGM_ADDRSTRLEN];
	struct mesh_conf_device dev;
	struct wgm_err err;
	const struct mesh_conf_peer *p;

	ASSERT_TRUE(tu_tmpfile(pskfile, K11));
	{
		char *argv[] = {
			"listen-port", "1",
			"peer", K2, "preshared-key", pskfile,
			"endpoint", "[fd00::1]:51820",
			"persistent-keepalive", "25",
			"allowed-ips", "10.0.0.0/24, fd00::/64",
			"candidates", "192.0.2.1:1,192.0.2.2:2",
			"peer", K3, "remove",
			"peer", K1, "persistent-keepalive", "off",
			"allowed-ips", "",
		};

		mesh_conf_device_init(&dev);
		ASSERT_EQ(0, wgm_set_parse(ARGC(argv), argv, &dev, &err)) TH_LOG("%s", err.msg);
	}
	ASSERT_EQ(3, dev.n_peers);
	p = &dev.peers[0];
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS | WGM_PEER_F_REPLACE_CANDIDATES, p->flags);
	EXPECT_EQ(MESH_CONF_PEER_HAS_PSK | MESH_CONF_PEER_HAS_ENDPOINT |
		  MESH_CONF_PEER_HAS_KEEPALIVE | MESH_CONF_PEER_HAS_CANDIDATES, p->has);
	EXPECT_EQ(0x11, p->preshared_key[0]);
	EXPECT_STREQ("[fd00::1]:51820", wgm_format_endpoint(&p->endpoint, buf, sizeof(buf)));
	EXPECT_EQ(25, p->keepalive);
	ASSERT_EQ(2, p->n_aips);
	EXPECT_STREQ("fd00::/64", wgm_format_cidr(&p->aips[1], buf, sizeof(buf)));
	EXPECT_FALSE(p->aips[0].remove);
	ASSERT_EQ(2, p->n_cands);
	EXPECT_STREQ("192.0.2.2:2", wgm_format_endpoint(&p->cands[1].endpoint, buf, sizeof(buf)));

	p = &dev.peers[1];
	EXPECT_EQ(WGM_PEER_F_REMOVE_ME, p->flags);
	EXPECT_EQ(0x40, p->public_key[0]);

	p = &dev.peers[2];
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS, p->flags);
	EXPECT_EQ(0, p->n_aips);
	EXPECT_EQ(0, p->keepalive);
	EXPECT_TRUE(p->has & MESH_CONF_PEER_HAS_KEEPALIVE);
	mesh_conf_device_free(&dev);
	unlink(pskfile);
}

TEST(allowed_ips_add_remove)
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	char *argv[] = { "peer", K2, "allowed-ips", "+10.0.0.1/32,-10.0.0.2/32, +fd00::1" };
	const struct mesh_conf_peer *p;

	mesh_conf_device_init(&dev);
	ASSERT_EQ(0, wgm_set_parse(ARGC(argv), argv, &dev, &err)) TH_LOG("%s", err.msg);
	p = &dev.peers[0];
	EXPECT_EQ(0, p->flags);
	ASSERT_EQ(3, p->n_aips);
	EXPECT_FALSE(p->aips[0].remove);
	EXPECT_TRUE(p->aips[1].remove);
	EXPECT_FALSE(p->aips[2].remove);
	EXPECT_EQ(128, p->aips[2].cidr);
	mesh_conf_device_free(&dev);
}

TEST(stun_servers)
{
	char *argv[] = { "stun-server", "192.0.2.1:3478,[2001:db8::1]:3479" };
	char *off[] = { "stun-server", "off" };
	char *dup[] = { "stun-server", "192.0.2.1:3478,192.0.2.1:3478" };
	char *many[] = { "stun-server", "192.0.2.1:1,192.0.2.2:1,192.0.2.3:1,192.0.2.4:1,192.0.2.5:1" };
	struct mesh_conf_device dev;
	struct wgm_err err;
	char a[WGM_ADDRSTRLEN];

	mesh_conf_device_init(&dev);
	ASSERT_EQ(0, wgm_set_parse(ARGC(argv), argv, &dev, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(MESH_CONF_DEV_HAS_STUN, dev.has);
	ASSERT_EQ(2, dev.n_stun);
	EXPECT_STREQ("192.0.2.1:3478", wgm_format_endpoint(&dev.stun[0].endpoint, a, sizeof(a)));
	EXPECT_STREQ("[2001:db8::1]:3479", wgm_format_endpoint(&dev.stun[1].endpoint, a, sizeof(a)));
	/* off: an empty list that is still sent (it clears the kernel's) */
	ASSERT_EQ(0, wgm_set_parse(ARGC(off), off, &dev, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(MESH_CONF_DEV_HAS_STUN, dev.has);
	EXPECT_EQ(0, dev.n_stun);
	mesh_conf_device_free(&dev);

	mesh_conf_device_init(&dev);
	EXPECT_EQ(-1, wgm_set_parse(ARGC(dup), dup, &dev, &err));
	EXPECT_STREQ("stun-server: '192.0.2.1:3478' given twice", err.msg);
	EXPECT_EQ(-1, wgm_set_parse(ARGC(many), many, &dev, &err));
	EXPECT_STREQ("stun-server: at most 4 servers", err.msg);
	mesh_conf_device_free(&dev);
}

static void expect_error(struct __test_metadata *_metadata, int argc,
			 char **argv, const char *msg)
{
	struct mesh_conf_device dev;
	struct wgm_err err;

	err.msg[0] = '\0';
	mesh_conf_device_init(&dev);
	EXPECT_EQ(-1, wgm_set_parse(argc, argv, &dev, &err)) TH_LOG("accepted %s", argv[0]);
	EXPECT_STREQ(msg, err.msg);
	mesh_conf_device_free(&dev);
}

TEST(errors)
{
	char *a1[] = { "listen-prot", "1" };
	char *a2[] = { "listen-port" };
	char *a3[] = { "listen-port", "65536" };
	char *a4[] = { "peer", "notakey" };
	char *a5[] = { "peer", K1, "listen-port", "1" };
	char *a6[] = { "peer", K1, "allowed-ips", "10.0.0.0/8,+10.1.0.0/16" };
	char *a7[] = { "peer", K1, "allowed-ips", "10.0.0.0/40" };
	char *a8[] = { "peer", K1, "remove", "endpoint", "1.2.3.4:5" };
	char *a9[] = { "peer", K1, "endpoint", "1.2.3.4" };
	char *a10[] = { "peer", K1, "persistent-keepalive", "never" };
	char *a11[] = { "fwmark", "0x100000000" };
	char *a12[] = { "peer" };
	char *a13[] = { "peer", K1, "candidates", "1.1.1.1:1,1.1.1.2:1,1.1.1.3:1,1.1.1.4:1,1.1.1.5:1,1.1.1.6:1,1.1.1.7:1,1.1.1.8:1,1.1.1.9:1,1.1.1.10:1,1.1.1.11:1,1.1.1.12:1,1.1.1.13:1,1.1.1.14:1,1.1.1.15:1,1.1.1.16:1,1.1.1.17:1" };
	char *a14[] = { "private-key", "/nonexistent/key" };
	char *a15[] = { "peer", K1, "preshared-key" };

	expect_error(_metadata, ARGC(a1), a1,
		     "unknown keyword 'listen-prot' (valid: listen-port, private-key, fwmark, stun-server, peer)");
	expect_error(_metadata, ARGC(a2), a2, "'listen-port' needs a value");
	expect_error(_metadata, ARGC(a3), a3, "listen-port: '65536' is not a port number 0-65535");
	expect_error(_metadata, ARGC(a4), a4, "peer: 'notakey' is not a 32-byte base64 key");
	expect_error(_metadata, ARGC(a5), a5,
		     "unknown peer keyword 'listen-port' (valid after 'peer': remove, preshared-key, endpoint, candidates, persistent-keepalive, allowed-ips, peer)");
	expect_error(_metadata, ARGC(a6), a6,
		     "allowed-ips: prefix either every entry with +/- (add/remove) or none (replace the list)");
	expect_error(_metadata, ARGC(a7), a7,
		     "allowed-ips: bad CIDR '10.0.0.0/40': prefix length must be 0-32");
	expect_error(_metadata, ARGC(a8), a8,
		     "peer 'remove' cannot be combined with other peer options");
	expect_error(_metadata, ARGC(a9), a9,
		     "endpoint: bad endpoint '1.2.3.4': expected HOST:PORT");
	expect_error(_metadata, ARGC(a10), a10,
		     "persistent-keepalive: 'never' is not 0-65535 seconds or 'off'");
	expect_error(_metadata, ARGC(a11), a11,
		     "fwmark: '0x100000000' is not a 32-bit number or 'off'");
	expect_error(_metadata, ARGC(a12), a12, "'peer' needs a public key");
	expect_error(_metadata, ARGC(a13), a13, "candidates: at most 16 per peer");
	expect_error(_metadata, ARGC(a14), a14,
		     "private-key: /nonexistent/key: No such file or directory");
	expect_error(_metadata, ARGC(a15), a15, "'preshared-key' needs a value");
}

TEST(candidate_kinds)
{
	char *a[] = { "peer", K1, "candidates",
		      "relay:203.0.113.254:3479,192.0.2.1:1,stun:[2001:db8::1]:2" };
	char *bad[] = { "peer", K1, "candidates", "relais:203.0.113.254:3479" };
	struct mesh_conf_device dev;
	struct wgm_err err;

	mesh_conf_device_init(&dev);
	ASSERT_EQ(0, wgm_set_parse(ARGC(a), a, &dev, &err)) TH_LOG("%s", err.msg);
	ASSERT_EQ(3, dev.peers[0].n_cands);
	EXPECT_EQ(WGM_CANDIDATE_KIND_RELAY, dev.peers[0].cands[0].kind);
	EXPECT_EQ(3479, ntohs(dev.peers[0].cands[0].endpoint.in.sin_port));
	EXPECT_EQ(WGM_CANDIDATE_KIND_DIRECT, dev.peers[0].cands[1].kind);
	EXPECT_EQ(WGM_CANDIDATE_KIND_STUN, dev.peers[0].cands[2].kind);
	EXPECT_EQ(AF_INET6, dev.peers[0].cands[2].endpoint.sa.sa_family);
	mesh_conf_device_free(&dev);
	expect_error(_metadata, ARGC(bad), bad,
		     "candidates: bad endpoint 'relais:203.0.113.254:3479': write IPv6 endpoints as [ADDRESS]:PORT");
}

TEST(peer_add_options)
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	char *ok[] = { "allowed-ips", "10.0.0.2/32", "endpoint", "192.0.2.1:51820",
		       "persistent-keepalive", "25" };
	char *bad[] = { "remove" };

	mesh_conf_device_init(&dev);
	ASSERT_EQ(0, wgm_set_parse_peer(K2, ARGC(ok), ok, &dev, &err)) TH_LOG("%s", err.msg);
	ASSERT_EQ(1, dev.n_peers);
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS, dev.peers[0].flags);
	EXPECT_EQ(1, dev.peers[0].n_aips);
	EXPECT_EQ(25, dev.peers[0].keepalive);
	mesh_conf_device_free(&dev);

	mesh_conf_device_init(&dev);
	EXPECT_EQ(-1, wgm_set_parse_peer(K2, ARGC(bad), bad, &dev, &err));
	EXPECT_NE(NULL, strstr(err.msg, "unknown peer option 'remove'"));
	mesh_conf_device_free(&dev);
	mesh_conf_device_init(&dev);
	EXPECT_EQ(-1, wgm_set_parse_peer("bad", 0, bad, &dev, &err));
	mesh_conf_device_free(&dev);
}

TEST_HARNESS_MAIN
