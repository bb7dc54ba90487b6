/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file version.h
 * @brief Compile-time and run-time version of the library API.
 */
#ifndef LIGHTSTREAM_VERSION_H
#define LIGHTSTREAM_VERSION_H

#include "lightstream/common.h"

/** API major version: bumped on incompatible changes; it is the soversion. */
#define LS_API_VERSION_MAJOR 0
/** API minor version: bumped when functions or fields are added. */
#define LS_API_VERSION_MINOR 4
/** API patch version. */
#define LS_API_VERSION_PATCH 0

/**
 * Version of the library actually loaded, e.g. "0.1.0".
 *
 * Thread-safety: safe; the string is static.
 */
LS_API const char *ls_version(void);

#endif /* LIGHTSTREAM_VERSION_H */
