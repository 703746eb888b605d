// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tunnel's UDP sockets and outer routing.
 *
 * One IPv4 and (when IPv6 is available) one IPv6 socket, bound to the same
 * port, live in the namespace that created the device.  Received datagrams
 * reach wgm_sock_encap_rcv() through the udp_tunnel encap hook in softirq,
 * before any socket queueing.
 *
 * Sending routes the outer packet to the peer's endpoint.  The local source
 * address that worked last time is remembered in the endpoint, so replies
 * leave from the address the peer talks to (multi-homed hosts); when it is
 * no longer usable the lookup is repeated without it.  Routes are cached
 * per peer in a dst_cache, which endpoint changes reset.
 *
 * Locking: peer->endpoint_lock is held for reading across a send (route,
 * dst_cache) and for writing to change the endpoint and reset the cache.
 */

#include <linux/net.h>
#include <linux/udp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/inetdevice.h>
#include <linux/if_ether.h>
#include <net/udp_tunnel.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/addrconf.h>
#include <net/route.h>
#include <net/ip6_route.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "compat.h"
#include "socket.h"
#include "device.h"
#include "peer.h"
#include "queueing.h"

/* Room in front of a locally built message: link layer, outer IP, UDP. */
#define WGM_SOCK_HEADROOM	(MAX_HEADER + sizeof(struct ipv6hdr) + sizeof(struct udphdr))
/* binding a random port for both families: attempts before giving up */
#define WGM_SOCK_BIND_ATTEMPTS	16

/*
 * The outer route to @ep over IPv4 for @sk.  The source remembered in @ep
 * is asked for while it is still a local address and still routes;
 * otherwise the routing table chooses.  On success @ep holds the source
 * the route uses (the interface hint goes with a source that changed).
 * Called under rcu_read_lock_bh(); with @cache, the peer's endpoint_lock
 * is held for reading.
 */
static struct dst_entry *wgm_route4(struct sock *sk, struct wgm_endpoint *ep, u32 mark,
				    struct dst_cache *cache, const struct net_device *dev)
{
	struct net *net = sock_net(sk);
	__be32 src = ep->src4.s_addr;
	struct flowi4 fl;
	struct rtable *rt;
	bool asked;

	rt = cache ? dst_cache_get_ip4(cache, &src) : NULL;
	if (rt)
		goto found;

	memset(&fl, 0, sizeof(fl));
	fl.daddr = ep->addr4.sin_addr.s_addr;
	fl.fl4_dport = ep->addr4.sin_port;
	fl.fl4_sport = inet_sk(sk)->inet_sport;
	fl.flowi4_mark = mark;
	fl.flowi4_proto = IPPROTO_UDP;
	asked = src && inet_confirm_addr(net, NULL, 0, src, RT_SCOPE_HOST);
	if (asked)
		fl.saddr = src;
	security_sk_classify_flow(sk, flowi4_to_flowi_common(&fl));
	rt = ip_route_output_flow(net, &fl, sk);
	if (IS_ERR(rt) && asked) {
		/*
		 * The source we asked for does not route: once more with
		 * none.  Only once, and only when we asked: a failed lookup
		 * may have filled in a source of its own.
		 */
		fl.saddr = 0;
		rt = ip_route_output_flow(net, &fl, sk);
	}
	if (IS_ERR(rt))
		return ERR_CAST(rt);
	if (unlikely(rt->dst.dev == dev)) {
		ip_rt_put(rt);
		return ERR_PTR(-ELOOP);
	}
	src = fl.saddr;
	if (cache)
		dst_cache_set_ip4(cache, &rt->dst, src);
found:
	if (src != ep->src4.s_addr) {
		ep->src4.s_addr = src;
		ep->src_if4 = 0;
	}
	return &rt->dst;
}

/* wgm_route4() for IPv6 (the destination's scope picks the interface). */
static struct dst_entry *wgm_route6(struct sock *sk, struct wgm_endpoint *ep, u32 mark,
				    struct dst_cache *cache, const struct net_device *dev)
{
	struct net *net = sock_net(sk);
	struct dst_entry *dst;
	struct flowi6 fl;
	bool asked;

	dst = cache ? dst_cache_get_ip6(cache, &ep->src6) : NULL;
	if (dst)
		return dst;

	memset(&fl, 0, sizeof(fl));
	fl.daddr = ep->addr6.sin6_addr;
	fl.fl6_dport = ep->addr6.sin6_port;
	fl.fl6_sport = inet_sk(sk)->inet_sport;
	fl.flowi6_oif = ep->addr6.sin6_scope_id;
	fl.flowi6_mark = mark;
	fl.flowi6_proto = IPPROTO_UDP;
	asked = !ipv6_addr_any(&ep->src6) && ipv6_chk_addr(net, &ep->src6, NULL, 0);
	if (asked)
		fl.saddr = ep->src6;
	security_sk_classify_flow(sk, flowi6_to_flowi_common(&fl));
	dst = ipv6_stub->ipv6_dst_lookup_flow(net, sk, &fl, NULL);
	if (IS_ERR(dst) && asked) {
		/*
		 * As in wgm_route4(), one retry without the source.  The
		 * lookup writes the source it chose into fl.saddr even when
		 * it then fails (no route), so looping "while a source is
		 * set" never ends: a soft lockup for any unroutable address.
		 */
		fl.saddr = in6addr_any;
		dst = ipv6_stub->ipv6_dst_lookup_flow(net, sk, &fl, NULL);
	}
	if (IS_ERR(dst))
		return dst;
	if (unlikely(dst->dev == dev)) {
		dst_release(dst);
		return ERR_PTR(-ELOOP);
	}
	ep->src6 = fl.saddr;
	if (cache)
		dst_cache_set_ip6(cache, dst, &fl.saddr);
	return dst;
}

/*
 * Sends @skb (data at the WireGuard message) to @ep from the socket
 * wgm_xmit_sock() picks.  On return @ep holds the source that was used.  With
 * @cache, the caller holds the peer's endpoint_lock for reading.
 * Consumes @skb.
 */
/*
 * Which socket sends: @via when the caller names one (a reply leaves from
 * the socket its request reached; a birthday search's own sockets); else
 * the peer's own socket (Documentation/probing.rst, "Birthday search")
 * when @owner has one and @ep is IPv4; else the device's socket of @ep's
 * family.  Under rcu_read_lock_bh().
 */
static struct sock *wgm_xmit_sock(struct wgm_device *wg, struct sock *via,
				  struct wgm_peer *owner, bool v6)
{
	struct sock *sk = via;

	if (!sk && owner && !v6)
		sk = rcu_dereference_bh(owner->own_sock);
	if (!sk)
		sk = v6 ? rcu_dereference_bh(wg->sock6) : rcu_dereference_bh(wg->sock4);
	return sk;
}

static int wgm_xmit(struct wgm_device *wg, struct sock *via, struct wgm_peer *owner,
		    struct sk_buff *skb, struct wgm_endpoint *ep, u8 ds, struct dst_cache *cache)
{
	/* netlink changes the mark at any time, without our locks */
	u32 mark = READ_ONCE(wg->fwmark);
	bool v6 = ep->addr.sa_family == AF_INET6;
	struct dst_entry *dst;
	struct sock *sk;
	__be16 sport;
	int ret;

	skb_mark_not_on_list(skb);
	skb->dev = wg->dev;
	skb->mark = mark;
	/*
	 * An outer packet larger than the path MTU is fragmented here, not
	 * dropped.  IPv6 routers never fragment, and ip6_fragment() drops
	 * what it may not fragment: without this flag a narrow path (PPPoE
	 * 1492, a 1280 link) black-holes full-size tunnel packets.  IPv4
	 * ignores the flag (the IPv4 tunnel xmit scrubs it) and fragments
	 * because we send with DF clear.
	 */
	skb->ignore_df = 1;

	rcu_read_lock_bh();
	sk = wgm_xmit_sock(wg, via, owner, v6);
	if (unlikely(!sk)) {
		ret = -ENONET;
		goto drop;
	}
	dst = v6 ? wgm_route6(sk, ep, mark, cache, wg->dev) :
		   wgm_route4(sk, ep, mark, cache, wg->dev);
	if (IS_ERR(dst)) {
		ret = PTR_ERR(dst);
		net_dbg_ratelimited("%s: cannot route to %pISpfsc: %d%s\n",
				    wg->dev->name, &ep->addr, ret,
				    ret == -ELOOP ? " (the route loops into the device)" : "");
		goto drop;
	}

	sport = inet_sk(sk)->inet_sport;
	if (v6)
		wgm_udp6_xmit(dst, sk, skb, skb->dev, &ep->src6, &ep->addr6.sin6_addr, ds,
			      ip6_dst_hoplimit(dst), sport, ep->addr6.sin6_port);
	else
		wgm_udp4_xmit(container_of(dst, struct rtable, dst), sk, skb, ep->src4.s_addr,
			      ep->addr4.sin_addr.s_addr, ds, ip4_dst_hoplimit(dst), sport,
			      ep->addr4.sin_port);
	rcu_read_unlock_bh();
	return 0;

drop:
	rcu_read_unlock_bh();
	kfree_skb(skb);
	return ret;
}

bool wgm_endpoint_same_addr_port(const struct wgm_endpoint *a, const struct wgm_endpoint *b)
{
	if (a->addr.sa_family != b->addr.sa_family)
		return false;
	if (a->addr.sa_family == AF_INET)
		return a->addr4.sin_port == b->addr4.sin_port &&
		       a->addr4.sin_addr.s_addr == b->addr4.sin_addr.s_addr;
	if (a->addr.sa_family == AF_INET6)
		return a->addr6.sin6_port == b->addr6.sin6_port &&
		       ipv6_addr_equal(&a->addr6.sin6_addr, &b->addr6.sin6_addr);
	return false;
}

/* The same destination: address, port and (IPv6) scope. */
static bool wgm_endpoint_same_addr(const struct wgm_endpoint *a, const struct wgm_endpoint *b)
{
	return wgm_endpoint_same_addr_port(a, b) &&
	       (a->addr.sa_family != AF_INET6 ||
		a->addr6.sin6_scope_id == b->addr6.sin6_scope_id);
}

static bool wgm_endpoint_same_src(const struct wgm_endpoint *a, const struct wgm_endpoint *b)
{
	if (a->addr.sa_family == AF_INET)
		return a->src4.s_addr == b->src4.s_addr && a->src_if4 == b->src_if4;
	return ipv6_addr_equal(&a->src6, &b->src6);
}

int wgm_socket_send_skb_to_peer(struct wgm_peer *peer, struct sk_buff *skb, u8 ds)
{
	struct wgm_device *wg = peer->device;
	struct wgm_endpoint used, orig;
	unsigned int len = skb->len;
	int ret;

	read_lock_bh(&peer->endpoint_lock);
	orig = peer->endpoint;
	used = orig;
	if (used.addr.sa_family == AF_INET || used.addr.sa_family == AF_INET6) {
		ret = wgm_xmit(wg, NULL, peer, skb, &used, ds, &peer->endpoint_cache);
	} else {
		kfree_skb(skb);
		ret = -EDESTADDRREQ;
	}
	read_unlock_bh(&peer->endpoint_lock);
	if (ret)
		return ret;

	atomic64_add(len, &peer->tx_bytes);
	/* remember a source that changed, unless the endpoint moved meanwhile */
	if (!wgm_endpoint_same_src(&used, &orig)) {
		write_lock_bh(&peer->endpoint_lock);
		if (wgm_endpoint_same_addr(&used, &peer->endpoint)) {
			if (used.addr.sa_family == AF_INET) {
				peer->endpoint.src4 = used.src4;
				peer->endpoint.src_if4 = used.src_if4;
			} else {
				peer->endpoint.src6 = used.src6;
			}
		}
		write_unlock_bh(&peer->endpoint_lock);
	}
	return 0;
}

static struct sk_buff *wgm_skb_from_buffer(const void *buf, size_t len)
{
	struct sk_buff *skb = alloc_skb(WGM_SOCK_HEADROOM + len, GFP_ATOMIC);

	if (unlikely(!skb))
		return NULL;
	skb_reserve(skb, WGM_SOCK_HEADROOM);
	skb_set_inner_network_header(skb, 0);
	skb_put_data(skb, buf, len);
	return skb;
}

int wgm_socket_send_buffer_to_peer(struct wgm_peer *peer, void *buf, size_t len, u8 ds)
{
	struct sk_buff *skb = wgm_skb_from_buffer(buf, len);

	if (unlikely(!skb))
		return -ENOMEM;
	return wgm_socket_send_skb_to_peer(peer, skb, ds);
}

int wgm_socket_send_buffer_as_reply_to_skb(struct wgm_device *wg, struct sock *via,
					   struct sk_buff *in_skb, void *buf, size_t len)
{
	struct wgm_endpoint ep;
	struct sk_buff *skb;
	int ret;

	ret = wgm_socket_endpoint_from_skb(&ep, in_skb);
	if (unlikely(ret))
		return ret;
	skb = wgm_skb_from_buffer(buf, len);
	if (unlikely(!skb))
		return -ENOMEM;
	/* no dst_cache: replies go to whoever asked, not to a peer */
	return wgm_xmit(wg, via, NULL, skb, &ep, 0, NULL);
}

static int wgm_send_buffer(struct wgm_device *wg, struct sock *via, struct wgm_peer *owner,
			   const struct wgm_endpoint *ep, const void *buf, size_t len)
{
	struct wgm_endpoint used = *ep;
	struct sk_buff *skb;

	if (used.addr.sa_family != AF_INET && used.addr.sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	skb = wgm_skb_from_buffer(buf, len);
	if (unlikely(!skb))
		return -ENOMEM;
	return wgm_xmit(wg, via, owner, skb, &used, 0, NULL);
}

int wgm_socket_send_buffer_to_endpoint(struct wgm_device *wg, const struct wgm_endpoint *ep,
				       const void *buf, size_t len)
{
	return wgm_send_buffer(wg, NULL, NULL, ep, buf, len);
}

int wgm_socket_send_buffer_for_peer(struct wgm_peer *peer, const struct wgm_endpoint *ep,
				    const void *buf, size_t len)
{
	return wgm_send_buffer(peer->device, NULL, peer, ep, buf, len);
}

int wgm_socket_send_buffer_via(struct wgm_device *wg, struct sock *sk,
			       const struct wgm_endpoint *ep, const void *buf, size_t len)
{
	return wgm_send_buffer(wg, sk, NULL, ep, buf, len);
}

/*
 * The endpoint @skb (received, data past the UDP header) came from, with
 * the address it was sent to as our source for answers.
 */
int wgm_socket_endpoint_from_skb(struct wgm_endpoint *ep, const struct sk_buff *skb)
{
	__be16 port = udp_hdr(skb)->source;

	memset(ep, 0, sizeof(*ep));
	switch (skb->protocol) {
	case htons(ETH_P_IP): {
		const struct iphdr *h = ip_hdr(skb);

		ep->addr4.sin_family = AF_INET;
		ep->addr4.sin_addr.s_addr = h->saddr;
		ep->addr4.sin_port = port;
		ep->src4.s_addr = h->daddr;
		ep->src_if4 = skb->skb_iif;
		return 0;
	}
	case htons(ETH_P_IPV6): {
		const struct ipv6hdr *h = ipv6_hdr(skb);

		ep->addr6.sin6_family = AF_INET6;
		ep->addr6.sin6_addr = h->saddr;
		ep->addr6.sin6_port = port;
		/* link-local senders are told apart by the interface */
		ep->addr6.sin6_scope_id = ipv6_iface_scope_id(&h->saddr, skb->skb_iif);
		ep->src6 = h->daddr;
		return 0;
	}
	}
	return -EINVAL;
}

/* Must hold peer->endpoint_lock for writing. */
static void wgm_endpoint_store(struct wgm_peer *peer, const struct wgm_endpoint *ep)
{
	lockdep_assert_held_write(&peer->endpoint_lock);
	memset(&peer->endpoint, 0, sizeof(peer->endpoint));
	if (ep->addr.sa_family == AF_INET) {
		peer->endpoint.addr4 = ep->addr4;
		peer->endpoint.src4 = ep->src4;
		peer->endpoint.src_if4 = ep->src_if4;
	} else if (ep->addr.sa_family == AF_INET6) {
		peer->endpoint.addr6 = ep->addr6;
		peer->endpoint.src6 = ep->src6;
	}
	dst_cache_reset(&peer->endpoint_cache);
}

void wgm_socket_set_peer_endpoint(struct wgm_peer *peer, const struct wgm_endpoint *ep)
{
	bool same;

	/* the common case, nothing moved, only needs the read lock */
	read_lock_bh(&peer->endpoint_lock);
	same = wgm_endpoint_same_addr(ep, &peer->endpoint) &&
	       wgm_endpoint_same_src(ep, &peer->endpoint);
	read_unlock_bh(&peer->endpoint_lock);
	if (likely(same))
		return;

	write_lock_bh(&peer->endpoint_lock);
	wgm_endpoint_store(peer, ep);
	write_unlock_bh(&peer->endpoint_lock);
}

void wgm_socket_set_peer_endpoint_from_skb(struct wgm_peer *peer, const struct sk_buff *skb)
{
	struct wgm_endpoint ep;

	if (wgm_socket_endpoint_from_skb(&ep, skb))
		return;
	wgm_socket_set_peer_endpoint(peer, &ep);
}

void wgm_socket_clear_peer_endpoint_src(struct wgm_peer *peer)
{
	write_lock_bh(&peer->endpoint_lock);
	memset(&peer->endpoint.src6, 0, sizeof(peer->endpoint.src6));
	peer->endpoint.src_if4 = 0;
	dst_cache_reset(&peer->endpoint_cache);
	write_unlock_bh(&peer->endpoint_lock);
}

/* udp_tunnel encap hook, softirq: @skb->data is at the UDP header. */
static int wgm_sock_encap_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct wgm_device *wg = rcu_dereference_sk_user_data(sk);

	if (unlikely(!wg) || !pskb_may_pull(skb, sizeof(struct udphdr))) {
		kfree_skb(skb);
		return 0;
	}
	skb_mark_not_on_list(skb);
	__skb_pull(skb, sizeof(struct udphdr));
	wgm_packet_receive(wg, sk, skb);
	return 0;	/* consumed */
}

static void wgm_sock_close(struct sock *sk)
{
	if (!sk)
		return;
	udp_tunnel_sock_release(sk->sk_socket);
}

/*
 * Publishes @new4 and @new6 (either may be NULL: no socket of that family)
 * and releases the sockets they replace, once nothing uses them.  The
 * listen port follows the IPv4 socket; with none it keeps its value, the
 * port to bind when the device comes up again.
 */
void wgm_socket_reinit(struct wgm_device *wg, struct sock *new4, struct sock *new6)
{
	struct sock *retired[2];
	unsigned int i;

	lockdep_assert_held(&wg->device_update_lock);
	retired[0] = rcu_replace_pointer(wg->sock4, new4,
					 lockdep_is_held(&wg->device_update_lock));
	retired[1] = rcu_replace_pointer(wg->sock6, new6,
					 lockdep_is_held(&wg->device_update_lock));
	if (new4)
		wg->incoming_port = ntohs(inet_sk(new4)->inet_sport);
	if (!retired[0] && !retired[1])
		return;

	/*
	 * Two grace periods: after the first no sender (rcu_read_lock_bh)
	 * still holds a retired socket, so it can be shut down; after the
	 * second no receive (UDP lookup under RCU) is still in
	 * wgm_sock_encap_rcv() on one, so @wg may go away.
	 */
	synchronize_net();
	for (i = 0; i < ARRAY_SIZE(retired); i++)
		wgm_sock_close(retired[i]);
	synchronize_net();
}

static int wgm_sock_open(struct net *net, struct udp_port_cfg *cfg,
			 struct wgm_device *wg, struct socket **sockp)
{
	struct udp_tunnel_sock_cfg tunnel = {
		.sk_user_data = wg,
		.encap_type = 1,	/* any nonzero value enables encap_rcv */
		.encap_rcv = wgm_sock_encap_rcv,
	};
	int ret;

	ret = udp_sock_create(net, cfg, sockp);
	if (ret)
		return ret;
	setup_udp_tunnel_sock(net, *sockp, &tunnel);
	return 0;
}

int wgm_socket_open_extra(struct wgm_device *wg, struct sock **skp)
{
	struct udp_port_cfg cfg = {
		.family = AF_INET,
		.local_ip.s_addr = htonl(INADDR_ANY),
		.use_udp_checksums = true,
	};
	struct socket *sock;
	int ret;

	ret = wgm_sock_open(wg->creating_net, &cfg, wg, &sock);
	if (ret)
		return ret;
	*skp = sock->sk;
	return 0;
}

void wgm_socket_close_extra(struct sock *sk)
{
	wgm_sock_close(sk);
}

int wgm_socket_init(struct wgm_device *wg, u16 port)
{
	struct net *net = wg->creating_net;
	struct socket *sock4 = NULL, *sock6 = NULL;
	unsigned int attempt;
	int ret = -EADDRINUSE;

	lockdep_assert_held(&wg->device_update_lock);

	for (attempt = 0; attempt < WGM_SOCK_BIND_ATTEMPTS; attempt++) {
		struct udp_port_cfg cfg4 = {
			.family = AF_INET,
			.local_ip.s_addr = htonl(INADDR_ANY),
			.local_udp_port = htons(port),
			.use_udp_checksums = true,
		};
		struct udp_port_cfg cfg6 = {
			.family = AF_INET6,
			.local_ip6 = IN6ADDR_ANY_INIT,
			.use_udp6_tx_checksums = true,
			.use_udp6_rx_checksums = true,
			.ipv6_v6only = true,
		};

		ret = wgm_sock_open(net, &cfg4, wg, &sock4);
		if (ret)
			goto err_bind;
		if (!ipv6_mod_enabled())
			break;
		/* IPv6 takes the port IPv4 got (the same when one was asked for) */
		cfg6.local_udp_port = inet_sk(sock4->sk)->inet_sport;
		ret = wgm_sock_open(net, &cfg6, wg, &sock6);
		if (!ret)
			break;
		udp_tunnel_sock_release(sock4);
		sock4 = NULL;
		/* a random port may be taken for IPv6 only: try another */
		if (ret != -EADDRINUSE || port)
			goto err_bind;
	}
	if (ret)
		goto err_bind;

	wgm_socket_reinit(wg, sock4->sk, sock6 ? sock6->sk : NULL);
	return 0;

err_bind:
	net_dbg_ratelimited("%s: could not bind UDP port %u: %d\n",
			    wg->dev->name, port, ret);
	return ret;
}
