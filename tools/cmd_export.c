/* SPDX-License-Identifier: MIT */
/*
 * nfbox export libvirt IMAGE --name NAME --net SPEC... - a libvirt domain
 * for an image, so an operator runs it with virsh like any other VM:
 *
 *     nfbox export libvirt fw.img --name fw --net vhost-user:/run/ovs/fw0 \
 *           --net tap:fw1 --config fw.conf -o /etc/nfbox/fw.xml
 *     virsh define /etc/nfbox/fw.xml && virsh start fw
 *     nfbox stats /run/nfbox/run/fw.sock
 *
 * What `nfbox run --machine q35` gives QEMU, said in libvirt's words:
 *   - direct kernel boot of the image (PVH) through qboot when installed
 *     (SeaBIOS takes seconds where firmware runs emulated), ACPI on;
 *     libvirt 9 has no microvm machine, so q35 and virtio-net-pci;
 *   - guest RAM from a shared memfd when a NIC is vhost-user (the
 *     backend maps it); no balloon, USB, graphics or other devices;
 *   - NICs on slots 2, 3, ... of pcie.0, as QEMU puts them for nfbox run
 *     (the image does not look behind unnumbered bridges);
 *     vhost-user:SOCKET[,server] (<interface type='vhostuser'>, QEMU
 *     the client unless ",server") and tap:IFNAME (<interface
 *     type='ethernet'> with managed='no': the tap must exist, as an
 *     operator's network set-up makes it); rx/tx rings of 1024 with
 *     vhost-user, else 256, and the image told so on its command line;
 *   - the serial console as a unix socket QEMU listens on: the control
 *     channel `nfbox stats` / `nfbox reload` / `nfbox metrics` talk to
 *     (--console SOCK; default the socket `nfbox run --name NAME` would
 *     have, so `nfbox stats NAME` finds it);
 *   - the config, checked here with the function's own code, handed over
 *     as fw_cfg opt/nfbox/config (<sysinfo type='fwcfg'>) from a file
 *     written next to the XML;
 *   - --cpu N pins the vCPU and QEMU's own threads to CPU N, as
 *     `nfbox run --pin`; the isa-debug-exit device (QEMU command line
 *     passthrough) lets `quit` and a crash end the domain.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/cfgblob.h"
#include "tools/cmd.h"
#include "tools/image_info.h"
#include "tools/opts.h"
#include "tools/qemu_host.h"
#include "topology/ctl.h"

#define PROG "nfbox export"
#define MAX_NETS 8

struct export_args {
	const char *name, *config, *out, *console, *accel;
	const char *nets[MAX_NETS];
	int n_nets, cpu;
	unsigned mem, queue_size;
};

static const char *const accels[] = {"kvm", "tcg", NULL};

static bool ring_ok(long v)
{
	return (v & (v - 1)) == 0;
}

static const struct opt export_opt[] = {
	OPT_STRING("--name", struct export_args, name, "NAME", "the domain's name (required)"),
	OPT_LIST("--net", struct export_args, nets, n_nets, MAX_NETS, "SPEC",
		 "vhost-user:SOCKET[,server] or tap:IFNAME (repeatable)"),
	OPT_STRING("--config", struct export_args, config, "FILE",
		   "checked, written next to the XML, handed over by fw_cfg"),
	{.name = "--mem", .kind = OPT_KIND_UINT, .off = offsetof(struct export_args, mem), .lo = 4,
	 .hi = 1048576, .want = "a number of MiB from 4 to 1048576", .metavar = "MB",
	 .help = "guest RAM (default 64)"},
	OPT_INT("--cpu", struct export_args, cpu, 0, CPU_SETSIZE - 1, "N",
		"pin the vCPU and QEMU's threads to CPU N"),
	{.name = "--queue-size", .kind = OPT_KIND_UINT, .off = offsetof(struct export_args, queue_size),
	 .lo = 256, .hi = 1024, .check = ring_ok, .want = "256, 512 or 1024 (ring entries)",
	 .metavar = "N", .help = "ring entries per NIC queue (default as nfbox run)"},
	OPT_STRING("--console", struct export_args, console, "SOCK",
		   "the control socket (default that of 'nfbox run --name NAME')"),
	OPT_CHOICE("--accel", struct export_args, accel, accels, "kvm|tcg",
		   "domain type kvm or qemu (default: kvm if usable, as nfbox run)"),
	OPT_STRING("-o", struct export_args, out, "FILE.xml", "write here (default stdout)"),
	OPT_END,
};

static const struct opts export_opts = {
	.prog = PROG,
	.usage = "usage: nfbox export libvirt IMAGE --name NAME --net SPEC ... [--config FILE]\n"
		 "                          [--mem MB] [--cpu N] [--queue-size N] [--console SOCK]\n"
		 "                          [--accel kvm|tcg] [-o FILE.xml]\n\n"
		 "Write a libvirt domain (q35, direct kernel boot) that runs IMAGE as\n"
		 "'nfbox run --machine q35' would: 'virsh define FILE.xml; virsh start NAME'.\n"
		 "Its serial console is the control socket for nfbox stats/reload/metrics.\n",
	.opt = export_opt,
	.help_col = 16,
};

/* XML text: & < > ' " escaped. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* "<tag>text</tag>" with `ind` spaces before it. */
static void elem(FILE *f, int ind, const char *tag, const char *text)
{
	fprintf(f, "%*s<%s>", ind, "", tag);
	xml_text(f, text);
	fprintf(f, "</%s>\n", tag);
}

/* The checked config, written to FILE.xml's directory as NAME.config. */
static int write_config(const struct export_args *a, const char *image, char *path, size_t len)
{
	if (!a->out) {
		fprintf(stderr, PROG ": --config needs -o FILE.xml (the checked config is written "
				"next to it)\n");
		return 2;
	}
	char *nf = image_nf(image);
	char *blob = NULL;
	size_t blob_len = 0;
	int rc = cfgblob_make(a->config, nf, &blob, &blob_len);
	free(nf);
	if (rc)
		return rc;
	char *dir = strdup(a->out);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	char absdir[PATH_MAX];
	if (!realpath(slash ? (*dir ? dir : "/") : ".", absdir)) {
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(errno));
		free(dir);
		free(blob);
		return 1;
	}
	free(dir);
	if ((size_t)snprintf(path, len, "%s/%s.config", absdir, a->name) >= len) {
		fprintf(stderr, PROG ": %s: path too long\n", absdir);
		free(blob);
		return 1;
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(blob, 1, blob_len, f) != blob_len || fclose(f) != 0) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", path, strerror(errno));
		free(blob);
		return 1;
	}
	free(blob);
	return 0;
}

static int check_nets(const struct export_args *a, bool *vhost_user)
{
	*vhost_user = false;
	if (a->n_nets == 0) {
		fprintf(stderr, PROG ": no NIC: --net vhost-user:SOCKET or --net tap:IFNAME\n");
		return 2;
	}
	for (int i = 0; i < a->n_nets; i++) {
		const char *n = a->nets[i];
		if (strncmp(n, "vhost-user:", 11) == 0 && n[11] && n[11] != ',') {
			*vhost_user = true;
		} else if (strncmp(n, "tap:", 4) == 0 && n[4] && strlen(n + 4) < 16 &&
			   !strpbrk(n + 4, "/ ,")) {
		} else {
			fprintf(stderr, PROG ": --net '%s': want vhost-user:SOCKET[,server] or "
					"tap:IFNAME (at most 15 characters)\n", n);
			return 2;
		}
	}
	return 0;
}

static void write_nics(FILE *f, const struct export_args *a, unsigned ring)
{
	for (int i = 0; i < a->n_nets; i++) {
		const char *n = a->nets[i];
		char mac[32];
		snprintf(mac, sizeof(mac), "52:54:00:00:00:%02x", 0x10 + i);
		if (strncmp(n, "vhost-user:", 11) == 0) {
			char sock[PATH_MAX];
			snprintf(sock, sizeof(sock), "%s", n + 11);
			char *opt = strstr(sock, ",server");
			bool server = opt && opt[7] == '\0';
			if (server)
				*opt = '\0';
			fprintf(f, "    <interface type='vhostuser'>\n      <mac address='%s'/>\n"
				   "      <source type='unix' path='", mac);
			xml_text(f, sock);
			fprintf(f, "' mode='%s'/>\n", server ? "server" : "client");
		} else {
			fprintf(f, "    <interface type='ethernet'>\n      <mac address='%s'/>\n"
				   "      <target dev='", mac);
			xml_text(f, n + 4);
			fprintf(f, "' managed='no'/>\n");
		}
		/* Only vhost-user takes TX rings above 256 (QEMU 7.2; libvirt
		 * refuses tx_queue_size on other types). */
		bool vu = strncmp(n, "vhost-user:", 11) == 0;
		fprintf(f, "      <model type='virtio'/>\n      <driver rx_queue_size='%u'", ring);
		if (vu)
			fprintf(f, " tx_queue_size='%u'", ring);
		/* On pcie.0 itself (integrated endpoints), not behind the
		 * pcie-root-ports libvirt would add: qboot does not number
		 * bridges' buses, and the image scans bus 0 and numbered
		 * bridges only (kernel/pci.c). */
		fprintf(f, "/>\n      <address type='pci' domain='0x0000' bus='0x00' slot='0x%02x' "
			   "function='0x0'/>\n    </interface>\n", 2 + i);
	}
}

static int export_libvirt(const struct export_args *a, const char *image_arg)
{
	char image[PATH_MAX], cfg[PATH_MAX] = "", sock[108];
	if (!realpath(image_arg, image)) {
		fprintf(stderr, PROG ": %s: %s\n", image_arg, strerror(errno));
		return 1;
	}
	if (!a->name) {
		fprintf(stderr, PROG ": --name NAME: the domain needs a name\n");
		return 2;
	}
	if (ctl_name_path(a->name, sock, sizeof(sock)) == -EINVAL) {
		fprintf(stderr, PROG ": --name: a letter, then letters, digits, '-' or '_' (at most 32)\n");
		return 2;
	}
	if (a->console)
		snprintf(sock, sizeof(sock), "%s", a->console);
	bool vhost_user;
	int rc = check_nets(a, &vhost_user);
	if (rc)
		return rc;
	if (a->config && (rc = write_config(a, image, cfg, sizeof(cfg))) != 0)
		return rc;
	unsigned ring = a->queue_size ? a->queue_size : qemu_default_ring(vhost_user);
	bool kvm = a->accel ? strcmp(a->accel, "kvm") == 0 : qemu_kvm_usable();
	const char *bios = qemu_qboot_rom();

	FILE *f = a->out ? fopen(a->out, "w") : stdout;
	if (!f) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", a->out, strerror(errno));
		return 1;
	}
	fprintf(f, "<!-- nfbox export libvirt %s: virsh define this file, then virsh start -->\n",
		image_arg);
	fprintf(f, "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n",
		kvm ? "kvm" : "qemu");
	elem(f, 2, "name", a->name);
	fprintf(f, "  <memory unit='MiB'>%u</memory>\n", a->mem);
	if (vhost_user)
		fprintf(f, "  <memoryBacking>\n    <source type='memfd'/>\n"
			   "    <access mode='shared'/>\n  </memoryBacking>\n");
	if (a->cpu >= 0)
		fprintf(f, "  <vcpu placement='static' cpuset='%d'>1</vcpu>\n"
			   "  <cputune>\n    <emulatorpin cpuset='%d'/>\n  </cputune>\n", a->cpu, a->cpu);
	else
		fprintf(f, "  <vcpu placement='static'>1</vcpu>\n");
	if (cfg[0]) {
		fprintf(f, "  <sysinfo type='fwcfg'>\n    <entry name='opt/nfbox/config' file='");
		xml_text(f, cfg);
		fprintf(f, "'/>\n  </sysinfo>\n");
	}
	fprintf(f, "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n");
	if (bios) {
		fprintf(f, "    <loader readonly='yes' type='rom'>");
		xml_text(f, bios);
		fprintf(f, "</loader>\n");
	}
	elem(f, 4, "kernel", image);
	fprintf(f, "    <cmdline>nfbox.queue_size=%u nfbox.pci_nics=%d</cmdline>\n  </os>\n", ring,
		a->n_nets);
	fprintf(f, "  <features>\n    <acpi/>\n  </features>\n");
	fprintf(f, "  <cpu mode='%s'/>\n", kvm ? "host-passthrough" : "maximum");
	fprintf(f, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n"
		   "  <on_crash>destroy</on_crash>\n");
	fprintf(f, "  <devices>\n");
	write_nics(f, a, ring);
	fprintf(f, "    <serial type='unix'>\n      <source mode='bind' path='");
	xml_text(f, sock);
	fprintf(f, "'/>\n      <target port='0'/>\n    </serial>\n");
	fprintf(f, "    <controller type='usb' model='none'/>\n    <memballoon model='none'/>\n");
	fprintf(f, "  </devices>\n");
	fprintf(f, "  <qemu:commandline>\n    <qemu:arg value='-device'/>\n"
		   "    <qemu:arg value='isa-debug-exit,iobase=0xf4,iosize=4'/>\n"
		   "  </qemu:commandline>\n");
	fprintf(f, "</domain>\n");
	if (a->out && fclose(f) != 0) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", a->out, strerror(errno));
		return 1;
	}
	if (a->out)
		fprintf(stderr, PROG ": wrote %s%s%s; console (control socket) %s\n", a->out,
			cfg[0] ? " and " : "", cfg, sock);
	return 0;
}

static int run_export(int argc, char **argv)
{
	struct export_args a = {.cpu = -1, .mem = 64};
	int npos;
	enum opts_result r = opts_parse(&export_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (npos < 1 || strcmp(argv[1], "libvirt") != 0) {
		fprintf(stderr, PROG ": export to what? 'nfbox export libvirt IMAGE ...' (the only "
				"format)\n");
		return 2;
	}
	if (npos != 2) {
		fprintf(stderr, PROG ": %s\n", npos < 2 ? "which image? nfbox export libvirt IMAGE ..."
							: "one image at a time");
		return 2;
	}
	if (image_is_raw_disk(argv[2])) {
		fprintf(stderr, PROG ": %s is a disk (nfbox build --format raw); the domain boots the "
				"image directly: export the ELF image from 'nfbox build'\n",
			argv[2]);
		return 2;
	}
	return export_libvirt(&a, argv[2]);
}

static const struct nfbox_cmd export_cmd = {
	.name = "export",
	.summary = "a libvirt domain XML for an image (virsh define, virsh start)",
	.opts = &export_opts,
	.run = run_export,
};
CMD_REGISTER(export_cmd);
