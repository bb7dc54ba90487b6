/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"
#include "lightstream/version.h"
#include "lightstream/events.h"

const char *ls_version(void)
{
    return LS_VERSION;
}

const char *ls_event_type_name(enum ls_event_type type)
{
    switch (type) {
    case LS_EVENT_STATE:
        return "state";
    case LS_EVENT_CODEC:
        return "codec";
    case LS_EVENT_OUTPUT_UP:
        return "output-up";
    case LS_EVENT_OUTPUT_DOWN:
        return "output-down";
    case LS_EVENT_ERROR:
        return "error";
    case LS_EVENT_SEGMENT_OPENED:
        return "segment-opened";
    case LS_EVENT_SEGMENT_CLOSED:
        return "segment-closed";
    case LS_EVENT_RECORDING_PAUSED:
        return "recording-paused";
    case LS_EVENT_RECORDING_RESUMED:
        return "recording-resumed";
    }
    return "unknown";
}
