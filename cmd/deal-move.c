/*
 * deal-move: record deals' stage changes (and the fields that change
 * with them) in a journal, checked against its history.
 */
#include "salespipe/append.h"

static const char usage[] =
    "usage: deal-move [-f file] [--at time] [--now time] [--reopen]\n"
    "                 [-i csv|jsonl] [-o csv|jsonl] [--map spec]\n"
    "                 [--stages spec] [--date-format format] [--tz zone]\n"
    "                 [--max-bad n] [--rejects file] [--encoding encoding]\n"
    "                 [--delimiter sep] [--max-record-size size]\n"
    "                 [--decimal-comma] [--thousands sep]\n"
    "                 [--allow-field name] [--probability-scale 1|100]\n"
    "                 [id stage [field=value ...]]\n";

int
main(int argc, char **argv)
{
	static const cli_opt opts[] = {
		APPEND_LONGOPTS,
		APPEND_REOPEN_LONGOPT,
		CLI_PROB_LONGOPT,
		CLI_OPT_END
	};

	return append_main(argc, argv, usage, opts, &sp_kind_deal, 1);
}
