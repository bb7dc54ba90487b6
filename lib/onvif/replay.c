/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/onvif/replay.h"

/* The fake socket handed to gSOAP: valid, never a real descriptor. */
#define FAKE_SOCKET 1000000

static struct ls_onvif_replay *replay_of(struct soap *soap)
{
    return ((struct ls_onvif *)soap->user)->replay;
}

static SOAP_SOCKET replay_open(struct soap *soap, const char *endpoint, const char *host,
                               int port)
{
    (void)endpoint, (void)host, (void)port;
    struct ls_onvif_replay *r = replay_of(soap);
    if (r->next >= r->count) {
        soap->errnum = ECONNREFUSED;
        soap->error = SOAP_TCP_ERROR;
        return SOAP_INVALID_SOCKET;
    }
    r->next++;
    r->pos = 0;
    return FAKE_SOCKET;
}

static int replay_send(struct soap *soap, const char *buf, size_t len)
{
    struct ls_onvif_replay *r = replay_of(soap);
    char *grown = realloc(r->sent, r->sent_len + len + 1);
    if (!grown)
        return SOAP_EOM;
    memcpy(grown + r->sent_len, buf, len);
    r->sent = grown;
    r->sent_len += len;
    r->sent[r->sent_len] = '\0';
    return SOAP_OK;
}

static size_t replay_recv(struct soap *soap, char *buf, size_t len)
{
    struct ls_onvif_replay *r = replay_of(soap);
    if (!r->next)
        return 0;
    size_t i = r->next - 1, left = r->lengths[i] - r->pos;
    if (len > left)
        len = left;
    memcpy(buf, r->answers[i] + r->pos, len);
    r->pos += len;
    return len;
}

static int replay_close(struct soap *soap)
{
    soap->socket = SOAP_INVALID_SOCKET;
    return SOAP_OK;
}

static int replay_closesocket(struct soap *soap, SOAP_SOCKET fd)
{
    (void)soap, (void)fd;
    return SOAP_OK;
}

static int replay_shutdownsocket(struct soap *soap, SOAP_SOCKET fd, int how)
{
    (void)soap, (void)fd, (void)how;
    return SOAP_OK;
}

void ls_onvif_replay_hook(struct soap *soap, struct ls_onvif_replay *replay)
{
    replay->next = replay->pos = 0;
    soap->fopen = replay_open;
    soap->fsend = replay_send;
    soap->frecv = replay_recv;
    soap->fclose = replay_close;
    soap->fclosesocket = replay_closesocket;
    soap->fshutdownsocket = replay_shutdownsocket;
}

void ls_onvif_replay_free(struct ls_onvif_replay *replay)
{
    free(replay->sent);
    replay->sent = NULL;
    replay->sent_len = 0;
}
