/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A relay's pollable subscriptions (lightstream/subscription.h): a list
 * apart from the outputs, under the fan-out lock only. They have no thread
 * to start, stop or join, so subscribing and unsubscribing never wait and
 * never take ctl_lock: any thread may do it, the relay's callbacks included.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/relay/relay_private.h"

static int subscribe(struct ls_relay *r, const struct ls_output_settings *s,
                     struct ls_notifier *n, struct ls_subscription **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!r)
        return -EINVAL;
    struct ls_output_settings defaults;
    if (!s) {
        ls_output_default_settings(&defaults);
        s = &defaults;
    }
    const struct ls_output_host host = {.sync = ls_relay_sync_output, .log = &r->log, .host = r};
    struct ls_subscription *sub;
    pthread_mutex_lock(&r->fan_lock);
    int err = ls_poll_create(&sub, &host, r, ++r->next_sub_id, s, n);
    if (err < 0)
        goto out;
    if (r->n_subs == r->cap_subs) {
        size_t cap = r->cap_subs ? r->cap_subs * 2 : 4;
        struct ls_subscription **list = realloc(r->subs, cap * sizeof(*list));
        if (!list) {
            ls_poll_destroy(&sub);
            err = -ENOMEM;
            goto out;
        }
        r->subs = list;
        r->cap_subs = cap;
    }
    r->subs[r->n_subs++] = sub;
    *out = sub;
out:
    pthread_mutex_unlock(&r->fan_lock);
    return err;
}

int ls_relay_subscribe(struct ls_relay *r, const struct ls_output_settings *s,
                       struct ls_subscription **out)
{
    return subscribe(r, s, NULL, out);
}

int ls_relay_subscribe_notify(struct ls_relay *r, const struct ls_output_settings *s,
                              struct ls_notifier *n, struct ls_subscription **out)
{
    if (!n) {
        if (out)
            *out = NULL;
        return -EINVAL;
    }
    return subscribe(r, s, n, out);
}

int ls_relay_unsubscribe(struct ls_relay *r, struct ls_subscription **subp)
{
    if (!r || !subp)
        return -EINVAL;
    struct ls_subscription *sub = *subp;
    if (!sub)
        return 0;
    if (sub->owner != r)
        return -EINVAL;
    pthread_mutex_lock(&r->fan_lock);
    for (size_t i = 0; i < r->n_subs; i++) {
        if (r->subs[i] != sub)
            continue;
        /* The last takes its place: subscriptions have no order to keep. */
        r->subs[i] = r->subs[--r->n_subs];
        break;
    }
    pthread_mutex_unlock(&r->fan_lock);
    ls_poll_destroy(subp);
    return 0;
}

void ls_relay_subs_push(struct ls_relay *r, struct ls_item *item)
{
    for (size_t i = 0; i < r->n_subs; i++)
        ls_poll_push(r->subs[i], item);
}

void ls_relay_subs_unsync(struct ls_relay *r)
{
    for (size_t i = 0; i < r->n_subs; i++)
        ls_poll_unsync(r->subs[i]);
}

void ls_relay_subs_finish(struct ls_relay *r)
{
    for (size_t i = 0; i < r->n_subs; i++)
        ls_poll_destroy(&r->subs[i]);
    free(r->subs);
    r->subs = NULL;
    r->n_subs = r->cap_subs = 0;
}
