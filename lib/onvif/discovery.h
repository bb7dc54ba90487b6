/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * WS-Discovery messages, apart from the socket: the Probe we send and the
 * ProbeMatches we read (also fed to the fuzz target).
 */
#ifndef LS_ONVIF_DISCOVERY_H
#define LS_ONVIF_DISCOVERY_H

#include "lib/onvif/onvif_private.h"

/** The Probe envelope for @p message_id ("urn:uuid:..."), into @p out. @return length or -errno. */
int ls_onvif_probe_message(struct soap *soap, const char *message_id, char *out, size_t cap);

/**
 * Read one datagram: if it is a ProbeMatches answering @p message_id (or
 * naming no RelatesTo), add its matches to @p out (deduplicated by
 * endpoint; *count counts them all, even past @p cap).
 * @return the number of new devices, or -EBADMSG.
 */
int ls_onvif_read_probe_matches(struct soap *soap, const char *data, size_t len,
                                const char *message_id, struct ls_onvif_discovered *out,
                                size_t cap, size_t *count);

/** Split onvif://www.onvif.org/name/X and /hardware/X scopes into @p d. */
void ls_onvif_scope_fields(struct ls_onvif_discovered *d);

#endif
