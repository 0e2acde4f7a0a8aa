#!/bin/bash
# deps.sh - install the Debian 12 packages nfbox needs, only if missing.
# Sourced by demo.sh and test.sh; safe to run again and again.
#   scripts/deps.sh [build|test|all]
# (No `set -e` here: it would leak into the scripts that source this file.)

NFBOX_PKGS_BUILD=(build-essential binutils pkg-config libpcap-dev)
# Tests: cmocka, scapy (crafting packets), tshark (a real dissector's
# opinion), clang's libFuzzer, QEMU for the images, DPDK testpmd for the
# vhost-user peers (dpdk-testpmd is in dpdk-dev, not in dpdk), iproute2 for
# taps, procps (pgrep) for the teardown checks, curl and prometheus's
# promtool for `nfbox metrics`, libvirt's daemon, QEMU driver, virsh and
# virt-xml-validate (+ xmllint) for `nfbox export libvirt`, gnuplot for
# `nfbox bench --plot`, gdb for `nfbox run --gdb`, GRUB (BIOS) and xorriso
# for `nfbox build --format raw`.
NFBOX_PKGS_TEST=(libcmocka-dev python3-scapy tshark clang libclang-rt-14-dev
	qemu-system-x86 dpdk-dev libdpdk-dev iproute2 procps curl prometheus
	libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu libxml2-utils
	gnuplot-nox gdb grub-common grub-pc-bin xorriso)
# Chains (OVS-DPDK) and benchmarks (valgrind's callgrind, bc in image_size).
NFBOX_PKGS_ALL=(openvswitch-switch-dpdk valgrind bc)

nfbox_install_deps() {
	local want=("${NFBOX_PKGS_BUILD[@]}")
	case "${1:-all}" in
	build) ;;
	test) want+=("${NFBOX_PKGS_TEST[@]}") ;;
	*) want+=("${NFBOX_PKGS_TEST[@]}" "${NFBOX_PKGS_ALL[@]}") ;;
	esac
	local missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "nfbox: missing Debian packages: ${missing[*]}" >&2
		echo "nfbox: run as root, or: apt-get install ${missing[*]}" >&2
		return 1
	fi
	echo "nfbox: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; the answer does not
	# matter to us, but the question must not block an unattended install.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	# Another apt (a second nfbox command, unattended-upgrades) may hold
	# dpkg's lock: wait for it instead of failing half-installed.
	local lock=(-o DPkg::Lock::Timeout=900)
	apt-get "${lock[@]}" update -qq || return 1
	# Packages with daemons (prometheus, openvswitch-switch) would start
	# them: the tests start their own, so none may run (a system
	# Prometheus on :9090, a system OVS).  policy-rc.d 101 = "not now",
	# only while we install, and only if the machine has none of its own.
	local policy=/usr/sbin/policy-rc.d own=0
	if [ ! -e $policy ]; then
		printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && own=1
	fi
	apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
	local rc=$?
	[ $own = 1 ] && rm -f $policy
	return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	nfbox_install_deps "${1:-all}"
fi
