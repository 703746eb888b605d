// SPDX-License-Identifier: GPL-2.0-only
/* meshrelay's pure decisions; see meshrelay.h. */
#include "meshrelay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int meshrelay_apply(struct relay_table *t, const struct mp_msg *m, uint64_t now_ms,
		    char *log, size_t loglen)
{
	uint8_t node[2][RELAY_NODE_LEN], key[2][RELAY_KEY_LEN];
	uint32_t id[2];
	unsigned int s, i;
	int r;

	log[0] = '\0';
	switch (m->type) {
	case MP_RELAY_ALLOC:
		i = m->u.relay_alloc.index;
		for (s = 0; s < 2; s++) {
			memcpy(node[s], m->u.relay_alloc.side[s].node, RELAY_NODE_LEN);
			memcpy(key[s], m->u.relay_alloc.side[s].key, RELAY_KEY_LEN);
			id[s] = m->u.relay_alloc.side[s].id;
		}
		r = relay_install(t, i, node, id, key, now_ms);
		explicit_bzero(key, sizeof(key));
		if (r) {
			snprintf(log, loglen, "coord: allocation %u is outside our %u allocations (ports %u..%u) or malformed: ignored (does the service have our current --relay-ports?)",
				 i, t->n, t->port_lo, t->port_lo + 2 * t->n - 1);
			return 0;
		}
		snprintf(log, loglen, "coord: allocation %u: ports %u and %u", i,
			 relay_port_of(t, i, 0), relay_port_of(t, i, 1));
		return 1;
	case MP_RELAY_FREE:
		i = m->u.relay_free.index;
		if (i >= t->n || !t->allocs[i].used || t->allocs[i].side[0].id != m->u.relay_free.id)
			return 0;	/* gone already, or the index holds a newer one */
		relay_release(t, i);
		snprintf(log, loglen, "coord: allocation %u (ports %u and %u) ended", i,
			 relay_port_of(t, i, 0), relay_port_of(t, i, 1));
		return 1;
	default:
		return -1;
	}
}

unsigned int meshrelay_backoff_next(unsigned int cur_ms)
{
	if (cur_ms < MESHRELAY_BACKOFF_MIN_MS)
		return MESHRELAY_BACKOFF_MIN_MS;
	return cur_ms >= MESHRELAY_BACKOFF_MAX_MS / 2 ? MESHRELAY_BACKOFF_MAX_MS : 2 * cur_ms;
}

unsigned int meshrelay_backoff_jitter(unsigned int ms, uint32_t rnd)
{
	return ms + (ms / 4 ? rnd % (ms / 4) : 0);
}

int meshrelay_parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	b = strtoul(end + 1, &end, 10);
	if (errno || *end || a < 1 || b > 65535 || b <= a)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}
