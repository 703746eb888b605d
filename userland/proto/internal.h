/* SPDX-License-Identifier: GPL-2.0-only */
/* libmeshproto's helpers shared between its files; not for its users. */
#ifndef MESHPROTO_INTERNAL_H
#define MESHPROTO_INTERNAL_H

#include "proto.h"

/* The handshake's magic: "WGM" and the protocol version. */
extern const uint8_t mp_hs_magic[4];

/* Fill err (when not NULL) with code and the message; returns -1. */
__attribute__((format(printf, 3, 4)))
int mp_fail(struct mp_err *err, int code, const char *fmt, ...);

/*
 * "host:port" or "[v6]:port": the host copied to h (room hn), *port set to
 * the text after the colon.  0 or -1.
 */
int mp_split_hostport(const char *s, char *h, size_t hn, const char **port);
/* A decimal port 1..65535 (0 too when allow_zero).  0 or -1. */
int mp_parse_port(const char *p, uint16_t *out, bool allow_zero);
/* A frame's 4-byte big-endian length. */
void mp_put_len(uint8_t *p, uint32_t v);

#endif /* MESHPROTO_INTERNAL_H */
