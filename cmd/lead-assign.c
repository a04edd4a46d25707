/*
 * lead-assign: give the unassigned leads of a lead journal an owner by
 * territory rules (the first rule that matches wins), straight or by
 * turns within a team, and append the assignments to the journal.  The
 * whole decision is made under the journal's lock from what the journal
 * holds, so concurrent runs never assign a lead twice and the turns stay
 * even.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/assign.h"
#include "salespipe/cli.h"
#include "salespipe/entry.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/journal.h"
#include "salespipe/teams.h"

static const char usage[] =
    "usage: lead-assign [-f file] --rules file [--teams file] [--away file]\n"
    "                   [--why] [--dry-run] [--now time] [-i csv|jsonl]\n"
    "                   [-o csv|jsonl] [--map spec] [--stages spec]\n"
    "                   [--date-format format] [--tz zone] [--max-bad n]\n"
    "                   [--rejects file] [--encoding encoding]\n"
    "                   [--delimiter sep] [--max-record-size size]\n";

enum { OPT_RULES = 900, OPT_TEAMS, OPT_AWAY, OPT_WHY, OPT_DRY_RUN };

/* The columns of an assignment record, and --why's. */
enum { COL_ID, COL_AT, COL_OWNER, COL_TERRITORY, COL_BY, COL_WHY, NCOL };
static const char *const col_name[NCOL] = { "id", "at", "owner",
	"territory", "assigned_by", "why" };

/* What the history says of a rule or an owner (sp_groups states). */
struct turns {
	long count;		/* rule: assignments by it */
	char *last;		/* rule: the owner of its latest one */
};
struct load {
	long today;		/* owner: leads assigned to it today */
	long open;		/* owner: its open leads */
};

typedef struct assign {
	sp_cli *c;
	const char *path;	/* the journal, or NULL: stdin to stdout */
	const char *rules_path, *teams_path, *away_path;
	int why, dry_run;
	sp_rules rules;
	sp_teams teams;
	sp_away away;
	int64_t now, day;	/* the assignments' at, and its UTC day */
	char now_text[32];
	sp_groups *turns;	/* rule id -> struct turns */
	sp_groups *load;	/* owner -> struct load */
	sp_groups *byowner;	/* rule id NUL owner -> long: assignments */
	char *keybuf;		/* the key of byowner */
	size_t keycap;
	sp_leads *leads;
	sp_reader *rd;		/* what the leads were read with */
	int by_slot, owner_slot, at_slot;
	char **out;		/* the records made: NCOL values each */
	size_t nout, capout;
	long unassigned;	/* leads reported and left */
	char *whybuf;
	size_t whylen, whycap;
} assign;

/* sp_teams_members: count, or collect into a NULL-ended vector. */
struct members {
	const char **v;
	size_t n;
};

static int
add_member(void *arg, const char *owner)
{
	struct members *m = arg;
	const char **v = realloc(m->v, (m->n + 2) * sizeof(*v));

	if (v == NULL)
		return -1;
	m->v = v;
	m->v[m->n++] = owner;
	m->v[m->n] = NULL;
	return 0;
}

static void
members_of(assign *a, const sp_rule *r, struct members *m)
{
	sp_error e;

	m->v = NULL;
	m->n = 0;
	if (sp_teams_members(&a->teams, SP_TEAMS_TEAM, r->team, a->now,
	    a->now + 1, add_member, m) != 0)
		cli_oom(a->c);
	if (m->n == 0) {
		sp_err_clear(&e);
		sp_err_where(&e, a->rules_path, r->line);
		sp_err_set(&e, "team", "'%s' has no member in %s at %s",
		    r->team, a->teams_path, a->now_text);
		cli_fail(a->c, &e);
	}
}

static void
read_files(assign *a)
{
	sp_cli *c = a->c;
	sp_read_opts ro;
	sp_error e;
	size_t i;

	cli_read_opts(c, &ro);
	ro.format = SP_FMT_AUTO;	/* -i is the leads' */
	ro.map = NULL;
	sp_err_clear(&e);
	if (sp_rules_read(&a->rules, a->rules_path, &ro, &e) < 0)
		cli_fail(c, &e);
	if (a->teams_path != NULL && sp_teams_read(&a->teams, a->teams_path,
	    &ro, c->date_format, c->tz, &e) < 0)
		cli_fail(c, &e);
	if (a->away_path != NULL && sp_away_read(&a->away, a->away_path, &ro,
	    c->date_format, c->tz, &e) < 0)
		cli_fail(c, &e);
	for (i = 0; i < a->rules.n; i++) {
		sp_rule *r = &a->rules.v[i];
		if (r->team[0] == '\0')
			continue;
		if (a->teams_path == NULL)
			cli_usage_error(c, "%s:%ld: field 'team': team '%s' "
			    "needs --teams file", a->rules_path, r->line,
			    r->team);
		{
			/* a team without members fails before the lock */
			struct members m;
			members_of(a, r, &m);
			free(m.v);
		}
	}
}

static struct load *
load_of(assign *a, const char *owner)
{
	struct load *l = sp_groups_get(a->load, owner, strlen(owner));

	if (l == NULL)
		cli_oom(a->c);
	return l;
}

static struct turns *
turns_of(assign *a, const char *rule, size_t len)
{
	struct turns *t = sp_groups_get(a->turns, rule, len);

	if (t == NULL)
		cli_oom(a->c);
	return t;
}

/* The assignments by rule to owner (a weighted rule's counts). */
static long *
by_owner(assign *a, const char *rule, size_t rlen, const char *owner)
{
	size_t olen = strlen(owner);
	long *n;

	if (rlen + olen + 1 > a->keycap) {
		a->keycap = (rlen + olen + 1) * 2;
		if ((a->keybuf = realloc(a->keybuf, a->keycap)) == NULL)
			cli_oom(a->c);
	}
	memcpy(a->keybuf, rule, rlen);
	a->keybuf[rlen] = '\0';
	memcpy(a->keybuf + rlen + 1, owner, olen);
	if ((n = sp_groups_get(a->byowner, a->keybuf, rlen + 1 + olen)) ==
	    NULL)
		cli_oom(a->c);
	return n;
}

/* One history record: the fold, and the counts the turns are taken from. */
static void
take(assign *a, const sp_rec *r, sp_error *e)
{
	size_t n = sp_rec_len(r, a->by_slot);
	int64_t at;

	if (sp_leads_add(a->leads, r, e) < 0)
		return;
	if (n == 0 || !sp_rec_has(r, a->owner_slot))
		return;
	{
		struct turns *t = turns_of(a, sp_rec_get(r, a->by_slot), n);
		t->count++;
		(*by_owner(a, sp_rec_get(r, a->by_slot), n, sp_rec_get(r,
		    a->owner_slot)))++;
		free(t->last);
		if ((t->last = strdup(sp_rec_get(r, a->owner_slot))) == NULL)
			cli_oom(a->c);
	}
	if (sp_rec_has(r, a->at_slot) && sp_time_parse(sp_rec_get(r,
	    a->at_slot), sp_rec_len(r, a->at_slot), NULL, &at, e) == 0 &&
	    at >= a->day && at < a->day + 86400)
		load_of(a, sp_rec_get(r, a->owner_slot))->today++;
	sp_err_clear(e);
}

static void
prepare_reader(assign *a, sp_reader *rd)
{
	a->rd = rd;
	if ((a->leads = sp_leads_new(rd)) == NULL ||
	    (a->by_slot = sp_reader_slot(rd, "assigned_by")) < 0 ||
	    (a->owner_slot = sp_reader_slot(rd, "owner")) < 0 ||
	    (a->at_slot = sp_reader_slot(rd, "at")) < 0)
		cli_oom(a->c);
}

/* The journal's records, read under its lock: any bad one is fatal. */
static void
read_journal(assign *a, sp_journal *j)
{
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	const char *text;
	size_t n;
	sp_error e;
	int k;

	memset(&ro, 0, sizeof(ro));
	ro.format = sp_journal_format(j);
	sp_err_clear(&e);
	text = sp_journal_text(j, &n);
	if (r == NULL || (rd = sp_reader_open_mem(text != NULL ? text : "", n,
	    a->path, &ro, &e)) == NULL)
		cli_oom(a->c);
	prepare_reader(a, rd);
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		if (k == 1)
			take(a, r, &e);
		if (e.msg[0] != '\0') {
			char m[1100];
			snprintf(m, sizeof(m), "%s (the journal is not a good "
			    "history: nothing was written)", e.msg);
			snprintf(e.msg, sizeof(e.msg), "%.1000s", m);
			sp_rec_free(r);
			cli_fail(a->c, &e);
		}
	}
	sp_rec_free(r);
}

/* No journal: the records of the standard input, bad ones by --max-bad. */
static void
read_stdin(assign *a)
{
	sp_cli *c = a->c;
	sp_rec *r = sp_rec_new();
	sp_error e;
	int k;

	if (r == NULL)
		cli_oom(c);
	prepare_reader(a, c->rd);
	sp_err_clear(&e);
	while ((k = sp_reader_next(c->rd, r, &e)) != 0) {
		if (k == -2)
			cli_fail(c, &e);
		if (k == 1)
			take(a, r, &e);
		if (k == -1 || e.msg[0] != '\0')
			cli_bad(c, &e, r);
		sp_err_clear(&e);
	}
	sp_rec_free(r);
}

struct lead_ctx {
	assign *a;
	size_t i;
};

static const char *
lead_get(void *ctx, const char *field, size_t *len)
{
	struct lead_ctx *l = ctx;

	return sp_leads_get(l->a->leads, l->i, field, len);
}

/* --why: text appended to a->whybuf. */
static void
why(assign *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!a->why)
		return;
	for (;;) {
		size_t room = a->whycap - a->whylen;
		va_start(ap, fmt);
		n = vsnprintf(a->whybuf + a->whylen, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			cli_oom(a->c);
		if ((size_t)n < room) {
			a->whylen += (size_t)n;
			return;
		}
		a->whycap = (a->whycap + (size_t)n + 1) * 2;
		if ((a->whybuf = realloc(a->whybuf, a->whycap)) == NULL)
			cli_oom(a->c);
	}
}

/* Why owner cannot take a lead now (NULL: it can); buf 64 bytes. */
static const char *
unavailable(assign *a, const sp_rule *r, const char *owner, char *buf)
{
	long line = sp_away_at(&a->away, owner, a->now);
	struct load *l;

	if (line > 0) {
		snprintf(buf, 64, "away, line %ld", line);
		return buf;
	}
	l = sp_groups_find(a->load, owner, strlen(owner));
	if (r->daily_cap > 0 && l != NULL && l->today >= r->daily_cap) {
		snprintf(buf, 64, "daily cap %ld reached", r->daily_cap);
		return buf;
	}
	return NULL;
}

/* The member a team rule gives the next lead to, or NULL. */
static const char *
pick(assign *a, const sp_rule *r)
{
	struct members m;
	struct turns *t = turns_of(a, r->id, strlen(r->id));
	const char *best = NULL, *sep = "";
	size_t start = 0, i, k;
	long bestopen = 0, bestc = 0, bestw = 1;
	char buf[64];

	members_of(a, r, &m);
	if (r->how == SP_HOW_ROUND_ROBIN) {
		/* the member after the owner of the rule's latest assignment;
		   a first turn, or one whose owner left the team, by count */
		start = (size_t)(t->count % (long)m.n);
		for (i = 0; t->last != NULL && i < m.n; i++)
			if (strcmp(m.v[i], t->last) == 0)
				start = (i + 1) % m.n;
		why(a, "; team %s, %sround-robin", r->team, r->nweight > 0 ?
		    "weighted " : "");
		if (t->last != NULL)
			why(a, " after %s", t->last);
		if (r->nweight > 0) {
			why(a, "; leads by the rule/weight:");
			for (k = 0; k < m.n; k++)
				why(a, " %s %ld/%ld", m.v[k], *by_owner(a, r->id,
				    strlen(r->id), m.v[k]), sp_rule_weight(r,
				    m.v[k]));
		}
	} else
		why(a, "; team %s, least-open", r->team);
	for (k = 0; k < m.n; k++) {
		const char *o = m.v[(start + k) % m.n], *no;
		struct load *l;
		if ((no = unavailable(a, r, o, buf)) != NULL) {
			why(a, "%s %s (%s)", sep[0] ? "," : "; skipped", o, no);
			sep = ",";
			continue;
		}
		if (r->how == SP_HOW_ROUND_ROBIN && r->nweight == 0) {
			best = o;
			break;
		}
		if (r->how == SP_HOW_ROUND_ROBIN) {
			/* weighted: the fewest leads by the rule for the
			   weight, the first in turn of equal ones */
			long c = *by_owner(a, r->id, strlen(r->id), o);
			long w = sp_rule_weight(r, o);
			if (best == NULL || c * bestw < bestc * w) {
				best = o;
				bestc = c;
				bestw = w;
			}
			continue;
		}
		l = sp_groups_find(a->load, o, strlen(o));
		if (best == NULL || (l != NULL ? l->open : 0) < bestopen) {
			best = o;
			bestopen = l != NULL ? l->open : 0;
		}
	}
	if (r->how == SP_HOW_LEAST_OPEN && best != NULL) {
		why(a, "; open leads:");
		for (k = 0; k < m.n; k++) {
			struct load *l = sp_groups_find(a->load, m.v[k],
			    strlen(m.v[k]));
			if (unavailable(a, r, m.v[k], buf) == NULL)
				why(a, " %s %ld", m.v[k], l != NULL ?
				    l->open : 0);
		}
	}
	if (best != NULL) {
		/* borrowed from the teams file, which outlives the run */
		free(t->last);
		if ((t->last = strdup(best)) == NULL)
			cli_oom(a->c);
		t->count++;
		(*by_owner(a, r->id, strlen(r->id), best))++;
	}
	free(m.v);
	return best;
}

static void
report(assign *a, size_t i, const char *fmt, ...)
{
	sp_error e;
	va_list ap;
	long line;
	const char *file = sp_leads_place(a->leads, i, &line);
	char m[sizeof(e.msg)];

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	sp_err_clear(&e);
	sp_err_where(&e, file, line);
	sp_err_set(&e, "id", "%s", m);
	cli_error(a->c, &e);
	a->unassigned++;
}

static void
record(assign *a, const char *id, const char *owner, const char *territory,
    const char *rule)
{
	const char *v[NCOL];
	size_t k;

	v[COL_ID] = id;
	v[COL_AT] = a->now_text;
	v[COL_OWNER] = owner;
	v[COL_TERRITORY] = territory != NULL ? territory : "";
	v[COL_BY] = rule;
	v[COL_WHY] = a->why ? a->whybuf : "";
	if (a->nout + NCOL > a->capout) {
		size_t cap = (a->capout + NCOL) * 2;
		char **o = realloc(a->out, cap * sizeof(*o));
		if (o == NULL)
			cli_oom(a->c);
		a->out = o;
		a->capout = cap;
	}
	for (k = 0; k < NCOL; k++)
		if ((a->out[a->nout++] = strdup(v[k])) == NULL)
			cli_oom(a->c);
}

/* 1 when lead i's stage is open (or none, or not in the list): not
 * converted or disqualified. */
static int
lead_open(assign *a, size_t i)
{
	sp_stages *st = a->c->stages;
	size_t len;
	const char *v = sp_leads_get(a->leads, i, "stage", &len);
	int s;

	return v == NULL || (s = sp_stages_find(st, v, len)) < 0 ||
	    st->v[s].kind == SP_OPEN;
}

/* Each unassigned open lead, in the order of its first record. */
static void
assign_leads(assign *a)
{
	size_t i, n = sp_leads_count(a->leads), len, k;
	const char *v;

	/* the open leads of each owner, for least-open */
	for (i = 0; i < n; i++)
		if ((v = sp_leads_get(a->leads, i, "owner", NULL)) != NULL &&
		    lead_open(a, i))
			load_of(a, v)->open++;
	for (i = 0; i < n; i++) {
		struct lead_ctx ctx = { a, i };
		const char *id = sp_leads_get(a->leads, i, "id", NULL);
		const char *owner, *territory;
		const sp_rule *r;
		char buf[64], *idc, *tc = NULL;
		long ri;

		if (sp_leads_get(a->leads, i, "owner", NULL) != NULL ||
		    !lead_open(a, i))
			continue;
		if ((idc = strdup(id)) == NULL)
			cli_oom(a->c);
		if ((ri = sp_rules_first(&a->rules, lead_get, &ctx)) < 0) {
			report(a, i, "lead '%s' matches no rule of %s: left "
			    "unassigned", idc, a->rules_path);
			free(idc);
			continue;
		}
		r = &a->rules.v[ri];
		a->whylen = 0;
		why(a, "rule %s (%s:%ld): ", r->id, a->rules_path, r->line);
		if (r->ncond == 0)
			why(a, "every lead (no when)");
		for (k = 0; k < r->ncond; k++) {
			const sp_cond *c = &r->cond[k];
			v = sp_leads_get(a->leads, i, c->field, &len);
			why(a, "%s%s", k > 0 ? " and " : "", c->text);
			if (v != NULL && c->op != SP_COND_EMPTY)
				why(a, " [%.*s]", (int)len, v);
		}
		if (r->owner[0] != '\0') {
			const char *no = unavailable(a, r, r->owner, buf);
			if (no != NULL) {
				report(a, i, "lead '%s': rule '%s' (%s:%ld) gives "
				    "it to %s, who is not available (%s): left "
				    "unassigned", idc, r->id, a->rules_path,
				    r->line, r->owner, no);
				free(idc);
				continue;
			}
			owner = r->owner;
			why(a, "; owner %s", owner);
		} else if ((owner = pick(a, r)) == NULL) {
			report(a, i, "lead '%s': rule '%s' (%s:%ld) gives it to "
			    "team %s, none of whom is available (away or at "
			    "the daily cap): left unassigned", idc, r->id,
			    a->rules_path, r->line, r->team);
			free(idc);
			continue;
		} else
			why(a, " -> %s", owner);
		territory = r->territory[0] != '\0' ? r->territory :
		    a->teams_path != NULL ? sp_teams_of(&a->teams, owner,
		    strlen(owner), a->now, SP_TEAMS_TERRITORY) : NULL;
		if (territory != NULL && (tc = strdup(territory)) == NULL)
			cli_oom(a->c);
		{
			struct load *l = load_of(a, owner);
			l->today++;
			l->open++;
		}
		record(a, idc, owner, tc, r->id);
		free(tc);
		free(idc);
	}
}

/*
 * The records made as rows of cols, which gets the assignment columns:
 * why only when with_why (a CSV journal's own why column takes it too:
 * see append).
 */
static sp_rows
made_rows(assign *a, const char **cols, int with_why)
{
	sp_rows rows;

	memcpy(cols, col_name, sizeof(col_name));
	if (!with_why)
		cols[COL_WHY] = NULL;
	rows.cols = cols;
	rows.ncol = NCOL;
	rows.vals = (const char *const *)a->out;
	rows.nrow = a->nout / NCOL;
	return rows;
}

/* A CSV journal's header: the names of the fields it was read with. */
static char **
csv_header(assign *a)
{
	size_t nf, i;
	const int *f = sp_reader_fields(a->rd, &nf);
	char **h = calloc(nf + 1, sizeof(*h));

	if (h == NULL)
		cli_oom(a->c);
	for (i = 0; i < nf; i++)
		h[i] = (char *)sp_reader_slot_name(a->rd, f[i]);
	return h;
}

static void
append(assign *a, sp_journal *j)
{
	const char *cols[NCOL], *missing;
	sp_rows rows = made_rows(a, cols, 0);
	char **header = NULL;
	sp_error e;

	if (sp_journal_format(j) == SP_FMT_CSV) {
		header = csv_header(a);
		/* which must hold every column written (no territory to
		   write: a journal without it will do) */
		if ((missing = sp_rows_missing(&rows, header)) != NULL) {
			sp_err_clear(&e);
			sp_err_set(&e, missing, "not a column of the CSV journal "
			    "%s (a CSV journal cannot grow new columns; keep the "
			    "history in a .jsonl journal): nothing was written",
			    a->path);
			free(header);
			cli_fail(a->c, &e);
		}
		/* --why's text goes to a why column the journal has */
		cols[COL_WHY] = col_name[COL_WHY];
	}
	if (sp_journal_append_rows(j, &rows, header, &e) < 0) {
		free(header);
		cli_fail(a->c, &e);
	}
	free(header);
}

static void
turns_fini(void *p)
{
	free(((struct turns *)p)->last);
}

int
main(int argc, char **argv)
{
	static const cli_opt opts[] = {
		CLI_READ_LONGOPTS,
		/* no amounts are read: the number options would do nothing */
		CLI_REFUSED("decimal-comma", no_argument,
		    CLI_OPT_DECIMAL_COMMA),
		CLI_REFUSED("thousands", required_argument, CLI_OPT_THOUSANDS),
		{ "file", required_argument, 'f',
		    "file", "the lead journal" },
		{ "rules", required_argument, OPT_RULES,
		    "file", "the territory rules" },
		{ "teams", required_argument, OPT_TEAMS,
		    "file", "the teams file" },
		{ "away", required_argument, OPT_AWAY,
		    "file", "owners who take no leads for a while" },
		{ "why", no_argument, OPT_WHY,
		    NULL, "add why each lead went where it went" },
		{ "dry-run", no_argument, OPT_DRY_RUN,
		    NULL, "decide and write, but append nothing" },
		CLI_OPT_END
	};
	sp_cli c;
	assign a;
	sp_journal *j = NULL;
	sp_error e;
	const char *cols[NCOL];
	sp_rows rows;
	int ch, rc, fmt;
	size_t i;

	cli_init(&c, argv, usage, SP_STAGES_LEADS);
	memset(&a, 0, sizeof(a));
	a.c = &c;
	while ((ch = cli_getopt(&c, argc, argv, opts)) != -1) {
		if (ch == CLI_OPT_DECIMAL_COMMA || ch == CLI_OPT_THOUSANDS)
			cli_usage_error(&c, "unknown option '%s'",
			    argv[optind - 1]);
		if (cli_option(&c, ch, optarg))
			continue;
		if (ch == 'f')
			a.path = optarg;
		else if (ch == OPT_RULES)
			a.rules_path = optarg;
		else if (ch == OPT_TEAMS)
			a.teams_path = optarg;
		else if (ch == OPT_AWAY)
			a.away_path = optarg;
		else if (ch == OPT_WHY)
			a.why = 1;
		else if (ch == OPT_DRY_RUN)
			a.dry_run = 1;
		else
			cli_usage_error(&c, "unknown option '%s'",
			    argv[optind - 1]);
	}
	if (optind < argc)
		cli_usage_error(&c, "unexpected operand '%s' (the leads are "
		    "the journal's, or the standard input's)", argv[optind]);
	if (a.rules_path == NULL)
		cli_usage_error(&c, "--rules file is required");
	if (c.out_fmt == SP_FMT_TABLE || c.out_fmt == SP_FMT_MD)
		cli_usage_error(&c, "-o: records are written as csv or jsonl");
	if (a.path == NULL) {
		const char *p = getenv(sp_kind_lead.env);
		if (p != NULL && *p != '\0')
			a.path = p;
	} else if (strcmp(a.path, "-") == 0)
		a.path = NULL;
	c.journal_path = a.path;	/* --rejects must not name it */
	cli_protect(&c, a.rules_path, "the rules file");
	cli_protect(&c, a.teams_path, "the teams file");
	cli_protect(&c, a.away_path, "the away file");
	cli_open(&c, 0, argv);
	a.now = c.cal.now;
	a.day = a.now - ((a.now % 86400) + 86400) % 86400;
	sp_time_format(a.now, a.now_text);
	if ((a.turns = sp_groups_new(sizeof(struct turns), NULL)) == NULL ||
	    (a.load = sp_groups_new(sizeof(struct load), NULL)) == NULL ||
	    (a.byowner = sp_groups_new(sizeof(long), NULL)) == NULL)
		cli_oom(&c);
	read_files(&a);

	/* from here to the append, the journal is locked */
	sp_err_clear(&e);
	if (a.path != NULL) {
		if ((j = sp_journal_open(a.path, 0, &e)) == NULL)
			cli_fail(&c, &e);
		read_journal(&a, j);
	} else
		read_stdin(&a);
	assign_leads(&a);
	if (j != NULL && !a.dry_run)
		append(&a, j);
	sp_journal_close(j);

	/* what was appended (or, --dry-run, would be); a failed write is
	   cli_finish's to report */
	fmt = c.out_fmt != SP_FMT_AUTO ? c.out_fmt : SP_FMT_JSONL;
	rows = made_rows(&a, cols, a.why);
	if (sp_rows_write(stdout, fmt, &rows, NULL, 1) < 0 && !ferror(stdout))
		cli_oom(&c);
	rc = cli_finish(&c, NULL);
	if (a.path != NULL)	/* the journal's; cli_finish closed stdin's */
		sp_reader_close(a.rd);
	sp_leads_free(a.leads);
	sp_groups_free(a.turns, turns_fini);
	sp_groups_free(a.load, NULL);
	sp_groups_free(a.byowner, NULL);
	free(a.keybuf);
	for (i = 0; i < a.nout; i++)
		free(a.out[i]);
	free(a.out);
	free(a.whybuf);
	sp_rules_free(&a.rules);
	sp_teams_free(&a.teams);
	sp_away_free(&a.away);
	if (rc == 0 && a.unassigned > 0)
		rc = SP_EXIT_DATA;
	return rc;
}
