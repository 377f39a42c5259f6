// SPDX-License-Identifier: MIT
/*
 * xfr diff: the reference's comparison (throughput, retransmits, RTT) plus
 * UDP loss and jitter. Each figure's change is (current - baseline) /
 * baseline in percent; a baseline of 0 with a current above it is +inf.
 * Throughput regresses when it falls by more than the threshold; the others
 * ("lower is better") when they rise by more. A figure is compared only when
 * both files have it.
 */
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cmd/cmdopt.h"
#include "cmd/diff.h"

#define USAGE "usage: xfr diff BASELINE CURRENT [--threshold PCT]"

/* One figure: where it is in a result, how to print it, which way is worse. */
struct figure {
	const char *label;
	const char *object; /* NULL: top level */
	const char *field;
	const char *fmt;    /* printf of one value */
	double scale;	    /* printed = value * scale */
	bool higher_better; /* throughput */
};

static const struct figure figures[] = {
	{"Throughput", NULL, "throughput_mbps", "%.1f Mbps", 1, true},
	{"Retransmits", "tcp_info", "retransmits", "%.0f", 1, false},
	{"RTT", "tcp_info", "rtt_us", "%.2f ms", 1e-3, false},
	{"UDP loss", "udp_stats", "lost_percent", "%.3f%%", 1, false},
	{"Jitter", "udp_stats", "jitter_ms", "%.3f ms", 1, false},
};

/* The figure's value in a result; false when the result does not have it. */
static bool figure_get(const json_t *res, const struct figure *f, double *v)
{
	const json_t *o = f->object ? json_object_get(res, f->object) : res;
	const json_t *x = json_is_object(o) ? json_object_get(o, f->field) : NULL;

	if (!json_is_number(x))
		return false;
	*v = json_number_value(x);
	return isfinite(*v);
}

static double change_pct(double base, double cur)
{
	if (base == 0)
		return cur > 0 ? INFINITY : 0;
	return (cur - base) / base * 100.0;
}

/* The tag and whether it is a regression (reference §6). */
static const char *verdict(const struct figure *f, double pct, double threshold, bool *bad)
{
	*bad = false;
	if (f->higher_better) {
		if (pct < -threshold) {
			*bad = true;
			return " [FAIL]";
		}
		return pct < 0 ? " [WARN]" : " [OK]";
	}
	if (pct > threshold) {
		*bad = true;
		return " [FAIL]";
	}
	return pct > 0 ? " [WARN]" : "";
}

/* One line for a figure both results have; returns whether it regressed. */
static bool print_figure(FILE *out, const struct figure *f, double base, double cur,
			 double threshold)
{
	double pct = change_pct(base, cur);
	const char *tag;
	bool bad;

	tag = verdict(f, pct, threshold, &bad);
	fprintf(out, "%s: ", f->label);
	fprintf(out, f->fmt, base * f->scale);
	fprintf(out, " \u2192 ");
	fprintf(out, f->fmt, cur * f->scale);
	if (isinf(pct))
		fprintf(out, " (+inf%%)%s\n", tag);
	else
		fprintf(out, " (%+.1f%%)%s\n", pct, tag);
	return bad;
}

/* A result file: one JSON object with a throughput_mbps. NULL after one line on err. */
static json_t *load_result(const char *path, FILE *err)
{
	json_error_t je;
	json_t *res = json_load_file(path, 0, &je);
	double v;

	if (!res) {
		if (je.line > 0)
			fprintf(err, "xfr: diff: %s:%d:%d: not JSON: %s\n", path, je.line,
				je.column, je.text);
		else
			fprintf(err, "xfr: diff: %s: %s\n", path, je.text);
		return NULL;
	}
	if (!json_is_object(res) || !figure_get(res, &figures[0], &v)) {
		fprintf(err,
			"xfr: diff: %s: not an xfr result (expected the JSON of --json or -o, with "
			"throughput_mbps)\n",
			path);
		json_decref(res);
		return NULL;
	}
	return res;
}

static bool compare(FILE *out, const json_t *base, const json_t *cur, double threshold)
{
	bool regressed = false;
	double b, c;

	for (size_t i = 0; i < sizeof(figures) / sizeof(figures[0]); i++) {
		if (figure_get(base, &figures[i], &b) && figure_get(cur, &figures[i], &c))
			regressed |= print_figure(out, &figures[i], b, c, threshold);
	}
	fprintf(out, "\nVerdict: %s\n", regressed ? "REGRESSION DETECTED" : "OK");
	return regressed;
}

static int parse_threshold(const char *arg, double *pct, FILE *err)
{
	char *end;

	*pct = strtod(arg, &end);
	if (end == arg || *end || !isfinite(*pct) || *pct < 0 || *pct > 1e6) {
		fprintf(err, "xfr: diff --threshold %s: must be a percentage, 0 to 1000000\n", arg);
		return -1;
	}
	return 0;
}

static void print_usage(FILE *out)
{
	fprintf(out,
		USAGE
		"\n\nCompare two results written by --json or -o. Throughput regresses when\n"
		"it falls by more than PCT percent (default %.0f); retransmits, RTT, UDP loss\n"
		"and jitter when they rise by more. Exit 0: no regression, 1: regression,\n"
		"2: bad arguments or unreadable input.\n\nOptions:\n"
		"  --threshold PCT  percent of change that counts as a regression\n"
		"  -h, --help       print this help\n",
		DIFF_DEFAULT_THRESHOLD);
}

static int set_threshold(const char *val, void *ctx, FILE *err)
{
	return parse_threshold(val, ctx, err);
}

static const struct cmd_opts diff_opts = {
	.cmd = "diff",
	.usage = USAGE,
	.opt = "threshold",
	.set = set_threshold,
	.help = print_usage,
	.operands = 2,
	.operands_are = "BASELINE and CURRENT",
};

enum diff_exit diff_main(int argc, char **argv, FILE *out, FILE *err)
{
	double threshold = DIFF_DEFAULT_THRESHOLD;
	json_t *base, *cur = NULL;
	bool regressed;
	int rc = cmd_opts_parse(&diff_opts, argc, argv, &threshold, out, err);

	if (rc)
		return rc > 0 ? DIFF_OK : DIFF_BAD_INPUT;
	base = load_result(argv[optind], err);
	if (base)
		cur = load_result(argv[optind + 1], err);
	if (!cur) {
		json_decref(base);
		return DIFF_BAD_INPUT;
	}
	regressed = compare(out, base, cur, threshold);
	json_decref(base);
	json_decref(cur);
	return regressed ? DIFF_REGRESSION : DIFF_OK;
}
