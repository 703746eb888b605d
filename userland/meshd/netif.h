/* SPDX-License-Identifier: GPL-2.0-only */
/* meshd's system side: rtnetlink addresses/routes/link state, local addresses. */
#ifndef MESHD_NETIF_H
#define MESHD_NETIF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "logic.h"

/* Bring the link up. */
int meshd_link_up(uint32_t ifindex, struct wgm_err *err);

/*
 * Give the device addr/plen (4 or 16 bytes by family) without a prefix
 * route (and without DAD for IPv6), then route the prefix to the device;
 * both replace what is there, so calling again is harmless.
 */
int meshd_overlay_set(uint32_t ifindex, int family, const uint8_t *addr,
		      uint8_t plen, struct wgm_err *err);

/*
 * The addresses of the system's interfaces (getifaddrs); *out and the names
 * it points to live in *handle until meshd_ifaddrs_free(handle).
 */
int meshd_ifaddrs_get(struct meshd_ifaddr **out, size_t *n, void **handle,
		      struct wgm_err *err);
void meshd_ifaddrs_free(struct meshd_ifaddr *v, void *handle);

#endif /* MESHD_NETIF_H */
