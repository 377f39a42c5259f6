#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Run part of the xfr suite (tests/run.sh -k PATTERN) inside Debian 12's 6.1
# kernel, the oldest kernel we promise, under qemu with TCG (no KVM needed).
#
#   vmtest/run.sh            (make vmtest builds first, then calls this)
#
# Steps: fetch the kernel package once into $BUILD/vmtest/ (apt-get download,
# dpkg-deb -x, depmod); build an initramfs holding busybox, bash, the tools the
# tests call, their shared libraries (ldd), the repo's binaries and scripts and
# the kernel modules the tests need; boot it; /init runs the suite and prints
# one marker line with the summary; parse it here. Exit 0 only when the suite
# ran to the end inside the VM and nothing failed.
#
# Env: BUILD (default build), VMTEST_K (tests/run.sh -k pattern, default
# 'test_bpf_|xdp'), VMTEST_KERNEL (Debian package), VMTEST_TIMEOUT (seconds for
# the whole VM, default 900), VMTEST_MEM (MiB, default 1024), VMTEST_SMP
# (default 2), VMTEST_MODULES (module names, dependencies added),
# VMTEST_PYTHON (1 = ship python3 + jsonschema for the schema checks, 0 =
# not; default 1), VMTEST_LOGS (1 = print every test's log, default only the
# BPF test binaries'), VMTEST_REPEAT (run the suite N times in one boot, to
# catch flaky tests; default 1), VMTEST_CMD (a bash command run in the guest's
# /xfr before the suite, to look around), XT_TIMEOUT (per test inside the VM, passed through).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
VMTEST_K=${VMTEST_K:-test_bpf_|xdp}
VMTEST_KERNEL=${VMTEST_KERNEL:-linux-image-6.1.0-56-cloud-amd64-unsigned}
VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-900}
VMTEST_MEM=${VMTEST_MEM:-1024}
VMTEST_SMP=${VMTEST_SMP:-2}
VMTEST_PYTHON=${VMTEST_PYTHON:-1}
# veth pairs, tbf/netem/fq qdiscs, nftables with the expressions the tests use
# (counter, meta, payload and length are built into nf_tables).
VMTEST_MODULES=${VMTEST_MODULES:-veth sch_tbf sch_netem sch_fq sch_ingress cls_bpf \
nf_tables nft_numgen nft_ct nft_limit nft_quota nft_reject_inet}
WORK=$ROOT/$BUILD/vmtest
MARK=@@XFR-VMTEST@@

die() {
	echo "vmtest: $*" >&2
	exit 1
}

# Tools the tests run besides busybox (GNU versions where options differ).
HOST_TOOLS=(bash ip tc nft jq nstat ss capsh ethtool sysctl iperf3 timeout date mktemp stat
	    sort head tail cut tr wc seq sleep cat awk grep sed find xargs env id printf
	    unshare nsenter setsid flock taskset ps pgrep pkill kill cksum od dd truncate bpftool)

# ---------------------------------------------------------------- kernel

# Download and unpack the kernel package once; sets KDIR and KVER.
fetch_kernel() {
	KDIR=$WORK/kernel/$VMTEST_KERNEL
	if [ ! -f "$KDIR/.done" ]; then
		echo "vmtest: fetching $VMTEST_KERNEL"
		rm -rf "$KDIR" "$WORK/dl"
		mkdir -p "$KDIR" "$WORK/dl"
		# apt-get download writes into the current directory.
		(cd "$WORK/dl" && apt-get download -q "$VMTEST_KERNEL" 2>&1 | grep -v '^W: Download is performed unsandboxed') ||
			die "apt-get download $VMTEST_KERNEL failed (apt-cache search linux-image-6.1 lists the names)"
		dpkg-deb -x "$WORK"/dl/"${VMTEST_KERNEL}"_*.deb "$KDIR" || die "dpkg-deb -x failed"
		rm -rf "$WORK/dl"
		KVER=$(ls "$KDIR/lib/modules")
		# The package has no modules.dep (its postinst makes one): make it.
		depmod -b "$KDIR" "$KVER" || die "depmod failed (install kmod)"
		touch "$KDIR/.done"
	fi
	KVER=$(ls "$KDIR/lib/modules")
	[ -f "$KDIR/boot/vmlinuz-$KVER" ] || die "no boot/vmlinuz-$KVER in $VMTEST_KERNEL"
}

# Print the modules (paths relative to lib/modules/KVER) in load order:
# dependencies first (modules.dep lists them, the deepest last), no repeats.
module_order() {
	local dep=$KDIR/lib/modules/$KVER/modules.dep m line i
	local -a parts
	local -A seen=()
	for m in $VMTEST_MODULES; do
		line=$(grep -E "/${m}\.ko(\.[a-z]+)?:" "$dep") || die "module $m not in $VMTEST_KERNEL"
		read -r -a parts <<<"${line/:/}"
		for ((i = ${#parts[@]} - 1; i >= 1; i--)); do
			[ -n "${seen[${parts[i]}]:-}" ] || { seen[${parts[i]}]=1; echo "${parts[i]}"; }
		done
		[ -n "${seen[${parts[0]}]:-}" ] || { seen[${parts[0]}]=1; echo "${parts[0]}"; }
	done
}

# ---------------------------------------------------------------- initramfs

# copy_elf FILE [DEST]: copy a host file into the initramfs (same path unless
# DEST) and remember it for the shared-library pass.
ELFS=()
copy_file() {
	local dst=$IRD${2:-$1}
	mkdir -p "$(dirname "$dst")"
	cp -L "$1" "$dst"
	ELFS+=("$1")
}

# Every shared library the copied executables need, at the path ldd reports.
copy_libs() {
	local lib
	for lib in $(ldd "${ELFS[@]}" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' | sort -u); do
		[ -e "$IRD$lib" ] || { mkdir -p "$IRD$(dirname "$lib")" && cp -L "$lib" "$IRD$lib"; }
	done
}

# python3 with exactly the standard modules schema_check.py loads (traced on
# the host over tests/golden), plus the whole jsonschema package and the
# packages it imports (they read data files of their own). The tests call
# /usr/bin/python3 (XT_PY), so that is the one traced and shipped.
copy_python() {
	local list=$WORK/py.list f top py
	py=$(readlink -f /usr/bin/python3)
	/usr/bin/python3 -c '
import runpy, sys
out, script = sys.argv[1], sys.argv[2]
sys.argv = [script, "golden"]
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as e:
    if e.code:
        raise
with open(out, "w") as f:
    for m in list(sys.modules.values()):
        p = getattr(m, "__file__", None)
        if p:
            print(p, file=f)
' "$list" "$ROOT/tests/schema_check.py" >/dev/null || die "schema_check.py golden fails on the host"
	copy_file "$py" /usr/bin/python3
	while read -r f; do
		case $f in
		/usr/lib/python3/dist-packages/*)
			top=${f#/usr/lib/python3/dist-packages/}
			top=${top%%/*}
			[ -e "$IRD/usr/lib/python3/dist-packages/$top" ] && continue
			mkdir -p "$IRD/usr/lib/python3/dist-packages"
			cp -a "/usr/lib/python3/dist-packages/$top" "$IRD/usr/lib/python3/dist-packages/"
			;;
		*.so)
			copy_file "$f"
			;;
		*)
			mkdir -p "$IRD$(dirname "$f")"
			cp -L "$f" "$IRD$f"
			# The compiled copy saves compiling under TCG.
			f=$(/usr/bin/python3 -c 'import importlib.util, sys; print(importlib.util.cache_from_source(sys.argv[1]))' "$f" 2>/dev/null) || continue
			[ -f "$f" ] && mkdir -p "$IRD$(dirname "$f")" && cp "$f" "$IRD$f"
			;;
		esac
	done <"$list"
	return 0
}

write_init() {
	cat >"$IRD/init" <<'EOF'
#!/bin/busybox sh
# vmtest init: mount, load modules, run the suite, print the marker, power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
. /vmtest.env
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs shm /dev/shm
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /run/netns /var/run /etc/netns
for m in $(cat /modules.order); do
	insmod "/lib/modules/$(uname -r)/$m" || echo "vmtest: insmod $m failed"
done
ip link set lo up
echo "$MARK uname $(uname -r)"
echo "$MARK begin"
cd /xfr
# A command of one's own first (VMTEST_CMD), e.g. to look around.
[ -z "$VMTEST_CMD" ] || bash -c "$VMTEST_CMD" 2>&1
start=$(date +%s)
rc=0 summary=
i=1
while [ "$i" -le "$VMTEST_REPEAT" ]; do
	[ "$VMTEST_REPEAT" = 1 ] || echo "# run $i of $VMTEST_REPEAT"
	XT_KEEP=1 BUILD=build tests/run.sh -v -k "$VMTEST_K" 2>&1 | tee /tmp/suite.out
	r=$?
	[ -s /tmp/suite.out ] || r=99
	[ "$r" = 0 ] || rc=$r
	summary="$summary${summary:+; }$(tail -n1 /tmp/suite.out)"
	i=$((i + 1))
done
# The BPF test binaries print what they checked (and SKIP lines): show them,
# and every log with VMTEST_LOGS=1.
for f in /tmp/xfr-tests.*/*.log; do
	[ -f "$f" ] || continue
	case $f in
	*/unit_test_bpf_*) ;;
	*) [ "$VMTEST_LOGS" = 1 ] || continue ;;
	esac
	echo "---- log ${f##*/}"
	tail -n 60 "$f"
done
echo "$MARK end rc=$rc secs=$(($(date +%s) - start)) summary=$summary"
sync
poweroff -f
echo o >/proc/sysrq-trigger
EOF
	chmod +x "$IRD/init"
	{
		printf 'MARK=%q\n' "$MARK"
		printf 'export VMTEST_K=%q\n' "$VMTEST_K"
		printf 'VMTEST_LOGS=%q\n' "${VMTEST_LOGS:-0}"
		printf 'VMTEST_REPEAT=%q\n' "${VMTEST_REPEAT:-1}"
		printf 'VMTEST_CMD=%q\n' "${VMTEST_CMD:-}"
		[ -n "${XT_TIMEOUT:-}" ] && printf 'export XT_TIMEOUT=%q\n' "$XT_TIMEOUT"
		# tests/run.sh pipes through tee: its exit status is the suite's.
		echo 'set -o pipefail'
	} >"$IRD/vmtest.env"
}

build_initramfs() {
	local t p f
	IRD=$WORK/initramfs
	rm -rf "$IRD"
	# Merged /usr as on Debian 12: /bin/bash (capsh runs it) is /usr/bin/bash.
	mkdir -p "$IRD"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,tmp,run,root,xfr}
	ln -s usr/bin "$IRD/bin"
	ln -s usr/sbin "$IRD/sbin"
	ln -s usr/lib "$IRD/lib"
	ln -s usr/lib64 "$IRD/lib64"
	mkdir -p "$IRD/var" && ln -s ../run "$IRD/var/run"
	cp /bin/busybox "$IRD/bin/busybox"
	for p in $(/bin/busybox --list-full); do
		[ -e "$IRD/$p" ] || ln -s /bin/busybox "$IRD/$p"
	done
	for t in "${HOST_TOOLS[@]}"; do
		p=$(type -P "$t") || { echo "vmtest: $t not on the host, the busybox one (if any) is used"; continue; }
		rm -f "$IRD/usr/bin/$t" "$IRD/usr/sbin/$t"
		copy_file "$p" "/usr/bin/$t"
	done
	# /bin/sh is dash, as on Debian: busybox's sh runs its own applets before
	# PATH, so system("ip link add ... type veth") would get busybox's ip.
	rm -f "$IRD/bin/sh"
	copy_file "$(type -P dash)" /bin/sh
	[ "$VMTEST_PYTHON" = 1 ] && copy_python
	# The repo, laid out as tests/run.sh expects it.
	mkdir -p "$IRD/xfr/$BUILD/tests"
	copy_file "$ROOT/$BUILD/xfr" "/xfr/$BUILD/xfr"
	for f in "$ROOT/$BUILD"/tests/test_*; do
		[ -x "$f" ] && [ -f "$f" ] && copy_file "$f" "/xfr/$BUILD/tests/$(basename "$f")"
	done
	(cd "$ROOT" && tar --exclude=__pycache__ -cf - tests/run.sh tests/integration tests/schema_check.py \
		tests/golden scripts docs/schema 2>/dev/null) | tar -xf - -C "$IRD/xfr"
	copy_libs
	# Name lookups: root, localhost, protocol and service names.
	echo 'root:x:0:0:root:/root:/bin/bash' >"$IRD/etc/passwd"
	echo 'root:x:0:' >"$IRD/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$IRD/etc/hosts"
	cp /etc/protocols /etc/services "$IRD/etc/" 2>/dev/null || true
	echo 'hosts: files' >"$IRD/etc/nsswitch.conf"
	# Kernel modules, dependencies first.
	module_order >"$IRD/modules.order"
	while read -r f; do
		mkdir -p "$IRD/lib/modules/$KVER/$(dirname "$f")"
		cp "$KDIR/lib/modules/$KVER/$f" "$IRD/lib/modules/$KVER/$f"
	done <"$IRD/modules.order"
	write_init
	(cd "$IRD" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$WORK/initrd.gz"
	echo "vmtest: initramfs $(du -h "$WORK/initrd.gz" | cut -f1) ($(wc -l <"$IRD/modules.order") modules)"
}

# ---------------------------------------------------------------- boot

# Pass the suite's lines through as they come (a TCG run takes minutes).
show_suite() {
	awk -v m="$MARK" 'index($0, m " uname ") { print "vmtest: guest kernel " substr($0, index($0, m) + length(m) + 7) }
		index($0, m " begin") { on = 1; next }
		index($0, m " end ") { on = 0 }
		on { print "  | " $0; fflush() }'
}

boot() {
	local log=$WORK/console.log rc
	echo "vmtest: booting $KVER (qemu TCG, ${VMTEST_MEM} MiB, $VMTEST_SMP CPUs, timeout ${VMTEST_TIMEOUT}s), -k '$VMTEST_K'"
	BOOT_T0=$(date +%s)
	set +e
	timeout -k 10 "$VMTEST_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m "$VMTEST_MEM" \
		-smp "$VMTEST_SMP" -nographic -no-reboot -kernel "$KDIR/boot/vmlinuz-$KVER" \
		-initrd "$WORK/initrd.gz" -append "console=ttyS0 panic=-1 quiet" </dev/null 2>&1 |
		sed -u 's/\r$//' | tee "$log" | show_suite
	rc=${PIPESTATUS[0]}
	set -e
	VM_SECS=$(($(date +%s) - BOOT_T0))
	[ "$rc" -eq 124 ] && echo "vmtest: qemu killed after ${VMTEST_TIMEOUT}s (VMTEST_TIMEOUT)"
	return 0
}

# The verdict from the marker line; exit status for the caller.
verdict() {
	local log=$WORK/console.log end
	end=$(grep -m1 -o "$MARK end .*" "$log" || true)
	if ! grep -q "$MARK begin" "$log"; then
		tail -n 40 "$log"
		echo "vmtest: the VM never started the suite (full console: $log)"
		return 1
	fi
	if [ -z "$end" ]; then
		echo "vmtest: the suite did not finish in the VM after ${VM_SECS}s (full console: $log)"
		return 1
	fi
	echo "vmtest: $KVER: ${end#"$MARK end "} (VM total ${VM_SECS}s)"
	case $end in
	*" rc=0 "*) return 0 ;;
	*) return 1 ;;
	esac
}

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make deps)"
[ -x "$ROOT/$BUILD/xfr" ] || die "$BUILD/xfr not built (make all unit)"
mkdir -p "$WORK"
fetch_kernel
build_initramfs
boot
verdict
