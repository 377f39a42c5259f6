// SPDX-License-Identifier: MIT
/* The TUI's eleven themes (tui_theme.h). */
#include <curses.h>
#include <string.h>

#include "tui/tui_theme.h"

/* One role: 256-colour fg/bg, 8-colour fg/bg (-1 = the terminal's default), extra attributes. */
struct tui_ink {
	short fg, bg, fg8, bg8;
	int attr;
};

struct tui_theme {
	const char *name;
	const char *alias[3];
	struct tui_ink ink[TUI_R_N];
};

#define D -1
/* the roles in order: normal title border label value ok warn bad graph accent */
static const struct tui_theme themes[] = {
	{"default",
	 {NULL},
	 {{D, D, D, D, 0},
	  {15, 25, 7, 4, A_BOLD},
	  {244, D, 6, D, 0},
	  {250, D, 7, D, 0},
	  {15, D, 7, D, A_BOLD},
	  {40, D, 2, D, 0},
	  {220, D, 3, D, 0},
	  {196, D, 1, D, A_BOLD},
	  {39, D, 6, D, 0},
	  {45, D, 6, D, A_BOLD}}},
	{"kawaii",
	 {NULL},
	 {{218, D, 5, D, 0},
	  {231, 212, 7, 5, A_BOLD},
	  {219, D, 5, D, 0},
	  {225, D, 7, D, 0},
	  {231, D, 7, D, A_BOLD},
	  {121, D, 2, D, 0},
	  {229, D, 3, D, 0},
	  {204, D, 1, D, A_BOLD},
	  {213, D, 5, D, 0},
	  {159, D, 6, D, A_BOLD}}},
	{"cyber",
	 {"futuristic", NULL},
	 {{51, 16, 6, 0, 0},
	  {16, 51, 0, 6, A_BOLD},
	  {201, 16, 5, 0, 0},
	  {45, 16, 6, 0, 0},
	  {231, 16, 7, 0, A_BOLD},
	  {46, 16, 2, 0, 0},
	  {226, 16, 3, 0, 0},
	  {197, 16, 1, 0, A_BOLD},
	  {201, 16, 5, 0, 0},
	  {51, 16, 6, 0, A_BOLD}}},
	{"dracula",
	 {NULL},
	 {{253, 236, 7, 0, 0},
	  {231, 61, 7, 5, A_BOLD},
	  {61, 236, 5, 0, 0},
	  {189, 236, 7, 0, 0},
	  {231, 236, 7, 0, A_BOLD},
	  {84, 236, 2, 0, 0},
	  {228, 236, 3, 0, 0},
	  {203, 236, 1, 0, A_BOLD},
	  {141, 236, 5, 0, 0},
	  {212, 236, 5, 0, A_BOLD}}},
	{"monochrome", {"mono", NULL}, {{0}}},
	{"matrix",
	 {"hacker", NULL},
	 {{34, 16, 2, 0, 0},
	  {16, 46, 0, 2, A_BOLD},
	  {22, 16, 2, 0, 0},
	  {28, 16, 2, 0, 0},
	  {46, 16, 2, 0, A_BOLD},
	  {46, 16, 2, 0, A_BOLD},
	  {190, 16, 3, 0, 0},
	  {160, 16, 1, 0, A_BOLD},
	  {40, 16, 2, 0, 0},
	  {118, 16, 2, 0, A_BOLD}}},
	{"nord",
	 {NULL},
	 {{253, 236, 7, 0, 0},
	  {236, 110, 0, 6, A_BOLD},
	  {60, 236, 4, 0, 0},
	  {152, 236, 6, 0, 0},
	  {255, 236, 7, 0, A_BOLD},
	  {108, 236, 2, 0, 0},
	  {222, 236, 3, 0, 0},
	  {167, 236, 1, 0, A_BOLD},
	  {110, 236, 6, 0, 0},
	  {116, 236, 6, 0, A_BOLD}}},
	{"gruvbox",
	 {NULL},
	 {{223, 235, 7, 0, 0},
	  {235, 214, 0, 3, A_BOLD},
	  {243, 235, 3, 0, 0},
	  {250, 235, 7, 0, 0},
	  {229, 235, 7, 0, A_BOLD},
	  {142, 235, 2, 0, 0},
	  {214, 235, 3, 0, 0},
	  {167, 235, 1, 0, A_BOLD},
	  {108, 235, 6, 0, 0},
	  {175, 235, 5, 0, A_BOLD}}},
	{"catppuccin",
	 {"mocha", NULL},
	 {{189, 235, 7, 0, 0},
	  {235, 183, 0, 5, A_BOLD},
	  {103, 235, 5, 0, 0},
	  {146, 235, 7, 0, 0},
	  {231, 235, 7, 0, A_BOLD},
	  {150, 235, 2, 0, 0},
	  {223, 235, 3, 0, 0},
	  {211, 235, 1, 0, A_BOLD},
	  {117, 235, 6, 0, 0},
	  {218, 235, 5, 0, A_BOLD}}},
	{"tokyo_night",
	 {"tokyo", "tokyonight", NULL},
	 {{189, 234, 7, 0, 0},
	  {234, 111, 0, 4, A_BOLD},
	  {61, 234, 4, 0, 0},
	  {146, 234, 7, 0, 0},
	  {231, 234, 7, 0, A_BOLD},
	  {149, 234, 2, 0, 0},
	  {221, 234, 3, 0, 0},
	  {204, 234, 1, 0, A_BOLD},
	  {111, 234, 4, 0, 0},
	  {141, 234, 5, 0, A_BOLD}}},
	{"solarized",
	 {NULL},
	 {{246, 234, 7, 0, 0},
	  {234, 33, 0, 4, A_BOLD},
	  {240, 234, 6, 0, 0},
	  {245, 234, 7, 0, 0},
	  {254, 234, 7, 0, A_BOLD},
	  {106, 234, 2, 0, 0},
	  {136, 234, 3, 0, 0},
	  {160, 234, 1, 0, A_BOLD},
	  {37, 234, 6, 0, 0},
	  {125, 234, 5, 0, A_BOLD}}},
};
#undef D

#define NTHEMES (sizeof(themes) / sizeof(themes[0]))

/* Without colour the roles still differ by attribute. */
static const int mono_attr[TUI_R_N] = {
	[TUI_R_TITLE] = A_REVERSE | A_BOLD,
	[TUI_R_VALUE] = A_BOLD,
	[TUI_R_WARN] = A_UNDERLINE,
	[TUI_R_BAD] = A_REVERSE,
	[TUI_R_ACCENT] = A_BOLD,
};

static unsigned current;
static bool colour;

unsigned tui_theme_count(void)
{
	return NTHEMES;
}

const char *tui_theme_name(unsigned i)
{
	return themes[i < NTHEMES ? i : 0].name;
}

int tui_theme_find(const char *name)
{
	for (unsigned i = 0; i < NTHEMES; i++) {
		if (!strcmp(themes[i].name, name))
			return (int)i;
		for (unsigned a = 0; a < 3 && themes[i].alias[a]; a++)
			if (!strcmp(themes[i].alias[a], name))
				return (int)i;
	}
	return -1;
}

void tui_theme_apply(unsigned i)
{
	current = i < NTHEMES ? i : 0;
	colour = current != TUI_THEME_MONO && has_colors() && COLORS >= 8 && COLOR_PAIRS > TUI_R_N;
	if (!colour) {
		bkgdset(A_NORMAL | ' ');
		return;
	}
	for (int r = 0; r < TUI_R_N; r++) {
		const struct tui_ink *k = &themes[current].ink[r];
		bool wide = COLORS >= 256;

		init_pair((short)(r + 1), wide ? k->fg : k->fg8, wide ? k->bg : k->bg8);
	}
	bkgdset(COLOR_PAIR(TUI_R_NORMAL + 1) | ' ');
}

int tui_theme_attr(enum tui_role role)
{
	if (role >= TUI_R_N)
		role = TUI_R_NORMAL;
	if (!colour)
		return mono_attr[role];
	return COLOR_PAIR(role + 1) | themes[current].ink[role].attr;
}
