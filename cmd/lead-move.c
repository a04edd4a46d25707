/*
 * lead-move: record leads' stage changes (and the fields that change
 * with them) in a journal, checked against its history.
 */
#include <stdlib.h>

#include "salespipe/append.h"

static const char usage[] =
    "usage: lead-move [-f file] [--at time] [--now time] [--reopen]\n"
    "                [-i csv|jsonl] [-o csv|jsonl] [--map spec] [--stages spec]\n"
    "                [--date-format format] [--max-bad n] [--rejects file]\n"
    "                [id stage [field=value ...]]\n";

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_WRITE_LONGOPTS,
		APPEND_LONGOPTS,
		{ "reopen", no_argument, NULL, APPEND_OPT_REOPEN },
		{ NULL, 0, NULL, 0 }
	};
	sp_cli c;
	sp_append a;
	int ch;

	cli_init(&c, argv, usage, SP_STAGES_LEADS);
	append_init(&a, &c, &sp_kind_lead);
	while ((ch = getopt_long(argc, argv, APPEND_SHORTOPTS
	    CLI_WRITE_SHORTOPTS, opts, NULL)) != -1)
		if (!cli_option(&c, ch, optarg) && !append_option(&a, ch, optarg))
			cli_usage(&c);
	append_read(&a, argc - optind, argv + optind, 1);
	return append_moves(&a);
}
