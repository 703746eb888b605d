// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for kernel/rlbucket.h, the ratelimiter's token bucket: the
 * burst, the refill rate and its cap, and above all a clock read that is
 * older than the bucket's stamp (another CPU took a token in between),
 * which must refill nothing.  Then a long random run against a model in
 * 128-bit arithmetic.
 */
#include "rlbucket.h"

#include "kselftest_harness.h"
#include "test_util.h"

/* The module's figures: 20 initiations a second, a burst of 5. */
#define COST (1000000000ULL / 20)
#define MAX (COST * 5)

struct bucket {
	u64 tokens, last;
};

static bool take(struct bucket *b, u64 now)
{
	return wgm_rl_bucket_take(&b->tokens, &b->last, now, COST, MAX);
}

TEST(burst_then_refused)
{
	struct bucket b = { MAX, 1000 };
	int i;

	for (i = 0; i < 5; i++)
		EXPECT_TRUE(take(&b, 1000));
	EXPECT_FALSE(take(&b, 1000));
	EXPECT_EQ(0, b.tokens);
}

TEST(refills_one_per_cost)
{
	struct bucket b = { 0, 1000 };

	EXPECT_FALSE(take(&b, 1000 + COST - 1));
	EXPECT_EQ(COST - 1, b.tokens);
	EXPECT_TRUE(take(&b, 1000 + COST));
	EXPECT_EQ(0, b.tokens);
	EXPECT_EQ(1000 + COST, b.last);
}

/* The defect: now - last wrapped to ~2^64 and filled the bucket. */
TEST(clock_behind_stamp_refills_nothing)
{
	struct bucket b = { 0, 5000000000ULL };
	int i;

	for (i = 1; i <= 1000; i++) {
		EXPECT_FALSE(take(&b, 5000000000ULL - i));
		EXPECT_EQ(0, b.tokens);
		EXPECT_EQ(5000000000ULL, b.last);
	}
	b.tokens = COST - 1;
	EXPECT_FALSE(take(&b, 4999999999ULL));
	EXPECT_EQ(COST - 1, b.tokens);
	EXPECT_TRUE(take(&b, 5000000001ULL));
}

TEST(cap_without_overflow)
{
	struct bucket b = { MAX - 1, 0 };

	EXPECT_TRUE(take(&b, U64_MAX));
	EXPECT_EQ(MAX - COST, b.tokens);
	b = (struct bucket){ 0, 1 };
	EXPECT_TRUE(take(&b, U64_MAX));
	EXPECT_EQ(MAX - COST, b.tokens);
}

TEST(idle)
{
	EXPECT_TRUE(wgm_rl_bucket_idle(0, 1000, 1000));
	EXPECT_FALSE(wgm_rl_bucket_idle(1, 1000, 1000));
	/* a stamp newer than the clock read is not idle (it was 2^64 - 1 old) */
	EXPECT_FALSE(wgm_rl_bucket_idle(1001, 1000, 1000));
	EXPECT_FALSE(wgm_rl_bucket_idle(1000, 1000, 1));
}

/*
 * Several CPUs' clock reads arrive out of order (each within 10 ms of the
 * newest); the model refills by the real time since the newest stamp only.
 */
TEST(random_against_model)
{
	struct prng p = { 42 };
	struct bucket b = { MAX, 1000000000ULL };
	unsigned __int128 mt = MAX;
	u64 mlast = b.last, clock = b.last, now;
	int i;

	for (i = 0; i < 1000000; i++) {
		bool got, want;

		clock += prng_below(&p, 3 * COST);
		now = clock - prng_below(&p, 10000000ULL);
		if (now > mlast) {
			mt += now - mlast;
			if (mt > MAX)
				mt = MAX;
			mlast = now;
		}
		want = mt >= COST;
		if (want)
			mt -= COST;
		got = take(&b, now);
		ASSERT_EQ(want, got);
		ASSERT_EQ((u64)mt, b.tokens);
		ASSERT_EQ(mlast, b.last);
	}
}

TEST_HARNESS_MAIN
