// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's connection to meshcoord: connecting with backoff, keepalive
 * bookkeeping, the node's removal, and the messages the service sends
 * (peers, the end of the peer list, punch signals, errors).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "meshd.h"
#include "relay.h"

#define CONNECT_TIMEOUT_MS 5000

void disconnect(struct meshd *d, const char *why)
{
	if (!d->connected)
		return;
	tcprelay_close_all(d);	/* the allocations end with the session */
	mp_conn_close(&d->conn);
	d->connected = false;
	d->sent_valid = false;
	d->backoff_ms = meshd_backoff_next(d->backoff_ms);
	d->next_connect_ms = now_ms() +
			     meshd_backoff_jitter(d->backoff_ms,
						  (uint32_t)random());
	logmsg("coord: disconnected (%s); reconnecting in %u.%u s", why,
	       d->backoff_ms / 1000, d->backoff_ms % 1000 / 100);
}

/*
 * The administrator removed this node: forget the registration and the
 * peers.  The auth key given on the command line is not used again by this
 * process (a removed node must not rejoin by itself); restarting meshd
 * with a valid auth key joins again.
 */
static void node_removed(struct meshd *d)
{
	char path[4096];

	if (d->removed)
		return;
	d->removed = true;
	d->registered = false;
	if (!state_path(d, "registered", path, sizeof(path)))
		unlink(path);
	meshd_peers_free(&d->peers);
	if (d->synced)
		sync_kernel(d, NULL);
	logmsg("removed from the network: peers dropped, not rejoining until restarted");
}

void try_connect(struct meshd *d)
{
	struct mp_client_cfg cfg = {
		.server = d->o.coord_addr,
		.server_pub = d->o.coord_key,
		.node_priv = d->priv,
		.name = d->o.name,
		.authkey = d->registered || d->removed ? NULL : d->o.authkey,
		.timeout_ms = CONNECT_TIMEOUT_MS,
	};
	struct mp_welcome w;
	struct mp_err err;
	char a4[INET_ADDRSTRLEN];
	int r;

	memset(&err, 0, sizeof(err));
	r = mp_client_connect(&d->conn, &cfg, &w, &err);
	if (r && err.code == MP_ERR_AUTH && d->registered && d->o.authkey &&
	    !d->removed) {
		/* registered once but forgotten (removed, new database) */
		cfg.authkey = d->o.authkey;
		memset(&err, 0, sizeof(err));
		r = mp_client_connect(&d->conn, &cfg, &w, &err);
	}
	if (r) {
		d->backoff_ms = meshd_backoff_next(d->backoff_ms);
		d->next_connect_ms = now_ms() +
				     meshd_backoff_jitter(d->backoff_ms,
							  (uint32_t)random());
		switch (err.code) {
		case MP_ERR_AUTH:
			logmsg("coord: not registered: %s%s", err.msg,
			       d->o.authkey ? "" : " (start with --authkey KEY)");
			/*
			 * A key the service refused (invalid, expired, used)
			 * never becomes good: say so once and stop, rather
			 * than retry forever.
			 */
			if (!d->registered && d->o.authkey && d->o.authkey[0]) {
				logmsg("coord: the service refused the auth key; exiting. Start meshd with a valid --authkey (on the service host: meshcoord authkey create)");
				d->auth_refused = true;
				return;
			}
			break;
		case MP_ERR_REMOVED:
			logmsg("coord: this node was removed by the administrator: %s",
			       err.msg);
			node_removed(d);
			break;
		default:
			logmsg("coord: connecting to %s: %s", d->o.coord_addr,
			       err.msg);
		}
		logmsg("coord: retrying in %u.%u s", d->backoff_ms / 1000,
		       d->backoff_ms % 1000 / 100);
		return;
	}
	d->connected = true;
	d->removed = false;
	d->backoff_ms = 0;
	d->last_rx_ms = now_ms();
	d->next_ping_ms = d->last_rx_ms + PING_INTERVAL_MS;
	d->sent_valid = false;
	d->nat_sent = false;		/* a new session hears the NAT type anew */
	d->home_sent = false;		/* and the home relay */
	d->next_gather_ms = 0;		/* report candidates right away */
	mark_registered(d);
	meshd_peers_unsee(&d->peers);
	inet_ntop(AF_INET, w.addr4, a4, sizeof(a4));
	logmsg("coord: connected to %s as %s (%s)", d->o.coord_addr, w.name,
	       a4);
	apply_welcome(d, &w);
}

/* Once per address change: p claims an overlay address another peer has. */
static void log_addr_shared(const struct meshd *d, const struct meshd_peer *p)
{
	const struct meshd_peer *o = meshd_peers_addr_shared(&d->peers, p,
							     d->pub);
	char a[128], b[128];
	bool p_first;

	if (!o)
		return;
	p_first = memcmp(p->pubkey, o->pubkey, MP_KEY_LEN) < 0;
	peer_label(p, a, sizeof(a));
	peer_label(o, b, sizeof(b));
	logmsg("coord: peers %s and %s claim the same overlay address; only %s gets it",
	       a, b, p_first ? a : b);
}

static void handle_msg(struct meshd *d, const struct mp_msg *m, bool *dirty)
{
	uint8_t gone[64][MP_KEY_LEN];
	char label[128], b64[WGM_KEY_B64_LEN + 1], why[48];
	struct meshd_peer *p;
	struct mp_msg pong;
	struct mp_err err;
	size_t n, i;
	uint8_t nat;
	int ch;

	switch (m->type) {
	case MP_PEER:
		if (!memcmp(m->u.peer.pubkey, d->pub, MP_KEY_LEN))
			break;
		ch = meshd_peers_update(&d->peers, &m->u.peer);
		if (ch < 0) {
			logmsg("out of memory");
			break;
		}
		p = meshd_peers_find(&d->peers, m->u.peer.pubkey);
		peer_label(p, label, sizeof(label));
		if (ch & MESHD_PEER_NEW)
			logmsg("coord: peer %s %s, %u candidate(s)", label,
			       p->online ? "online" : "offline", p->cand.n);
		else if (ch & MESHD_PEER_ONLINE)
			logmsg("coord: peer %s is %s", label,
			       p->online ? "online" : "offline");
		else if (ch)
			logmsg("coord: peer %s changed, %u candidate(s)",
			       label, p->cand.n);
		if (ch & (MESHD_PEER_NEW | MESHD_PEER_ADDRS))
			log_addr_shared(d, p);
		if (ch & (MESHD_PEER_NEW | MESHD_PEER_ADDRS | MESHD_PEER_CANDS))
			*dirty = true;
		break;
	case MP_PEER_REMOVED:
		p = meshd_peers_find(&d->peers, m->u.removed);
		if (p) {
			logmsg("coord: peer %s removed",
			       peer_label(p, label, sizeof(label)));
			meshd_peers_remove(&d->peers, m->u.removed);
			*dirty = true;
		}
		break;
	case MP_SYNC_END:
		n = meshd_peers_prune(&d->peers, gone, 64);
		for (i = 0; i < n && i < 64; i++) {
			wgm_key_to_base64(b64, gone[i]);
			logmsg("coord: peer %s is gone", b64);
		}
		logmsg("coord: peer list complete, %zu peer(s)", d->peers.n);
		d->synced = true;
		*dirty = true;
		break;
	case MP_PUNCH:
		p = meshd_peers_find(&d->peers, m->u.punch.pubkey);
		if (!p) {
			wgm_key_to_base64(b64, m->u.punch.pubkey);
			logmsg("coord: punch for unknown peer %s ignored", b64);
			break;
		}
		meshd_peers_set_cands(&d->peers, p, &m->u.punch.cand);
		nat = meshd_peer_nat(p->nat, m->type, m->u.punch.birthday, 0);
		if (nat != p->nat) {
			p->nat = nat;
			*dirty = true;
		}
		if (*dirty && d->synced && !sync_kernel(d, NULL))
			*dirty = false;
		p->no_punch = 0;
		punch(d, p);
		birthday_start(d, p, &m->u.punch);
		break;
	case MP_NO_PUNCH:
		/* the service chose not to punch this pair: say why, once */
		p = meshd_peers_find(&d->peers, m->u.no_punch.pubkey);
		if (!p) {
			wgm_key_to_base64(b64, m->u.no_punch.pubkey);
			logmsg("coord: no-punch for unknown peer %s ignored", b64);
			break;
		}
		p->last_punch_ms = now_ms();
		nat = meshd_peer_nat(p->nat, m->type, 0, m->u.no_punch.reason);
		if (nat != p->nat) {
			p->nat = nat;
			*dirty = true;
		}
		if (p->no_punch == m->u.no_punch.reason)
			break;
		p->no_punch = m->u.no_punch.reason;
		logmsg("coord: %s: %s: not punching (the pair stays on the relay, if there is one)",
		       peer_label(p, label, sizeof(label)),
		       mp_nopunch_text(m->u.no_punch.reason, why));
		break;
	case MP_RELAY:
	case MP_RELAY_REMOVED: {
		union wgm_sockaddr coord;
		char line[256];

		if (meshd_relay_apply(&d->peers, m, meshd_relay_coord_addr(d->conn.fd, &coord) ?
				      NULL : &coord, line, sizeof(line)))
			*dirty = true;
		if (line[0])
			logmsg("%s", line);
		break;
	}
	case MP_RELAY_DATA:
		tcprelay_from_coord(d, &m->u.relay_data);
		break;
	case MP_RELAY_LIST:
		home_list(d, &m->u.relay_list);
		break;
	case MP_PING:
		memset(&pong, 0, sizeof(pong));
		pong.type = MP_PONG;
		pong.u.token = m->u.token;
		if (mp_conn_send(&d->conn, &pong, &err) < 0)
			logmsg("coord: %s", err.msg);
		break;
	case MP_PONG:
		break;
	case MP_ERROR:
		logmsg("coord: error %u: %s", m->u.error.code, m->u.error.text);
		if (m->u.error.code == MP_ERR_REPLACED) {
			logmsg("another agent with this node key connected; exiting");
			exit(EXIT_REPLACED);
		}
		if (m->u.error.code == MP_ERR_REMOVED)
			node_removed(d);
		break;
	default:
		logmsg("coord: unexpected message %s", mp_type_name(m->type));
	}
}

void coord_readable(struct meshd *d)
{
	struct mp_err err;
	struct mp_msg m;
	bool dirty = false;
	int r, budget = 256;

	while (budget-- > 0) {
		r = mp_conn_recv(&d->conn, &m, &err);
		if (r == 0)
			break;
		if (r < 0) {
			tcprelay_flush(d);
			if (dirty && d->synced)
				sync_kernel(d, NULL);
			disconnect(d, err.msg);
			return;
		}
		d->last_rx_ms = now_ms();
		handle_msg(d, &m, &dirty);
		/* the peers or their relay allocations may have changed */
		if (m.type == MP_PEER || m.type == MP_PEER_REMOVED || m.type == MP_SYNC_END ||
		    m.type == MP_RELAY || m.type == MP_RELAY_REMOVED)
			d->tcprelay_check = true;
		if (m.type == MP_RELAY)
			explicit_bzero(&m, sizeof(m));	/* its bind key */
	}
	tcprelay_flush(d);	/* the datagrams for the kernel, in batches */
	if (dirty && d->synced)
		sync_kernel(d, NULL);
}
