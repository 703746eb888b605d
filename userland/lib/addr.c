// SPDX-License-Identifier: GPL-2.0-only
#include "addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *wgm_strip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int wgm_parse_uint(const char *s, uint64_t max, bool allow_hex, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, allow_hex ? 0 : 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int wgm_split_list(char *s, char **items, size_t max, size_t *n)
{
	char *p = s, *comma;

	*n = 0;
	if (!*wgm_strip(s))
		return 0;
	for (;;) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		p = wgm_strip(p);
		if (!*p || *n == max)
			return -1;
		items[(*n)++] = p;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

int wgm_split_hostport(const char *s, const char *default_port, char *host,
		       size_t host_len, char port[6], struct wgm_err *err)
{
	const char *hstart = s, *p = NULL, *colon;
	uint64_t v;
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return wgm_err_set(err, "'%s': missing ']' after the IPv6 address",
					   s);
		hstart = s + 1;
		hlen = (size_t)(close - hstart);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return wgm_err_set(err, "'%s': expected [IPV6]:PORT", s);
		if (hlen && !memchr(hstart, ':', hlen))
			return wgm_err_set(err, "'%s': brackets are only for IPv6 addresses",
					   s);
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			return wgm_err_set(err, "'%s': write IPv6 addresses in brackets, [ADDRESS]:PORT",
					   s);
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (colon)
			p = colon + 1;
	}
	if (!hlen)
		return wgm_err_set(err, "'%s': no host before the port", s);
	if (hlen >= host_len)
		return wgm_err_set(err, "'%s': host name too long", s);
	if (!p && !default_port)
		return wgm_err_set(err, "'%s': no port (expected HOST:PORT or [IPV6]:PORT)",
				   s);
	if (!p)
		p = default_port;
	if (!*p)
		return wgm_err_set(err, "'%s': no port after ':' (a port is 1-65535)",
				   s);
	if (wgm_parse_uint(p, 65535, false, &v) || v == 0)
		return wgm_err_set(err, "'%s': port '%s' is not a number 1-65535",
				   s, p);
	memcpy(host, hstart, hlen);
	host[hlen] = '\0';
	snprintf(port, 6, "%u", (unsigned int)v);
	return 0;
}

int wgm_parse_candidate(const char *s, struct mesh_conf_cand *c,
			struct wgm_err *err)
{
	const char *colon = strchr(s, ':');
	int kind = -1;

	/* "KIND:" only when an endpoint with its own colon follows */
	if (colon && (colon[1] == '[' || strchr(colon + 1, ':')))
		kind = mesh_conf_cand_kind_parse(s, (size_t)(colon - s));
	c->kind = kind < 0 ? WGM_CANDIDATE_KIND_DIRECT : (uint8_t)kind;
	return wgm_parse_endpoint(kind < 0 ? s : colon + 1, &c->endpoint, err);
}

const char *wgm_format_candidate(const struct mesh_conf_cand *c, char *buf,
				 size_t len)
{
	char ep[WGM_ADDRSTRLEN];

	wgm_format_endpoint(&c->endpoint, ep, sizeof(ep));
	if (c->kind == WGM_CANDIDATE_KIND_DIRECT)
		snprintf(buf, len, "%s", ep);
	else
		snprintf(buf, len, "%s:%s", mesh_conf_cand_kind_name(c->kind), ep);
	return buf;
}

int wgm_parse_endpoint(const char *s, union wgm_sockaddr *out,
		       struct wgm_err *err)
{
	struct addrinfo hints, *res = NULL, *ai, *pick = NULL;
	char host[256];
	const char *port, *colon;
	size_t hlen;
	uint64_t portnum;
	int rc;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return wgm_err_set(err, "bad endpoint '%s': expected [IPV6]:PORT",
					   s);
		hlen = (size_t)(close - s - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return wgm_err_set(err, "bad endpoint '%s'", s);
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		port = close + 2;
		if (!strchr(host, ':'))
			return wgm_err_set(err, "bad endpoint '%s': brackets are only for IPv6 addresses",
					   s);
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return wgm_err_set(err, "bad endpoint '%s': expected HOST:PORT",
					   s);
		if (memchr(s, ':', (size_t)(colon - s)))
			return wgm_err_set(err, "bad endpoint '%s': write IPv6 endpoints as [ADDRESS]:PORT",
					   s);
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(host))
			return wgm_err_set(err, "bad endpoint '%s': expected HOST:PORT",
					   s);
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		port = colon + 1;
	}
	if (wgm_parse_uint(port, 65535, false, &portnum) || portnum == 0)
		return wgm_err_set(err, "bad endpoint '%s': port must be a number 1-65535",
				   s);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return wgm_err_set(err, "cannot resolve host '%s': %s", host,
				   rc == EAI_SYSTEM ? strerror(errno) :
				   gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen == sizeof(struct sockaddr_in)) {
			pick = ai;
			break;
		}
		if (!pick && ai->ai_family == AF_INET6 &&
		    ai->ai_addrlen == sizeof(struct sockaddr_in6))
			pick = ai;
	}
	if (!pick) {
		freeaddrinfo(res);
		return wgm_err_set(err, "cannot resolve host '%s': no IPv4/IPv6 address",
				   host);
	}
	memset(out, 0, sizeof(*out));
	memcpy(out, pick->ai_addr, pick->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

const char *wgm_format_endpoint(const union wgm_sockaddr *ep, char *buf,
				size_t len)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], serv[8];
	socklen_t salen;

	if (ep->sa.sa_family == AF_INET)
		salen = sizeof(ep->in);
	else if (ep->sa.sa_family == AF_INET6)
		salen = sizeof(ep->in6);
	else {
		snprintf(buf, len, "(none)");
		return buf;
	}
	if (getnameinfo(&ep->sa, salen, host, sizeof(host), serv, sizeof(serv),
			NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(buf, len, "(invalid)");
		return buf;
	}
	if (ep->sa.sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%s", host, serv);
	else
		snprintf(buf, len, "%s:%s", host, serv);
	return buf;
}

bool wgm_endpoint_equal(const union wgm_sockaddr *a,
			const union wgm_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	return true;
}

int wgm_parse_cidr(const char *s, struct mesh_conf_aip *out,
		   struct wgm_err *err)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t mask, max;

	if (alen == 0 || alen >= sizeof(addr))
		return wgm_err_set(err, "bad CIDR '%s': expected ADDRESS/PREFIXLEN",
				   s);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, &out->addr.ip4) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, &out->addr.ip6) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return wgm_err_set(err, "bad CIDR '%s': '%s' is not an IPv4 or IPv6 address",
				   s, addr);
	}
	if (!slash) {
		mask = max;
	} else if (wgm_parse_uint(slash + 1, max, false, &mask)) {
		return wgm_err_set(err, "bad CIDR '%s': prefix length must be 0-%u",
				   s, (unsigned int)max);
	}
	out->cidr = (uint8_t)mask;
	return 0;
}

const char *wgm_format_cidr(const struct mesh_conf_aip *aip, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(aip->family, &aip->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "(invalid)");
	snprintf(buf, len, "%s/%u", a, aip->cidr);
	return buf;
}

/* The address bytes with host bits cleared, and their count. */
static size_t masked(const struct mesh_conf_aip *aip, uint8_t out[16])
{
	size_t n = aip->family == AF_INET ? 4 : 16, i;
	unsigned int bits = aip->cidr;

	memcpy(out, &aip->addr, n);
	for (i = 0; i < n; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		out[i] &= (uint8_t)(0xff00 >> bits);
		bits = 0;
	}
	return n;
}

int wgm_cidr_cmp(const struct mesh_conf_aip *a, const struct mesh_conf_aip *b)
{
	uint8_t ma[16], mb[16];
	size_t n;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->cidr != b->cidr)
		return a->cidr < b->cidr ? -1 : 1;
	n = masked(a, ma);
	masked(b, mb);
	c = memcmp(ma, mb, n);
	return c < 0 ? -1 : c > 0;
}

bool wgm_cidr_equal(const struct mesh_conf_aip *a,
		    const struct mesh_conf_aip *b)
{
	return wgm_cidr_cmp(a, b) == 0;
}
