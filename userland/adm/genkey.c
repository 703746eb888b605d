// SPDX-License-Identifier: GPL-2.0-only
/* genkey, genpsk, pubkey */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adm.h"
#include "key.h"

static int write_all(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len) {
		w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

static int emit_key(const uint8_t key[WGM_KEY_LEN], const char *path)
{
	char line[WGM_KEY_B64_LEN + 2];
	struct stat st;
	int fd = STDOUT_FILENO, ret = ADM_OK;

	wgm_key_to_base64(line, key);
	line[WGM_KEY_B64_LEN] = '\n';
	line[WGM_KEY_B64_LEN + 1] = '\0';

	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			  O_CLOEXEC, 0600);
		if (fd < 0)
			return adm_error(ADM_FAIL, "%s: %s", path,
					 strerror(errno));
		if (fchmod(fd, 0600)) {
			ret = adm_error(ADM_FAIL, "%s: %s", path,
					strerror(errno));
			goto out;
		}
	} else if (!fstat(fd, &st) && S_ISREG(st.st_mode) &&
		   (st.st_mode & 077)) {
		fprintf(stderr, "meshadm: warning: writing a key to a file readable by others\n");
	}
	if (write_all(fd, line, WGM_KEY_B64_LEN + 1))
		ret = adm_error(ADM_FAIL, "%s: %s", path ? path : "stdout",
				strerror(errno));
out:
	if (path && close(fd) && ret == ADM_OK)
		ret = adm_error(ADM_FAIL, "%s: %s", path, strerror(errno));
	explicit_bzero(line, sizeof(line));
	return ret;
}

static int gen(int argc, char *argv[], bool clamp)
{
	uint8_t key[WGM_KEY_LEN];
	struct wgm_err err;
	int ret;

	if (argc > 2)
		return adm_usage(argv[0]);
	if (clamp ? wgm_key_generate_private(key, &err) :
		    wgm_key_random(key, &err))
		return adm_error(ADM_FAIL, "%s", err.msg);
	/* "-" is stdout, as "private-key -" is stdin. */
	ret = emit_key(key, argc == 2 && strcmp(argv[1], "-") ? argv[1] : NULL);
	explicit_bzero(key, sizeof(key));
	return ret;
}

int cmd_genkey(int argc, char *argv[])
{
	return gen(argc, argv, true);
}

int cmd_genpsk(int argc, char *argv[])
{
	return gen(argc, argv, false);
}

int cmd_pubkey(int argc, char *argv[])
{
	uint8_t priv[WGM_KEY_LEN], pub[WGM_KEY_LEN];
	char out[WGM_KEY_B64_LEN + 1];
	struct wgm_err err;
	bool empty;

	if (argc != 1)
		return adm_usage(argv[0]);
	if (wgm_key_read_fd(priv, STDIN_FILENO, "stdin", &empty, &err))
		return adm_error(ADM_USAGE, "%s", err.msg);
	if (empty)
		return adm_error(ADM_USAGE, "stdin: no key (empty input)");
	wgm_key_public(pub, priv);
	explicit_bzero(priv, sizeof(priv));
	wgm_key_to_base64(out, pub);
	printf("%s\n", out);
	if (fflush(stdout) || ferror(stdout))
		return adm_error(ADM_FAIL, "stdout: %s", strerror(errno));
	return ADM_OK;
}
