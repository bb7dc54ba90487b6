/*
 * Between etcd.c (the transport) and etcd_calls.c (the requests' bodies).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_ETCD_PRIVATE_H
#define LSD_ETCD_PRIVATE_H

#include "daemon/etcd.h"

/** Open a watch stream with this request body (borrowed). @return 0 or -ENOMEM */
int lsd_etcd_watch_start_(struct lsd_etcd *e, json_t *body, lsd_etcd_watch_fn fn,
                          lsd_etcd_watch_end_fn end, void *arg, struct lsd_etcd_watch **out);

#endif
