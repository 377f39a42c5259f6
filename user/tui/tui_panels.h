/* SPDX-License-Identifier: MIT */
/*
 * The panels of the client TUI, each drawn into the rect the layout gives it:
 * configuration and stats (tui_panels.c), the sparkline and the lower panel
 * (tui_graph.c), the overlays (tui_modal.c).
 */
#ifndef XFR_TUI_TUI_PANELS_H
#define XFR_TUI_TUI_PANELS_H

#include "tui/tui_paint.h"
#include "tui/tui_view.h"

void tui_draw_config(const struct tui_rect *r, const struct tui_view *v, const struct tui_ui *ui);
void tui_draw_stats(const struct tui_rect *r, const struct tui_view *v, const struct tui_ui *ui,
		    bool boxed);
void tui_draw_graph(const struct tui_rect *r, const struct tui_view *v, const struct tui_ui *ui);
void tui_draw_lower(const struct tui_rect *r, const struct tui_view *v, const struct tui_ui *ui);
void tui_draw_modal(const struct tui_view *v, const struct tui_ui *ui, int rows, int cols);

#endif /* XFR_TUI_TUI_PANELS_H */
