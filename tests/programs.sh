# Which programs there are, and which of them are read programs, decided
# from the sources with no hand list (sourced by tests/bad.sh,
# tests/property.sh and tests/synopsis.sh, from the top directory).
#   a program       cmd/P.c (the Makefile builds bin/P from it); its page
#                   is man/P.1, which every program must have
#   a read program  one whose SYNOPSIS takes record files as operands: the
#                   line `.Op Ar' (mdoc renders it "[file ...]") between
#                   `.Sh SYNOPSIS' and the next `.Sh' of man/P.1.  The
#                   write programs take field=value or id stage operands,
#                   deal-gen (a generator) none, so they are not read
#                   programs; a new filter is one as soon as its page says
#                   it reads files.

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
		    grep -q '^\.Op Ar *$' && echo "$p"
	done
}
