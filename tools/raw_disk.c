/* SPDX-License-Identifier: MIT */
/*
 * raw_disk.c - `nfbox build --format raw`: the image on a bootable disk.
 *
 * grub-mkrescue (grub-common, with GRUB's BIOS modules from grub-pc-bin)
 * and xorriso make a hybrid ISO 9660 image: an MBR with a partition table
 * and GRUB's boot code, so a BIOS boots it as a raw hard disk (or as a CD).
 * Its grub.cfg loads the unchanged ELF image with GRUB's `multiboot2`
 * command (kernel/entry.S has the Multiboot2 header) with no menu and no
 * output, so the serial console belongs to the image from the first line
 * on.  The function's name is the volume label (raw_disk.h).
 *
 * Layout of the disk's file system: /boot/nfbox.img, /boot/grub/grub.cfg
 * (and GRUB's own files).  ~10 MB, nearly all of it GRUB.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/raw_disk.h"
#include "topology/hostsys.h"

#define PROG "nfbox build"
#define GRUB_BIOS_DIR "/usr/lib/grub/i386-pc"
#define PKGS "grub-common grub-pc-bin xorriso"

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		char f[PATH_MAX];
		snprintf(f, sizeof(f), "%.*s/%s", (int)n, p, name);
		if (access(f, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* GRUB reads its command line as words: keep ARGS to plain characters. */
static bool append_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(" ._=,:/-+", *s))
			return false;
	return true;
}

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int o = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = in < 0 || o < 0 ? -1 : 0;
	char buf[65536];
	ssize_t n;
	while (!rc && (n = read(in, buf, sizeof(buf))) != 0)
		rc = n < 0 || write(o, buf, (size_t)n) != n ? -1 : 0;
	if (in >= 0)
		close(in);
	if (o >= 0 && close(o) < 0)
		rc = -1;
	return rc;
}

/* The last line of `text` that says something. */
static void last_line(const char *text, char *line, size_t len)
{
	*line = '\0';
	for (const char *l = text; l && *l;) {
		size_t n = strcspn(l, "\n");
		if (strspn(l, " \t") < n)
			snprintf(line, len, "%.*s", (int)n, l);
		l += n + (l[n] == '\n');
	}
}

int raw_disk_check(const char *nf, const char *append)
{
	if (!in_path("grub-mkrescue") || !in_path("xorriso") || access(GRUB_BIOS_DIR "/multiboot2.mod", R_OK)) {
		fprintf(stderr, PROG ": --format raw needs grub-mkrescue, GRUB's BIOS modules (%s) and xorriso "
				"(Debian: " PKGS ")\n",
			GRUB_BIOS_DIR);
		return 1;
	}
	if (!append_ok(append)) {
		fprintf(stderr, PROG ": --append '%s': only letters, digits, spaces and ._=,:/-+ "
				"(GRUB reads it as words)\n",
			append);
		return 1;
	}
	if (strlen(RAW_DISK_LABEL) + strlen(nf) > 32) {
		fprintf(stderr, PROG ": function name '%s' too long for a disk label\n", nf);
		return 1;
	}
	return 0;
}

int raw_disk_make(const char *elf, const char *nf, const char *append, const char *out,
		  const char *tmpdir)
{
	char label[33];
	int l = snprintf(label, sizeof(label), RAW_DISK_LABEL "%s", nf);
	for (int i = 0; i < l && i < 32; i++)
		label[i] = (char)toupper((unsigned char)label[i]);

	char root[PATH_MAX], grub[PATH_MAX + 16], img[PATH_MAX + 32], cfg[PATH_MAX + 32];
	snprintf(root, sizeof(root), "%s/disk", tmpdir);
	snprintf(grub, sizeof(grub), "%s/boot/grub", root);
	snprintf(img, sizeof(img), "%s/boot/nfbox.img", root);
	snprintf(cfg, sizeof(cfg), "%s/grub.cfg", grub);
	int rc = 1;
	FILE *f = NULL;
	if (hostsys_mkdir_p(grub) || copy_file(elf, img) || !(f = fopen(cfg, "w"))) {
		fprintf(stderr, PROG ": cannot stage the disk in %s: %s\n", root, strerror(errno));
		goto out;
	}
	/* No menu, no output: GRUB's terminal is the (absent) screen, so the
	 * serial port carries only the image. */
	fprintf(f, "# nfbox build --format raw: boot the %s image at once\n"
		   "set timeout=0\n"
		   "multiboot2 /boot/nfbox.img%s%s\n"
		   "boot\n",
		nf, *append ? " " : "", append);
	if (fclose(f)) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", cfg, strerror(errno));
		goto out;
	}
	char *said = NULL, line[512];
	if (hostsys_runv(&said, NULL, "grub-mkrescue", "-o", out, root, "--", "-volid", label, NULL) == 0) {
		rc = 0;
	} else {
		last_line(said, line, sizeof(line));
		fprintf(stderr, PROG ": grub-mkrescue failed%s%s\n", *line ? ": " : "", line);
	}
	free(said);
out:
	hostsys_rmtree(root);
	return rc;
}
