/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The wgmesh network device: one per `ip link add ... type wgmesh`.
 *
 * Locking:
 *  - device_update_lock (mutex) serialises every configuration change:
 *    netlink SET, peer creation/removal, the allowed-IPs trie, the socket
 *    (re)bind, the static identity.  Netlink GET takes it too, so a dump
 *    sees a consistent peer list.  Lock order: rtnl -> device_update_lock
 *    -> static_identity.lock -> peer handshake locks.
 *  - peer_list is modified with device_update_lock held and walked either
 *    under it or under RCU (list_for_each_entry_rcu).
 *  - sock4/sock6 are RCU pointers, replaced under device_update_lock.
 */
#ifndef _WGM_DEVICE_H
#define _WGM_DEVICE_H

#include <linux/netdevice.h>
#include <linux/workqueue.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/rwsem.h>
#include <linux/skbuff.h>
#include <net/gro_cells.h>

#include "messages.h"
#include "allowedips.h"
#include "cookie.h"
#include "crypt.h"

struct wgm_pubkey_hashtable;
struct wgm_index_hashtable;
struct wgm_stun;
struct wgm_bday;

struct wgm_static_identity {
	u8 static_public[WGM_KEY_BYTES];
	u8 static_private[WGM_KEY_BYTES];
	struct rw_semaphore lock;
	bool has_identity;
};

/*
 * Handshake messages are not processed in softirq: encap_rcv queues them
 * on incoming_handshakes (bounded by WGM_MAX_QUEUED_HANDSHAKES) and
 * handshake_work, on handshake_wq, does the Diffie-Hellman work.  The
 * device counts as "under load" (cookies required) while the queue holds
 * more than WGM_MAX_QUEUED_HANDSHAKES / 8 messages.
 */
struct wgm_device {
	struct net_device *dev;
	struct list_head device_list;		/* wgm_device_list, under rtnl */
	struct net *creating_net;		/* where the sockets live */

	struct sock __rcu *sock4, *sock6;
	u16 incoming_port;			/* host order; bound port */
	u32 fwmark;

	struct wgm_static_identity static_identity;
	struct wgm_cookie_issuer cookie_issuer;
	struct wgm_pubkey_hashtable *peer_hashtable;
	struct wgm_index_hashtable *index_hashtable;
	struct wgm_allowedips peer_allowedips;

	struct mutex device_update_lock;	/* see the locking rules above */
	struct list_head peer_list;
	unsigned int num_peers;
	/* bumped under device_update_lock on every peer add/remove; dumps
	 * compare it to flag NLM_F_DUMP_INTR
	 */
	u64 peer_list_gen;
	/* netlink.c: identifies this device to a dump resumed by ifindex
	 * (unique, never reused; 0 until its first dump); set under
	 * device_update_lock
	 */
	u64 nl_dump_id;

	struct sk_buff_head incoming_handshakes;
	struct work_struct handshake_work;
	struct workqueue_struct *handshake_wq;	/* handshake_work */
	struct workqueue_struct *packet_wq;	/* per-CPU crypto workers (bound) */
	struct wgm_crypt_engine *encrypt;	/* send.c: wgm_packet_encrypt_one */
	struct wgm_crypt_engine *decrypt;	/* receive.c: wgm_packet_decrypt_one */

	struct gro_cells gro_cells;
	unsigned long last_under_load;		/* jiffies; receive.c */

	struct wgm_stun *stun;			/* stunclient.c; own locking */
	/* netlink.c: this device's share of typed events; own locking */
	struct ratelimit_state event_rs;

	/* birthday.c: the running birthday search, if any (see birthday.h) */
	struct wgm_bday __rcu *bday;
	struct mutex bday_lock;			/* bday, peers' own_sock; birthday.h */

	/* drop counters by reason, shown by `ip -s link` as rx/tx errors */
	atomic64_t rx_drop_invalid;		/* malformed, unknown type, bad length */
	atomic64_t rx_drop_auth;		/* failed authentication or mac */
	atomic64_t rx_drop_replay;		/* replayed or too old counter */
	atomic64_t rx_drop_noroute;		/* inner source not allowed for peer */
	atomic64_t rx_drop_ratelimit;		/* handshake queue full / rate limited */
	atomic64_t tx_drop_noroute;		/* no peer for destination */
	atomic64_t tx_drop_noendpoint;		/* peer has no endpoint */
};

extern struct list_head wgm_device_list;	/* under rtnl */

int wgm_device_init(void);
void wgm_device_uninit(void);

/* receive.c: true while (or within a second after) the queue was busy */
bool wgm_device_under_load(struct wgm_device *wg);

#endif /* _WGM_DEVICE_H */
