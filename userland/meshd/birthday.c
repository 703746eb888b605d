// SPDX-License-Identifier: GPL-2.0-only
/*
 * meshd's birthday searches (issue 15, probing.rst "Birthday search").
 *
 * A hard NAT (endpoint-dependent mapping) gives every new destination a
 * new port nobody can predict, so a plain punch with it fails unless the
 * other side's NAT is easy: then the easy side's mapping is the same for
 * every destination, and both sides guess.  The hard side's kernel opens
 * many extra sockets, each sending one probe to the easy side's mapping
 * (each one a new mapping on the hard NAT, and a hole the easy side's
 * probes may hit); the easy side's kernel sends many probes to random
 * ports of the hard side's address.  With 256 sockets and 1024 probes over
 * 64 K ports, a hit is likely (the birthday paradox).
 *
 * meshcoord chooses the roles from the NAT types its agents reported and
 * says this agent's in PUNCH (version 5), with which of the peer's
 * candidates is its NAT mapping.  After the plain punch, birthday_start()
 * asks the kernel for the search (PUNCH with WGM_PEER_A_BIRTHDAY) within
 * meshd_birthday_decide()'s bounds: one per peer a minute, six an hour.
 * A module without the attribute refuses it: said once, and from then on
 * plain punches only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "meshd.h"
#include "nlpunch.h"

void birthday_start(struct meshd *d, struct meshd_peer *p, const struct mp_punch *pu)
{
	enum meshd_birthday_verdict v;
	struct wgm_birthday_req req;
	struct mp_candidate t;
	char label[128], where[MP_CAND_STRLEN];
	struct wgm_err err;
	uint64_t now = now_ms();
	int errnum = 0;

	if (pu->birthday == MP_BIRTHDAY_NONE || !d->synced || d->punch_unsupported ||
	    d->birthday_unsupported)
		return;		/* nothing asked, or the module cannot (said once) */
	if (p->name[0])
		snprintf(label, sizeof(label), "%s", p->name);
	else
		peer_label(p, label, sizeof(label));
	v = meshd_birthday_decide(pu, !d->o.no_birthday, &p->birthday, now, &t);
	if (v != MESHD_BIRTHDAY_GO) {
		logmsg("birthday: %s: not attempted: %s", label, meshd_birthday_text(v));
		return;
	}
	memset(&req, 0, sizeof(req));
	req.role = pu->birthday == MP_BIRTHDAY_OPEN ? WGM_BIRTHDAY_OPEN : WGM_BIRTHDAY_SPRAY;
	req.count = pu->birthday == MP_BIRTHDAY_OPEN ? WGM_BIRTHDAY_MAX_SOCKETS :
						      WGM_BIRTHDAY_MAX_PROBES;
	req.target.sin_family = AF_INET;
	req.target.sin_port = htons(t.port);
	memcpy(&req.target.sin_addr, t.addr, 4);
	if (wgm_nl_punch(&d->nl, d->o.ifname, p->pubkey, &req, &errnum, &err)) {
		/*
		 * A module older than the search parses the request strictly
		 * and names the attribute it does not know; any other EINVAL
		 * is about this request only.
		 */
		if (errnum == EOPNOTSUPP ||
		    (errnum == EINVAL && strstr(err.msg, "nknown attribute"))) {
			d->birthday_unsupported = true;
			logmsg("birthday: the module takes no birthday searches (%s); plain punches only",
			       err.msg);
		} else {
			logmsg("birthday: %s: not attempted: %s", label, err.msg);
		}
		return;
	}
	meshd_birthday_note(&p->birthday, now);
	if (req.role == WGM_BIRTHDAY_OPEN) {
		logmsg("birthday: %s: opening %u sockets towards %s", label, req.count,
		       mp_candidate_format(&t, where));
	} else {
		inet_ntop(AF_INET, t.addr, where, sizeof(where));
		logmsg("birthday: %s: spraying %u probes at %s", label, req.count, where);
	}
}
