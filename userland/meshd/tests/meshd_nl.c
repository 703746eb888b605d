// SPDX-License-Identifier: GPL-2.0-only
/* The netlink pieces meshd and meshadm punch/monitor add: PUNCH, events group. */
#include "kselftest_harness.h"

#include <libmnl/libmnl.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>

#include "nlevents.h"
#include "nlpunch.h"

TEST(punch_request_layout)
{
	uint8_t key[WGM_KEY_LEN], buf[256];
	const struct nlattr *a, *peer, *pa;
	const struct genlmsghdr *genl;
	const struct nlmsghdr *nlh = (const void *)buf;
	int seen_name = 0, seen_peers = 0, seen_key = 0;
	size_t len;

	memset(key, 0x42, sizeof(key));
	len = wgm_punch_build(buf, sizeof(buf), 0x1234, 77, "mesh0", key, NULL);
	ASSERT_GT(len, 0);
	EXPECT_EQ(len, nlh->nlmsg_len);
	EXPECT_EQ(0x1234, nlh->nlmsg_type);
	EXPECT_EQ(77, nlh->nlmsg_seq);
	EXPECT_EQ(NLM_F_REQUEST | NLM_F_ACK, nlh->nlmsg_flags);
	genl = mnl_nlmsg_get_payload(nlh);
	EXPECT_EQ(WGM_CMD_PUNCH, genl->cmd);
	EXPECT_EQ(WGM_GENL_VERSION, genl->version);
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case WGM_DEVICE_A_IFNAME:
			EXPECT_STREQ("mesh0", mnl_attr_get_str(a));
			seen_name++;
			break;
		case WGM_DEVICE_A_PEERS:
			seen_peers++;
			EXPECT_TRUE(a->nla_type & NLA_F_NESTED);
			mnl_attr_for_each_nested(peer, a) {
				EXPECT_TRUE(peer->nla_type & NLA_F_NESTED);
				mnl_attr_for_each_nested(pa, peer) {
					ASSERT_EQ(WGM_PEER_A_PUBLIC_KEY,
						  mnl_attr_get_type(pa));
					ASSERT_EQ(WGM_KEY_LEN,
						  mnl_attr_get_payload_len(pa));
					EXPECT_EQ(0, memcmp(key, mnl_attr_get_payload(pa),
							    WGM_KEY_LEN));
					seen_key++;
				}
			}
			break;
		default:
			EXPECT_EQ(0, mnl_attr_get_type(a));
		}
	}
	EXPECT_EQ(1, seen_name);
	EXPECT_EQ(1, seen_peers);
	EXPECT_EQ(1, seen_key);
	/* too small a buffer is refused, not overrun */
	EXPECT_EQ(0, wgm_punch_build(buf, 40, 0x1234, 1, "mesh0", key, NULL));
}

/* A CTRL_CMD_NEWFAMILY reply with the given multicast groups. */
static size_t ctrl_reply(uint8_t *buf, size_t cap, const char *const *names,
			 const uint32_t *ids, int n)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	struct nlattr *grps, *g;
	int i;

	nlh->nlmsg_type = GENL_ID_CTRL;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_NEWFAMILY;
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x20);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WGM_GENL_NAME);
	if (n >= 0) {
		grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
		for (i = 0; i < n; i++) {
			g = mnl_attr_nest_start(nlh, (uint16_t)(i + 1));
			mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, names[i]);
			mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, ids[i]);
			mnl_attr_nest_end(nlh, g);
		}
		mnl_attr_nest_end(nlh, grps);
	}
	(void)cap;
	return nlh->nlmsg_len;
}

TEST(events_group_lookup)
{
	static const char *const names[] = { "other", "events" };
	static const uint32_t ids[] = { 11, 12 };
	uint8_t buf[1024];
	uint32_t id = 0;

	ctrl_reply(buf, sizeof(buf), names, ids, 2);
	ASSERT_EQ(0, wgm_genl_mcgrp_parse((void *)buf, "events", &id));
	EXPECT_EQ(12, id);
	ASSERT_EQ(0, wgm_genl_mcgrp_parse((void *)buf, "other", &id));
	EXPECT_EQ(11, id);
	EXPECT_EQ(-1, wgm_genl_mcgrp_parse((void *)buf, "event", &id));
	/* a family without groups at all */
	ctrl_reply(buf, sizeof(buf), names, ids, -1);
	EXPECT_EQ(-1, wgm_genl_mcgrp_parse((void *)buf, "events", &id));
	ctrl_reply(buf, sizeof(buf), names, ids, 1);
	EXPECT_EQ(-1, wgm_genl_mcgrp_parse((void *)buf, "events", &id));
}

TEST(typed_event_attributes)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5) };
	struct sockaddr_in6 b = { .sin6_family = AF_INET6, .sin6_port = htons(6) };
	struct nlattr *ev;
	struct wgm_event e;

	nlh->nlmsg_type = 0x20;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WGM_CMD_EVENT;
	mnl_attr_put_strz(nlh, WGM_DEVICE_A_IFNAME, "mesh0");
	/* no typed event: present stays false */
	ASSERT_EQ(0, wgm_event_parse(nlh, &e));
	EXPECT_FALSE(e.present);
	ev = mnl_attr_nest_start(nlh, WGM_DEVICE_A_EVENT);
	mnl_attr_put_u8(nlh, WGM_EVENT_A_TYPE, WGM_EVENT_PATH_CHANGED);
	mnl_attr_put(nlh, WGM_EVENT_A_OLD_ENDPOINT, sizeof(a), &a);
	mnl_attr_put(nlh, WGM_EVENT_A_NEW_ENDPOINT, sizeof(b), &b);
	mnl_attr_put_u32(nlh, WGM_EVENT_A_REASON, WGM_EVENT_REASON_FAILOVER);
	mnl_attr_put_u32(nlh, WGM_EVENT_A_VALUE, 420);
	mnl_attr_nest_end(nlh, ev);
	ASSERT_EQ(0, wgm_event_parse(nlh, &e));
	EXPECT_TRUE(e.present);
	EXPECT_EQ(WGM_EVENT_PATH_CHANGED, e.type);
	EXPECT_EQ(AF_INET, e.old_ep.sa.sa_family);
	EXPECT_EQ(htons(5), e.old_ep.in.sin_port);
	EXPECT_EQ(AF_INET6, e.new_ep.sa.sa_family);
	EXPECT_EQ(htons(6), e.new_ep.in6.sin6_port);
	EXPECT_EQ(WGM_EVENT_REASON_FAILOVER, e.reason);
	EXPECT_EQ(420, e.value);
	/* a sockaddr of the wrong size is rejected */
	ev = mnl_attr_nest_start(nlh, WGM_DEVICE_A_EVENT);
	mnl_attr_put(nlh, WGM_EVENT_A_NEW_ENDPOINT, 3, &a);
	mnl_attr_nest_end(nlh, ev);
	EXPECT_EQ(-1, wgm_event_parse(nlh, &e));
}

TEST_HARNESS_MAIN
