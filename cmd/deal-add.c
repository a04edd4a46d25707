/*
 * deal-add: add deals to a journal (or write them to stdout): from
 * field=value operands, or a batch of records on stdin, all or nothing.
 */
#include "salespipe/append.h"

static const char usage[] =
    "usage: deal-add [-f file] [--at time] [--now time] [--allow-duplicate]\n"
    "                [-i csv|jsonl] [-o csv|jsonl] [--map spec]\n"
    "                [--stages spec] [--date-format format] [--tz zone]\n"
    "                [--max-bad n] [--rejects file] [--encoding encoding]\n"
    "                [--delimiter sep] [--max-record-size size]\n"
    "                [--decimal-comma] [--thousands sep] [--allow-field name]\n"
    "                [--probability-scale 1|100] [field=value ...]\n";

int
main(int argc, char **argv)
{
	static const cli_opt opts[] = {
		APPEND_LONGOPTS,
		APPEND_ALLOW_DUP_LONGOPT,
		CLI_PROB_LONGOPT,
		CLI_OPT_END
	};

	return append_main(argc, argv, usage, opts, &sp_kind_deal, 0);
}
