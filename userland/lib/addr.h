/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsing and printing of endpoints, CIDR prefixes and small numbers. */
#ifndef WGM_ADDR_H
#define WGM_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

/* Long enough for "[ipv6%ifname]:65535" and "ipv6/128". */
#define WGM_ADDRSTRLEN 80

/*
 * "1.2.3.4:51820", "[fd00::1]:51820", "[fe80::1%eth0]:51820" or
 * "host.example:51820" (resolved with getaddrinfo, first result wins,
 * IPv4 preferred as wg does).  The port is numeric, 1..65535.
 */
int wgm_parse_endpoint(const char *s, union wgm_sockaddr *out,
		       struct wgm_err *err);
/*
 * A candidate: an endpoint as above, optionally after "KIND:" where KIND
 * is a candidate kind name ("relay:203.0.113.9:3479"); no prefix means
 * direct.  Fills c->endpoint and c->kind only.
 */
int wgm_parse_candidate(const char *s, struct mesh_conf_cand *c,
			struct wgm_err *err);
/* "relay:203.0.113.9:3479", or just the endpoint for direct. */
const char *wgm_format_candidate(const struct mesh_conf_cand *c, char *buf,
				 size_t len);
/*
 * Split an address option without resolving it: "HOST:PORT",
 * "[IPV6]:PORT", and, when default_port is not NULL, "HOST" or "[IPV6]"
 * alone (the port is then default_port).  HOST is a name or an IPv4
 * address; IPv6 addresses need brackets.  The port must be a decimal
 * number 1-65535.  host (host_len bytes) gets HOST without brackets, port
 * the port as given (no leading zeros kept: "07443" -> "7443").
 * On error err names the option value and what is wrong with it.
 */
int wgm_split_hostport(const char *s, const char *default_port, char *host,
		       size_t host_len, char port[6], struct wgm_err *err);

/* "1.2.3.4:51820" / "[fd00::1]:51820"; "(none)" for AF_UNSPEC. */
const char *wgm_format_endpoint(const union wgm_sockaddr *ep, char *buf,
				size_t len);
bool wgm_endpoint_equal(const union wgm_sockaddr *a,
			const union wgm_sockaddr *b);

/* "10.0.0.0/8", "fd00::/64"; a bare address means /32 or /128. */
int wgm_parse_cidr(const char *s, struct mesh_conf_aip *out,
		   struct wgm_err *err);
const char *wgm_format_cidr(const struct mesh_conf_aip *aip, char *buf,
			    size_t len);
/* Equal as prefixes (host bits beyond the mask are ignored). */
bool wgm_cidr_equal(const struct mesh_conf_aip *a,
		    const struct mesh_conf_aip *b);
/* Total order on prefixes (host bits ignored), for sorting. */
int wgm_cidr_cmp(const struct mesh_conf_aip *a, const struct mesh_conf_aip *b);

/* Strict unsigned decimal (base 0 when allow_hex: 0x.. and 0.. too). */
int wgm_parse_uint(const char *s, uint64_t max, bool allow_hex, uint64_t *out);

/*
 * Split a comma-separated list in place: whitespace around items is removed,
 * empty items are errors unless the whole list is empty (then *n = 0).
 * items must have room for max entries; more than max is an error.
 */
int wgm_split_list(char *s, char **items, size_t max, size_t *n);

/* Trim leading/trailing whitespace in place; returns the new start. */
char *wgm_strip(char *s);

#endif /* WGM_ADDR_H */
