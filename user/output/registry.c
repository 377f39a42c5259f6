// SPDX-License-Identifier: MIT
/* The printer registry: one ops table per format (printers.h). */
#include <errno.h>
#include <stdlib.h>

#include "output/printers.h"
#include "util.h"

static const struct output_ops *const output_registry[] = {
	[XFR_FMT_PLAIN] = &output_plain_ops,
	[XFR_FMT_JSON] = &output_json_ops,
	[XFR_FMT_JSON_STREAM] = &output_jsonstream_ops,
	[XFR_FMT_CSV] = &output_csv_ops,
};

struct output *output_new(enum xfr_format fmt, FILE *f, const struct output_opts *opts)
{
	struct output *o;

	if ((unsigned)fmt >= ARRAY_SIZE(output_registry) || !f) {
		errno = EINVAL;
		return NULL;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->ops = output_registry[fmt];
	o->f = f;
	if (opts)
		o->opts = *opts;
	return o;
}

void output_free(struct output *o)
{
	if (!o)
		return;
	free(o->priv);
	free(o);
}
