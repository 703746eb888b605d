# SPDX-License-Identifier: GPL-2.0-only
#
# The one rule that provides kselftest_harness.h and kselftest.h: extracted
# from Debian's linux-source tarball once into build/harness, never
# committed.  Include it with TOP set to the source tree's absolute path and
# depend on $(WGM_HARNESS_H); compile with -I (or -isystem) $(WGM_HARNESS_DIR).

SRCTARBALL ?= /usr/src/linux-source-6.1.tar.xz
WGM_HARNESS_DIR := $(TOP)/build/harness
WGM_HARNESS_H := $(WGM_HARNESS_DIR)/kselftest_harness.h
WGM_HARNESS_IN_TAR := linux-source-6.1/tools/testing/selftests

# Included before a Makefile's first rule, this one must not become its
# default goal.
wgm_harness_goal := $(.DEFAULT_GOAL)
$(WGM_HARNESS_H):
	@if [ ! -f "$(SRCTARBALL)" ]; then \
		echo "error: $(SRCTARBALL) missing: apt-get install linux-source-6.1 (or run scripts/deps)" >&2; \
		exit 1; \
	fi
	mkdir -p $(WGM_HARNESS_DIR)
	tar -xJf $(SRCTARBALL) -C $(WGM_HARNESS_DIR) --strip-components=4 \
		$(WGM_HARNESS_IN_TAR)/kselftest_harness.h \
		$(WGM_HARNESS_IN_TAR)/kselftest.h
	touch $@
.DEFAULT_GOAL := $(wgm_harness_goal)
