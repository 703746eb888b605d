// SPDX-License-Identifier: GPL-2.0-only
/*
 * The wgmesh generic netlink family as userspace sees it, through libnl (an
 * independent client: meshadm uses libmnl).
 */
#include <errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <linux/wgmesh.h>

#include "kselftest_harness.h"

FIXTURE(genl) {
	struct nl_sock *sk;
	struct nl_cache *families;
};

FIXTURE_SETUP(genl)
{
	self->sk = nl_socket_alloc();
	ASSERT_NE(NULL, self->sk);
	ASSERT_EQ(0, genl_connect(self->sk));
	ASSERT_EQ(0, genl_ctrl_alloc_cache(self->sk, &self->families));
}

FIXTURE_TEARDOWN(genl)
{
	nl_cache_free(self->families);
	nl_socket_free(self->sk);
}

TEST_F(genl, family_resolves)
{
	EXPECT_LT(0, genl_ctrl_resolve(self->sk, WGM_GENL_NAME));
}

TEST_F(genl, family_version_and_maxattr)
{
	struct genl_family *fam;

	fam = genl_ctrl_search_by_name(self->families, WGM_GENL_NAME);
	ASSERT_NE(NULL, fam);
	EXPECT_EQ((unsigned int)WGM_GENL_VERSION, genl_family_get_version(fam));
	EXPECT_EQ((unsigned int)WGM_DEVICE_A_MAX, genl_family_get_maxattr(fam));
	genl_family_put(fam);
}

TEST_F(genl, events_group_resolves)
{
	EXPECT_LT(0, genl_ctrl_resolve_grp(self->sk, WGM_GENL_NAME,
					   WGM_MCGRP_EVENTS));
}

TEST_F(genl, unknown_group_does_not_resolve)
{
	EXPECT_GT(0, genl_ctrl_resolve_grp(self->sk, WGM_GENL_NAME,
					   "no-such-group"));
}

TEST_HARNESS_MAIN
