/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The retention policy (public: lightstream/recording.h). Pure: it only says
 * what to delete, so one budget can span many recordings and the rule is
 * unit-tested without a disk.
 */
#include <errno.h>
#include <stdbool.h>

#include "lightstream/recording.h"

int ls_retention_plan(const struct ls_segment_entry *entries, size_t n,
                      const struct ls_retention_policy *policy, int64_t now_s, bool *del)
{
    if ((n && (!entries || !del)) || !policy)
        return -EINVAL;
    uint64_t total = 0;
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        bool old = policy->max_age_s && now_s - entries[i].end_s > (int64_t)policy->max_age_s;
        del[i] = old && !entries[i].in_use;
        if (del[i])
            count++;
        else
            total += entries[i].bytes;
    }
    /* Oldest first: the listing is in time order, so walk it from the start. */
    for (size_t i = 0; i < n && policy->max_bytes && total > policy->max_bytes; i++) {
        if (del[i] || entries[i].in_use)
            continue;
        del[i] = true;
        total -= entries[i].bytes;
        count++;
    }
    return count;
}
