/*
 * Deleting recorded segments: one by the API, or the oldest by the global
 * budget (rec_retention.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lightstream/lightstream.h"

#include "daemon/log.h"
#include "daemon/os.h"
#include "daemon/rec_list.h"
#include "daemon/rec_output.h"
#include "daemon/rec_retention.h"
#include "daemon/relay.h"
#include "daemon/server.h"

/* The segment being written: the one the library said it opened, and while it
 * records, also the newest file (its "opened" event may still be in the mailbox). */
static bool in_use(const struct lsd_relay *r, const struct lsd_rec_list *l, size_t i)
{
    return l->seg[i].writing || (r->rec_output_id >= 0 && i + 1 == l->count);
}

static int unlink_segment(struct lsd_server *s, const struct lsd_relay *r, const char *name)
{
    char dir[PATH_MAX], path[PATH_MAX + 160];
    int ret = lsd_rec_dir(s, r->spec.id, dir, sizeof(dir));
    if (ret < 0)
        return ret;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return unlink(path) < 0 ? -errno : 0;
}

int lsd_rec_delete(struct lsd_server *s, const struct lsd_relay *r, const char *name)
{
    int64_t start;
    if (strchr(name, '/') || !lsd_rec_name_start(r->spec.id, name, &start))
        return -ENOENT;
    struct lsd_rec_list l;
    int ret = lsd_rec_list(s, r, INT64_MIN, INT64_MAX, LSD_REC_SIZES, &l);
    if (ret < 0)
        return ret;
    ret = -ENOENT;
    for (size_t i = 0; i < l.count; i++)
        if (strcmp(l.seg[i].name, name) == 0)
            ret = in_use(r, &l, i) ? -EBUSY : unlink_segment(s, r, name);
    lsd_rec_list_free(&l);
    if (ret == 0)
        lsd_logf(s->log, LS_LOG_INFO, "relay %s: recording %s deleted", r->spec.id, name);
    return ret;
}

struct item {
    const struct lsd_relay *relay;
    const struct lsd_rec_segment *seg;
    bool in_use;
};

static int oldest_first(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    return x->seg->start_ms < y->seg->start_ms ? -1 : x->seg->start_ms > y->seg->start_ms;
}

/* Every relay's listing, and one array of their segments, oldest first. */
static int collect(struct lsd_server *s, struct lsd_rec_list *lists, struct item **items,
                   size_t *n)
{
    size_t total = 0, k = 0, i = 0;
    for (struct lsd_relay *r = s->relays; r; r = r->next, i++) {
        int ret = lsd_rec_list(s, r, INT64_MIN, INT64_MAX, LSD_REC_SIZES, &lists[i]);
        if (ret < 0)
            return ret;
        total += lists[i].count;
    }
    *items = calloc(total ? total : 1, sizeof(**items));
    if (!*items)
        return -ENOMEM;
    i = 0;
    for (struct lsd_relay *r = s->relays; r; r = r->next, i++)
        for (size_t j = 0; j < lists[i].count; j++)
            (*items)[k++] = (struct item){r, &lists[i].seg[j], in_use(r, &lists[i], j)};
    qsort(*items, total, sizeof(**items), oldest_first);
    *n = total;
    return 0;
}

static int apply(struct lsd_server *s, struct item *items, size_t n)
{
    struct ls_segment_entry *e = calloc(n ? n : 1, sizeof(*e));
    bool *del = calloc(n ? n : 1, sizeof(*del));
    int ret = e && del ? 0 : -ENOMEM, done = 0;
    for (size_t i = 0; ret == 0 && i < n; i++)
        e[i] = (struct ls_segment_entry){items[i].seg->end_ms / 1000, items[i].seg->bytes,
                                         items[i].in_use};
    struct ls_retention_policy policy = {0, (uint64_t)s->config.recordings_max_mib << 20};
    if (ret == 0)
        ret = ls_retention_plan(e, n, &policy, lsd_wall_ms() / 1000, del);
    for (size_t i = 0; ret >= 0 && i < n; i++) {
        if (!del[i] || unlink_segment(s, items[i].relay, items[i].seg->name) < 0)
            continue;
        s->rec_totals.deleted_segments++;
        s->rec_totals.deleted_bytes += items[i].seg->bytes;
        done++;
        lsd_logf(s->log, LS_LOG_INFO, "relay %s: recording %s deleted (recordings_max_mib)",
                 items[i].relay->spec.id, items[i].seg->name);
    }
    free(e);
    free(del);
    return ret < 0 ? ret : done;
}

int lsd_rec_retention_run(struct lsd_server *s)
{
    if (!s->config.recordings_max_mib || !s->relay_count)
        return 0;
    struct lsd_rec_list *lists = calloc(s->relay_count, sizeof(*lists));
    struct item *items = NULL;
    size_t n = 0;
    int ret = lists ? collect(s, lists, &items, &n) : -ENOMEM;
    if (ret == 0)
        ret = apply(s, items, n);
    for (size_t i = 0; lists && i < s->relay_count; i++)
        lsd_rec_list_free(&lists[i]);
    free(lists);
    free(items);
    if (ret < 0)
        lsd_logf(s->log, LS_LOG_ERROR, "recordings budget not applied: %s", strerror(-ret));
    return ret;
}
