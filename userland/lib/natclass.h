/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The NAT's mapping behaviour, as two STUN observations show it (RFC 4787,
 * section 4.1): the tunnel socket asks two STUN servers (two ports or two
 * addresses of the coordination service) for its mapped address.
 *
 *   easy     endpoint-independent mapping: every server saw the same
 *            address and port (also: no NAT at all, the mapped address is
 *            the local one);
 *   hard     endpoint-dependent mapping: the servers saw different ports or
 *            addresses, so a peer cannot reach the mapping another server
 *            saw (symmetric NAT, port randomisation);
 *   unknown  fewer than two servers of one address family answered.
 *
 * Pure: meshadm (show) and meshd (reporting to meshcoord) both classify the
 * kernel's STUN server snapshots with it.
 */
#ifndef WGM_NATCLASS_H
#define WGM_NATCLASS_H

#include <stddef.h>

#include "config.h"

/*
 * enum wgm_nat_type (WGM_NAT_UNKNOWN 0, WGM_NAT_EASY 1, WGM_NAT_HARD 2) is
 * the uapi's (the peer label WGM_PEER_A_NAT), with the values the
 * coordination protocol carries too (MP_NAT).
 */
#include <linux/wgmesh.h>

/* "unknown", "easy", "hard"; "unknown" for any other value. */
const char *wgm_nat_name(unsigned int t);
/* Longer wording for logs: "endpoint-independent mapping", ... */
const char *wgm_nat_describe(unsigned int t);

/*
 * Classify from STUN server snapshots (endpoint and mapped of each; mapped
 * AF_UNSPEC means no answer yet).  Answers are grouped by address family;
 * in a family with answers from two or more distinct servers, all equal is
 * easy and any difference (port or address) is hard.  Any hard family makes
 * the result hard, else any easy family makes it easy, else unknown.
 * Answers whose mapped family differs from the server's are ignored, as
 * are repeated servers.
 */
enum wgm_nat_type wgm_nat_classify(const struct mesh_conf_stun *s, size_t n);

#endif /* WGM_NATCLASS_H */
