/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Birthday search (Documentation/probing.rst, "Birthday search"): a direct
 * path to a peer behind a NAT that maps per destination ("hard"), when our
 * side's NAT maps one port for all destinations ("easy"), or the other way
 * round.  One search per device at a time, bounded in sockets, probes and
 * time; started by WGM_CMD_PUNCH with WGM_PEER_A_BIRTHDAY.
 *
 * open: up to WGM_BIRTHDAY_MAX_SOCKETS extra IPv4 sockets on random ports,
 * one authenticated probe from each to the peer's mapped address; each
 * leaves a mapping in our NAT that only that address may answer.  The
 * first socket that receives a message the peer authenticated and that is
 * new to the probe replay window (a request, whatever challenge it echoes,
 * or a reply to a probe we sent) got through: it becomes the peer's own
 * socket (peer->own_sock), from which everything to the peer leaves from
 * then on; the others close.  A request that does not echo our challenge
 * still moves no path and draws no reply: it only picks the socket, and
 * the paths through it must then prove themselves as any other.
 *
 * spray: up to WGM_BIRTHDAY_MAX_PROBES probes, WGM_BDAY_SPRAY_BATCH per
 * WGM_BDAY_SPRAY_TICK_MS, from the device's socket to random ports of the
 * peer's public address; each opens our (easy) NAT to one guessed port.
 * A guess that hits one of the other side's mappings reaches its socket.
 * The search ends as soon as a direct path carries the peer's data.
 *
 * Every socket is the device's in all but port: the same receive path, as
 * silent to strangers as the main one.  Nothing is allocated for anyone
 * but the administrator who starts a search.
 *
 * Locking.  wg->bday_lock (a mutex) protects wg->bday, peer->own_sock and
 * the peer's birthday result; softirq readers use RCU (rcu_read_lock_bh)
 * for wg->bday and peer->own_sock.  struct wgm_bday's own spinlock guards
 * its running counters and the stopping flag.
 * Lock order: device_update_lock -> wg->bday_lock -> bday->lock.
 * The end of a search (its delayed work) takes only wg->bday_lock, so
 * paths holding device_update_lock may wait for it.
 */
#ifndef _WGM_BIRTHDAY_H
#define _WGM_BIRTHDAY_H

#include <linux/types.h>
#include <linux/in.h>

struct sock;
struct wgm_device;
struct wgm_peer;

/* What GET_DEVICE reports for a peer (WGM_PEER_A_BIRTHDAY). */
struct wgm_bday_status {
	u8 state;		/* enum wgm_birthday_state */
	u16 sockets;		/* extra sockets the running search holds */
	u32 sent;		/* probes the last search sent */
	u16 port;		/* the peer's own socket's port, 0 = none */
};

/*
 * Must hold device_update_lock.  Starts a search with @peer.  @count 0
 * means the role's maximum.  -EBUSY when one runs on the device,
 * -ENETDOWN when the device is down, -ENOKEY when the peer cannot be
 * probed, -EAFNOSUPPORT for a target that is not IPv4, -ERANGE for a
 * count above the role's maximum, or the error opening the first socket.
 */
int wgm_birthday_start(struct wgm_peer *peer, u8 role, const struct sockaddr_in *target,
		       u16 count);

/* Softirq, from probe.c: fresh authenticated proof from @peer reached @sk. */
void wgm_birthday_rx(struct wgm_device *wg, struct sock *sk, struct wgm_peer *peer);

/*
 * Must hold device_update_lock; may sleep.  wgm_birthday_peer_remove():
 * the peer's search ends and its own socket closes (peer removal).
 * wgm_birthday_device_stop(): the device's search ends and every peer's
 * own socket closes (ndo_stop, teardown): a NAT mapping does not outlive
 * a device that is down.
 */
void wgm_birthday_peer_remove(struct wgm_peer *peer);
void wgm_birthday_device_stop(struct wgm_device *wg);

/* Must hold device_update_lock. */
void wgm_birthday_status(struct wgm_peer *peer, struct wgm_bday_status *st);

#endif /* _WGM_BIRTHDAY_H */
