/*
 * test_msg.c: channel framing: messages survive any split of the byte
 * stream, getters refuse to read past the payload, corrupt lengths are
 * detected, queues flush over a real socketpair.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "msg.h"
#include "util.h"
#include "unit.h"

static void
build(struct buf *stream, uint32_t type, const char *s, uint64_t v)
{
	struct msg_out m;

	msg_create(&m, type, 7);
	msg_add_str(&m, s);
	msg_add_u64(&m, v);
	msg_add_str(&m, NULL);
	msg_add_data(&m, "\0\1\2", 3);
	ck_assert_int_eq(msg_close(&m), 0);
	ck_assert_int_eq(buf_add(stream, m.b.data, m.b.len), 0);
	msg_discard(&m);
}

static void
check_msg(struct msg_in *m, uint32_t type, const char *s, uint64_t v)
{
	const unsigned char *data;
	size_t len;

	ck_assert_uint_eq(m->hdr.type, type);
	ck_assert_uint_eq(m->hdr.peer, 7);
	ck_assert_uint_eq(m->hdr.pid, (uint32_t)getpid());
	ck_assert_str_eq(msg_get_str(m), s);
	ck_assert_uint_eq(msg_get_u64(m), v);
	ck_assert_ptr_null(msg_get_str(m));
	data = msg_get_data(m, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(data, "\0\1\2", 3), 0);
	ck_assert_int_eq(msg_end(m), 0);
}

START_TEST(round_trip_with_every_split)
{
	struct buf stream;
	struct msgin in;
	struct msg_in m;
	size_t k, got;

	buf_init(&stream, 0);
	build(&stream, 1, "first", 42);
	build(&stream, 2, "second message", UINT64_MAX);
	for (k = 0; k <= stream.len; k++) {
		msgin_init(&in);
		got = 0;
		ck_assert_int_eq(msgin_feed(&in, stream.data, k), 0);
		while (msgin_next(&in, &m) == 1) {
			check_msg(&m, got == 0 ? 1 : 2, got == 0 ? "first" :
			    "second message", got == 0 ? 42 : UINT64_MAX);
			got++;
		}
		ck_assert_int_eq(msgin_feed(&in, stream.data + k,
		    stream.len - k), 0);
		while (msgin_next(&in, &m) == 1) {
			check_msg(&m, got == 0 ? 1 : 2, got == 0 ? "first" :
			    "second message", got == 0 ? 42 : UINT64_MAX);
			got++;
		}
		ck_assert_uint_eq(got, 2);
		msgin_free(&in);
	}
	buf_free(&stream);
}
END_TEST

START_TEST(byte_by_byte)
{
	struct buf stream;
	struct msgin in;
	struct msg_in m;
	size_t i, got = 0;

	buf_init(&stream, 0);
	build(&stream, 5, "x", 1);
	msgin_init(&in);
	for (i = 0; i < stream.len; i++) {
		ck_assert_int_eq(msgin_next(&in, &m), 0);
		msgin_feed(&in, stream.data + i, 1);
	}
	while (msgin_next(&in, &m) == 1)
		got++;
	ck_assert_uint_eq(got, 1);
	msgin_free(&in);
	buf_free(&stream);
}
END_TEST

START_TEST(reading_past_the_payload_marks_the_message_bad)
{
	struct msg_out o;
	struct msgin in;
	struct msg_in m;

	msg_create(&o, 3, 0);
	msg_add_u32(&o, 9);
	ck_assert_int_eq(msg_close(&o), 0);
	msgin_init(&in);
	msgin_feed(&in, o.b.data, o.b.len);
	msg_discard(&o);
	ck_assert_int_eq(msgin_next(&in, &m), 1);
	ck_assert_uint_eq(msg_get_u32(&m), 9);
	ck_assert_uint_eq(msg_get_u64(&m), 0);
	ck_assert_int_eq(m.bad, 1);
	ck_assert_int_eq(msg_end(&m), -1);
	msgin_free(&in);
}
END_TEST

START_TEST(unread_bytes_fail_msg_end)
{
	struct msg_out o;
	struct msgin in;
	struct msg_in m;

	msg_create(&o, 3, 0);
	msg_add_u32(&o, 1);
	msg_add_u32(&o, 2);
	msg_close(&o);
	msgin_init(&in);
	msgin_feed(&in, o.b.data, o.b.len);
	msg_discard(&o);
	ck_assert_int_eq(msgin_next(&in, &m), 1);
	msg_get_u32(&m);
	ck_assert_int_eq(msg_end(&m), -1);
	msgin_free(&in);
}
END_TEST

START_TEST(string_length_beyond_payload_is_bad)
{
	struct msg_out o;
	struct msgin in;
	struct msg_in m;

	msg_create(&o, 3, 0);
	msg_add_u32(&o, 1000);	/* claims a 1000-byte string */
	msg_add_u32(&o, 0x41414141);
	msg_close(&o);
	msgin_init(&in);
	msgin_feed(&in, o.b.data, o.b.len);
	msg_discard(&o);
	ck_assert_int_eq(msgin_next(&in, &m), 1);
	ck_assert_ptr_null(msg_get_str(&m));
	ck_assert_int_eq(m.bad, 1);
	msgin_free(&in);
}
END_TEST

START_TEST(string_without_nul_is_bad)
{
	struct msg_out o;
	struct msgin in;
	struct msg_in m;

	msg_create(&o, 3, 0);
	msg_add_u32(&o, 4);
	msg_add_u32(&o, 0x41414141);	/* "AAAA", no NUL */
	msg_close(&o);
	msgin_init(&in);
	msgin_feed(&in, o.b.data, o.b.len);
	msg_discard(&o);
	ck_assert_int_eq(msgin_next(&in, &m), 1);
	ck_assert_ptr_null(msg_get_str(&m));
	ck_assert_int_eq(m.bad, 1);
	msgin_free(&in);
}
END_TEST

START_TEST(oversized_length_is_corrupt)
{
	struct msg_hdr h = { 1, MSG_MAX_PAYLOAD + 1, 0, 0 };
	struct msgin in;
	struct msg_in m;

	msgin_init(&in);
	msgin_feed(&in, &h, sizeof(h));
	ck_assert_int_eq(msgin_next(&in, &m), -1);
	msgin_free(&in);
}
END_TEST

START_TEST(too_large_message_cannot_be_closed)
{
	static char big[MSG_MAX_PAYLOAD];
	struct msg_out o;

	msg_create(&o, 1, 0);
	msg_add_data(&o, big, sizeof(big));
	ck_assert_int_eq(msg_close(&o), -1);
}
END_TEST

START_TEST(queue_flushes_over_a_socketpair_in_pieces)
{
	struct msgq q;
	struct msgin in;
	struct msg_in m;
	struct msg_out o;
	int sv[2], i, got = 0, sz = 4096;
	char s[1000];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	msgq_init(&q, 0);
	msgin_init(&in);
	memset(s, 'z', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	for (i = 0; i < 200; i++) {
		msg_create(&o, 9, (uint32_t)i);
		msg_add_str(&o, s);
		ck_assert_int_eq(msg_close(&o), 0);
		ck_assert_int_eq(msgq_put(&q, &o), 0);
	}
	ck_assert_int_eq(fd_nonblock(sv[0], 1), 0);
	ck_assert_int_eq(fd_nonblock(sv[1], 1), 0);
	while (msgq_pending(&q) || got < 200) {
		ck_assert_int_eq(msgq_flush(&q, sv[0]), 0);
		if (msgin_read(&in, sv[1]) <= 0)
			continue;
		while (msgin_next(&in, &m) == 1) {
			ck_assert_uint_eq(m.hdr.peer, (uint32_t)got);
			ck_assert_str_eq(msg_get_str(&m), s);
			ck_assert_int_eq(msg_end(&m), 0);
			got++;
		}
	}
	ck_assert_int_eq(got, 200);
	msgq_free(&q);
	msgin_free(&in);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(full_queue_refuses)
{
	struct msgq q;
	struct msg_out o;

	msgq_init(&q, 64);
	msg_create(&o, 1, 0);
	msg_add_data(&o, "0123456789012345678901234567890123456789", 40);
	msg_close(&o);
	ck_assert_int_eq(msgq_put(&q, &o), 0);
	msg_create(&o, 1, 0);
	msg_add_data(&o, "0123456789012345678901234567890123456789", 40);
	msg_close(&o);
	ck_assert_int_eq(msgq_put(&q, &o), -1);
	msgq_free(&q);
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *t = tcase_create("framing");

	tcase_add_test(t, round_trip_with_every_split);
	tcase_add_test(t, byte_by_byte);
	tcase_add_test(t, reading_past_the_payload_marks_the_message_bad);
	tcase_add_test(t, unread_bytes_fail_msg_end);
	tcase_add_test(t, string_length_beyond_payload_is_bad);
	tcase_add_test(t, string_without_nul_is_bad);
	tcase_add_test(t, oversized_length_is_corrupt);
	tcase_add_test(t, too_large_message_cannot_be_closed);
	tcase_add_test(t, queue_flushes_over_a_socketpair_in_pieces);
	tcase_add_test(t, full_queue_refuses);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN(msg_suite)
