// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hole punching and handshake steering: punch bursts (every candidate
 * that is not alive is probed every 200 ms for WGM_PROBE_PUNCH_MS), their
 * end report, handshake rotation over the candidates of standard WireGuard
 * peers, and the handshake kick.
 *
 * Handshake kick: when a path becomes the active one while packets wait
 * for a session, a handshake initiation goes out on it at once instead of
 * at the next REKEY_TIMEOUT retry.  Of two peers, the one whose probe id
 * sorts higher waits briefly first, so that two simultaneous initiations
 * do not cancel each other.
 *
 * Locking: see candidate.h.
 */

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/rculist_nulls.h>
#include <linux/timer.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/bitops.h>
#include <linux/jhash.h>
#include <linux/siphash.h>
#include <linux/netdevice.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/ipv6.h>
#include <crypto/algapi.h>

#include "compat.h"
#include "device.h"
#include "peer.h"
#include "socket.h"
#include "queueing.h"
#include "pathsel.h"
#include "probemsg.h"
#include "probe.h"
#include "candidate.h"
#include "netlink.h"
#include "uapi/linux/wgmesh.h"

void wgm_probe_start_punch(struct wgm_probe_peer *probe, u64 now)
{
	lockdep_assert_held(&probe->lock);
	if (!probe->punch_started)
		probe->punch_started = now;
	probe->punch_until = now + (u64)WGM_PROBE_PUNCH_MS * NSEC_PER_MSEC;
}

/* Must hold probe->lock.  Reports the end of a punch burst once. */
void wgm_probe_punch_done(struct wgm_probe_peer *probe, u64 now)
{
	const struct sockaddr *to = NULL;
	u32 ms;

	lockdep_assert_held(&probe->lock);
	if (!probe->punch_started)
		return;
	ms = (u32)min_t(u64, div_u64(now - probe->punch_started, NSEC_PER_MSEC), U32_MAX);
	/*
	 * A punch looks for a direct path: ending on the relay (the pair's
	 * last resort, Documentation/relay.rst) is a failed punch.
	 */
	if (probe->active >= 0 &&
	    probe->cands[probe->active].kind != WGM_CANDIDATE_KIND_RELAY)
		to = &probe->cands[probe->active].ep.addr;
	probe->punch_result = to ? WGM_EVENT_REASON_PUNCH_OK : WGM_EVENT_REASON_PUNCH_FAILED;
	probe->punch_at = now;
	probe->punches++;
	wgm_genl_event(probe->peer, WGM_EVENT_PUNCH_DONE, NULL, to, probe->punch_result, ms);
	wgm_probe_notify(probe);
	probe->punch_started = 0;
}

/*
 * Must hold probe->lock.  Handshake rotation runs for a while after the
 * candidates changed or a punch was asked for, and while the peer is in use
 * or has packets waiting; an idle peer whose paths are all gone stays
 * quiet, as WireGuard does.
 */
bool wgm_probe_may_rotate(const struct wgm_probe_peer *probe, u64 now)
{
	lockdep_assert_held(&probe->lock);
	return now - probe->last_kick < WGM_PROBE_HS_ROTATE_FOR_NS ||
	       wgm_probe_in_use(probe, now) ||
	       !skb_queue_empty_lockless(&probe->peer->staged_packet_queue);
}

/*
 * No locks held.  A path became active at coarse boottime @path_up: if
 * packets still wait for a session and no handshake message went out
 * since (e.g. our response to the peer's initiation), send an initiation
 * now rather than at the REKEY_TIMEOUT retry.  The retry rate limit is
 * lifted for this one initiation only: the last one went to a path that
 * did not work.
 */
void wgm_probe_kick_handshake(struct wgm_peer *peer, u64 path_up)
{
	s64 last = atomic64_read(&peer->last_sent_handshake);

	if (skb_queue_empty_lockless(&peer->staged_packet_queue))
		return;
	if (last && (s64)(last - path_up) >= 0)
		return;
	atomic64_cmpxchg(&peer->last_sent_handshake, last, 0);
	wgm_packet_send_staged(peer);
}

/*
 * Must hold probe->lock.  Standard WireGuard peers never answer probes:
 * with no path alive after a punch burst, point the endpoint at the next
 * candidate in turn and let a handshake initiation find out (the response
 * roams the endpoint to where it came from, and
 * wgm_probe_authenticated_rx() marks that candidate alive).  True when an
 * initiation should be sent.
 */
bool wgm_probe_rotate_handshake(struct wgm_probe_peer *probe, u64 now)
{
	unsigned int k, i;

	lockdep_assert_held(&probe->lock);
	if (probe->active >= 0 || now < probe->punch_until || !wgm_probe_may_rotate(probe, now))
		return false;
	if (probe->speaks_probes && now - probe->last_probe_rx < WGM_PROBE_SPEAKS_NS)
		return false;
	if (probe->last_hs_rotate && now - probe->last_hs_rotate < WGM_PROBE_HS_ROTATE_NS)
		return false;
	for (k = 0; k < WGM_PROBE_SLOTS; k++) {
		i = (probe->hs_rotate_next + k) % WGM_PROBE_SLOTS;
		if (!probe->cands[i].in_use)
			continue;
		probe->hs_rotate_next = i + 1;
		probe->last_hs_rotate = now;
		wgm_socket_set_peer_endpoint(probe->peer, &probe->cands[i].ep);
		return true;
	}
	return false;
}

/* Must hold probe->lock.  Probe everything now and punch for a while. */
void wgm_probe_kick(struct wgm_probe_peer *probe, u64 now)
{
	unsigned int i;

	lockdep_assert_held(&probe->lock);
	if (!wgm_probe_enabled(probe))
		return;
	for (i = 0; i < WGM_PROBE_SLOTS; i++)
		probe->cands[i].last_sent = 0;
	probe->last_kick = now;
	if (probe->active < 0 && !probe->no_path_since)
		probe->no_path_since = now;
	wgm_probe_start_punch(probe, now);
	wgm_probe_arm(probe, now, now);
}

int wgm_probe_punch(struct wgm_peer *peer)
{
	struct wgm_probe_peer *probe;
	int ret = 0;

	lockdep_assert_held(&peer->device->device_update_lock);
	probe = wgm_probe_deref(peer);
	if (!probe)
		return -ENOKEY;
	spin_lock_bh(&probe->lock);
	if (!probe->keys.valid)
		ret = -ENOKEY;
	else if (!probe->cands || !probe->n_cands)
		ret = -EDESTADDRREQ;
	else
		wgm_probe_kick(probe, ktime_get_boottime_ns());
	spin_unlock_bh(&probe->lock);
	return ret;
}
