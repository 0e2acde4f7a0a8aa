/* SPDX-License-Identifier: MIT */
/*
 * ctl.c - the image's serial console as a control channel (client).
 *
 * The image reads command lines on its serial port (control/proto.h: "stats
 * [NONCE]", "end NONCE", "quit", "reload ...").  `nfbox run --control SOCK`
 * (or --name NAME) relays a unix socket to that port (relay.c): a
 * client connects, writes its lines and reads what the console prints from
 * then on.  The console has no framing and carries other output too (boot
 * lines, warnings), so a request ends with "end NONCE" (or is "stats
 * NONCE"), and the answer is everything before the image's "end NONCE"
 * line, a nonce nothing else prints.  Clients of one image are served one
 * at a time by the relay.  Cost: the image looks at its serial port every
 * 10 ms (at once when idle), 64 bytes each time, so a request takes 10-30 ms.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topology/chain.h"
#include "topology/ctl.h"
#include "topology/hostsys.h"

static bool is_socket(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The control socket of `nfbox run` PID, from its command line (--control
 * SOCK made absolute with its cwd, or --name NAME as we resolve names). */
static int pid_sock(pid_t pid, char *sock, size_t len)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	size_t n;
	char *cl = hostsys_read_file(p, &n);
	if (!cl || !n) {
		free(cl);
		return -ESRCH;
	}
	int rc = -ENOENT;
	bool is_run = false;
	for (char *a = cl; a < cl + n; a += strlen(a) + 1) {
		const char *v = a + strlen(a) + 1 < cl + n ? a + strlen(a) + 1 : NULL;
		if (strcmp(a, "run") == 0)
			is_run = true;
		if (!is_run || !v)
			continue;
		if (strcmp(a, "--name") == 0)
			rc = ctl_name_path(v, sock, len);
		else if (strcmp(a, "--control") == 0) {
			rc = -ENAMETOOLONG;
			if (v[0] == '/') {
				if (snprintf(sock, len, "%s", v) < (int)len)
					rc = 0;
			} else {
				char cwd[PATH_MAX], l[64];
				snprintf(l, sizeof(l), "/proc/%d/cwd", (int)pid);
				ssize_t m = readlink(l, cwd, sizeof(cwd) - 1);
				if (m > 0) {
					cwd[m] = '\0';
					if (snprintf(sock, len, "%s/%s", cwd, v) < (int)len)
						rc = 0;
				}
			}
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
	/* 1. A socket path (may contain ':'). */
	if (strchr(target, '/') && is_socket(target)) {
		if (strlen(target) >= sizeof(t->sock)) {
			fprintf(stderr, "%s: socket path too long: %s\n", prog, target);
			return -1;
		}
		snprintf(t->sock, sizeof(t->sock), "%s", target);
		snprintf(t->label, sizeof(t->label), "%s", target);
		return 0;
	}
	/* 2. The pid of an `nfbox run`. */
	if (digits) {
		pid_t pid = (pid_t)atoi(target);
		int rc = pid_sock(pid, t->sock, sizeof(t->sock));
		if (rc == -ESRCH) {
			fprintf(stderr, "%s: no process %s\n", prog, target);
			return -1;
		}
		if (rc == -EINVAL) {
			fprintf(stderr, "%s: process %s is not 'nfbox run'\n", prog, target);
			return -1;
		}
		if (rc) {
			fprintf(stderr, "%s: 'nfbox run' %s has no control socket (start it with "
					"--name NAME or --control SOCK)\n", prog, target);
			return -1;
		}
		t->pid = pid;
		snprintf(t->label, sizeof(t->label), "nfbox run %d", (int)pid);
		if (!is_socket(t->sock)) {
			fprintf(stderr, "%s: %s: its control socket %s is gone\n", prog, t->label, t->sock);
			return -1;
		}
		return 0;
	}
	/* 3. CHAINFILE:NAME. */
	if (colon) {
		if (colon == target || !colon[1]) {
			fprintf(stderr, "%s: TARGET is NAME, SOCKET, PID or CHAINFILE:NAME, not '%s'\n",
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
		if (snprintf(t->sock, sizeof(t->sock), "%s/%s.ctl", p.dir, name) >= (int)sizeof(t->sock)) {
			fprintf(stderr, "%s: run directory path too long for a socket: %s\n", prog, p.dir);
			return -1;
		}
		snprintf(t->label, sizeof(t->label), "%s", name);
		char pidf[400];
		snprintf(pidf, sizeof(pidf), "%s/%s.pid", p.dir, name);
		t->pid = hostsys_read_pid(pidf);
		if (!t->pid && !is_socket(t->sock)) {
			fprintf(stderr, "%s: no image '%s' in chain %s (is it up? 'nfbox chain status %s')\n",
				prog, name, file, file);
			return -1;
		}
		if (!t->pid || !hostsys_pid_is(t->pid, p.dir) || !is_socket(t->sock)) {
			fprintf(stderr, "%s: image '%s' of chain %s is not running\n", prog, name, file);
			return -1;
		}
		return 0;
	}
	/* 4. The name given to `nfbox run --name`. */
	int rc = ctl_name_path(target, t->sock, sizeof(t->sock));
	if (rc == -EINVAL) {
		fprintf(stderr, "%s: TARGET is NAME, SOCKET, PID or CHAINFILE:NAME, not '%s'\n", prog,
			target);
		return -1;
	}
	if (rc || !is_socket(t->sock)) {
		fprintf(stderr, "%s: no image named '%s' (no socket %s; started with 'nfbox run "
				"--name %s'?)\n", prog, target, t->sock, target);
		return -1;
	}
	snprintf(t->label, sizeof(t->label), "%s", target);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ctl_quit(const char *sock)
{
	int fd = ctl_connect(sock);
	if (fd < 0)
		return fd;
	int rc = write_all(fd, "\nquit\n", 6);
	close(fd);
	return rc;
}

int ctl_exchange(const struct ctl_target *t, const char *lines, const char *last, char **out,
		 unsigned timeout_ms)
{
	int fd = ctl_connect(t->sock);
	if (fd < 0)
		return fd == -ECONNREFUSED || fd == -ENOENT ? -EPIPE : fd;
	/* Unguessable enough that no other output (and no earlier client's
	 * answer) carries it. */
	char nonce[24];
	unsigned long r = 0;
	int u = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (u < 0 || read(u, &r, sizeof(r)) != (ssize_t)sizeof(r))
		r = (unsigned long)getpid() * 2654435761u ^ (unsigned long)(hostsys_now() * 1e6);
	if (u >= 0)
		close(u);
	snprintf(nonce, sizeof(nonce), "%016lx", r);
	/* A leading newline ends any half-typed line (an empty line is ignored). */
	size_t ll = strlen(lines);
	char *req = malloc(ll + 64);
	if (!req) {
		close(fd);
		return -ENOMEM;
	}
	int rl = sprintf(req, "\n%s%s %s\n", lines, last, nonce);
	int rc = write_all(fd, req, (size_t)rl);
	free(req);

	char endl[40];
	int el = snprintf(endl, sizeof(endl), "end %s", nonce);
	size_t len = 0, cap = 8192;
	char *buf = malloc(cap);
	/* timeout_ms without a byte is a wedged image; an answer that keeps
	 * coming (10,000 rule counters, ~1 MiB through the console) may take
	 * longer, up to a minute more. */
	double now = hostsys_now(), end = now + timeout_ms / 1000.0, cap_end = end + 60.0;
	char *hit = NULL;
	size_t scanned = 0; /* the end line cannot start before here */
	while (!rc && buf) {
		buf[len] = '\0';
		/* The end line, at the start of a line and whole. */
		for (char *h = strstr(buf + scanned, endl); h; h = strstr(h + 1, endl))
			if ((h == buf || h[-1] == '\n') && (h[el] == '\r' || h[el] == '\n')) {
				hit = h;
				break;
			}
		if (hit)
			break;
		scanned = len > (size_t)el + 1 ? len - (size_t)el - 1 : 0;
		double left = (end < cap_end ? end : cap_end) - hostsys_now();
		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		struct pollfd pf = {fd, POLLIN, 0};
		int pr = poll(&pf, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -EPIPE; /* nfbox run ended (or dropped us) */
			break;
		}
		len += (size_t)n;
		end = hostsys_now() + timeout_ms / 1000.0;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	if (rc) {
		free(buf);
		return rc;
	}
	*hit = '\0';
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
	int rc = ctl_exchange(t, "", "stats", &raw, timeout_ms);
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

int ctl_stat_str(const char *text, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, kl) == 0 && l[kl] == ' ') {
			snprintf(buf, len, "%.*s", (int)strcspn(l + kl + 1, "\r\n"), l + kl + 1);
			return 0;
		}
	return -1;
}

const char *ctl_strerror(int rc)
{
	return rc == -ETIMEDOUT ? "no answer from the image's console"
	       : rc == -EPIPE	? "the image is not running"
				: strerror(-rc);
}

void ctl_perror(const char *prog, const struct ctl_target *t, int rc, unsigned timeout_ms,
		const char *then)
{
	if (rc == -ETIMEDOUT)
		fprintf(stderr, "%s: %s: no answer from the image's console in %.1f s (is it wedged?)%s%s\n",
			prog, t->label, timeout_ms / 1000.0, then ? "; " : "", then ? then : "");
	else
		fprintf(stderr, "%s: %s: %s%s%s\n", prog, t->label, ctl_strerror(rc), then ? "; " : "",
			then ? then : "");
}
