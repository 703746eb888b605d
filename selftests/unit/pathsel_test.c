// SPDX-License-Identifier: GPL-2.0-only
/*
 * Path selection policy (kernel/pathsel.c) in userspace.
 */
#include "pathsel.c"

#include "kselftest_harness.h"

#define ALIVE(rtt) { .alive = true, .srtt_us = (rtt) }
#define ALIVE_LOCAL(rtt) { .alive = true, .local = true, .srtt_us = (rtt) }
#define ALIVE_V6(rtt) { .alive = true, .ipv6 = true, .srtt_us = (rtt) }
#define DEAD(rtt) { .alive = false, .srtt_us = (rtt) }
#define RELAY(rtt) { .alive = true, .relay = true, .srtt_us = (rtt) }
#define RELAY_DEAD(rtt) { .alive = false, .relay = true, .srtt_us = (rtt) }

TEST(nothing_alive_means_no_path)
{
	struct wgm_path_info p[] = { DEAD(100), DEAD(200) };

	EXPECT_EQ(-1, wgm_path_select(p, 2, -1));
	EXPECT_EQ(-1, wgm_path_select(p, 2, 0));
	EXPECT_EQ(-1, wgm_path_select(p, 0, -1));
}

TEST(lowest_rtt_wins_without_active)
{
	struct wgm_path_info p[] = { ALIVE(30000), ALIVE(5000), ALIVE(9000) };

	EXPECT_EQ(1, wgm_path_select(p, 3, -1));
}

TEST(dead_path_never_chosen_even_if_fastest)
{
	struct wgm_path_info p[] = { DEAD(10), ALIVE(50000) };

	EXPECT_EQ(1, wgm_path_select(p, 2, -1));
	EXPECT_EQ(1, wgm_path_select(p, 2, 0));
}

TEST(hysteresis_keeps_active_when_not_clearly_better)
{
	/* 9 % faster: not > 10 % */
	struct wgm_path_info a[] = { ALIVE(20000), ALIVE(18200) };
	/* 50 % faster but only 0.5 ms: not > 1 ms */
	struct wgm_path_info b[] = { ALIVE(1000), ALIVE(500) };

	EXPECT_EQ(0, wgm_path_select(a, 2, 0));
	EXPECT_EQ(0, wgm_path_select(b, 2, 0));
}

TEST(switches_when_clearly_better)
{
	/* 20 % and 4 ms faster */
	struct wgm_path_info p[] = { ALIVE(20000), ALIVE(16000) };

	EXPECT_EQ(1, wgm_path_select(p, 2, 0));
}

TEST(no_flapping_between_similar_paths)
{
	struct wgm_path_info p[] = { ALIVE(10000), ALIVE(10500) };
	int active = wgm_path_select(p, 2, -1);
	int i;

	for (i = 0; i < 100; i++) {
		p[0].srtt_us = 10000 + (i % 2) * 900;
		p[1].srtt_us = 10900 - (i % 2) * 900;
		EXPECT_EQ(active, wgm_path_select(p, 2, active));
	}
}

TEST(fails_over_at_once_when_active_dies)
{
	struct wgm_path_info p[] = { DEAD(1000), ALIVE(80000), ALIVE(40000) };

	EXPECT_EQ(2, wgm_path_select(p, 3, 0));
}

TEST(local_preferred_at_equal_rtt)
{
	struct wgm_path_info p[] = { ALIVE(2000), ALIVE_LOCAL(2400) };

	EXPECT_EQ(1, wgm_path_select(p, 2, -1));
	/* and the active public path yields to an equally fast local one */
	EXPECT_EQ(1, wgm_path_select(p, 2, 0));
}

TEST(local_loses_when_clearly_slower)
{
	struct wgm_path_info p[] = { ALIVE(2000), ALIVE_LOCAL(9000) };

	EXPECT_EQ(0, wgm_path_select(p, 2, -1));
	EXPECT_EQ(0, wgm_path_select(p, 2, 1));
}

TEST(ipv6_preferred_at_equal_rtt_after_local)
{
	struct wgm_path_info p[] = { ALIVE(5000), ALIVE_V6(5100) };
	struct wgm_path_info q[] = { ALIVE_V6(5000), ALIVE_LOCAL(5100) };

	EXPECT_EQ(1, wgm_path_select(p, 2, -1));
	EXPECT_EQ(1, wgm_path_select(q, 2, -1));
}

TEST(sampled_rtt_beats_unsampled)
{
	struct wgm_path_info p[] = { ALIVE(0), ALIVE(70000) };

	EXPECT_EQ(1, wgm_path_select(p, 2, -1));
	/* an active path without samples yields to a measured one */
	EXPECT_EQ(1, wgm_path_select(p, 2, 0));
}

TEST(out_of_range_active_is_ignored)
{
	struct wgm_path_info p[] = { ALIVE(3000), ALIVE(1500) };

	EXPECT_EQ(1, wgm_path_select(p, 2, 7));
	EXPECT_EQ(1, wgm_path_select(p, 2, -5));
}

TEST(relay_never_chosen_while_a_direct_path_is_alive)
{
	/* the relay is far faster and local, the direct path slow and public */
	struct wgm_path_info p[] = {
		RELAY(100), ALIVE(90000),
		{ .alive = true, .relay = true, .local = true, .ipv6 = true, .srtt_us = 50 },
	};
	int active;

	EXPECT_EQ(1, wgm_path_select(p, 3, -1));
	EXPECT_EQ(1, wgm_path_select(p, 3, 1));
	/* a relay path in use is left as soon as a direct one is alive */
	EXPECT_EQ(1, wgm_path_select(p, 3, 0));
	EXPECT_EQ(1, wgm_path_select(p, 3, 2));
	/* whatever the RTTs and the active path, never a relay */
	for (active = -1; active < 3; active++) {
		unsigned int rtt;

		for (rtt = 0; rtt < 200000; rtt += 7919) {
			p[1].srtt_us = rtt;
			EXPECT_EQ(1, wgm_path_select(p, 3, active));
		}
	}
}

TEST(relay_chosen_when_nothing_else_is_alive)
{
	struct wgm_path_info p[] = { DEAD(1000), RELAY(40000), DEAD(10) };

	EXPECT_EQ(1, wgm_path_select(p, 3, -1));
	/* fails over to the relay when the direct path in use dies */
	EXPECT_EQ(1, wgm_path_select(p, 3, 0));
	EXPECT_EQ(1, wgm_path_select(p, 3, 2));
	EXPECT_EQ(1, wgm_path_select(p, 3, 1));
}

TEST(dead_relay_is_no_path)
{
	struct wgm_path_info p[] = { DEAD(1000), RELAY_DEAD(40000) };

	EXPECT_EQ(-1, wgm_path_select(p, 2, -1));
	EXPECT_EQ(-1, wgm_path_select(p, 2, 1));
}

TEST(relays_compete_among_themselves_with_hysteresis)
{
	struct wgm_path_info p[] = { DEAD(100), RELAY(30000), RELAY(20000), RELAY(29000) };

	EXPECT_EQ(2, wgm_path_select(p, 4, -1));
	EXPECT_EQ(2, wgm_path_select(p, 4, 1));
	EXPECT_EQ(2, wgm_path_select(p, 4, 3));
	/* without it, 29 ms is only 3 % faster than 30 ms: the relay in use stays */
	p[2].alive = false;
	EXPECT_EQ(1, wgm_path_select(p, 4, 1));
	EXPECT_EQ(3, wgm_path_select(p, 4, 3));
}

TEST(direct_path_coming_back_takes_over_from_relay)
{
	struct wgm_path_info p[] = { DEAD(5000), RELAY(30000) };
	int active = wgm_path_select(p, 2, -1);

	EXPECT_EQ(1, active);
	p[0].alive = true;
	EXPECT_EQ(0, wgm_path_select(p, 2, active));
	p[0].alive = false;
	EXPECT_EQ(1, wgm_path_select(p, 2, 0));
}

static bool local4(const char *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	inet_pton(AF_INET, a, &sin.sin_addr);
	return wgm_path_addr_is_local((struct sockaddr *)&sin);
}

static bool local6(const char *a)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, a, &sin6.sin6_addr);
	return wgm_path_addr_is_local((struct sockaddr *)&sin6);
}

TEST(address_classes)
{
	EXPECT_TRUE(local4("10.1.2.3"));
	EXPECT_TRUE(local4("172.16.0.1"));
	EXPECT_TRUE(local4("172.31.255.255"));
	EXPECT_FALSE(local4("172.32.0.1"));
	EXPECT_FALSE(local4("172.15.255.255"));
	EXPECT_TRUE(local4("192.168.1.1"));
	EXPECT_TRUE(local4("169.254.9.9"));
	EXPECT_FALSE(local4("100.64.0.1"));
	EXPECT_FALSE(local4("8.8.8.8"));
	EXPECT_FALSE(local4("203.0.113.7"));
	EXPECT_TRUE(local6("fd00::1"));
	EXPECT_TRUE(local6("fc12::1"));
	EXPECT_TRUE(local6("fe80::1"));
	EXPECT_FALSE(local6("fec0::1"));
	EXPECT_FALSE(local6("2001:db8::1"));
}

TEST_HARNESS_MAIN
