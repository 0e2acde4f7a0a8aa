/* SPDX-License-Identifier: MIT */
/*
 * chain_ctl.c - the image's serial console as a control channel.
 *
 * The image reads command lines on its serial port (kernel/app.c: "stats",
 * "quit"; unknown lines are answered "nfbox: unknown command 'LINE' ...").
 * `nfbox run` relays its stdin to that port and the console to --log FILE.
 * So a running image is reachable when its `nfbox run` has a FIFO as stdin
 * (the chain starts every image that way: RUNDIR/NAME.ctl) and a log file:
 * a client writes its lines into the FIFO and reads what the console prints
 * after them from the log.
 *
 * The console has no framing, so after the request we send a line no image
 * knows, "#end-NONCE", and the answer ends where the image complains about
 * it.  Clients of one image are serialised with flock() on its log file.
 * Cost: the image looks at its serial port every 10 ms (sooner when idle),
 * reading at most 64 bytes each time, so a request takes 10-30 ms.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/chain.h"

/* "--log FILE" from the command line of `nfbox run` PID, made absolute. */
static int pid_log(pid_t pid, char *log, size_t len)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	size_t n;
	char *cl = csys_read_file(p, &n);
	if (!cl || !n) {
		free(cl);
		return -ESRCH;
	}
	int rc = -ENOENT;
	bool is_run = false;
	for (char *a = cl; a < cl + n; a += strlen(a) + 1) {
		if (strcmp(a, "run") == 0)
			is_run = true;
		if (strcmp(a, "--log") == 0 && a + strlen(a) + 1 < cl + n) {
			const char *v = a + strlen(a) + 1;
			if (v[0] == '/') {
				snprintf(log, len, "%s", v);
			} else {
				char cwd[PATH_MAX], l[64];
				snprintf(l, sizeof(l), "/proc/%d/cwd", (int)pid);
				ssize_t m = readlink(l, cwd, sizeof(cwd) - 1);
				if (m <= 0)
					break;
				cwd[m] = '\0';
				if (snprintf(log, len, "%s/%s", cwd, v) >= (int)len)
					break;
			}
			rc = 0;
		}
	}
	free(cl);
	return is_run ? rc : -EINVAL;
}

int ctl_resolve(const char *prog, const char *target, struct ctl_target *t)
{
	memset(t, 0, sizeof(*t));
	const char *colon = strrchr(target, ':');
	bool digits = target[0] != '\0';
	for (const char *c = target; *c; c++)
		digits = digits && isdigit((unsigned char)*c);
	if (digits) {
		pid_t pid = (pid_t)atoi(target);
		int rc = pid_log(pid, t->log, sizeof(t->log));
		if (rc == -ESRCH) {
			fprintf(stderr, "%s: no process %s\n", prog, target);
			return -1;
		}
		if (rc == -EINVAL) {
			fprintf(stderr, "%s: process %s is not 'nfbox run'\n", prog, target);
			return -1;
		}
		if (rc) {
			fprintf(stderr, "%s: 'nfbox run' %s has no --log FILE: its console cannot be read "
					"(start it with --log FILE and a FIFO as stdin)\n", prog, target);
			return -1;
		}
		snprintf(t->fifo, sizeof(t->fifo), "/proc/%d/fd/0", (int)pid);
		struct stat st;
		if (stat(t->fifo, &st) < 0 || !S_ISFIFO(st.st_mode)) {
			fprintf(stderr, "%s: the stdin of 'nfbox run' %s is not a FIFO: nothing can be "
					"typed into its console (start it with '<>FIFO')\n", prog, target);
			return -1;
		}
		t->pid = pid;
		snprintf(t->label, sizeof(t->label), "nfbox run %d", (int)pid);
		return 0;
	}
	if (!colon || colon == target || !colon[1]) {
		fprintf(stderr, "%s: TARGET is CHAINFILE:NAME or the pid of an 'nfbox run', not '%s'\n",
			prog, target);
		return -1;
	}
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%.*s", (int)(colon - target), target);
	struct chain_paths p;
	if (chain_paths_of_file(file, &p) < 0) {
		fprintf(stderr, "%s: cannot read chain file %s: %s\n", prog, file, strerror(errno));
		return -1;
	}
	const char *name = colon + 1;
	snprintf(t->fifo, sizeof(t->fifo), "%s/%s.ctl", p.dir, name);
	snprintf(t->log, sizeof(t->log), "%s/%s.console", p.dir, name);
	snprintf(t->label, sizeof(t->label), "%s", name);
	char pidf[400];
	snprintf(pidf, sizeof(pidf), "%s/%s.pid", p.dir, name);
	t->pid = csys_read_pid(pidf);
	if (access(t->fifo, F_OK) != 0) {
		fprintf(stderr, "%s: no image '%s' in chain %s (is it up? 'nfbox chain status %s')\n",
			prog, name, file, file);
		return -1;
	}
	if (!t->pid || !csys_pid_is(t->pid, p.dir)) {
		fprintf(stderr, "%s: image '%s' of chain %s is not running\n", prog, name, file);
		return -1;
	}
	return 0;
}

int ctl_exchange(const struct ctl_target *t, const char *lines, char **out, unsigned timeout_ms)
{
	int lfd = open(t->log, O_RDONLY | O_CLOEXEC);
	if (lfd < 0)
		return -errno;
	if (flock(lfd, LOCK_EX) < 0) {
		int e = errno;
		close(lfd);
		return -e;
	}
	off_t off = lseek(lfd, 0, SEEK_END);
	int ffd = open(t->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (ffd < 0) {
		int e = errno;
		close(lfd);
		return e == ENXIO ? -EPIPE : -e;
	}
	fcntl(ffd, F_SETFL, 0); /* blocking from now on: long requests wait for room */
	char marker[32];
	snprintf(marker, sizeof(marker), "#end-%x%x", (unsigned)getpid(), (unsigned)csys_now() ^ (unsigned)(uintptr_t)out);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	/* A leading newline ends any half-typed line (an empty line is ignored). */
	size_t ll = strlen(lines), ml = strlen(marker);
	char *req = malloc(ll + ml + 3);
	req[0] = '\n';
	memcpy(req + 1, lines, ll);
	memcpy(req + 1 + ll, marker, ml);
	req[1 + ll + ml] = '\n';
	int rc = 0;
	for (size_t o = 0, n = ll + ml + 2; o < n;) {
		ssize_t w = write(ffd, req + o, n - o);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -EPIPE;
			break;
		}
		o += (size_t)w;
	}
	free(req);
	close(ffd);
	signal(SIGPIPE, old);

	char needle[64];
	snprintf(needle, sizeof(needle), "'%s'", marker);
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	buf[0] = '\0';
	double end = csys_now() + timeout_ms / 1000.0;
	while (!rc) {
		ssize_t n;
		do {
			if (len + 4096 > cap)
				buf = realloc(buf, cap *= 2);
			n = pread(lfd, buf + len, cap - len - 1, off + (off_t)len);
			if (n > 0)
				len += (size_t)n;
		} while (n > 0);
		buf[len] = '\0';
		char *hit = strstr(buf, needle);
		/* Only once the complaint's line is whole: the rest of it would
		 * otherwise open the next request's answer. */
		if (hit && strchr(hit, '\n')) {
			while (hit > buf && hit[-1] != '\n')
				hit--;
			*hit = '\0';
			break;
		}
		if (t->pid && kill(t->pid, 0) != 0) {
			rc = -EPIPE;
			break;
		}
		if (csys_now() > end) {
			rc = -ETIMEDOUT;
			break;
		}
		csys_sleep_ms(5);
	}
	close(lfd); /* drops the lock */
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

static bool stat_line(const char *l, size_t n)
{
	/* "section.name value": two words, the first with a dot, no colon. */
	const char *sp = memchr(l, ' ', n);
	if (!sp || sp == l)
		return false;
	const char *dot = memchr(l, '.', (size_t)(sp - l));
	if (!dot || memchr(l, ':', (size_t)(sp - l)))
		return false;
	for (const char *c = l; c < sp; c++)
		if (!isalnum((unsigned char)*c) && !strchr("._-", *c))
			return false;
	return sp + 1 < l + n && !memchr(sp + 1, ' ', (size_t)(l + n - sp - 1));
}

int ctl_stats(const struct ctl_target *t, char **text, unsigned timeout_ms)
{
	char *raw;
	int rc = ctl_exchange(t, "stats\n", &raw, timeout_ms);
	if (rc)
		return rc;
	size_t cap = strlen(raw) + 1, len = 0;
	char *o = malloc(cap);
	for (char *l = raw; *l;) {
		size_t n = strcspn(l, "\r\n");
		if (stat_line(l, n)) {
			memcpy(o + len, l, n);
			len += n;
			o[len++] = '\n';
		}
		l += n;
		while (*l == '\r' || *l == '\n')
			l++;
	}
	o[len] = '\0';
	free(raw);
	*text = o;
	return 0;
}

uint64_t ctl_stat(const char *text, const char *key, uint64_t dflt)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, kl) == 0 && l[kl] == ' ')
			return strtoull(l + kl + 1, NULL, 10);
	return dflt;
}

static void json_str(const char *s, size_t n, FILE *to)
{
	fputc('"', to);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(to, "\\%c", c);
		else if (c < 0x20)
			fprintf(to, "\\u%04x", c);
		else
			fputc(c, to);
	}
	fputc('"', to);
}

void ctl_stats_json(const char *text, FILE *to)
{
	char section[64] = "";
	bool any = false, first_in = true;
	fputc('{', to);
	for (const char *l = text; *l;) {
		size_t n = strcspn(l, "\n");
		const char *sp = memchr(l, ' ', n), *dot = memchr(l, '.', n);
		if (sp && dot && dot < sp) {
			size_t sl = (size_t)(dot - l);
			if (strlen(section) != sl || strncmp(section, l, sl) != 0) {
				if (any)
					fputc('}', to);
				fprintf(to, "%s", any ? "," : "");
				json_str(l, sl, to);
				fputs(":{", to);
				snprintf(section, sizeof(section), "%.*s", (int)sl, l);
				any = true;
				first_in = true;
			}
			if (!first_in)
				fputc(',', to);
			first_in = false;
			json_str(dot + 1, (size_t)(sp - dot - 1), to);
			fputc(':', to);
			const char *v = sp + 1;
			size_t vl = (size_t)(l + n - v);
			bool num = vl > 0 && vl < 21;
			for (size_t i = 0; i < vl; i++)
				num = num && isdigit((unsigned char)v[i]);
			if (num)
				fwrite(v, 1, vl, to);
			else
				json_str(v, vl, to);
		}
		l += n;
		if (*l)
			l++;
	}
	if (any)
		fputc('}', to);
	fputs("}\n", to);
}

int ctl_function(const struct ctl_target *t, char *name, size_t len)
{
	char *log = csys_read_file(t->log, NULL);
	if (!log)
		return -errno;
	int rc = -ENOENT;
	for (char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		/* The banner: "nfbox: NAME image, ..." */
		if (strncmp(l, "nfbox: ", 7) == 0) {
			char *sp = strchr(l + 7, ' ');
			if (sp && strncmp(sp, " image,", 7) == 0) {
				snprintf(name, len, "%.*s", (int)(sp - l - 7), l + 7);
				rc = 0;
			}
		}
	}
	free(log);
	return rc;
}
