// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for kernel/replay.h: hand-written vectors around every edge of
 * the window plus a long random sequence checked against a model that
 * remembers every counter ever accepted.
 */
#include "replay.h"

#include "kselftest_harness.h"
#include "test_util.h"

/* REJECT_AFTER_MESSAGES from the protocol: 2^64 - 2^13 - 1 */
#define LIMIT (U64_MAX - (1ULL << 13))
#define W ((u64)WGM_REPLAY_WINDOW)
#define RING ((u64)WGM_REPLAY_BITS)

/* The model: accept c iff c < limit, unseen, and within W of the highest. */
struct model {
	unsigned char *seen;	/* one byte per counter, counters < size */
	u64 size, top;
	bool any;
};

static bool model_check(struct model *m, u64 c, u64 limit)
{
	if (c >= limit || c >= m->size || m->seen[c])
		return false;
	if (m->any && c < m->top && m->top - c >= W)
		return false;
	m->seen[c] = 1;
	if (!m->any || c > m->top)
		m->top = c;
	m->any = true;
	return true;
}

TEST(window_is_documented_size)
{
	struct wgm_replay r;

	EXPECT_GE(WGM_REPLAY_BITS, 2048);
	EXPECT_EQ(WGM_REPLAY_BITS - BITS_PER_LONG, WGM_REPLAY_WINDOW);
	EXPECT_EQ(WGM_REPLAY_BITS / 8, sizeof(r.backtrack));
}

TEST(in_order_then_all_replayed)
{
	struct wgm_replay r;
	u64 c;

	wgm_replay_init(&r);
	for (c = 0; c < 3 * RING; ++c) {
		ASSERT_TRUE(wgm_replay_check(&r, c, LIMIT));
		ASSERT_FALSE(wgm_replay_check(&r, c, LIMIT));
	}
	/* everything still in the window is remembered; older is too old */
	for (c = 0; c < 3 * RING; ++c)
		ASSERT_FALSE(wgm_replay_check(&r, c, LIMIT));
}

TEST(first_packet_may_be_any_counter)
{
	struct wgm_replay r;

	wgm_replay_init(&r);
	EXPECT_TRUE(wgm_replay_check(&r, 5, LIMIT));
	EXPECT_TRUE(wgm_replay_check(&r, 0, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, 0, LIMIT));
	wgm_replay_init(&r);
	EXPECT_TRUE(wgm_replay_check(&r, 0, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, 0, LIMIT));
	EXPECT_TRUE(wgm_replay_check(&r, 1, LIMIT));
}

/* A fixed sequence; the expectations are worked out by hand from the rule. */
TEST(vectors)
{
	static const struct {
		u64 counter;
		bool accept;
	} v[] = {
		{ 0, true }, { 1, true }, { 1, false }, { 9, true }, { 8, true },
		{ 7, true }, { 7, false },
		/* top 9: everything down to 0 is inside the window */
		{ 2, true }, { 2, false }, { 0, false },
		/* top W: 0 is exactly W behind, 1 is W - 1 behind */
		{ W, true }, { 0, false }, { 1, false }, { 3, true }, { 3, false },
		/* top W + 3: 3 now exactly W behind (already seen anyway), 4 in */
		{ W + 3, true }, { 4, true }, { 5, true }, { 3, false },
		/* W + 2 was never seen and is just below the top */
		{ W + 2, true }, { W + 2, false },
		/* one full ring ahead: same bit position as W + 3 */
		{ W + 3 + RING, true }, { W + 3, false }, { W + 4 + RING - W, true },
		{ W + 3 + RING - W, false }, { W + 3 + RING - 1, true },
		{ W + 3 + RING, false },
		/* far ahead: the old window is gone entirely */
		{ 10 * RING, true }, { 10 * RING - W, false }, { 10 * RING - W + 1, true },
		{ 10 * RING - 1, true }, { 10 * RING + 1, true }, { 10 * RING - 1, false },
	};
	struct wgm_replay r;
	unsigned int i;

	wgm_replay_init(&r);
	for (i = 0; i < ARRAY_SIZE(v); ++i) {
		ASSERT_EQ(v[i].accept, wgm_replay_check(&r, v[i].counter, LIMIT)) {
			TH_LOG("vector %u: counter %llu", i, (unsigned long long)v[i].counter);
		}
	}
}

/* For tops at every alignment in a word: W - 1 behind is in, W is out. */
TEST(window_edge_off_by_one)
{
	struct wgm_replay r;
	u64 base, top;
	unsigned int off;

	for (base = W; base < W + 3 * RING; base += RING + 7) {
		for (off = 0; off < BITS_PER_LONG; ++off) {
			top = base + off;
			wgm_replay_init(&r);
			ASSERT_TRUE(wgm_replay_check(&r, top, LIMIT));
			ASSERT_FALSE(wgm_replay_check(&r, top - W, LIMIT));
			ASSERT_TRUE(wgm_replay_check(&r, top - W + 1, LIMIT));
			ASSERT_FALSE(wgm_replay_check(&r, top - W + 1, LIMIT));
			ASSERT_FALSE(wgm_replay_check(&r, top - W, LIMIT));
			ASSERT_TRUE(wgm_replay_check(&r, top - 1, LIMIT));
			/* top + 1 slides the window by one */
			ASSERT_TRUE(wgm_replay_check(&r, top + 1, LIMIT));
			ASSERT_FALSE(wgm_replay_check(&r, top - W + 1, LIMIT));
			ASSERT_TRUE(wgm_replay_check(&r, top - W + 2, LIMIT));
		}
	}
	/* near zero the window is not yet full: W - 1 behind top is 0 */
	wgm_replay_init(&r);
	ASSERT_TRUE(wgm_replay_check(&r, W - 1, LIMIT));
	ASSERT_TRUE(wgm_replay_check(&r, 0, LIMIT));
	wgm_replay_init(&r);
	ASSERT_TRUE(wgm_replay_check(&r, W, LIMIT));
	ASSERT_FALSE(wgm_replay_check(&r, 0, LIMIT));
	ASSERT_TRUE(wgm_replay_check(&r, 1, LIMIT));
}

/* Every counter of the window, in scrambled order: each accepted once. */
TEST(out_of_order_within_window)
{
	struct prng rng = { 0x0dd };
	struct wgm_replay r;
	static u64 order[WGM_REPLAY_WINDOW];
	const u64 top = 5 * RING + 13;
	u64 i, j, t;

	for (i = 0; i < W - 1; ++i)
		order[i] = top - 1 - i;
	for (i = W - 2; i > 0; --i) {
		j = prng_below(&rng, i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	wgm_replay_init(&r);
	ASSERT_TRUE(wgm_replay_check(&r, top, LIMIT));
	for (i = 0; i < W - 1; ++i)
		ASSERT_TRUE(wgm_replay_check(&r, order[i], LIMIT));
	for (i = 0; i < W - 1; ++i)
		ASSERT_FALSE(wgm_replay_check(&r, order[i], LIMIT));
	ASSERT_FALSE(wgm_replay_check(&r, top - W, LIMIT));
	ASSERT_FALSE(wgm_replay_check(&r, top, LIMIT));
}

/*
 * After accepting everything up to @top, jump ahead by @jump: counters in
 * the new window above the old top are fresh (their ring bits were
 * cleared), the rest were seen or are too old.
 */
static void jump_case(struct __test_metadata *_metadata, u64 top, u64 jump)
{
	struct wgm_replay r;
	u64 c, newtop = top + jump;

	wgm_replay_init(&r);
	for (c = top >= W ? top - W + 1 : 0; c <= top; ++c)
		ASSERT_TRUE(wgm_replay_check(&r, c, LIMIT));
	ASSERT_TRUE(wgm_replay_check(&r, newtop, LIMIT));
	for (c = newtop - W - 3; c < newtop; ++c) {
		ASSERT_EQ(c > top && c + W > newtop, wgm_replay_check(&r, c, LIMIT)) {
			TH_LOG("top %llu jump %llu counter %llu", (unsigned long long)top,
			       (unsigned long long)jump, (unsigned long long)c);
		}
	}
}

TEST(big_jumps)
{
	static const u64 jumps[] = {
		1, 2, BITS_PER_LONG - 1, BITS_PER_LONG, BITS_PER_LONG + 1,
		W - 1, W, W + 1, RING - 1, RING, RING + 1, 2 * RING + 5, 1ULL << 40,
	};
	static const u64 tops[] = { W + 100, 3 * RING, 3 * RING + 63, 7 * RING + 64 };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(tops); ++i)
		for (j = 0; j < ARRAY_SIZE(jumps); ++j)
			jump_case(_metadata, tops[i], jumps[j]);
}

TEST(jump_to_limit)
{
	struct wgm_replay r;

	wgm_replay_init(&r);
	ASSERT_TRUE(wgm_replay_check(&r, 5, LIMIT));
	ASSERT_TRUE(wgm_replay_check(&r, LIMIT - 1, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, LIMIT - 1, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, 5, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, 6, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, LIMIT - 1 - W, LIMIT));
	EXPECT_TRUE(wgm_replay_check(&r, LIMIT - W, LIMIT));
	EXPECT_TRUE(wgm_replay_check(&r, LIMIT - 2, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, LIMIT, LIMIT));
}

TEST(limit)
{
	struct wgm_replay r;

	wgm_replay_init(&r);
	EXPECT_FALSE(wgm_replay_check(&r, LIMIT, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, LIMIT + 1, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, U64_MAX, LIMIT));
	/* rejected counters are not recorded */
	EXPECT_TRUE(wgm_replay_check(&r, LIMIT - 2, LIMIT));
	EXPECT_TRUE(wgm_replay_check(&r, LIMIT - 1, LIMIT));
	EXPECT_FALSE(wgm_replay_check(&r, LIMIT, LIMIT));
	EXPECT_TRUE(wgm_replay_check(&r, LIMIT - 3, LIMIT));

	wgm_replay_init(&r);
	EXPECT_TRUE(wgm_replay_check(&r, 99, 100));
	EXPECT_FALSE(wgm_replay_check(&r, 100, 100));
	EXPECT_TRUE(wgm_replay_check(&r, 98, 100));

	/* the largest limit must not wrap */
	wgm_replay_init(&r);
	EXPECT_FALSE(wgm_replay_check(&r, U64_MAX, U64_MAX));
	EXPECT_TRUE(wgm_replay_check(&r, U64_MAX - 1, U64_MAX));
	EXPECT_FALSE(wgm_replay_check(&r, U64_MAX - 1, U64_MAX));
	EXPECT_TRUE(wgm_replay_check(&r, U64_MAX - W, U64_MAX));
	EXPECT_FALSE(wgm_replay_check(&r, U64_MAX - 1 - W, U64_MAX));

	wgm_replay_init(&r);
	EXPECT_FALSE(wgm_replay_check(&r, 0, 0));
}

TEST(random_against_model)
{
	struct model m = { .size = 1ULL << 22 };
	struct prng rng = { 0xfeed };
	struct wgm_replay r;
	u64 cursor = 0, c, steps = 0, accepted = 0;
	unsigned int roll;

	m.seen = calloc(m.size, 1);
	ASSERT_NE(NULL, m.seen);
	wgm_replay_init(&r);
	while (cursor < m.size - 4 * RING) {
		roll = (unsigned int)prng_below(&rng, 10000);
		if (roll < 3)
			cursor += prng_below(&rng, 3 * RING);	/* rare big jump */
		else
			cursor += prng_below(&rng, 8);
		c = cursor;
		if (roll & 1) {
			/* reach back, sometimes past the window edge */
			c -= prng_below(&rng, W + W / 4);
			if (c > cursor)
				c = 0;
		}
		if (roll % 7 == 0)
			c = cursor + prng_below(&rng, 2 * BITS_PER_LONG);	/* ahead */
		if (c >= m.size)
			continue;
		ASSERT_EQ(model_check(&m, c, LIMIT), wgm_replay_check(&r, c, LIMIT));
		++steps;
	}
	for (c = 0; c < m.size; ++c)
		accepted += m.seen[c];
	/* the run must have exercised both outcomes a lot */
	EXPECT_LT(100000, steps);
	EXPECT_LT(steps / 4, accepted);
	EXPECT_LT(steps / 8, steps - accepted);
	free(m.seen);
}

TEST_HARNESS_MAIN
