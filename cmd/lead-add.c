/*
 * lead-add: add leads to a journal (or write them to stdout): from
 * field=value operands, or a batch of records on stdin, all or nothing.
 */
#include "salespipe/append.h"

static const char usage[] =
    "usage: lead-add [-f file] [--at time] [--now time] [--allow-duplicate]\n"
    "                [--default-country code] [-i csv|jsonl] [-o csv|jsonl]\n"
    "                [--map spec] [--stages spec] [--date-format format]\n"
    "                [--tz zone] [--max-bad n] [--rejects file]\n"
    "                [--encoding encoding] [--delimiter sep]\n"
    "                [--max-record-size size] [--decimal-comma]\n"
    "                [--thousands sep] [--allow-field name]\n"
    "                [field=value ...]\n";

int
main(int argc, char **argv)
{
	static const cli_opt opts[] = {
		APPEND_LONGOPTS,
		APPEND_ALLOW_DUP_LONGOPT,
		{ "default-country", required_argument,
		    APPEND_OPT_DEFAULT_COUNTRY, "code",
		    "calling code of phone numbers without one" },
		/* leads have no probability: append_main says so */
		CLI_REFUSED("probability-scale", required_argument,
		    CLI_OPT_PROB_SCALE),
		CLI_OPT_END
	};

	return append_main(argc, argv, usage, opts, &sp_kind_lead, 0);
}
