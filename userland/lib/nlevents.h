/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The wgmesh "events" multicast group: resolving its id, subscribing, and
 * receiving WGM_CMD_EVENT notifications (device attributes plus a slice of
 * WGM_DEVICE_A_PEERS, the GET_DEVICE layout).
 */
#ifndef WGM_NLEVENTS_H
#define WGM_NLEVENTS_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "nl.h"

/*
 * From a CTRL_CMD_GETFAMILY reply: the id of multicast group `group`.
 * 0 when found, -1 when the family has no such group.
 */
int wgm_genl_mcgrp_parse(const struct nlmsghdr *nlh, const char *group,
			 uint32_t *id);

/*
 * Subscribe an open socket (wgm_nl_open) to WGM_MCGRP_EVENTS.  -1 with
 * *missing set when the module does not offer the group.
 */
int wgm_nl_events_subscribe(struct wgm_nl *nl, int *missing,
			    struct wgm_err *err);

/* WGM_DEVICE_A_EVENT of a typed event. */
struct wgm_event {
	bool present;			/* the message had WGM_DEVICE_A_EVENT */
	uint8_t type;			/* enum wgm_event_type */
	union wgm_sockaddr old_ep;	/* AF_UNSPEC when absent */
	union wgm_sockaddr new_ep;
	uint32_t reason;		/* enum wgm_event_reason, or a state */
	uint32_t value;
};

/* Read WGM_DEVICE_A_EVENT from an event message; 0, or -1 when malformed. */
int wgm_event_parse(const struct nlmsghdr *nlh, struct wgm_event *ev);

/*
 * Called for every event; dev (peer and candidates, GET_DEVICE layout) is
 * freed after the call.  Non-zero stops.
 */
typedef int (*wgm_event_cb)(uint8_t cmd, const struct mesh_conf_device *dev,
			    const struct wgm_event *ev, void *data);

/*
 * Block for one read and hand every wgmesh message in it to cb.  0, or -1
 * on a socket error (ENOBUFS: events were lost, err says so; the socket
 * stays usable) or when cb returned non-zero.
 */
int wgm_nl_events_read(struct wgm_nl *nl, wgm_event_cb cb, void *data,
		       struct wgm_err *err);

#endif /* WGM_NLEVENTS_H */
