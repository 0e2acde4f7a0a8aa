/* SPDX-License-Identifier: MIT */
/*
 * hostsys.h - the host under a chain: running and spawning programs,
 * finding processes by their command line, small files, time, hugepages.
 * Prefix hostsys_ (not the dataplane's sys_: this is Linux, hosted only).
 */
#ifndef NFB_TOPOLOGY_HOSTSYS_H
#define NFB_TOPOLOGY_HOSTSYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Run argv (argv[0] from PATH), stdout into *out (malloc'd, may be NULL),
 * stderr to `errf` (NULL: into *out too).  Returns the exit status, or -1. */
int hostsys_run(char *const argv[], char **out, const char *errf);
/* Same with a printf-formatted argv built from a NULL-terminated list. */
int hostsys_runv(char **out, const char *errf, const char *arg0, ...) __attribute__((sentinel));
/* Start argv detached (new session), stdin from `in` (opened O_RDWR when a
 * FIFO, so it never sees EOF), stdout+stderr to `log`, pinned to `cpu`
 * (-1: not).  Returns the pid or -1. */
pid_t hostsys_spawn(char *const argv[], const char *in, const char *log, int cpu);
/* Processes whose command line mentions `needle` (ours excluded); fills
 * up to `max` pids, returns how many there are. */
int hostsys_find_procs(const char *needle, pid_t *pids, int max);
/* True if pid lives and its command line mentions `needle`. */
bool hostsys_pid_is(pid_t pid, const char *needle);
/* Read a pid file (0 if absent or stale). */
pid_t hostsys_read_pid(const char *path);
int hostsys_write_file(const char *path, const char *text);
char *hostsys_read_file(const char *path, size_t *len);
/* Print the last `lines` lines of a file to `to`, each indented by four
 * spaces (nothing if the file is missing or empty). */
void hostsys_tail_file(const char *path, int lines, FILE *to);
/* mkdir -p, mode 0755.  0 or -errno. */
int hostsys_mkdir_p(const char *dir);
double hostsys_now(void);
void hostsys_sleep_ms(unsigned ms);
/* Remove a directory tree (files and sockets only; refuses mount points). */
int hostsys_rmtree(const char *dir);
/* The nfbox executable that runs us. */
const char *hostsys_self_exe(void);
/* Whether the kernel keeps real-time tasks from taking a whole core
 * (kernel.sched_rt_runtime_us >= 0: 950000 of every 1000000 us by default). */
bool hostsys_rt_throttled(void);
/* Hugepages: make sure `mb` MiB of 2 MiB pages are free; returns how many
 * pages were added to nr_hugepages (to give back later), or -1. */
int hostsys_hugepages_ensure(unsigned mb, FILE *msg);
void hostsys_hugepages_release(int added);

#endif
