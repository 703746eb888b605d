/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The token bucket arithmetic of ratelimiter.c, kept pure (no locks, no
 * clock) so that the unit tests build it in userspace.
 *
 * A bucket holds time in nanoseconds.  It refills at one nanosecond per
 * nanosecond since it was last touched, up to @max, and each allowed
 * packet costs @cost.  The caller serialises access to one bucket.
 */
#ifndef _WGM_RLBUCKET_H
#define _WGM_RLBUCKET_H

#include <linux/types.h>
#include <linux/minmax.h>

/*
 * Takes @cost from the bucket (@tokens, stamped @last) at time @now, after
 * refilling it.  A @now earlier than @last (a clock read before another
 * CPU touched the bucket) refills nothing and leaves @last alone: the
 * difference must never wrap into a huge refill.  Returns whether the
 * packet may pass.
 */
static inline bool wgm_rl_bucket_take(u64 *tokens, u64 *last, u64 now, u64 cost, u64 max)
{
	u64 have = min(*tokens, max);

	if (now > *last) {
		/* compare before adding: no overflow whatever the gap */
		have = now - *last >= max - have ? max : have + (now - *last);
		*last = now;
	}
	if (have < cost) {
		*tokens = have;
		return false;
	}
	*tokens = have - cost;
	return true;
}

/* Whether a bucket stamped @last is idle at @now for at least @idle. */
static inline bool wgm_rl_bucket_idle(u64 last, u64 now, u64 idle)
{
	return now > last && now - last >= idle;
}

#endif /* _WGM_RLBUCKET_H */
