// SPDX-License-Identifier: MIT
/* Engine allocation: the transport-neutral part of the engine ops. */
#include "engine/engine.h"

#include <errno.h>
#include <stdlib.h>

struct engine *engine_new(const struct engine_ops *ops)
{
	struct engine *e;

	if (!ops) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ops = ops;
	return e;
}

const char *engine_last_error(const struct engine *e)
{
	return e && e->why[0] ? e->why : NULL;
}
