/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Replay mode: canned HTTP answers instead of sockets (tests, fuzzing).
 */
#ifndef LS_ONVIF_REPLAY_H
#define LS_ONVIF_REPLAY_H

#include "lib/onvif/onvif_private.h"

/** Make @p soap read its answers from @p replay and record what it sends. */
void ls_onvif_replay_hook(struct soap *soap, struct ls_onvif_replay *replay);

/** Free what the replay recorded. */
void ls_onvif_replay_free(struct ls_onvif_replay *replay);

#endif
