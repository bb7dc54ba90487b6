/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the client sends and how it reacts, with canned answers: the
 * unauthenticated clock read, WS-Security in device time, one HTTP digest
 * retry on 401 and never a third request, SOAP 1.1, a silent device timing
 * out within the bound (a real socket on 127.0.0.1), passwords never in
 * messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/onvif/unit/replay_util.h"
#include "tests/unit/test.h"

#define PW "s3cr:t@pw"
#define CHALLENGE "WWW-Authenticate: Digest realm=\"cam\", qop=\"auth\", nonce=\"abc123\"\r\n"

static char last_log[1024];

static void on_log(void *cookie, enum ls_log_level level, const char *msg)
{
    (void)cookie, (void)level;
    snprintf(last_log, sizeof(last_log), "%s", msg);
    if (strstr(msg, PW))
        CHECK(!"password in a log line");
}

static void open_sequence(void)
{
    struct script s = { 0 };
    script_add_file(&s, "onvif-go-bosch/bosch_flexidome_5100i_GetSystemDateAndTime.xml");
    script_add_file(&s, "agsh-onvif/GetServices.xml");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    char r0[8192];
    snprintf(r0, sizeof(r0), "%s", script_request(&s, 0));
    const char *r1 = script_request(&s, 1);
    CHECK(strstr(r0, "GetSystemDateAndTime") && !strstr(r0, "Security"));
    CHECK(strstr(r0, "Content-Type: application/soap+xml") != NULL);
    CHECK(!strstr(r0, "action="));
    CHECK(strstr(r1, "<tds:GetServices>") != NULL);
    CHECK(strstr(r1, "<wsse:Username>admin</wsse:Username>") != NULL);
    CHECK(strstr(r1, "#PasswordDigest\">") != NULL);
    CHECK(strstr(r1, "<wsu:Created>2023-05-2") != NULL); /* device time, not ours */
    CHECK(!strstr(r1, "mustUnderstand"));
    CHECK(!strstr(s.replay.sent, PW));
    CHECK(strstr(r0, "POST /onvif/device_service HTTP/1.1") != NULL);
    ls_onvif_close(&dev);
    script_free(&s);
}

static void digest_retry(void)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add(&s, 401, CHALLENGE, "");
    script_add_file(&s, "agsh-onvif/GetServices.xml");
    script_add_file(&s, "agsh-onvif/GetDeviceInformation.xml"); /* digest sent up front now */
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    CHECK(!strstr(script_request(&s, 1), "Authorization:"));
    const char *r2 = script_request(&s, 2);
    CHECK(strstr(r2, "Authorization: Digest username=\"admin\", realm=\"cam\", nonce=\"abc123\", "
                     "uri=\"/onvif/device_service\"") != NULL);
    CHECK(strstr(r2, "qop=auth, nc=00000001") != NULL);
    struct ls_onvif_info info;
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), 0);
    CHECK(strstr(script_request(&s, 3), "nc=00000002") != NULL);
    CHECK_EQ_INT(script_requests(&s), 4);
    ls_onvif_close(&dev);
    script_free(&s);
}

static void wrong_password(void)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add(&s, 401, CHALLENGE, "");
    script_add(&s, 401, CHALLENGE, "");
    script_add(&s, 401, CHALLENGE, ""); /* must never be asked for */
    struct ls_onvif_settings st;
    ls_onvif_default_settings(&st);
    st.host = "127.0.0.1";
    st.user = "admin";
    st.password = PW;
    st.logger = (struct ls_logger){ NULL, on_log, LS_LOG_DEBUG };
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(ls_onvif_open_replay(&dev, &st, &s.replay), -EACCES);
    CHECK(dev == NULL);
    CHECK_EQ_INT(script_requests(&s), 3); /* clock + two for GetServices */
    CHECK(strstr(last_log, "GetServices") && strstr(last_log, "401"));
    script_free(&s);

    /* A NotAuthorized fault: no retry, no GetCapabilities fallback. */
    static const char fault[] =
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
        "xmlns:ter=\"http://www.onvif.org/ver10/error\"><s:Body><s:Fault><s:Code><s:Value>"
        "s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode></s:Code>"
        "<s:Reason><s:Text xml:lang=\"en\">Sender not Authorized</s:Text></s:Reason></s:Fault>"
        "</s:Body></s:Envelope>";
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add(&s, 400, NULL, fault);
    script_add_file(&s, "agsh-onvif/GetCapabilities.xml");
    CHECK_EQ_INT(ls_onvif_open_replay(&dev, &st, &s.replay), -EACCES);
    CHECK_EQ_INT(script_requests(&s), 2);
    CHECK(strstr(last_log, "ter:NotAuthorized") != NULL);
    script_free(&s);
}

/* HTTP errors without a SOAP fault: -EPROTO is kept for SOAP faults, so a
 * caller (the daemon) can tell a device's fault from a device failing. */
static void http_errors(void)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add_file(&s, "agsh-onvif/GetServices.xml");
    script_add(&s, 500, NULL, "");
    script_add(&s, 500, NULL, "<html><body>Internal Server Error</body></html>");
    script_add(&s, 400, NULL, "");
    script_add(&s, 403, NULL, "");
    script_add(&s, 404, NULL, "");
    script_add_file_status(&s, 500, "ex_onvif/soap_fault.xml");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, NULL, NULL), 0);
    if (!dev)
        return script_free(&s);
    struct ls_onvif_info info;
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EBADMSG);
    CHECK_EQ_STR(ls_onvif_last_error(dev),
                 "GetDeviceInformation: HTTP status 500 and no readable SOAP fault");
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EBADMSG);
    CHECK(strstr(ls_onvif_last_error(dev), "HTTP status 500") != NULL);
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EBADMSG);
    CHECK(strstr(ls_onvif_last_error(dev), "HTTP status 400") != NULL);
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EACCES);
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EOPNOTSUPP);
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EPROTO); /* the same status with a fault */
    CHECK(strstr(ls_onvif_last_error(dev), "ter:InvalidArgVal") != NULL);
    CHECK_EQ_INT(script_requests(&s), 8);
    ls_onvif_close(&dev);
    script_free(&s);
}

static void soap11(void)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add_file(&s, "agsh-onvif/GetServices.xml");
    struct ls_onvif_settings st;
    ls_onvif_default_settings(&st);
    st.host = "127.0.0.1";
    st.soap11 = true;
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(ls_onvif_open_replay(&dev, &st, &s.replay), 0);
    const char *r1 = script_request(&s, 1);
    CHECK(strstr(r1, "Content-Type: text/xml") != NULL);
    CHECK(strstr(r1, "SOAPAction: \"http://www.onvif.org/ver10/device/wsdl/GetServices\"") != NULL);
    CHECK(strstr(r1, "http://schemas.xmlsoap.org/soap/envelope/") != NULL);
    CHECK(!strstr(r1, "Security")); /* no user: no token */
    ls_onvif_close(&dev);
    script_free(&s);
}

/* A device that accepts and never answers. */
static void silent_device(void)
{
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    CHECK(srv >= 0 && bind(srv, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(srv, 4) == 0 &&
          getsockname(srv, (struct sockaddr *)&a, &len) == 0);
    struct ls_onvif_settings st;
    ls_onvif_default_settings(&st);
    st.host = "127.0.0.1";
    st.port = ntohs(a.sin_port);
    st.connect_timeout_ms = 300;
    st.io_timeout_ms = 300;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(ls_onvif_open(&dev, &st), -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(s >= 0.25 && s < 0.6 + 0.5); /* connect + io bound, with scheduling slack */
    close(srv);
    /* Nobody listening any more: refused. */
    CHECK_EQ_INT(ls_onvif_open(&dev, &st), -ECONNREFUSED);
}

static void bad_settings(void)
{
    struct ls_onvif *dev = (struct ls_onvif *)1;
    struct ls_onvif_settings st;
    ls_onvif_default_settings(&st);
    CHECK_EQ_INT(ls_onvif_open(&dev, &st), -EINVAL); /* no host */
    CHECK(dev == NULL);
    st.host = "127.0.0.1";
    st.io_timeout_ms = 0;
    CHECK_EQ_INT(ls_onvif_open(&dev, &st), -EINVAL);
    CHECK_EQ_INT(ls_onvif_open(NULL, &st), -EINVAL);
    ls_onvif_close(NULL);
    ls_onvif_close(&dev);
    struct ls_onvif_discover_settings ds;
    ls_onvif_default_discover_settings(&ds);
    CHECK_EQ_STR(ds.address, "239.255.255.250");
    CHECK_EQ_INT(ds.port, 3702);
    ds.address = "not-an-ip";
    size_t n;
    CHECK_EQ_INT(ls_onvif_discover(&ds, NULL, 0, &n), -EINVAL);
}

int main(void)
{
    open_sequence();
    digest_retry();
    wrong_password();
    http_errors();
    soap11();
    silent_device();
    bad_settings();
    return test_done("onvif-client");
}
