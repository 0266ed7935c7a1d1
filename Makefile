# SPDX-License-Identifier: GPL-2.0
#
# dm-mirrorcache top-level Makefile.
#
#   make            build dm-mirrorcache.ko against KDIR
#   make unit       user-space unit tests of lib/ (ASan + UBSan)
#   make check      unit tests, then every VM case, then the two-guest run
#                   (check-2host); ends with "N passed, N failed"
#   make check KVER=6.12   the same on Debian's 6.12 (bookworm-backports):
#                   module built against its headers, the VM boots it
#   make check-k612 the W=1 build against 6.12, then the VM cases
#                   cache, failover, discard, ports and twohost on 6.12;
#                   ends with "N passed, N failed"
#   make check-2host  two guests, one host each of a two-host table, over a
#                   QEMU socket network: each crashes in turn under fio;
#                   a partition that heals, then peer_fenced
#   make demo       boot the VM; a controller fails and recovers under fio
#                   write+verify; build/demo/latency.png
#   make demo-2host two guests, one host each; host B is killed under fio
#                   on host A, which takes B's LU over; build/demo-2host/latency.png
#   make vm-test T=name   run one VM case (tests/vm/name.sh)
#   make vm-shell   interactive shell in the VM (module and tools loaded)
#   make sparse     build with sparse (C=1)
#   make check-debug  build a debug 6.1 kernel (KASAN, lockdep, kmemleak,
#                   fault injection; cached in build/kernel-debug/) and run
#                   chosen VM cases on it; ends with "N passed, N failed"
#   make install    build for KVER and install into /lib/modules/KVER/updates/
#   make uninstall  remove it again
#   make deb        build/deb/dm-mirrorcache-dkms_VERSION_all.deb (dpkg-buildpackage)
#   make check-pkg  build the .deb, install it (DKMS builds the module),
#                   check, remove it; ends with "N passed, N failed"

# KDIR: the kernel build tree. Empty means scripts/kdir.sh picks one: the
# running kernel's build tree if it exists, else the Debian test kernel's.
KDIR ?=
kdir = $$(k="$(KDIR)"; [ -n "$$k" ] || k=$$(bash scripts/kdir.sh); echo "$$k")

# KVER: the Debian kernel of the module build and the VM, a version or a
# series (scripts/kver.sh); empty means the newest 6.1.  6.12 comes from
# bookworm-backports (scripts/setup.sh --k612, run by the deps of 6.12).
KVER ?=
ifneq ($(KVER),)
export MC_KVER := $(KVER)
endif
SETUP_OPT = $(if $(filter 6.12%,$(KVER)),--k612)

PWD := $(CURDIR)

.PHONY: all module deps unit check check-k612 check-2host check-debug demo demo-2host vm-test vm-shell bench bench-2host soak sparse clean \
	install uninstall deb check-pkg

all: module

deps:
	@bash scripts/setup.sh $(SETUP_OPT)

module:
	@[ -n "$(KDIR)" ] || bash scripts/setup.sh --build
	$(MAKE) -C "$(kdir)" M=$(PWD) modules

sparse:
	$(MAKE) module C=1

unit:
	@$(MAKE) -s -C tests/unit run

check: deps
	@bash scripts/check.sh

check-2host: deps
	@bash scripts/check-2host.sh

check-k612:
	@bash scripts/setup.sh --k612
	@MC_KVER=6.12 MC_USERSPACE=0 MC_TESTS="cache failover discard ports twohost" MC_VM_ENV="MC_MATRIX=short MC_SHORT=1" bash scripts/check.sh

check-debug:
	@bash scripts/setup.sh --debug
	@bash scripts/check-debug.sh

demo: deps
	@bash scripts/demo.sh

demo-2host: deps
	@bash scripts/demo-2host.sh

vm-test: deps
	@bash scripts/vm/run.sh --build --tests "$(T)"

vm-shell: deps
	@bash scripts/vm/run.sh --build --shell

bench: deps
	@bash scripts/bench.sh

bench-2host: deps
	@bash scripts/bench-2host.sh

soak: deps
	@bash scripts/soak.sh $(CYCLES)

# install/uninstall: KVER is the kernel release to install for: given, or
# KDIR's release when only KDIR is given, else `uname -r`.  KDIR is then
# /lib/modules/KVER/build unless given, and must be KVER's tree (no fallback
# to another kernel: modules_install puts the module under KDIR's release).
# INSTALL_MOD_PATH (a staging root) is passed on to modules_install and
# depmod -b.  A tree's release is its UTS_RELEASE (what the module's
# vermagic holds): Debian's headers have 6.1.0-N-amd64 there but the
# upstream 6.1.x in include/config/kernel.release, so modules_install is
# given KERNELRELEASE, as dkms does.  And CONFIG_MODULE_SIG_ALL= : Debian's
# config has it, but its headers have no signing key (sign-file fails on
# a missing certs/signing_key.pem and the module stays unsigned anyway).
KVER ?=
uts_release = sh -c 'sed -n "s/^\#define UTS_RELEASE \"\(.*\)\"/\1/p" "$$1/include/generated/utsrelease.h"' --
inst_kver = v="$(KVER)"; k="$(KDIR)"; \
	if [ -z "$$v" ]; then \
		if [ -n "$$k" ]; then v=$$($(uts_release) "$$k"); [ -n "$$v" ] || exit 1; \
		else v=$$(uname -r); fi; \
	fi
inst_kdir = $(inst_kver); [ -n "$$k" ] || k=/lib/modules/$$v/build; \
	[ -d "$$k" ] || { echo "install: no kernel build tree $$k for $$v (install linux-headers-$$v or give KDIR=)" >&2; exit 1; }; \
	r=$$($(uts_release) "$$k"); \
	[ "$$r" = "$$v" ] || { echo "install: $$k is kernel $$r, not KVER=$$v" >&2; exit 1; }
depmod = depmod $(if $(INSTALL_MOD_PATH),-b "$(INSTALL_MOD_PATH)") -a "$$v"

install:
	@$(inst_kdir); set -e; \
	$(MAKE) module KDIR="$$k"; \
	$(MAKE) -C "$$k" M=$(PWD) KERNELRELEASE="$$v" INSTALL_MOD_DIR=updates \
		CONFIG_MODULE_SIG_ALL= modules_install; \
	$(depmod); \
	echo "install: $(INSTALL_MOD_PATH)/lib/modules/$$v/updates/dm-mirrorcache.ko"

uninstall:
	@$(inst_kver); set -e; \
	rm -fv "$(INSTALL_MOD_PATH)/lib/modules/$$v/updates/"dm-mirrorcache.ko*; \
	rmdir --ignore-fail-on-non-empty "$(INSTALL_MOD_PATH)/lib/modules/$$v/updates" 2>/dev/null || true; \
	$(depmod)

deb:
	@bash scripts/setup.sh --pkg
	@bash scripts/deb.sh

check-pkg:
	@bash scripts/setup.sh --pkg
	@bash scripts/check-pkg.sh

# clean keeps build/kernel-debug: the debug kernel takes minutes to build
# and scripts/debug-kernel/build.sh rebuilds it when its config changes.
# Not Kbuild's M= clean: it deletes every *.o and .*.cmd below M=, the
# debug kernel's tree in build/ included (seen: a debug-kernel build running
# beside `make check` lost its objects).  The module's outputs by name;
# .module-common.o is 6.12's (Kbuild compiles one per external module tree).
MOD_OUT = *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers \
	  lib/*.o lib/.*.cmd .tmp_versions .module-common.o
clean:
	-cd $(CURDIR) && rm -rf $(MOD_OUT)
	-cd $(CURDIR)/tests/dma && rm -rf $(MOD_OUT)
	-$(MAKE) -s -C tests/unit clean
	if [ -d build ]; then find build -mindepth 1 -maxdepth 1 ! -name kernel-debug -exec rm -rf {} +; fi
