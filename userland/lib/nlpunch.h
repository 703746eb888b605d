/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * WGM_CMD_PUNCH: ask the module to probe all candidates of one peer now and
 * keep punching for a while.  The request selects the device by name and the
 * peer by its public key inside WGM_DEVICE_A_PEERS.  A module without the
 * command answers EOPNOTSUPP; callers fall back to setting the candidates
 * again (a candidate replacement starts a punch as well).
 */
#ifndef WGM_NLPUNCH_H
#define WGM_NLPUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "nl.h"

#include <netinet/in.h>

/*
 * A birthday search to start with the punch (WGM_PEER_A_BIRTHDAY,
 * Documentation/probing.rst "Birthday search").  role WGM_BIRTHDAY_OPEN or
 * WGM_BIRTHDAY_SPRAY; count 0 lets the module choose (256 sockets, 1024
 * probes).
 */
struct wgm_birthday_req {
	uint8_t role;
	uint16_t count;
	struct sockaddr_in target;
};

/*
 * Build the request; returns its length, 0 when buflen is too small.
 * bday: NULL for a plain punch.
 */
size_t wgm_punch_build(void *buf, size_t buflen, uint16_t family, uint32_t seq,
		       const char *ifname, const uint8_t key[WGM_KEY_LEN],
		       const struct wgm_birthday_req *bday);

/*
 * Send it and wait for the acknowledgement.  0 on success; -1 with *errnum
 * the kernel's (positive) errno, or 0 for a local failure, and err set.
 * *errnum == EOPNOTSUPP means the module lacks the command.
 */
int wgm_nl_punch(struct wgm_nl *nl, const char *ifname,
		 const uint8_t key[WGM_KEY_LEN],
		 const struct wgm_birthday_req *bday, int *errnum,
		 struct wgm_err *err);

#endif /* WGM_NLPUNCH_H */
