/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Public API contract without a network: defaults, argument checks, error
 * strings, lifecycle errors, and that stats never show the password.
 */
#include <errno.h>

#include <lightstream/lightstream.h>

#include "lib/error.h"
#include "lib/meter.h"
#include "tests/unit/test.h"

#include <libavutil/error.h>

static void test_defaults_and_validation(void)
{
    struct ls_relay_settings s;
    ls_relay_default_settings(&s);
    CHECK_EQ_INT(s.transport, LS_TRANSPORT_TCP);
    CHECK_EQ_INT(s.connect_timeout_ms, 5000);
    CHECK_EQ_INT(s.hevc, LS_HEVC_ENHANCED);
    struct ls_relay *r = (struct ls_relay *)&s;
    CHECK_EQ_INT(ls_relay_create(&r, &s), -EINVAL); /* no URL */
    CHECK(r == NULL);
    s.input_url = "http://camera/x";
    CHECK_EQ_INT(ls_relay_create(&r, &s), -EINVAL);
    s.input_url = "rtsp://admin:hunter2@127.0.0.1:1/stream";
    s.transport = 42;
    CHECK_EQ_INT(ls_relay_create(&r, &s), -EINVAL);
    s.transport = LS_TRANSPORT_UDP;
    CHECK_EQ_INT(ls_relay_create(&r, &s), 0);
    struct ls_relay_stats st;
    CHECK_EQ_INT(ls_relay_get_stats(r, &st), 0);
    CHECK_EQ_INT(st.state, LS_STATE_IDLE);
    CHECK(strstr(st.input, "hunter2") == NULL);
    CHECK(strstr(st.input, "127.0.0.1:1/stream") != NULL);
    CHECK_EQ_INT(ls_relay_stop(r), -EALREADY);
    CHECK_EQ_INT(ls_relay_add_output(r, "ftp://x", NULL, NULL), -EPROTONOSUPPORT);
    int id = 0;
    CHECK_EQ_INT(ls_relay_add_output(r, "rtmp://127.0.0.1:1/live/a", NULL, &id), 0);
    CHECK_EQ_INT(id, 1);
    size_t n = 0;
    CHECK_EQ_INT(ls_relay_get_output_stats(r, NULL, 0, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_INT(ls_relay_remove_output(r, 7), -ENOENT);
    CHECK_EQ_INT(ls_relay_remove_output(r, id), 0);
    ls_relay_destroy(&r);
    CHECK(r == NULL);
    ls_relay_destroy(&r); /* NULL is fine */
}

static void test_errors(void)
{
    CHECK_EQ_INT(ls_error_from_av(AVERROR_EOF), -ENODATA);
    CHECK_EQ_INT(ls_error_from_av(AVERROR_INVALIDDATA), -EBADMSG);
    CHECK_EQ_INT(ls_error_from_av(AVERROR_HTTP_UNAUTHORIZED), -EACCES);
    CHECK_EQ_INT(ls_error_from_av(AVERROR_HTTP_NOT_FOUND), -ENOENT);
    CHECK_EQ_INT(ls_error_from_av(AVERROR(ECONNREFUSED)), -ECONNREFUSED);
    CHECK_EQ_INT(ls_error_from_av(AVERROR(ETIMEDOUT)), -ETIMEDOUT);
    CHECK_EQ_INT(ls_error_from_av(0), 0);
    CHECK_EQ_STR(ls_strerror(-EACCES), "authentication failed");
    CHECK_EQ_STR(ls_strerror(EACCES), "authentication failed");
    CHECK_EQ_STR(ls_strerror(-12345), "unknown error");
    CHECK_EQ_STR(ls_state_name(LS_STATE_BACKOFF), "backoff");
    CHECK_EQ_STR(ls_state_name((enum ls_state)99), "unknown");
    CHECK(ls_version()[0] >= '0');
}

static void test_meter(void)
{
    struct ls_meter m;
    ls_meter_init(&m);
    for (int64_t t = 0; t < 5000; t += 40)
        ls_meter_add(&m, 10000 + t, 1000, 1);
    uint32_t kbps;
    double fps;
    ls_meter_rates(&m, 15000, &kbps, &fps);
    CHECK_EQ_INT(kbps, 200); /* 25 kB/s */
    CHECK(fps > 24.9 && fps < 25.1);
    ls_meter_rates(&m, 60000, &kbps, &fps); /* long silence: zero */
    CHECK_EQ_INT(kbps, 0);
}

int main(void)
{
    test_defaults_and_validation();
    test_errors();
    test_meter();
    return test_done("api");
}
