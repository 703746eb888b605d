// SPDX-License-Identifier: GPL-2.0-only
/*
 * STUN client of a device: learns the NAT-mapped address of the tunnel
 * socket itself (not of some other socket, whose mapping would differ).
 *
 * Netlink configures up to WGM_STUN_MAX_SERVERS servers.  A delayed work
 * per device sends each server a Binding request from the tunnel socket
 * at once when the list is set, when the device comes up or its listen
 * port changes, and then again at a random interval in
 * [WGM_STUN_INTERVAL_MIN_MS, +WGM_STUN_INTERVAL_JITTER_MS] -- just under
 * the 30 s after which many NATs forget an idle UDP mapping.  An
 * unanswered request is sent again with a new transaction id after 1, 2,
 * 4 and 8 s, then the server waits for the next round.
 *
 * It asks whenever the device is up and has servers, with or without
 * peers: a node that is alone in its mesh must still learn its public
 * address to announce it, and the requests keep the mapping alive.  One
 * 20-byte datagram per server per ~24 s is the whole cost.
 *
 * An answer is accepted only when it is a well-formed Binding success
 * response, comes from the address and port of a server we asked, and
 * carries the transaction id of that server's outstanding request; each
 * request is answered at most once.  Everything else is dropped and
 * counted (stun->dropped, and rx_drop_invalid for `ip -s link`).  The
 * receive path neither allocates nor answers.
 *
 * The device keeps one mapped address per family (the newest answer of
 * that family wins); a change is announced as a WGM_EVENT_STUN_MAPPED
 * event.  Closing the socket or changing its port forgets the mappings.
 *
 * Locking: stun->lock (a spinlock, taken with BHs off: the receive path
 * runs in softirq) guards everything in struct wgm_stun except @work and
 * @dropped.  The work is armed only while @up is set (under the lock);
 * wgm_stun_device_down() clears @up and then cancels the work
 * synchronously, so nothing runs after it.  Packets are sent and events
 * emitted after the lock is released.
 */

#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>

#include "compat.h"
#include "uapi/linux/wgmesh.h"
#include "device.h"
#include "peer.h"
#include "socket.h"
#include "netlink.h"
#include "stun.h"
#include "stunclient.h"

#define WGM_STUN_INTERVAL_MIN_MS	20000
#define WGM_STUN_INTERVAL_JITTER_MS	8000
#define WGM_STUN_RTO_MS			1000	/* doubled per retry */
#define WGM_STUN_MAX_TRIES		5	/* sends per round */

struct wgm_stun_server {
	struct wgm_endpoint addr;	/* the server; only addr4/addr6 */
	struct wgm_endpoint mapped;	/* what it told us last */
	u64 sent_ns;			/* boottime of the outstanding request */
	u64 due_ns;			/* next round, while none is outstanding */
	u64 last_ok_ns;			/* 0: never answered */
	u32 requests, responses;
	u8 txid[WGM_STUN_TXID_LEN];
	u8 tries;			/* sends in this round so far */
	bool outstanding;		/* txid is waiting for its answer */
};

/* One per address family of the mapped address. */
struct wgm_stun_mapping {
	struct wgm_endpoint addr;	/* sa_family 0: not known */
	struct wgm_endpoint server;
	u64 ns;				/* boottime of the last confirmation */
};

struct wgm_stun {
	struct wgm_device *wg;
	struct delayed_work work;
	atomic_t dropped;
	spinlock_t lock;		/* everything below */
	bool up;			/* the sockets are bound; the work may run */
	unsigned int n_servers;
	struct wgm_stun_server servers[WGM_STUN_MAX_SERVERS];
	struct wgm_stun_mapping mapped[2];	/* [0] IPv4, [1] IPv6 */
};

/* Same family, address and port (IPv6: and scope). */
static bool wgm_stun_same_addr(const struct wgm_endpoint *a,
			       const struct wgm_endpoint *b)
{
	return wgm_endpoint_same_addr_port(a, b) &&
	       (a->addr.sa_family != AF_INET6 ||
		!a->addr6.sin6_scope_id || !b->addr6.sin6_scope_id ||
		a->addr6.sin6_scope_id == b->addr6.sin6_scope_id);
}

static u64 wgm_stun_interval_ns(void)
{
	return (u64)(WGM_STUN_INTERVAL_MIN_MS +
		     get_random_u32_below(WGM_STUN_INTERVAL_JITTER_MS + 1)) *
	       NSEC_PER_MSEC;
}

/* How long the request sent as the @tries-th of its round may take. */
static u64 wgm_stun_rto_ns(unsigned int tries)
{
	return (u64)WGM_STUN_RTO_MS * NSEC_PER_MSEC << (tries ? tries - 1 : 0);
}

/* Must hold stun->lock.  Forgets what was outstanding; every server is due now. */
static void wgm_stun_reset_locked(struct wgm_stun *stun)
{
	unsigned int i;

	lockdep_assert_held(&stun->lock);
	for (i = 0; i < stun->n_servers; i++) {
		stun->servers[i].outstanding = false;
		stun->servers[i].tries = 0;
		stun->servers[i].due_ns = 0;
	}
}

/* Must hold stun->lock. */
static void wgm_stun_forget_mapped_locked(struct wgm_stun *stun)
{
	unsigned int i;

	lockdep_assert_held(&stun->lock);
	memset(stun->mapped, 0, sizeof(stun->mapped));
	for (i = 0; i < stun->n_servers; i++)
		memset(&stun->servers[i].mapped, 0, sizeof(stun->servers[i].mapped));
}

struct wgm_stun_out {
	struct wgm_endpoint to;
	u8 msg[WGM_STUN_HEADER_LEN];
};

/* Must hold stun->lock.  Starts a new transaction with @srv into @out. */
static void wgm_stun_prepare_locked(struct wgm_stun *stun,
				    struct wgm_stun_server *srv, u64 now,
				    struct wgm_stun_out *out)
{
	lockdep_assert_held(&stun->lock);
	get_random_bytes(srv->txid, sizeof(srv->txid));
	srv->outstanding = true;
	srv->sent_ns = now;
	srv->tries++;
	srv->requests++;
	memset(&out->to, 0, sizeof(out->to));
	if (srv->addr.addr.sa_family == AF_INET)
		out->to.addr4 = srv->addr.addr4;
	else
		out->to.addr6 = srv->addr.addr6;
	wgm_stun_build_request(out->msg, sizeof(out->msg), srv->txid);
}

static void wgm_stun_worker(struct work_struct *work)
{
	struct wgm_stun *stun = container_of(to_delayed_work(work),
					     struct wgm_stun, work);
	struct wgm_stun_out out[WGM_STUN_MAX_SERVERS];
	unsigned int i, n_out = 0;
	u64 now, next = U64_MAX, when;

	spin_lock_bh(&stun->lock);
	if (!stun->up)
		goto out_unlock;
	now = ktime_get_boottime_ns();
	for (i = 0; i < stun->n_servers; i++) {
		struct wgm_stun_server *srv = &stun->servers[i];

		if (srv->outstanding &&
		    now - srv->sent_ns >= wgm_stun_rto_ns(srv->tries)) {
			if (srv->tries < WGM_STUN_MAX_TRIES) {
				wgm_stun_prepare_locked(stun, srv, now, &out[n_out++]);
			} else {
				/* give up until the next round */
				srv->outstanding = false;
				srv->tries = 0;
				srv->due_ns = now + wgm_stun_interval_ns();
			}
		} else if (!srv->outstanding && now >= srv->due_ns) {
			srv->tries = 0;
			wgm_stun_prepare_locked(stun, srv, now, &out[n_out++]);
		}
		when = srv->outstanding ? srv->sent_ns + wgm_stun_rto_ns(srv->tries) :
					  srv->due_ns;
		next = min(next, when);
	}
	if (next != U64_MAX)
		mod_delayed_work(system_power_efficient_wq, &stun->work,
				 next > now ? nsecs_to_jiffies(next - now) + 1 : 0);
out_unlock:
	spin_unlock_bh(&stun->lock);

	/* a failed send is an unanswered request: retried like one */
	for (i = 0; i < n_out; i++)
		wgm_socket_send_buffer_to_endpoint(stun->wg, &out[i].to, out[i].msg,
						   sizeof(out[i].msg));
}

int wgm_stun_init(struct wgm_device *wg)
{
	struct wgm_stun *stun;

	stun = kzalloc(sizeof(*stun), GFP_KERNEL);
	if (!stun)
		return -ENOMEM;
	stun->wg = wg;
	spin_lock_init(&stun->lock);
	INIT_DELAYED_WORK(&stun->work, wgm_stun_worker);
	wg->stun = stun;
	return 0;
}

void wgm_stun_free(struct wgm_device *wg)
{
	kfree(wg->stun);
	wg->stun = NULL;
}

void wgm_stun_device_up(struct wgm_device *wg)
{
	struct wgm_stun *stun = wg->stun;

	spin_lock_bh(&stun->lock);
	/* a new socket or port: the old mappings were someone else's */
	wgm_stun_forget_mapped_locked(stun);
	wgm_stun_reset_locked(stun);
	stun->up = true;
	if (stun->n_servers)
		mod_delayed_work(system_power_efficient_wq, &stun->work, 0);
	spin_unlock_bh(&stun->lock);
}

void wgm_stun_device_down(struct wgm_device *wg)
{
	struct wgm_stun *stun = wg->stun;

	might_sleep();
	spin_lock_bh(&stun->lock);
	stun->up = false;
	wgm_stun_reset_locked(stun);
	wgm_stun_forget_mapped_locked(stun);
	spin_unlock_bh(&stun->lock);
	/* it cannot re-arm itself once up is clear */
	cancel_delayed_work_sync(&stun->work);
}

void wgm_stun_set_servers(struct wgm_device *wg,
			  const struct wgm_endpoint *servers, unsigned int n)
{
	struct wgm_stun *stun = wg->stun;
	unsigned int i;

	lockdep_assert_held(&wg->device_update_lock);
	if (WARN_ON(n > WGM_STUN_MAX_SERVERS))
		return;
	spin_lock_bh(&stun->lock);
	memset(stun->servers, 0, sizeof(stun->servers));
	for (i = 0; i < n; i++) {
		if (servers[i].addr.sa_family == AF_INET)
			stun->servers[i].addr.addr4 = servers[i].addr4;
		else
			stun->servers[i].addr.addr6 = servers[i].addr6;
	}
	stun->n_servers = n;
	/* no server left to confirm them: a mapping would only grow stale */
	if (!n)
		memset(stun->mapped, 0, sizeof(stun->mapped));
	if (stun->up && n)
		mod_delayed_work(system_power_efficient_wq, &stun->work, 0);
	spin_unlock_bh(&stun->lock);
}

void wgm_stun_snapshot(struct wgm_device *wg, struct wgm_stun_info *info)
{
	struct wgm_stun *stun = wg->stun;
	u64 now = ktime_get_boottime_ns();
	unsigned int i;

	memset(info, 0, sizeof(*info));
	spin_lock_bh(&stun->lock);
	info->n_servers = stun->n_servers;
	for (i = 0; i < stun->n_servers; i++) {
		const struct wgm_stun_server *srv = &stun->servers[i];

		info->servers[i] = (struct wgm_stun_server_info) {
			.addr = srv->addr,
			.mapped = srv->mapped,
			.last_ok_ns = srv->last_ok_ns,
			.requests = srv->requests,
			.responses = srv->responses,
		};
	}
	for (i = 0; i < ARRAY_SIZE(stun->mapped); i++) {
		const struct wgm_stun_mapping *m = &stun->mapped[i];

		if (!m->addr.addr.sa_family)
			continue;
		info->mapped[i].addr = m->addr;
		info->mapped[i].server = m->server;
		info->mapped[i].age_ms = min_t(u64, div_u64(now - m->ns, NSEC_PER_MSEC),
					       U32_MAX);
	}
	spin_unlock_bh(&stun->lock);
	info->dropped = atomic_read(&stun->dropped);
}

/*
 * Must hold stun->lock.  The answer of @srv said @mapped: remember it; true
 * (with the previous one in @old) when the device's mapping changed.
 */
static bool wgm_stun_learn_locked(struct wgm_stun *stun,
				  struct wgm_stun_server *srv,
				  const struct wgm_endpoint *mapped, u64 now,
				  struct wgm_endpoint *old)
{
	struct wgm_stun_mapping *m;
	bool changed;

	lockdep_assert_held(&stun->lock);
	srv->mapped = *mapped;
	srv->last_ok_ns = now;
	srv->responses++;
	srv->outstanding = false;
	srv->tries = 0;
	srv->due_ns = now + wgm_stun_interval_ns();

	m = &stun->mapped[mapped->addr.sa_family == AF_INET6];
	changed = !wgm_stun_same_addr(&m->addr, mapped);
	*old = m->addr;
	m->addr = *mapped;
	m->server = srv->addr;
	m->ns = now;
	return changed;
}

void wgm_stun_receive(struct wgm_device *wg, struct sk_buff *skb)
{
	struct wgm_stun *stun = wg->stun;
	struct sockaddr_storage ss;
	struct wgm_endpoint from, mapped, old;
	struct wgm_stun_server *srv = NULL;
	bool changed = false;
	unsigned int i;

	if (wgm_socket_endpoint_from_skb(&from, skb))
		goto drop;
	spin_lock_bh(&stun->lock);
	for (i = 0; i < stun->n_servers; i++) {
		if (stun->servers[i].outstanding &&
		    wgm_stun_same_addr(&stun->servers[i].addr, &from)) {
			srv = &stun->servers[i];
			break;
		}
	}
	if (!srv || !stun->up ||
	    wgm_stun_parse_response(skb->data, skb->len, srv->txid, &ss)) {
		spin_unlock_bh(&stun->lock);
		goto drop;
	}
	memset(&mapped, 0, sizeof(mapped));
	if (ss.ss_family == AF_INET)
		memcpy(&mapped.addr4, &ss, sizeof(mapped.addr4));
	else
		memcpy(&mapped.addr6, &ss, sizeof(mapped.addr6));
	changed = wgm_stun_learn_locked(stun, srv, &mapped, ktime_get_boottime_ns(),
					&old);
	spin_unlock_bh(&stun->lock);
	consume_skb(skb);

	if (changed)
		wgm_genl_device_event(wg, WGM_EVENT_STUN_MAPPED,
				      old.addr.sa_family ? &old.addr : NULL,
				      &mapped.addr, WGM_EVENT_REASON_NONE, 0);
	return;

drop:
	atomic_inc(&stun->dropped);
	atomic64_inc(&wg->rx_drop_invalid);
	kfree_skb(skb);
}
