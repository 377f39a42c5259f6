// SPDX-License-Identifier: MIT
/* xfr: parse the command line, then run the server or one client test. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_sec.h"
#include "client/client.h"
#include "cmd/diff.h"
#include "cmd/discover.h"
#include "cmd/doctor.h"
#include "base/log.h"
#include "server/server.h"

/* --log-file: from here on, log lines go there. */
static int open_log(const char *path)
{
	char why[300];

	if (!log_set_file(path, why, sizeof(why)))
		return 0;
	fprintf(stderr, "xfr: --log-file %s: %s\n", path, why);
	return -1;
}

int main(int argc, char **argv)
{
	static struct xfr_config cfg;
	int rc;

	log_libs_init();
	if (argc > 1 && !strcmp(argv[1], "diff"))
		return diff_main(argc - 1, argv + 1, stdout, stderr);
	if (argc > 1 && !strcmp(argv[1], "discover"))
		return discover_main(argc - 1, argv + 1, stdout, stderr);
	switch (cli_parse(argc, argv, &cfg, stdout, stderr)) {
	case CLI_EXIT_OK:
		clisec_release(&cfg);
		return fflush(stdout) ? 1 : 0;
	case CLI_EXIT_USAGE:
		clisec_release(&cfg);
		return 2;
	case CLI_RUN:
		break;
	}
	log_set_level(cfg.log_level);
	if (cfg.log_file[0] && open_log(cfg.log_file)) {
		clisec_release(&cfg);
		return 1;
	}
	if (cfg.mode == XFR_MODE_SERVE) {
		rc = server_run(&cfg);
	} else if (cfg.mode == XFR_MODE_DOCTOR) {
		rc = doctor_run(stdout, cfg.iface[0] ? cfg.iface : NULL,
				cfg.format == XFR_FMT_JSON);
	} else {
		/* Rows must reach a pipe as they happen, not when a buffer fills. */
		setvbuf(stdout, NULL, _IOLBF, 0);
		rc = client_run(&cfg);
	}
	clisec_release(&cfg); /* the key wiped, the ACLs freed */
	return rc;
}
