// SPDX-License-Identifier: GPL-2.0-only
/*
 * The NAT-PMP and PCP answer decoders and the /proc/net/route reader
 * (userland/lib/portmap*.c): what meshd hands them comes from whoever can
 * send it a datagram.
 *
 * Input: a selector byte (low two bits: NAT-PMP address answer, NAT-PMP
 * mapping answer, PCP MAP answer, route text; bit 2: the request was a
 * deletion), then the bytes.  Checked: no out-of-bounds access, every
 * verdict but OK comes with a reason, and an OK mapping is one meshd may
 * use (a usable address, a port, a lifetime within bounds).
 */
#include <arpa/inet.h>
#include <string.h>

#include "fuzz.h"
#include "portmap.h"

static void pcp_request(struct wgm_pcp_req *r, uint32_t lifetime)
{
	static const uint8_t client[16] = { [10] = 0xff, [11] = 0xff, 10, 1, 0, 2 };

	memset(r, 0, sizeof(*r));
	memcpy(r->client, client, 16);
	r->internal_port = 51820;
	r->lifetime = lifetime;
	memcpy(r->nonce, "0123456789ab", WGM_PCP_NONCE_LEN);
}

static void check_mapping(const struct wgm_pm_answer *a, uint32_t lifetime,
			  bool pcp)
{
	if (!lifetime)
		return;
	FUZZ_CHECK(a->lifetime >= WGM_PM_MIN_LIFETIME);
	FUZZ_CHECK(a->lifetime <= lifetime);
	FUZZ_CHECK(a->external.in.sin_port != 0);
	FUZZ_CHECK(a->internal_port == 51820);
	if (pcp)
		FUZZ_CHECK(wgm_pm_external_ok(&a->external) &&
			   a->external.sa.sa_family == AF_INET);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgm_pm_answer a;
	struct wgm_pcp_req r;
	const char *why = NULL;
	enum wgm_pm_verdict v;
	uint32_t lifetime;
	uint8_t sel, gw[4];

	if (!size)
		return 0;
	sel = data[0];
	data++;
	size--;
	lifetime = (sel & 4) ? 0 : WGM_PM_LIFETIME;
	switch (sel & 3) {
	case 0:
		v = wgm_natpmp_decode_addr(data, size, &a, &why);
		if (v == WGM_PM_OK)
			FUZZ_CHECK(wgm_pm_external_ok(&a.external));
		break;
	case 1:
		v = wgm_natpmp_decode_map(data, size, 51820, lifetime, &a, &why);
		if (v == WGM_PM_OK)
			check_mapping(&a, lifetime, false);
		break;
	case 2:
		pcp_request(&r, lifetime);
		v = wgm_pcp_decode_map(data, size, &r, &a, &why);
		if (v == WGM_PM_OK) {
			FUZZ_CHECK(size >= WGM_PCP_MAP_LEN && size <= WGM_PCP_MAX_LEN);
			FUZZ_CHECK(!memcmp(data + 24, r.nonce, WGM_PCP_NONCE_LEN));
			check_mapping(&a, lifetime, true);
		}
		break;
	default:
		wgm_pm_default_gateway((const char *)data, size, gw);
		return 0;
	}
	FUZZ_CHECK(v == WGM_PM_OK || (why && *why));
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	static const char route[] =
		"\x03Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		"eth0\t00000000\t0100010A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		"eth0\t0000010A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
	uint8_t b[1 + WGM_PCP_MAP_LEN + 8];
	struct wgm_pcp_req r;

	/* NAT-PMP address answer: epoch 1000, 203.0.113.1 */
	memset(b, 0, sizeof(b));
	b[0] = 0;
	b[2] = 128;
	put32(b + 5, 1000);
	b[9] = 203, b[10] = 0, b[11] = 113, b[12] = 1;
	emit("natpmp-addr", b, 13);
	/* NAT-PMP mapping answer: 51820 -> 40000 for 3600 s */
	memset(b, 0, sizeof(b));
	b[0] = 1;
	b[2] = 129;
	put32(b + 5, 1000);
	put16(b + 9, 51820);
	put16(b + 11, 40000);
	put32(b + 13, 3600);
	emit("natpmp-map", b, 17);
	b[0] = 5;
	put16(b + 11, 0);
	put32(b + 13, 0);
	emit("natpmp-delete", b, 17);
	/* PCP MAP answer, then with a THIRD_PARTY option */
	pcp_request(&r, WGM_PM_LIFETIME);
	memset(b, 0, sizeof(b));
	b[0] = 2;
	wgm_pcp_map_req(b + 1, &r);
	b[1 + 1] = 0x81;
	put32(b + 1 + 4, 3600);
	put32(b + 1 + 8, 1000);
	memset(b + 1 + 12, 0, 12);
	put16(b + 1 + 42, 40000);
	b[1 + 56] = 203, b[1 + 57] = 0, b[1 + 58] = 113, b[1 + 59] = 1;
	emit("pcp-map", b, 1 + WGM_PCP_MAP_LEN);
	b[1 + 60] = 1;
	put16(b + 1 + 62, 4);
	emit("pcp-map-option", b, 1 + WGM_PCP_MAP_LEN + 8);
	emit("route", route, sizeof(route) - 1);
}
