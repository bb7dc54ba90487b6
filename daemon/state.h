/*
 * The state file: every relay's spec and the adapters' data, written
 * atomically (temp file, fsync, rename, fsync of the directory) so a kill -9
 * at any moment leaves either the old or the new file.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_STATE_H
#define LSD_STATE_H

#include <stddef.h>

#include <jansson.h>

#include "daemon/spec.h"

/** What a state file holds. */
struct lsd_state {
    struct lsd_relay_spec *relays;
    size_t count;
    json_t *compat;   /**< adapters' data (object), never NULL after a successful parse */
};

/**
 * Parse a state file's bytes (pure; fuzzed by tests/fuzz/fuzz_dstate.c).
 * Relays that fail validation are skipped with a message in @p err (the
 * rest still load); a file that is not a state object fails.
 * @return 0 or -EINVAL/-ENOMEM
 */
int lsd_state_parse(struct lsd_state *st, const char *data, size_t size, char *err, size_t err_size);

/** Free what lsd_state_parse made. */
void lsd_state_finish(struct lsd_state *st);

/** Read <dir>/state.json; a missing file is an empty state. @return 0 or -errno */
int lsd_state_load(struct lsd_state *st, const char *dir, char *err, size_t err_size);

/**
 * Write <dir>/state.json atomically, mode 0600 (it holds camera passwords).
 * @return 0 or -errno
 */
int lsd_state_save(const char *dir, const struct lsd_relay_spec *const *relays, size_t count,
                   const json_t *compat);

#endif
