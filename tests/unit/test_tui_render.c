// SPDX-License-Identifier: MIT
/*
 * A render fuzz of the client TUI: random views (huge and hostile values,
 * peer strings full of escape sequences), random UI states and themes, and
 * random terminal sizes from 1x1 up, drawn by the real renderer through
 * ncurses into a file as an xterm. Checks: every cell of curses' screen holds
 * a printable character; the panels' borders are intact (no field ran past
 * its box); the bytes sent to the "terminal" carry none of the peer's escape
 * sequences (OSC, BEL, C1 CSI, bidi overrides).
 *
 * With XFR_RENDER_DUMP=DIR, every 25th round is also repainted in full and
 * written out: DIR/N.raw holds the bytes of that repaint, DIR/N.txt the size
 * and what curses believes is on the screen. tests/integration/vt_check.py
 * feeds each .raw through a VT100 emulator (pyte) and compares: a terminal
 * that parsed the bytes must show exactly that, and nothing else.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include <cmocka.h>
#include <curses.h>

#include "tui/tui_draw.h"

#define ROUNDS 1500

static const char *const hostile[] = {
	"\x1b]0;PWNED\x07",
	"\x1b]52;c;aGk=\x07",
	"a\xc2\x9b"
	"31mred",
	"\xe2\x80\xae"
	"txet",
	"\x1b[2J\x1b[H",
	"\xff\xfe bad utf8",
	"wide \xe7\xbd\x91\xe7\xbb\x9c\xe6\xb5\x8b",
	"\r\n\t\b",
	"ok",
};

static double rnd_value(void)
{
	static const double big[] = {0, 1, 999.5, 1e9, 9.41e9, 1.2e12, 3.4e15, 1.8e19, 1e300};

	return rand() % 3 ? (double)rand() * (rand() % 1000) : big[rand() % 9];
}

static void rnd_view(struct tui_view *v)
{
	struct xfr_result r = {0};
	struct xfr_flow f[8];
	struct xfr_interval iv = {.flows = f};
	struct xfr_event ev = {.type = XFR_EV_TEST_START, .res = &r};

	tui_view_reset(v);
	snprintf(r.host, sizeof(r.host), "%s", hostile[rand() % 9]);
	snprintf(r.server_version, sizeof(r.server_version), "%s", hostile[rand() % 9]);
	r.proto = rand() % 2 ? XFR_PROTO_UDP : XFR_PROTO_TCP;
	r.dir = (enum xfr_dir)(rand() % 3);
	r.streams = 1 + rand() % 128;
	r.duration_req_s = rand() % 2 ? 0 : (uint32_t)rand();
	r.bytes_req = rand() % 4 ? 0 : (uint64_t)rnd_value();
	tui_view_event(v, &ev);
	for (int k = rand() % 40; k > 0; k--) {
		iv.start_s = v->elapsed_s;
		iv.end_s = iv.start_s + (rand() % 5 ? 1 : 1e-6);
		iv.nflows = (uint32_t)(rand() % 8);
		for (uint32_t i = 0; i < iv.nflows; i++) {
			memset(&f[i], 0, sizeof(f[i]));
			f[i].stream = (uint32_t)(rand() % 130);
			f[i].dir = (enum xfr_flow_dir)(rand() % 2);
			f[i].has_recv = rand() % 2;
			f[i].recv_bytes = (uint64_t)rnd_value();
			f[i].sent_bytes = (uint64_t)rnd_value();
			f[i].has_tcp = rand() % 2;
			f[i].tcp.rtt_us = (uint32_t)rand();
			f[i].tcp.retransmits = (uint64_t)rnd_value();
			f[i].has_udp_rx = rand() % 2;
			f[i].udp.lost = (uint64_t)rnd_value();
			f[i].udp.packets_received = (uint64_t)rnd_value();
			f[i].udp.jitter_ms = rnd_value() / 1e6;
			f[i].has_xdp = rand() % 4 == 0;
			f[i].xdp_packets = (uint64_t)rnd_value();
			f[i].has_drops_rx = rand() % 4 == 0;
			f[i].drops_rx.n = 1;
			snprintf(f[i].drops_rx.d[0].reason, sizeof(f[i].drops_rx.d[0].reason), "%s",
				 hostile[rand() % 9]);
			f[i].drops_rx.d[0].packets = (uint64_t)rnd_value();
		}
		ev = (struct xfr_event){.type = XFR_EV_INTERVAL, .iv = &iv};
		tui_view_event(v, &ev);
	}
	if (rand() % 3 == 0) {
		ev = (struct xfr_event){.type = XFR_EV_NOTICE, .text = hostile[rand() % 9]};
		tui_view_event(v, &ev);
	}
	if (rand() % 4 == 0) {
		ev = (struct xfr_event){.type = rand() % 2 ? XFR_EV_TEST_END : XFR_EV_ERROR,
					.why = hostile[rand() % 9],
					.text = hostile[rand() % 9]};
		tui_view_event(v, &ev);
	}
	v->paused = rand() % 5 == 0;
}

static void rnd_ui(struct tui_ui *ui)
{
	memset(ui, 0, sizeof(*ui));
	ui->utf8 = rand() % 4 != 0;
	ui->show_streams = rand() % 2;
	ui->help = rand() % 6 == 0;
	ui->settings_open = rand() % 6 == 0;
	ui->set.row = (unsigned)(rand() % TUI_SET_N);
	ui->set.streams = 1 + (uint32_t)(rand() % 128);
	ui->prefs.theme = (unsigned)(rand() % (int)tui_theme_count());
	ui->prefs.units = (enum tui_units)(rand() % TUI_UNITS_N);
	ui->cancelling = rand() % 8 == 0;
	if (rand() % 3 == 0)
		snprintf(ui->note, sizeof(ui->note), "note %d", rand());
}

/* Every cell: printable (or a blank), never a control. */
static void check_cells(int rows, int cols)
{
	for (int y = 0; y < rows; y++)
		for (int x = 0; x < cols; x++) {
			cchar_t cc;
			wchar_t wc[CCHARW_MAX + 1];
			attr_t a;
			short pair;

			if (mvin_wch(y, x, &cc) == ERR)
				continue;
			getcchar(&cc, wc, &a, &pair, NULL);
			for (int i = 0; wc[i]; i++)
				if (!iswprint((wint_t)wc[i]) && wc[i] != L' ')
					fail_msg("cell %d,%d holds U+%04X", y, x, (unsigned)wc[i]);
		}
}

static bool is_vline(int y, int x)
{
	chtype m = A_CHARTEXT | A_ALTCHARSET;

	return (mvinch(y, x) & m) == (ACS_VLINE & m);
}

/* The boxes' left and right sides: a field that ran past its box would have overwritten them. */
static void check_borders(const struct tui_view *v, int rows, int cols)
{
	struct tui_layout l;
	const struct tui_rect *boxes[4];
	int n = 0;

	tui_layout(&l, rows, cols, tui_stats_rows(v));
	if (l.too_small)
		return;
	if (l.config.h)
		boxes[n++] = &l.config, boxes[n++] = &l.stats;
	if (l.graph.h)
		boxes[n++] = &l.graph;
	if (l.lower.h)
		boxes[n++] = &l.lower;
	for (int i = 0; i < n; i++)
		for (int y = boxes[i]->y + 1; y < boxes[i]->y + boxes[i]->h - 1; y++)
			if (!is_vline(y, boxes[i]->x) ||
			    !is_vline(y, boxes[i]->x + boxes[i]->w - 1)) {
				char line[1024];
				mvinnstr(y, 0, line, cols < 1000 ? cols : 1000);
				fprintf(stderr, "row: [%s]\n", line);
				fail_msg("box %d (%d,%d %dx%d) broken at row %d in %dx%d", i,
					 boxes[i]->y, boxes[i]->x, boxes[i]->w, boxes[i]->h, y,
					 cols, rows);
			}
}

static void check_stream(FILE *out)
{
	static const char *const bad[] = {"\x07", "\x1b]", "\xc2\x9b", "\xe2\x80\xae", "PWNED\x07"};
	size_t n;
	char *buf;

	fflush(out);
	n = (size_t)ftell(out);
	buf = malloc(n + 1);
	assert_non_null(buf);
	rewind(out);
	assert_int_equal(fread(buf, 1, n, out), n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (memmem(buf, n, bad[i], strlen(bad[i])))
			fail_msg("the output holds bad[%zu] at %td", i,
				 (char *)memmem(buf, n, bad[i], strlen(bad[i])) - buf);
	free(buf);
}

/* Curses' screen as UTF-8 text, one line per row, after a "ROWS COLS" line. */
static void dump_screen(FILE *f, int rows, int cols)
{
	fprintf(f, "%d %d\n", rows, cols);
	for (int y = 0; y < rows; y++) {
		for (int x = 0; x < cols; x++) {
			cchar_t cc;
			wchar_t wc[CCHARW_MAX + 1] = {0};
			attr_t a;
			short pair;
			char mb[16];
			int n;

			mvin_wch(y, x, &cc);
			getcchar(&cc, wc, &a, &pair, NULL);
			if ((a & A_ALTCHARSET) && wc[0] < 128) { /* ACS: the line drawing char */
				fputc('+', f);
				continue;
			}
			n = wctomb(mb, wc[0] ? wc[0] : L' ');
			fwrite(mb, 1, n > 0 ? (size_t)n : 0, f);
			if (wcwidth(wc[0]) == 2)
				x++; /* its second cell */
		}
		fputc('\n', f);
	}
}

/* Round n repainted in full: its bytes to DIR/n.raw, curses' screen to DIR/n.txt. */
static void dump_round(const char *dir, FILE *out, int n, int rows, int cols)
{
	char path[512];
	long from, to;
	FILE *f;
	char *buf;

	clearok(curscr, TRUE);
	fflush(out);
	from = ftell(out);
	wnoutrefresh(stdscr);
	doupdate();
	fflush(out);
	to = ftell(out);
	buf = malloc((size_t)(to - from));
	assert_non_null(buf);
	fseek(out, from, SEEK_SET);
	assert_int_equal(fread(buf, 1, (size_t)(to - from), out), (size_t)(to - from));
	fseek(out, to, SEEK_SET);
	snprintf(path, sizeof(path), "%s/%d.raw", dir, n);
	assert_non_null(f = fopen(path, "w"));
	fwrite(buf, 1, (size_t)(to - from), f);
	fclose(f);
	free(buf);
	snprintf(path, sizeof(path), "%s/%d.txt", dir, n);
	assert_non_null(f = fopen(path, "w"));
	dump_screen(f, rows, cols);
	fclose(f);
}

static void test_render_fuzz(void **state)
{
	struct tui_view *v = calloc(1, sizeof(*v));
	struct tui_ui ui;
	FILE *out = tmpfile(), *in = fopen("/dev/null", "r");
	const char *dump = getenv("XFR_RENDER_DUMP");
	SCREEN *s;

	(void)state;
	assert_non_null(v);
	assert_non_null(out);
	s = newterm("xterm-256color", out, in);
	if (!s)
		skip();
	set_term(s);
	start_color();
	use_default_colors();
	srand(13);
	for (int round = 0; round < ROUNDS; round++) {
		int rows = 1 + rand() % 70, cols = 1 + rand() % 220;

		if (round % 5 == 0) { /* the small sizes get their share */
			rows = 1 + rand() % 14;
			cols = 1 + rand() % 50;
		}
		resizeterm(rows, cols);
		rnd_view(v);
		rnd_ui(&ui);
		tui_theme_apply(ui.prefs.theme);
		tui_draw(v, &ui);
		check_cells(rows, cols);
		if (!ui.help && !ui.settings_open && !v->paused)
			check_borders(v, rows, cols);
		if (dump && round % 25 == 0) {
			dump_round(dump, out, round / 25, rows, cols);
			continue;
		}
		wnoutrefresh(stdscr);
		doupdate();
	}
	endwin();
	check_stream(out);
	delscreen(s);
	fclose(out);
	fclose(in);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_fuzz),
	};

	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
