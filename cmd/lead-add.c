/*
 * lead-add: add leads to a journal (or write them to stdout): from
 * field=value operands, or a batch of records on stdin, all or nothing.
 */
#include <stdlib.h>

#include "salespipe/append.h"

static const char usage[] =
    "usage: lead-add [-f file] [--at time] [--now time] [--allow-duplicate]\n"
    "                [-i csv|jsonl] [-o csv|jsonl] [--map spec] [--stages spec]\n"
    "                [--date-format format] [--max-bad n] [--rejects file]\n"
    "                [field=value ...]\n";

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_WRITE_LONGOPTS,
		APPEND_LONGOPTS,
		{ "allow-duplicate", no_argument, NULL, APPEND_OPT_ALLOW_DUP },
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
	append_read(&a, argc - optind, argv + optind, 0);
	return append_adds(&a);
}
