/* SPDX-License-Identifier: GPL-2.0-only */
/* userspace stand-in, see selftests/unit/kshim.h */
#include <kshim.h>
