# SPDX-License-Identifier: GPL-2.0-only
#
# wgmesh top-level build.
#
#   make            module (kernel/wgmesh.ko) and userland programs
#   make check      install deps, build, unit tests, VM selftests on every installed
#                   kernel (KERNELS="VER ..." to choose); ends "N passed, N failed"
#   make check-debug  VM suite + stress tests under a KASAN/lockdep/kmemleak kernel (slow)
#   make demo       install deps, build, run the demo in a VM
#   make install    module (modules_install + depmod), programs, docs; honours DESTDIR, PREFIX
#   make style      checkpatch --strict on kernel/
#   make netlink-gen  YNL (linux-source-6.12) output from the netlink spec, into build/netlink-gen
#   make regen      the uapi header and kernel/netlink-gen.{c,h} (policies, op table) from the spec
#   make check-regen  fails when those committed files differ from what the spec generates
#   make sparse     sparse over the module (make C=1)
#   make fuzz       libFuzzer targets, FUZZ_SECS (default 60) each from fuzz/corpus
#   make dkms-install  register with DKMS, build for every installed kernel (and future ones)
#   make cross      compile-test the module for arm64 and armhf (scripts/cross)
#
# Which kernel: KVER=release (installed headers) or KDIR=build-tree picks one.
# Default: the running kernel when its headers exist, else the installed
# kernels newest first, the first one the module builds for (scripts/kernels).

TOP := $(CURDIR)
VERSION := 0.1.0
ifneq ($(KVER),)
KDIR ?= /lib/modules/$(KVER)/build
endif
ifeq ($(origin KDIR),undefined)
KDIR_AUTO := 1
KDIR := $(shell scripts/kernels candidates 2>/dev/null | head -n 1)
endif
# Kernels `make check` tests on: every installed one with headers and image,
# the PREEMPT_RT flavour only when named (scripts/kernels check).
KERNELS ?= $(shell scripts/kernels check)
PREFIX ?= /usr/local
DESTDIR ?=
BUILD := $(TOP)/build
YNL_TARBALL ?= /usr/src/linux-source-6.12.tar.xz
YNL := $(BUILD)/ynl
YNL_GEN := $(YNL)/tools/net/ynl/ynl-gen-c.py
NLSPEC := Documentation/netlink/wgmesh.yaml
# Tests to run: a shell glob over selftests/vm file names, e.g. T='2*'
T ?= *

export TOP
# An empty KDIR (no headers yet when this was parsed: `make check` installs
# them) is not passed down, so the sub-makes choose again.
ifneq ($(KDIR),)
export KDIR
endif

.PHONY: all module userland harness selftests unit check check-debug demo install \
	modules_install clean style sparse deps help kdir-check dkms-install fuzz cross \
	netlink-gen regen check-regen

all: module userland

help:
	@sed -n '3,20p' Makefile | sed 's/^# \{0,1\}//'

kdir-check:
	@if [ -z "$(KDIR)" ] || [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "error: no kernel build directory (KDIR='$(KDIR)')." >&2; \
		echo "  install headers: apt-get install linux-headers-amd64" >&2; \
		echo "  or point KDIR at a kernel build tree: make KDIR=/path/to/build" >&2; \
		exit 1; \
	fi

module: kdir-check
ifdef KDIR_AUTO
	@scripts/kernels module
else
	$(MAKE) -C $(KDIR) M=$(TOP) modules
endif

userland:
	@if [ -f userland/Makefile ]; then $(MAKE) -C userland; fi
	@if [ -f userland/coord/Makefile ]; then $(MAKE) -C userland/coord; fi
	@if [ -f userland/meshd/Makefile ]; then $(MAKE) -C userland/meshd; fi
	@if [ -f userland/relay/Makefile ]; then $(MAKE) -C userland/relay; fi

# kselftest_harness.h and kselftest.h: the rule is shared with the
# Makefiles below (mk/harness.mk).
include mk/harness.mk
harness: $(WGM_HARNESS_H)

# The YNL code generator and the netlink spec schemas, from Debian's
# linux-source-6.12 tarball; extracted once into build/, never committed.
# The generator validates a spec against ../<protocol>.yaml and names its
# output after the path below the directory holding MAINTAINERS, so the spec
# is copied into the kernel's layout (Documentation/netlink/specs/).
$(YNL_GEN):
	@if [ ! -f "$(YNL_TARBALL)" ]; then \
		echo "error: $(YNL_TARBALL) missing: apt-get install linux-source-6.12 (or run scripts/deps)" >&2; \
		exit 1; \
	fi
	mkdir -p $(YNL)
	tar -xJf $(YNL_TARBALL) -C $(YNL) --strip-components=1 \
		linux-source-6.12/tools/net/ynl/ynl-gen-c.py \
		linux-source-6.12/tools/net/ynl/lib/__init__.py \
		linux-source-6.12/tools/net/ynl/lib/nlspec.py \
		linux-source-6.12/tools/net/ynl/lib/ynl.py \
		linux-source-6.12/Documentation/netlink/genetlink.yaml \
		linux-source-6.12/Documentation/netlink/genetlink-c.yaml \
		linux-source-6.12/Documentation/netlink/genetlink-legacy.yaml
	touch $(YNL)/MAINTAINERS $@

# make netlink-gen: the generator's output, post-processed by
# scripts/netlink-gen-fixup, in build/netlink-gen; make regen copies it
# into the tree (the uapi header, the kernel policy and op tables), make
# check-regen fails when the committed files differ from a fresh run.
NLGEN := $(BUILD)/netlink-gen
NLGEN_FILES := wgmesh.h:kernel/uapi/linux/wgmesh.h \
	netlink-gen.c:kernel/netlink-gen.c netlink-gen.h:kernel/netlink-gen.h

netlink-gen: $(YNL_GEN)
	@mkdir -p $(YNL)/Documentation/netlink/specs $(NLGEN)
	@cp $(NLSPEC) $(YNL)/Documentation/netlink/specs/wgmesh.yaml
	@cd $(YNL) && for m in "uapi --header -o $(NLGEN)/wgmesh.h" \
		"kernel --header -o $(NLGEN)/netlink-gen.h" \
		"kernel --source -o $(NLGEN)/netlink-gen.c"; do \
		python3 $(YNL_GEN) --spec Documentation/netlink/specs/wgmesh.yaml \
			--mode $$m || exit 1; \
	done
	@scripts/netlink-gen-fixup $(NLSPEC) $(foreach f,$(NLGEN_FILES),$(NLGEN)/$(firstword $(subst :, ,$(f))))

regen: netlink-gen
	@for f in $(NLGEN_FILES); do cp $(NLGEN)/$${f%%:*} $${f#*:}; done
	@echo "regen: $(foreach f,$(NLGEN_FILES),$(lastword $(subst :, ,$(f)))) from $(NLSPEC)"

check-regen: netlink-gen
	@for f in $(NLGEN_FILES); do \
		diff -u $${f#*:} $(NLGEN)/$${f%%:*} || { \
			echo "error: $${f#*:} is not what $(NLSPEC) generates: make regen" >&2; \
			exit 1; }; \
	done
	@echo "check-regen: the generated files match $(NLSPEC)"

# Test programs: the libnl client and tools, C tests run in the VM, unit tests.
selftests: harness
	$(MAKE) -f selftests/Makefile TOP=$(TOP)
	@if [ -f userland/Makefile ]; then $(MAKE) -C userland tests; fi
	@if [ -f userland/coord/Makefile ]; then $(MAKE) -C userland/coord tests; fi
	@if [ -f userland/meshd/Makefile ]; then $(MAKE) -C userland/meshd tests; fi
	@if [ -f userland/relay/Makefile ]; then $(MAKE) -C userland/relay tests; fi
	@for f in $(wildcard selftests/*/Makefile); do \
		$(MAKE) -f $$f TOP=$(TOP) || exit 1; \
	done
	@$(MAKE) -C fuzz replay

unit: harness selftests
	@selftests/run-tests unit

deps:
	@scripts/deps

# The one test command: set up, build, run everything, one summary line.
check: deps
	@$(MAKE) --no-print-directory check-regen
	@$(MAKE) --no-print-directory all selftests
	@set -e; for v in $(KERNELS); do \
		echo "# building wgmesh.ko for $$v"; \
		scripts/kernels build $$v $(BUILD)/kmod/$$v; \
	done
	@T='$(T)' KERNELS='$(KERNELS)' selftests/run-tests all

# The VM suite and selftests/stress under a debug kernel built once from
# linux-source-6.1 (scripts/debug-kernel; cached in build/debug-kernel/).
# Not part of check or CI.  T, ST, STRESS_SECS... see scripts/debug-kernel --help.
check-debug: deps
	@scripts/debug-kernel deps
	@$(MAKE) --no-print-directory userland selftests
	@T='$(T)' scripts/debug-kernel check

demo: deps
	@$(MAKE) --no-print-directory all selftests
	@scripts/demo

install: all modules_install
	@if [ -f userland/Makefile ]; then \
		$(MAKE) -C userland install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX); fi
	@if [ -f userland/coord/Makefile ]; then \
		$(MAKE) -C userland/coord install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX); fi
	@if [ -f userland/meshd/Makefile ]; then \
		$(MAKE) -C userland/meshd install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX); fi
	@if [ -f userland/relay/Makefile ]; then \
		$(MAKE) -C userland/relay install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX); fi
	install -d $(DESTDIR)$(PREFIX)/share/doc/wgmesh
	install -m 0644 README.md LICENSE $(DESTDIR)$(PREFIX)/share/doc/wgmesh/
	install -d $(DESTDIR)$(PREFIX)/share/doc/wgmesh/netlink
	install -m 0644 Documentation/netlink/wgmesh.yaml $(DESTDIR)$(PREFIX)/share/doc/wgmesh/netlink/
	@if [ -f Documentation/meshadm.8 ]; then \
		install -d $(DESTDIR)$(PREFIX)/share/man/man8 && \
		install -m 0644 Documentation/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/; fi

modules_install: module
	$(MAKE) -C $(if $(KDIR_AUTO),$$(cat $(BUILD)/kdir),$(KDIR)) M=$(TOP) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	@v=$$(modinfo -F vermagic kernel/wgmesh.ko | cut -d' ' -f1); \
	if [ -z "$(DESTDIR)" ]; then depmod -a $$v; \
	else echo "note: staged into DESTDIR; run 'depmod -a $$v' on the target"; fi

# Fuzz every parser for FUZZ_SECS seconds each (fuzz/Makefile, fuzz/run).
fuzz:
	@$(MAKE) --no-print-directory -C fuzz run

# Compile-test for arm64 and 32-bit ARM (Debian cross compilers; kernel
# trees prepared once from linux-source-6.1, cached in build/cross).
cross:
	@scripts/deps --cross
	@scripts/cross

style:
	@scripts/checkpatch

# Fails when sparse says anything about our files.
sparse: kdir-check
	@mkdir -p $(BUILD)
	@$(MAKE) -C $(KDIR) M=$(TOP) C=2 modules 2>&1 | tee $(BUILD)/sparse.log | \
		grep -E '(warning|error):' && { echo "sparse: not clean" >&2; exit 1; } || \
		echo "sparse: clean"

# DKMS: sources to /usr/src/wgmesh-$(VERSION), dkms.conf at their root.
dkms-install:
	install -d $(DESTDIR)/usr/src/wgmesh-$(VERSION)/kernel/uapi/linux
	install -m 0644 Kbuild $(DESTDIR)/usr/src/wgmesh-$(VERSION)/
	install -m 0644 kernel/Kbuild $(filter-out %.mod.c,$(wildcard kernel/*.c kernel/*.h)) $(DESTDIR)/usr/src/wgmesh-$(VERSION)/kernel/
	install -m 0644 kernel/uapi/linux/wgmesh.h $(DESTDIR)/usr/src/wgmesh-$(VERSION)/kernel/uapi/linux/
	sed 's/@VERSION@/$(VERSION)/' scripts/dkms.conf >$(DESTDIR)/usr/src/wgmesh-$(VERSION)/dkms.conf
	@if [ -z "$(DESTDIR)" ]; then \
		command -v dkms >/dev/null || { echo "error: dkms not installed: apt-get install dkms" >&2; exit 1; }; \
		dkms status -m wgmesh -v $(VERSION) | grep -q . || dkms add -m wgmesh -v $(VERSION); \
		for v in $$(scripts/kernels list); do \
			dkms install -m wgmesh -v $(VERSION) -k $$v || exit 1; \
		done; \
		dkms status -m wgmesh -v $(VERSION); fi

clean:
	-@[ -f "$(KDIR)/Makefile" ] && $(MAKE) -C $(KDIR) M=$(TOP) clean >/dev/null
	-@[ -f userland/Makefile ] && $(MAKE) -C userland clean
	rm -rf $(BUILD)
