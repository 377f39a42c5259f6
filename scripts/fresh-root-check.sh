#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Proves the set-up on a machine that has nothing: builds a minimal Debian 12 root with
# debootstrap, enters it with chroot as a new user would (no make, no git, no locale, no
# iproute2), follows README.md's first commands literally, and runs make demo and make test.
# Root only; downloads a few hundred MB (the root, then make deps inside it): not part of CI.
# docs/FRESH-ROOT.md says why chroot and what a run measured.
#
#   scripts/fresh-root-check.sh [--mirror URL] [--root DIR] [--log DIR] [--keep] [--no-test]
#
# The root is DIR (default /var/tmp/xfr-fresh-root.PID); the repository's committed HEAD is
# what goes in (a bare clone that the root's own git clones from, as README.md says). Every
# step's output is in the log directory (default /var/tmp/xfr-fresh-root.PID.log), one file
# per step; a one-line summary per step goes to stdout. The root and its mounts are removed on
# every exit path, unless --keep (then the mounts are still undone).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
ROOT=/var/tmp/xfr-fresh-root.$$
LOG=
MIRROR=
KEEP=0
RUN_TEST=1

usage() {
	echo "usage: $0 [--mirror URL] [--root DIR] [--log DIR] [--keep] [--no-test]" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--mirror) [ $# -ge 2 ] || usage; MIRROR=$2; shift 2 ;;
	--root) [ $# -ge 2 ] || usage; ROOT=$2; shift 2 ;;
	--log) [ $# -ge 2 ] || usage; LOG=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--no-test) RUN_TEST=0; shift ;;
	*) echo "fresh-root-check: unknown argument: $1" >&2; usage ;;
	esac
done
LOG=${LOG:-$ROOT.log}

[ "$(id -u)" -eq 0 ] || { echo "fresh-root-check: must run as root (debootstrap, chroot, mounts)" >&2; exit 1; }
command -v debootstrap >/dev/null ||
	{ echo "fresh-root-check: debootstrap not installed (apt-get install debootstrap)" >&2; exit 1; }
[ -e "$ROOT" ] && { echo "fresh-root-check: $ROOT already exists: choose another --root" >&2; exit 1; }

# The mirror this machine's apt uses (deb822 .sources or one-line .list), else Debian's.
find_mirror() {
	local f u
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		u=$(awk '/^URIs:/ { print $2; exit } /^deb / && $0 ~ / bookworm / { print ($2 ~ /^\[/ ? $3 : $2); exit }' "$f")
		case $u in */debian) echo "$u"; return ;; esac
	done
	echo http://deb.debian.org/debian
}
MIRROR=${MIRROR:-$(find_mirror)}

MOUNTS=()
cleanup() {
	local i
	# Innermost first; each was made private or a slave, so nothing propagates to the host.
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -R "${MOUNTS[i]}" 2>/dev/null || umount -lR "${MOUNTS[i]}" 2>/dev/null || true
	done
	if grep -q " $ROOT/" /proc/self/mounts; then
		echo "fresh-root-check: mounts left under $ROOT:" >&2
		grep " $ROOT/" /proc/self/mounts >&2
	elif [ "$KEEP" = 0 ] && [ -d "$ROOT" ]; then
		rm -rf --one-file-system "$ROOT"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$LOG"
step() { # step NAME COMMAND...: runs it, logs to $LOG/NAME.log, prints one line with its time
	local name=$1 t0 rc=0
	shift
	t0=$(date +%s)
	"$@" >"$LOG/$name.log" 2>&1 || rc=$?
	echo "fresh-root-check: $name: exit $rc after $(($(date +%s) - t0)) s (log $LOG/$name.log)"
	return $rc
}

step debootstrap debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR"
echo "fresh-root-check: minbase root: $(du -sh --one-file-system "$ROOT" | cut -f1)," \
	"$(chroot "$ROOT" dpkg-query -W | wc -l) packages"

# What a booted machine has and a bare directory does not: / as a mount point (ip -n makes it a
# slave mount and fails with "Invalid argument" on a plain directory), /proc, /sys (network
# namespaces remount it; BTF lives there), its own bpffs for the BPF tests, /dev with ptys for
# tmux, and a /run of its own so that ip netns names live in the root and not beside the host's.
mnt() { # mnt TARGET ARGS...: mounts, remembers it for cleanup
	local t=$ROOT$1
	shift
	mkdir -p "$t"
	mount "$@" "$t"
	MOUNTS+=("$t")
}
mnt "" --bind "$ROOT"
mount --make-private "$ROOT"
mnt /proc -t proc proc
mnt /sys -t sysfs sysfs
mnt /sys/fs/bpf -t bpf bpf
mnt /dev --rbind /dev
mount --make-rslave "$ROOT/dev"
mnt /run -t tmpfs -o mode=755 tmpfs
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The host's own trust anchors, as a machine installed on this network would have them (behind
# a TLS-inspecting proxy npm's registry is signed by its CA); ca-certificates, which make deps
# installs, adds them to the system store that Debian's node reads.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$ROOT/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
fi

git clone -q --bare "$REPO" "$ROOT/root/xfr.git"
echo "fresh-root-check: source: $(git -C "$REPO" log -1 --format='%h %s' | cut -c1-80)"

# A login shell's environment and nothing of ours: no LANG, the default PATH.
in_root() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM=xterm \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "$1"
}

# README.md's first block, command by command.
step get-make-git in_root 'apt-get update && apt-get install -y make git'
step clone in_root 'cd /root && git clone xfr.git xfr'
step make-deps in_root 'cd /root/xfr && time make deps'
grep -E '^install-deps: (Need to get|[0-9]+ downloaded)' "$LOG/make-deps.log" || true
echo "fresh-root-check: root after make deps: $(du -sh --one-file-system "$ROOT" | cut -f1)," \
	"$(in_root 'dpkg-query -W | wc -l') packages"
step make-demo in_root 'cd /root/xfr && make demo'
grep -E 'sender|receiver|demo:' "$LOG/make-demo.log" | tail -n 4 || true
if [ "$RUN_TEST" = 1 ]; then
	step make-test in_root 'cd /root/xfr && make test' || rc=$?
	grep -E '^(FAIL|.*[0-9]+ passed, [0-9]+ failed)' "$LOG/make-test.log" | tail -n 20 || true
	exit "${rc:-0}"
fi
