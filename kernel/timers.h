/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol's timer state machine, driven by events on the data path.
 * All event functions may be called from any context (softirq included).
 */
#ifndef _WGM_TIMERS_H
#define _WGM_TIMERS_H

#include <linux/types.h>

struct wgm_peer;

/* Set up when the peer is created; stopped, synchronously, at removal. */
void wgm_timers_init(struct wgm_peer *peer);
void wgm_timers_stop(struct wgm_peer *peer);

/* The handshake: an initiation went out; a session is confirmed. */
void wgm_timers_handshake_initiated(struct wgm_peer *peer);
void wgm_timers_handshake_complete(struct wgm_peer *peer);

/* Key ages: true when @birthday_ns (boottime) is @expiration_seconds old. */
bool wgm_birthdate_has_expired(u64 birthday_ns, u64 expiration_seconds);
/* New keys were derived: they are wiped unless newer ones follow in time. */
void wgm_timers_session_derived(struct wgm_peer *peer);

/*
 * Traffic: data (not keepalives) sent or received; any authenticated
 * packet sent or received; and either of those (traversal).
 */
void wgm_timers_data_sent(struct wgm_peer *peer);
void wgm_timers_data_received(struct wgm_peer *peer);
void wgm_timers_any_authenticated_packet_sent(struct wgm_peer *peer);
void wgm_timers_any_authenticated_packet_received(struct wgm_peer *peer);
void wgm_timers_any_authenticated_packet_traversal(struct wgm_peer *peer);

#endif /* _WGM_TIMERS_H */
