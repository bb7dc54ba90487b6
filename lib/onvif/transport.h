/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One ONVIF operation over HTTP: the gSOAP context of a handle (timeouts,
 * SOAP version, hooks), the WS-Security header, at most one HTTP-digest
 * retry, and the mapping of every failure to a negative errno and a message.
 */
#ifndef LS_ONVIF_TRANSPORT_H
#define LS_ONVIF_TRANSPORT_H

#include "lib/onvif/onvif_private.h"

/** A generated soap_call_* function, with its request and response as void *. */
typedef int (*ls_onvif_call_fn)(struct soap *soap, const char *endpoint, const char *action,
                                void *req, void *resp);

/** Defines `call_<name>`, an ls_onvif_call_fn around soap_call_<name>. */
#define LS_ONVIF_CALL(name, req_t, resp_t)                                                 \
    static int call_##name(struct soap *soap, const char *endpoint, const char *action,   \
                           void *req, void *resp)                                         \
    {                                                                                     \
        return soap_call_##name(soap, endpoint, action, (req_t *)req, (resp_t *)resp);    \
    }

/** An operation to run. */
struct ls_onvif_op {
    const char *name;     /**< e.g. "GetProfiles", for the action and messages */
    enum ls_onvif_svc svc;
    bool anonymous;       /**< send no WS-Security header */
    ls_onvif_call_fn fn;
    void *req, *resp;
};

/** Create the handle's gSOAP context. @return 0 or -ENOMEM. */
int ls_onvif_transport_init(struct ls_onvif *dev);

/** Free it (and everything it deserialized). */
void ls_onvif_transport_free(struct ls_onvif *dev);

/**
 * Run @p op: one request, and a second only to answer an HTTP digest
 * challenge. On success the response stays valid until ls_onvif_end().
 * @return 0 or a negative errno (the message is set).
 */
int ls_onvif_run(struct ls_onvif *dev, const struct ls_onvif_op *op);

/** Release what the last operation deserialized. */
void ls_onvif_end(struct ls_onvif *dev);

/**
 * Map the error of the last gSOAP call to a negative errno and set the
 * message ("<what>: ..."). @p elapsed_ms is how long the request took.
 */
int ls_onvif_soap_error(struct ls_onvif *dev, const char *what, int64_t elapsed_ms);

/**
 * An answer (not a fault) whose header holds a block marked mustUnderstand
 * that we do not know: set the message, naming it. @return -EBADMSG.
 */
int ls_onvif_header_error(struct ls_onvif *dev, const char *what);

/** Build the namespace table: the generated one, SOAP 1.1 or 1.2, plus ter and dn. */
struct Namespace *ls_onvif_namespaces(bool soap11);

#endif
