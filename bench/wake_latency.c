/* SPDX-License-Identifier: MIT */
/*
 * wake_latency.c - latency of a sparse stream through a forwarder between
 * two host interfaces (the taps of an idle fwd image): what a frame pays
 * when it has to wake a halted image.
 *
 *   wake_latency --in IFACE_A --out IFACE_B [--count N] [--gap-ms G]
 *                [--label L] [--csv FILE]
 *
 * Sends N UDP frames (default 500), one every G ms (default 10), into
 * IFACE_A through an AF_PACKET socket and waits for each on IFACE_B; the
 * latency is CLOCK_MONOTONIC at receipt minus at send (kernel timestamps
 * would hide the sender's own syscall, ~a few us, from both ends alike).
 * Frames carry a sequence number and a magic; anything else seen on
 * IFACE_B (the host kernel's own frames) is ignored.  A frame not back
 * within 100 ms is lost.  Prints p50, p90, p99, max and losses; appends a
 * CSV row.  Needs root (raw sockets).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x6e66626f78776c31ull /* "nfboxwl1" */
#define FRAME_LEN 64

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int raw_socket(const char *ifname, int *ifindex)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		fprintf(stderr, "wake_latency: socket: %s (root needed)\n", strerror(errno));
		return -1;
	}
	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex) {
		fprintf(stderr, "wake_latency: no interface %s\n", ifname);
		close(fd);
		return -1;
	}
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = *ifindex};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "wake_latency: bind %s: %s\n", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Ethernet + IPv4 + UDP, payload: magic, sequence number. */
static void make_frame(uint8_t *f, uint32_t seq)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
	memset(f, 0, FRAME_LEN);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	uint16_t tot = htons(FRAME_LEN - 14);
	memcpy(ip + 2, &tot, 2);
	ip[8] = 64;
	ip[9] = 17;
	const uint8_t sa[4] = {10, 0, 0, 1}, da[4] = {10, 0, 0, 2};
	memcpy(ip + 12, sa, 4);
	memcpy(ip + 16, da, 4);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t cs = htons((uint16_t)~sum);
	memcpy(ip + 10, &cs, 2);
	uint8_t *udp = ip + 20;
	uint16_t sp = htons(9000), dp = htons(9001), ul = htons(FRAME_LEN - 34);
	memcpy(udp, &sp, 2);
	memcpy(udp + 2, &dp, 2);
	memcpy(udp + 4, &ul, 2);
	uint64_t m = MAGIC;
	memcpy(udp + 8, &m, 8);
	memcpy(udp + 16, &seq, 4);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL, *label = "wake", *csv = NULL;
	unsigned count = 500, gap_ms = 10;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "wake_latency: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--in"))
			in = v;
		else if (!strcmp(a, "--out"))
			out = v;
		else if (!strcmp(a, "--count"))
			count = (unsigned)atoi(v);
		else if (!strcmp(a, "--gap-ms"))
			gap_ms = (unsigned)atoi(v);
		else if (!strcmp(a, "--label"))
			label = v;
		else if (!strcmp(a, "--csv"))
			csv = v;
		else {
			fprintf(stderr, "wake_latency: unknown option %s\n", a);
			return 2;
		}
		i++;
	}
	if (!in || !out || !count) {
		fprintf(stderr, "usage: wake_latency --in IFACE --out IFACE [--count N] [--gap-ms G] "
				"[--label L] [--csv FILE]\n");
		return 2;
	}
	int in_idx, out_idx;
	int tx = raw_socket(in, &in_idx), rx = raw_socket(out, &out_idx);
	if (tx < 0 || rx < 0)
		return 1;
	uint64_t *lat = calloc(count, sizeof(*lat));
	if (!lat)
		return 1;
	unsigned got = 0, lost = 0;
	uint8_t frame[FRAME_LEN], buf[2048];
	for (uint32_t seq = 0; seq < count; seq++) {
		uint64_t next = now_ns() + (uint64_t)gap_ms * 1000000ull;
		make_frame(frame, seq);
		uint64_t t0 = now_ns();
		if (send(tx, frame, sizeof(frame), 0) != (ssize_t)sizeof(frame)) {
			fprintf(stderr, "wake_latency: send on %s: %s\n", in, strerror(errno));
			return 1;
		}
		bool back = false;
		while (!back) {
			uint64_t t = now_ns();
			if (t - t0 > 100000000ull)
				break;
			struct pollfd pf = {rx, POLLIN, 0};
			if (poll(&pf, 1, (int)((100000000ull - (t - t0)) / 1000000ull) + 1) <= 0)
				continue;
			ssize_t n = recv(rx, buf, sizeof(buf), 0);
			uint64_t t1 = now_ns();
			uint64_t m;
			uint32_t s;
			if (n < 54)
				continue;
			memcpy(&m, buf + 42, 8);
			memcpy(&s, buf + 50, 4);
			if (m == MAGIC && s == seq) {
				lat[got++] = t1 - t0;
				back = true;
			}
		}
		if (!back)
			lost++;
		for (uint64_t t = now_ns(); t < next; t = now_ns()) {
			struct timespec ts = {0, (long)(next - t)};
			nanosleep(&ts, NULL);
		}
	}
	if (!got) {
		fprintf(stderr, "wake_latency: none of %u frames came back on %s\n", count, out);
		return 1;
	}
	qsort(lat, got, sizeof(*lat), cmp_u64);
#define PCT(p) (lat[(size_t)((double)(got - 1) * (p))] / 1000)
	printf("%-24s %6u sent %6u back  p50 %6llu us  p90 %6llu us  p99 %6llu us  max %6llu us\n", label,
	       count, got, (unsigned long long)PCT(0.50), (unsigned long long)PCT(0.90),
	       (unsigned long long)PCT(0.99), (unsigned long long)(lat[got - 1] / 1000));
	if (csv) {
		FILE *f = fopen(csv, "a");
		if (f) {
			fprintf(f, "%s,%u,%u,%u,%llu,%llu,%llu,%llu\n", label, count, gap_ms, got,
				(unsigned long long)PCT(0.50), (unsigned long long)PCT(0.90),
				(unsigned long long)PCT(0.99), (unsigned long long)(lat[got - 1] / 1000));
			fclose(f);
		}
	}
	if (lost)
		printf("%-24s %u of %u frames not back within 100 ms\n", label, lost, count);
	free(lat);
	return 0;
}
