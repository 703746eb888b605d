// SPDX-License-Identifier: GPL-2.0-only
/* The wg(8) config-file format: parsing, errors with file:line, round trip. */
#include "kselftest_harness.h"
#include "testutil.h"

#include <arpa/inet.h>

#include "addr.h"
#include "conffile.h"

static int parse(const char *text, struct mesh_conf_device *dev, struct wgm_err *err)
{
	mesh_conf_device_init(dev);
	return wgm_conf_parse(text, strlen(text), "t.conf", dev, err);
}

static const char full_conf[] =
	"# a full configuration\n"
	"[Interface]\n"
	"PrivateKey = " K1 "\n"
	"ListenPort = 51820\n"
	"FwMark = 0x2a   # comment after a value\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " K2 "\n"
	"PresharedKey = " K11 "\n"
	"AllowedIPs = 10.0.0.2/32, fd00::2/128\n"
	"AllowedIPs = 192.168.0.0/16\n"
	"Endpoint = 198.51.100.1:51820\n"
	"PersistentKeepalive = 25\n"
	"Candidates = 198.51.100.1:51820, [2001:db8::1]:4500, relay:203.0.113.254:3479\n"
	"\n"
	"[Peer]\n"
	"publickey=" K3 "\n"
	"ENDPOINT = [2001:db8::2]:51821\n"
	"PersistentKeepalive = off\n";

TEST(full_config)
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	char buf[WGM_ADDRSTRLEN];
	uint8_t k[32];
	const struct mesh_conf_peer *p;

	ASSERT_EQ(0, parse(full_conf, &dev, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(WGM_DEVICE_F_REPLACE_PEERS, dev.flags);
	EXPECT_EQ(MESH_CONF_DEV_HAS_PRIVATE_KEY | MESH_CONF_DEV_HAS_LISTEN_PORT |
		  MESH_CONF_DEV_HAS_FWMARK, dev.has);
	ASSERT_TRUE(wgm_key_from_base64(k, K1));
	EXPECT_EQ(0, memcmp(k, dev.private_key, 32));
	EXPECT_EQ(51820, dev.listen_port);
	EXPECT_EQ(42, dev.fwmark);
	ASSERT_EQ(2, dev.n_peers);

	p = &dev.peers[0];
	ASSERT_TRUE(wgm_key_from_base64(k, K2));
	EXPECT_EQ(0, memcmp(k, p->public_key, 32));
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS | WGM_PEER_F_REPLACE_CANDIDATES,
		  p->flags);
	EXPECT_TRUE(p->has & MESH_CONF_PEER_HAS_PSK);
	EXPECT_EQ(0x11, p->preshared_key[7]);
	ASSERT_EQ(3, p->n_aips);
	EXPECT_STREQ("10.0.0.2/32", wgm_format_cidr(&p->aips[0], buf, sizeof(buf)));
	EXPECT_STREQ("fd00::2/128", wgm_format_cidr(&p->aips[1], buf, sizeof(buf)));
	EXPECT_STREQ("192.168.0.0/16", wgm_format_cidr(&p->aips[2], buf, sizeof(buf)));
	EXPECT_STREQ("198.51.100.1:51820", wgm_format_endpoint(&p->endpoint, buf, sizeof(buf)));
	EXPECT_EQ(25, p->keepalive);
	ASSERT_EQ(3, p->n_cands);
	EXPECT_STREQ("[2001:db8::1]:4500", wgm_format_endpoint(&p->cands[1].endpoint, buf, sizeof(buf)));
	EXPECT_EQ(7, p->line);

	p = &dev.peers[1];
	EXPECT_EQ(WGM_PEER_F_REPLACE_ALLOWEDIPS, p->flags);
	EXPECT_EQ(0, p->n_aips);
	EXPECT_EQ(0, p->keepalive);
	EXPECT_TRUE(p->has & MESH_CONF_PEER_HAS_KEEPALIVE);
	EXPECT_FALSE(p->has & MESH_CONF_PEER_HAS_PSK);
	EXPECT_STREQ("[2001:db8::2]:51821", wgm_format_endpoint(&p->endpoint, buf, sizeof(buf)));
	mesh_conf_device_free(&dev);
}

TEST(empty_and_comment_only)
{
	struct mesh_conf_device dev;
	struct wgm_err err;

	ASSERT_EQ(0, parse("", &dev, &err));
	EXPECT_EQ(0, dev.n_peers);
	mesh_conf_device_free(&dev);
	ASSERT_EQ(0, parse("# nothing\n\n   \n[Interface]\n# still nothing", &dev, &err));
	EXPECT_EQ(0, dev.has);
	mesh_conf_device_free(&dev);
	/* CRLF line endings and no trailing newline. */
	ASSERT_EQ(0, parse("[Interface]\r\nListenPort = 1\r\n[Peer]\r\nPublicKey = " K2, &dev, &err));
	EXPECT_EQ(1, dev.listen_port);
	EXPECT_EQ(1, dev.n_peers);
	mesh_conf_device_free(&dev);
}

TEST(fwmark_off_and_decimal)
{
	struct mesh_conf_device dev;
	struct wgm_err err;

	ASSERT_EQ(0, parse("[Interface]\nFwMark = off\n", &dev, &err));
	EXPECT_EQ(0, dev.fwmark);
	EXPECT_TRUE(dev.has & MESH_CONF_DEV_HAS_FWMARK);
	mesh_conf_device_free(&dev);
	ASSERT_EQ(0, parse("[Interface]\nFwMark = 4294967295\n", &dev, &err));
	EXPECT_EQ(4294967295U, dev.fwmark);
	mesh_conf_device_free(&dev);
}

static void expect_error(struct __test_metadata *_metadata, const char *text,
			 const char *msg)
{
	struct mesh_conf_device dev;
	struct wgm_err err;

	err.msg[0] = '\0';
	EXPECT_EQ(-1, parse(text, &dev, &err)) TH_LOG("accepted: %s", text);
	EXPECT_STREQ(msg, err.msg);
	mesh_conf_device_free(&dev);
}

TEST(errors_name_file_and_line)
{
	expect_error(_metadata, "ListenPort = 1\n",
		     "t.conf:1: 'ListenPort' appears before any [Interface] or [Peer] section");
	expect_error(_metadata, "[Interface]\n\nListenPort = 65536\n",
		     "t.conf:3: ListenPort: '65536' is not a port number 0-65535");
	expect_error(_metadata, "[Interface]\nPrivateKey = abc\n",
		     "t.conf:2: PrivateKey: not a 32-byte base64 key");
	expect_error(_metadata, "[Interface]\nPrivateKey =\n",
		     "t.conf:2: PrivateKey: not a 32-byte base64 key");
	expect_error(_metadata, "[Interface]\nFwMark = maybe\n",
		     "t.conf:2: FwMark: 'maybe' is not a 32-bit number or 'off'");
	expect_error(_metadata, "[Interface]\nAddress = 10.0.0.1/24\n",
		     "t.conf:2: Address is a wg-quick key, not understood by meshadm");
	expect_error(_metadata, "[Interface]\ndns = 1.1.1.1\n",
		     "t.conf:2: DNS is a wg-quick key, not understood by meshadm");
	expect_error(_metadata, "[Interface]\nPostUp = true\n",
		     "t.conf:2: PostUp is a wg-quick key, not understood by meshadm");
	expect_error(_metadata, "[Interface]\nPublicKey = " K1 "\n",
		     "t.conf:2: unknown key 'PublicKey' in [Interface] (valid: PrivateKey, ListenPort, FwMark)");
	expect_error(_metadata, "[Peer]\nPublicKey = " K1 "\nListenPort = 5\n",
		     "t.conf:3: unknown key 'ListenPort' in [Peer] (valid: PublicKey, PresharedKey, AllowedIPs, Endpoint, PersistentKeepalive, Candidates)");
	expect_error(_metadata, "[Interfaces]\n",
		     "t.conf:1: unknown section '[Interfaces]' (valid: [Interface], [Peer])");
	expect_error(_metadata, "[Peer\n", "t.conf:1: bad section header '[Peer'");
	expect_error(_metadata, "[Interface]\nListenPort\n",
		     "t.conf:2: expected 'Key = Value', got 'ListenPort'");
	expect_error(_metadata, "[Interface]\n= 5\n",
		     "t.conf:2: expected 'Key = Value', got '=5'");
	expect_error(_metadata, "[Interface]\n[Peer]\nAllowedIPs = 10.0.0.0/8\n[Peer]\nPublicKey = " K1 "\n",
		     "t.conf:2: [Peer] section has no PublicKey");
	expect_error(_metadata, "[Peer]\nAllowedIPs = 10.0.0.0/8\n",
		     "t.conf:1: [Peer] section has no PublicKey");
	expect_error(_metadata, "[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.0/33\n",
		     "t.conf:3: AllowedIPs: bad CIDR '10.0.0.0/33': prefix length must be 0-32");
	expect_error(_metadata, "[Peer]\nPublicKey = " K1 "\nAllowedIPs = 10.0.0.0/8,,10.1.0.0/16\n",
		     "t.conf:3: AllowedIPs: empty entry in list");
	expect_error(_metadata, "[Peer]\nPublicKey = " K1 "\nEndpoint = 1.2.3.4\n",
		     "t.conf:3: Endpoint: bad endpoint '1.2.3.4': expected HOST:PORT");
	expect_error(_metadata, "[Peer]\nPublicKey = " K1 "\nPersistentKeepalive = 70000\n",
		     "t.conf:3: PersistentKeepalive: '70000' is not 0-65535 seconds or 'off'");
	expect_error(_metadata, "[Peer]\nPublicKey = " K1 "\nPresharedKey = " K1 "x\n",
		     "t.conf:3: PresharedKey: not a 32-byte base64 key");
	expect_error(_metadata, "[Peer]\nPublicKey = " K1 "\nCandidates = 1.2.3.4:1,\n",
		     "t.conf:3: Candidates: empty entry in list");
}

TEST(candidates_limit)
{
	char text[2048];
	int i, off;

	off = snprintf(text, sizeof(text), "[Peer]\nPublicKey = " K1 "\nCandidates = ");
	for (i = 0; i < 16; i++)
		off += snprintf(text + off, sizeof(text) - off, "%s10.0.0.%d:1",
				i ? "," : "", i + 1);
	off += snprintf(text + off, sizeof(text) - off, "\n");
	{
		struct mesh_conf_device dev;
		struct wgm_err err;

		ASSERT_EQ(0, parse(text, &dev, &err)) TH_LOG("%s", err.msg);
		EXPECT_EQ(16, dev.peers[0].n_cands);
		mesh_conf_device_free(&dev);
	}
	snprintf(text + off, sizeof(text) - off, "Candidates = 10.9.9.9:9\n");
	expect_error(_metadata, text, "t.conf:4: Candidates: at most 16 candidates per peer");
}

/* Compare everything a config file can express. */
static bool conf_equal(const struct mesh_conf_device *a, const struct mesh_conf_device *b)
{
	size_t i, j;

	if (a->has != b->has || a->listen_port != b->listen_port ||
	    a->fwmark != b->fwmark || a->flags != b->flags ||
	    memcmp(a->private_key, b->private_key, 32) || a->n_peers != b->n_peers)
		return false;
	for (i = 0; i < a->n_peers; i++) {
		const struct mesh_conf_peer *p = &a->peers[i], *q = &b->peers[i];

		if (memcmp(p->public_key, q->public_key, 32) ||
		    memcmp(p->preshared_key, q->preshared_key, 32) ||
		    (p->has & MESH_CONF_PEER_HAS_PSK) != (q->has & MESH_CONF_PEER_HAS_PSK) ||
		    p->keepalive != q->keepalive || p->flags != q->flags ||
		    !wgm_endpoint_equal(&p->endpoint, &q->endpoint) ||
		    p->n_aips != q->n_aips || p->n_cands != q->n_cands)
			return false;
		for (j = 0; j < p->n_aips; j++)
			if (!wgm_cidr_equal(&p->aips[j], &q->aips[j]) ||
			    p->aips[j].cidr != q->aips[j].cidr)
				return false;
		for (j = 0; j < p->n_cands; j++)
			if (!wgm_endpoint_equal(&p->cands[j].endpoint,
						&q->cands[j].endpoint) ||
			    p->cands[j].kind != q->cands[j].kind)
				return false;
	}
	return true;
}

TEST(showconf_round_trip)
{
	struct mesh_conf_device a, b;
	struct wgm_err err;
	struct wgm_buf out, out2;

	ASSERT_EQ(0, parse(full_conf, &a, &err));
	wgm_buf_init(&out);
	wgm_conf_format(&out, &a);
	ASSERT_FALSE(out.oom);
	ASSERT_EQ(0, parse(out.s, &b, &err)) TH_LOG("%s\n%s", err.msg, out.s);
	/* The second peer had "PersistentKeepalive = off": not printed. */
	b.peers[1].has |= MESH_CONF_PEER_HAS_KEEPALIVE;
	EXPECT_TRUE(conf_equal(&a, &b)) TH_LOG("%s", out.s);
	/* Formatting is a fixed point after one round. */
	wgm_buf_init(&out2);
	wgm_conf_format(&out2, &b);
	EXPECT_STREQ(out.s, out2.s);
	EXPECT_NE(NULL, strstr(out.s, "[Interface]\nListenPort = 51820\nFwMark = 0x2a\nPrivateKey = " K1 "\n"));
	EXPECT_NE(NULL, strstr(out.s, "AllowedIPs = 10.0.0.2/32, fd00::2/128, 192.168.0.0/16\n"));
	EXPECT_NE(NULL, strstr(out.s, "Candidates = 198.51.100.1:51820, [2001:db8::1]:4500, relay:203.0.113.254:3479\n"));
	EXPECT_EQ(WGM_CANDIDATE_KIND_RELAY, a.peers[0].cands[2].kind);
	EXPECT_EQ(WGM_CANDIDATE_KIND_DIRECT, a.peers[0].cands[1].kind);
	wgm_buf_free(&out);
	wgm_buf_free(&out2);
	mesh_conf_device_free(&a);
	mesh_conf_device_free(&b);
}

TEST(parse_file)
{
	struct mesh_conf_device dev;
	struct wgm_err err;
	char path[64];

	ASSERT_TRUE(tu_tmpfile(path, "[Interface]\nListenPort = 7\nBogus = 1\n"));
	mesh_conf_device_init(&dev);
	EXPECT_EQ(-1, wgm_conf_parse_file(path, &dev, &err));
	EXPECT_EQ(0, strncmp(err.msg, path, strlen(path)));
	EXPECT_NE(NULL, strstr(err.msg, ":3: unknown key 'Bogus'"));
	mesh_conf_device_free(&dev);
	unlink(path);
	mesh_conf_device_init(&dev);
	EXPECT_EQ(-1, wgm_conf_parse_file("/nonexistent.conf", &dev, &err));
	EXPECT_STREQ("/nonexistent.conf: No such file or directory", err.msg);
	mesh_conf_device_free(&dev);
}

TEST_HARNESS_MAIN
