/* SPDX-License-Identifier: GPL-2.0-only */
/* Human, field-wise and JSON views of a device (the `show` command). */
#ifndef WGM_FORMAT_H
#define WGM_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

/* The clocks needed to turn kernel timestamps into ages / unix times. */
struct wgm_clock {
	int64_t realtime_sec;	/* CLOCK_REALTIME */
	uint64_t boottime_ns;	/* CLOCK_BOOTTIME (candidate timestamps) */
};

void wgm_clock_now(struct wgm_clock *clk);

/* "1 year, 2 days, 1 minute, 3 seconds"; "Now" for 0. */
void wgm_fmt_duration(char *buf, size_t len, uint64_t secs);
/* "512 B", "1.20 KiB", "3.00 MiB", ... (binary units, two decimals). */
void wgm_fmt_bytes(char *buf, size_t len, uint64_t bytes);
const char *wgm_candidate_state_name(uint8_t state);
/* Candidate's last_seen as unix seconds (0 = never). */
int64_t mesh_conf_cand_last_seen_unix(const struct mesh_conf_cand *c,
				     const struct wgm_clock *clk);

/* A JSON string literal with quotes and escapes. */
void wgm_json_string(struct wgm_buf *b, const char *s);
/* One device as a single-line JSON object followed by '\n'. */
void wgm_json_device(struct wgm_buf *b, const struct mesh_conf_device *dev,
		     const struct wgm_clock *clk);

/*
 * The relay carries the peer and no direct path is tried: the peer's NAT
 * (its agent's label) and ours (@own, enum wgm_nat_type) both map per
 * destination.
 */
bool wgm_relay_only(const struct mesh_conf_peer *peer, unsigned int own);

/* `wg show`-style block; ANSI colours when color is set. */
void wgm_show_device(struct wgm_buf *b, const struct mesh_conf_device *dev,
		     const struct wgm_clock *clk, bool color);

/* Names accepted by wgm_show_field, NULL-terminated. */
extern const char *const wgm_show_fields[];
/*
 * One field, tab-separated lines (wg's `show DEV FIELD`); with_name
 * prefixes every line with the interface name (for `show all FIELD`).
 */
int wgm_show_field(struct wgm_buf *b, const struct mesh_conf_device *dev,
		   const char *field, bool with_name, struct wgm_err *err);

#endif /* WGM_FORMAT_H */
