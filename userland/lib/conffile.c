// SPDX-License-Identifier: GPL-2.0-only
#include "conffile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"

#define MAX_CONF_SIZE (64U << 20)

enum section { SEC_NONE, SEC_INTERFACE, SEC_PEER };

static const char *const interface_keys[] = {
	"PrivateKey", "ListenPort", "FwMark", NULL
};
static const char *const peer_keys[] = {
	"PublicKey", "PresharedKey", "AllowedIPs", "Endpoint",
	"PersistentKeepalive", "Candidates", NULL
};
static const char *const wg_quick_keys[] = {
	"Address", "DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown",
	"PostDown", "SaveConfig", NULL
};

struct parser {
	const char *file;
	unsigned int line;
	struct mesh_conf_device *dev;
	enum section sec;
	size_t peer;			/* index of the current peer */
	bool peer_has_key;
	struct wgm_err *err;
};

__attribute__((format(printf, 2, 3)))
static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return wgm_err_set(p->err, "%s:%u: %s", p->file, p->line, msg);
}

static const char *key_in(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (!strcasecmp(*list, key))
			return *list;
	return NULL;
}

static void key_list(char *out, size_t len, const char *const *list)
{
	size_t used = 0;
	int w;

	out[0] = '\0';
	for (; *list && used < len; list++) {
		w = snprintf(out + used, len - used, "%s%s", used ? ", " : "",
			     *list);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static int end_peer(struct parser *p)
{
	unsigned int line = p->line;
	int ret = 0;

	if (p->sec == SEC_PEER && !p->peer_has_key) {
		p->line = p->dev->peers[p->peer].line;
		ret = perr(p, "[Peer] section has no PublicKey");
		p->line = line;
	}
	return ret;
}

static int parse_key_value(struct parser *p, const char *name, const char *v,
			   uint8_t out[WGM_KEY_LEN])
{
	struct wgm_err kerr;
	bool empty;

	if (wgm_key_parse_text(out, v, strlen(v), &empty, &kerr) || empty)
		return perr(p, "%s: not a 32-byte base64 key", name);
	return 0;
}

static int interface_kv(struct parser *p, const char *name, char *v)
{
	struct mesh_conf_device *dev = p->dev;
	uint64_t n;

	if (!strcmp(name, "PrivateKey")) {
		if (parse_key_value(p, name, v, dev->private_key))
			return -1;
		dev->has |= MESH_CONF_DEV_HAS_PRIVATE_KEY;
	} else if (!strcmp(name, "ListenPort")) {
		if (wgm_parse_uint(v, 65535, false, &n))
			return perr(p, "ListenPort: '%s' is not a port number 0-65535",
				    v);
		dev->listen_port = (uint16_t)n;
		dev->has |= MESH_CONF_DEV_HAS_LISTEN_PORT;
	} else {	/* FwMark */
		if (!strcasecmp(v, "off"))
			n = 0;
		else if (wgm_parse_uint(v, UINT32_MAX, true, &n))
			return perr(p, "FwMark: '%s' is not a 32-bit number or 'off'",
				    v);
		dev->fwmark = (uint32_t)n;
		dev->has |= MESH_CONF_DEV_HAS_FWMARK;
	}
	return 0;
}

static int peer_kv(struct parser *p, const char *name, char *v)
{
	struct mesh_conf_peer *peer = &p->dev->peers[p->peer];
	char *items[WGM_MAX_CANDIDATES + 1], **list = NULL;
	struct wgm_err e;
	size_t n, i, max;
	uint64_t num;
	int ret = -1;

	if (!strcmp(name, "PublicKey")) {
		if (parse_key_value(p, name, v, peer->public_key))
			return -1;
		p->peer_has_key = true;
	} else if (!strcmp(name, "PresharedKey")) {
		if (parse_key_value(p, name, v, peer->preshared_key))
			return -1;
		peer->has |= MESH_CONF_PEER_HAS_PSK;
	} else if (!strcmp(name, "Endpoint")) {
		if (wgm_parse_endpoint(v, &peer->endpoint, &e))
			return perr(p, "Endpoint: %s", e.msg);
		peer->has |= MESH_CONF_PEER_HAS_ENDPOINT;
	} else if (!strcmp(name, "PersistentKeepalive")) {
		if (!strcasecmp(v, "off"))
			num = 0;
		else if (wgm_parse_uint(v, 65535, false, &num))
			return perr(p, "PersistentKeepalive: '%s' is not 0-65535 seconds or 'off'",
				    v);
		peer->keepalive = (uint16_t)num;
		peer->has |= MESH_CONF_PEER_HAS_KEEPALIVE;
	} else if (!strcmp(name, "AllowedIPs")) {
		max = strlen(v) / 2 + 1;
		list = calloc(max, sizeof(*list));
		if (!list)
			return perr(p, "out of memory");
		if (wgm_split_list(v, list, max, &n)) {
			perr(p, "AllowedIPs: empty entry in list");
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct mesh_conf_aip aip;

			if (wgm_parse_cidr(list[i], &aip, &e)) {
				perr(p, "AllowedIPs: %s", e.msg);
				goto out;
			}
			if (!mesh_conf_peer_add_aip(peer)) {
				perr(p, "out of memory");
				goto out;
			}
			peer->aips[peer->n_aips - 1] = aip;
		}
	} else {	/* Candidates */
		max = WGM_MAX_CANDIDATES - peer->n_cands + 1;
		if (wgm_split_list(v, items, max, &n)) {
			if (n == max)
				return perr(p, "Candidates: at most %d candidates per peer",
					    WGM_MAX_CANDIDATES);
			return perr(p, "Candidates: empty entry in list");
		}
		if (peer->n_cands + n > WGM_MAX_CANDIDATES)
			return perr(p, "Candidates: at most %d candidates per peer",
				    WGM_MAX_CANDIDATES);
		for (i = 0; i < n; i++) {
			struct mesh_conf_cand *c = mesh_conf_peer_add_cand(peer);

			if (!c)
				return perr(p, "out of memory");
			if (wgm_parse_candidate(items[i], c, &e))
				return perr(p, "Candidates: %s", e.msg);
		}
		peer->has |= MESH_CONF_PEER_HAS_CANDIDATES;
		peer->flags |= WGM_PEER_F_REPLACE_CANDIDATES;
	}
	ret = 0;
out:
	free(list);
	return ret;
}

/* Remove comments and every whitespace character, in place. */
static void squeeze(char *s)
{
	char *r = s, *w = s;

	for (; *r && *r != '#'; r++)
		if (!isspace((unsigned char)*r))
			*w++ = *r;
	*w = '\0';
}

static int parse_line(struct parser *p, char *line)
{
	char valid[200], *eq, *key, *value;
	const char *name;
	struct mesh_conf_peer *peer;

	squeeze(line);
	if (!*line)
		return 0;
	if (line[0] == '[') {
		size_t len = strlen(line);

		if (end_peer(p))
			return -1;
		if (line[len - 1] != ']')
			return perr(p, "bad section header '%s'", line);
		line[len - 1] = '\0';
		if (!strcasecmp(line + 1, "Interface")) {
			p->sec = SEC_INTERFACE;
		} else if (!strcasecmp(line + 1, "Peer")) {
			peer = mesh_conf_device_add_peer(p->dev);
			if (!peer)
				return perr(p, "out of memory");
			peer->line = p->line;
			peer->flags = WGM_PEER_F_REPLACE_ALLOWEDIPS;
			p->peer = p->dev->n_peers - 1;
			p->peer_has_key = false;
			p->sec = SEC_PEER;
		} else {
			return perr(p, "unknown section '[%s]' (valid: [Interface], [Peer])",
				    line + 1);
		}
		return 0;
	}
	eq = strchr(line, '=');
	if (!eq || eq == line)
		return perr(p, "expected 'Key = Value', got '%s'", line);
	*eq = '\0';
	key = line;
	value = eq + 1;

	if (p->sec == SEC_NONE)
		return perr(p, "'%s' appears before any [Interface] or [Peer] section",
			    key);
	if (p->sec == SEC_INTERFACE) {
		name = key_in(interface_keys, key);
		if (name)
			return interface_kv(p, name, value);
		name = key_in(wg_quick_keys, key);
		if (name)
			return perr(p, "%s is a wg-quick key, not understood by meshadm",
				    name);
		key_list(valid, sizeof(valid), interface_keys);
		return perr(p, "unknown key '%s' in [Interface] (valid: %s)",
			    key, valid);
	}
	name = key_in(peer_keys, key);
	if (name)
		return peer_kv(p, name, value);
	key_list(valid, sizeof(valid), peer_keys);
	return perr(p, "unknown key '%s' in [Peer] (valid: %s)", key, valid);
}

int wgm_conf_parse(const char *text, size_t len, const char *filename,
		   struct mesh_conf_device *dev, struct wgm_err *err)
{
	struct parser p = {
		.file = filename, .dev = dev, .sec = SEC_NONE, .err = err,
	};
	char *copy, *line, *nl;
	int ret = 0;

	if (memchr(text, '\0', len))
		return wgm_err_set(err, "%s: contains a NUL byte", filename);
	copy = malloc(len + 1);
	if (!copy)
		return wgm_err_set(err, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';
	dev->flags |= WGM_DEVICE_F_REPLACE_PEERS;

	for (line = copy; line && !ret; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (!*line && !nl)
			break;
		p.line++;
		ret = parse_line(&p, line);
	}
	if (!ret)
		ret = end_peer(&p);
	explicit_bzero(copy, len);
	free(copy);
	return ret;
}

int wgm_conf_parse_file(const char *path, struct mesh_conf_device *dev,
			struct wgm_err *err)
{
	size_t len = 0, cap = 4096;
	char *buf, *nbuf;
	ssize_t r;
	int fd, ret;

	if (!strcmp(path, "-"))
		fd = STDIN_FILENO;
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return wgm_err_set(err, "%s: %s", path, strerror(errno));
	buf = malloc(cap);
	if (!buf) {
		ret = wgm_err_set(err, "out of memory");
		goto out_close;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_CONF_SIZE) {
				ret = wgm_err_set(err, "%s: file too large", path);
				goto out_free;
			}
			nbuf = realloc(buf, cap * 2);
			if (!nbuf) {
				ret = wgm_err_set(err, "out of memory");
				goto out_free;
			}
			buf = nbuf;
			cap *= 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = wgm_err_set(err, "%s: %s", path, strerror(errno));
			goto out_free;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	ret = wgm_conf_parse(buf, len, strcmp(path, "-") ? path : "<stdin>",
			     dev, err);
out_free:
	explicit_bzero(buf, cap);
	free(buf);
out_close:
	if (fd != STDIN_FILENO)
		close(fd);
	return ret;
}

void wgm_conf_format(struct wgm_buf *b, const struct mesh_conf_device *dev)
{
	char k[WGM_KEY_B64_LEN + 1], tmp[WGM_ADDRSTRLEN];
	size_t i, j;

	wgm_buf_puts(b, "[Interface]\n");
	if (dev->listen_port)
		wgm_buf_printf(b, "ListenPort = %u\n", dev->listen_port);
	if (dev->fwmark)
		wgm_buf_printf(b, "FwMark = 0x%x\n", dev->fwmark);
	if ((dev->has & MESH_CONF_DEV_HAS_PRIVATE_KEY) &&
	    !wgm_key_is_zero(dev->private_key)) {
		wgm_key_to_base64(k, dev->private_key);
		wgm_buf_printf(b, "PrivateKey = %s\n", k);
	}
	for (i = 0; i < dev->n_peers; i++) {
		const struct mesh_conf_peer *peer = &dev->peers[i];

		wgm_key_to_base64(k, peer->public_key);
		wgm_buf_printf(b, "\n[Peer]\nPublicKey = %s\n", k);
		if ((peer->has & MESH_CONF_PEER_HAS_PSK) &&
		    !wgm_key_is_zero(peer->preshared_key)) {
			wgm_key_to_base64(k, peer->preshared_key);
			wgm_buf_printf(b, "PresharedKey = %s\n", k);
		}
		if (peer->n_aips) {
			wgm_buf_puts(b, "AllowedIPs = ");
			for (j = 0; j < peer->n_aips; j++)
				wgm_buf_printf(b, "%s%s", j ? ", " : "",
					       wgm_format_cidr(&peer->aips[j],
							       tmp, sizeof(tmp)));
			wgm_buf_puts(b, "\n");
		}
		if (peer->endpoint.sa.sa_family == AF_INET ||
		    peer->endpoint.sa.sa_family == AF_INET6)
			wgm_buf_printf(b, "Endpoint = %s\n",
				       wgm_format_endpoint(&peer->endpoint, tmp,
							   sizeof(tmp)));
		if (peer->keepalive)
			wgm_buf_printf(b, "PersistentKeepalive = %u\n",
				       peer->keepalive);
		if (peer->n_cands) {
			wgm_buf_puts(b, "Candidates = ");
			for (j = 0; j < peer->n_cands; j++)
				wgm_buf_printf(b, "%s%s", j ? ", " : "",
					       wgm_format_candidate(&peer->cands[j],
								    tmp, sizeof(tmp)));
			wgm_buf_puts(b, "\n");
		}
	}
	explicit_bzero(k, sizeof(k));
}
