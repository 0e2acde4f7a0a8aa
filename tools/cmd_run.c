/* SPDX-License-Identifier: MIT */
/*
 * nfbox run IMAGE [--config FILE] --net SPEC ... [--mem MB]
 *           [--machine microvm|microvm-pcie|q35] [--queue-size N] [--pin CPU] [--rt PRIO]
 *           [--log FILE] [--append ARGS] [--gdb PORT [--gdb-wait]]
 *
 * Boots an image under QEMU and stays with it until it ends:
 *   - KVM when /dev/kvm can be opened (-cpu host,-arch-capabilities: QEMU
 *     7.2's plain -cpu host dies on MSR 0x10a on these hosts), else TCG,
 *     said on stderr;
 *   - guest RAM from a shared memfd when a NIC is vhost-user, so the
 *     backend can map it;
 *   - NICs: vhost-user:SOCKET[,server] (QEMU connects to the backend's
 *     socket, and again every second after the backend went away, so a
 *     restarted testpmd or OVS gets the image back with its state; or
 *     listens on it with ",server", where the backend reconnects) and
 *     tap:IFNAME (created if
 *     missing, removed again at exit); virtio-net-device on microvm,
 *     virtio-net-pci on q35 and microvm-pcie (microvm,pcie=on);
 *   - ring size: --queue-size N, else 1024 when a NIC is vhost-user (QEMU
 *     7.2 offers TX rings above 256 on virtio-pci only with vhost-user
 *     backends) and 256 with taps only; QEMU's rx/tx_queue_size and the
 *     image's nfbox.queue_size (virtio-mmio lets the driver choose);
 *   - the config, checked here first with the function's own code, is
 *     handed over as fw_cfg opt/nfbox/config ("NAME\0TEXT", as `nfbox
 *     build` bakes it);
 *   - the serial console goes through us: to the terminal or --log FILE;
 *     our stdin goes to it (the image understands "stats" and "quit");
 *     --control SOCK (or --name NAME, a socket under /run/nfbox/run) is a
 *     unix socket relayed to it too, one client at a time, for `nfbox
 *     stats` and `nfbox reload` (topology/relay.c);
 *   - Ctrl-C / SIGTERM: we type "quit" for the image (it prints its
 *     counters and exits), then stop QEMU if it does not end within 3 s.
 *     QEMU runs in its own process group, so Ctrl-C reaches only us, and
 *     dies with us (PR_SET_PDEATHSIG);
 *   - --gdb PORT: QEMU's gdb stub on 127.0.0.1:PORT (--gdb-wait: stopped
 *     before the first instruction); `nfbox build` leaves IMAGE.sym, the
 *     symbols and DWARF gdb wants, next to the image;
 *   - --pin CPU runs QEMU, all its threads, on that CPU; --rt PRIO at
 *     SCHED_FIFO priority PRIO (`nfbox chain up` gives images that share a
 *     core rising priorities down the chain: see topology/README.md), only
 *     where the kernel throttles real-time tasks (a vCPU that never halts
 *     then still leaves the core 5 %, kernel.sched_rt_runtime_us);
 *   - our exit status is the image's k_exit() code, decoded from QEMU's
 *     isa-debug-exit status (code << 1 | 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tools/cfgblob.h"
#include "tools/cmd.h"
#include "tools/image_info.h"
#include "tools/opts.h"
#include "tools/qemu_host.h"
#include "topology/hostsys.h"
#include "topology/ctl.h"
#include "topology/relay.h"

#define PROG "nfbox run"
#define MAX_NETS 8
#define MAX_ARGS 256
#define SOCK_MAX 108 /* sockaddr_un.sun_path */


static volatile sig_atomic_t got_signal;
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig != SIGCHLD)
		got_signal = sig;
	if (sig_pipe[1] >= 0) {
		char c = (char)sig;
		ssize_t r = write(sig_pipe[1], &c, 1);
		(void)r;
	}
	errno = saved;
}

struct argv_b {
	char *v[MAX_ARGS];
	int n;
};

static void add(struct argv_b *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct argv_b *a, const char *fmt, ...)
{
	if (a->n >= MAX_ARGS - 1) {
		fprintf(stderr, PROG ": too many QEMU arguments\n");
		exit(2);
	}
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&a->v[a->n], fmt, ap) < 0)
		exit(1);
	va_end(ap);
	a->v[++a->n] = NULL;
}

static void argv_free(struct argv_b *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
	a->v[0] = NULL;
}

static bool netdev_exists(const char *ifname)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "/sys/class/net/%s", ifname);
	return access(p, F_OK) == 0;
}

static int run_quiet(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *made_taps[MAX_NETS];
static int n_made_taps;

static void remove_taps(void)
{
	for (int i = 0; i < n_made_taps; i++) {
		char *del[] = {"ip", "link", "del", made_taps[i], NULL};
		if (run_quiet(del) != 0)
			fprintf(stderr, PROG ": could not remove tap %s\n", made_taps[i]);
	}
	n_made_taps = 0;
}

static char cfg_tmp[PATH_MAX];
static void remove_cfg_tmp(void)
{
	if (cfg_tmp[0])
		unlink(cfg_tmp);
	cfg_tmp[0] = '\0';
}

static struct relay ctl_relay = {.lfd = -1, .cfd = -1};
static void remove_ctl_relay(void)
{
	relay_close(&ctl_relay);
}

/* What the user asked for: the defaults, then the options. */
struct run_args {
	const char *image; /* the positional argument */
	const char *config, *log, *machine, *append, *control, *name, *bios;
	const char *nets[MAX_NETS];
	const char *extra[32];
	int n_nets, n_extra, pin, rt, gdb;
	bool dry, no_check, gdb_wait;
	bool raw; /* IMAGE is a disk from `nfbox build --format raw` */
	unsigned queue_size; /* 0: by backend */
	unsigned mem;
};

static const char *const run_machines[] = {"microvm", "microvm-pcie", "q35", NULL};

/* QEMU 7.2 virtio-net: a power of two from 256 to 1024. */
static bool ring_size_ok(long v)
{
	return (v & (v - 1)) == 0;
}

#define RUN_STRING(name, field, meta, help) OPT_STRING(name, struct run_args, field, meta, help)
static const struct opt run_opt[] = {
	/* --net and --qemu-arg stay out of the generated list: --net has
	 * its own lines in the usage, --qemu-arg is for debugging. */
	OPT_LIST("--net", struct run_args, nets, n_nets, MAX_NETS, "SPEC", NULL),
	RUN_STRING("--config", config, "FILE", "checked, then replaces the config built into the image"),
	{.name = "--mem", .kind = OPT_KIND_UINT, .off = offsetof(struct run_args, mem), .lo = 4,
	 .hi = 1048576, .want = "a number of MiB from 4 to 1048576", .metavar = "MB",
	 .help = "guest RAM (default 64; 16 is enough for fwd)"},
	OPT_CHOICE("--machine", struct run_args, machine, run_machines, "M",
		   "microvm (default, virtio-mmio), microvm-pcie (microvm with\n"
		   "PCIe: virtio-pci) or q35 (virtio-pci)"),
	{.name = "--queue-size", .kind = OPT_KIND_UINT, .off = offsetof(struct run_args, queue_size),
	 .lo = 256, .hi = 1024, .check = ring_size_ok, .want = "256, 512 or 1024 (ring entries)",
	 .metavar = "N",
	 .help = "ring entries per NIC queue: 256, 512 or 1024 (default 1024\n"
		 "with a vhost-user NIC, else 256; virtio-pci tap TX stays 256)"},
	OPT_INT("--pin", struct run_args, pin, 0, CPU_SETSIZE - 1, "CPU",
		"run QEMU (its vCPU and helper threads) on CPU (do, next\n"
		"to other pollers)"),
	OPT_INT("--rt", struct run_args, rt, 1, 99, "PRIO",
		"run QEMU at real-time (SCHED_FIFO) priority PRIO: it\n"
		"preempts ordinary threads and lower PRIOs whenever it has\n"
		"work (chains sharing a core); needs RT throttling on"),
	RUN_STRING("--log", log, "FILE", "serial console to FILE instead of the terminal"),
	RUN_STRING("--name", name, "NAME",
		   "control socket /run/nfbox/run/NAME.sock ($NFBOX_RUN_DIR;\n"
		   "not root: $XDG_RUNTIME_DIR/nfbox): 'nfbox stats NAME',\n"
		   "'nfbox reload NAME CONFIG'"),
	RUN_STRING("--control", control, "SOCK", "the same at the path SOCK"),
	RUN_STRING("--bios", bios, "FILE",
		   "firmware (q35 default: qboot.rom when installed, else\n"
		   "SeaBIOS; 'default' forces QEMU's own choice)"),
	RUN_STRING("--append", append, "ARGS",
		   "kernel command line: nfbox.idle_us=N (idle spell before the\n"
		   "image halts until a packet, default 0), nfbox.coalesce_us=N\n"
		   "(a loaded image halts for a batch of frames at most N us,\n"
		   "default 200; 0: off), nfbox.pool=N (packet buffers),\n"
		   "nfbox.verbose=1 (boot timing)"),
	OPT_INT("--gdb", struct run_args, gdb, 1, 65535, "PORT",
		"QEMU's gdb stub on 127.0.0.1:PORT; symbols in IMAGE.sym"),
	OPT_FLAG("--gdb-wait", struct run_args, gdb_wait,
		 "with --gdb: the vCPU waits for gdb's 'continue' before\n"
		 "the image's first instruction"),
	OPT_LIST("--qemu-arg", struct run_args, extra, n_extra, 32, "ARG", NULL),
	OPT_FLAG("--no-check", struct run_args, no_check,
		 "hand the config over unchecked (tests of the image's checks)"),
	OPT_FLAG("--dry-run", struct run_args, dry, "print the QEMU command line and exit"),
	OPT_END,
};

static const struct opts run_opts = {
	.prog = PROG,
	.usage = "usage: nfbox run IMAGE [--config FILE] --net SPEC ... [--mem MB]\n"
		 "                 [--machine microvm|microvm-pcie|q35] [--queue-size N]\n"
		 "                 [--pin CPU] [--rt PRIO] [--log FILE] [--name NAME | --control SOCK]\n"
		 "                 [--append ARGS] [--bios FILE] [--gdb PORT [--gdb-wait]]\n"
		 "                 [--no-check] [--dry-run]\n\n"
		 "Boot IMAGE (from 'nfbox build') and stay with it until it stops.  The exit\n"
		 "status is the image's: 0 after 'quit', 1 for a rejected config, 3 for a crash.\n"
		 "A disk from 'nfbox build --format raw' boots on q35 through the BIOS.\n\n"
		 "  --net vhost-user:SOCKET       a NIC whose backend listens on SOCKET\n"
		 "  --net vhost-user:SOCKET,server  QEMU listens on SOCKET (waits for the backend)\n"
		 "  --net tap:IFNAME              a tap NIC (created if missing, removed at exit)\n",
	.opt = run_opt,
	.help_col = 18,
	.epilog = "\nConsole input goes to the image: 'stats' prints its counters, 'quit' stops\n"
		  "it.  Ctrl-C or SIGTERM sends 'quit', then stops QEMU if it lingers.\n"
		  "Uses KVM when /dev/kvm is usable, else TCG (said on stderr; NFBOX_NO_KVM=1\n"
		  "forces TCG).  NFBOX_QEMU names the QEMU binary.\n",
};

/* ---- the steps of a run -------------------------------------------------------
 * A step that can fail returns 0, or the exit status after its message. */

/* --name NAME is --control at NAME's socket path (in `sock`). */
static int control_socket(struct run_args *a, char sock[SOCK_MAX])
{
	if (!a->name)
		return 0;
	if (a->control) {
		fprintf(stderr, PROG ": --name or --control, not both\n");
		return 2;
	}
	int rc = ctl_name_path(a->name, sock, SOCK_MAX);
	if (rc) {
		fprintf(stderr, PROG ": %s\n", rc == -EINVAL
			? "--name: a letter, then letters, digits, '-' or '_' (at most 32)"
			: "--name: the socket path is too long ($NFBOX_RUN_DIR)");
		return 2;
	}
	a->control = sock;
	return 0;
}

/* The config: checked here (unless --no-check), written to cfg_tmp for
 * fw_cfg. */
static int stage_config(const struct run_args *a)
{
	if (!a->config)
		return 0;
	char *blob = NULL;
	size_t blob_len = 0;
	if (a->no_check) {
		/* Testing the image's own checks: pass the file as it is. */
		FILE *f = fopen(a->config, "rb");
		if (!f) {
			fprintf(stderr, PROG ": cannot read %s: %s\n", a->config, strerror(errno));
			return 1;
		}
		size_t nl = strlen(a->config) + 1;
		blob = malloc(nl + (1 << 20));
		memcpy(blob, a->config, nl);
		blob_len = nl + fread(blob + nl, 1, 1 << 20, f);
		fclose(f);
	} else {
		char *nf = image_nf(a->image);
		int rc = cfgblob_make(a->config, nf, &blob, &blob_len);
		free(nf);
		if (rc)
			return rc;
	}
	const char *td = getenv("TMPDIR");
	snprintf(cfg_tmp, sizeof(cfg_tmp), "%s/nfbox-config.XXXXXX", td && *td ? td : "/tmp");
	int fd = mkstemp(cfg_tmp);
	if (fd < 0 || write(fd, blob, blob_len) != (ssize_t)blob_len) {
		fprintf(stderr, PROG ": cannot write a temporary config: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	free(blob);
	atexit(remove_cfg_tmp);
	return 0;
}

/* What the QEMU command line is made of: the options and what follows
 * from them. */
struct vm {
	const struct run_args *a;
	bool q35, pcie_microvm; /* PCI machines: virtio-net-pci */
	bool vhost_user;        /* a NIC is vhost-user: guest RAM it can map */
	bool raw;               /* a disk the BIOS boots (q35 only) */
	unsigned ring;          /* ring entries per NIC queue */
};

static void vm_init(struct vm *vm, const struct run_args *a)
{
	vm->a = a;
	vm->q35 = strcmp(a->machine, "q35") == 0;
	vm->raw = a->raw;
	vm->pcie_microvm = strcmp(a->machine, "microvm-pcie") == 0;
	/* Guest RAM a vhost-user backend can map: a shared memfd.  Only when
	 * needed: it costs ~60 ms of QEMU start-up here. */
	vm->vhost_user = false;
	for (int i = 0; i < a->n_nets; i++)
		vm->vhost_user |= strncmp(a->nets[i], "vhost-user:", 11) == 0;
	/* Ring size: QEMU's virtio-pci offers rx/tx_queue_size, but
	 * virtio-mmio always offers 1024 and lets the driver choose, so the
	 * image is told too (after --append: the first setting wins). */
	vm->ring = a->queue_size;
	if (!vm->ring)
		vm->ring = qemu_default_ring(vm->vhost_user);
}

/* KVM when /dev/kvm opens (and NFBOX_NO_KVM is not set), else TCG. */
static void add_accel(struct argv_b *q)
{
	if (qemu_kvm_usable()) {
		/* The IOAPIC in the host kernel (q35's default; microvm's is
		 * "split", in QEMU): with the split one every redirection-entry
		 * write the image makes (one per virtio-mmio NIC) costs a
		 * KVM_SET_GSI_ROUTING, ~6 ms each here, measured. */
		add(q, "-accel");
		add(q, "kvm,kernel-irqchip=on");
		add(q, "-cpu");
		add(q, "host,-arch-capabilities");
	} else {
		fprintf(stderr, PROG ": /dev/kvm is not usable: running with TCG (emulation, slow)\n");
		/* A 2 MiB translation cache instead of QEMU's 1 GiB: an image's
		 * whole code (150-250 KiB) translates into far less, and QEMU
		 * asks for transparent huge pages on the larger buffer, so its
		 * first use costs a whole 2 MiB page per image (measured: PSS
		 * 17.0 -> 15.1 MiB per idle image with 200 images up). */
		add(q, "-accel");
		add(q, "tcg,tb-size=2");
		add(q, "-cpu");
		add(q, "max");
	}
}

/* The machine, its firmware and memory, and the devices every image has. */
static void add_machine(struct argv_b *q, const struct vm *vm)
{
	/* microvm: no option ROMs to load, and no ACPI: its firmware
	 * (qboot) would build the tables, all of it emulated under kvm_pvm
	 * (~60 ms of exec -> guest entry, measured; bench/boot_time.sh), and
	 * the image needs none there (IOAPIC and virtio-mmio slots are at
	 * fixed places; QEMU then names the used slots on the kernel command
	 * line; without ACPI QEMU also leaves out the second IOAPIC, so
	 * they interrupt on GSI 5-12).  microvm-pcie keeps ACPI: QEMU 7.2
	 * builds no PCIe host bridge without it.  q35 keeps ACPI: its MCFG
	 * gives the image ECAM, half the exits of port CF8 per config access.
	 * q35: PVH boot through its ROM; a raw disk through SeaBIOS (qboot
	 * boots no disks). */
	add(q, "-M");
	add(q, "%s%s%s", vm->q35 ? "q35" : vm->pcie_microvm ? "microvm,pcie=on" : "microvm",
	    vm->vhost_user ? ",memory-backend=mem" : "",
	    vm->q35 ? "" : vm->pcie_microvm ? ",x-option-roms=off" : ",x-option-roms=off,acpi=off");
	const char *bios = vm->a->bios;
	if (vm->q35) {
		/* q35's default firmware (SeaBIOS) takes seconds where guest
		 * firmware runs emulated (kvm_pvm); qboot, QEMU's minimal
		 * firmware, boots a PVH kernel in ~0.1 s.  --bios default keeps
		 * SeaBIOS. */
		if (!bios && !vm->raw)
			bios = qemu_qboot_rom();
	}
	if (bios && strcmp(bios, "default") != 0) {
		add(q, "-bios");
		add(q, "%s", bios);
	}
	add(q, "-m");
	add(q, "%uM", vm->a->mem);
	if (vm->vhost_user) {
		add(q, "-object");
		add(q, "memory-backend-memfd,id=mem,size=%uM,share=on", vm->a->mem);
	}
	add(q, "-smp");
	add(q, "1");
	add(q, "-nodefaults");
	add(q, "-no-user-config");
	add(q, "-display");
	add(q, "none");
	add(q, "-no-reboot");
	add(q, "-serial");
	add(q, "stdio");
	add(q, "-device");
	add(q, "isa-debug-exit,iobase=0xf4,iosize=4");
	if (!vm->q35) {
		/* virtio 1.x over MMIO (QEMU's default is the legacy layout). */
		add(q, "-global");
		add(q, "virtio-mmio.force-legacy=false");
	}
}

/* The image, its command line and its config. */
static void add_boot(struct argv_b *q, const struct vm *vm)
{
	const struct run_args *a = vm->a;
	if (a->config) {
		add(q, "-fw_cfg");
		add(q, "name=opt/nfbox/config,file=%s", cfg_tmp);
	}
	if (vm->raw) {
		/* The BIOS boots the disk (GRUB, then the image, with the
		 * command line on the disk); writes, if any, go to a
		 * temporary overlay, so the disk can back many VMs. */
		add(q, "-drive");
		add(q, "file=%s,format=raw,if=none,id=disk,snapshot=on", a->image);
		add(q, "-device");
		add(q, "ide-hd,drive=disk,bootindex=0");
		return;
	}
	add(q, "-kernel");
	add(q, "%s", a->image);
	/* On PCI machines the image also learns how many virtio-net
	 * functions to look for: every empty slot it probes is an exit
	 * (~30 us here), and it stops the scan at the last NIC. */
	char pci_nics[32] = "";
	if (vm->q35 || vm->pcie_microvm)
		snprintf(pci_nics, sizeof(pci_nics), " nfbox.pci_nics=%d", a->n_nets);
	add(q, "-append");
	add(q, "%s%snfbox.queue_size=%u%s", a->append, *a->append ? " " : "", vm->ring, pci_nics);
}

/* A tap NIC's backend; the tap is made (and removed at exit) if missing,
 * except in a dry run. */
static int add_tap(struct argv_b *q, const struct vm *vm, int i, const char *spec)
{
	const char *ifname = spec + 4;
	if (!*ifname || strlen(ifname) >= 16 || strchr(ifname, ',')) {
		fprintf(stderr, PROG ": bad tap name in '%s'\n", spec);
		return 2;
	}
	if (!vm->a->dry && !netdev_exists(ifname)) {
		char *mk[] = {"ip", "tuntap", "add", "dev", (char *)ifname, "mode", "tap", NULL};
		char *up[] = {"ip", "link", "set", (char *)ifname, "up", NULL};
		if (run_quiet(mk) != 0 || run_quiet(up) != 0) {
			fprintf(stderr, PROG ": cannot create tap %s (needs CAP_NET_ADMIN)\n", ifname);
			remove_taps();
			return 1;
		}
		made_taps[n_made_taps++] = strdup(ifname);
	}
	add(q, "-netdev");
	add(q, "tap,id=n%d,ifname=%s,script=no,downscript=no%s", i, ifname,
	    access("/dev/vhost-net", R_OK | W_OK) == 0 ? ",vhost=on" : "");
	return 0;
}

/* Every --net: its backend and its virtio-net device, MAC 52:54:00:00:00:1i. */
static int add_nics(struct argv_b *q, const struct vm *vm)
{
	const char *dev = vm->q35 || vm->pcie_microvm ? "virtio-net-pci" : "virtio-net-device";
	for (int i = 0; i < vm->a->n_nets; i++) {
		const char *spec = vm->a->nets[i];
		char mac[32];
		snprintf(mac, sizeof(mac), "52:54:00:00:00:%02x", 0x10 + i);
		if (strncmp(spec, "vhost-user:", 11) == 0) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s", spec + 11);
			bool server = false;
			char *comma = strrchr(path, ',');
			if (comma && strcmp(comma, ",server") == 0) {
				server = true;
				*comma = '\0';
			}
			add(q, "-chardev");
			add(q, "socket,id=c%d,path=%s%s", i, path, server ? ",server=on,wait=on" : ",reconnect=1");
			add(q, "-netdev");
			add(q, "vhost-user,id=n%d,chardev=c%d", i, i);
		} else if (strncmp(spec, "tap:", 4) == 0) {
			int rc = add_tap(q, vm, i, spec);
			if (rc)
				return rc;
		} else {
			fprintf(stderr, PROG ": --net is vhost-user:SOCKET[,server] or tap:IFNAME, not '%s'\n",
				spec);
			remove_taps();
			return 2;
		}
		add(q, "-device");
		add(q, "%s,netdev=n%d,mac=%s,rx_queue_size=%u,tx_queue_size=%u", dev, i, mac, vm->ring,
		    vm->ring);
	}
	return 0;
}

/* The whole QEMU command line. */
static int qemu_argv(const struct run_args *a, struct argv_b *q)
{
	struct vm vm;
	vm_init(&vm, a);
	const char *qemu = getenv("NFBOX_QEMU");
	add(q, "%s", qemu && *qemu ? qemu : "qemu-system-x86_64");
	add_accel(q);
	add_machine(q, &vm);
	add_boot(q, &vm);
	int rc = add_nics(q, &vm);
	if (rc)
		return rc;
	if (a->gdb) {
		add(q, "-gdb");
		add(q, "tcp:127.0.0.1:%d", a->gdb);
		if (a->gdb_wait)
			add(q, "-S");
	}
	for (int i = 0; i < a->n_extra; i++)
		add(q, "%s", a->extra[i]);
	return 0;
}

/* A disk from `nfbox build --format raw` boots on q35 through the BIOS;
 * its kernel command line is on the disk. */
static int raw_disk_options(struct run_args *a)
{
	a->raw = image_is_raw_disk(a->image);
	if (!a->raw) {
		if (!a->machine)
			a->machine = "microvm";
		return 0;
	}
	if (a->machine && strcmp(a->machine, "q35") != 0) {
		fprintf(stderr, PROG ": %s is a disk (nfbox build --format raw): it boots through the "
				"BIOS on --machine q35, not %s\n",
			a->image, a->machine);
		return 2;
	}
	if (*a->append) {
		fprintf(stderr, PROG ": %s is a disk: its kernel command line is the one 'nfbox build "
				"--format raw --append' put on it, not --append\n",
			a->image);
		return 2;
	}
	a->machine = "q35";
	return 0;
}

/* --gdb: the port must be free (QEMU's own message would come after the
 * NICs are set up and say little), and the user is told how to attach. */
static int gdb_prepare(const struct run_args *a)
{
	if (a->gdb_wait && !a->gdb) {
		fprintf(stderr, PROG ": --gdb-wait needs --gdb PORT\n");
		return 2;
	}
	if (!a->gdb || a->dry)
		return 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->gdb),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int rc = s < 0 ? -1 : bind(s, (struct sockaddr *)&sin, sizeof(sin));
	int err = errno;
	if (s >= 0)
		close(s);
	if (rc) {
		fprintf(stderr, PROG ": --gdb %d: cannot listen on 127.0.0.1:%d: %s\n", a->gdb, a->gdb,
			strerror(err));
		return 1;
	}
	char sym[PATH_MAX];
	snprintf(sym, sizeof(sym), "%s.sym", a->image);
	bool have_sym = access(sym, R_OK) == 0;
	fprintf(stderr, PROG ": gdb stub on 127.0.0.1:%d%s: gdb %s -ex 'target remote 127.0.0.1:%d'\n",
		a->gdb, a->gdb_wait ? " (waiting for 'continue')" : "", have_sym ? sym : a->image, a->gdb);
	if (!have_sym)
		fprintf(stderr, PROG ": no %s next to the image (built before symbols files?): "
				"rebuild it with 'nfbox build' for names and source lines\n",
			sym);
	return 0;
}

/* The serial console between QEMU and us while it runs. */
struct console {
	int to_q;        /* QEMU's stdin: our stdin and the relay's clients */
	int from_q;      /* QEMU's stdout; -1 once it closed it */
	int out_fd;      /* where its output goes: the terminal or --log FILE */
	bool relay;      /* --control/--name: ctl_relay listens */
	bool stdin_open; /* until our stdin ends */
	bool saw_output; /* QEMU wrote something */
};

/* The control socket and the console's destination. */
static int open_outputs(const struct run_args *a, struct console *c)
{
	atexit(remove_taps);
	c->relay = a->control != NULL;
	if (a->control) {
		char err[256];
		if (relay_listen(&ctl_relay, a->control, err, sizeof(err)) < 0) {
			fprintf(stderr, PROG ": %s\n", err);
			return 1;
		}
		atexit(remove_ctl_relay);
	}
	c->out_fd = 1;
	if (a->log) {
		c->out_fd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (c->out_fd < 0) {
			fprintf(stderr, PROG ": cannot write %s: %s\n", a->log, strerror(errno));
			return 1;
		}
	}
	return 0;
}

/* The child: its own process group, dies with us, pinned if asked,
 * then QEMU.  Never returns. */
static void exec_qemu(char *const argv[], int pin, int rt, pid_t parent, int in_fd, int out_fd)
	__attribute__((noreturn));
static void exec_qemu(char *const argv[], int pin, int rt, pid_t parent, int in_fd, int out_fd)
{
	setpgid(0, 0); /* Ctrl-C is for nfbox run, not for QEMU */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	if (pin >= 0) {
		/* Every thread QEMU starts inherits this: the vCPU poller
		 * and its mostly idle helpers share the one core, and no
		 * thread has to be found by a name that differs between
		 * accelerators (kvm_pvm names none "CPU 0/KVM"). */
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(pin, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			fprintf(stderr, PROG ": cannot pin QEMU to CPU %d: %s\n", pin, strerror(errno));
			_exit(127);
		}
	}
	if (rt > 0) {
		/* Inherited by every QEMU thread too: under TCG the main loop
		 * that injects the interrupts must run as promptly as the vCPU. */
		struct sched_param sp = {.sched_priority = rt};
		if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
			fprintf(stderr, PROG ": cannot run QEMU at SCHED_FIFO %d: %s\n", rt, strerror(errno));
			_exit(127);
		}
	}
	execvp(argv[0], argv);
	fprintf(stderr, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The pipes, our signal handlers, and QEMU forked off (*pid). */
static int start_qemu(struct argv_b *q, int pin, int rt, struct console *c, pid_t *pid)
{
	int to_q[2], from_q[2];
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) || pipe2(to_q, O_CLOEXEC) || pipe2(from_q, O_CLOEXEC)) {
		fprintf(stderr, PROG ": pipe: %s\n", strerror(errno));
		return 1;
	}
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* QEMU's exit wakes the relay's poll too: it sleeps without a timeout
	 * while nothing happens, so an idle image costs its host no wake-ups. */
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pid_t parent = getpid();
	*pid = fork();
	if (*pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return 1;
	}
	if (*pid == 0)
		exec_qemu(q->v, pin, rt, parent, to_q[0], from_q[1]);
	close(to_q[0]);
	close(from_q[1]);
	c->to_q = to_q[1];
	c->from_q = from_q[0];
	c->stdin_open = true;
	c->saw_output = false;
	return 0;
}

/* What QEMU printed: to the console's destination and the relay's client. */
static void console_output(struct console *c)
{
	char buf[4096];
	ssize_t n = read(c->from_q, buf, sizeof(buf));
	if (n > 0) {
		c->saw_output = true;
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(c->out_fd, buf + o, (size_t)(n - o));
			if (w <= 0)
				break;
			o += w;
		}
		relay_output(&ctl_relay, buf, (size_t)n);
	} else if (n == 0) {
		close(c->from_q);
		c->from_q = -1;
	}
}

/* What poll() saw: QEMU's output, a signal, the relay, our stdin. */
static void console_events(struct console *c, const struct pollfd pf[4], int npf)
{
	if (pf[0].revents & (POLLIN | POLLHUP))
		console_output(c);
	if (pf[1].revents & POLLIN) {
		char s[16];
		while (read(sig_pipe[0], s, sizeof(s)) > 0)
			;
	}
	if (c->relay)
		relay_handle(&ctl_relay, pf[2].revents, c->to_q);
	if (npf == 4 && (pf[3].revents & (POLLIN | POLLHUP))) {
		char buf[512];
		ssize_t n = read(0, buf, sizeof(buf));
		if (n > 0) {
			ssize_t w = write(c->to_q, buf, (size_t)n);
			(void)w;
		} else {
			c->stdin_open = false; /* EOF: the console just gets no input */
		}
	}
}

/* What is left of the console once QEMU is gone. */
static void console_drain(struct console *c)
{
	if (c->from_q < 0)
		return;
	char buf[4096];
	ssize_t n;
	while ((n = read(c->from_q, buf, sizeof(buf))) > 0) {
		c->saw_output = true;
		ssize_t o = write(c->out_fd, buf, (size_t)n);
		(void)o;
	}
}

/* Relay the console until QEMU exits; on a signal type "quit" for the
 * image, then SIGTERM QEMU after 3 s and SIGKILL it 2 s later.  Returns
 * QEMU's wait status. */
static int supervise(pid_t pid, struct console *c)
{
	bool quit_sent = false;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	double quit_at = 0, term_at = 0;
	int status = -1;
	for (;;) {
		struct pollfd pf[4] = {{c->from_q, POLLIN, 0}, {sig_pipe[0], POLLIN, 0}, {-1, 0, 0}, {0, POLLIN, 0}};
		if (c->relay)
			relay_pollfd(&ctl_relay, &pf[2]);
		int npf = c->stdin_open ? 4 : 3;
		/* A timeout only while stopping (the SIGTERM/SIGKILL steps) or
		 * after QEMU closed its console (then wait for its exit). */
		int r = poll(pf, npf, quit_sent || c->from_q < 0 ? 50 : -1);
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (r > 0)
			console_events(c, pf, npf);
		if (got_signal && !quit_sent) {
			/* Ask the image to stop (it prints its counters). */
			ssize_t w = write(c->to_q, "\nquit\n", 6);
			(void)w;
			quit_sent = true;
			quit_at = el;
		}
		if (quit_sent && !term_at && el - quit_at > 3.0) {
			kill(pid, SIGTERM);
			term_at = el;
		}
		if (term_at && el - term_at > 2.0)
			kill(pid, SIGKILL);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			console_drain(c);
			return status;
		}
		if (c->from_q < 0)
			usleep(20000);
	}
}

/* Our exit status from QEMU's: the image's k_exit() code, decoded from
 * isa-debug-exit's (code << 1 | 1). */
static int exit_status(int status, bool saw_output)
{
	if (WIFSIGNALED(status)) {
		fprintf(stderr, PROG ": QEMU killed by signal %d\n", WTERMSIG(status));
		return got_signal ? 128 + got_signal : 1;
	}
	int qs = WEXITSTATUS(status);
	if (qs & 1) {
		if (qs == 1 && !saw_output) {
			fprintf(stderr, PROG ": QEMU failed (see its message above)\n");
			return 1;
		}
		return qs >> 1; /* isa-debug-exit: the image's exit code */
	}
	if (got_signal)
		return 128 + got_signal;
	fprintf(stderr, PROG ": the VM stopped without an exit code (reset or triple fault)\n");
	return 3;
}

/* Options -> control socket -> config -> QEMU command line -> (dry run:
 * print it) -> outputs -> start QEMU -> supervise it -> its exit status. */
static int run_run(int argc, char **argv)
{
	struct run_args a = {.append = "", .pin = -1, .mem = 64};
	int npos;
	enum opts_result res = opts_parse(&run_opts, &a, argc, argv, &npos);
	if (res != OPTS_OK)
		return opts_status(res);
	if (npos > 1) {
		fprintf(stderr, PROG ": one image at a time ('%s' is extra)\n", argv[2]);
		return 2;
	}
	if (npos == 0) {
		fprintf(stderr, PROG ": which image? (try 'nfbox run --help')\n");
		return 2;
	}
	a.image = argv[1];
	int rc;
	if (a.rt && !hostsys_rt_throttled()) {
		fprintf(stderr, PROG ": --rt: this kernel does not throttle real-time tasks "
				"(kernel.sched_rt_runtime_us is -1 or unreadable), so a vCPU that "
				"never halts would own its core; refusing\n");
		return 2;
	}
	if (access(a.image, R_OK) != 0) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", a.image, strerror(errno));
		return 1;
	}
	if ((rc = raw_disk_options(&a)))
		return rc;
	char name_sock[SOCK_MAX];
	struct argv_b q = {{0}, 0};
	if ((rc = gdb_prepare(&a)) || (rc = control_socket(&a, name_sock)) || (rc = stage_config(&a)) ||
	    (rc = qemu_argv(&a, &q))) {
		argv_free(&q);
		return rc;
	}
	if (a.dry) {
		for (int i = 0; i < q.n; i++)
			printf("%s%s", i ? " " : "", q.v[i]);
		printf("\n");
		argv_free(&q);
		return 0;
	}
	struct console c = {0};
	pid_t pid = 0;
	rc = open_outputs(&a, &c);
	if (!rc)
		rc = start_qemu(&q, a.pin, a.rt, &c, &pid);
	argv_free(&q); /* QEMU has its copy (exec) */
	if (rc)
		return rc;
	int status = supervise(pid, &c);
	if (a.log)
		close(c.out_fd);
	return exit_status(status, c.saw_output);
}

static const struct nfbox_cmd run_cmd = {
	.name = "run",
	.summary = "boot an image under QEMU/KVM with its NICs",
	.opts = &run_opts,
	.run = run_run,
};
CMD_REGISTER(run_cmd);
