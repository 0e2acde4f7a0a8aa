/* SPDX-License-Identifier: MIT */
/*
 * nfbox metrics --listen ADDR:PORT TARGET... - a Prometheus exporter: each
 * GET /metrics asks every target for its counters over its control socket
 * (as `nfbox stats` does) and answers them in the text exposition format
 * (tools/prom.h has the names and labels).  A target that does not answer
 * is nfbox_up 0, never an error page: Prometheus keeps scraping the rest.
 *
 * One request at a time, HTTP/1.0 style (Connection: close): a scrape every
 * few seconds is the whole load, and a second scraper waits its turn
 * instead of asking the images twice at once.  --once prints one scrape to
 * stdout instead (node_exporter's textfile collector, tests).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tools/cmd.h"
#include "tools/opts.h"
#include "tools/prom.h"
#include "topology/ctl.h"

#define PROG "nfbox metrics"
#define REQ_MAX 8192
#define REQ_TIMEOUT_MS 2000

struct metrics_args {
	const char *listen;
	bool once;
	unsigned timeout_ms;
};

static const struct opt metrics_opt[] = {
	OPT_STRING("--listen", struct metrics_args, listen, "ADDR:PORT",
		   "serve /metrics here (':9464' every address; port 0: picked, printed)"),
	OPT_FLAG("--once", struct metrics_args, once, "print one scrape to stdout and exit"),
	OPT_CUSTOM("--timeout", struct metrics_args, timeout_ms, opts_seconds_ms, OPTS_SECONDS_WANT,
		   "S", "how long to wait for each target (default 2)"),
	OPT_END,
};

static const struct opts metrics_opts = {
	.prog = PROG,
	.usage = "usage: nfbox metrics --listen ADDR:PORT TARGET... [--timeout S]\n"
		 "       nfbox metrics --once TARGET...\n\n"
		 "Serve the counters of running images at http://ADDR:PORT/metrics in\n"
		 "Prometheus' text format: counters nfbox_*_total, levels as gauges,\n"
		 "labels target, function, port, reason, rule, vip, address; nfbox_up\n"
		 "says which targets answered.  TARGET as for 'nfbox stats': NAME,\n"
		 "SOCKET, PID or CHAINFILE:NAME.\n",
	.opt = metrics_opt,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One scrape of every target into a malloc'd text. */
static char *scrape(char **targets, int n, unsigned timeout_ms, size_t *len)
{
	struct prom_set *s = prom_new();
	for (int i = 0; i < n; i++) {
		double t0 = now_s();
		struct ctl_target t;
		char *text = NULL;
		int up = 0;
		if (ctl_resolve(PROG, targets[i], &t) == 0) {
			int rc = ctl_stats(&t, &text, timeout_ms);
			if (rc == 0 && text[0])
				up = 1;
			else if (rc)
				ctl_perror(PROG, &t, rc, timeout_ms, NULL);
		}
		prom_add_up(s, targets[i], up, now_s() - t0);
		if (up)
			prom_add_stats(s, targets[i], text);
		free(text);
	}
	char *out = NULL;
	FILE *f = open_memstream(&out, len);
	if (!f) {
		perror(PROG);
		exit(1);
	}
	prom_write(s, f);
	fclose(f);
	prom_free(s);
	return out;
}

/* ADDR:PORT, [V6]:PORT or :PORT into a listening socket; -1 with a message. */
static int listen_on(const char *spec)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
		fprintf(stderr, PROG ": --listen '%s': want ADDR:PORT, [IPV6]:PORT or :PORT\n", spec);
		return -1;
	}
	size_t hl = (size_t)(colon - spec);
	if (hl >= sizeof(host)) {
		fprintf(stderr, PROG ": --listen '%s': address too long\n", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	char *h = host;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		h = host + 1;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *ai;
	int rc = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &ai);
	if (rc) {
		fprintf(stderr, PROG ": --listen '%s': %s\n", spec, gai_strerror(rc));
		return -1;
	}
	int fd = -1, err = 0;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 16) < 0) {
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		fprintf(stderr, PROG ": cannot listen on %s: %s\n", spec, strerror(err));
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the scraper went away: nothing to keep */
		p += w;
		n -= (size_t)w;
	}
}

static void reply(int fd, const char *status, const char *type, const char *body, size_t len,
		  bool head)
{
	char h[256];
	int n = snprintf(h, sizeof(h),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);
	send_all(fd, h, (size_t)n);
	if (!head)
		send_all(fd, body, len);
}

/* Read the request head (up to the blank line) within REQ_TIMEOUT_MS. */
static int read_request(int fd, char *buf, size_t len)
{
	size_t got = 0;
	double end = now_s() + REQ_TIMEOUT_MS / 1000.0;
	while (got + 1 < len) {
		int left = (int)((end - now_s()) * 1000);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		ssize_t r = recv(fd, buf + got, len - 1 - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	return -1;
}

static void serve_one(int cfd, char **targets, int n, unsigned timeout_ms)
{
	char req[REQ_MAX], method[16], path[1024];
	static const char text[] = "text/plain; charset=utf-8";
	if (read_request(cfd, req, sizeof(req)) < 0 ||
	    sscanf(req, "%15s %1023s", method, path) != 2) {
		reply(cfd, "400 Bad Request", text, "bad request\n", 12, false);
		return;
	}
	bool head = strcmp(method, "HEAD") == 0;
	if (!head && strcmp(method, "GET") != 0) {
		reply(cfd, "405 Method Not Allowed", text, "GET /metrics\n", 13, false);
		return;
	}
	path[strcspn(path, "?")] = '\0';
	if (strcmp(path, "/metrics") == 0) {
		size_t len;
		char *body = scrape(targets, n, timeout_ms, &len);
		reply(cfd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, len, head);
		free(body);
	} else if (strcmp(path, "/") == 0) {
		static const char idx[] = "nfbox metrics: the counters are at /metrics\n";
		reply(cfd, "200 OK", text, idx, sizeof(idx) - 1, head);
	} else {
		reply(cfd, "404 Not Found", text, "not found: try /metrics\n", 24, head);
	}
}

static int run_metrics(int argc, char **argv)
{
	struct metrics_args a = {.timeout_ms = 2000};
	int npos;
	enum opts_result r = opts_parse(&metrics_opts, &a, argc, argv, &npos);
	if (r != OPTS_OK)
		return opts_status(r);
	if (npos == 0) {
		fprintf(stderr, PROG ": which images? one or more TARGETs (NAME, SOCKET, PID or "
				"CHAINFILE:NAME)\n");
		return 2;
	}
	if (!a.once && !a.listen) {
		fprintf(stderr, PROG ": --listen ADDR:PORT (or --once)\n");
		return 2;
	}
	char **targets = argv + 1;
	if (a.once) {
		size_t len;
		char *body = scrape(targets, npos, a.timeout_ms, &len);
		fwrite(body, 1, len, stdout);
		free(body);
		return 0;
	}
	int lfd = listen_on(a.listen);
	if (lfd < 0)
		return 1;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* The address really bound: with port 0 the kernel picked one. */
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
	if (getsockname(lfd, (struct sockaddr *)&ss, &sl) == 0)
		getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), port, sizeof(port),
			    NI_NUMERICHOST | NI_NUMERICSERV);
	bool v6 = ss.ss_family == AF_INET6;
	fprintf(stderr, PROG ": serving http://%s%s%s:%s/metrics for %d target%s\n", v6 ? "[" : "", h,
		v6 ? "]" : "", port, npos, npos == 1 ? "" : "s");
	while (!stop) {
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0)
			continue; /* EINTR: a signal; the loop looks at stop */
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		serve_one(cfd, targets, npos, a.timeout_ms);
		close(cfd);
	}
	close(lfd);
	return 0;
}

static const struct nfbox_cmd metrics_cmd = {
	.name = "metrics",
	.summary = "a Prometheus exporter of running images' counters",
	.opts = &metrics_opts,
	.run = run_metrics,
};
CMD_REGISTER(metrics_cmd);
