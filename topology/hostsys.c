/* SPDX-License-Identifier: MIT */
/* hostsys.c - processes, files and hugepages for `nfbox chain` (hostsys.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "topology/hostsys.h"

/* ---- running things ---------------------------------------------------------- */

int hostsys_run(char *const argv[], char **out, const char *errf)
{
	int pfd[2] = {-1, -1};
	if (out && pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		if (out)
			dup2(pfd[1], 1);
		else
			dup2(nul, 1);
		if (errf) {
			int e = open(errf, O_WRONLY | O_CREAT | O_APPEND, 0644);
			dup2(e >= 0 ? e : nul, 2);
		} else {
			dup2(out ? pfd[1] : nul, 2);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out) {
		close(pfd[1]);
		size_t len = 0, cap = 4096;
		char *buf = malloc(cap);
		for (;;) {
			if (len + 1024 > cap)
				buf = realloc(buf, cap *= 2);
			ssize_t n = read(pfd[0], buf + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		buf[len] = '\0';
		close(pfd[0]);
		*out = buf;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int hostsys_runv(char **out, const char *errf, const char *arg0, ...)
{
	char *argv[64];
	int n = 0;
	va_list ap;
	va_start(ap, arg0);
	for (const char *a = arg0; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	return hostsys_run(argv, out, errf);
}

pid_t hostsys_spawn(char *const argv[], const char *in, const char *log, int cpu)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	/* Double fork: the process is nobody's child once we exit, and never
	 * a zombie of ours while we wait. */
	pid_t mid = fork();
	if (mid < 0)
		return -1;
	if (mid == 0) {
		setsid();
		pid_t pid = fork();
		if (pid != 0) {
			ssize_t w = write(ready[1], &pid, sizeof(pid));
			(void)w;
			_exit(pid < 0);
		}
		signal(SIGPIPE, SIG_DFL);
		int fd = -1;
		if (in) {
			struct stat st;
			bool fifo = stat(in, &st) == 0 && S_ISFIFO(st.st_mode);
			fd = open(in, fifo ? O_RDWR : O_RDONLY);
		}
		if (fd < 0)
			fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		int lfd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(lfd, 1);
		dup2(lfd, 2);
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(ready[1]);
	pid_t pid = -1;
	if (read(ready[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	/* EOF once the process has exec'd (the pipe is close-on-exec): from
	 * then on its command line is its own. */
	char c;
	while (read(ready[0], &c, 1) > 0)
		;
	close(ready[0]);
	waitpid(mid, NULL, 0);
	return pid;
}

static bool cmdline_has(pid_t pid, const char *needle)
{
	char p[64], buf[8192];
	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false; /* gone, or a zombie */
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

bool hostsys_pid_is(pid_t pid, const char *needle)
{
	return pid > 0 && cmdline_has(pid, needle);
}

int hostsys_find_procs(const char *needle, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int n = 0;
	pid_t self = getpid();
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t pid = (pid_t)atoi(e->d_name);
		if (pid == self || !cmdline_has(pid, needle))
			continue;
		if (n < max)
			pids[n] = pid;
		n++;
	}
	closedir(d);
	return n;
}

pid_t hostsys_read_pid(const char *path)
{
	char *t = hostsys_read_file(path, NULL);
	if (!t)
		return 0;
	pid_t pid = (pid_t)atoi(t);
	free(t);
	if (pid <= 0 || kill(pid, 0) != 0)
		return 0;
	return pid;
}

int hostsys_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

char *hostsys_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t l = 0, cap = 4096;
	char *buf = malloc(cap);
	for (;;) {
		if (l + 1024 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(fd, buf + l, cap - l - 1);
		if (n <= 0)
			break;
		l += (size_t)n;
	}
	close(fd);
	buf[l] = '\0';
	if (len)
		*len = l;
	return buf;
}

void hostsys_tail_file(const char *path, int lines, FILE *to)
{
	size_t len;
	char *t = hostsys_read_file(path, &len);
	if (!t || !len) {
		free(t);
		return;
	}
	char *s = t + len;
	int n = 0;
	while (s > t && n <= lines)
		if (*--s == '\n')
			n++;
	if (*s == '\n')
		s++;
	for (char *l = s; *l;) {
		size_t m = strcspn(l, "\n");
		fprintf(to, "    %.*s\n", (int)m, l);
		l += m;
		if (*l)
			l++;
	}
	free(t);
}

int hostsys_mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *s = tmp + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(tmp, 0755);
			*s = '/';
		}
	return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

double hostsys_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void hostsys_sleep_ms(unsigned ms)
{
	struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

int hostsys_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct stat top;
	if (stat(dir, &top) < 0) {
		closedir(d);
		return -errno;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (st.st_dev != top.st_dev) {
				rc = -EBUSY; /* a mount point: never remove through it */
				continue;
			}
			int r = hostsys_rmtree(p);
			if (r)
				rc = r;
		} else if (unlink(p) < 0) {
			rc = -errno;
		}
	}
	closedir(d);
	if (rmdir(dir) < 0 && !rc)
		rc = -errno;
	return rc;
}

const char *hostsys_self_exe(void)
{
	static char exe[PATH_MAX];
	if (!exe[0]) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			strcpy(exe, "nfbox");
		else
			exe[n] = '\0';
	}
	return exe;
}

/* ---- hugepages ---------------------------------------------------------------- */

static long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static long read_nr(void)
{
	char *t = hostsys_read_file("/proc/sys/vm/nr_hugepages", NULL);
	long v = t ? atol(t) : -1;
	free(t);
	return v;
}

static int write_nr(long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%ld\n", v);
	return hostsys_write_file("/proc/sys/vm/nr_hugepages", buf);
}

int hostsys_hugepages_ensure(unsigned mb, FILE *msg)
{
	long size_kb = meminfo("Hugepagesize");
	if (size_kb <= 0) {
		fprintf(msg, "nfbox chain: this kernel has no hugepages\n");
		return -1;
	}
	/* DPDK takes a little more than socket-mem. */
	long need = ((long)mb * 1024 + size_kb - 1) / size_kb + 16;
	long free_p = meminfo("HugePages_Free");
	if (free_p >= need)
		return 0;
	long nr = read_nr();
	long add = need - free_p;
	if (nr < 0 || write_nr(nr + add) < 0) {
		fprintf(msg, "nfbox chain: cannot raise vm.nr_hugepages to %ld (needs root): %s\n",
			nr + add, strerror(errno));
		return -1;
	}
	long got = read_nr() - nr;
	if (meminfo("HugePages_Free") < need) {
		fprintf(msg, "nfbox chain: asked for %ld more hugepages, the kernel gave %ld\n", add, got);
		hostsys_hugepages_release((int)got);
		return -1;
	}
	fprintf(msg, "nfbox chain: hugepages: %ld x %ld kB added (vm.nr_hugepages %ld -> %ld)\n", got,
		size_kb, nr, nr + got);
	return (int)got;
}

void hostsys_hugepages_release(int added)
{
	if (added <= 0)
		return;
	/* Give back only pages nobody uses: others may have taken some since. */
	long free_p = meminfo("HugePages_Free");
	long give = free_p < added ? free_p : added;
	long nr = read_nr();
	if (give > 0 && nr >= give)
		write_nr(nr - give);
}

bool hostsys_rt_throttled(void)
{
	FILE *f = fopen("/proc/sys/kernel/sched_rt_runtime_us", "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v >= 0;
}
