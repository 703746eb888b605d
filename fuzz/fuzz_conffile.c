// SPDX-License-Identifier: GPL-2.0-only
/*
 * The configuration-file parser (userland/lib/conffile.c: `meshadm
 * setconf`/`addconf`, what an operator or a script writes).
 *
 * Input: the file's bytes.  Checked: no out-of-bounds access or leak,
 * and a file that parses, once rendered by wgm_conf_format() (showconf),
 * parses again to the same rendering.  Host names are never resolved
 * (nodns.h).
 */
#include <string.h>

#include "conffile.h"
#include "fuzz.h"
#include "nodns.h"

static char *render(const struct mesh_conf_device *dev, size_t *len)
{
	struct wgm_buf b;

	wgm_buf_init(&b);
	wgm_conf_format(&b, dev);
	FUZZ_CHECK(!b.oom);
	*len = b.len;
	return b.s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mesh_conf_device dev, dev2;
	char *text, *text2;
	size_t len, len2;
	struct wgm_err err;

	mesh_conf_device_init(&dev);
	if (wgm_conf_parse((const char *)data, size, "fuzz.conf", &dev, &err)) {
		FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
		mesh_conf_device_free(&dev);
		return 0;
	}
	text = render(&dev, &len);
	mesh_conf_device_init(&dev2);
	if (wgm_conf_parse(text ? text : "", len, "rendered.conf", &dev2, &err)) {
		fprintf(stderr, "rendered configuration does not parse: %s\n%.*s\n",
			err.msg, (int)len, text);
		FUZZ_CHECK(!"showconf output parses");
	}
	text2 = render(&dev2, &len2);
	if (len != len2 || memcmp(text, text2, len)) {
		fprintf(stderr, "first rendering:\n%.*s\nsecond:\n%.*s\n", (int)len, text,
			(int)len2, text2);
		FUZZ_CHECK(!"showconf output is stable");
	}
	free(text);
	free(text2);
	mesh_conf_device_free(&dev);
	mesh_conf_device_free(&dev2);
	return 0;
}

#define K1 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define K2 "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
#define K3 "QEFCQ0RFRkdISUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8="

void fuzz_seeds(fuzz_emit_fn emit)
{
	static const char full[] =
		"[Interface]\n"
		"PrivateKey = " K1 "\n"
		"ListenPort = 51820\n"
		"FwMark = 0x10\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " K2 "\n"
		"PresharedKey = " K3 "\n"
		"AllowedIPs = 10.0.0.0/24, fd00::/64\n"
		"AllowedIPs = 192.0.2.7/32\n"
		"Endpoint = 192.0.2.1:51820\n"
		"PersistentKeepalive = 25\n"
		"Candidates = 198.51.100.1:4500, [2001:db8::1]:4500\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " K3 "\n"
		"Endpoint = [2001:db8::2]:51821  # comment\n"
		"AllowedIPs = 0.0.0.0/0, ::/0\n";
	static const char crlf[] = "[Interface]\r\nListenPort = 1\r\n[Peer]\r\nPublicKey = " K2;
	static const char fwoff[] = "[Interface]\nFwMark = off\n";
	static const char bad[] = "[Peer\nPublicKey = " K1 "\nListenPort = 65536\n";
	static const char empty_list[] = "[Peer]\npublickey=" K1 "\nallowedips=\ncandidates =\n";

	emit("full.conf", full, sizeof(full) - 1);
	emit("crlf.conf", crlf, sizeof(crlf) - 1);
	emit("fwmark-off.conf", fwoff, sizeof(fwoff) - 1);
	emit("bad.conf", bad, sizeof(bad) - 1);
	emit("empty-lists.conf", empty_list, sizeof(empty_list) - 1);
}
