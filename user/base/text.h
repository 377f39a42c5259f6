/* SPDX-License-Identifier: MIT */
/*
 * Text a peer sent, made safe for a terminal. A string from the other end
 * (a server's output, a version, an error message) can carry escape
 * sequences: C0 controls (ESC[2J, OSC 52 clipboard writes), C1 controls
 * encoded in UTF-8 (U+009B is a one-character CSI on many terminals, U+009D
 * an OSC), bidirectional overrides that make text read backwards (U+202E),
 * and invisible format characters. All of them, and any byte that is not
 * valid UTF-8, become '?'; printable UTF-8 stays as it is.
 */
#ifndef XFR_BASE_TEXT_H
#define XFR_BASE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define TEXT_KEEP_NEWLINES 1u /* keep '\n' (and turn "\r\n" into "\n"); else '?' */

/*
 * Copy src into dst (len bytes, NUL-terminated, never a cut character),
 * neutralising what a terminal would act on. Returns the number of
 * characters replaced.
 */
size_t text_sanitize(char *dst, size_t len, const char *src, unsigned int flags);

/* True when s holds nothing text_sanitize would replace. */
bool text_is_safe(const char *s, unsigned int flags);

#endif /* XFR_BASE_TEXT_H */
