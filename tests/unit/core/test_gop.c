/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GOP cache and output targets, without threads: what a late joiner gets,
 * and which sink a target selects (the queue has its own test: output/).
 */
#include <errno.h>

#include "lib/stream/gop_cache.h"
#include "lib/output/output.h"
#include "tests/unit/test.h"

static struct ls_item *item(enum ls_item_kind kind, bool key, int64_t dts, uint32_t size)
{
    struct ls_item *it = ls_item_new(kind, size);
    memset(it->body, 0, size);
    it->keyframe = key;
    it->dts_ms = dts;
    return it;
}

static void collect(void *opaque, struct ls_item *it)
{
    struct ls_item **list = opaque;
    while (*list)
        list++;
    *list = it;
}

static void test_gop_cache(void)
{
    struct ls_gop_cache g;
    ls_gop_init(&g, 1000);
    struct ls_item *meta = item(LS_ITEM_METADATA, false, 0, 10);
    struct ls_item *vseq = item(LS_ITEM_VIDEO_SEQ, true, 0, 10);
    struct ls_item *p0 = item(LS_ITEM_VIDEO, false, 0, 10);
    ls_gop_push(&g, meta);
    ls_gop_push(&g, vseq);
    ls_gop_push(&g, p0);
    CHECK(!ls_gop_ready(&g)); /* video but no keyframe yet */
    struct ls_item *k1 = item(LS_ITEM_VIDEO, true, 40, 100);
    struct ls_item *a1 = item(LS_ITEM_AUDIO, false, 45, 10);
    struct ls_item *p1 = item(LS_ITEM_VIDEO, false, 80, 50);
    ls_gop_push(&g, k1);
    ls_gop_push(&g, a1);
    ls_gop_push(&g, p1);
    CHECK(ls_gop_ready(&g));
    struct ls_item *got[16] = {0};
    ls_gop_foreach(&g, collect, got);
    CHECK(got[0] == meta && got[1] == vseq && got[2] == k1 && got[3] == a1 && got[4] == p1);
    CHECK(got[5] == NULL);
    /* A new keyframe starts a new GOP. */
    struct ls_item *k2 = item(LS_ITEM_VIDEO, true, 1000, 100);
    ls_gop_push(&g, k2);
    CHECK_EQ_INT(g.n, 1);
    CHECK(g.items[0] == k2);
    /* A GOP larger than the bound is dropped until the next keyframe. */
    struct ls_item *big = item(LS_ITEM_VIDEO, false, 1040, 2000);
    ls_gop_push(&g, big);
    CHECK_EQ_INT(g.n, 0);
    CHECK(!ls_gop_ready(&g));
    struct ls_item **all[] = {&meta, &vseq, &p0, &k1, &a1, &p1, &k2, &big};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ls_item_unref(all[i]);
    ls_gop_finish(&g); /* frees the last references */
}

static void test_targets(void)
{
    struct ls_output_settings s;
    ls_output_default_settings(&s);
    struct ls_output *o;
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, "rtmp://127.0.0.1/live/x", NULL, NULL, &s), 0);
    CHECK_EQ_INT(o->kind, LS_OUTPUT_RTMP);
    ls_output_destroy(&o);
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, "rtmps://u:secret@h/live/x", NULL, NULL, &s), 0);
    CHECK(strstr(o->st.target, "secret") == NULL);
    ls_output_destroy(&o);
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, "/tmp/x.flv", NULL, NULL, &s), 0);
    CHECK_EQ_INT(o->kind, LS_OUTPUT_FILE);
    ls_output_destroy(&o);
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, "http://x/y", NULL, NULL, &s), -EPROTONOSUPPORT);
    CHECK_EQ_INT(ls_output_create(&o, NULL, 1, "", NULL, NULL, &s), -EINVAL);
}

int main(void)
{
    test_gop_cache();
    test_targets();
    return test_done("gop");
}
