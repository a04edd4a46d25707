#!/bin/sh
# Shell completions for bash, zsh and fish, generated from the programs'
# own option tables: each program's --help prints one line per option
# (cli_help in lib/cli.c: "-x, --name arg  meaning"), so a new option, or
# a new program, is completed as soon as it is built.  An argument whose
# name lists choices (csv|jsonl) completes them; one named file (or
# FILE, or ledger) completes files; any other argument completes nothing;
# operands complete files.
#
#   sh scripts/completions.sh OUTDIR bin/PROG ...
#
# writes OUTDIR/bash/PROG, OUTDIR/zsh/_PROG and OUTDIR/fish/PROG.fish.
set -eu
out=$1
shift
mkdir -p "$out/bash" "$out/zsh" "$out/fish"

# options PROG: its options as "short long arg help" lines, tab-separated,
# "-" for none (the lines between the usage and "see PROG(1)")
options() {
	"$1" --help | awk '
	/^$/ { blank++; next }
	blank == 1 && /^  +-/ {
		line = $0
		sub(/^ +/, "", line)
		i = index(line, "  ")
		spec = i ? substr(line, 1, i - 1) : line
		help = i ? substr(line, i) : ""
		sub(/^ +/, "", help)
		n = split(spec, t, " ")
		s = "-"; l = "-"; a = "-"; k = 1
		if (t[k] ~ /^-[^-]/) { s = t[k]; sub(/,$/, "", s); k++ }
		if (k <= n && t[k] ~ /^--/) { l = t[k]; k++ }
		if (k <= n) a = t[k]
		printf "%s\t%s\t%s\t%s\n", s, l, a, help
	}'
}

# kind ARG: choices, file or none
kind() {
	case $1 in
	-) echo flag ;;
	*'|'*) echo choices ;;
	*file|*FILE|ledger) echo file ;;
	*) echo none ;;
	esac
}

tab=$(printf '\t')
for bin in "$@"; do
	p=${bin##*/}
	fn=_salespipe_$(echo "$p" | tr -c 'a-zA-Z0-9_\n' '_')
	opts=$(options "$bin")
	[ -n "$opts" ] || { echo "completions: $bin --help lists no option" >&2; exit 1; }

	# bash
	{
		echo "# bash completion for $p, generated from $p --help by scripts/completions.sh"
		echo "$fn()"
		echo "{"
		echo '	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}'
		echo '	case $prev in'
		echo "$opts" | while IFS=$tab read -r s l a h; do
			k=$(kind "$a")
			[ "$k" = flag ] && continue
			names=$(printf '%s\n' "$s" "$l" | grep -v '^-$' | paste -sd '|' -)
			case $k in
			choices) w=$(echo "$a" | tr '|' ' ')
				echo "	$names) COMPREPLY=(\$(compgen -W '$w' -- \"\$cur\")); return ;;" ;;
			file) echo "	$names) COMPREPLY=(\$(compgen -f -- \"\$cur\")); return ;;" ;;
			*) echo "	$names) COMPREPLY=(); return ;;" ;;
			esac
		done
		echo '	esac'
		words=$(echo "$opts" | awk -F "$tab" '{ if ($1 != "-") print $1; if ($2 != "-") print $2 }' | paste -sd ' ' -)
		echo '	case $cur in'
		echo "	-*) COMPREPLY=(\$(compgen -W '$words' -- \"\$cur\")); return ;;"
		echo '	esac'
		echo '	COMPREPLY=($(compgen -f -- "$cur"))'
		echo "}"
		echo "complete -o filenames -F $fn $p"
	} > "$out/bash/$p"

	# zsh
	{
		echo "#compdef $p"
		echo "# generated from $p --help by scripts/completions.sh"
		echo "_arguments -s \\"
		echo "$opts" | while IFS=$tab read -r s l a h; do
			h=$(printf '%s' "$h" | tr -d "[]:'\\\\")
			case $(kind "$a") in
			flag) act= ;;
			choices) act=":$a:($(echo "$a" | tr '|' ' '))" ;;
			file) act=":$a:_files" ;;
			*) act=":$a: " ;;
			esac
			if [ "$s" != - ] && [ "$l" != - ]; then
				echo "  '($s $l)'{$s,$l}'[$h]$act' \\"
			elif [ "$l" != - ]; then
				echo "  '$l[$h]$act' \\"
			else
				echo "  '$s[$h]$act' \\"
			fi
		done
		echo "  '*:file:_files'"
	} > "$out/zsh/_$p"

	# fish
	{
		echo "# fish completion for $p, generated from $p --help by scripts/completions.sh"
		echo "$opts" | while IFS=$tab read -r s l a h; do
			h=$(printf '%s' "$h" | sed "s/[\\\\']/\\\\&/g")
			line="complete -c $p"
			[ "$s" = - ] || line="$line -s ${s#-}"
			[ "$l" = - ] || line="$line -l ${l#--}"
			case $(kind "$a") in
			flag) ;;
			choices) line="$line -x -a '$(echo "$a" | tr '|' ' ')'" ;;
			file) line="$line -r -F" ;;
			*) line="$line -x" ;;
			esac
			echo "$line -d '$h'"
		done
	} > "$out/fish/$p.fish"
done
