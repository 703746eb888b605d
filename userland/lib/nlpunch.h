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

/* Build the request; returns its length, 0 when buflen is too small. */
size_t wgm_punch_build(void *buf, size_t buflen, uint16_t family, uint32_t seq,
		       const char *ifname, const uint8_t key[WGM_KEY_LEN]);

/*
 * Send it and wait for the acknowledgement.  0 on success; -1 with *errnum
 * the kernel's (positive) errno, or 0 for a local failure, and err set.
 * *errnum == EOPNOTSUPP means the module lacks the command.
 */
int wgm_nl_punch(struct wgm_nl *nl, const char *ifname,
		 const uint8_t key[WGM_KEY_LEN], int *errnum,
		 struct wgm_err *err);

#endif /* WGM_NLPUNCH_H */
