// SPDX-License-Identifier: GPL-2.0-only
/* NAT mapping behaviour from STUN observations; see natclass.h. */
#include "natclass.h"

#include <stdbool.h>
#include <sys/socket.h>

#include "addr.h"

const char *wgm_nat_name(unsigned int t)
{
	switch (t) {
	case WGM_NAT_EASY:
		return "easy";
	case WGM_NAT_HARD:
		return "hard";
	default:
		return "unknown";
	}
}

const char *wgm_nat_describe(unsigned int t)
{
	switch (t) {
	case WGM_NAT_EASY:
		return "endpoint-independent mapping";
	case WGM_NAT_HARD:
		return "endpoint-dependent mapping";
	default:
		return "fewer than two STUN answers";
	}
}

static bool answered(const struct mesh_conf_stun *s)
{
	sa_family_t f = s->mapped.sa.sa_family;

	return (f == AF_INET || f == AF_INET6) &&
	       s->endpoint.sa.sa_family == f;
}

/* An earlier answered entry has the same server. */
static bool repeated(const struct mesh_conf_stun *s, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (answered(&s[j]) &&
		    wgm_endpoint_equal(&s[j].endpoint, &s[i].endpoint))
			return true;
	return false;
}

/* One family: 1 easy, 2 hard, 0 fewer than two distinct servers. */
static enum wgm_nat_type classify_family(const struct mesh_conf_stun *s,
					 size_t n, sa_family_t fam)
{
	const struct mesh_conf_stun *first = NULL;
	bool differ = false;
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		if (!answered(&s[i]) || s[i].mapped.sa.sa_family != fam ||
		    repeated(s, i))
			continue;
		count++;
		if (!first)
			first = &s[i];
		else if (!wgm_endpoint_equal(&first->mapped, &s[i].mapped))
			differ = true;
	}
	if (count < 2)
		return WGM_NAT_UNKNOWN;
	return differ ? WGM_NAT_HARD : WGM_NAT_EASY;
}

enum wgm_nat_type wgm_nat_classify(const struct mesh_conf_stun *s, size_t n)
{
	enum wgm_nat_type v4 = classify_family(s, n, AF_INET);
	enum wgm_nat_type v6 = classify_family(s, n, AF_INET6);

	if (v4 == WGM_NAT_HARD || v6 == WGM_NAT_HARD)
		return WGM_NAT_HARD;
	if (v4 == WGM_NAT_EASY || v6 == WGM_NAT_EASY)
		return WGM_NAT_EASY;
	return WGM_NAT_UNKNOWN;
}
