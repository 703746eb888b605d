// SPDX-License-Identifier: GPL-2.0-only
/*
 * Port mapping, the parts NAT-PMP and PCP share: the epoch check, what
 * external address is usable, the default gateway.  Pure.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "portmap.h"

bool wgm_pm_epoch_lost(uint32_t prev_epoch, uint64_t prev_ms,
		       uint32_t cur_epoch, uint64_t cur_ms)
{
	uint64_t c_delta, s_delta;

	/* RFC 6887 8.5: a step back of more than one second is a restart */
	if ((uint64_t)cur_epoch + 1 < prev_epoch)
		return true;
	if (cur_ms < prev_ms)
		return true;		/* our clock is monotonic: a bug, be safe */
	c_delta = (cur_ms - prev_ms) / 1000;
	s_delta = cur_epoch > prev_epoch ? cur_epoch - prev_epoch : 0;
	/*
	 * Both clocks may drift by up to 1/16 and the values are whole
	 * seconds: a difference beyond that means the server's clock
	 * started again.
	 */
	if (c_delta + 2 < s_delta - s_delta / 16)
		return true;
	if (s_delta + 2 < c_delta - c_delta / 16)
		return true;
	return false;
}

bool wgm_pm_external_ok(const union wgm_sockaddr *a)
{
	if (a->sa.sa_family == AF_INET) {
		uint32_t v = ntohl(a->in.sin_addr.s_addr);

		if (v == 0 || v == 0xffffffffu)
			return false;
		if ((v >> 24) == 127 || (v >> 24) == 0)
			return false;
		if ((v >> 28) == 0xe)		/* multicast 224/4 */
			return false;
		if ((v >> 16) == 0xa9fe)	/* link-local 169.254/16 */
			return false;
		return true;
	}
	if (a->sa.sa_family == AF_INET6) {
		const struct in6_addr *x = &a->in6.sin6_addr;

		return !IN6_IS_ADDR_UNSPECIFIED(x) && !IN6_IS_ADDR_LOOPBACK(x) &&
		       !IN6_IS_ADDR_MULTICAST(x) && !IN6_IS_ADDR_LINKLOCAL(x) &&
		       !IN6_IS_ADDR_V4MAPPED(x);
	}
	return false;
}

/* One hex field of /proc/net/route; false unless 1..8 hex digits. */
static bool hexfield(const char *s, size_t n, uint32_t *v)
{
	char buf[9];
	char *end;

	if (n == 0 || n > 8)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*v = (uint32_t)strtoul(buf, &end, 16);
	return *end == '\0';
}

static bool decfield(const char *s, size_t n, uint32_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

#define RT_UP		0x1
#define RT_GATEWAY	0x2

int wgm_pm_default_gateway(const char *text, size_t len, uint8_t gw[4])
{
	const char *p = text, *end = text + len, *eol;
	uint32_t best_metric = 0;
	bool first = true, found = false;

	while (p < end) {
		/* fields: Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
		const char *f[8];
		size_t fl[8], nf = 0;
		const char *q;
		uint32_t dst, via, flags, metric, mask;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		for (q = p; q < eol && nf < 8;) {
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q == eol)
				break;
			f[nf] = q;
			while (q < eol && *q != ' ' && *q != '\t')
				q++;
			fl[nf] = (size_t)(q - f[nf]);
			nf++;
		}
		if (first) {		/* the header line */
			first = false;
			p = eol + 1;
			continue;
		}
		p = eol + 1;
		if (nf < 8 || !hexfield(f[1], fl[1], &dst) ||
		    !hexfield(f[2], fl[2], &via) ||
		    !hexfield(f[3], fl[3], &flags) ||
		    !decfield(f[6], fl[6], &metric) ||
		    !hexfield(f[7], fl[7], &mask))
			continue;
		if (dst || mask || !via || (flags & (RT_UP | RT_GATEWAY)) !=
		    (RT_UP | RT_GATEWAY))
			continue;
		if (found && metric >= best_metric)
			continue;
		/* the kernel prints the address as the u32 it stores */
		memcpy(gw, &via, 4);
		best_metric = metric;
		found = true;
	}
	return found ? 0 : -1;
}
