/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sliding-window replay protection for transport data counters (the
 * bitmap scheme of RFC 6479, as WireGuard uses it).
 *
 * The bitmap is a ring of WGM_REPLAY_BITS bits, one per counter value,
 * organised in words.  When a new highest counter arrives, the words it
 * skips over are cleared in one go instead of shifting the whole bitmap;
 * because the word holding the highest counter may be only partly in use,
 * one word's worth of the ring cannot be relied on, leaving a usable window
 * of WGM_REPLAY_WINDOW counters:
 *
 *	accept counter c  iff  c < limit
 *			  and  c + WGM_REPLAY_WINDOW > highest accepted so far
 *			  and  c was not accepted before.
 *
 * 8192 bits (1 KiB per key pair, 8128-counter window on 64-bit) tolerate the
 * reordering that parallel decryption across CPUs produces at line rate.
 *
 * No locking: the caller serialises all calls on one struct wgm_replay
 * (the receive path does so per key pair).
 */
#ifndef _WGM_REPLAY_H
#define _WGM_REPLAY_H

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/string.h>

#define WGM_REPLAY_BITS		8192
#define WGM_REPLAY_WORDS	(WGM_REPLAY_BITS / BITS_PER_LONG)
#define WGM_REPLAY_WINDOW	(WGM_REPLAY_BITS - BITS_PER_LONG)

struct wgm_replay {
	/* one more than the highest counter accepted; 0: none accepted yet */
	u64 counter;
	/* bit (n + 1) % WGM_REPLAY_BITS set: counter n was accepted */
	unsigned long backtrack[WGM_REPLAY_WORDS];
};

static inline void wgm_replay_init(struct wgm_replay *r)
{
	memset(r, 0, sizeof(*r));
}

/*
 * Returns true, and records @counter, if it is below @limit, inside the
 * window and seen for the first time; returns false otherwise.  Must only
 * be called for packets that were authenticated.
 */
static inline bool wgm_replay_check(struct wgm_replay *r, u64 counter, u64 limit)
{
	u64 pos, word, last_word, clear;

	BUILD_BUG_ON(WGM_REPLAY_WORDS & (WGM_REPLAY_WORDS - 1));
	if (unlikely(counter >= limit))
		return false;
	pos = counter + 1;	/* cannot wrap: counter < limit <= U64_MAX */
	word = pos / BITS_PER_LONG;

	if (likely(pos > r->counter)) {
		/* New highest: wipe the words between the old and new top. */
		last_word = r->counter / BITS_PER_LONG;
		clear = min_t(u64, word - last_word, WGM_REPLAY_WORDS);
		while (clear--)
			r->backtrack[++last_word % WGM_REPLAY_WORDS] = 0;
		r->counter = pos;
	} else if (r->counter - pos >= WGM_REPLAY_WINDOW) {
		return false;	/* too old to be tracked */
	}

	return !__test_and_set_bit(pos % BITS_PER_LONG,
				   &r->backtrack[word % WGM_REPLAY_WORDS]);
}

#endif /* _WGM_REPLAY_H */
