/*
 * The mailbox (mailbox.c): work handed from any thread to the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_MAILBOX_H
#define LSD_MAILBOX_H

struct lsd_mailbox;
struct lsd_server;

typedef void (*lsd_mail_fn)(struct lsd_server *s, void *arg);
int lsd_mailbox_create(struct lsd_mailbox **out, struct lsd_server *s);
void lsd_mailbox_destroy(struct lsd_mailbox **mb);
/**
 * Run @p fn(server, arg) on the loop thread soon. Thread-safety: safe from
 * any thread; never blocks on the loop. @return 0 or -ENOMEM (fn not run).
 */
int lsd_mailbox_post(struct lsd_mailbox *mb, lsd_mail_fn fn, void *arg);
/** Run what is queued now (loop thread, or after the loop has ended). */
void lsd_mailbox_flush(struct lsd_mailbox *mb);

#endif
