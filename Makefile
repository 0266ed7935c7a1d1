# SPDX-License-Identifier: GPL-2.0
#
# dm-mirrorcache top-level Makefile.
#
#   make            build dm-mirrorcache.ko against KDIR
#   make unit       user-space unit tests of lib/ (ASan + UBSan)
#   make check      unit tests, then every VM case; ends with "N passed, N failed"
#   make check KVER=6.12   the same on Debian's 6.12 (bookworm-backports):
#                   module built against its headers, the VM boots it
#   make check-k612 unit tests, the W=1 build against 6.12, then the VM cases
#                   cache and failover on 6.12; ends with "N passed, N failed"
#   make demo       boot the VM, create a device, run fio, show status and sysfs
#   make vm-test T=name   run one VM case (tests/vm/name.sh)
#   make vm-shell   interactive shell in the VM (module and tools loaded)
#   make sparse     build with sparse (C=1)
#   make check-debug  build a debug 6.1 kernel (KASAN, lockdep, kmemleak,
#                   fault injection; cached in build/kernel-debug/) and run
#                   chosen VM cases on it; ends with "N passed, N failed"

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

.PHONY: all module deps unit check check-k612 check-debug demo vm-test vm-shell bench soak sparse clean

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

check-k612:
	@bash scripts/setup.sh --k612
	@MC_KVER=6.12 MC_TESTS="cache failover" bash scripts/check.sh

check-debug:
	@bash scripts/setup.sh --debug
	@bash scripts/check-debug.sh

demo: deps
	@bash scripts/demo.sh

vm-test: deps
	@bash scripts/vm/run.sh --build --tests "$(T)"

vm-shell: deps
	@bash scripts/vm/run.sh --build --shell

bench: deps
	@bash scripts/bench.sh

soak: deps
	@bash scripts/soak.sh $(CYCLES)

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
	-$(MAKE) -s -C tests/unit clean
	if [ -d build ]; then find build -mindepth 1 -maxdepth 1 ! -name kernel-debug -exec rm -rf {} +; fi
