// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-peer timer state machine of the WireGuard protocol description
 * (section "Timers"), driven by events reported by send.c and receive.c:
 *
 *  retransmit_handshake  an initiation got no answer within REKEY_TIMEOUT
 *                        (plus jitter): send another, up to
 *                        MAX_TIMER_HANDSHAKES times, then give up.
 *  send_keepalive        data arrived but we sent nothing for
 *                        KEEPALIVE_TIMEOUT: send an empty packet so the
 *                        other side knows the session is alive.
 *  new_handshake         we sent data but heard nothing back for
 *                        KEEPALIVE_TIMEOUT + REKEY_TIMEOUT: re-handshake.
 *  zero_key_material     no new session for 3 * REJECT_AFTER_TIME: wipe
 *                        every key we hold for the peer.
 *  persistent_keepalive  user-configured interval keepalive (NAT mappings).
 *
 * Event functions run in any context.  Arming is done under
 * rcu_read_lock_bh() and only while the peer is alive and the device is
 * up; peer removal marks the peer dead, waits for an RCU grace period and
 * then calls wgm_timers_stop(), so no timer is re-armed after that.
 */

#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <linux/netdevice.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>

#include "compat.h"
#include "timers.h"
#include "device.h"
#include "peer.h"
#include "noise.h"
#include "queueing.h"
#include "socket.h"
#include "probe.h"

bool wgm_birthdate_has_expired(u64 birthday_ns, u64 expiration_seconds)
{
	return (s64)(birthday_ns + expiration_seconds * NSEC_PER_SEC) <=
	       (s64)ktime_get_coarse_boottime_ns();
}

static unsigned long wgm_jitter(void)
{
	return get_random_u32_below(WGM_REKEY_TIMEOUT_JITTER_MAX_JIFFIES);
}

/*
 * Arms @timer to fire @delay jiffies from now, unless the peer is going
 * away or the device is down.  is_dead is read under rcu_read_lock_bh():
 * removal sets it and waits a grace period before wgm_timers_stop().
 */
static void wgm_timer_arm_in(struct wgm_peer *peer, struct timer_list *timer,
			     unsigned long delay)
{
	rcu_read_lock_bh();
	if (likely(netif_running(peer->device->dev) && !READ_ONCE(peer->is_dead)))
		mod_timer(timer, jiffies + delay);
	rcu_read_unlock_bh();
}

/*
 * Another initiation after an unanswered one (@retry) or after silence.
 * The source address we last sent from may be what broke the path, so
 * the next send routes afresh.
 */
static void wgm_handshake_again(struct wgm_peer *peer, bool retry)
{
	wgm_socket_clear_peer_endpoint_src(peer);
	wgm_packet_send_queued_handshake_initiation(peer, retry);
}

/*
 * MAX_TIMER_HANDSHAKES retries went unanswered: the packets waiting for a
 * session are dropped (nothing will carry them now, and no keepalive is
 * owed), and the keys go unless a session turns up in the meantime.
 */
static void wgm_handshake_give_up(struct wgm_peer *peer, unsigned int tries)
{
	pr_debug("%s: peer %llu: no handshake after %u attempts, giving up\n",
		 peer->device->dev->name, peer->internal_id, tries);
	timer_delete(&peer->timer_send_keepalive);
	wgm_packet_purge_staged(peer);
	if (timer_pending(&peer->timer_zero_key_material))
		return;
	wgm_timer_arm_in(peer, &peer->timer_zero_key_material, WGM_REJECT_AFTER_TIME * 3 * HZ);
}

/*
 * timer_handshake_attempts: this handler counts, wgm_timers_handshake_complete()
 * (softirq, any CPU) and send.c reset it: marked accesses.
 */
static void wgm_expired_retransmit_handshake(struct timer_list *t)
{
	struct wgm_peer *peer = timer_container_of(peer, t, timer_retransmit_handshake);
	unsigned int tries = READ_ONCE(peer->timer_handshake_attempts);

	if (tries > WGM_MAX_TIMER_HANDSHAKES) {
		wgm_handshake_give_up(peer, tries);
		return;
	}
	WRITE_ONCE(peer->timer_handshake_attempts, ++tries);
	pr_debug("%s: peer %llu: handshake unanswered after %d s, retry %u\n",
		 peer->device->dev->name, peer->internal_id, WGM_REKEY_TIMEOUT, tries + 1);
	wgm_handshake_again(peer, true);
}

static void wgm_expired_new_handshake(struct timer_list *t)
{
	struct wgm_peer *peer = timer_container_of(peer, t, timer_new_handshake);

	pr_debug("%s: peer %llu: sent data without reply for %d s, new handshake\n",
		 peer->device->dev->name, peer->internal_id,
		 WGM_KEEPALIVE_TIMEOUT + WGM_REKEY_TIMEOUT);
	wgm_handshake_again(peer, false);
}

/*
 * timer_need_another_keepalive is set by wgm_timers_data_received() on any
 * CPU while this timer is pending: marked accesses.
 */
static void wgm_expired_send_keepalive(struct timer_list *t)
{
	struct wgm_peer *peer = timer_container_of(peer, t, timer_send_keepalive);
	bool owe_another = READ_ONCE(peer->timer_need_another_keepalive);

	wgm_packet_send_keepalive(peer);
	if (!owe_another)
		return;
	WRITE_ONCE(peer->timer_need_another_keepalive, false);
	wgm_timer_arm_in(peer, &peer->timer_send_keepalive, WGM_KEEPALIVE_TIMEOUT * HZ);
}

/*
 * Wiping takes sleeping locks, so a work item does it, holding a peer
 * reference taken here while the peer is known alive (wgm_timers_stop()
 * waits for this handler, then flushes the work).
 */
static void wgm_expired_zero_key_material(struct timer_list *t)
{
	struct wgm_peer *peer = timer_container_of(peer, t, timer_zero_key_material);
	bool got;

	rcu_read_lock_bh();
	got = !READ_ONCE(peer->is_dead) && wgm_peer_get_maybe_zero(peer);
	rcu_read_unlock_bh();
	/* queued already: that one carries its own reference */
	if (got && !queue_work(peer->device->handshake_wq, &peer->clear_peer_work))
		wgm_peer_put(peer);
}

static void wgm_clear_peer_worker(struct work_struct *work)
{
	struct wgm_peer *peer = container_of(work, struct wgm_peer, clear_peer_work);

	pr_debug("%s: peer %llu: no session for %d s, zeroing key material\n",
		 peer->device->dev->name, peer->internal_id,
		 WGM_REJECT_AFTER_TIME * 3);
	wgm_noise_handshake_clear(&peer->handshake);
	wgm_keypairs_drop_all(&peer->keypairs);
	wgm_peer_put(peer);
}

static void wgm_expired_persistent_keepalive(struct timer_list *t)
{
	struct wgm_peer *peer = timer_container_of(peer, t, timer_persistent_keepalive);

	/* netlink may have turned it off since the timer was armed */
	if (likely(READ_ONCE(peer->persistent_keepalive_interval)))
		wgm_packet_send_keepalive(peer);
}

/* A data packet (not a keepalive) went out. */
void wgm_timers_data_sent(struct wgm_peer *peer)
{
	wgm_probe_data_sent(peer);
	if (timer_pending(&peer->timer_new_handshake))
		return;
	wgm_timer_arm_in(peer, &peer->timer_new_handshake,
			 (WGM_KEEPALIVE_TIMEOUT + WGM_REKEY_TIMEOUT) * HZ + wgm_jitter());
}

/*
 * A data packet (not a keepalive) came in: answer it with a keepalive
 * unless we send something first.  One keepalive answers a whole burst;
 * data arriving while it is pending asks for one more after it.
 */
void wgm_timers_data_received(struct wgm_peer *peer)
{
	struct timer_list *keepalive = &peer->timer_send_keepalive;

	if (unlikely(!netif_running(peer->device->dev)))
		return;
	if (timer_pending(keepalive)) {
		WRITE_ONCE(peer->timer_need_another_keepalive, true);
		return;
	}
	wgm_timer_arm_in(peer, keepalive, WGM_KEEPALIVE_TIMEOUT * HZ);
}

/* Anything authenticated went out: no separate keepalive is needed. */
void wgm_timers_any_authenticated_packet_sent(struct wgm_peer *peer)
{
	timer_delete(&peer->timer_send_keepalive);
	wgm_probe_authenticated_tx(peer);
}

/* Anything authenticated came in: the peer is answering. */
void wgm_timers_any_authenticated_packet_received(struct wgm_peer *peer)
{
	timer_delete(&peer->timer_new_handshake);
}

void wgm_timers_handshake_initiated(struct wgm_peer *peer)
{
	wgm_timer_arm_in(peer, &peer->timer_retransmit_handshake,
			 WGM_REKEY_TIMEOUT * HZ + wgm_jitter());
}

/*
 * A session is confirmed (initiator: response consumed; responder: first
 * data on the new keypair).  May run in softirq.  receive.c reads
 * sent_lastminute_handshake without a lock.
 */
void wgm_timers_handshake_complete(struct wgm_peer *peer)
{
	wgm_peer_stamp_handshake_walltime(peer);
	WRITE_ONCE(peer->sent_lastminute_handshake, false);
	WRITE_ONCE(peer->timer_handshake_attempts, 0);
	timer_delete(&peer->timer_retransmit_handshake);
}

/* New keys exist: wipe everything if nothing newer follows in time. */
void wgm_timers_session_derived(struct wgm_peer *peer)
{
	wgm_timer_arm_in(peer, &peer->timer_zero_key_material, WGM_REJECT_AFTER_TIME * 3 * HZ);
}

/* Any authenticated packet, in or out: restart the persistent keepalive. */
void wgm_timers_any_authenticated_packet_traversal(struct wgm_peer *peer)
{
	u16 interval = READ_ONCE(peer->persistent_keepalive_interval);

	if (interval)
		wgm_timer_arm_in(peer, &peer->timer_persistent_keepalive, interval * HZ);
}

/* Every timer of a peer, by its place in struct wgm_peer. */
static const struct {
	size_t offset;
	void (*expired)(struct timer_list *t);
} wgm_peer_timers[] = {
	{ offsetof(struct wgm_peer, timer_retransmit_handshake),
	  wgm_expired_retransmit_handshake },
	{ offsetof(struct wgm_peer, timer_send_keepalive), wgm_expired_send_keepalive },
	{ offsetof(struct wgm_peer, timer_new_handshake), wgm_expired_new_handshake },
	{ offsetof(struct wgm_peer, timer_zero_key_material),
	  wgm_expired_zero_key_material },
	{ offsetof(struct wgm_peer, timer_persistent_keepalive),
	  wgm_expired_persistent_keepalive },
};

static struct timer_list *wgm_peer_timer(struct wgm_peer *peer, unsigned int i)
{
	return (struct timer_list *)((u8 *)peer + wgm_peer_timers[i].offset);
}

void wgm_timers_init(struct wgm_peer *peer)
{
	unsigned int i;

	peer->timer_handshake_attempts = 0;
	peer->timer_need_another_keepalive = false;
	peer->sent_lastminute_handshake = false;
	for (i = 0; i < ARRAY_SIZE(wgm_peer_timers); i++)
		timer_setup(wgm_peer_timer(peer, i), wgm_peer_timers[i].expired, 0);
	INIT_WORK(&peer->clear_peer_work, wgm_clear_peer_worker);
}

/*
 * The peer is dead (is_dead set and an RCU grace period passed), so no
 * event re-arms anything: stop every timer and wait for a pending wipe.
 */
void wgm_timers_stop(struct wgm_peer *peer)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(wgm_peer_timers); i++)
		timer_delete_sync(wgm_peer_timer(peer, i));
	flush_work(&peer->clear_peer_work);
}
