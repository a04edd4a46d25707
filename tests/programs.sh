# Which programs there are, and which of them are read programs, decided
# from the sources with no hand list (sourced by tests/bad.sh,
# tests/property.sh and tests/synopsis.sh, from the top directory).
#   a program       cmd/P.c (the Makefile builds bin/P from it); its page
#                   is man/P.1, which every program must have
#   a read program  one whose SYNOPSIS takes record files as operands: the
#                   line `.Op Ar' ("[file ...]") or `.Op Ar history ...' between
#                   `.Sh SYNOPSIS' and the next `.Sh' of man/P.1.  The
#                   write programs take field=value or id stage operands,
#                   deal-gen (a generator) none, so they are not read
#                   programs; a new filter is one as soon as its page says
#                   it reads files.  report (`.Op Ar deals ...') is none:
#                   it is no filter (no --partial, --threads, -g; its
#                   output is the read programs' tables), it runs them; the
#                   suites check it against them (tests/bad.sh: every case
#                   through report; tests/property.sh: its sections equal
#                   the programs run alone).

# programs_all: every program, one name a line, in the order of the glob
programs_all() {
	for c in cmd/*.c; do
		[ -f "$c" ] || continue
		c=${c##*/}
		echo "${c%.c}"
	done
}

# programs_no_page: the programs without a man page, one a line
programs_no_page() {
	for p in $(programs_all); do
		[ -f "man/$p.1" ] || echo "$p"
	done
}

# programs_read: the read programs (a program without a page is none)
programs_read() {
	for p in $(programs_all); do
		[ -f "man/$p.1" ] || continue
		sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "man/$p.1" |
		    grep -q '^\.Op Ar\( history \.\.\.\)\{0,1\} *$' && echo "$p"
	done
}

# The first SYNOPSIS form of a read program decides how the suites run it:
#   `.Op Ar history ...'  its operands are histories: it refuses snapshots
#                   (pipeline, deal-diff), so the suites give it histories
#                   and expect the refusal of a snapshot
#   `.Fl Fl NAME Ar x' outside `.Op'
#                   an option it requires (deal-diff --from): the suites
#                   give it the value below for NAME, the one table of
#                   them (a required option not in it fails the suites)

# synopsis_form1 P: the lines of P's first SYNOPSIS form
synopsis_form1() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "man/$1.1" |
	    awk 'NR > 1 && /^\.Nm/ { if (++n > 1) exit } n == 1'
}

# program_history_only P: true when P reads histories only
program_history_only() {
	synopsis_form1 "$1" | grep -q '^\.Op Ar history \.\.\. *$'
}

# program_args P: the options P requires, with the suites' values (one
# line; empty for most programs)
program_args() {
	synopsis_form1 "$1" | sed -n 's/^\.Fl Fl \([a-z-]*\) Ar .*/\1/p' |
	while read -r o; do
		case $o in
		# the middle of examples/ and of deal-gen's years: deals open,
		# created and closed on both sides of it
		from) printf -- '--from 2025-07-01T00:00:00Z ' ;;
		*) printf -- '--%s REQUIRED-OPTION-WITHOUT-A-TEST-VALUE ' "$o" ;;
		esac
	done
}

# program_reads_leads P: true when P's records are leads (its cli_init
# takes the lead stage list)
program_reads_leads() {
	grep -q 'cli_init(.*SP_STAGES_LEADS)' "cmd/$1.c"
}

# program_suite_args P: the options the suites give P beyond those it
# requires: a program that reads leads gets the deal stages of the
# suites' inputs as its stage list, so that their deals read as leads
# (the same records, fields and bytes: what the suites test is the
# reading)
program_suite_args() {
	program_reads_leads "$1" &&
	    printf -- '--stages qualification,discovery,proposal,negotiation,won,lost '
}

# programs_bin SRC DIR [PREFIX...]: DIR/P for every program P of SRC (a
# build's bin/), running SRC/P with the options P requires before its
# arguments, under the command PREFIX (valgrind ...) when given
programs_bin() {
	_src=$1 _dir=$2
	shift 2
	mkdir -p "$_dir" || return 1
	for _p in $(programs_all); do
		printf '#!/bin/sh\nexec %s "%s" %s%s"$@"\n' "$*" "$_src/$_p" \
		    "$(program_args "$_p")" "$(program_suite_args "$_p")" \
		    >"$_dir/$_p"
		chmod +x "$_dir/$_p"
	done
}

# program_reads_activities P: true when P's records are activities (at,
# owner, type, minutes or end_at), not deals (its records go through the
# engine as records: cli_agg_deals with SP_NEED_RECORDS): the suites give it
# examples/activities.* and activities_gen's, and no deals
program_reads_activities() {
	grep -q 'cli_agg_deals(.*SP_NEED_RECORDS' "cmd/$1.c"
}

# activities_gen N SEED csv|jsonl: N activities of 2026 on stdout, the
# same for the same arguments in every awk: eight owners (and a type in
# two cases), starts on a quarter-hour grid between 07:00 and 18:45 (so
# that one owner's activities overlap often), minutes 0-120 or an end_at
# (one in eight), a deal of examples/deals.csv on two in three
activities_gen() {
	awk -v n="$1" -v seed="$2" -v fmt="$3" '
	function rnd(k) { seed = (seed * 16807) % 2147483647; return seed % k }
	BEGIN {
		split("Alice Chen,Bruno Diaz,Carla Jones,Dev Patel,Erin Walsh," \
		    "Ines Silva,Omar Haddad,Yuki Tanaka", O, ",")
		split("call,meeting,demo,email,admin,travel,Call,Meeting", T,
		    ",")
		split("31 28 31 30 31 30 31 31 30 31 30 31", ML, " ")
		seed = seed * 7919 + 11
		if (fmt == "csv")
			print "at,owner,type,minutes,end_at,deal_id,lead_id,outcome"
		for (i = 0; i < n; i++) {
			d = rnd(365)
			for (m = 1; d >= ML[m]; m++)
				d -= ML[m]
			day = sprintf("2026-%02d-%02d", m, d + 1)
			h = 7 + rnd(12)
			at = sprintf("%sT%02d:%02d:00Z", day, h, 15 * rnd(4))
			o = O[1 + rnd(8)]
			t = T[1 + rnd(8)]
			mins = ""; end = ""
			if (rnd(8) == 0)
				end = sprintf("%sT%02d:%02d:00Z", day, h + 1 + rnd(3),
				    rnd(60))
			else
				mins = rnd(121)
			deal = rnd(3) == 0 ? "" : sprintf("D%07d", 1 + rnd(1000))
			if (fmt == "csv") {
				printf "%s,%s,%s,%s,%s,%s,,\n", at, o, t, mins, end, deal
				continue
			}
			printf "{\"at\":\"%s\",\"owner\":\"%s\",\"type\":\"%s\"", at,
			    o, t
			if (mins != "")
				printf ",\"minutes\":%d", mins
			else
				printf ",\"end_at\":\"%s\"", end
			if (deal != "")
				printf ",\"deal_id\":\"%s\"", deal
			print "}"
		}
	}'
}
