/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lightstream/onvif.h compiles with nothing before it, twice (include guards). */
#include "lightstream/onvif.h"
#include "lightstream/onvif.h"

int main(void)
{
    struct ls_onvif_settings s;
    ls_onvif_default_settings(&s);
    return s.port == 80 ? 0 : 1;
}
