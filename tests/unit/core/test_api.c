/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Public API contract without a network: defaults, argument checks, error
 * strings, lifecycle errors, that stats never show the password, and
 * pollable subscriptions' contract (any thread, callbacks included).
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <lightstream/lightstream.h>

#include "lib/util/error.h"
#include "lib/util/meter.h"
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

struct cb_result {
    pthread_mutex_t lock;
    int events, stop_ret, add_ret, subscribe_ret, unsubscribe_ret;
    int last_error;
    enum ls_state state;
};

static void on_event(void *user, struct ls_relay *relay, const struct ls_event *ev)
{
    struct cb_result *res = user;
    int stop_ret = ls_relay_stop(relay);
    int add_ret = ls_relay_add_output(relay, "/tmp/never.flv", NULL, NULL);
    /* A subscription has no thread to join: it may come and go from a callback. */
    struct ls_subscription *sub = NULL;
    int subscribe_ret = ls_relay_subscribe(relay, NULL, &sub);
    int unsubscribe_ret = ls_relay_unsubscribe(relay, &sub);
    pthread_mutex_lock(&res->lock);
    res->subscribe_ret = subscribe_ret;
    res->unsubscribe_ret = unsubscribe_ret;
    res->events++;
    res->stop_ret = stop_ret;
    res->add_ret = add_ret;
    if (ev->type == LS_EVENT_ERROR)
        res->last_error = ev->error;
    if (ev->type == LS_EVENT_STATE)
        res->state = ev->state;
    pthread_mutex_unlock(&res->lock);
}

/* Nothing listens on port 1: the relay fails, backs off, retries; calls that would
 * deadlock are refused from its callbacks; stop is prompt. */
static void test_refused_backoff_and_callbacks(void)
{
    struct cb_result res = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct ls_relay_settings s;
    ls_relay_default_settings(&s);
    s.input_url = "rtsp://127.0.0.1:1/none";
    s.reconnect.initial_delay_ms = 50;
    s.on_event = on_event;
    s.user_data = &res;
    struct ls_relay *r;
    CHECK_EQ_INT(ls_relay_create(&r, &s), 0);
    CHECK_EQ_INT(ls_relay_start(r), 0);
    CHECK_EQ_INT(ls_relay_start(r), -EALREADY);
    struct ls_relay_stats st = {0};
    for (int i = 0; i < 200 && st.connect_attempts < 3; i++) {
        usleep(10000);
        ls_relay_get_stats(r, &st);
    }
    CHECK(st.connect_attempts >= 3);
    CHECK_EQ_INT(st.last_error, -ECONNREFUSED);
    CHECK(strstr(st.last_error_message, "connection refused") != NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(ls_relay_stop(r), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
    ls_relay_get_stats(r, &st);
    CHECK_EQ_INT(st.state, LS_STATE_STOPPED);
    pthread_mutex_lock(&res.lock);
    CHECK(res.events >= 4);
    CHECK_EQ_INT(res.stop_ret, -EDEADLK);
    CHECK_EQ_INT(res.add_ret, -EDEADLK);
    CHECK_EQ_INT(res.subscribe_ret, 0);
    CHECK_EQ_INT(res.unsubscribe_ret, 0);
    CHECK_EQ_INT(res.last_error, -ECONNREFUSED);
    CHECK_EQ_INT(res.state, LS_STATE_STOPPED);
    pthread_mutex_unlock(&res.lock);
    ls_relay_destroy(&r);
}

struct unsub_job {
    struct ls_relay *r;
    struct ls_subscription *sub;
    int ret;
};

static void *unsubscribe_elsewhere(void *arg)
{
    struct unsub_job *j = arg;
    j->ret = ls_relay_unsubscribe(j->r, &j->sub);
    return NULL;
}

/* Pollable subscriptions through the public API, on relays that never stream. */
static void test_subscription_contract(void)
{
    struct ls_relay_settings s;
    ls_relay_default_settings(&s);
    s.input_url = "rtsp://127.0.0.1:1/none";
    struct ls_relay *r, *other;
    CHECK_EQ_INT(ls_relay_create(&r, &s), 0);
    CHECK_EQ_INT(ls_relay_create(&other, &s), 0);
    struct ls_subscription *sub = (struct ls_subscription *)&s, *left = NULL;
    CHECK_EQ_INT(ls_relay_subscribe(NULL, NULL, &sub), -EINVAL);
    CHECK(sub == NULL);
    CHECK_EQ_INT(ls_relay_subscribe(r, NULL, NULL), -EINVAL);
    CHECK_EQ_INT(ls_relay_subscribe_notify(r, NULL, NULL, &sub), -EINVAL);
    CHECK_EQ_INT(ls_relay_subscribe(r, NULL, &sub), 0);
    CHECK(ls_subscription_fd(sub) >= 0);
    CHECK_EQ_INT(ls_subscription_fd(NULL), -EINVAL);
    /* Not running: nothing to take, no start. */
    struct ls_sub_tag t[4];
    CHECK_EQ_INT(ls_subscription_take(sub, t, 4), 0);
    CHECK_EQ_INT(ls_subscription_take(NULL, t, 4), -EINVAL);
    struct ls_output_stats st;
    CHECK_EQ_INT(ls_subscription_get_stats(sub, &st), 0);
    CHECK_EQ_INT(st.state, LS_STATE_CONNECTING);
    CHECK_EQ_STR(st.target, "subscription");
    size_t queued = 1;
    uint64_t skips = 1;
    CHECK_EQ_INT(ls_subscription_backlog(sub, &queued, &skips), 0);
    CHECK_EQ_INT(queued, 0);
    CHECK_EQ_INT(skips, 0);
    /* Not listed with the outputs. */
    size_t count = 9;
    CHECK_EQ_INT(ls_relay_get_output_stats(r, NULL, 0, &count), 0);
    CHECK_EQ_INT(count, 0);
    /* Only its own relay ends it; from another thread is fine. */
    CHECK_EQ_INT(ls_relay_unsubscribe(other, &sub), -EINVAL);
    CHECK(sub != NULL);
    struct unsub_job j = {.r = r, .sub = sub};
    pthread_t th;
    pthread_create(&th, NULL, unsubscribe_elsewhere, &j);
    pthread_join(th, NULL);
    CHECK_EQ_INT(j.ret, 0);
    CHECK(j.sub == NULL);
    CHECK_EQ_INT(ls_relay_unsubscribe(r, &j.sub), 0); /* a pointer to NULL */
    /* A notifier outlives the caller's hold while subscriptions use it. */
    struct ls_notifier *n = NULL;
    CHECK_EQ_INT(ls_notifier_create(&n), 0);
    CHECK_EQ_INT(ls_relay_subscribe_notify(r, NULL, n, &sub), 0);
    CHECK_EQ_INT(ls_subscription_fd(sub), ls_notifier_fd(n));
    ls_notifier_destroy(&n);
    CHECK(n == NULL);
    ls_notifier_ack(NULL);
    ls_tag_body_release(NULL);
    ls_sub_tag_set_timestamp(NULL, 5);
    CHECK_EQ_INT(ls_relay_unsubscribe(r, &sub), 0);
    /* One left at destroy is freed with the relay (ASan: no leak). */
    CHECK_EQ_INT(ls_relay_subscribe(r, NULL, &left), 0);
    ls_relay_destroy(&r);
    ls_relay_destroy(&other);
}

int main(void)
{
    test_defaults_and_validation();
    test_errors();
    test_meter();
    test_refused_backoff_and_callbacks();
    test_subscription_contract();
    return test_done("api");
}
