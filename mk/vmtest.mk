# make vmtest: build, then run the BPF and XDP tests inside Debian 12's 6.1
# kernel (the oldest we promise) under qemu with TCG. Not part of make test.
# See vmtest/README.md.
#
#   make vmtest [VMTEST_K=PATTERN] [VMTEST_KERNEL=PACKAGE] [VMTEST_TIMEOUT=SECONDS]

# tests/run.sh -k pattern: the BPF test binaries and every test with xdp in its name.
VMTEST_K       ?= test_bpf_|xdp
# Debian 12's 6.1 cloud kernel (apt-cache search linux-image-6.1 lists others).
VMTEST_KERNEL  ?= linux-image-6.1.0-56-cloud-amd64-unsigned
# Seconds for the whole VM: boot plus suite.
VMTEST_TIMEOUT ?= 900

.PHONY: vmtest

vmtest: export VMTEST_K := $(VMTEST_K)
vmtest: export VMTEST_KERNEL := $(VMTEST_KERNEL)
vmtest: export VMTEST_TIMEOUT := $(VMTEST_TIMEOUT)
vmtest: deps-vmtest
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) vmtest/run.sh
