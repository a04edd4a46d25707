/*
 * lead-move: record leads' stage changes (and the fields that change
 * with them) in a journal, checked against its history; with --deal, a
 * lead's conversion into a new deal of the deals journal.
 */
#include "salespipe/append.h"

static const char usage[] =
    "usage: lead-move [-f file] [--at time] [--now time] [--reopen]\n"
    "                 [-i csv|jsonl] [-o csv|jsonl] [--map spec]\n"
    "                 [--stages spec] [--date-format format] [--tz zone]\n"
    "                 [--max-bad n] [--rejects file] [--encoding encoding]\n"
    "                 [--delimiter sep] [--max-record-size size]\n"
    "                 [--decimal-comma] [--thousands sep]\n"
    "                 [--allow-field name] [id stage [field=value ...]]\n"
    "       lead-move [-f file] [--deals file] [options] id stage\n"
    "                 [field=value ...] --deal [field=value ...]\n";

int
main(int argc, char **argv)
{
	static const cli_opt opts[] = {
		APPEND_LONGOPTS,
		APPEND_REOPEN_LONGOPT,
		{ "deal", no_argument, APPEND_OPT_DEAL, NULL,
		    "convert the lead: a new deal from the fields after it" },
		{ "deals", required_argument, APPEND_OPT_DEALS, "file",
		    "--deal: the deals journal" },
		{ "allow-duplicate", no_argument, APPEND_OPT_ALLOW_DUP, NULL,
		    "--deal: add a deal whose account and name are taken" },
		/* leads have no probability: append_main says so */
		CLI_REFUSED("probability-scale", required_argument,
		    CLI_OPT_PROB_SCALE),
		CLI_OPT_END
	};

	return append_main(argc, argv, usage, opts, &sp_kind_lead, 1);
}
