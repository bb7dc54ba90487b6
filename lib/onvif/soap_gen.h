/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The soapcpp2-generated declarations (built from onvif_soap.h into the
 * build directory, which is a system include path so generated code is not
 * held to our warnings).
 */
#ifndef LS_ONVIF_SOAP_GEN_H
#define LS_ONVIF_SOAP_GEN_H

#include "soapH.h"

#endif
