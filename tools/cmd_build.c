/* SPDX-License-Identifier: MIT */
/*
 * nfbox build NF [--config FILE] [-o IMAGE] [--format elf|raw [--append ARGS]] [--debug]
 *
 * Makes a bootable image for one function by linking prebuilt objects --
 * nothing is compiled here, only binutils run (ld, nm, objcopy):
 *
 *   LIBDIR/nfbox-base.o   kernel, image, virtio, dataplane, config, control (image/image.mk)
 *   LIBDIR/nf/NF.o        the function (or NF given as a path to a .o)
 *   LIBDIR/image.ld       the layout
 *   config.o              "NAME\0TEXT" in section .config_blob (image/config_source.c)
 *   ksyms.o               the symbol table for backtraces (kernel/ksyms.h)
 *
 * The symbol table needs the final addresses, so the image is linked twice:
 * pass 1 with an empty table, `nm` on the result, the table generated, pass
 * 2 with it.  image.ld puts .ksyms last, so its size moves nothing else; the
 * build checks that every symbol kept its pass-1 address.
 *
 * The config is checked and turned into the blob the image carries by
 * tools/cfgblob.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/ksyms.h"
#include "tools/cfgblob.h"
#include "tools/cfgfile.h"
#include "tools/cmd.h"
#include "tools/opts.h"
#include "tools/raw_disk.h"

#define PROG "nfbox build"

static const char *tool(const char *env, const char *dflt)
{
	const char *v = getenv(env);
	return v && *v ? v : dflt;
}

/* Run argv; with `out` set, capture stdout into a malloc'd buffer.
 * Returns the exit status, or -1 if it could not run. */
static int run_tool(char *const argv[], char **out, size_t *out_len)
{
	int pfd[2] = {-1, -1};
	if (out && pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			dup2(pfd[1], 1);
			close(pfd[0]);
			close(pfd[1]);
		}
		execvp(argv[0], argv);
		fprintf(stderr, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		size_t cap = 65536, n = 0;
		char *buf = malloc(cap);
		ssize_t r;
		while (buf && (r = read(pfd[0], buf + n, cap - n - 1)) > 0) {
			n += (size_t)r;
			if (n + 1 == cap) {
				char *b2 = realloc(buf, cap *= 2);
				if (!b2) {
					free(buf);
					buf = NULL;
				}
				buf = b2;
			}
		}
		close(pfd[0]);
		if (buf)
			buf[n] = '\0';
		*out = buf;
		*out_len = n;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (out && !*out)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_file(const char *path, const void *a, size_t alen, const void *b, size_t blen)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fwrite(a, 1, alen, f) == alen && (!blen || fwrite(b, 1, blen, f) == blen);
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* A blob file -> a relocatable object with the bytes in `section`. */
static int blob_object(const char *blob, const char *obj, const char *section)
{
	char rename[128];
	snprintf(rename, sizeof(rename), ".data=%s,alloc,load,readonly,data,contents", section);
	char *argv[] = {(char *)tool("NFBOX_OBJCOPY", "objcopy"), "-I", "binary", "-O", "elf64-x86-64",
			"-B", "i386:x86-64", "--rename-section", rename, (char *)blob, (char *)obj,
			NULL};
	return run_tool(argv, NULL, NULL);
}

/* ---- the symbol table --------------------------------------------------------- */

struct sym {
	uint64_t addr, size;
	char *name;
};

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Text symbols from `nm -n -S --defined-only`: "ADDR [SIZE] TYPE NAME". */
static struct sym *read_syms(const char *elf, size_t *count)
{
	char *argv[] = {(char *)tool("NFBOX_NM", "nm"), "-n", "-S", "--defined-only", (char *)elf,
			NULL};
	char *out;
	size_t len;
	if (run_tool(argv, &out, &len) != 0) {
		fprintf(stderr, PROG ": nm %s failed\n", elf);
		return NULL;
	}
	size_t cap = 1024, n = 0;
	struct sym *s = malloc(cap * sizeof(*s));
	for (char *line = strtok(out, "\n"); line && s; line = strtok(NULL, "\n")) {
		char *f[4];
		int nf = 0;
		for (char *t = strtok_r(line, " ", &line); t && nf < 4; t = strtok_r(NULL, " ", &line))
			f[nf++] = t;
		const char *type, *name;
		uint64_t size = 0;
		if (nf == 4) {
			size = strtoull(f[1], NULL, 16);
			type = f[2];
			name = f[3];
		} else if (nf == 3) {
			type = f[1];
			name = f[2];
		} else {
			continue;
		}
		if (!strchr("tTwW", type[0]) || name[0] == '.')
			continue;
		if (n == cap) {
			struct sym *s2 = realloc(s, (cap *= 2) * sizeof(*s));
			if (!s2) {
				free(s);
				s = NULL;
				break;
			}
			s = s2;
		}
		s[n].addr = strtoull(f[0], NULL, 16);
		s[n].size = size;
		s[n].name = strdup(name);
		n++;
	}
	free(out);
	if (!s)
		return NULL;
	qsort(s, n, sizeof(*s), sym_cmp);
	*count = n;
	return s;
}

static int write_ksyms(const char *path, const struct sym *s, size_t n)
{
	size_t names = 0;
	for (size_t i = 0; i < n; i++)
		names += strlen(s[i].name) + 1;
	size_t off = sizeof(struct ksyms_hdr) + n * sizeof(struct ksym);
	size_t total = off + names;
	uint8_t *buf = calloc(1, total);
	if (!buf)
		return -1;
	struct ksyms_hdr h = {KSYMS_MAGIC, (uint32_t)n, (uint32_t)off, (uint32_t)total};
	memcpy(buf, &h, sizeof(h));
	size_t np = 0;
	for (size_t i = 0; i < n; i++) {
		struct ksym k = {s[i].addr, (uint32_t)s[i].size, (uint32_t)np};
		memcpy(buf + sizeof(h) + i * sizeof(k), &k, sizeof(k));
		size_t l = strlen(s[i].name) + 1;
		memcpy(buf + off + np, s[i].name, l);
		np += l;
	}
	int rc = write_file(path, buf, total, NULL, 0);
	free(buf);
	return rc;
}

static void free_syms(struct sym *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}

/* ---- the command ------------------------------------------------------------------ */

static int link_image(const char *out, const char *ld_script, const char *base, const char *nfo,
		      const char *cfgo, const char *ksymo)
{
	char *argv[] = {(char *)tool("NFBOX_LD", "ld"), "-static", "-nostdlib", "-no-pie",
			"-z", "max-page-size=4096", "-z", "noexecstack",
			"-T", (char *)ld_script, "-o", (char *)out, (char *)base, (char *)nfo,
			(char *)cfgo, (char *)ksymo, NULL};
	return run_tool(argv, NULL, NULL);
}

static char tmpdir[PATH_MAX];

static void cleanup_tmp(void)
{
	if (!tmpdir[0])
		return;
	static const char *files[] = {"config.bin", "config.o", "ksyms0.bin", "ksyms0.o",
				      "ksyms.bin", "ksyms.o", "pass1.elf", "pass2.elf", "info.txt",
				      "image.elf"};
	char p[PATH_MAX + 32];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, files[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

/* A file of the temporary directory (one of cleanup_tmp's). */
#define TMP_PATH (PATH_MAX + 32)
static const char *tmp_file(char buf[TMP_PATH], const char *name)
{
	snprintf(buf, TMP_PATH, "%s/%s", tmpdir, name);
	return buf;
}

static int make_tmpdir(void)
{
	const char *td = getenv("TMPDIR");
	snprintf(tmpdir, sizeof(tmpdir), "%s/nfbox-build.XXXXXX", td && *td ? td : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, PROG ": cannot make a temporary directory: %s\n", strerror(errno));
		return 1;
	}
	atexit(cleanup_tmp);
	return 0;
}

/* One build: what the user asked for and the inputs found for it.  Each
 * step below returns 0, or the exit status after its message. */
struct build {
	const char *nf_arg;  /* as given: a registered name or a path to an object */
	const char *nf_name; /* the registered name, or NULL for a path */
	const char *config, *out;
	bool debug, raw;
	char base[PATH_MAX], script[PATH_MAX], nfo[PATH_MAX], dflt_out[PATH_MAX];
};

/* The prebuilt objects in LIBDIR, and the default output name. */
static int find_inputs(struct build *b)
{
	const char *lib = cmd_libdir();
	snprintf(b->base, sizeof(b->base), "%s/nfbox-base.o", lib);
	snprintf(b->script, sizeof(b->script), "%s/image.ld", lib);
	/* NF: a registered name (LIBDIR/nf/NAME.o), or a path to an object
	 * (test-only functions). */
	if (strchr(b->nf_arg, '/') || strstr(b->nf_arg, ".o")) {
		snprintf(b->nfo, sizeof(b->nfo), "%s", b->nf_arg);
	} else {
		snprintf(b->nfo, sizeof(b->nfo), "%s/nf/%s.o", lib, b->nf_arg);
		b->nf_name = b->nf_arg;
		if (access(b->nfo, R_OK) != 0) {
			fprintf(stderr, PROG ": unknown function '%s': no %s (known here: ",
				b->nf_arg, b->nfo);
			cfgfile_list_functions(stderr);
			fprintf(stderr, ")\n");
			return 2;
		}
	}
	const char *need[] = {b->base, b->script, b->nfo};
	for (int i = 0; i < 3; i++)
		if (access(need[i], R_OK) != 0) {
			fprintf(stderr, PROG ": cannot read %s: %s (image objects: 'make image-objs')\n",
				need[i], strerror(errno));
			return 1;
		}
	if (!b->out) {
		const char *base = strrchr(b->nf_arg, '/');
		base = base ? base + 1 : b->nf_arg;
		snprintf(b->dflt_out, sizeof(b->dflt_out), "%.*s.%s", (int)strcspn(base, "."), base,
			 b->raw ? "raw" : "img");
		b->out = b->dflt_out;
	}
	return 0;
}

/* config.o with the config blob, ksyms0.o with an empty symbol table. */
static int config_objects(const char *blob, size_t blob_len, const char *cfgo, const char *k0o)
{
	char p_cfgb[TMP_PATH], p_k0b[TMP_PATH];
	tmp_file(p_cfgb, "config.bin");
	tmp_file(p_k0b, "ksyms0.bin");
	struct ksyms_hdr empty = {KSYMS_MAGIC, 0, sizeof(empty), sizeof(empty)};
	if (write_file(p_cfgb, blob, blob_len, NULL, 0) || blob_object(p_cfgb, cfgo, ".config_blob") ||
	    write_file(p_k0b, &empty, sizeof(empty), NULL, 0) || blob_object(p_k0b, k0o, ".ksyms")) {
		fprintf(stderr, PROG ": objcopy failed\n");
		return 1;
	}
	return 0;
}

/* Pass 1 with the empty table, the table of its symbols, pass 2 with it
 * into `elf`; every symbol must keep its pass-1 address. */
static int link_twice(const struct build *b, const char *cfgo, const char *k0o, const char *elf)
{
	char p_1[TMP_PATH], p_kb[TMP_PATH], p_ko[TMP_PATH];
	tmp_file(p_1, "pass1.elf");
	tmp_file(p_kb, "ksyms.bin");
	tmp_file(p_ko, "ksyms.o");
	if (link_image(p_1, b->script, b->base, b->nfo, cfgo, k0o)) {
		fprintf(stderr, PROG ": link failed (pass 1)\n");
		return 1;
	}
	size_t n1, n2;
	struct sym *s1 = read_syms(p_1, &n1);
	if (!s1 || write_ksyms(p_kb, s1, n1) || blob_object(p_kb, p_ko, ".ksyms")) {
		fprintf(stderr, PROG ": cannot make the symbol table\n");
		return 1;
	}
	if (link_image(elf, b->script, b->base, b->nfo, cfgo, p_ko)) {
		fprintf(stderr, PROG ": link failed (pass 2)\n");
		return 1;
	}
	struct sym *s2 = read_syms(elf, &n2);
	if (!s2 || n1 != n2) {
		fprintf(stderr, PROG ": pass 2 has %zu code symbols, pass 1 had %zu\n", n2, n1);
		return 1;
	}
	for (size_t i = 0; i < n1; i++)
		if (s1[i].addr != s2[i].addr || strcmp(s1[i].name, s2[i].name) != 0) {
			fprintf(stderr, PROG ": %s moved between link passes (image.ld must keep .ksyms last)\n",
				s1[i].name);
			return 1;
		}
	free_syms(s1, n1);
	free_syms(s2, n2);
	return 0;
}

/* The function's name: registered, or the object's file name without
 * directory and suffix. */
static void nf_short_name(const struct build *b, char name[64])
{
	const char *s = strrchr(b->nf_arg, '/') ? strrchr(b->nf_arg, '/') + 1 : b->nf_arg;
	snprintf(name, 64, "%.*s", (int)strcspn(s, "."), s);
}

/* The image `img` from the linked `elf`: stripped unless --debug (the
 * table above is what backtraces use; QEMU loads only the PT_LOAD
 * segments), with .nfbox_info (not loaded) telling `nfbox run` which
 * function's checks a config must pass; and OUT.sym next to the output. */
static int write_image(const struct build *b, const char *elf, const char *img)
{
	char p_info[TMP_PATH], info_arg[PATH_MAX + 64], info[128], nf[64];
	tmp_file(p_info, "info.txt");
	nf_short_name(b, nf);
	int il = snprintf(info, sizeof(info), "nf=%s\n", nf);
	if (write_file(p_info, info, (size_t)il, NULL, 0)) {
		fprintf(stderr, PROG ": cannot write %s\n", p_info);
		return 1;
	}
	snprintf(info_arg, sizeof(info_arg), ".nfbox_info=%s", p_info);
	char *oc[] = {(char *)tool("NFBOX_OBJCOPY", "objcopy"), b->debug ? "--strip-debug" : "--strip-all",
		      "--add-section", info_arg, "--set-section-flags", ".nfbox_info=noload,readonly",
		      (char *)elf, (char *)img, NULL};
	if (run_tool(oc, NULL, NULL)) {
		fprintf(stderr, PROG ": cannot write %s\n", img);
		return 1;
	}
	chmod(img, 0755);
	/* IMAGE.sym: symbols and DWARF for gdb on a running image
	 * (`nfbox run --gdb`); the image itself stays small. */
	char sym[PATH_MAX];
	snprintf(sym, sizeof(sym), "%s.sym", b->out);
	char *keep[] = {(char *)tool("NFBOX_OBJCOPY", "objcopy"), "--only-keep-debug", (char *)elf, sym, NULL};
	if (run_tool(keep, NULL, NULL)) {
		fprintf(stderr, PROG ": cannot write %s\n", sym);
		return 1;
	}
	return 0;
}

/* --format raw: the image (in the temporary directory) on a disk at OUT. */
static int write_disk(const struct build *b, const char *elf, const char *append)
{
	char img[TMP_PATH], nf[64];
	nf_short_name(b, nf);
	int rc = write_image(b, elf, tmp_file(img, "image.elf"));
	return rc ? rc : raw_disk_make(img, nf, append, b->out, tmpdir);
}

struct build_args {
	const char *config, *out, *format, *append;
	bool debug;
};

static const char *const build_formats[] = {"elf", "raw", NULL};

static const struct opt build_opt[] = {
	OPT_STRING("--config", struct build_args, config, "FILE", NULL),
	OPT_STRING("-o", struct build_args, out, "IMAGE", "output (default NF.img, NF.raw for a disk)"),
	OPT_CHOICE("--format", struct build_args, format, build_formats, "F",
		   "elf (default: what 'nfbox run' and libvirt boot directly)\n"
		   "or raw: a disk a BIOS boots (GRUB loads the image)"),
	OPT_STRING("--append", struct build_args, append, "ARGS",
		   "raw only: the kernel command line on the disk"),
	OPT_FLAG("--debug", struct build_args, debug,
		 "keep the ELF symbol table in the image too (IMAGE.sym always\n"
		 "has it, with DWARF, for gdb); backtraces work either way"),
	OPT_END,
};

static const struct opts build_opts = {
	.prog = PROG,
	.usage = "usage: nfbox build NF [--config FILE] [-o IMAGE] [--format elf|raw [--append ARGS]]\n"
		 "                   [--debug]\n\n"
		 "Link a unikernel image that runs function NF (fwd, firewall, ...) from the\n"
		 "prebuilt objects in the library directory; nothing is compiled.  FILE is\n"
		 "checked first exactly as 'nfbox check NF FILE' would, then baked into the\n"
		 "image (includes and set files flattened).  A config given to 'nfbox run\n"
		 "--config' replaces the baked one at boot.\n\n",
	.opt = build_opt,
	.help_col = 17,
	.epilog = "\nEnvironment: NFBOX_LIBDIR (image objects), NFBOX_LD, NFBOX_NM, NFBOX_OBJCOPY.\n",
};

/* Options -> inputs -> config blob -> objects -> two links -> the image. */
static int build_run(int argc, char **argv)
{
	struct build_args a = {0};
	int npos;
	enum opts_result r = opts_parse(&build_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (npos > 1) {
		fprintf(stderr, PROG ": one function per image ('%s' is extra)\n", argv[2]);
		return 2;
	}
	if (npos == 0) {
		fprintf(stderr, PROG ": which function? (try 'nfbox build --help')\n");
		return 2;
	}
	bool raw = a.format && strcmp(a.format, "raw") == 0;
	if (a.append && !raw) {
		fprintf(stderr, PROG ": --append is for --format raw (an ELF image gets its command "
				"line from 'nfbox run --append')\n");
		return 2;
	}
	struct build b = {.nf_arg = argv[1], .config = a.config, .out = a.out, .debug = a.debug,
			  .raw = raw};
	int rc = find_inputs(&b);
	if (rc)
		return rc;
	char nf[64];
	nf_short_name(&b, nf);
	if (raw && (rc = raw_disk_check(nf, a.append ? a.append : "")))
		return rc;

	char *blob;
	size_t blob_len;
	if (cfgblob_make(b.config, b.nf_name, &blob, &blob_len))
		return 1;
	char p_cfgo[TMP_PATH], p_k0o[TMP_PATH], p_2[TMP_PATH];
	if ((rc = make_tmpdir()) ||
	    (rc = config_objects(blob, blob_len, tmp_file(p_cfgo, "config.o"), tmp_file(p_k0o, "ksyms0.o"))))
		return rc;
	free(blob);
	if ((rc = link_twice(&b, p_cfgo, p_k0o, tmp_file(p_2, "pass2.elf"))) ||
	    (rc = raw ? write_disk(&b, p_2, a.append ? a.append : "") : write_image(&b, p_2, b.out)))
		return rc;
	struct stat sb;
	stat(b.out, &sb);
	printf("%s: %s %s, %lld KiB%s%s\n", b.out, b.nf_name ? b.nf_name : b.nf_arg,
	       raw ? "disk (raw, GRUB)" : "image", (long long)(sb.st_size + 1023) / 1024,
	       b.config ? ", config " : ", no config", b.config ? b.config : "");
	return 0;
}

static const struct nfbox_cmd build_cmd = {
	.name = "build",
	.summary = "link a bootable unikernel image (or a raw disk) for one function",
	.opts = &build_opts,
	.run = build_run,
};
CMD_REGISTER(build_cmd);
