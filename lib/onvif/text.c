/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/onvif/text.h"

bool ls_onvif_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool ls_onvif_copy_trim(char *dst, size_t cap, const char *src)
{
    if (!dst || !cap)
        return false;
    dst[0] = '\0';
    if (!src)
        return true;
    while (ls_onvif_is_space(*src))
        src++;
    size_t n = strlen(src);
    while (n && ls_onvif_is_space(src[n - 1]))
        n--;
    bool whole = n < cap;
    if (!whole)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return whole;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool ls_onvif_word_eq(const char *s, const char *word)
{
    if (!s)
        return false;
    while (ls_onvif_is_space(*s))
        s++;
    for (; *word; s++, word++)
        if (lower(*s) != lower(*word))
            return false;
    while (ls_onvif_is_space(*s))
        s++;
    return *s == '\0';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits into *v (as a double: precision beyond 15 digits is irrelevant
 * here); returns how many were read. */
static int read_digits(const char **p, double *v, int *frac_scale, bool frac)
{
    int n = 0;
    for (; is_digit(**p); (*p)++, n++) {
        *v = *v * 10 + (**p - '0');
        if (frac)
            (*frac_scale)++;
    }
    return n;
}

static bool read_exponent(const char **p, int *exp)
{
    if (**p != 'e' && **p != 'E')
        return true;
    (*p)++;
    int sign = 1;
    if (**p == '+' || **p == '-')
        sign = *(*p)++ == '-' ? -1 : 1;
    if (!is_digit(**p))
        return false;
    int e = 0;
    for (; is_digit(**p); (*p)++)
        if (e < 10000)
            e = e * 10 + (**p - '0');
    *exp = sign * e;
    return true;
}

bool ls_onvif_parse_double(const char *s, double *out)
{
    if (!s)
        return false;
    while (ls_onvif_is_space(*s))
        s++;
    double sign = 1, v = 0;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    int scale = 0, exp = 0;
    int digits = read_digits(&s, &v, &scale, false);
    if (*s == '.') {
        s++;
        digits += read_digits(&s, &v, &scale, true);
    }
    if (!digits || !read_exponent(&s, &exp))
        return false;
    while (ls_onvif_is_space(*s))
        s++;
    if (*s)
        return false;
    exp -= scale;
    if (exp < -400)
        exp = -400;
    if (exp > 400)
        exp = 400;
    v *= pow(10.0, exp);
    if (!isfinite(v))
        return false;
    *out = sign * v;
    return true;
}

unsigned ls_onvif_parse_uint(const char *s)
{
    double v;
    if (!ls_onvif_parse_double(s, &v) || !(v > 0))
        return 0;
    if (v >= (double)UINT_MAX)
        return UINT_MAX;
    return (unsigned)(v + 0.5);
}

void ls_onvif_format_double(double v, char *out, size_t cap)
{
    if (!out || !cap)
        return;
    if (!isfinite(v))
        v = 0;
    if (v > 1e9)
        v = 1e9;
    if (v < -1e9)
        v = -1e9;
    /* Integer arithmetic on micro-units: no locale, no exponent. */
    bool neg = v < 0;
    uint64_t micro = (uint64_t)llround(fabs(v) * 1e6);
    uint64_t ip = micro / 1000000, fp = micro % 1000000;
    if (!ip && !fp)
        neg = false;
    char frac[8] = "";
    if (fp) {
        snprintf(frac, sizeof(frac), ".%06u", (unsigned)fp);
        size_t n = strlen(frac);
        /* fp > 0 leaves a non-zero digit, but the compiler cannot know what
         * snprintf wrote: n > 1 keeps the index provably in the array. */
        while (n > 1 && frac[n - 1] == '0')
            frac[--n] = '\0';
    }
    snprintf(out, cap, "%s%llu%s", neg ? "-" : "", (unsigned long long)ip, frac);
}
