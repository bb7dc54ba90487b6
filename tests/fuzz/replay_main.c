/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Replay runner for fuzz targets when no fuzzing engine is available: feeds
 * every file named on the command line (directories are walked one level)
 * to LLVMFuzzerTestOneInput once. A crash or sanitizer report fails the run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    for (;;) {
        if (size == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nbuf = realloc(buf, cap);
            if (!nbuf) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nbuf;
        }
        size_t n = fread(buf + size, 1, cap - size, f);
        if (n == 0)
            break;
        size += n;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return 0;
}

static int replay_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    struct dirent *e;
    int err = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (replay_file(path) < 0)
                err = -1;
            (*count)++;
        }
    }
    closedir(d);
    return err;
}

int main(int argc, char **argv)
{
    int count = 0, err = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            perror(argv[i]);
            return 1;
        }
        if (S_ISDIR(st.st_mode))
            err |= replay_dir(argv[i], &count);
        else if (replay_file(argv[i]) == 0)
            count++;
        else
            err = -1;
    }
    printf("replayed %d inputs\n", count);
    return err || count == 0 ? 1 : 0;
}
