#!/usr/bin/env bash
# Install everything xfr needs to build, test and benchmark on Debian 12.
# Idempotent: calls apt only when a package is missing. Needs root (or sudo) for that.
set -euo pipefail

# Build: compiler, pkg-config, libraries (user space and, later, BPF).
build_pkgs=(build-essential pkg-config libjansson-dev libssl-dev clang-format)
# QUIC engine (quic/): ngtcp2 0.12 with its GnuTLS crypto helper.
quic_pkgs=(libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev)
# BPF data plane: compiler for bpf/*.bpf.c, skeleton generator, loader libraries.
bpf_pkgs=(clang llvm libbpf-dev bpftool libxdp-dev libelf-dev zlib1g-dev)
# Tests: unit framework, peers we compare against, network tools, schema validator.
test_pkgs=(libcmocka-dev iperf3 jq iproute2 nftables bats python3 python3-jsonschema
	   procps ethtool libcap2-bin util-linux time valgrind)
# make fuzz: libFuzzer's runtime for clang 14 (only recommended by clang-14, not pulled in).
fuzz_pkgs=(libclang-rt-14-dev)
# make vmtest: boots Debian 12's 6.1 kernel under qemu (TCG) with a busybox initramfs.
vmtest_pkgs=(qemu-system-x86 busybox-static cpio kmod)

want=("${build_pkgs[@]}" "${quic_pkgs[@]}" "${bpf_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}" "${vmtest_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present"
	exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "install-deps: need root to install: ${missing[*]}" >&2
		exit 1
	}
	sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# iperf3's package asks whether to start a daemon: answer no.
echo "iperf3 iperf3/start_daemon boolean false" | $sudo debconf-set-selections 2>/dev/null || true
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
