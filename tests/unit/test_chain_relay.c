/* SPDX-License-Identifier: MIT */
/*
 * test_chain_relay.c - the control socket of `nfbox run` (topology/relay.c):
 * who may listen where, stale and live sockets, and a client that shuts
 * down its sending side after its request still getting the answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "topology/ctl.h"
#include "topology/relay.h"

static char dir[48], sock[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/review-relay-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof(sock), "%s/t.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(sock);
	chmod(dir, 0700);
	return rmdir(dir);
}

/* One turn of nfbox run's loop for the relay; returns the revents seen. */
static short turn(struct relay *r, int console_fd)
{
	struct pollfd pf;
	relay_pollfd(r, &pf);
	int n = poll(&pf, 1, 200);
	assert_true(n >= 0);
	relay_handle(r, n ? pf.revents : 0, console_fd);
	return n ? pf.revents : 0;
}

static void test_half_closed_client_gets_its_answer(void **state)
{
	(void)state;
	struct relay r;
	char err[256];
	int console[2];
	assert_int_equal(pipe(console), 0);
	assert_int_equal(relay_listen(&r, sock, err, sizeof(err)), 0);
	int c = ctl_connect(sock);
	assert_true(c >= 0);
	turn(&r, console[1]); /* accept */
	assert_true(r.cfd >= 0);
	assert_int_equal(send(c, "stats N1\n", 9, 0), 9);
	assert_int_equal(shutdown(c, SHUT_WR), 0);
	turn(&r, console[1]); /* the request */
	turn(&r, console[1]); /* its end of file */
	char got[64] = "";
	assert_int_equal(read(console[0], got, sizeof(got)), 9);
	assert_memory_equal(got, "stats N1\n", 9);
	assert_true(r.cfd >= 0); /* still there for the answer */
	relay_output(&r, "end N1\n", 7);
	memset(got, 0, sizeof(got));
	assert_int_equal(read(c, got, sizeof(got)), 7);
	assert_string_equal(got, "end N1\n");
	/* Gone altogether: dropped, and the next client is accepted. */
	close(c);
	turn(&r, console[1]);
	assert_int_equal(r.cfd, -1);
	int c2 = ctl_connect(sock);
	assert_true(c2 >= 0);
	turn(&r, console[1]);
	assert_true(r.cfd >= 0);
	close(c2);
	relay_close(&r);
	close(console[0]);
	close(console[1]);
}

static void test_socket_private_from_the_start(void **state)
{
	(void)state;
	struct relay r;
	char err[256];
	mode_t old = umask(0);
	int rc = relay_listen(&r, sock, err, sizeof(err));
	umask(old);
	assert_int_equal(rc, 0);
	struct stat st;
	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A live socket is refused... */
	struct relay r2;
	assert_int_equal(relay_listen(&r2, sock, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use"));
	relay_close(&r);
	/* ...a stale one (nobody listens) replaced. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(relay_listen(&r, sock, err, sizeof(err)), 0);
	relay_close(&r);
}

static void test_directory_others_may_write_is_refused(void **state)
{
	(void)state;
	struct relay r;
	char err[256] = "";
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(relay_listen(&r, sock, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a private directory"));
	assert_int_equal(access(sock, F_OK), -1);
	/* Sticky (like /tmp): others cannot remove or rename our socket. */
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(relay_listen(&r, sock, err, sizeof(err)), 0);
	relay_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_half_closed_client_gets_its_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_private_from_the_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_others_may_write_is_refused, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
