/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Included by the targets whose parsers resolve HOST:PORT: getaddrinfo()
 * here takes precedence over libc's and refuses anything but numeric
 * hosts, so that no fuzz input ever reaches the network or a resolver.
 */
#ifndef WGM_FUZZ_NODNS_H
#define WGM_FUZZ_NODNS_H

#include <dlfcn.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>

typedef int (*fuzz_gai_fn)(const char *, const char *, const struct addrinfo *,
			   struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		struct addrinfo **res)
{
	static fuzz_gai_fn real;
	struct addrinfo h = { 0 };

	if (!real)
		real = (fuzz_gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
	if (hints)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	return real(node, service, &h, res);
}

#endif /* WGM_FUZZ_NODNS_H */
