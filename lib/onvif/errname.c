/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stddef.h>

#include "lightstream/onvif.h"

const char *ls_onvif_errname(int err)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {
        { EINVAL, "EINVAL" },         { ENOMEM, "ENOMEM" },     { EACCES, "EACCES" },
        { EOPNOTSUPP, "EOPNOTSUPP" }, { EPROTO, "EPROTO" },     { ETIMEDOUT, "ETIMEDOUT" },
        { EBADMSG, "EBADMSG" },       { ECONNREFUSED, "ECONNREFUSED" },
        { ENOENT, "ENOENT" },         { EIO, "EIO" },           { ENOSPC, "ENOSPC" },
    };
    if (err < 0)
        err = -err;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == err)
            return names[i].name;
    return "EUNKNOWN";
}
