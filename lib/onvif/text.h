/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Text helpers for device answers: bounded copies, whitespace trimming and
 * locale-free decimal numbers (the embedding program's LC_NUMERIC must not
 * turn "0.5" into "0,5" on the wire, nor make "12.5" unreadable). Pure.
 */
#ifndef LS_ONVIF_TEXT_H
#define LS_ONVIF_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/** XML whitespace: space, tab, CR, LF. */
bool ls_onvif_is_space(char c);

/**
 * Copy @p src (NULL counts as "") trimmed of surrounding whitespace into
 * @p dst, truncating to @p cap - 1 bytes. Always NUL-terminates (cap > 0).
 * @return true if it fitted whole.
 */
bool ls_onvif_copy_trim(char *dst, size_t cap, const char *src);

/** Case-insensitive ASCII comparison of @p s, trimmed, with @p word. */
bool ls_onvif_word_eq(const char *s, const char *word);

/**
 * Parse a decimal number ("12", "-0.5", "25.000000", "1e-3"), surrounding
 * whitespace allowed, in the C locale whatever the process's. No hex, no
 * inf/nan. @return false (and *out untouched) if @p s is not one.
 */
bool ls_onvif_parse_double(const char *s, double *out);

/** A non-negative number, rounded, saturated at UINT_MAX; 0 if absent or invalid. */
unsigned ls_onvif_parse_uint(const char *s);

/**
 * Write @p v with up to 6 decimals, no exponent, '.' as the separator
 * ("0.5", "-1", "0.000001"). |v| is clamped to 1e9. NUL-terminates.
 */
void ls_onvif_format_double(double v, char *out, size_t cap);

#endif
