// SPDX-License-Identifier: GPL-2.0-only
/*
 * The receive path for WireGuard handshake messages: the demultiplexing
 * and length checks of wgm_packet_receive() (kernel/receive.c), then what
 * wgm_process_handshake() does with a handshake message: mac1/mac2 checks
 * (wgm_cookie_validate_packet), cookie replies under load
 * (wgm_cookie_message_create), cookie replies received
 * (wgm_cookie_message_consume), initiations and responses consumed
 * (wgm_noise_handshake_consume_*).
 *
 * kernel/noise.c and kernel/cookie.c are built in userspace exactly as
 * selftests/crypto/noise_test.c builds them (selftests/crypto/shim.h); its
 * stubs (index and pubkey tables, peer references) and its two simulated
 * devices A and B are reused by including it.  receive.c itself needs the
 * whole kernel (skbs, queues, workers), so its classification is restated
 * here from the same messages.h constants; a change to one must be made
 * in the other.  The data path (decryption) is not reached: it needs a
 * live keypair.
 *
 * State: A sent an initiation, B consumed it and answered (so A accepts
 * B's response and a cookie reply to its initiation).  It is restored
 * before every input, so inputs are independent.
 *
 * Input: a flags byte, then the UDP payload.
 *   bit 0   B receives (from A); else A receives (from B)
 *   bit 1   the sender's mac1 is written into the message (what a peer that
 *           knows the receiver's public key can do)
 *   bit 2   ... and a valid mac2 (after a cookie exchange)
 *   bit 3   the receiver is under load (mac2 required)
 *   bit 4   the ratelimiter refuses
 *   bit 5   IPv6 source
 *   bit 6-7 time passes: 0, 10 ms, 1 s, 200 s
 * Checked: no out-of-bounds access, leak or UB; every peer reference
 * taken is put; nothing stays allocated.
 */
#define main noise_test_main
#include "noise_test.c"
#undef main

#include "fuzz.h"

struct snapshot {
	struct side a, b;
	u64 prng, now;
	struct timespec64 real;
	int allocs, refs;
	/* the messages of the exchange, for the seeds */
	struct wgm_msg_handshake_initiation init;
	struct wgm_msg_handshake_response resp;
};

static struct side A, B;
static struct snapshot snap;

static void setup(void)
{
	static bool done;
	u8 apriv[32], bpriv[32], apub[32], bpub[32], psk[32];
	struct wgm_peer *p;

	if (done)
		return;
	FUZZ_CHECK(sodium_init() >= 0);
	wgm_noise_init();
	shim_random(apriv, 32);
	shim_random(bpriv, 32);
	shim_random(psk, 32);
	curve25519_clamp_secret(apriv);
	curve25519_clamp_secret(bpriv);
	FUZZ_CHECK(curve25519_generate_public(apub, apriv));
	FUZZ_CHECK(curve25519_generate_public(bpub, bpriv));
	side_init(&A, "a", apriv, bpub, psk);
	side_init(&B, "b", bpriv, apub, psk);

	FUZZ_CHECK(wgm_noise_handshake_create_initiation(&snap.init, &A.peer.handshake));
	wgm_mac_stamp(&snap.init, sizeof(snap.init), &A.peer.cookie);
	p = wgm_noise_handshake_consume_initiation(&snap.init, &B.dev);
	FUZZ_CHECK(p == &B.peer);
	wgm_peer_put(p);
	FUZZ_CHECK(wgm_noise_handshake_create_response(&snap.resp, &B.peer.handshake));
	wgm_mac_stamp(&snap.resp, sizeof(snap.resp), &B.peer.cookie);

	snap.a = A;
	snap.b = B;
	snap.prng = prng_state;
	snap.now = shim_now_ns;
	snap.real = shim_real;
	snap.allocs = shim_allocs;
	snap.refs = peer_refs_taken;
	done = true;
}

static void restore(void)
{
	A = snap.a;
	B = snap.b;
	prng_state = snap.prng;
	shim_now_ns = snap.now;
	shim_real = snap.real;
	ratelimit_allow = 1;
}

/* The receiver's handshake worker, as wgm_process_handshake() does it. */
static void process_handshake(struct side *rx, struct side *tx, u8 *msg, size_t len,
			      bool v6, bool under_load)
{
	u8 frame[64];
	struct sk_buff *skb = mkskb(msg, len, frame, v6);
	enum wgm_mac_verdict st;
	struct wgm_msg_handshake_cookie ck;
	struct wgm_peer *p;
	u32 type = le32_to_cpu(((struct wgm_msg_header *)msg)->type);

	if (type == WGM_MSG_HANDSHAKE_COOKIE) {
		wgm_cookie_reply_take(&rx->dev, (struct wgm_msg_handshake_cookie *)msg);
		return;
	}
	st = wgm_mac_check(&rx->dev.cookie_issuer, skb, under_load);
	switch (st) {
	case WGM_MAC_MAC2:
		FUZZ_CHECK(under_load);
		break;
	case WGM_MAC_MAC1:
		if (!under_load)
			break;
		/* the cookie reply; the sender takes it if it sent that mac1 */
		wgm_cookie_reply_build(&ck, skb, ((struct wgm_msg_handshake_initiation *)msg)->sender_index, &rx->dev.cookie_issuer);
		wgm_cookie_reply_take(&tx->dev, &ck);
		return;
	case WGM_MAC_MAC2_LIMITED:
		FUZZ_CHECK(under_load && !ratelimit_allow);
		return;
	default:
		FUZZ_CHECK(st == WGM_MAC_BAD);
		return;
	}
	if (type == WGM_MSG_HANDSHAKE_INITIATION)
		p = wgm_noise_handshake_consume_initiation((void *)msg, &rx->dev);
	else
		p = wgm_noise_handshake_consume_response((void *)msg, &rx->dev);
	if (p) {
		FUZZ_CHECK(p == &rx->peer);
		wgm_peer_put(p);
	}
}

/* What wgm_packet_receive() accepts as a handshake message; false: not one. */
static bool is_handshake(const u8 *msg, size_t len)
{
	u32 type;

	if (len < sizeof(struct wgm_msg_header))
		return false;
	type = le32_to_cpu(((const struct wgm_msg_header *)msg)->type);
	switch (type) {
	case WGM_MSG_HANDSHAKE_INITIATION:
		return len == sizeof(struct wgm_msg_handshake_initiation);
	case WGM_MSG_HANDSHAKE_RESPONSE:
		return len == sizeof(struct wgm_msg_handshake_response);
	case WGM_MSG_HANDSHAKE_COOKIE:
		return len == sizeof(struct wgm_msg_handshake_cookie);
	default:
		return false;
	}
}

/* The other branches of wgm_packet_receive(): only their lookups. */
static void receive_other(struct side *rx, const u8 *msg, size_t len)
{
	struct wgm_peer *p = NULL;
	u32 type;

	if (len < sizeof(struct wgm_msg_header))
		return;
	type = le32_to_cpu(((const struct wgm_msg_header *)msg)->type);
	if (type == WGM_MSG_DATA && len >= WGM_DATA_MIN_LEN) {
		/* no keypair in this state: the index names none */
		FUZZ_CHECK(!wgm_index_hashtable_lookup(&rx->it, WGM_INDEX_KEYPAIR,
						       ((const struct wgm_msg_data *)msg)->key_idx,
						       &p));
		FUZZ_CHECK(!p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u64 step[4] = { 0, 10 * 1000 * 1000, NSEC_PER_SEC, 200 * NSEC_PER_SEC };
	struct wgm_msg_handshake_cookie ck;
	struct side *rx, *tx;
	u8 frame[64], flags, *msg;
	size_t len;

	if (!size)
		return 0;
	setup();
	restore();
	flags = data[0];
	len = size - 1;
	rx = flags & 1 ? &B : &A;
	tx = flags & 1 ? &A : &B;
	shim_now_ns += step[flags >> 6];
	shim_real.tv_sec += (time_t)(step[flags >> 6] / NSEC_PER_SEC);
	ratelimit_allow = !(flags & 16);

	/* an exact-size private copy: the macs may be written into it */
	msg = malloc(len ? len : 1);
	FUZZ_CHECK(msg);
	memcpy(msg, data + 1, len);

	if (is_handshake(msg, len)) {
		if ((flags & 6) && len > sizeof(struct wgm_msg_macs) &&
		    le32_to_cpu(((struct wgm_msg_header *)msg)->type) != WGM_MSG_HANDSHAKE_COOKIE) {
			wgm_mac_stamp(msg, len, &tx->peer.cookie);
			if (flags & 4) {
				/* the cookie exchange that lets the sender write mac2 */
				wgm_cookie_reply_build(&ck, mkskb(msg, len, frame, flags & 32),
							  0, &rx->dev.cookie_issuer);
				wgm_cookie_reply_take(&tx->dev, &ck);
				ck.receiver_index = tx->peer.handshake.entry.index;
				wgm_cookie_reply_take(&tx->dev, &ck);
				wgm_mac_stamp(msg, len, &tx->peer.cookie);
			}
		}
		process_handshake(rx, tx, msg, len, flags & 32, flags & 8);
	} else {
		receive_other(rx, msg, len);
	}
	free(msg);

	FUZZ_CHECK(peer_refs_taken == snap.refs);
	FUZZ_CHECK(shim_allocs == snap.allocs);
	return 0;
}

static void emit_msg(fuzz_emit_fn emit, const char *name, u8 flags, const void *m, size_t len)
{
	u8 buf[1 + 256];

	FUZZ_CHECK(len <= 256);
	buf[0] = flags;
	memcpy(buf + 1, m, len);
	emit(name, buf, 1 + len);
}

void fuzz_seeds(fuzz_emit_fn emit)
{
	struct wgm_msg_handshake_cookie ck;
	struct wgm_msg_data d;
	u8 frame[64];

	setup();
	restore();
	emit_msg(emit, "initiation-to-b", 1 | 64, &snap.init, sizeof(snap.init));
	emit_msg(emit, "initiation-under-load", 1 | 8 | 128, &snap.init, sizeof(snap.init));
	emit_msg(emit, "initiation-mac2", 1 | 4 | 8 | 128, &snap.init, sizeof(snap.init));
	emit_msg(emit, "response-to-a", 0, &snap.resp, sizeof(snap.resp));
	emit_msg(emit, "response-v6-ratelimited", 2 | 4 | 8 | 16 | 32, &snap.resp,
		 sizeof(snap.resp));
	/* B's cookie reply to A's initiation */
	wgm_cookie_reply_build(&ck, mkskb(&snap.init, sizeof(snap.init), frame, false),
				  snap.init.sender_index, &B.dev.cookie_issuer);
	emit_msg(emit, "cookie-to-a", 0, &ck, sizeof(ck));
	memset(&d, 0, sizeof(d));
	d.header.type = cpu_to_le32(WGM_MSG_DATA);
	d.key_idx = snap.init.sender_index;
	emit_msg(emit, "data-keepalive", 1, &d, sizeof(d));
	restore();
}
