/* SPDX-License-Identifier: GPL-2.0-only */
/* wgmesh generic netlink over a libmnl socket. */
#ifndef WGM_NL_H
#define WGM_NL_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "nlsock.h"

/* Open a socket and resolve the "wgmesh" family. */
int wgm_nl_open(struct wgm_nl *nl, struct wgm_err *err);
void wgm_nl_close(struct wgm_nl *nl);

/* Dump the whole state of ifname into dev (initialised by the caller). */
int wgm_nl_get_device(struct wgm_nl *nl, const char *ifname,
		      struct mesh_conf_device *dev, struct wgm_err *err);
/*
 * Apply dev (dev->name selects the device) in as many SET_DEVICE messages as
 * needed, each acknowledged before the next is sent.
 */
int wgm_nl_set_device(struct wgm_nl *nl, const struct mesh_conf_device *dev,
		      struct wgm_err *err);

#endif /* WGM_NL_H */
