/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A peer: one remote public key, its handshake and sessions, endpoint,
 * allowed IPs, timers and queues.
 *
 * Lifetime: created and removed under wg->device_update_lock; looked up
 * under RCU and pinned with wgm_peer_get()/wgm_peer_put().  Removal marks
 * it dead, unhashes it, stops its timers and work, and drops the list's
 * reference; memory goes after an RCU grace period once the last
 * reference is gone.
 */
#ifndef _WGM_PEER_H
#define _WGM_PEER_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/spinlock.h>
#include <linux/skbuff.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <net/dst_cache.h>

#include "noise.h"
#include "cookie.h"
#include "crypt.h"

struct wgm_device;
struct wgm_probe_peer;

/*
 * A path to a peer: the peer's address (addr.sa_family says which view
 * holds it), and the local address we last sent to it from, so that our
 * packets keep leaving from the address the peer knows.  An IPv4 source
 * also keeps the interface it was found on; an IPv6 one needs no such
 * hint.  A zero source lets routing choose.
 */
struct wgm_endpoint {
	union {
		struct sockaddr_in6 addr6;
		struct sockaddr_in addr4;
		struct sockaddr addr;
	};
	union {
		struct in6_addr src6;
		struct in_addr src4;
	};
	int src_if4;				/* ifindex of src4, 0: unknown */
};

struct wgm_peer {
	struct wgm_device *device;
	struct kref refcount;
	struct rcu_head rcu;
	struct list_head peer_list;		/* wg->peer_list */
	struct hlist_node pubkey_hash;		/* peerlookup.c */
	struct list_head allowedips_list;	/* allowedips.c */
	u64 internal_id;
	bool is_dead;				/* set under device_update_lock */

	struct wgm_handshake handshake;
	struct wgm_keypairs keypairs;
	struct wgm_cookie_holder cookie;

	rwlock_t endpoint_lock;			/* endpoint (read_lock_bh) */
	struct wgm_endpoint endpoint;
	struct dst_cache endpoint_cache;

	/* inner packets waiting for a session; bounded by WGM_MAX_STAGED_PACKETS */
	struct sk_buff_head staged_packet_queue;
	struct work_struct transmit_work;		/* send.c: sends tx_queue in order */
	struct work_struct transmit_handshake_work;	/* send.c */

	/* timers.c */
	struct timer_list timer_retransmit_handshake;
	struct timer_list timer_send_keepalive;
	struct timer_list timer_new_handshake;
	struct timer_list timer_zero_key_material;
	struct timer_list timer_persistent_keepalive;
	struct work_struct clear_peer_work;
	unsigned int timer_handshake_attempts;
	u16 persistent_keepalive_interval;	/* seconds, 0 = off */
	bool timer_need_another_keepalive;
	bool sent_lastminute_handshake;
	atomic64_t last_sent_handshake;		/* ktime_get_coarse_boottime_ns() */

	/* candidate.c: candidates and probe state; NULL until the peer has a
	 * probe key or candidates.  Set under device_update_lock, freed
	 * after an RCU grace period by wgm_probe_peer_remove().
	 */
	struct wgm_probe_peer __rcu *probe;

	/* birthday.c: the socket a birthday search found (IPv4; NULL = the
	 * device's), and how the last search went; under wg->bday_lock,
	 * own_sock read under RCU by the send path
	 */
	struct sock __rcu *own_sock;
	u8 bday_state;				/* enum wgm_birthday_state */
	u32 bday_sent;
	/* WGM_PEER_A_NAT: the agent's label, kept and reported only;
	 * under device_update_lock
	 */
	u8 nat_label;				/* enum wgm_nat_type */

	/* crypt.c: packets being encrypted / decrypted, in order */
	struct wgm_ordered_queue tx_queue;
	struct wgm_ordered_queue rx_queue;
	struct work_struct receive_work;		/* receive.c: delivers rx_queue */

	/* statistics */
	atomic64_t rx_bytes, tx_bytes;		/* authenticated outer bytes */
	/* written and read only through wgm_peer_{stamp,read}_handshake_walltime() */
	struct timespec64 walltime_last_handshake;	/* under walltime_lock */
	spinlock_t walltime_lock;		/* spin_lock_bh */
};

/*
 * Must hold wg->device_update_lock.  Returns the new peer (the device's
 * list holds the initial reference) or an ERR_PTR: -ENOSPC when the
 * device has WGM_MAX_PEERS_PER_DEVICE peers, -EEXIST for a duplicate key.
 */
struct wgm_peer *wgm_peer_create(struct wgm_device *wg,
				 const u8 public_key[WGM_KEY_BYTES],
				 const u8 preshared_key[WGM_KEY_BYTES]);
/* Must hold wg->device_update_lock. */
void wgm_peer_remove(struct wgm_peer *peer);
void wgm_peer_remove_all(struct wgm_device *wg);

struct wgm_peer *wgm_peer_get_maybe_zero(struct wgm_peer *peer);	/* NULL if dying */
static inline struct wgm_peer *wgm_peer_get(struct wgm_peer *peer)
{
	kref_get(&peer->refcount);
	return peer;
}

void wgm_peer_put(struct wgm_peer *peer);

/* Any context: a handshake completed now. */
void wgm_peer_stamp_handshake_walltime(struct wgm_peer *peer);
/* Any context: when the latest handshake completed (zero: never), untorn. */
void wgm_peer_read_handshake_walltime(struct wgm_peer *peer, struct timespec64 *ts);

int wgm_peer_init(void);	/* module init */
void wgm_peer_uninit(void);

#endif /* _WGM_PEER_H */
