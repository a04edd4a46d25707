/*
 * pipeline: fold a history into the pipeline as it stood at a time: one
 * record per id carrying the latest value of every field, with the fields
 * derived from its stage path.  Also repairs a journal's torn tail.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/journal.h"

static const char usage[] =
    "usage: pipeline [--as-of time] [--now time] [--leads] [-i csv|jsonl]\n"
    "                [-o csv|jsonl|table|md] [--map spec] [--stages spec]\n"
    "                [--date-format format] [--tz zone] [--max-bad n]\n"
    "                [--rejects file] [--encoding encoding]\n"
    "                [--delimiter sep] [--max-record-size size]\n"
    "                [--decimal-comma] [--thousands sep]\n"
    "                [--spreadsheet-safe] [--partial | --merge]\n"
    "                [--shard k/n] [--threads n]\n"
    "                [--progress | --no-progress] [history ...]\n"
    "       pipeline --repair file\n";

enum { OPT_LEADS = 1, OPT_REPAIR };

/* Derived fields, in output order; an input field of the same name is
 * replaced by them. */
enum { D_CREATED, D_STAGE, D_ENTERED, D_STATUS, D_CLOSED, D_LOST_STAGE,
	D_REACHED, D_AGE, D_IN_STAGE, D_MOVES, D_PUSHES, D_UPDATED, ND };
static const char *const derived[ND] = { "created_at", "stage",
	"stage_entered_at", "status", "closed_at", "lost_stage",
	"reached_stage", "age_days", "days_in_stage", "moves",
	"close_date_pushes", "updated_at" };

/*
 * On the aggregate engine, a group is a deal: its state is the deal's
 * record, cells rendered when it is added (so that a --merge elsewhere,
 * at another clock, writes the same bytes).  The group key is the deal's
 * place in the order of first appearance (sp_deal.seq, as fixed-width
 * hexadecimal, which sorts bytewise as the numbers do), so the engine's
 * sorted output keeps today's order; seq counts every id of the whole
 * history, so the shards of --shard K/N, each reading the whole history,
 * agree on it.  The partial format keeps no group key without -g: a
 * state is a list of records (one in a run; in --merge every group line
 * merges into one list), written in seq order.
 */
struct prec {
	size_t seq;
	char *cells;		/* ncols NUL-terminated strings in a row */
};

struct deals {
	struct prec *v;
	size_t n, cap;
};

/* The options and the columns, read-only while deals are added (but the
 * columns, set once under lock by the first deal or partial). */
struct ctx {
	sp_agg *agg;
	int64_t t;		/* the time the pipeline is taken at */
	int id_slot;
	pthread_mutex_t lock;
	int have_cols;		/* the pass-through columns are known (read
				   with acquire, set with release: the parts
				   of a history fold on several threads) */
	sp_agg_col *cols;	/* pass-through (id first), then derived */
	size_t ncols, npass;
	int *slots;		/* the pass-through columns' slots (a run) */
};

static int
is_derived(const char *name)
{
	size_t i;

	if (strcmp(name, "at") == 0)
		return 1;
	for (i = 0; i < ND; i++)
		if (strcmp(name, derived[i]) == 0)
			return 1;
	return 0;
}

/*
 * The columns from the pass-through names (id first, then the others in
 * order): the writer's declared columns.  Under x->lock.  -1 when out of
 * memory.
 */
static int
set_columns(struct ctx *x, const char *const *names, size_t n)
{
	sp_agg_col *v;
	size_t i, k = 0;

	if ((v = calloc(n + ND, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if ((v[k++].name = strdup(names[i])) == NULL)
			goto oom;
	for (i = 0; i < n; i++)
		v[i].type = SP_AGG_TEXT;
	for (i = 0; i < ND; i++) {
		v[k].name = derived[i];
		v[k++].type = i == D_AGE || i == D_IN_STAGE ? SP_AGG_DURATION :
		    i == D_MOVES || i == D_PUSHES ? SP_AGG_COUNT : SP_AGG_TEXT;
	}
	x->cols = v;
	x->npass = n;
	x->ncols = n + ND;
	x->agg->cols = v;
	x->agg->ncols = x->ncols;
	return 0;
oom:
	while (k-- > 0)
		free((char *)v[k].name);
	free(v);
	return -1;
}

static void
free_columns(struct ctx *x)
{
	size_t i;

	for (i = 0; i < x->npass; i++)
		free((char *)x->cols[i].name);
	free(x->cols);
	x->cols = NULL;
	free(x->slots);
	x->slots = NULL;
}

/* The columns of a history, once the fold has seen every field: id, then
 * every field of its records but `at` and the derived ones. */
static int
learn_columns(struct ctx *x, const sp_reader *rd, const sp_deal *d)
{
	const char **names;
	int *slots;
	size_t i, n = 0;
	int rc = 0;

	pthread_mutex_lock(&x->lock);
	if (x->have_cols)
		goto out;
	names = calloc(d->nfields + 1, sizeof(*names));
	slots = calloc(d->nfields + 1, sizeof(*slots));
	if (names == NULL || slots == NULL) {
		free(names);
		free(slots);
		rc = -1;
		goto out;
	}
	slots[n] = x->id_slot;
	names[n++] = sp_reader_slot_name(rd, x->id_slot);
	for (i = 0; i < d->nfields; i++)
		if (d->fields[i] != x->id_slot && !is_derived(
		    sp_reader_slot_name(rd, d->fields[i]))) {
			slots[n] = d->fields[i];
			names[n++] = sp_reader_slot_name(rd, d->fields[i]);
		}
	free_columns(x);
	if ((rc = set_columns(x, names, n)) == 0) {
		x->slots = slots;
		__atomic_store_n(&x->have_cols, 1, __ATOMIC_RELEASE);
	} else
		free(slots);
	free(names);
out:
	pthread_mutex_unlock(&x->lock);
	return rc;
}

static void
deals_init(void *ctx, void *p)
{
	(void)ctx;
	memset(p, 0, sizeof(struct deals));
}

static void
deals_fini(void *ctx, void *p)
{
	struct deals *s = p;
	size_t i;

	(void)ctx;
	for (i = 0; i < s->n; i++)
		free(s->v[i].cells);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int
deals_push(struct deals *s, size_t seq, char *cells)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1;
		struct prec *v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].seq = seq;
	s->v[s->n].cells = cells;
	s->n++;
	return 0;
}

static int
deals_merge(void *ctx, void *into, void *from, sp_error *e)
{
	struct deals *a = into, *b = from;
	size_t i;

	(void)ctx;
	for (i = 0; i < b->n; i++) {
		if (deals_push(a, b->v[i].seq, b->v[i].cells) < 0)
			return sp_err_set(e, NULL, "out of memory");
		b->v[i].cells = NULL;	/* a owns it now */
	}
	return 0;
}

/* {"columns":[pass-through names],"deals":[{"seq":n,"values":[...]}]}:
 * the values of every column, derived ones included, as written. */
static json_t *
deals_save(void *ctx, const void *p)
{
	const struct ctx *x = ctx;
	const struct deals *s = p;
	json_t *names = json_array(), *list = json_array(), *vals;
	const char *c;
	size_t i, k;

	if (names == NULL || list == NULL)
		goto oom;
	for (i = 0; i < x->npass; i++)
		if (json_array_append_new(names, json_string(x->cols[i].name)) <
		    0)
			goto oom;
	for (i = 0; i < s->n; i++) {
		if ((vals = json_array()) == NULL ||
		    json_array_append_new(list, json_pack("{s:I,s:o}", "seq",
		    (json_int_t)s->v[i].seq, "values", vals)) < 0)
			goto oom;
		for (k = 0, c = s->v[i].cells; k < x->ncols; k++,
		    c += strlen(c) + 1)
			if (json_array_append_new(vals, json_string(c)) < 0)
				goto oom;
	}
	return json_pack("{s:o,s:o}", "columns", names, "deals", list);
oom:
	json_decref(names);
	json_decref(list);
	return NULL;
}

static int
deals_load(void *ctx, void *p, const json_t *v, sp_error *e)
{
	struct ctx *x = ctx;
	struct deals *s = p;
	const json_t *names, *list, *o, *seq, *vals, *c;
	const char **nv;
	size_t i, k, len;
	char *cells, *q;
	int rc;

	if ((names = sp_agg_member(v, "columns", e)) == NULL ||
	    (list = sp_agg_member(v, "deals", e)) == NULL)
		return -1;
	if (!json_is_array(names) || !json_is_array(list))
		return sp_err_set(e, "columns", "not a list in the partial "
		    "state");
	/* the first partial's columns are the answer's; every other
	   partial must have read a history with the same fields */
	if (!x->have_cols) {
		if ((nv = calloc(json_array_size(names) + 1,
		    sizeof(*nv))) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		for (i = 0; i < json_array_size(names); i++)
			if ((nv[i] = json_string_value(json_array_get(names,
			    i))) == NULL) {
				free(nv);
				return sp_err_set(e, "columns", "not a list "
				    "of names in the partial state");
			}
		free_columns(x);
		rc = set_columns(x, nv, json_array_size(names));
		free(nv);
		if (rc < 0)
			return sp_err_set(e, NULL, "out of memory");
		x->have_cols = 1;
	}
	if (json_array_size(names) != x->npass)
		goto other;
	for (i = 0; i < x->npass; i++)
		if (!json_is_string(c = json_array_get(names, i)) ||
		    strcmp(json_string_value(c), x->cols[i].name) != 0)
			goto other;
	json_array_foreach(list, i, o) {
		json_int_t n;

		if ((seq = sp_agg_member(o, "seq", e)) == NULL ||
		    (vals = sp_agg_member(o, "values", e)) == NULL)
			return -1;
		if (!json_is_integer(seq) || (n = json_integer_value(seq)) < 0)
			return sp_err_set(e, "seq", "not a count in the "
			    "partial state");
		if (!json_is_array(vals) || json_array_size(vals) != x->ncols)
			return sp_err_set(e, "values", "not %zu values (one "
			    "per column) in the partial state", x->ncols);
		for (k = 0, len = 0; k < x->ncols; k++) {
			if (!json_is_string(c = json_array_get(vals, k)))
				return sp_err_set(e, "values", "value %zu is "
				    "not a string", k + 1);
			len += json_string_length(c) + 1;
		}
		if ((cells = malloc(len)) == NULL)
			return sp_err_set(e, NULL, "out of memory");
		for (k = 0, q = cells; k < x->ncols; k++) {
			c = json_array_get(vals, k);
			if (memchr(json_string_value(c), '\0',
			    json_string_length(c)) != NULL) {
				free(cells);
				return sp_err_set(e, "values", "value %zu "
				    "holds a NUL", k + 1);
			}
			memcpy(q, json_string_value(c),
			    json_string_length(c) + 1);
			q += json_string_length(c) + 1;
		}
		if (deals_push(s, (size_t)n, cells) < 0) {
			free(cells);
			return sp_err_set(e, NULL, "out of memory");
		}
	}
	return 0;
other:
	return sp_err_set(e, "columns", "not the columns of the first "
	    "partial: partials of histories with other fields");
}

static int
prec_cmp(const void *a, const void *b)
{
	const struct prec *p = a, *q = b;

	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static int
deals_rows(void *ctx, void *p, sp_agg_row *r, sp_error *e)
{
	const struct ctx *x = ctx;
	struct deals *s = p;
	const char *c;
	size_t i, k;

	/* in a run, one deal; merged, every deal in the order of first
	   appearance */
	qsort(s->v, s->n, sizeof(*s->v), prec_cmp);
	for (i = 0; i < s->n; i++) {
		for (k = 0, c = s->v[i].cells; k < x->ncols; k++,
		    c += strlen(c) + 1)
			sp_agg_set_ref(r, k, c);	/* lives in s */
		if (sp_agg_emit(r, e) < 0)
			return -1;
	}
	return 0;
}

/* Cell i of deal d's record: a pass-through value, or derived v[]. */
static const char *
cell_of(const struct ctx *x, const sp_deal *d, const char *const *v,
    size_t i)
{
	int slot;

	if (i >= x->npass)
		return v[i - x->npass];
	slot = x->slots[i];
	return slot >= 0 && (size_t)slot < d->nvals && d->vals[slot] != NULL ?
	    d->vals[slot] : "";
}

enum { NLEN = 64 };

static int
add_deal(sp_agg_run *run, const sp_deal *d, sp_error *e)
{
	struct ctx *x = cli_agg_ctx(run);
	sp_cli *c = cli_agg_cli(run);
	sp_stages *st = c->stages;
	char created[32], entered[32], closed[32], age[40], in_stage[40],
	    moves[24], pushes[24], updated[32], key[24], *cells, *q;
	const char *v[ND];
	struct deals *s;
	sp_deal g;
	int64_t end;
	size_t i, len, lens[NLEN];	/* the first cells' lengths */

	if (d->vals == NULL) {
		/* the wrong kind of input, not a bad record: --max-bad must
		   not skip every record of a snapshot and answer nothing */
		sp_err_set(e, "at", "missing: pipeline folds a history "
		    "(records with 'at'); this input is a snapshot");
		sp_err_where(e, d->file, d->line);
		cli_fail(c, e);
	}
	if (!__atomic_load_n(&x->have_cols, __ATOMIC_ACQUIRE) &&
	    learn_columns(x, c->rd, d) < 0)
		return sp_err_set(e, NULL, "out of memory");
	end = d->kind != SP_OPEN ? d->closed_at : x->t;
	v[D_CREATED] = sp_time_format(d->created_at, created);
	v[D_STAGE] = st->v[d->stage].name;
	v[D_ENTERED] = sp_time_format(d->path[d->npath - 1].at, entered);
	v[D_STATUS] = sp_stage_kind_name(d->kind);
	v[D_CLOSED] = d->kind != SP_OPEN ? sp_time_format(d->closed_at, closed) :
	    "";
	v[D_LOST_STAGE] = d->kind == SP_LOST && d->lost_stage >= 0 ?
	    st->v[d->lost_stage].name : "";
	v[D_REACHED] = d->max_stage >= 0 ? st->v[d->max_stage].name : "";
	v[D_AGE] = sp_duration_format((double)(end - d->created_at),
	    SP_UNIT_DAYS, age);
	v[D_IN_STAGE] = sp_duration_format((double)(x->t -
	    d->path[d->npath - 1].at), SP_UNIT_DAYS, in_stage);
	v[D_MOVES] = sp_count_format((int64_t)d->npath - 1, moves);
	v[D_PUSHES] = sp_count_format(d->pushes, pushes);
	v[D_UPDATED] = sp_time_format(d->last_at, updated);

	/* the record's cells: the pass-through values by column name's
	   slot (the fold's vals), then the derived ones */
	for (i = 0, len = 0; i < x->ncols; i++) {
		size_t n = strlen(cell_of(x, d, v, i)) + 1;
		if (i < NLEN)
			lens[i] = n;
		len += n;
	}
	if ((cells = malloc(len)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	for (i = 0, q = cells; i < x->ncols; i++) {
		const char *t = cell_of(x, d, v, i);
		size_t n = i < NLEN ? lens[i] : strlen(t) + 1;
		memcpy(q, t, n);
		q += n;
	}
	/* the deal's own group: its seq as the key (see above) */
	g = *d;
	for (i = 0; i < 16; i++)	/* "%016llx", without printf's cost */
		key[i] = "0123456789abcdef"[(uint64_t)d->seq >> (60 - 4 * i) &
		    0xf];
	key[16] = '\0';
	g.key = key;
	g.keylen = 16;
	if ((s = cli_agg_group(run, &g)) == NULL ||
	    deals_push(s, d->seq, cells) < 0) {
		free(cells);
		return sp_err_set(e, NULL, "out of memory");
	}
	return 0;
}

static int
repair(const char *prog, const char *path)
{
	sp_error e;
	int64_t off, n;
	long line;
	char *dropped, q[80];

	if ((n = sp_journal_repair(path, &off, &line, &dropped, &e)) < 0) {
		char buf[2048];
		fprintf(stderr, "%s\n", sp_err_format(&e, prog, buf, sizeof(buf)));
		return SP_EXIT_DATA;
	}
	if (n == 0) {
		fprintf(stderr, "%s: %s: no torn record (%lld bytes of whole "
		    "records): nothing to do\n", prog, path, (long long)off);
		return SP_EXIT_OK;
	}
	fwrite(dropped, 1, (size_t)n, stdout);
	fprintf(stderr, "%s: %s:%ld: dropped the torn record at byte %lld "
	    "(%lld byte%s: '%s'), written to the standard output\n", prog,
	    path, line, (long long)off, (long long)n, n == 1 ? "" : "s",
	    sp_err_quote(q, sizeof(q), dropped, (size_t)n));
	free(dropped);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write error on the standard output: %s "
		    "(the journal is repaired)\n", prog, strerror(errno));
		return SP_EXIT_DATA;
	}
	return SP_EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const cli_opt opts[] = {
		CLI_WRITE_LONGOPTS,
		{ "as-of", required_argument, CLI_OPT_AS_OF,
		    "time", "fold the history at this time" },
		{ "leads", no_argument, OPT_LEADS,
		    NULL, "the history is of leads" },
		{ "repair", required_argument, OPT_REPAIR,
		    "file", "repair the journal file, nothing else" },
		CLI_SPREADSHEET_LONGOPT,
		CLI_ENGINE_LONGOPTS,
		CLI_OPT_END
	};
	static struct ctx x;
	static sp_agg agg = { "pipeline", sizeof(struct deals), deals_init,
	    deals_fini, deals_merge, deals_save, deals_load, deals_rows, NULL,
	    0, &x, NULL, NULL, 0, NULL, 1 };
	sp_cli c;
	const char *repair_path = NULL;
	int ch, rc;

	cli_init(&c, argv, usage, SP_STAGES_DEALS);
	while ((ch = cli_getopt(&c, argc, argv, opts)) !=
	    -1) {
		if (cli_option(&c, ch, optarg))
			continue;
		if (ch == OPT_LEADS)
			c.stage_list = SP_STAGES_LEADS;
		else if (ch == OPT_REPAIR)
			repair_path = optarg;
		else
			cli_usage(&c);
	}
	argc -= optind;
	argv += optind;
	if (repair_path != NULL) {
		if (argc > 0)
			cli_usage_error(&c, "--repair takes one journal and no "
			    "other file");
		/* a repair changes a file: nothing to split or merge */
		if (c.partial || c.merge || c.shard_n > 0 || c.threads > 0)
			cli_usage_error(&c, "--repair: not with --%s (a "
			    "journal is repaired whole, by one run)",
			    c.partial ? "partial" : c.merge ? "merge" :
			    c.shard_n > 0 ? "shard" : "threads");
		/* cli_finish is for runs that read: free what cli_getopt
		   recorded by hand */
		while (c.nfp > 0)
			free(c.fp[--c.nfp]);
		free(c.fp);
		return repair(c.prog, repair_path);
	}
	cli_open(&c, argc, argv);
	c.pass_through = 1;	/* every field is written */
	x.agg = &agg;
	x.t = c.has_as_of ? c.as_of : c.cal.now;
	x.id_slot = c.rd != NULL ? sp_reader_slot(c.rd, "id") : -1;
	if ((c.rd != NULL && x.id_slot < 0) ||
	    pthread_mutex_init(&x.lock, NULL) != 0)
		cli_oom(&c);
	/* until a deal (or a partial) shows the history's fields: id and
	   the derived columns (a history with no deal as of the time) */
	{
		static const char *const id[] = { "id" };
		if (set_columns(&x, id, 1) < 0)
			cli_oom(&c);
	}
	rc = cli_agg_deals(&c, &agg, SP_NEED_ALL | SP_NEED_CREATED |
	    SP_NEED_CLOSED | SP_NEED_CLOSE_DATE, add_deal);
	free_columns(&x);
	pthread_mutex_destroy(&x.lock);
	return rc;
}
