#!/usr/bin/env bash
# Install everything xfr needs to build, test and benchmark on Debian 12.
# Idempotent: calls apt only when a package is missing. Needs root (or sudo) for that.
# Needs only bash and apt: on a bare machine `bash scripts/install-deps.sh` installs make too.
#
#   scripts/install-deps.sh            build, test, fuzz (make deps)
#   scripts/install-deps.sh --vmtest   and qemu for make vmtest (make deps-vmtest)
set -euo pipefail

with_vmtest=0
case "${1:-}" in
--vmtest) with_vmtest=1 ;;
"") ;;
*)
	echo "usage: $0 [--vmtest]" >&2
	exit 2
	;;
esac

# Build: compiler, pkg-config, libraries (user space and, later, BPF).
build_pkgs=(build-essential pkg-config libjansson-dev libssl-dev clang-format)
# QUIC engine (quic/): ngtcp2 0.12 with its GnuTLS crypto helper.
quic_pkgs=(libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev)
# BPF data plane: compiler for bpf/*.bpf.c, skeleton generator, loader libraries.
bpf_pkgs=(clang llvm libbpf-dev bpftool libxdp-dev libelf-dev zlib1g-dev)
# Tests: unit framework, peers we compare against, network tools, schema validator, strace
# (counts the server's syscalls in test_limits and test_privileged).
test_pkgs=(libcmocka-dev iperf3 jq iproute2 nftables bats python3 python3-jsonschema
	   procps ethtool libcap2-bin util-linux time valgrind strace
	   python3-cryptography) # tests/integration/psk_peer.py: the reference-faithful PSK peer
# Operations: the metrics endpoint, the push gateway client, mDNS; and the real peers their
# tests talk to (promtool and a Prometheus server, a push gateway, an independent mDNS browser).
# man-db renders the man page, systemd-analyze verifies the units, python3-yaml reads the
# Kubernetes manifest where no cluster can.
ops_pkgs=(libmicrohttpd-dev libcurl4-openssl-dev libmdnsd-dev curl
	  prometheus prometheus-pushgateway mdns-scan man-db systemd python3-yaml nodejs)
# npm installs the Kubernetes schema check's one package (tests/k8s, pinned by its lock file)
# into tests/k8s/node_modules. Debian's npm only where no npm is there (NodeSource's nodejs
# ships its own and conflicts with Debian's).
command -v npm >/dev/null || ops_pkgs+=(npm)
# make fuzz: libFuzzer's runtime for clang 14 (only recommended by clang-14, not pulled in).
fuzz_pkgs=(libclang-rt-14-dev)
# make vmtest: boots Debian 12's 6.1 kernel under qemu (TCG) with a busybox initramfs.
vmtest_pkgs=(qemu-system-x86 busybox-static cpio kmod)
# The TUI: ncurses with wide characters; tmux drives it in the integration tests and
# pyte (a VT100 emulator) reads its render fuzz back.
build_pkgs+=(libncursesw5-dev)
test_pkgs+=(tmux python3-pyte)

want=("${build_pkgs[@]}" "${bpf_pkgs[@]}" "${test_pkgs[@]}" "${ops_pkgs[@]}" "${quic_pkgs[@]}" "${fuzz_pkgs[@]}")
[ "$with_vmtest" = 1 ] && want+=("${vmtest_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

# The Kubernetes schema check's validators (tests/k8s/validate.js): npm ci installs exactly the
# versions in tests/k8s/package-lock.json, into tests/k8s/node_modules and nowhere else.
k8s_dir=$(cd "$(dirname "$0")/.." && pwd)/tests/k8s
npm_deps() {
	local want have
	want=$(sed -n 's/.*"kubernetes-models": "\(.*\)".*/\1/p' "$k8s_dir/package.json")
	have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$k8s_dir/node_modules/kubernetes-models/package.json" 2>/dev/null || true)
	if [ -n "$want" ] && [ "$want" = "$have" ]; then
		echo "install-deps: kubernetes-models $have present in tests/k8s"
		return 0
	fi
	echo "install-deps: npm ci in tests/k8s (kubernetes-models $want)"
	(cd "$k8s_dir" && npm ci --no-audit --no-fund --loglevel=error) ||
		{ echo "install-deps: npm ci in tests/k8s failed" >&2; exit 1; }
}

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present"
	npm_deps
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
echo "install-deps: ${#missing[@]} of ${#want[@]} packages missing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# iperf3's package asks whether to start a daemon: answer no.
echo "iperf3 iperf3/start_daemon boolean false" | $sudo debconf-set-selections 2>/dev/null || true
echo "install-deps: updating the package lists"
$sudo apt-get update 2>&1 |
	awk '/^Get:/ { n++; printf "install-deps: lists %d: %s %s\n", n, $3, $4; fflush(); next }
	     /^(Err|W:|E:)/ { print; fflush() }' ||
	{ echo "install-deps: apt-get update failed" >&2; exit 1; }
# apt's own lines, condensed to one per download and one per package set up, so a slow mirror
# shows as progress and not as a silent wait (a bare machine downloads about 250 MB).
$sudo apt-get install -y --no-install-recommends -o Dpkg::Progress-Fancy=0 "${missing[@]}" 2>&1 |
	awk '
	/^Need to get/ { print "install-deps: " $0; fflush(); next }
	/^Get:/ { n++; printf "install-deps: download %d: %s %s %s %s\n", n, $5, $7, $8, $9; fflush(); next }
	/^Setting up / { s++; printf "install-deps: set up %d: %s\n", s, $3; fflush(); next }
	/^(E:|W:|dpkg: error)/ { print; fflush() }
	END { printf "install-deps: %d downloaded, %d set up\n", n, s }' ||
	{ echo "install-deps: apt-get install failed" >&2; exit 1; }
npm_deps
echo "install-deps: done"
