/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * URL helpers: the one redactor of secrets in URLs and text. Pure. Its API
 * is public (lightstream/redact.h): applications hide what the library
 * hides, behind the same mask.
 */
#ifndef LS_LIB_URL_H
#define LS_LIB_URL_H

#include "lightstream/redact.h"

#endif
