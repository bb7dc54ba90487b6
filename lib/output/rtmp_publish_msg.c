/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What an RTMP server sends a publisher, read from untrusted bytes: window
 * sizes, pings, command answers and stream status. Status codes and command
 * errors become errno values (the table in rtmp_publish.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/util/bytes.h"
#include "lib/flv/amf0.h"
#include "lib/output/rtmp_publish_private.h"

static bool contains(const struct ls_amf0_value *v, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; v->str && i + n <= v->len; i++)
        if (strncasecmp(v->str + i, word, n) == 0)
            return true;
    return false;
}

/* An error status or _error's info object: its code, mapped. */
static int error_of(struct ls_rtmp_pub *p, const struct ls_amf0_reader *info)
{
    struct ls_amf0_value code = {0}, desc = {0};
    if (ls_amf0_object_find(info, "code", &code) < 0 || code.type != LS_AMF0_STRING)
        return -EPROTO;
    snprintf(p->status_code, sizeof(p->status_code), "%.*s", (int)code.len, code.str);
    ls_amf0_object_find(info, "description", &desc);
    if (contains(&code, ".Rejected") || contains(&code, ".Denied") || contains(&code, "Unauthorized"))
        return -EACCES;
    /* nginx-rtmp and SRS say BadName for a name already published, too. */
    if (contains(&code, ".BadName") || contains(&code, ".InvalidApp"))
        return desc.type == LS_AMF0_STRING && (contains(&desc, "already") || contains(&desc, "busy"))
                   ? -EBUSY
                   : -ENOENT;
    if (contains(&code, "AlreadyPublished") || contains(&code, "Busy"))
        return -EBUSY;
    return -EPROTO;
}

static void on_status(struct ls_rtmp_pub *p, const struct ls_amf0_reader *info)
{
    struct ls_amf0_value code = {0}, level = {0};
    if (ls_amf0_object_find(info, "code", &code) < 0)
        return;
    ls_amf0_object_find(info, "level", &level);
    if (ls_amf0_is_string(&code, "NetStream.Publish.Start")) {
        snprintf(p->status_code, sizeof(p->status_code), "NetStream.Publish.Start");
        if (p->status == 0)
            p->status = 1;
        return;
    }
    if (ls_amf0_is_string(&level, "error") || contains(&code, ".Failed") ||
        contains(&code, ".BadName") || contains(&code, ".Denied") || contains(&code, ".Rejected"))
        p->status = error_of(p, info);
}

static int on_command(struct ls_rtmp_pub *p, const uint8_t *b, size_t n)
{
    struct ls_amf0_reader r = {.p = b, .left = n};
    struct ls_amf0_value name, txn, v;
    if (ls_amf0_read(&r, &name) < 0 || ls_amf0_read(&r, &txn) < 0)
        return 0; /* not a command we can read: not ours to fail on */
    struct ls_amf0_reader obj = r; /* command object (or null) */
    if (ls_amf0_read(&r, &v) < 0)
        return 0;
    struct ls_amf0_reader info = r; /* the information / result argument */
    if (ls_amf0_is_string(&name, "onStatus")) {
        on_status(p, &info);
        return 0;
    }
    bool result = ls_amf0_is_string(&name, "_result"), error = ls_amf0_is_string(&name, "_error");
    if (ls_amf0_is_string(&name, "close"))
        return -ECONNRESET;
    if ((!result && !error) || txn.type != LS_AMF0_NUMBER || txn.number != p->want_txn)
        return 0;
    p->got_result = true;
    p->result = result ? 0 : error_of(p, &info);
    if (result && ls_amf0_read(&r, &v) == 0 && v.type == LS_AMF0_NUMBER)
        p->result_number = v.number; /* createStream: the stream id */
    (void)obj;
    return 0;
}

int ls_rtmp_pub_on_msg(void *opaque, const struct ls_rtmp_msg *m, const uint8_t *payload)
{
    struct ls_rtmp_pub *p = opaque;
    switch (m->type) {
    case LS_RTMP_WINDOW_ACK_SIZE:
        if (m->size >= 4)
            p->ack_window = ls_get_be32(payload);
        return 0;
    case LS_RTMP_USER_CONTROL:
        if (m->size >= 6 && payload[0] == 0 && payload[1] == 6) { /* ping request */
            p->ping_pending = true;
            p->ping_ts = ls_get_be32(payload + 2);
        }
        return 0;
    case LS_RTMP_COMMAND_AMF0:
        return on_command(p, payload, m->size);
    case LS_RTMP_COMMAND_AMF3: /* an AMF0 command after a format byte */
        return m->size ? on_command(p, payload + 1, m->size - 1) : 0;
    default:
        return 0;
    }
}
