// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `meshadm set` / `peer add` argument parser (userland/lib/setargs.c),
 * then the SET_DEVICE messages built from what it parsed
 * (userland/lib/nlmsg.c), read back with wgm_dump_parse().
 *
 * Input: the argument words, separated by NUL bytes.  A first word of
 * exactly "\x01" selects wgm_set_parse_peer() with the next word as the
 * public key.  The word after private-key / preshared-key names a key file:
 * it is replaced by one of the target's own files (valid key, empty,
 * garbage, too long, missing), chosen by its first byte, so that no input
 * reads stdin or the fuzzing machine's files.  Host names are never
 * resolved (nodns.h).
 *
 * Checked: no out-of-bounds access or leak; every message built fits and
 * parses back into the same peers (keys, allowed IPs, candidates).
 */
#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "nlmsg.h"
#include "nodns.h"
#include "setargs.h"

#define MAX_WORDS 128

static char keydir[] = "/tmp/wgm-fuzz-setargs.XXXXXX";
static char keyfiles[5][sizeof(keydir) + 8];

static void keyfiles_remove(void)
{
	int i;

	for (i = 0; i < 5; i++)
		unlink(keyfiles[i]);
	rmdir(keydir);
}

static void keyfile(int i, const char *name, const char *content)
{
	FILE *f;

	snprintf(keyfiles[i], sizeof(keyfiles[i]), "%s/%s", keydir, name);
	if (!content)
		return;
	f = fopen(keyfiles[i], "w");
	FUZZ_CHECK(f);
	fputs(content, f);
	FUZZ_CHECK(!fclose(f));
}

static void keyfiles_init(void)
{
	static bool done;
	char longer[301];

	if (done)
		return;
	FUZZ_CHECK(mkdtemp(keydir));
	memset(longer, 'A', 300);
	longer[300] = '\0';
	keyfile(0, "valid", "ERERERERERERERERERERERERERERERERERERERERERE=\n");
	keyfile(1, "empty", "");
	keyfile(2, "garbage", "not a key\n");
	keyfile(3, "long", longer);
	keyfile(4, "missing", NULL);
	atexit(keyfiles_remove);
	done = true;
}

static bool same_aip(const struct mesh_conf_aip *a, const struct mesh_conf_aip *b)
{
	return a->family == b->family && a->cidr == b->cidr && a->remove == b->remove &&
	       !memcmp(&a->addr, &b->addr, a->family == AF_INET ? 4 : 16);
}

/* SET_DEVICE messages for dev, parsed back into a second device. */
static void build_and_reparse(const struct mesh_conf_device *dev)
{
	static uint8_t buf[WGM_NL_SET_MSG_SIZE];
	struct wgm_set_iter it;
	struct mesh_conf_device back;
	struct wgm_err err;
	size_t i, j;
	bool merge = false;
	int n;

	/* adjacent peers with one key would be joined on the way back */
	for (i = 1; i < dev->n_peers; i++)
		merge |= !memcmp(dev->peers[i].public_key, dev->peers[i - 1].public_key,
				 WGM_KEY_LEN);
	mesh_conf_device_init(&back);
	wgm_set_iter_init(&it, dev);
	while (!wgm_set_iter_done(&it)) {
		n = wgm_set_build_next(&it, buf, sizeof(buf), 0x1234, it.msgs + 1, &err);
		if (n < 0)
			goto out;	/* a peer head too big for a message: refused */
		if (!n)
			break;
		FUZZ_CHECK((size_t)n <= sizeof(buf));
		FUZZ_CHECK(((struct nlmsghdr *)buf)->nlmsg_len == (uint32_t)n);
		FUZZ_CHECK(it.msgs < 100000);
		if (wgm_dump_parse((struct nlmsghdr *)buf, &back, &err)) {
			fprintf(stderr, "built message does not parse: %s\n", err.msg);
			FUZZ_CHECK(!"SET_DEVICE messages parse back");
		}
	}
	if (merge)
		goto out;
	FUZZ_CHECK(back.n_peers == dev->n_peers);
	for (i = 0; i < dev->n_peers; i++) {
		const struct mesh_conf_peer *p = &dev->peers[i], *q = &back.peers[i];

		FUZZ_CHECK(!memcmp(p->public_key, q->public_key, WGM_KEY_LEN));
		FUZZ_CHECK(p->n_aips == q->n_aips);
		for (j = 0; j < p->n_aips; j++)
			FUZZ_CHECK(same_aip(&p->aips[j], &q->aips[j]));
		FUZZ_CHECK(p->n_cands == q->n_cands);
	}
out:
	mesh_conf_device_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[MAX_WORDS + 1], *copy, *p, *end;
	struct mesh_conf_device dev;
	struct wgm_err err;
	int argc = 0, i, ret;
	bool peer_mode;

	keyfiles_init();
	copy = malloc(size + 1);
	FUZZ_CHECK(copy);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (p = copy, end = copy + size; p <= end && argc < MAX_WORDS; p += strlen(p) + 1)
		words[argc++] = p;
	if (argc && !*words[argc - 1] && end > copy && !end[-1])
		argc--;		/* a trailing NUL ends the last word */
	words[argc] = NULL;
	for (i = 1; i < argc; i++)
		if (!strcmp(words[i - 1], "private-key") || !strcmp(words[i - 1], "preshared-key"))
			words[i] = keyfiles[(unsigned char)words[i][0] % 5];

	peer_mode = argc >= 2 && !strcmp(words[0], "\x01");
	mesh_conf_device_init(&dev);
	if (peer_mode)
		ret = wgm_set_parse_peer(words[1], argc - 2, words + 2, &dev, &err);
	else
		ret = wgm_set_parse(argc, words, &dev, &err);
	if (ret)
		FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
	else
		build_and_reparse(&dev);
	mesh_conf_device_free(&dev);
	free(copy);
	return 0;
}

#define K1 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define K2 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define K3 "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="

static void emit_words(fuzz_emit_fn emit, const char *name, const char *const *w)
{
	char buf[1024];
	size_t len = 0, n;

	for (; *w; w++) {
		n = strlen(*w) + 1;
		FUZZ_CHECK(len + n <= sizeof(buf));
		memcpy(buf + len, *w, n);
		len += n;
	}
	emit(name, buf, len);
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	static const char *const device[] = {
		"listen-port", "51820", "private-key", "\x00", "fwmark", "0x10",
		"stun-server", "192.0.2.1:3478,[2001:db8::1]:3478", NULL,
	};
	static const char *const peers[] = {
		"listen-port", "1",
		"peer", K2, "preshared-key", "\x00", "endpoint", "[fd00::1]:51820",
		"persistent-keepalive", "25", "allowed-ips", "10.0.0.0/24, fd00::/64",
		"candidates", "192.0.2.1:1,192.0.2.2:2",
		"peer", K3, "remove",
		"peer", K1, "persistent-keepalive", "off", "allowed-ips", "", NULL,
	};
	static const char *const incremental[] = {
		"stun-server", "off",
		"peer", K2, "allowed-ips", "+10.1.0.0/16,-10.0.0.0/24,+fd01::/48", NULL,
	};
	static const char *const peer_add[] = {
		"\x01", K1, "endpoint", "198.51.100.7:4500", "allowed-ips", "0.0.0.0/0,::/0",
		"preshared-key", "\x05", NULL,
	};
	static const char *const bad[] = {
		"fwmark", "maybe", "peer", "notakey", "remove", "endpoint", NULL,
	};

	emit_words(emit, "device", device);
	emit_words(emit, "peers", peers);
	emit_words(emit, "incremental", incremental);
	emit_words(emit, "peer-add", peer_add);
	emit_words(emit, "bad", bad);
}
