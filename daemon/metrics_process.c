/*
 * process_* metrics from /proc/self, as Prometheus' client libraries read
 * them: start time from the process' start in ticks after boot, CPU from
 * utime + stime, memory from the resident pages and the virtual size, and
 * descriptors from /proc/self/fd and RLIMIT_NOFILE. Label escaping lives here
 * too: both are the text format's small pure pieces.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "daemon/metrics.h"

/* Fields of /proc/self/stat (proc(5)), counted from 1; the name is field 2. */
#define F_STATE 3
#define F_UTIME 14
#define F_STIME 15
#define F_STARTTIME 22
#define F_VSIZE 23
#define F_RSS 24

int lsd_proc_parse_stat(const char *text, long ticks, long page, uint64_t boot_time_s,
                        struct lsd_proc_stats *out)
{
    /* The name is "(...)" and may hold ") ": the fields start after the last ')'. */
    const char *p = strrchr(text, ')');
    unsigned long long v[F_RSS + 1] = {0};
    if (!p || ticks <= 0 || page <= 0)
        return -EINVAL;
    p++;
    for (int f = F_STATE; f <= F_RSS; f++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return -EINVAL;
        char *end;
        v[f] = f == F_STATE ? 0 : strtoull(p, &end, 10);
        if (f == F_STATE)
            end = (char *)p + strcspn(p, " ");
        else if (end == p)
            return -EINVAL;
        p = end;
    }
    out->cpu_s = (double)(v[F_UTIME] + v[F_STIME]) / (double)ticks;
    out->start_time_s = (double)boot_time_s + (double)v[F_STARTTIME] / (double)ticks;
    out->vsize_bytes = v[F_VSIZE];
    out->rss_bytes = v[F_RSS] * (uint64_t)page;
    return 0;
}

static int read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n ? 0 : -EIO;
}

static uint64_t boot_time(void)
{
    char buf[8192];
    if (read_text("/proc/stat", buf, sizeof(buf)) < 0)
        return 0;
    const char *b = strstr(buf, "\nbtime ");
    return b ? strtoull(b + 7, NULL, 10) : 0;
}

static uint64_t count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    uint64_t n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n ? n - 1 : 0; /* not the descriptor that reads the directory */
}

int lsd_proc_read(struct lsd_proc_stats *out)
{
    char buf[1024];
    int ret = read_text("/proc/self/stat", buf, sizeof(buf));
    if (ret < 0)
        return ret;
    if ((ret = lsd_proc_parse_stat(buf, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_time(),
                                   out)) < 0)
        return ret;
    out->open_fds = count_fds();
    struct rlimit rl;
    out->max_fds = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : 0;
    return 0;
}

size_t lsd_prom_escape(const char *in, char *out, size_t size)
{
    size_t n = 0;
    if (!size)
        return 0;
    for (; *in; in++) {
        const char *rep = *in == '\\' ? "\\\\" : *in == '"' ? "\\\"" : *in == '\n' ? "\\n" : NULL;
        size_t len = rep ? 2 : 1;
        if (n + len >= size)
            break;
        if (rep)
            memcpy(out + n, rep, 2);
        else
            out[n] = *in;
        n += len;
    }
    out[n] = '\0';
    return n;
}
