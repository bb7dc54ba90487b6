/*
 * /metrics: the exposition in Prometheus text format 0.0.4, named by the
 * Prometheus conventions (base units, counters ending in _total, one group
 * of samples per family after its HELP and TYPE), and the process_* values
 * read from /proc/self.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_METRICS_H
#define LSD_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct lsd_server;

/** Write every family to @p b. Loop thread. @return 0 or -ENOMEM */
int lsd_metrics_write(struct lsd_server *s, struct evbuffer *b);

/** The recording families (metrics_rec.c), written by lsd_metrics_write(). @return 0 or -ENOMEM */
int lsd_metrics_write_recordings(struct lsd_server *s, struct evbuffer *b);

/** What the process_* families report. */
struct lsd_proc_stats {
    double start_time_s;   /**< since the Unix epoch */
    double cpu_s;          /**< user + system */
    uint64_t rss_bytes;
    uint64_t vsize_bytes;
    uint64_t open_fds;
    uint64_t max_fds;      /**< the soft RLIMIT_NOFILE */
};

/**
 * Parse the text of /proc/self/stat (the process name may hold spaces and
 * parentheses). Pure.
 * @param ticks clock ticks per second (sysconf(_SC_CLK_TCK))
 * @param page page size in bytes
 * @param boot_time_s "btime" of /proc/stat
 * @return 0, or -EINVAL when a field is missing
 */
int lsd_proc_parse_stat(const char *text, long ticks, long page, uint64_t boot_time_s,
                        struct lsd_proc_stats *out);

/** Read /proc/self (stat, fd) and the descriptor limit. @return 0 or -errno */
int lsd_proc_read(struct lsd_proc_stats *out);

/**
 * Write @p in as a label value: \ " and newline escaped as the text format
 * wants. @return the bytes written (without the NUL), always NUL-terminated;
 * a value that does not fit is cut. Pure.
 */
size_t lsd_prom_escape(const char *in, char *out, size_t size);

#endif
