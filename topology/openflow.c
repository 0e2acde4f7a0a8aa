/* SPDX-License-Identifier: MIT */
/*
 * openflow.c - just enough OpenFlow 1.0 to inject frames and read port
 * counters over the bridge's management socket (BRIDGE.mgmt, the socket
 * ovs-ofctl uses).  OpenFlow 1.0 spec sections in comments; all fields are
 * big-endian.
 *
 * Frames are injected with PACKET_OUT whose one action is OUTPUT:TABLE, so
 * they go through the flow table as if they had arrived on `in_port`:
 * exactly the steering a frame from the source port gets.  The switch
 * handles messages of one connection in order, so frames enter the chain in
 * the order they are sent.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "topology/openflow.h"

#define OFP_VERSION 0x01
enum {
	OFPT_HELLO = 0,
	OFPT_ERROR = 1,
	OFPT_ECHO_REQUEST = 2,
	OFPT_ECHO_REPLY = 3,
	OFPT_PACKET_OUT = 13,
	OFPT_STATS_REQUEST = 16,
	OFPT_STATS_REPLY = 17,
	OFPT_BARRIER_REQUEST = 18,
	OFPT_BARRIER_REPLY = 19,
};
#define OFPP_TABLE 0xfff9
#define OFPP_NONE 0xffff
#define OFPST_PORT 4
#define OFPSF_REPLY_MORE 1
#define OF_TIMEOUT_MS 5000

struct of_conn {
	int fd;
	uint32_t xid;
	char *err;
	size_t errlen;
};

struct ofp_header {
	uint8_t version, type;
	uint16_t length;
	uint32_t xid;
} __attribute__((packed));
_Static_assert(sizeof(struct ofp_header) == 8, "OpenFlow header is 8 bytes (1.0 sec 5.1)");

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;
	while (len) {
		struct pollfd pf = {fd, POLLIN, 0};
		int r = poll(&pf, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_msg(struct of_conn *c, uint8_t type, uint32_t xid, const void *body, size_t blen)
{
	uint8_t buf[8 + 2048];
	struct ofp_header h = {OFP_VERSION, type, htobe16((uint16_t)(8 + blen)), htobe32(xid)};
	if (blen > sizeof(buf) - 8)
		return -EMSGSIZE;
	memcpy(buf, &h, 8);
	if (blen)
		memcpy(buf + 8, body, blen);
	return write_all(c->fd, buf, 8 + blen);
}

/* Read one message; answers echo requests itself.  *body is malloc'd. */
static int recv_msg(struct of_conn *c, struct ofp_header *h, uint8_t **body, size_t *blen)
{
	for (;;) {
		int rc = read_all(c->fd, h, 8, OF_TIMEOUT_MS);
		if (rc)
			return rc;
		size_t len = be16toh(h->length);
		if (len < 8)
			return -EPROTO;
		*blen = len - 8;
		*body = malloc(*blen + 1);
		if (*blen && (rc = read_all(c->fd, *body, *blen, OF_TIMEOUT_MS))) {
			free(*body);
			return rc;
		}
		if (h->type == OFPT_ECHO_REQUEST) {
			send_msg(c, OFPT_ECHO_REPLY, be32toh(h->xid), *body, *blen);
			free(*body);
			continue;
		}
		if (h->type == OFPT_ERROR && *blen >= 4) {
			/* 1.0 sec 5.4.4: type, code, then the start of the request. */
			snprintf(c->err, c->errlen, "OpenFlow error type %u code %u",
				 (*body)[0] << 8 | (*body)[1], (*body)[2] << 8 | (*body)[3]);
		}
		return 0;
	}
}

struct of_conn *of_open(const char *mgmt_sock, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(mgmt_sock) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", mgmt_sock);
		return NULL;
	}
	strcpy(sa.sun_path, mgmt_sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", mgmt_sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct of_conn *c = calloc(1, sizeof(*c));
	c->fd = fd;
	c->xid = 1;
	c->err = err;
	c->errlen = errlen;
	err[0] = '\0';
	/* 1.0 sec 6.3.1: both sides send HELLO; the lower version wins. */
	if (send_msg(c, OFPT_HELLO, c->xid++, NULL, 0) < 0)
		goto fail;
	struct ofp_header h;
	uint8_t *body;
	size_t blen;
	if (recv_msg(c, &h, &body, &blen) < 0) {
		snprintf(err, errlen, "no OpenFlow HELLO from %s", mgmt_sock);
		goto fail;
	}
	free(body);
	if (h.type != OFPT_HELLO) {
		snprintf(err, errlen, "%s: expected HELLO, got message type %u", mgmt_sock, h.type);
		goto fail;
	}
	return c;
fail:
	if (!err[0])
		snprintf(err, errlen, "%s: %s", mgmt_sock, strerror(errno));
	close(fd);
	free(c);
	return NULL;
}

void of_close(struct of_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

int of_packet_out(struct of_conn *c, uint16_t in_port, const void *frame, size_t len)
{
	/* 1.0 sec 5.3.6: buffer_id, in_port, actions_len, actions, data. */
	uint8_t body[16 + 2048];
	if (len > 2048)
		return -EMSGSIZE;
	uint32_t buffer_id = htobe32(0xffffffffu);
	uint16_t port = htobe16(in_port), alen = htobe16(8);
	memcpy(body, &buffer_id, 4);
	memcpy(body + 4, &port, 2);
	memcpy(body + 6, &alen, 2);
	/* ofp_action_output: type OUTPUT(0), len 8, port TABLE, max_len 0 */
	uint16_t act[4] = {htobe16(0), htobe16(8), htobe16(OFPP_TABLE), 0};
	memcpy(body + 8, act, 8);
	memcpy(body + 16, frame, len);
	return send_msg(c, OFPT_PACKET_OUT, c->xid++, body, 16 + len);
}

int of_barrier(struct of_conn *c)
{
	uint32_t xid = c->xid++;
	int rc = send_msg(c, OFPT_BARRIER_REQUEST, xid, NULL, 0);
	if (rc)
		return rc;
	for (;;) {
		struct ofp_header h;
		uint8_t *body;
		size_t blen;
		if ((rc = recv_msg(c, &h, &body, &blen)))
			return rc;
		free(body);
		if (h.type == OFPT_BARRIER_REPLY && be32toh(h.xid) == xid)
			return 0;
	}
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	v = be64toh(v);
	return v == UINT64_MAX ? 0 : v; /* "not supported" reads as 0 */
}

int of_port_stats(struct of_conn *c, struct of_port_stats *ps, int max)
{
	/* 1.0 sec 5.3.5: ofp_stats_request {type PORT, flags}, body
	 * ofp_port_stats_request {port_no NONE = all, pad[6]}. */
	uint8_t req[12] = {0};
	uint16_t t = htobe16(OFPST_PORT), all = htobe16(OFPP_NONE);
	memcpy(req, &t, 2);
	memcpy(req + 4, &all, 2);
	uint32_t xid = c->xid++;
	int rc = send_msg(c, OFPT_STATS_REQUEST, xid, req, sizeof(req));
	if (rc)
		return rc;
	int n = 0;
	for (;;) {
		struct ofp_header h;
		uint8_t *body;
		size_t blen;
		if ((rc = recv_msg(c, &h, &body, &blen)))
			return rc;
		if (be32toh(h.xid) != xid || (h.type != OFPT_STATS_REPLY && h.type != OFPT_ERROR)) {
			free(body);
			continue;
		}
		if (h.type == OFPT_ERROR) {
			free(body);
			return -EPROTO;
		}
		uint16_t flags = blen >= 4 ? (uint16_t)(body[2] << 8 | body[3]) : 0;
		/* ofp_port_stats: 104 bytes each. */
		for (size_t o = 4; o + 104 <= blen; o += 104) {
			if (n >= max)
				break;
			const uint8_t *p = body + o;
			struct of_port_stats *s = &ps[n++];
			s->port = (uint16_t)(p[0] << 8 | p[1]);
			s->rx_packets = get64(p + 8);
			s->tx_packets = get64(p + 16);
			s->rx_bytes = get64(p + 24);
			s->tx_bytes = get64(p + 32);
			s->rx_dropped = get64(p + 40);
			s->tx_dropped = get64(p + 48);
		}
		free(body);
		if (!(flags & OFPSF_REPLY_MORE))
			return n;
	}
}

const struct of_port_stats *of_find_port(const struct of_port_stats *ps, int n, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (ps[i].port == port)
			return &ps[i];
	return NULL;
}

int of_ports(struct of_conn *c, struct of_port_desc *pd, int max)
{
	/* 1.0 sec 5.3.1: FEATURES_REQUEST (5) -> FEATURES_REPLY (6): 24 bytes,
	 * then ofp_phy_port[] of 48 bytes: port_no, hw_addr[6], name[16],
	 * config, state, ... */
	uint32_t xid = c->xid++;
	int rc = send_msg(c, 5, xid, NULL, 0);
	if (rc)
		return rc;
	for (;;) {
		struct ofp_header h;
		uint8_t *body;
		size_t blen;
		if ((rc = recv_msg(c, &h, &body, &blen)))
			return rc;
		if (h.type != 6 || be32toh(h.xid) != xid) {
			free(body);
			continue;
		}
		int n = 0;
		for (size_t o = 24; o + 48 <= blen && n < max; o += 48) {
			const uint8_t *p = body + o;
			struct of_port_desc *d = &pd[n++];
			uint32_t config, state;
			d->port = (uint16_t)(p[0] << 8 | p[1]);
			memcpy(d->name, p + 8, 16);
			d->name[16] = '\0';
			memcpy(&config, p + 24, 4);
			memcpy(&state, p + 28, 4);
			/* OFPPC_PORT_DOWN and OFPPS_LINK_DOWN are bit 0 of each. */
			d->link_up = !(be32toh(config) & 1) && !(be32toh(state) & 1);
		}
		free(body);
		return n;
	}
}
