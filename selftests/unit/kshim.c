// SPDX-License-Identifier: GPL-2.0-only
#include "kshim.h"

struct kshim_slab_state kshim_slab = { .fail_after = -1, .live = 0 };
