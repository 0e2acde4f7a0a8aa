#!/bin/bash
# tests/image/libvirt.sh IMAGE - `nfbox export libvirt` and the domain it
# writes, run by a real libvirtd (Debian's libvirt-daemon + its QEMU driver).
#
#   libvirt-errors   bad exports are refused with what is wrong: no --name,
#                    a bad --net, --config without -o, a bad config
#                    (FILE:LINE:COL), a missing image
#   libvirt-valid    the domains for taps, vhost-user (client and server)
#                    with a config, pinned, validate (virt-xml-validate)
#   libvirt-run      `virsh define` + `virsh start` of the tap domain (fwd
#                    image, config/examples/fwd.conf by fw_cfg): frames
#                    through both taps both ways, `nfbox stats` on its
#                    console socket has the config's port names and the
#                    frames, `virsh destroy` ends it
#
# libvirtd runs in a mount namespace of its own (unshare -m) over tmpfs
# state directories and a qemu.conf of ours (QEMU as root, no security
# driver, logs to files), so it neither reads nor leaves anything of a
# system libvirt: nothing to set up on the host, nothing left after.  The
# namespace's /etc/passwd has the user 'libvirt-qemu' libvirt 9's QEMU
# driver looks up before it reads qemu.conf (Debian's libvirt-daemon-system
# would create it, with a system daemon and a default network we do not
# want).  Needs root, /dev/net/tun, scapy; folded into tests/image/run.sh.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
NFBOX=${NFBOX:-$B/nfbox}
IMAGE=$1
PY=/usr/bin/python3
SUITE=image
. tests/lib/report.sh

WORK=$(mktemp -d /tmp/nfbox-libvirt.XXXXXX)
LV_PID="" TAPS="" MADE_DIRS=""
virsh_ns() { nsenter -t "$LV_PID" -m virsh -q -c qemu:///system "$@"; }
cleanup() {
	if [ -n "$LV_PID" ]; then
		virsh_ns destroy nfbt$$ >/dev/null 2>&1
		kill -TERM "$LV_PID" 2>/dev/null
		for _ in $(seq 30); do kill -0 "$LV_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$LV_PID" 2>/dev/null
	fi
	pkill -KILL -f "guest=nfbt$$," 2>/dev/null
	for t in $TAPS; do ip link del "$t" 2>/dev/null; done
	for d in $MADE_DIRS; do rmdir "$d" 2>/dev/null; done
	if [ "${KEEP:-0}" = 1 ]; then echo "libvirt: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

miss=""
for c in virt-xml-validate:libvirt-clients xmllint:libxml2-utils virsh:libvirt-clients \
	libvirtd:libvirt-daemon nsenter:util-linux; do
	command -v "${c%%:*}" >/dev/null || [ -x "/usr/sbin/${c%%:*}" ] || miss="$miss ${c#*:}"
done
[ -e /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so ] ||
	miss="$miss libvirt-daemon-driver-qemu"
if [ -n "$miss" ]; then
	for t in libvirt-errors libvirt-valid libvirt-run; do sk "$t" "needs (Debian:$miss)"; done
	finish
fi

# ---- errors -------------------------------------------------------------------------
errs=""
expect_err() { # WANT-RC WANT-TEXT ARGS...
	local rc want=$1 text=$2
	shift 2
	"$NFBOX" export libvirt "$@" >"$WORK/e.out" 2>"$WORK/e.err"
	rc=$?
	[ $rc = "$want" ] && grep -qF -- "$text" "$WORK/e.err" ||
		errs="$errs [$*] rc $rc: $(head -1 "$WORK/e.err");"
}
printf 'port 0 name west\nprot 1 name east\n' >"$WORK/bad.conf"
expect_err 2 "--name NAME" "$IMAGE" --net tap:x0
expect_err 2 "--net 'tap:'" "$IMAGE" --name a --net tap:
expect_err 2 "--net 'udp:1'" "$IMAGE" --name a --net udp:1
expect_err 2 "no NIC" "$IMAGE" --name a
expect_err 2 "--config needs -o" "$IMAGE" --name a --net tap:x0 --config config/examples/fwd.conf
expect_err 1 "$WORK/bad.conf:2:1: " "$IMAGE" --name a --net tap:x0 --config "$WORK/bad.conf" -o "$WORK/a.xml"
expect_err 1 "no/such.img: No such file" no/such.img --name a --net tap:x0
if [ -z "$errs" ]; then ok libvirt-errors "7 bad exports refused, the config's at $(basename "$WORK")/bad.conf:2:1"; else ko libvirt-errors "$errs"; fi

# ---- valid domains ----------------------------------------------------------------------
bad=""
valid() { # NAME ARGS...
	local n=$1
	shift
	if ! "$NFBOX" export libvirt "$IMAGE" --name "$n" "$@" -o "$WORK/$n.xml" 2>"$WORK/$n.err"; then
		bad="$bad $n: $(head -1 "$WORK/$n.err");"
	elif ! virt-xml-validate "$WORK/$n.xml" domain >"$WORK/$n.val" 2>&1; then
		bad="$bad $n: $(grep -v validates "$WORK/$n.val" | head -2 | tr '\n' ' ');"
	fi
}
valid taps --net tap:nfbt0 --net tap:nfbt1 --mem 16
valid vhost --net vhost-user:/tmp/a.sock --net vhost-user:/tmp/b.sock,server --config config/examples/fwd.conf --cpu 1
grep -q "<source type='memfd'/>" "$WORK/vhost.xml" && grep -q "mode='server'" "$WORK/vhost.xml" &&
	grep -q "opt/nfbox/config" "$WORK/vhost.xml" && grep -q "emulatorpin cpuset='1'" "$WORK/vhost.xml" ||
	bad="$bad vhost.xml lacks memfd, server mode, fw_cfg or pinning;"
if [ -z "$bad" ]; then ok libvirt-valid "tap and vhost-user domains validate"; else ko libvirt-valid "$bad"; fi

# ---- a real libvirtd runs it ----------------------------------------------------------------
name=nfbt$$ t0=nfbl$$a t1=nfbl$$b
for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt; do
	[ -d "$d" ] || { mkdir -p "$d" && MADE_DIRS="$d $MADE_DIRS"; }
done
cp /etc/passwd "$WORK/passwd"
cp /etc/group "$WORK/group"
grep -q '^libvirt-qemu:' "$WORK/passwd" || echo 'libvirt-qemu:x:0:0:libvirt:/:/usr/sbin/nologin' >>"$WORK/passwd"
grep -q '^libvirt-qemu:' "$WORK/group" || echo 'libvirt-qemu:x:0:' >>"$WORK/group"
printf 'user = "root"\ngroup = "root"\ndynamic_ownership = 0\nsecurity_driver = "none"\nstdio_handler = "file"\n' \
	>"$WORK/qemu.conf"
cat >"$WORK/libvirtd.sh" <<EOF
#!/bin/bash
set -e
for d in /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt; do
	mount -t tmpfs nfbox-libvirt \$d
done
mount --bind $WORK/passwd /etc/passwd
mount --bind $WORK/group /etc/group
cp $WORK/qemu.conf /etc/libvirt/qemu.conf
exec /usr/sbin/libvirtd
EOF
chmod +x "$WORK/libvirtd.sh"
unshare -m --propagation private "$WORK/libvirtd.sh" >"$WORK/libvirtd.log" 2>&1 &
LV_PID=$!
up=0
for _ in $(seq 100); do virsh_ns version >/dev/null 2>&1 && up=1 && break; sleep 0.1; done
for t in $t0 $t1; do
	ip tuntap add dev "$t" mode tap && TAPS="$TAPS $t"
	sysctl -qw "net.ipv6.conf.$t.disable_ipv6=1" 2>/dev/null
	ip link set "$t" up
done
export NFBOX_RUN_DIR=$WORK/run
mkdir -p "$NFBOX_RUN_DIR"
sock=$NFBOX_RUN_DIR/$name.sock
why=""
if [ $up = 0 ]; then
	why="libvirtd did not come up: $(grep -v 'dnsmasq\|DBus\|bus connection\|dmi\|/dev/mem\|/dev/kvm' "$WORK/libvirtd.log" | tail -2 | tr '\n' ' ')"
elif ! "$NFBOX" export libvirt "$IMAGE" --name "$name" --net "tap:$t0" --net "tap:$t1" --mem 32 \
	--config config/examples/fwd.conf -o "$WORK/run.xml" 2>"$WORK/run.err"; then
	why="export: $(head -1 "$WORK/run.err")"
elif ! virsh_ns define "$WORK/run.xml" >"$WORK/define.log" 2>&1 || ! virsh_ns start "$name" >"$WORK/start.log" 2>&1; then
	why="virsh: $(cat "$WORK/define.log" "$WORK/start.log" | tr '\n' ' ')"
fi
if [ -z "$why" ]; then
	ready=0
	for _ in $(seq 150); do
		"$NFBOX" stats "$sock" --timeout 1 2>/dev/null | grep -q '^port1.name east$' && ready=1 && break
		sleep 0.2
	done
	[ $ready = 1 ] || why="no answer with both ports on $sock"
fi
if [ -z "$why" ]; then
	mkdir -p "$WORK/io"
	$PY tests/vhost/mkpcaps.py "$WORK/io" 20
	$PY tests/vhost/tapio.py "$t0" "$t1" "$WORK/io" >"$WORK/tapio.log" 2>&1
	r1=$($PY tests/vhost/pcap_same.py "$WORK/io/in0.pcap" "$WORK/io/out1.pcap" 2>&1) || why="$why west->east: $r1;"
	r0=$($PY tests/vhost/pcap_same.py "$WORK/io/in1.pcap" "$WORK/io/out0.pcap" 2>&1) || why="$why east->west: $r0;"
	st=$("$NFBOX" stats "$sock")
	grep -qx "port0.name west" <<<"$st" && grep -qx "port0.rx_pkts 20" <<<"$st" &&
		grep -qx "port1.tx_pkts 20" <<<"$st" || why="$why stats: $(grep -E '^port[01]\.(name|rx_pkts|tx_pkts)' <<<"$st" | tr '\n' ' ');"
	virsh_ns destroy "$name" >/dev/null 2>&1
	state=$(virsh_ns domstate "$name" 2>&1)
	[ "$state" = "shut off" ] || why="$why after destroy: '$state';"
fi
if [ -z "$why" ]; then
	ok libvirt-run "virsh started the exported domain (TCG$([ -w /dev/kvm ] && echo '/KVM')); 20 frames each way through its taps; nfbox stats on its console: ports west/east from the fw_cfg config"
else
	ko libvirt-run "$why"
fi
finish
