// SPDX-License-Identifier: GPL-2.0-only
#include "key.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "curve25519.h"

/*
 * Map 0..63 to the base64 alphabet without branches or table lookups: start
 * from 'A' + v and correct the offset with masks derived from comparisons.
 */
static char b64_char(unsigned int v)
{
	int x = (int)v, c = 'A' + x;

	c += ((25 - x) >> 8) & 6;	/* 26..51 -> 'a'..'z' */
	c -= ((51 - x) >> 8) & 75;	/* 52..61 -> '0'..'9' */
	c -= ((61 - x) >> 8) & 15;	/* 62 -> '+' */
	c += ((62 - x) >> 8) & 3;	/* 63 -> '/' */
	return (char)c;
}

/*
 * Inverse of b64_char; -1 for characters outside the alphabet.  Each range
 * test yields an all-ones mask when lo <= c <= hi.
 */
static int b64_value(unsigned char uc)
{
	int c = uc, v = -1;

#define IN_RANGE(lo, hi) ((((lo) - 1 - c) & (c - ((hi) + 1))) >> 8)
	v += IN_RANGE('A', 'Z') & (c - 'A' + 1);
	v += IN_RANGE('a', 'z') & (c - 'a' + 26 + 1);
	v += IN_RANGE('0', '9') & (c - '0' + 52 + 1);
	v += IN_RANGE('+', '+') & (62 + 1);
	v += IN_RANGE('/', '/') & (63 + 1);
#undef IN_RANGE
	return v;
}

void wgm_key_to_base64(char out[WGM_KEY_B64_LEN + 1],
		       const uint8_t key[WGM_KEY_LEN])
{
	unsigned int i, v;

	for (i = 0; i < WGM_KEY_LEN / 3; i++) {
		v = (unsigned int)key[i * 3] << 16 |
		    (unsigned int)key[i * 3 + 1] << 8 | key[i * 3 + 2];
		out[i * 4 + 0] = b64_char((v >> 18) & 63);
		out[i * 4 + 1] = b64_char((v >> 12) & 63);
		out[i * 4 + 2] = b64_char((v >> 6) & 63);
		out[i * 4 + 3] = b64_char(v & 63);
	}
	v = (unsigned int)key[30] << 16 | (unsigned int)key[31] << 8;
	out[40] = b64_char((v >> 18) & 63);
	out[41] = b64_char((v >> 12) & 63);
	out[42] = b64_char((v >> 6) & 63);
	out[43] = '=';
	out[44] = '\0';
}

bool wgm_key_from_base64(uint8_t out[WGM_KEY_LEN], const char *in)
{
	uint8_t tmp[WGM_KEY_LEN];
	unsigned int i;
	int bad = 0, a, b, c, d;
	uint32_t v;

	if (strlen(in) != WGM_KEY_B64_LEN || in[43] != '=')
		return false;
	for (i = 0; i < WGM_KEY_LEN / 3; i++) {
		a = b64_value(in[i * 4]);
		b = b64_value(in[i * 4 + 1]);
		c = b64_value(in[i * 4 + 2]);
		d = b64_value(in[i * 4 + 3]);
		bad |= a | b | c | d;	/* negative if any is -1 */
		v = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 |
		    (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
		tmp[i * 3] = (uint8_t)(v >> 16);
		tmp[i * 3 + 1] = (uint8_t)(v >> 8);
		tmp[i * 3 + 2] = (uint8_t)v;
	}
	a = b64_value(in[40]);
	b = b64_value(in[41]);
	c = b64_value(in[42]);
	bad |= a | b | c;
	v = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 |
	    (uint32_t)(c & 63) << 6;
	tmp[30] = (uint8_t)(v >> 16);
	tmp[31] = (uint8_t)(v >> 8);
	/* The low two bits of the 43rd character carry no data: must be 0. */
	bad |= -(int)(v & 0xff);

	if (bad < 0) {
		explicit_bzero(tmp, sizeof(tmp));
		return false;
	}
	memcpy(out, tmp, sizeof(tmp));
	explicit_bzero(tmp, sizeof(tmp));
	return true;
}

bool wgm_key_is_zero(const uint8_t key[WGM_KEY_LEN])
{
	uint8_t acc = 0;
	unsigned int i;

	for (i = 0; i < WGM_KEY_LEN; i++)
		acc |= key[i];
	return acc == 0;
}

bool wgm_key_equal(const uint8_t a[WGM_KEY_LEN], const uint8_t b[WGM_KEY_LEN])
{
	uint8_t acc = 0;
	unsigned int i;

	for (i = 0; i < WGM_KEY_LEN; i++)
		acc |= a[i] ^ b[i];
	return acc == 0;
}

int wgm_key_random(uint8_t out[WGM_KEY_LEN], struct wgm_err *err)
{
	size_t got = 0;
	ssize_t r;

	while (got < WGM_KEY_LEN) {
		r = getrandom(out + got, WGM_KEY_LEN - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return wgm_err_set(err, "getrandom: %s", strerror(errno));
		}
		got += (size_t)r;
	}
	return 0;
}

int wgm_key_generate_private(uint8_t out[WGM_KEY_LEN], struct wgm_err *err)
{
	if (wgm_key_random(out, err))
		return -1;
	wgm_curve25519_clamp(out);
	return 0;
}

void wgm_key_public(uint8_t pub[WGM_KEY_LEN], const uint8_t priv[WGM_KEY_LEN])
{
	wgm_curve25519_public(pub, priv);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

int wgm_key_parse_text(uint8_t out[WGM_KEY_LEN], const char *text, size_t len,
		       bool *empty, struct wgm_err *err)
{
	char buf[WGM_KEY_B64_LEN + 1];
	size_t start = 0;

	while (start < len && is_space(text[start]))
		start++;
	while (len > start && is_space(text[len - 1]))
		len--;
	if (empty)
		*empty = false;
	if (len == start) {
		memset(out, 0, WGM_KEY_LEN);
		if (empty)
			*empty = true;
		return 0;
	}
	if (len - start != WGM_KEY_B64_LEN)
		return wgm_err_set(err, "not a 32-byte base64 key");
	memcpy(buf, text + start, WGM_KEY_B64_LEN);
	buf[WGM_KEY_B64_LEN] = '\0';
	if (memchr(buf, '\0', WGM_KEY_B64_LEN) || !wgm_key_from_base64(out, buf)) {
		explicit_bzero(buf, sizeof(buf));
		return wgm_err_set(err, "not a 32-byte base64 key");
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

bool wgm_key_from_arg(uint8_t out[WGM_KEY_LEN], const char *arg)
{
	uint8_t tmp[WGM_KEY_LEN];
	bool empty;

	if (wgm_key_parse_text(tmp, arg, strlen(arg), &empty, NULL) || empty)
		return false;
	memcpy(out, tmp, sizeof(tmp));
	explicit_bzero(tmp, sizeof(tmp));
	return true;
}

int wgm_key_read_fd(uint8_t out[WGM_KEY_LEN], int fd, const char *name,
		    bool *empty, struct wgm_err *err)
{
	/* The key's characters only (one more than a key, to see excess). */
	char key[WGM_KEY_B64_LEN + 1], buf[256];
	enum { LEAD, KEY, TRAIL } st = LEAD;
	size_t n = 0, i;
	ssize_t r;
	int ret = -1;

	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			wgm_err_set(err, "%s: %s", name, strerror(errno));
			goto out;
		}
		if (!r)
			break;
		for (i = 0; i < (size_t)r; i++) {
			if (is_space(buf[i])) {
				if (st == KEY)
					st = TRAIL;
				continue;
			}
			if (st == TRAIL) {
				wgm_err_set(err, "%s: not a 32-byte base64 key (more text after the key)",
					    name);
				goto out;
			}
			st = KEY;
			if (n == sizeof(key)) {
				wgm_err_set(err, "%s: not a 32-byte base64 key (too long)",
					    name);
				goto out;
			}
			key[n++] = buf[i];
		}
	}
	ret = wgm_key_parse_text(out, key, n, empty, err);
	if (ret)
		wgm_err_prefix(err, "%s", name);
out:
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(key, sizeof(key));
	return ret;
}

int wgm_key_read_file(uint8_t out[WGM_KEY_LEN], const char *path, bool *empty,
		      struct wgm_err *err)
{
	int fd, ret;

	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdin"))
		fd = STDIN_FILENO;
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wgm_err_set(err, "%s: %s", path, strerror(errno));
	ret = wgm_key_read_fd(out, fd, path, empty, err);
	if (fd != STDIN_FILENO)
		close(fd);
	return ret;
}
