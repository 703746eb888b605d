/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * userspace stand-in, see selftests/unit/kshim.h; this name also exists in
 * the libc uapi headers, which system headers rely on, so chain to it first.
 */
#include_next <linux/in6.h>
#include <kshim.h>
