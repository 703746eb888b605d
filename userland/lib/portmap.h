/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Port mapping on the gateway: pure codecs for NAT-PMP (RFC 6886) and the
 * MAP opcode of PCP (RFC 6887), the server-restart (epoch) check both
 * protocols share, and the default gateway from /proc/net/route's text.
 * No sockets, no clocks: meshd (userland/meshd/portmap.c) sends what these
 * build and hands them every datagram that comes back.
 *
 * Decoders never trust the gateway: an answer that is truncated, of
 * another version or opcode, for another port or nonce, or that carries a
 * value no honest gateway sends (external port 0 on success, an external
 * address that is unspecified, loopback, multicast or broadcast, a
 * lifetime under WGM_PM_MIN_LIFETIME) is refused with WGM_PM_BAD and a
 * constant text saying why.  A well-formed refusal by the gateway is
 * WGM_PM_REFUSED with its result code.
 */
#ifndef WGM_PORTMAP_H
#define WGM_PORTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Both protocols' server port on the gateway (RFC 6886 3.1, RFC 6887 19.1). */
#define WGM_PM_SERVER_PORT	5351
/* Lifetimes asked for, seconds: what RFC 6886 3.3 recommends for NAT-PMP. */
#define WGM_PM_LIFETIME		7200u
/* A granted lifetime shorter than this is refused as hostile. */
#define WGM_PM_MIN_LIFETIME	10u

#define WGM_NATPMP_ADDR_REQ_LEN	2
#define WGM_NATPMP_ADDR_RSP_LEN	12
#define WGM_NATPMP_MAP_REQ_LEN	12
#define WGM_NATPMP_MAP_RSP_LEN	16

#define WGM_PCP_VERSION		2
#define WGM_PCP_NONCE_LEN	12
#define WGM_PCP_HDR_LEN		24
#define WGM_PCP_MAP_LEN		60	/* header + MAP payload, no options */
#define WGM_PCP_MAX_LEN		1100	/* RFC 6887 7: largest PCP message */
#define WGM_PCP_OP_MAP		1

enum wgm_pm_verdict {
	WGM_PM_OK = 0,		/* a valid success answer to our request */
	WGM_PM_REFUSED,		/* a valid answer with an error result */
	WGM_PM_BAD,		/* not a valid answer to our request: ignore it */
	/* PCP only: a NAT-PMP server said it speaks version 0 only */
	WGM_PM_NATPMP_ONLY,
};

/* A PCP MAP request for UDP (what the decoder checks the answer against). */
struct wgm_pcp_req {
	uint8_t client[16];	/* our address, IPv4 as ::ffff:a.b.c.d */
	uint16_t internal_port;
	uint16_t suggested_port;	/* 0: any */
	uint32_t lifetime;	/* 0: delete the mapping */
	uint8_t nonce[WGM_PCP_NONCE_LEN];
};

/* What a decoder read from an answer. */
struct wgm_pm_answer {
	uint8_t result;		/* the protocol's result code, 0: success */
	uint32_t epoch;		/* the server's epoch, seconds */
	uint32_t lifetime;	/* granted; at most what was asked */
	uint16_t internal_port;
	/* the mapped address and port (NAT-PMP map answers: port only) */
	union wgm_sockaddr external;
};

/* ---- NAT-PMP (RFC 6886) ---- */

/* The external address request (opcode 0); returns its length. */
size_t wgm_natpmp_addr_req(uint8_t out[WGM_NATPMP_ADDR_REQ_LEN]);
/*
 * A UDP mapping request (opcode 1) for internal_port, asking for
 * suggested_port (0: any) for lifetime seconds; lifetime 0 with
 * suggested_port 0 deletes the mapping.  Returns its length.
 */
size_t wgm_natpmp_map_req(uint8_t out[WGM_NATPMP_MAP_REQ_LEN],
			  uint16_t internal_port, uint16_t suggested_port,
			  uint32_t lifetime);
/*
 * The answer to the external address request: on WGM_PM_OK a->external
 * holds the IPv4 address (port 0) and a->epoch.  *why is set on
 * WGM_PM_BAD and WGM_PM_REFUSED.
 */
enum wgm_pm_verdict wgm_natpmp_decode_addr(const uint8_t *b, size_t n,
					   struct wgm_pm_answer *a,
					   const char **why);
/*
 * The answer to a mapping request for internal_port that asked for
 * lifetime seconds (0: a deletion, whose answer carries port 0 and
 * lifetime 0).  On WGM_PM_OK the external port is in a->external
 * (family AF_INET, address 0: it comes from the address request).
 */
enum wgm_pm_verdict wgm_natpmp_decode_map(const uint8_t *b, size_t n,
					  uint16_t internal_port,
					  uint32_t lifetime,
					  struct wgm_pm_answer *a,
					  const char **why);
/* "success", "unsupported version", ... for a NAT-PMP result code. */
const char *wgm_natpmp_result_name(uint16_t result);

/* ---- PCP (RFC 6887), the MAP opcode for UDP ---- */

/* Encode r; returns WGM_PCP_MAP_LEN. */
size_t wgm_pcp_map_req(uint8_t out[WGM_PCP_MAP_LEN],
		       const struct wgm_pcp_req *r);
/*
 * The answer to r.  On WGM_PM_OK (and on WGM_PM_REFUSED when the answer
 * carries the MAP payload) a is filled.  Options after the payload are
 * checked for framing only.  A version-0 answer (a NAT-PMP server's
 * "unsupported version") is WGM_PM_NATPMP_ONLY.
 */
enum wgm_pm_verdict wgm_pcp_decode_map(const uint8_t *b, size_t n,
				       const struct wgm_pcp_req *r,
				       struct wgm_pm_answer *a,
				       const char **why);
/* "SUCCESS", "NOT_AUTHORIZED", ... for a PCP result code. */
const char *wgm_pcp_result_name(uint8_t result);

/* ---- shared ---- */

/*
 * Whether the server lost its state between two answers (RFC 6887 8.5,
 * the same test RFC 6886 3.6 describes): its epoch went backwards by more
 * than a second, or it advanced too differently from our own clock
 * (prev_ms, cur_ms: our monotonic time at the two answers).
 */
bool wgm_pm_epoch_lost(uint32_t prev_epoch, uint64_t prev_ms,
		       uint32_t cur_epoch, uint64_t cur_ms);

/*
 * Whether an external address is usable as a candidate: IPv4 or IPv6, not
 * unspecified, loopback, multicast, broadcast or link-local.
 */
bool wgm_pm_external_ok(const union wgm_sockaddr *a);

/*
 * The IPv4 default route's gateway from the text of /proc/net/route: the
 * up route with destination and mask 0 and a gateway, lowest metric
 * first.  0 and gw (network order) set, or -1 when there is none.
 */
int wgm_pm_default_gateway(const char *text, size_t len, uint8_t gw[4]);

#endif /* WGM_PORTMAP_H */
