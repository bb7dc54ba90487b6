/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * rtmp:// URLs split as FFmpeg and the servers expect (application = first
 * segment, stream = the rest with its query), credentials never in tcUrl.
 */
#include <errno.h>

#include "lib/output/rtmp_publish.h"
#include "tests/unit/test.h"

static void ok(const char *url, const char *host, const char *port, const char *app,
               const char *stream, const char *tc)
{
    struct ls_rtmp_url u;
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, url), 0);
    CHECK_EQ_STR(u.host, host);
    CHECK_EQ_STR(u.port, port);
    CHECK_EQ_STR(u.app, app);
    CHECK_EQ_STR(u.stream, stream);
    CHECK_EQ_STR(u.tc_url, tc);
}

int main(void)
{
    ok("rtmp://127.0.0.1/live/cam", "127.0.0.1", "1935", "live", "cam", "rtmp://127.0.0.1:1935/live");
    ok("rtmp://h:19350/live/a/b?k=v&t=1", "h", "19350", "live", "a/b?k=v&t=1", "rtmp://h:19350/live");
    ok("rtmp://[::1]:1936/app/s", "::1", "1936", "app", "s", "rtmp://[::1]:1936/app");
    ok("rtmp://user:p@ss@host/app/s", "host", "1935", "app", "s", "rtmp://host:1935/app");
    struct ls_rtmp_url u;
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, "rtmps://h/live/s"), -EINVAL);
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, "rtmp://h/live"), -EINVAL);
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, "rtmp://h/live/"), -EINVAL);
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, "rtmp://h//s"), -EINVAL);
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, "rtmp://h:x/live/s"), -EINVAL);
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, "rtmp://:1935/live/s"), -EINVAL);
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, "rtmp://[::1/live/s"), -EINVAL);
    CHECK_EQ_INT(ls_rtmp_url_parse(&u, NULL), -EINVAL);
    return test_done("test_rtmp_url");
}
