// SPDX-License-Identifier: GPL-2.0-only
/*
 * Birthday search: see birthday.h for the method and the locking, and
 * Documentation/probing.rst for the odds, the bounds and the security.
 *
 * A search lives in struct wgm_bday from wgm_birthday_start() until one
 * of three paths detaches it from wg->bday under wg->bday_lock: its own
 * end work (success, a direct path, or its deadline), the peer's removal,
 * or the device going down.  Whoever detaches it tears it down, in
 * wgm_bday_teardown(); the others find wg->bday changed and leave it.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/netdevice.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "compat.h"
#include "device.h"
#include "peer.h"
#include "socket.h"
#include "probe.h"
#include "probemsg.h"
#include "birthday.h"
#include "uapi/linux/wgmesh.h"

/* spray: this many probes per tick, i.e. 100 a second */
#define WGM_BDAY_SPRAY_BATCH		10
#define WGM_BDAY_SPRAY_TICK_MS		100
/* spray: answers to the last guesses may still come this long after */
#define WGM_BDAY_SPRAY_GRACE_MS		3000
/*
 * open: the sockets wait this long for a guess; the other side needs
 * about 10.3 s for its 1024 probes, and may start a little later.
 */
#define WGM_BDAY_OPEN_MS		30000
/* open: how often a running search checks for a direct path found otherwise */
#define WGM_BDAY_OPEN_TICK_MS		500
/* guessed ports: what NATs hand out (Linux masquerade: 1024-65535) */
#define WGM_BDAY_PORT_MIN		1024

struct wgm_bday {
	struct wgm_device *wg;
	struct wgm_peer *peer;		/* a reference, put at teardown */
	u8 role;			/* enum wgm_birthday_role */
	u16 count;			/* sockets (open) or probes (spray) */
	struct sockaddr_in target;
	unsigned long deadline;		/* jiffies */
	struct timer_list timer;	/* spray pacing; open: direct-path check */
	struct delayed_work end;	/* ends the search in process context */

	spinlock_t lock;		/* the fields below */
	bool stopping;			/* nothing arms the timer or queues end now */
	bool direct;			/* a direct path carries the peer's data */
	struct sock *won;		/* open: the socket that got through */
	u32 sent;
	u16 n_socks;
	struct sock *socks[];		/* open: n_socks, owned by the search */
};

/* Must hold bday->lock.  The end work runs now (unless we are stopping). */
static void wgm_bday_end_soon(struct wgm_bday *bday)
{
	lockdep_assert_held(&bday->lock);
	if (!bday->stopping)
		mod_delayed_work(system_wq, &bday->end, 0);
}

static void wgm_bday_spray(struct wgm_bday *bday)
{
	u8 msg[WGM_PROBE_MSG_LEN];
	struct wgm_endpoint ep = {};
	unsigned int i;
	bool more;

	ep.addr4 = bday->target;
	for (i = 0; i < WGM_BDAY_SPRAY_BATCH; i++) {
		spin_lock_bh(&bday->lock);
		more = !bday->stopping && bday->sent < bday->count;
		if (more)
			bday->sent++;
		spin_unlock_bh(&bday->lock);
		if (!more || wgm_probe_build_request(bday->peer, msg))
			break;
		ep.addr4.sin_port = htons(WGM_BDAY_PORT_MIN +
					  get_random_u32_below(65536 - WGM_BDAY_PORT_MIN));
		wgm_socket_send_buffer_to_endpoint(bday->wg, &ep, msg, sizeof(msg));
	}
	memzero_explicit(msg, sizeof(msg));
}

static void wgm_bday_timer(struct timer_list *t)
{
	struct wgm_bday *bday = timer_container_of(bday, t, timer);
	bool direct = wgm_probe_direct_path(bday->peer);
	unsigned long next;

	if (bday->role == WGM_BIRTHDAY_SPRAY && !direct)
		wgm_bday_spray(bday);

	spin_lock_bh(&bday->lock);
	if (direct) {
		bday->direct = true;
		wgm_bday_end_soon(bday);
	} else if (!bday->stopping) {
		next = bday->role == WGM_BIRTHDAY_SPRAY && bday->sent < bday->count ?
		       WGM_BDAY_SPRAY_TICK_MS : WGM_BDAY_OPEN_TICK_MS;
		mod_timer(&bday->timer, jiffies + msecs_to_jiffies(next));
	}
	spin_unlock_bh(&bday->lock);
}

void wgm_birthday_rx(struct wgm_device *wg, struct sock *sk, struct wgm_peer *peer)
{
	struct wgm_bday *bday;
	unsigned int i;

	/* the common case: no search anywhere near */
	if (!rcu_access_pointer(wg->bday))
		return;
	rcu_read_lock_bh();
	bday = rcu_dereference_bh(wg->bday);
	if (!bday || bday->role != WGM_BIRTHDAY_OPEN || bday->peer != peer)
		goto out;
	spin_lock_bh(&bday->lock);
	for (i = 0; i < bday->n_socks && !bday->won; i++) {
		if (bday->socks[i] == sk) {
			bday->won = sk;
			wgm_bday_end_soon(bday);
		}
	}
	spin_unlock_bh(&bday->lock);
out:
	rcu_read_unlock_bh();
}

/*
 * Must hold wg->bday_lock.  Takes the running search off the device;
 * the caller then owns it and must wgm_bday_teardown() it.
 */
static struct wgm_bday *wgm_bday_detach(struct wgm_device *wg)
{
	return rcu_replace_pointer(wg->bday, NULL, lockdep_is_held(&wg->bday_lock));
}

/* Must hold wg->bday_lock.  The peer's own socket, taken off the peer. */
static struct sock *wgm_bday_take_own(struct wgm_peer *peer, struct sock *replace)
{
	return rcu_replace_pointer(peer->own_sock, replace,
				   lockdep_is_held(&peer->device->bday_lock));
}

/*
 * Frees a detached search: nothing can arm its timer or queue its work
 * once stopping is set; after a grace period no packet in softirq holds
 * it or sends from its sockets.  @from_work: called by its own end work,
 * which must not wait for itself.  @also: one more socket to close (the
 * peer's old own socket), or NULL.  May sleep.
 */
static void wgm_bday_teardown(struct wgm_bday *bday, bool from_work, struct sock *also)
{
	unsigned int i;

	spin_lock_bh(&bday->lock);
	bday->stopping = true;
	spin_unlock_bh(&bday->lock);
	timer_delete_sync(&bday->timer);
	synchronize_net();
	if (from_work)
		cancel_delayed_work(&bday->end);
	else
		cancel_delayed_work_sync(&bday->end);
	for (i = 0; i < bday->n_socks; i++) {
		if (bday->socks[i] != bday->won)
			wgm_socket_close_extra(bday->socks[i]);
	}
	if (also)
		wgm_socket_close_extra(also);
	/* receives still inside a closed socket's hook are done after this */
	synchronize_net();
	wgm_peer_put(bday->peer);
	kfree(bday);
}

static void wgm_bday_end_work(struct work_struct *work)
{
	struct wgm_bday *bday = container_of(to_delayed_work(work), struct wgm_bday, end);
	struct wgm_device *wg = bday->wg;
	struct wgm_peer *peer = bday->peer;
	struct sock *won, *old = NULL;
	bool direct;

	mutex_lock(&wg->bday_lock);
	if (rcu_access_pointer(wg->bday) != bday) {
		/* detached by peer removal or device stop: they tear it down */
		mutex_unlock(&wg->bday_lock);
		return;
	}
	wgm_bday_detach(wg);
	spin_lock_bh(&bday->lock);
	bday->stopping = true;
	won = bday->won;
	direct = bday->direct;
	peer->bday_sent = bday->sent;
	spin_unlock_bh(&bday->lock);
	if (won)
		old = wgm_bday_take_own(peer, won);
	peer->bday_state = won || direct ? WGM_BIRTHDAY_STATE_DIRECT : WGM_BIRTHDAY_STATE_FAILED;
	mutex_unlock(&wg->bday_lock);

	if (won) {
		net_dbg_ratelimited("%s: birthday search: peer %llu now sends from port %u\n",
				    wg->dev->name, peer->internal_id,
				    ntohs(inet_sk(won)->inet_sport));
		/* the paths through the new socket's mapping, now */
		wgm_probe_new_socket(peer);
	}
	wgm_bday_teardown(bday, true, old);
}

int wgm_birthday_start(struct wgm_peer *peer, u8 role, const struct sockaddr_in *target,
		       u16 count)
{
	struct wgm_device *wg = peer->device;
	u8 msg[WGM_PROBE_MSG_LEN];
	struct wgm_endpoint ep = {};
	unsigned int max, i;
	struct wgm_bday *bday;
	int ret;

	lockdep_assert_held(&wg->device_update_lock);
	if (target->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	max = role == WGM_BIRTHDAY_OPEN ? WGM_BIRTHDAY_MAX_SOCKETS : WGM_BIRTHDAY_MAX_PROBES;
	if (role != WGM_BIRTHDAY_OPEN && role != WGM_BIRTHDAY_SPRAY)
		return -EINVAL;
	if (count > max)
		return -ERANGE;
	if (!count)
		count = max;
	if (!rcu_access_pointer(wg->sock4))
		return -ENETDOWN;
	/* the peer must be probeable: a message now, or no search */
	ret = wgm_probe_build_request(peer, msg);
	if (ret)
		return ret;

	mutex_lock(&wg->bday_lock);
	if (rcu_access_pointer(wg->bday)) {
		ret = -EBUSY;
		goto err_busy;
	}
	bday = kzalloc(struct_size(bday, socks, role == WGM_BIRTHDAY_OPEN ? count : 0),
		       GFP_KERNEL);
	if (!bday) {
		ret = -ENOMEM;
		goto err_busy;
	}
	bday->wg = wg;
	bday->peer = wgm_peer_get(peer);
	bday->role = role;
	bday->count = count;
	bday->target = *target;
	spin_lock_init(&bday->lock);
	timer_setup(&bday->timer, wgm_bday_timer, 0);
	INIT_DELAYED_WORK(&bday->end, wgm_bday_end_work);

	if (role == WGM_BIRTHDAY_OPEN) {
		for (i = 0; i < count; i++) {
			ret = wgm_socket_open_extra(wg, &bday->socks[i]);
			if (ret)
				break;
			bday->n_socks++;
		}
		/* fewer sockets only lower the odds; none is a failure */
		if (!bday->n_socks)
			goto err_socket;
		bday->deadline = jiffies + msecs_to_jiffies(WGM_BDAY_OPEN_MS);
	} else {
		bday->deadline = jiffies + msecs_to_jiffies(WGM_BDAY_SPRAY_GRACE_MS +
			DIV_ROUND_UP(count, WGM_BDAY_SPRAY_BATCH) * WGM_BDAY_SPRAY_TICK_MS);
	}
	peer->bday_state = WGM_BIRTHDAY_STATE_RUNNING;
	peer->bday_sent = 0;
	rcu_assign_pointer(wg->bday, bday);
	mod_delayed_work(system_wq, &bday->end, bday->deadline - jiffies);
	mod_timer(&bday->timer, jiffies + 1);

	if (role == WGM_BIRTHDAY_OPEN) {
		/*
		 * One probe from each socket: its mapping in our NAT, open
		 * to the peer's mapped address only.  The search owns the
		 * sockets and we hold bday_lock: none closes under us.
		 */
		ep.addr4 = *target;
		for (i = 0; i < bday->n_socks; i++) {
			if (i && wgm_probe_build_request(peer, msg))
				break;
			wgm_socket_send_buffer_via(wg, bday->socks[i], &ep, msg, sizeof(msg));
			spin_lock_bh(&bday->lock);
			bday->sent++;
			spin_unlock_bh(&bday->lock);
		}
	}
	mutex_unlock(&wg->bday_lock);
	memzero_explicit(msg, sizeof(msg));
	return 0;

err_socket:
	wgm_peer_put(peer);
	kfree(bday);
err_busy:
	mutex_unlock(&wg->bday_lock);
	memzero_explicit(msg, sizeof(msg));
	return ret;
}

void wgm_birthday_peer_remove(struct wgm_peer *peer)
{
	struct wgm_device *wg = peer->device;
	struct wgm_bday *bday = NULL;
	struct sock *own;

	lockdep_assert_held(&wg->device_update_lock);
	mutex_lock(&wg->bday_lock);
	if (rcu_access_pointer(wg->bday) &&
	    rcu_dereference_protected(wg->bday, lockdep_is_held(&wg->bday_lock))->peer == peer)
		bday = wgm_bday_detach(wg);
	own = wgm_bday_take_own(peer, NULL);
	if (bday)
		peer->bday_state = WGM_BIRTHDAY_STATE_STOPPED;
	mutex_unlock(&wg->bday_lock);

	if (bday) {
		wgm_bday_teardown(bday, false, own);
	} else if (own) {
		synchronize_net();
		wgm_socket_close_extra(own);
		synchronize_net();
	}
}

void wgm_birthday_device_stop(struct wgm_device *wg)
{
	struct wgm_peer *peer;
	struct wgm_bday *bday;
	struct sock *own;
	bool closed = false;

	lockdep_assert_held(&wg->device_update_lock);
	mutex_lock(&wg->bday_lock);
	bday = wgm_bday_detach(wg);
	if (bday)
		bday->peer->bday_state = WGM_BIRTHDAY_STATE_STOPPED;
	mutex_unlock(&wg->bday_lock);
	if (bday)
		wgm_bday_teardown(bday, false, NULL);

	list_for_each_entry(peer, &wg->peer_list, peer_list) {
		mutex_lock(&wg->bday_lock);
		own = wgm_bday_take_own(peer, NULL);
		mutex_unlock(&wg->bday_lock);
		if (!own)
			continue;
		if (!closed)
			synchronize_net();
		closed = true;
		wgm_socket_close_extra(own);
	}
	if (closed)
		synchronize_net();
}

void wgm_birthday_status(struct wgm_peer *peer, struct wgm_bday_status *st)
{
	struct wgm_device *wg = peer->device;
	struct wgm_bday *bday;
	struct sock *own;

	lockdep_assert_held(&wg->device_update_lock);
	memset(st, 0, sizeof(*st));
	mutex_lock(&wg->bday_lock);
	st->state = peer->bday_state;
	st->sent = peer->bday_sent;
	bday = rcu_dereference_protected(wg->bday, lockdep_is_held(&wg->bday_lock));
	if (bday && bday->peer == peer) {
		spin_lock_bh(&bday->lock);
		st->sent = bday->sent;
		st->sockets = bday->n_socks;
		spin_unlock_bh(&bday->lock);
	}
	own = rcu_dereference_protected(peer->own_sock, lockdep_is_held(&wg->bday_lock));
	if (own)
		st->port = ntohs(inet_sk(own)->inet_sport);
	mutex_unlock(&wg->bday_lock);
}
