/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The output's tag queue through its API only: nothing before a decodable
 * start, FIFO order with balanced references, the byte bound, skipping to
 * the next keyframe (headers still pass), audio-only resume at half room,
 * and the counters.
 */
#include "lib/output/queue.h"
#include "tests/unit/test.h"

static struct ls_item *tag(enum ls_item_kind kind, bool key, int64_t dts, uint32_t size)
{
    struct ls_item *it = ls_item_new(kind, size);
    memset(it->body, 0, size);
    it->keyframe = key;
    it->dts_ms = dts;
    return it;
}

static void test_fifo_and_refs(void)
{
    struct ls_tag_queue q;
    ls_tag_queue_init(&q, 1 << 20);
    struct ls_item *t[200];
    for (int i = 0; i < 200; i++)
        t[i] = tag(LS_ITEM_VIDEO, i % 25 == 0, i * 40, 10);
    CHECK_EQ_INT(ls_tag_queue_push(&q, t[0]), LS_QUEUE_UNSYNCED);
    CHECK_EQ_INT(ls_tag_queue_len(&q), 0);
    ls_tag_queue_begin(&q, true);
    for (int i = 0; i < 200; i++) /* past the first ring size: it grows */
        CHECK_EQ_INT(ls_tag_queue_push(&q, t[i]), LS_QUEUE_QUEUED);
    CHECK_EQ_INT(ls_tag_queue_len(&q), 200);
    CHECK_EQ_INT(ls_tag_queue_bytes(&q), 2000);
    CHECK_EQ_INT(atomic_load(&t[7]->refs), 2);
    for (int i = 0; i < 150; i++) {
        struct ls_item *it = ls_tag_queue_pop(&q);
        CHECK(it == t[i]);
        ls_item_unref(&it);
    }
    CHECK_EQ_INT(ls_tag_queue_bytes(&q), 500);
    ls_tag_queue_end(&q); /* the rest dropped, pushes refused */
    CHECK(!ls_tag_queue_synced(&q));
    CHECK_EQ_INT(ls_tag_queue_push(&q, t[0]), LS_QUEUE_UNSYNCED);
    CHECK(ls_tag_queue_pop(&q) == NULL);
    for (int i = 0; i < 200; i++) {
        CHECK_EQ_INT(atomic_load(&t[i]->refs), 1);
        ls_item_unref(&t[i]);
    }
    ls_tag_queue_finish(&q);
}

static void test_overflow_skips_to_keyframe(void)
{
    struct ls_tag_queue q;
    ls_tag_queue_init(&q, 1000);
    struct ls_item *k = tag(LS_ITEM_VIDEO, true, 0, 300);
    struct ls_item *p = tag(LS_ITEM_VIDEO, false, 40, 300);
    struct ls_item *a = tag(LS_ITEM_AUDIO, false, 40, 30);
    struct ls_item *seq = tag(LS_ITEM_VIDEO_SEQ, true, 40, 20);
    ls_tag_queue_begin(&q, true);
    CHECK_EQ_INT(ls_tag_queue_push(&q, k), LS_QUEUE_QUEUED);
    CHECK_EQ_INT(ls_tag_queue_push(&q, p), LS_QUEUE_QUEUED);
    CHECK_EQ_INT(ls_tag_queue_push(&q, seq), LS_QUEUE_QUEUED);
    CHECK_EQ_INT(ls_tag_queue_push(&q, p), LS_QUEUE_QUEUED);
    CHECK_EQ_INT(ls_tag_queue_bytes(&q), 920);
    CHECK_EQ_INT(ls_tag_queue_push(&q, p), LS_QUEUE_SKIPPED); /* does not fit */
    CHECK(ls_tag_queue_skipping(&q));
    CHECK_EQ_INT(ls_tag_queue_skips(&q), 1);
    CHECK_EQ_INT(ls_tag_queue_len(&q), 1); /* media dropped, the header kept */
    CHECK_EQ_INT(ls_tag_queue_dropped(&q), 4);
    CHECK_EQ_INT(ls_tag_queue_push(&q, p), LS_QUEUE_DROPPED); /* still skipping */
    CHECK_EQ_INT(ls_tag_queue_push(&q, a), LS_QUEUE_DROPPED); /* audio waits for the keyframe too */
    CHECK_EQ_INT(ls_tag_queue_push(&q, seq), LS_QUEUE_QUEUED); /* headers always pass */
    CHECK_EQ_INT(ls_tag_queue_push(&q, k), LS_QUEUE_QUEUED);   /* keyframe: resume */
    CHECK(!ls_tag_queue_skipping(&q));
    CHECK_EQ_INT(ls_tag_queue_len(&q), 3);
    CHECK_EQ_INT(ls_tag_queue_dropped(&q), 6);
    struct ls_item *first = ls_tag_queue_pop(&q);
    CHECK(first == seq); /* the header kept from before the skip comes first */
    ls_item_unref(&first);
    /* A start without the cached GOP: headers only until a keyframe. */
    ls_tag_queue_begin(&q, true);
    ls_tag_queue_skip_to_keyframe(&q);
    CHECK_EQ_INT(ls_tag_queue_push(&q, p), LS_QUEUE_DROPPED);
    CHECK_EQ_INT(ls_tag_queue_push(&q, k), LS_QUEUE_QUEUED);
    /* The start itself is queued whatever its size. */
    ls_tag_queue_begin(&q, true);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(ls_tag_queue_push_start(&q, k), 0);
    CHECK_EQ_INT(ls_tag_queue_bytes(&q), 1500);
    ls_tag_queue_finish(&q);
    CHECK_EQ_INT(atomic_load(&k->refs), 1);
    ls_item_unref(&k);
    ls_item_unref(&p);
    ls_item_unref(&a);
    ls_item_unref(&seq);
}

static void test_audio_only_resumes_at_half_room(void)
{
    struct ls_tag_queue q;
    ls_tag_queue_init(&q, 1000);
    struct ls_item *a = tag(LS_ITEM_AUDIO, false, 0, 300);
    ls_tag_queue_begin(&q, false);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(ls_tag_queue_push(&q, a), LS_QUEUE_QUEUED);
    CHECK_EQ_INT(ls_tag_queue_push(&q, a), LS_QUEUE_SKIPPED);
    CHECK_EQ_INT(ls_tag_queue_len(&q), 0);
    /* Empty: under half the bound, audio resumes at once. */
    CHECK_EQ_INT(ls_tag_queue_push(&q, a), LS_QUEUE_QUEUED);
    CHECK(!ls_tag_queue_skipping(&q));
    ls_tag_queue_finish(&q);
    ls_item_unref(&a);
}

int main(void)
{
    test_fifo_and_refs();
    test_overflow_skips_to_keyframe();
    test_audio_only_resumes_at_half_room();
    return test_done("test_queue");
}
