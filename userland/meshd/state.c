// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's state directory: the node's private key (made on first start,
 * mode 0600) and the "registered" mark that says meshcoord knows the key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meshd.h"

int state_path(const struct meshd *d, const char *file, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", d->o.state, file) >= len) {
		logmsg("state directory path too long: %s", d->o.state);
		return -1;
	}
	return 0;
}

static int write_file_0600(const char *path, const char *text)
{
	char tmp[4096 + 8];
	size_t len = strlen(text);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd)) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	return rename(tmp, path);
}

int load_key(struct meshd *d)
{
	char path[4096], b64[WGM_KEY_B64_LEN + 2];
	struct wgm_err err;
	struct stat st;
	bool empty = false;

	if (mkdir(d->o.state, 0700) && errno != EEXIST) {
		logmsg("state directory %s: %s", d->o.state, strerror(errno));
		return -1;
	}
	if (stat(d->o.state, &st)) {
		logmsg("state directory %s: %s", d->o.state, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		logmsg("state directory %s: exists and is not a directory",
		       d->o.state);
		return -1;
	}
	if (st.st_mode & 077)
		logmsg("warning: state directory %s is accessible by others (mode %04o, expected 0700): it holds the node's private key",
		       d->o.state, (unsigned int)(st.st_mode & 07777));
	if (state_path(d, "private.key", path, sizeof(path)))
		return -1;
	if (stat(path, &st) && errno == ENOENT) {
		if (wgm_key_generate_private(d->priv, &err)) {
			logmsg("%s", err.msg);
			return -1;
		}
		wgm_key_to_base64(b64, d->priv);
		strcat(b64, "\n");
		if (write_file_0600(path, b64)) {
			logmsg("writing %s: %s", path, strerror(errno));
			explicit_bzero(b64, sizeof(b64));
			return -1;
		}
		explicit_bzero(b64, sizeof(b64));
		logmsg("generated a new private key in %s", path);
	} else {
		if (!stat(path, &st) && (st.st_mode & 077))
			logmsg("warning: %s is accessible by others (mode %03o)",
			       path, st.st_mode & 0777);
		if (wgm_key_read_file(d->priv, path, &empty, &err) || empty) {
			logmsg("%s", empty ? "private key file is empty" :
			       err.msg);
			return -1;
		}
	}
	wgm_key_public(d->pub, d->priv);
	if (state_path(d, "registered", path, sizeof(path)))
		return -1;
	d->registered = !access(path, F_OK);
	return 0;
}

void mark_registered(struct meshd *d)
{
	char path[4096];

	if (d->registered || state_path(d, "registered", path, sizeof(path)))
		return;
	if (write_file_0600(path, "1\n"))
		logmsg("warning: writing %s: %s", path, strerror(errno));
	d->registered = true;
}
