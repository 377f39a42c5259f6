// SPDX-License-Identifier: MIT
/* Drawing primitives every panel uses: clipped text, boxes, glyphs (tui_paint.h). */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "tui/tui_paint.h"

int tui_put(int y, int x, int w, int attr, const char *s)
{
	wchar_t wb[512];
	mbstate_t st = {0};
	int rows = getmaxy(stdscr), cols = getmaxx(stdscr), used = 0, n = 0;

	if (y < 0 || y >= rows || x < 0 || x >= cols || w <= 0)
		return 0;
	if (w > cols - x)
		w = cols - x;
	while (*s && n < (int)(sizeof(wb) / sizeof(wb[0])) - 1) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, strlen(s), &st);
		int cw;

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			wc = L'?';
			k = 1;
		}
		cw = iswprint((wint_t)wc) ? wcwidth(wc) : -1;
		if (cw < 0) { /* never a control, whatever came in */
			wc = L'?';
			cw = 1;
		}
		if (used + cw > w)
			break;
		wb[n++] = wc;
		used += cw;
		s += k;
	}
	wb[n] = L'\0';
	attrset(attr);
	mvaddnwstr(y, x, wb, n);
	attrset(A_NORMAL);
	return used;
}

int tui_putf(int y, int x, int w, int attr, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tui_put(y, x, w, attr, buf);
}

void tui_clear(const struct tui_rect *r, int attr)
{
	attrset(attr);
	for (int y = r->y; y < r->y + r->h; y++)
		mvhline(y, r->x, ' ', r->w);
	attrset(A_NORMAL);
}

struct tui_rect tui_box(const struct tui_rect *r, const char *title)
{
	int a = tui_theme_attr(TUI_R_BORDER);
	struct tui_rect in = {r->y + 1, r->x + 1, r->h - 2, r->w - 2};

	if (r->h < 2 || r->w < 2)
		return (struct tui_rect){0};
	attrset(a);
	mvhline(r->y, r->x + 1, ACS_HLINE, r->w - 2);
	mvhline(r->y + r->h - 1, r->x + 1, ACS_HLINE, r->w - 2);
	mvvline(r->y + 1, r->x, ACS_VLINE, r->h - 2);
	mvvline(r->y + 1, r->x + r->w - 1, ACS_VLINE, r->h - 2);
	mvaddch(r->y, r->x, ACS_ULCORNER);
	mvaddch(r->y, r->x + r->w - 1, ACS_URCORNER);
	mvaddch(r->y + r->h - 1, r->x, ACS_LLCORNER);
	if (r->y + r->h < getmaxy(stdscr) || r->x + r->w < getmaxx(stdscr))
		mvaddch(r->y + r->h - 1, r->x + r->w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	if (title && r->w > 6)
		tui_putf(r->y, r->x + 2, r->w - 4, tui_theme_attr(TUI_R_ACCENT), " %s ", title);
	return in.h > 0 && in.w > 0 ? in : (struct tui_rect){0};
}

int tui_level_attr(enum tui_level l)
{
	switch (l) {
	case TUI_LVL_OK:
		return tui_theme_attr(TUI_R_OK);
	case TUI_LVL_WARN:
		return tui_theme_attr(TUI_R_WARN);
	case TUI_LVL_BAD:
		return tui_theme_attr(TUI_R_BAD);
	default:
		return tui_theme_attr(TUI_R_VALUE);
	}
}

const char *tui_glyph_up(const struct tui_ui *ui)
{
	return ui->utf8 ? "↑" : "^";
}

const char *tui_glyph_down(const struct tui_ui *ui)
{
	return ui->utf8 ? "↓" : "v";
}

const char *tui_glyph_block(const struct tui_ui *ui, int e)
{
	static const char *const u8[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char *const ascii[] = {" ", ".", ".", "_", "-", "=", "+", "#", "#"};

	e = e < 0 ? 0 : e > 8 ? 8 : e;
	return ui->utf8 ? u8[e] : ascii[e];
}
