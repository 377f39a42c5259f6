// SPDX-License-Identifier: MIT
/* Completion scripts for bash, zsh (through bashcompinit) and fish. */
#include <errno.h>
#include <string.h>

#include "cli/completions.h"

/* The commands after "xfr", with their own options (diff and discover parse theirs). */
#define CMDS	      "serve doctor diff discover"
#define DIFF_OPTS     "--threshold --help"
#define DISCOVER_OPTS "--timeout --help"

static void words(FILE *out, const struct compl_opt *opts, size_t n, unsigned mode)
{
	for (size_t i = 0; i < n; i++) {
		if (!(opts[i].modes & mode))
			continue;
		fprintf(out, " --%s", opts[i].name);
		if (opts[i].short_name)
			fprintf(out, " -%c", opts[i].short_name);
	}
}

static void bash(FILE *out, const struct compl_opt *opts, size_t n)
{
	fputs("# xfr completion for bash: source <(xfr --completions bash)\n"
	      "_xfr() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} opts\n"
	      "\tcase ${COMP_WORDS[1]} in\n"
	      "\tserve) opts=\"",
	      out);
	words(out, opts, n, COMPL_SERVE);
	fputs("\" ;;\n\tdoctor) opts=\"", out);
	words(out, opts, n, COMPL_DOCTOR);
	fputs("\" ;;\n\tdiff) opts=\"" DIFF_OPTS "\" ;;\n"
	      "\tdiscover) opts=\"" DISCOVER_OPTS "\" ;;\n"
	      "\t*) opts=\"",
	      out);
	words(out, opts, n, COMPL_CLIENT);
	fputs("\"\n\t\t[ \"$COMP_CWORD\" -eq 1 ] && opts=\"$opts " CMDS "\" ;;\n"
	      "\tesac\n"
	      "\t# shellcheck disable=SC2207\n"
	      "\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "}\n"
	      "complete -o default -F _xfr xfr\n",
	      out);
}

static void zsh(FILE *out, const struct compl_opt *opts, size_t n)
{
	fputs("# xfr completion for zsh: source <(xfr --completions zsh)\n"
	      "autoload -U +X bashcompinit && bashcompinit\n",
	      out);
	bash(out, opts, n);
}

/* fish wants descriptions: single quotes, so a ' in the help becomes \'. */
static void fish_quoted(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('\'', out);
}

static void fish(FILE *out, const struct compl_opt *opts, size_t n)
{
	static const struct {
		unsigned mode;
		const char *cond;
	} when[] = {
		{COMPL_CLIENT, "not __fish_seen_subcommand_from " CMDS},
		{COMPL_SERVE, "__fish_seen_subcommand_from serve"},
		{COMPL_DOCTOR, "__fish_seen_subcommand_from doctor"},
	};

	fputs("# xfr completion for fish: xfr --completions fish | source\n"
	      "complete -c xfr -f\n"
	      "complete -c xfr -n '__fish_use_subcommand' -a '" CMDS "'\n"
	      "complete -c xfr -n '__fish_seen_subcommand_from diff' -l threshold -r\n"
	      "complete -c xfr -n '__fish_seen_subcommand_from discover' -l timeout -r\n",
	      out);
	for (size_t w = 0; w < sizeof(when) / sizeof(when[0]); w++) {
		for (size_t i = 0; i < n; i++) {
			if (!(opts[i].modes & when[w].mode))
				continue;
			fprintf(out, "complete -c xfr -n '%s' -l %s", when[w].cond, opts[i].name);
			if (opts[i].short_name)
				fprintf(out, " -s %c", opts[i].short_name);
			if (opts[i].takes_value)
				fputs(" -r", out);
			fputs(" -d ", out);
			fish_quoted(out, opts[i].help);
			fputc('\n', out);
		}
	}
}

int completions_print(FILE *out, const char *shell, const struct compl_opt *opts, size_t n)
{
	if (!strcmp(shell, "bash"))
		bash(out, opts, n);
	else if (!strcmp(shell, "zsh"))
		zsh(out, opts, n);
	else if (!strcmp(shell, "fish"))
		fish(out, opts, n);
	else
		return -EINVAL;
	return 0;
}
