// SPDX-License-Identifier: GPL-2.0-only
/* Keys: base64 (incl. non-canonical rejection), X25519 (RFC 7748), keygen. */
#include "kselftest_harness.h"
#include "testutil.h"

#include "curve25519.h"
#include "key.h"

static void x25519_hex(char out[65], const char *k, const char *u)
{
	uint8_t kb[32], ub[32], r[32];
	int i;

	memset(out, 0, 65);
	if (!tu_unhex(kb, k, 32) || !tu_unhex(ub, u, 32))
		return;
	wgm_curve25519(r, kb, ub);
	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

TEST(rfc7748_vector_1)
{
	char out[65];

	x25519_hex(out,
		   "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		   "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c");
	EXPECT_STREQ("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
		     out);
}

TEST(rfc7748_vector_2_top_bit_of_u_ignored)
{
	char out[65];

	/* The u-coordinate's last byte is 0x93: bit 255 set, must be masked. */
	x25519_hex(out,
		   "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		   "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493");
	EXPECT_STREQ("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
		     out);
}

static void iterate(uint8_t k[32], int n)
{
	uint8_t u[32] = { 9 }, r[32];
	int i;

	memset(k, 0, 32);
	k[0] = 9;
	for (i = 0; i < n; i++) {
		wgm_curve25519(r, k, u);
		memcpy(u, k, 32);
		memcpy(k, r, 32);
	}
}

TEST(rfc7748_iterated_1)
{
	uint8_t k[32], want[32];

	iterate(k, 1);
	ASSERT_TRUE(tu_unhex(want, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", 32));
	EXPECT_EQ(0, memcmp(k, want, 32));
}

TEST(rfc7748_iterated_1000)
{
	uint8_t k[32], want[32];

	iterate(k, 1000);
	ASSERT_TRUE(tu_unhex(want, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51", 32));
	EXPECT_EQ(0, memcmp(k, want, 32));
}

TEST(rfc7748_diffie_hellman)
{
	uint8_t a[32], b[32], pa[32], pb[32], s1[32], s2[32], want[32];

	ASSERT_TRUE(tu_unhex(a, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", 32));
	ASSERT_TRUE(tu_unhex(b, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", 32));
	wgm_key_public(pa, a);
	wgm_key_public(pb, b);
	ASSERT_TRUE(tu_unhex(want, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", 32));
	EXPECT_EQ(0, memcmp(pa, want, 32));
	ASSERT_TRUE(tu_unhex(want, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", 32));
	EXPECT_EQ(0, memcmp(pb, want, 32));
	wgm_curve25519(s1, a, pb);
	wgm_curve25519(s2, b, pa);
	ASSERT_TRUE(tu_unhex(want, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", 32));
	EXPECT_EQ(0, memcmp(s1, want, 32));
	EXPECT_EQ(0, memcmp(s2, want, 32));
}

TEST(x25519_clamps_scalar_internally)
{
	uint8_t k[32], kc[32], p1[32], p2[32];

	tu_key(k, 0xdeadbeef, 0);
	k[0] |= 7;
	k[31] |= 0x80;
	k[31] &= ~0x40;
	memcpy(kc, k, 32);
	wgm_curve25519_clamp(kc);
	EXPECT_EQ(0, kc[0] & 7);
	EXPECT_EQ(0, kc[31] & 0x80);
	EXPECT_EQ(0x40, kc[31] & 0x40);
	wgm_key_public(p1, k);
	wgm_key_public(p2, kc);
	EXPECT_EQ(0, memcmp(p1, p2, 32));
	/* The caller's scalar is not modified. */
	EXPECT_EQ(7, k[0] & 7);
}

TEST(generated_private_keys_are_clamped_and_differ)
{
	uint8_t a[32], b[32];
	struct wgm_err err;

	ASSERT_EQ(0, wgm_key_generate_private(a, &err));
	ASSERT_EQ(0, wgm_key_generate_private(b, &err));
	EXPECT_EQ(0, a[0] & 7);
	EXPECT_EQ(0x40, a[31] & 0xc0);
	EXPECT_EQ(0x40, b[31] & 0xc0);
	EXPECT_NE(0, memcmp(a, b, 32));
}

TEST(base64_known_encoding)
{
	uint8_t key[32], back[32];
	char out[45];
	int i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	wgm_key_to_base64(out, key);
	EXPECT_STREQ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", out);
	ASSERT_TRUE(wgm_key_from_base64(back, out));
	EXPECT_EQ(0, memcmp(key, back, 32));
}

TEST(base64_round_trip_all_byte_values)
{
	uint8_t key[32], back[32];
	char out[45];
	int v, i;

	for (v = 0; v < 256; v++) {
		for (i = 0; i < 32; i++)
			key[i] = (uint8_t)(v + i * 91);
		wgm_key_to_base64(out, key);
		ASSERT_EQ(44, strlen(out));
		ASSERT_TRUE(wgm_key_from_base64(back, out));
		ASSERT_EQ(0, memcmp(key, back, 32));
	}
	memset(key, 0xff, 32);
	wgm_key_to_base64(out, key);
	EXPECT_STREQ("//////////////////////////////////////////8=", out);
}

TEST(base64_rejects_noncanonical_padding_bits)
{
	uint8_t key[32];

	/* '8' = 60 (low bits 00) is canonical; '9' = 61 sets an unused bit. */
	EXPECT_TRUE(wgm_key_from_base64(key, "//////////////////////////////////////////8="));
	EXPECT_FALSE(wgm_key_from_base64(key, "//////////////////////////////////////////9="));
	EXPECT_FALSE(wgm_key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="));
}

TEST(base64_rejects_malformed)
{
	uint8_t key[32], orig[32];

	memset(key, 0x5a, 32);
	memcpy(orig, key, 32);
	EXPECT_FALSE(wgm_key_from_base64(key, ""));
	EXPECT_FALSE(wgm_key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"));
	EXPECT_FALSE(wgm_key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=="));
	EXPECT_FALSE(wgm_key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A"));
	EXPECT_FALSE(wgm_key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd.h8="));
	EXPECT_FALSE(wgm_key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd-h8="));
	EXPECT_FALSE(wgm_key_from_base64(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd h8="));
	EXPECT_FALSE(wgm_key_from_base64(key, "=AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
	/* A failed decode leaves the output untouched. */
	EXPECT_EQ(0, memcmp(key, orig, 32));
}

TEST(key_text_whitespace_and_empty)
{
	uint8_t key[32];
	struct wgm_err err;
	bool empty;
	const char *t = "  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";

	ASSERT_EQ(0, wgm_key_parse_text(key, t, strlen(t), &empty, &err));
	EXPECT_FALSE(empty);
	EXPECT_EQ(31, key[31]);
	ASSERT_EQ(0, wgm_key_parse_text(key, " \n", 2, &empty, &err));
	EXPECT_TRUE(empty);
	EXPECT_TRUE(wgm_key_is_zero(key));
	EXPECT_EQ(-1, wgm_key_parse_text(key, "abc", 3, &empty, &err));
	EXPECT_STREQ("not a 32-byte base64 key", err.msg);
}

TEST(key_file)
{
	char path[64];
	uint8_t key[32];
	struct wgm_err err;
	bool empty;

	ASSERT_TRUE(tu_tmpfile(path, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"));
	EXPECT_EQ(0, wgm_key_read_file(key, path, &empty, &err));
	EXPECT_EQ(5, key[5]);
	unlink(path);
	ASSERT_TRUE(tu_tmpfile(path, "not a key\n"));
	EXPECT_EQ(-1, wgm_key_read_file(key, path, &empty, &err));
	EXPECT_NE(NULL, strstr(err.msg, "not a 32-byte base64 key"));
	EXPECT_EQ(0, strncmp(err.msg, path, strlen(path)));
	unlink(path);
	EXPECT_EQ(-1, wgm_key_read_file(key, "/nonexistent/key", &empty, &err));
	EXPECT_NE(NULL, strstr(err.msg, "No such file"));
}

/* A file holding text (may contain NULs), written to a temporary file. */
static int key_from_bytes(uint8_t key[32], const char *text, size_t len,
			  bool *empty, struct wgm_err *err)
{
	char path[] = "/tmp/wgm-key-XXXXXX";
	int fd = mkstemp(path), ret;

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return -2;
	close(fd);
	ret = wgm_key_read_file(key, path, empty, err);
	unlink(path);
	return ret;
}

/* wg(8) accepts a key followed by any amount of whitespace; so do we. */
TEST(key_file_any_trailing_whitespace)
{
	static const char k[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	size_t big = 100000, i;
	struct wgm_err err;
	uint8_t key[32];
	bool empty;
	char *t = malloc(44 + big + 1);

	ASSERT_NE(NULL, t);
	memcpy(t, k, 44);
	for (i = 0; i < big; i++)
		t[44 + i] = " \n\t\r"[i % 4];
	memset(key, 0xaa, sizeof(key));
	EXPECT_EQ(0, key_from_bytes(key, t, 44 + big, &empty, &err)) TH_LOG("%s", err.msg);
	EXPECT_FALSE(empty);
	EXPECT_EQ(31, key[31]);
	/* 300 newlines: more than one read buffer */
	memset(t + 44, '\n', 300);
	memset(key, 0xaa, sizeof(key));
	EXPECT_EQ(0, key_from_bytes(key, t, 344, &empty, &err)) TH_LOG("%s", err.msg);
	EXPECT_EQ(7, key[7]);
	/* CRLF, and whitespace before the key too */
	EXPECT_EQ(0, key_from_bytes(key, "\n  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\r\n", 49, &empty, &err));
	/* only whitespace, any amount: empty */
	memset(t, '\n', 1000);
	EXPECT_EQ(0, key_from_bytes(key, t, 1000, &empty, &err));
	EXPECT_TRUE(empty);
	/* garbage is still refused, after any amount of whitespace */
	memcpy(t, k, 44);
	memset(t + 44, '\n', 500);
	t[544] = 'x';
	EXPECT_EQ(-1, key_from_bytes(key, t, 545, &empty, &err));
	EXPECT_NE(NULL, strstr(err.msg, "not a 32-byte base64 key")) TH_LOG("%s", err.msg);
	t[544] = '\0';
	EXPECT_EQ(-1, key_from_bytes(key, t, 545, &empty, &err));
	EXPECT_EQ(-1, key_from_bytes(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=A", 45, &empty, &err));
	EXPECT_EQ(-1, key_from_bytes(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= A\n", 47, &empty, &err));
	EXPECT_EQ(-1, key_from_bytes(key, "AAECAwQFBgcICQoLDA0ODx AREhMUFRYXGBkaGxwdHh8=", 45, &empty, &err));
	EXPECT_EQ(-1, key_from_bytes(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\0\n", 45, &empty, &err));
	EXPECT_EQ(-1, key_from_bytes(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", 43, &empty, &err));
	free(t);
}

TEST(key_arg_whitespace)
{
	uint8_t key[32];

	EXPECT_TRUE(wgm_key_from_arg(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n "));
	EXPECT_EQ(3, key[3]);
	EXPECT_FALSE(wgm_key_from_arg(key, ""));
	EXPECT_FALSE(wgm_key_from_arg(key, " \n"));
	EXPECT_FALSE(wgm_key_from_arg(key, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= x"));
}

TEST(key_equal_and_zero)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	EXPECT_TRUE(wgm_key_is_zero(a));
	EXPECT_TRUE(wgm_key_equal(a, b));
	b[31] = 1;
	EXPECT_FALSE(wgm_key_is_zero(b));
	EXPECT_FALSE(wgm_key_equal(a, b));
}

TEST_HARNESS_MAIN
