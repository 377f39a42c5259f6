// SPDX-License-Identifier: MIT
/* Peer text made safe for a terminal (see text.h). */
#include "base/text.h"

#include <stdint.h>
#include <string.h>

/*
 * Decode one UTF-8 character at s (n bytes left): its length, or 0 when the
 * bytes are not valid UTF-8 (overlong forms, surrogates and values past
 * U+10FFFF included).
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = s[0] < 0x80	     ? 1
		     : (s[0] & 0xe0) == 0xc0 ? 2
		     : (s[0] & 0xf0) == 0xe0 ? 3
		     : (s[0] & 0xf8) == 0xf0 ? 4
					     : 0;
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	uint32_t c;

	if (!len || len > n)
		return 0;
	c = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters a terminal acts on or that change how text reads. */
static bool unsafe(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || /* C0, DEL, C1 */
	       c == 0x061c || (c >= 0x200b && c <= 0x200f) ||	    /* ALM, ZW*, LRM/RLM */
	       (c >= 0x2028 && c <= 0x202e) ||			    /* separators, embeddings */
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff ||	    /* isolates, BOM */
	       (c >= 0xfff9 && c <= 0xfffb);			    /* interlinear annotation */
}

size_t text_sanitize(char *dst, size_t len, const char *src, unsigned int flags)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), o = 0, bad = 0, k;
	uint32_t c;

	if (!len)
		return 0;
	while (n) {
		k = utf8_next(s, n, &c);
		if (k && c == '\r' && (flags & TEXT_KEEP_NEWLINES) && n > 1 && s[1] == '\n') {
			s++, n--; /* "\r\n" -> "\n" */
			continue;
		}
		if (!k || (unsafe(c) && !(c == '\n' && (flags & TEXT_KEEP_NEWLINES)))) {
			if (o + 1 >= len)
				break;
			dst[o++] = '?';
			bad++;
			k = k ? k : 1;
		} else {
			if (o + k >= len)
				break;
			memcpy(dst + o, s, k);
			o += k;
		}
		s += k;
		n -= k;
	}
	dst[o] = '\0';
	return bad;
}

bool text_is_safe(const char *s, unsigned int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;
	uint32_t c;

	while (n) {
		k = utf8_next(p, n, &c);
		if (!k || (unsafe(c) && !(c == '\n' && (flags & TEXT_KEEP_NEWLINES))))
			return false;
		p += k;
		n -= k;
	}
	return true;
}
