// SPDX-License-Identifier: MIT
/* Value parsers that setters of several files share (cli.c, cli_serve.c). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "base/net.h"
#include "units.h"

#include "cli/cli_priv.h"

const char *cli_dur_ms(const char *arg, uint64_t *ms)
{
	int err = units_parse_duration_ms(arg, ms);

	size_t n = strlen(arg);

	if (err == -ERANGE)
		return "too large";
	if (err && n > 1 && arg[n - 1] == 'M' &&
	    (isdigit((unsigned char)arg[n - 2]) || arg[n - 2] == '.'))
		return "M is not a unit of time (use m or min for minutes)";
	if (err)
		return "not a duration (" DUR_UNITS ")";
	return NULL;
}

const char *cli_parse_port(const char *arg, uint16_t *port)
{
	int err = net_parse_port(arg, port);

	if (err == -ERANGE)
		return "must be between 1 and 65535";
	if (err)
		return "not a port";
	return NULL;
}
