/*
 * append: the shared steps of the four write programs.  Everything that
 * can be checked without the journal is checked before its lock is taken;
 * what needs the history (ids, duplicates, a deal's stage) is checked
 * under the lock, and the batch goes to the journal in one append only
 * when every entry passed (or --max-bad allowed the rest to be skipped).
 * A lead's conversion (lead-move --deal) writes two journals: see the
 * rule above append_convert.
 */
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/append.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/journal.h"
#include "salespipe/sidecar.h"

enum { OPT_AT = APPEND_OPT_AT, OPT_ALLOW_DUP = APPEND_OPT_ALLOW_DUP,
	OPT_REOPEN = APPEND_OPT_REOPEN, OPT_ALLOW_FIELD = APPEND_OPT_ALLOW_FIELD,
	OPT_DEAL = APPEND_OPT_DEAL, OPT_DEALS = APPEND_OPT_DEALS,
	OPT_DEFAULT_COUNTRY = APPEND_OPT_DEFAULT_COUNTRY };

typedef struct sp_append {
	sp_cli *c;
	const sp_kind *k;
	sp_stages *stages;	/* the kind's stage list (c->stages, or the
				   deal list of a conversion) */
	const char *path;	/* -f, else the kind's variable, else NULL */
	const char *at_text;	/* --at */
	int64_t at;		/* --at, else now */
	int allow_dup;		/* --allow-duplicate */
	int reopen;		/* --reopen */
	sp_entry **v;		/* the batch; NULL: an entry refused */
	size_t n, cap;
	char **allow;		/* --allow-field names */
	size_t nallow;
	int64_t nprob;		/* probabilities recorded, */
	int prob_max;		/* and the largest (bp) */
	int64_t index_min;	/* $SALESPIPE_JOURNAL_INDEX: the smallest
				   journal that keeps an index (-1: none) */
	sp_sidecar *sc;		/* the journal's index, or NULL */
	int deal;		/* lead-move --deal: convert into a deal */
	const char *deals_path;	/* --deals */
	sp_entry *deal_en;	/* the deal's field=value operands */
	size_t deal_fields;	/* how many there were */
} sp_append;


static void
push(sp_append *a, sp_entry *en)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		sp_entry **v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL)
			cli_oom(a->c);
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = en;
}

/* A bad entry: the --max-bad policy, with the entry's place and text. */
static void
bad(sp_append *a, sp_error *e, const sp_entry *en)
{
	sp_rec r;

	memset(&r, 0, sizeof(r));
	r.file = en->file;
	r.line = en->line;
	r.raw = en->raw;
	r.rawlen = en->raw ? strlen(en->raw) : 0;
	if (e->file[0] == '\0' && en->file[0] != '\0')
		sp_err_where(e, en->file, en->line);
	cli_bad(a->c, e, en->raw != NULL ? &r : NULL);
}

/* Stamp, default and normalise one entry; 0, or -1 after bad(). */
static int
finish_entry(sp_append *a, sp_entry *en, int moves)
{
	sp_cli *c = a->c;
	sp_error e;
	char t[32];

	sp_err_clear(&e);
	en->prob_scale = c->prob_scale;
	if (sp_entry_normalise_with(en, a->stages, c->date_format, &c->numfmt,
	    c->tz, &e) < 0)
		goto fail;
	if (sp_entry_get(en, "probability") != NULL) {
		int bp;
		const char *p = sp_entry_get(en, "probability");
		/* the canonical form: a percentage */
		if (sp_prob_parse(p, strlen(p), &bp, &e) == 0) {
			a->nprob++;
			if (bp > a->prob_max)
				a->prob_max = bp;
		}
	}
	sp_time_format(a->at, t);
	if (sp_entry_get(en, "at") == NULL &&
	    sp_entry_set(en, "at", t, strlen(t), &e) < 0)
		goto fail;
	if (moves) {
		if (sp_entry_get(en, "id") == NULL) {
			sp_err_set(&e, "id", "missing: a move needs the id of its "
			    "%s", a->k->noun);
			goto fail;
		}
		if (sp_entry_get(en, "stage") == NULL) {
			sp_err_set(&e, "stage", "missing: a move needs the stage "
			    "(known: %s)", sp_stages_known(a->stages));
			goto fail;
		}
		return 0;
	}
	if (sp_entry_get(en, "stage") == NULL) {
		const char *s = a->stages->v[sp_stages_first_open(a->stages)].name;
		if (sp_entry_set(en, "stage", s, strlen(s), &e) < 0)
			goto fail;
	}
	if (sp_entry_get(en, "created_at") == NULL) {
		const char *at = sp_entry_get(en, "at");
		if (sp_entry_set(en, "created_at", at, strlen(at), &e) < 0)
			goto fail;
	}
	return 0;
fail:
	bad(a, &e, en);
	return -1;
}

static void
read_stdin(sp_append *a, int moves)
{
	sp_cli *c = a->c;
	sp_rec *r = sp_rec_new();
	sp_error e;
	int k;

	if (r == NULL)
		cli_oom(c);
	sp_err_clear(&e);
	while ((k = sp_reader_next(c->rd, r, &e)) != 0) {
		sp_entry *en;
		size_t nf, i;
		const int *f;

		if (k == -2)
			cli_fail(c, &e);
		if (k == -1) {
			cli_bad(c, &e, r);
			continue;
		}
		if ((en = sp_entry_new()) == NULL)
			cli_oom(c);
		free(en->file);
		if ((en->file = strdup(r->file)) == NULL ||
		    (en->raw = strndup(r->raw, r->rawlen)) == NULL)
			cli_oom(c);
		en->line = r->line;
		f = sp_reader_fields(c->rd, &nf);
		for (i = 0; i < nf; i++) {
			const char *name = sp_reader_slot_name(c->rd, f[i]);
			if (!sp_rec_has(r, f[i]))
				continue;
			if (sp_entry_set(en, name, sp_rec_get(r, f[i]),
			    sp_rec_len(r, f[i]), &e) < 0)
				cli_oom(c);
		}
		/* a preset's export has the CRM's own column names (State,
		   CampaignId), not typos of ours */
		if (!sp_map_has_preset(c->map) && sp_entry_check_names(en, a->k,
		    a->allow, a->nallow, &e) < 0) {
			bad(a, &e, en);
			sp_entry_free(en);
			continue;
		}
		if (finish_entry(a, en, moves) < 0)
			sp_entry_free(en);
		else
			push(a, en);
	}
	sp_rec_free(r);
}

static void
append_read(sp_append *a, int argc, char **argv, int moves,
    const char *const *deal_ops)
{
	sp_cli *c = a->c;
	sp_error e;
	int i = 0;

	if (a->path == NULL) {
		const char *p = getenv(a->k->env);
		if (p != NULL && *p != '\0')
			a->path = p;
	} else if (strcmp(a->path, "-") == 0)
		a->path = NULL;	/* -f -: the standard output, whatever the
				   environment says */
	if (moves && argc == 1)
		cli_usage_error(c, "a move needs an id and a stage");
	c->journal_path = a->path;	/* --rejects must not name it */
	cli_open(c, 0, argv);
	a->stages = c->stages;
	sp_err_clear(&e);
	a->at = c->cal.now;
	if (a->at_text != NULL && sp_time_parse(a->at_text, strlen(a->at_text),
	    NULL, &a->at, &e) < 0)
		cli_usage_error(c, "--at: '%s' is not an ISO 8601 date or time",
		    a->at_text);
	if (argc == 0) {
		read_stdin(a, moves);
		return;
	}
	{
		sp_entry *en = sp_entry_new();
		if (en == NULL)
			cli_oom(c);
		if (moves) {
			if (sp_entry_set(en, "id", argv[0], strlen(argv[0]), &e) <
			    0 || sp_entry_set(en, "stage", argv[1],
			    strlen(argv[1]), &e) < 0)
				cli_oom(c);
			i = 2;
		}
		for (; i < argc; i++) {
			sp_entry *to = en;
			size_t k;
			/* after --deal: the deal's fields */
			for (k = 0; deal_ops != NULL && deal_ops[k] != NULL; k++)
				if (deal_ops[k] == argv[i])
					to = a->deal_en;
			if (sp_entry_operand(to, argv[i], &e) < 0)
				cli_usage_error(c, "%s", e.msg);
		}
		if (sp_entry_check_names(en, a->k, a->allow, a->nallow, &e) < 0)
			cli_usage_error(c, "field '%s': %s", e.field, e.msg);
		if (finish_entry(a, en, moves) < 0)
			sp_entry_free(en);
		else
			push(a, en);
	}
}

static int
in_list(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The columns of the batch: id, at, stage, the kind's columns, then
 * other fields in order of appearance. */
static char **
columns(sp_append *a, size_t *ncol)
{
	char **v;
	size_t n = 0, i, j, max = 3;

	for (i = 0; a->k->columns[i] != NULL; i++)
		max++;
	for (i = 0; i < a->n; i++)
		if (a->v[i] != NULL)
			max += a->v[i]->n;
	if ((v = calloc(max + 1, sizeof(*v))) == NULL)
		cli_oom(a->c);
	v[n++] = "id";
	v[n++] = "at";
	v[n++] = "stage";
	for (i = 0; a->k->columns[i] != NULL; i++)
		v[n++] = (char *)a->k->columns[i];
	for (i = 0; i < a->n; i++)
		for (j = 0; a->v[i] != NULL && j < a->v[i]->n; j++)
			if (!in_list(v, a->v[i]->name[j]))
				v[n++] = a->v[i]->name[j];
	*ncol = n;
	return v;
}

/*
 * The surviving entries (a->v[i] != NULL) as rows of the batch's columns;
 * free rows->cols and rows->vals.
 */
static void
batch_rows(sp_append *a, sp_rows *rows)
{
	size_t ncol, i, j, n = 0;
	char **cols = columns(a, &ncol);
	const char **vals;

	for (i = 0; i < a->n; i++)
		n += a->v[i] != NULL;
	if ((vals = calloc(n * ncol + 1, sizeof(*vals))) == NULL)
		cli_oom(a->c);
	for (i = 0, n = 0; i < a->n; i++) {
		if (a->v[i] == NULL)
			continue;
		for (j = 0; j < ncol; j++)
			vals[n * ncol + j] = sp_entry_get(a->v[i], cols[j]);
		n++;
	}
	rows->cols = (const char *const *)cols;
	rows->ncol = ncol;
	rows->vals = vals;
	rows->nrow = n;
}

/* A CSV journal cannot grow columns: refuse entries with new fields. */
static void
check_columns(sp_append *a, sp_journal *j, char **header)
{
	sp_error e;
	size_t i;

	if (header == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		sp_entry *en = a->v[i];
		sp_rows row;
		const char *f;
		if (en == NULL)
			continue;
		/* a created_at that only repeats `at` is no news: a journal
		   without the column loses nothing by leaving it out */
		if (!in_list(header, "created_at") && sp_entry_get(en,
		    "created_at") != NULL && strcmp(sp_entry_get(en, "created_at"),
		    sp_entry_get(en, "at")) == 0)
			sp_entry_unset(en, "created_at");
		row.cols = (const char *const *)en->name;
		row.ncol = en->n;
		row.vals = (const char *const *)en->val;
		row.nrow = 1;
		if ((f = sp_rows_missing(&row, header)) == NULL)
			continue;
		sp_err_clear(&e);
		sp_err_set(&e, f, "not a column of the CSV journal %s (a CSV "
		    "journal cannot grow new columns; keep the history in a "
		    ".jsonl journal)", sp_journal_path(j));
		bad(a, &e, en);
		sp_entry_free(en);
		a->v[i] = NULL;
	}
}

/*
 * $SALESPIPE_JOURNAL_INDEX: "off", or the size from which a journal keeps
 * its index file (0: every journal).  Default 1M: below it the journal
 * costs a few milliseconds to read whole.
 */
static int64_t
index_min(sp_append *a)
{
	const char *v = getenv("SALESPIPE_JOURNAL_INDEX");
	size_t n;

	if (v == NULL || *v == '\0')
		return (int64_t)1 << 20;
	if (strcmp(v, "off") == 0)
		return -1;
	if (strcmp(v, "0") == 0)
		return 0;
	if (sp_size_parse(v, &n) < 0)
		cli_usage_error(a->c, "SALESPIPE_JOURNAL_INDEX: '%s' is not a "
		    "size (such as 1M, or 0) nor 'off'", v);
	return (int64_t)n;
}

/*
 * Read through the journal's index what the checks of the batch need
 * (moves: the records of its ids; adds: those of its explicit ids, the
 * first holders of its duplicate keys, the highest id).  0 when x holds
 * it; -1 to read the journal instead (x may hold some of it).  A check
 * that reads the whole journal without an index (adds, and batches of
 * more than eight moves) also refuses a stage outside the stage list
 * anywhere in it: when the journal has one, read it whole, which names it.
 */
static int
load_indexed(sp_append *a, int moves, sp_index *x, char ***header, int whole)
{
	sp_sidecar *sc = a->sc;
	const char **ids = calloc(a->n + 1, sizeof(*ids));
	size_t nkeys = (a->n + 1) * sp_kind_dup_count(a->k);
	const char **dups = calloc(nkeys, sizeof(*dups));
	size_t *duplens = calloc(nkeys, sizeof(*duplens));
	size_t nids = 0, ndups = 0, i, k, len, dcap = 0;
	const char *name, *id;
	char *dbuf = NULL;
	int rc = -1;
	sp_error e;

	if (ids == NULL || dups == NULL || duplens == NULL)
		cli_oom(a->c);
	for (i = 0; whole && sp_sidecar_stage(sc, i, &name, &len); i++)
		if (sp_stages_find(a->stages, name, len) < 0)
			goto done;
	for (i = 0; i < a->n; i++) {
		if (a->v[i] == NULL)
			continue;
		if ((id = sp_entry_get(a->v[i], "id")) != NULL)
			ids[nids++] = id;
		if (moves || a->allow_dup)
			continue;
		for (k = 0; k < sp_kind_dup_count(a->k); k++) {
			len = sp_entry_dup_key_n(a->v[i], a->k, k, &dbuf, &dcap);
			if (len == (size_t)-1 || (len > 0 &&
			    (dups[ndups] = malloc(len)) == NULL))
				cli_oom(a->c);
			if (len > 0) {
				memcpy((char *)dups[ndups], dbuf, len);
				duplens[ndups++] = len;
			}
		}
	}
	rc = sp_sidecar_load(sc, x, ids, nids, dups, duplens, ndups, !moves,
	    header, &e) == 0 ? 0 : -1;
done:
	for (i = 0; i < ndups; i++)
		free((char *)dups[i]);
	free(dbuf);
	free(duplens);
	free(dups);
	free(ids);
	return rc;
}

/*
 * Take the lock and read the history: through the journal's index when
 * it has one (see sidecar.h), else the whole journal (ids: only the lines
 * of these ids, may be NULL).
 */
static sp_journal *
open_journal(sp_append *a, int moves, sp_index **x, char ***header,
    const char *const *ids, size_t nids)
{
	sp_journal *j;
	sp_error e;
	const char *text;
	size_t n;
	int how;

	/* a move needs a history: it never creates the journal */
	if ((j = sp_journal_open(a->path, moves ? 0 : SP_JOURNAL_CREATE, &e)) ==
	    NULL)
		cli_fail(a->c, &e);
	if ((*x = sp_index_new(a->k, a->stages)) == NULL)
		cli_oom(a->c);
	if (a->index_min >= 0 && sp_journal_fd(j) >= 0 &&
	    sp_journal_size(j) >= a->index_min) {
		a->sc = sp_sidecar_open(j, a->k, &how, &e);
		if (a->sc == NULL && how == SP_SIDECAR_FOREIGN)
			cli_warn(a->c, "%s: %s (every write reads the whole "
			    "journal)", e.file, e.msg);
	}
	if (sp_sidecar_usable(a->sc)) {
		if (load_indexed(a, moves, *x, header, !moves || ids == NULL) ==
		    0)
			return j;
		sp_index_free(*x);
		if ((*x = sp_index_new(a->k, a->stages)) == NULL)
			cli_oom(a->c);
	}
	text = sp_journal_text(j, &n);
	if (sp_index_read(*x, text, n, sp_journal_format(j), a->path, ids, nids,
	    header, &e) < 0) {
		char m[1100];
		snprintf(m, sizeof(m), "%s (the journal is not a good "
		    "history: nothing was written)", e.msg);
		snprintf(e.msg, sizeof(e.msg), "%.1000s", m);
		sp_sidecar_close(a->sc);
		sp_journal_close(j);
		sp_index_free(*x);
		cli_fail(a->c, &e);
	}
	return j;
}

/*
 * After the append, under the same lock: the index takes the new records
 * (a failure costs the next writer a rebuild, nothing else: a warning).
 */
static void
close_journal(sp_append *a, sp_journal *j)
{
	sp_error e;

	if (a->sc != NULL && sp_sidecar_update(a->sc, j, &e) < 0)
		cli_warn(a->c, "%s: %s (the next write builds it again)",
		    e.file[0] != '\0' ? e.file : a->path, e.msg);
	sp_sidecar_close(a->sc);
	a->sc = NULL;
	sp_journal_close(j);
}

/* Append the batch, or write it to stdout without a journal. */
static int
commit(sp_append *a, sp_journal *j, char **header)
{
	sp_error e;
	sp_rows rows;
	int fmt, rc = 0;

	batch_rows(a, &rows);
	if (j == NULL) {
		fmt = a->c->out_fmt != SP_FMT_AUTO ? a->c->out_fmt :
		    SP_FMT_JSONL;
		if (sp_rows_write(stdout, fmt, &rows, NULL, 1) < 0) {
			if (!ferror(stdout))
				cli_oom(a->c);
			a->c->out_errno = errno;	/* for cli_finish */
			rc = -1;
		}
	} else if (sp_journal_append_rows(j, &rows, header, &e) < 0)
		cli_fail(a->c, &e);
	free((void *)rows.cols);
	free((void *)rows.vals);
	return rc;
}

static void
free_batch(sp_append *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		sp_entry_free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* "same email" / "same account and name", for duplicate messages of key
 * which. */
static const char *
dup_what(const sp_kind *k, size_t which, char *buf, size_t size)
{
	const char *const *f = sp_kind_dup_fields(k, which);

	snprintf(buf, size, "same %s%s%s", f[0], f[1] ? " and " : "",
	    f[1] ? f[1] : "");
	return buf;
}

/* The end of a run: the probability scale's warning, then cli_finish. */
static int
append_finish(sp_append *a)
{
	cli_prob_warn(a->c, a->c->prob_scale != 1 && a->nprob > 0 &&
	    a->prob_max > 0 && a->prob_max <= 100);
	free(a->allow);
	return cli_finish(a->c, NULL);
}

/*
 * The checks of a batch of adds against the history x (ids given, and
 * duplicates), and the ids made for the entries without one: the next
 * numbers above every id of the journal and of the batch.  A refused
 * entry is reported (bad()) and left NULL.  deal-add's batches and the
 * deal of a lead's conversion both go through here.
 */
static void
adds_check(sp_append *a, sp_index *x)
{
	sp_cli *c = a->c;
	sp_index *b, *given;	/* the batch's ids so far, the batch's
				   explicit ones */
	char *dbuf = NULL, idbuf[40], what[64];
	size_t dcap = 0, dl, i, k, nk = sp_kind_dup_count(a->k);
	int64_t next, at;
	sp_error e;

	if ((b = sp_index_new(a->k, a->stages)) == NULL)
		cli_oom(c);
	/* ids made must not take one a later record gives: start above all */
	if ((given = sp_index_new(a->k, a->stages)) == NULL)
		cli_oom(c);
	next = sp_index_max_number(x);
	for (i = 0; i < a->n; i++) {
		const char *id = sp_entry_get(a->v[i], "id");
		if (id != NULL && sp_index_add(given, id, strlen(id), 0, -1, NULL,
		    0) < 0)
			cli_oom(c);
	}
	if (sp_index_max_number(given) > next)
		next = sp_index_max_number(given);
	for (i = 0; i < a->n; i++) {
		sp_entry *en = a->v[i];
		const char *id;
		if (en == NULL)
			continue;
		sp_err_clear(&e);
		if ((id = sp_entry_get(en, "id")) != NULL) {
			if (sp_index_has(x, id))
				sp_err_set(&e, "id", "'%.100s' is already a %s in "
				    "%s (an id names one %s: record changes "
				    "with %s-move)", id, a->k->noun, a->path,
				    a->k->noun, a->k->noun);
			else if (sp_index_has(b, id))
				sp_err_set(&e, "id", "'%.100s' is given to an "
				    "earlier record of this batch too", id);
			if (e.msg[0] != '\0') {
				bad(a, &e, en);
				sp_entry_free(en);
				a->v[i] = NULL;
				continue;
			}
		}
		/* each kind of key in turn: email first, then phone, ... */
		for (k = 0, id = NULL; k < nk && id == NULL && !a->allow_dup;
		    k++) {
			const char *const *f = sp_kind_dup_fields(a->k, k);
			const char *field = f[1] ? NULL : f[0];
			dl = sp_entry_dup_key_n(en, a->k, k, &dbuf, &dcap);
			if (dl == (size_t)-1)
				cli_oom(c);
			if (dl == 0)
				continue;
			dup_what(a->k, k, what, sizeof(what));
			if ((id = sp_index_dup(x, dbuf, dl)) != NULL)
				sp_err_set(&e, field, "duplicate of %s %.100s in %s "
				    "(%s); --allow-duplicate adds it anyway",
				    a->k->noun, id, a->path, what);
			else if ((id = sp_index_dup(b, dbuf, dl)) != NULL)
				sp_err_set(&e, field, "duplicate of an earlier "
				    "record of this batch (%s %.100s, %s); "
				    "--allow-duplicate adds it anyway",
				    a->k->noun, id, what);
		}
		if (id != NULL) {
			bad(a, &e, en);
			sp_entry_free(en);
			a->v[i] = NULL;
			continue;
		}
		if ((id = sp_entry_get(en, "id")) == NULL) {
			/* numbers too long to count are still never reused */
			do
				snprintf(idbuf, sizeof(idbuf), "%s%lld",
				    a->k->prefix, (long long)++next);
			while (sp_index_has(x, idbuf) || sp_index_has(given,
			    idbuf) || (sp_sidecar_usable(a->sc) &&
			    sp_sidecar_has(a->sc, idbuf, strlen(idbuf))));
			if (sp_entry_set(en, "id", idbuf, strlen(idbuf), &e) < 0)
				cli_oom(c);
			id = sp_entry_get(en, "id");
		}
		sp_time_parse(sp_entry_get(en, "at"), strlen(sp_entry_get(en, "at")),
		    NULL, &at, &e);
		if (sp_index_add(b, id, strlen(id), at, -1, NULL, 0) < 0)
			cli_oom(c);
		for (k = 0; k < nk; k++) {
			dl = sp_entry_dup_key_n(en, a->k, k, &dbuf, &dcap);
			if (dl == (size_t)-1 || (dl > 0 && sp_index_add_dup(b, id,
			    strlen(id), dbuf, dl) < 0))
				cli_oom(c);
		}
	}
	sp_index_free(b);
	sp_index_free(given);
	free(dbuf);
}

static int
append_adds(sp_append *a)
{
	sp_journal *j = NULL;
	sp_index *x = NULL;	/* the journal's ids */
	char **header = NULL;
	size_t i;

	if (a->path != NULL)
		j = open_journal(a, 0, &x, &header, NULL, 0);
	else if ((x = sp_index_new(a->k, a->stages)) == NULL)
		cli_oom(a->c);
	adds_check(a, x);
	check_columns(a, j, header);
	if (commit(a, j, header) < 0) {
		close_journal(a, j);
		sp_index_free(x);
		sp_index_header_free(header);
		free_batch(a);
		return append_finish(a);
	}
	/* the ids given, once they are on disk */
	for (i = 0; j != NULL && i < a->n; i++)
		if (a->v[i] != NULL)
			printf("%s\n", sp_entry_get(a->v[i], "id"));
	if (j != NULL)
		close_journal(a, j);
	sp_index_free(x);
	sp_index_header_free(header);
	free_batch(a);
	return append_finish(a);
}

static int
other_fields(const sp_entry *en)
{
	size_t i;

	for (i = 0; i < en->n; i++)
		if (strcmp(en->name[i], "id") != 0 &&
		    strcmp(en->name[i], "at") != 0 &&
		    strcmp(en->name[i], "stage") != 0)
			return 1;
	return 0;
}

/* Check one move against the history as of its time; 0 to keep it. */
static int
check_move(sp_append *a, sp_index *x, sp_entry *en, sp_error *e)
{
	sp_stages *st = a->stages;
	const char *id = sp_entry_get(en, "id"), *sn = sp_entry_get(en, "stage");
	int64_t at, since, first;
	int cur, to = sp_stages_find(st, sn, strlen(sn));
	char t1[32], t2[32];

	sp_time_parse(sp_entry_get(en, "at"), strlen(sp_entry_get(en, "at")), NULL,
	    &at, e);
	sp_err_clear(e);
	if (!sp_index_state(x, id, at, &cur, &since, &first)) {
		if (first == INT64_MIN)
			return sp_err_set(e, "id", "unknown %s '%.100s' (no record "
			    "of it in %s)", a->k->noun, id, a->path);
		return sp_err_set(e, "at", "%s '%.100s' did not exist yet at %s "
		    "(its first record is at %s)", a->k->noun, id,
		    sp_time_format(at, t1), sp_time_format(first, t2));
	}
	if (cur >= 0 && st->v[cur].kind != SP_OPEN && !a->reopen &&
	    cur != to)
		return sp_err_set(e, "stage", "%s '%.100s' is %s (in '%s' since "
		    "%s): moving it needs --reopen", a->k->noun, id,
		    sp_stage_kind_name(st->v[cur].kind), st->v[cur].name,
		    sp_time_format(since, t1));
	if (cur == to) {
		sp_error w = *e;
		if (en->file[0] != '\0')
			sp_err_where(&w, en->file, en->line);
		if (other_fields(en)) {
			sp_err_set(&w, NULL, "%s '%.100s' is already in stage "
			    "'%s': recorded only its other fields", a->k->noun,
			    id, st->v[cur].name);
			sp_entry_unset(en, "stage");
			cli_error(a->c, &w);
		} else {
			sp_err_set(&w, NULL, "%s '%.100s' is already in stage "
			    "'%s': nothing recorded", a->k->noun, id,
			    st->v[cur].name);
			cli_error(a->c, &w);
			return 1;
		}
	}
	if (sp_index_add(x, id, strlen(id), at, sp_entry_get(en, "stage") ? to : -1,
	    NULL, 0) < 0)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}

static int
append_moves(sp_append *a)
{
	sp_journal *j = NULL;
	sp_index *x = NULL;
	char **header = NULL;
	const char *ids[8];
	size_t nids = 0, i, k;
	int rc;
	sp_error e;

	if (a->path == NULL) {
		/* no history to check against: the moves as they are */
		commit(a, NULL, NULL);
		free_batch(a);
		return append_finish(a);
	}
	/* a few ids: only their lines of a JSON lines journal are parsed */
	for (i = 0; i < a->n && nids <= 8; i++) {
		const char *id = sp_entry_get(a->v[i], "id");
		for (k = 0; k < nids && strcmp(ids[k], id) != 0; k++)
			;
		if (k == nids && nids++ < 8)
			ids[k] = id;
	}
	j = open_journal(a, 1, &x, &header, nids <= 8 ? ids : NULL,
	    nids <= 8 ? nids : 0);
	for (i = 0; i < a->n; i++) {
		if ((rc = check_move(a, x, a->v[i], &e)) == 0)
			continue;
		if (rc < 0)
			bad(a, &e, a->v[i]);
		sp_entry_free(a->v[i]);
		a->v[i] = NULL;
	}
	check_columns(a, j, header);
	commit(a, j, header);
	close_journal(a, j);
	sp_index_free(x);
	sp_index_header_free(header);
	free_batch(a);
	return append_finish(a);
}


/*
 * Lead conversion (lead-move ID converted --deal [field=value ...]): the
 * lead's move and a new deal, in two journals.  The rule that keeps a
 * kill at any moment from leaving a converted lead without its deal, or a
 * lead with two deals:
 *  - the locks: the lead journal's first, then the deals journal's (every
 *    program that holds both takes them in this order, so two of them
 *    never wait for each other; the other writers hold one);
 *  - under both, every check, then the deal (it records lead_id) appended
 *    and flushed to disk, then the lead's move (with deal_id);
 *  - a deal is found by its lead_id: a rerun after a kill between the two
 *    appends finds the deal and appends only the lead's move, and once the
 *    lead is converted with its deal there, a rerun records nothing.
 */

/* A test hook: SALESPIPE_TEST_KILL=STEP makes the process kill itself
 * (SIGKILL) at that step of a conversion, for tests/convert.sh. */
static void
kill_point(const char *step)
{
	const char *v = getenv("SALESPIPE_TEST_KILL");

	if (v != NULL && strcmp(v, step) == 0)
		raise(SIGKILL);
}

/* Read every record of journal j (kind k, named path) and call fn(ctx, r,
 * slots) on each; a record that does not read is fatal (the index read
 * of open_journal has already accepted the journal). */
typedef void (*record_fn)(void *ctx, const sp_rec *r, const int *slot);

static void
each_record(sp_append *a, sp_journal *j, const char *path,
    const char *const *names, int *slot, record_fn fn, void *ctx)
{
	sp_read_opts o;
	sp_reader *rd;
	sp_rec *r;
	sp_error e;
	const char *text;
	size_t n, i;
	int k;

	text = sp_journal_text(j, &n);
	if (text == NULL || n == 0)
		return;
	memset(&o, 0, sizeof(o));
	o.format = sp_journal_format(j);
	sp_err_clear(&e);
	if ((rd = sp_reader_open_mem(text, n, path, &o, &e)) == NULL ||
	    (r = sp_rec_new()) == NULL)
		cli_oom(a->c);
	for (i = 0; names[i] != NULL; i++)
		if ((slot[i] = sp_reader_slot(rd, names[i])) < 0)
			cli_oom(a->c);
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		if (k < 0)
			cli_fail(a->c, &e);
		fn(ctx, r, slot);
	}
	sp_rec_free(r);
	sp_reader_close(rd);
}

static int
rec_is(const sp_rec *r, int slot, const char *s)
{
	size_t n = strlen(s);

	return sp_rec_has(r, slot) && sp_rec_len(r, slot) == n &&
	    memcmp(sp_rec_get(r, slot), s, n) == 0;
}

/* The lead's values as of the conversion: the latest non-empty value of
 * each field in its records at or before the time (ties: the later
 * record). */
enum { LV_ID, LV_AT, LV_COMPANY, LV_OWNER, LV_SOURCE, LV_DEAL_ID, LV_N };
static const char *const lead_value_names[] = { "id", "at", "company",
	"owner", "source", "deal_id", NULL };

typedef struct lead_values {
	sp_cli *c;
	const char *id;
	int64_t at;
	char *v[LV_N];
	int64_t when[LV_N];
} lead_values;

static void
lead_value(void *ctx, const sp_rec *r, const int *slot)
{
	lead_values *lv = ctx;
	int64_t at;
	sp_error e;
	int f;

	if (!rec_is(r, slot[LV_ID], lv->id) || !sp_rec_has(r, slot[LV_AT]) ||
	    sp_time_parse(sp_rec_get(r, slot[LV_AT]), sp_rec_len(r,
	    slot[LV_AT]), NULL, &at, &e) < 0 || at > lv->at)
		return;
	for (f = LV_COMPANY; f < LV_N; f++) {
		if (!sp_rec_has(r, slot[f]) || sp_rec_len(r, slot[f]) == 0 ||
		    (lv->v[f] != NULL && at < lv->when[f]))
			continue;
		free(lv->v[f]);
		if ((lv->v[f] = strndup(sp_rec_get(r, slot[f]), sp_rec_len(r,
		    slot[f]))) == NULL)
			cli_oom(lv->c);
		lv->when[f] = at;
	}
}

/* The distinct ids of the deals whose lead_id is the lead's. */
enum { DL_ID, DL_LEAD_ID };
static const char *const deal_lead_names[] = { "id", "lead_id", NULL };

typedef struct deals_of_lead {
	sp_cli *c;
	const char *lead;
	char **id;
	size_t n;
	const char *want;	/* the lead's deal_id, or NULL */
	int found;		/* a deal has id want */
} deals_of_lead;

static void
deal_of_lead(void *ctx, const sp_rec *r, const int *slot)
{
	deals_of_lead *dl = ctx;
	size_t i;
	char **v;

	if (dl->want != NULL && rec_is(r, slot[DL_ID], dl->want))
		dl->found = 1;
	if (!rec_is(r, slot[DL_LEAD_ID], dl->lead) || !sp_rec_has(r,
	    slot[DL_ID]))
		return;
	for (i = 0; i < dl->n; i++)
		if (rec_is(r, slot[DL_ID], dl->id[i]))
			return;
	if ((v = realloc(dl->id, (dl->n + 1) * sizeof(*v))) == NULL)
		cli_oom(dl->c);
	dl->id = v;
	if ((v[dl->n] = strndup(sp_rec_get(r, slot[DL_ID]), sp_rec_len(r,
	    slot[DL_ID]))) == NULL)
		cli_oom(dl->c);
	dl->n++;
}

/* "D-3, D-5" into buf. */
static const char *
id_list(char *const *v, size_t n, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%.100s", i ? ", " :
		    "", v[i]);
	return buf;
}

/* Set name from the lead when the deal's operands did not give it. */
static void
deal_default(sp_append *a, sp_entry *en, const char *name, const char *v)
{
	sp_error e;

	if (v != NULL && sp_entry_get(en, name) == NULL &&
	    sp_entry_set(en, name, v, strlen(v), &e) < 0)
		cli_oom(a->c);
}

static int
same_file(const char *p, const char *q)
{
	struct stat a, b;

	if (strcmp(p, q) == 0)
		return 1;
	return stat(p, &a) == 0 && stat(q, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino;
}

/*
 * Read a conversion's operands (the lead's move, then the deal's fields
 * after --deal) and check everything that needs no journal; d becomes the
 * deal side: the deals journal, the deal stage list, the deal entry.
 */
static void
convert_setup(sp_append *a, sp_append *d, int argc, char **argv,
    const char *const *deal_ops)
{
	sp_cli *c = a->c;
	sp_error e;
	sp_entry *en;
	const char *s;
	int to;

	if (argc == 0)
		cli_usage_error(c, "--deal converts one lead: give its id and "
		    "the stage (a batch on the standard input cannot "
		    "convert)");
	memset(d, 0, sizeof(*d));
	d->c = c;
	d->k = &sp_kind_deal;
	d->path = a->deals_path;
	if (d->path == NULL && (s = getenv("SALESPIPE_DEALS")) != NULL &&
	    *s != '\0')
		d->path = s;
	if (d->path == NULL || strcmp(d->path, "-") == 0)
		cli_usage_error(c, "--deal: the deals journal is needed: give "
		    "--deals file or set SALESPIPE_DEALS");
	cli_protect(c, d->path, "the deals journal");
	append_read(a, argc, argv, 1, deal_ops);
	if (sp_entry_check_names(a->deal_en, &sp_kind_deal, a->allow,
	    a->nallow, &e) < 0)
		cli_usage_error(c, "field '%s': %s", e.field, e.msg);
	if (a->n == 1 && sp_entry_get(a->v[0], "deal_id") != NULL)
		cli_usage_error(c, "deal_id: --deal records the new deal's id "
		    "itself");
	if (sp_entry_get(a->deal_en, "lead_id") != NULL)
		cli_usage_error(c, "lead_id: --deal records the lead's id in "
		    "the deal itself");
	if (a->path == NULL)
		cli_usage_error(c, "--deal: the lead journal is needed: give "
		    "-f file or set SALESPIPE_LEADS");
	if (same_file(a->path, d->path))
		cli_usage_error(c, "--deals: '%s' is the lead journal too: "
		    "deals go to a journal of their own", d->path);
	d->at = a->at;
	d->allow_dup = a->allow_dup;
	a->allow_dup = 0;
	d->index_min = a->index_min;
	d->allow = a->allow;
	d->nallow = a->nallow;
	if ((d->stages = sp_stages_resolve(NULL, NULL, SP_STAGES_DEALS, &e)) ==
	    NULL) {
		char m[1200];
		snprintf(m, sizeof(m), "$SALESPIPE_STAGES: %s", e.msg);
		snprintf(e.msg, sizeof(e.msg), "%.1000s", m);
		cli_error(c, &e);
		exit(SP_EXIT_USAGE);
	}
	if (a->n == 0)		/* the move was bad (within --max-bad) */
		return;
	en = a->v[0];
	s = sp_entry_get(en, "stage");
	to = sp_stages_find(a->stages, s, strlen(s));
	if (to < 0 || a->stages->v[to].kind != SP_WON)
		cli_usage_error(c, "--deal: a lead becomes a deal when it "
		    "moves to a stage of the won kind (such as 'converted'), "
		    "not '%s'", s);
	en = a->deal_en;
	a->deal_en = NULL;
	a->deal_fields = en->n;
	if (finish_entry(d, en, 0) < 0)
		sp_entry_free(en);
	else
		push(d, en);
}

static int
append_convert(sp_append *a, sp_append *d)
{
	sp_cli *c = a->c;
	sp_journal *jl, *jd;
	sp_index *xl, *xd;
	char **hl = NULL, **hd = NULL, t[32], list[400];
	sp_entry *en, *den;
	const char *id, *deal_id = NULL;
	int slot[LV_N];
	lead_values lv;
	deals_of_lead dl;
	int64_t at, since, first;
	int cur, to, rc;
	size_t i;
	sp_error e;

	if (a->n == 0 || d->n == 0) {
		/* the move or the deal was bad (within --max-bad) */
		free_batch(d);
		free_batch(a);
		sp_stages_free(d->stages);
		return append_finish(a);
	}
	en = a->v[0];
	den = d->v[0];
	id = sp_entry_get(en, "id");
	sp_time_parse(sp_entry_get(en, "at"), strlen(sp_entry_get(en, "at")),
	    NULL, &at, &e);
	to = sp_stages_find(a->stages, sp_entry_get(en, "stage"),
	    strlen(sp_entry_get(en, "stage")));
	/* the locks: the lead journal's, then the deals journal's */
	jl = open_journal(a, 1, &xl, &hl, &id, 1);
	kill_point("lead-locked");
	memset(&lv, 0, sizeof(lv));
	lv.c = c;
	lv.id = id;
	lv.at = at;
	each_record(a, jl, a->path, lead_value_names, slot, lead_value, &lv);
	/* the deal as it would be made, before the deals journal's index is
	   read for its duplicate key (account and name) */
	deal_default(d, den, "lead_id", id);
	deal_default(d, den, "account", lv.v[LV_COMPANY]);
	deal_default(d, den, "owner", lv.v[LV_OWNER]);
	deal_default(d, den, "source", lv.v[LV_SOURCE]);
	jd = open_journal(d, 0, &xd, &hd, NULL, 0);
	kill_point("locked");

	memset(&dl, 0, sizeof(dl));
	dl.c = c;
	dl.lead = id;
	dl.want = lv.v[LV_DEAL_ID];
	each_record(d, jd, d->path, deal_lead_names, slot, deal_of_lead, &dl);

	sp_err_clear(&e);
	if (sp_index_state(xl, id, at, &cur, &since, &first) && cur == to) {
		/* converted already: with its deal, nothing to do */
		if (dl.n == 1 || (dl.n == 0 && dl.found)) {
			deal_id = dl.n == 1 ? dl.id[0] : lv.v[LV_DEAL_ID];
			cli_warn(c, "lead '%.100s' is already %s (since %s), "
			    "with deal '%.100s' in %s: nothing recorded", id,
			    a->stages->v[cur].name, sp_time_format(since, t),
			    deal_id, d->path);
			printf("%s\n", deal_id);
			sp_entry_free(en);
			a->v[0] = en = NULL;
		} else if (dl.n == 0)
			sp_err_set(&e, "stage", "lead '%.100s' is already %s "
			    "(since %s) but no deal in %s has lead_id "
			    "'%.100s'%s%.100s%s: nothing recorded", id,
			    a->stages->v[cur].name, sp_time_format(since, t),
			    d->path, id, lv.v[LV_DEAL_ID] ? " (nor is its "
			    "deal_id '" : "", lv.v[LV_DEAL_ID] ?
			    lv.v[LV_DEAL_ID] : "", lv.v[LV_DEAL_ID] ? "' there)"
			    : "");
	} else if ((rc = check_move(a, xl, en, &e)) == 0 && dl.n == 1) {
		/* an earlier run appended the deal and was stopped */
		deal_id = dl.id[0];
		cli_warn(c, "lead '%.100s': deal '%.100s' in %s has its "
		    "lead_id already (an earlier conversion stopped after "
		    "adding it): recorded the lead's move only%s", id, deal_id,
		    d->path, a->deal_fields > 0 ? "; the deal's fields given "
		    "here were not applied (deal-move changes them)" : "");
	}
	if (dl.n > 1 && e.msg[0] == '\0')
		sp_err_set(&e, "lead_id", "lead '%.100s' has %zu deals in %s "
		    "(%s): a lead converts to one deal: nothing recorded", id,
		    dl.n, d->path, id_list(dl.id, dl.n, list, sizeof(list)));
	if (e.msg[0] != '\0') {
		bad(a, &e, en);
		sp_entry_free(en);
		a->v[0] = en = NULL;
	}
	if (en != NULL && deal_id == NULL) {
		/* a new deal: its checks and id, as deal-add's */
		adds_check(d, xd);
		check_columns(d, jd, hd);
		if ((den = d->v[0]) != NULL)
			deal_id = sp_entry_get(den, "id");
	}
	if (en != NULL && deal_id != NULL && sp_entry_set(en, "deal_id",
	    deal_id, strlen(deal_id), &e) < 0)
		cli_oom(c);
	if (en != NULL && deal_id != NULL)
		check_columns(a, jl, hl);
	if (a->v[0] != NULL && deal_id != NULL) {
		/* the deal first, on disk, then the lead */
		if (dl.n == 0) {
			kill_point("before-deal");
			commit(d, jd, hd);
			kill_point("deal");
		}
		commit(a, jl, hl);
		kill_point("lead");
		printf("%s\n", deal_id);
	}
	close_journal(d, jd);
	close_journal(a, jl);
	sp_index_free(xd);
	sp_index_free(xl);
	sp_index_header_free(hd);
	sp_index_header_free(hl);
	for (i = 0; i < dl.n; i++)
		free(dl.id[i]);
	free(dl.id);
	for (i = 0; i < LV_N; i++)
		free(lv.v[i]);
	free_batch(d);
	free_batch(a);
	sp_stages_free(d->stages);
	return append_finish(a);
}

int
append_main(int argc, char **argv, const char *usage,
    const cli_opt *opts, const sp_kind *k, int moves)
{
	sp_cli c;
	sp_append a, d;
	sp_kind kind = *k;	/* with --default-country */
	int ch, deal_at = -1, i;
	char **orig;
	const char **deal_ops;

	cli_init(&c, argv, usage, k->stage_list);
	memset(&a, 0, sizeof(a));
	a.c = &c;
	a.k = &kind;
	/* the operands after --deal are the deal's: where it was before
	   getopt_long moves the operands after the options */
	if ((orig = malloc((argc + 1) * sizeof(*orig))) == NULL ||
	    (deal_ops = calloc(argc + 1, sizeof(*deal_ops))) == NULL)
		cli_oom(&c);
	memcpy(orig, argv, (argc + 1) * sizeof(*orig));
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (deal_at < 0 && strcmp(argv[i], "--deal") == 0)
			deal_at = i;
	while ((ch = cli_getopt(&c, argc, argv, opts)) != -1) {
		/* leads have no probability */
		if (ch == CLI_OPT_PROB_SCALE && k != &sp_kind_deal)
			cli_usage_error(&c, "unknown option "
			    "'--probability-scale' (leads have no "
			    "probability)");
		if (cli_option(&c, ch, optarg))
			continue;
		if (ch == OPT_ALLOW_FIELD) {
			char **v = realloc(a.allow, (a.nallow + 1) *
			    sizeof(*v));
			if (v == NULL)
				cli_oom(&c);
			a.allow = v;
			a.allow[a.nallow++] = optarg;
		} else if (ch == 'f')
			a.path = optarg;
		else if (ch == OPT_AT)
			a.at_text = optarg;
		else if (ch == OPT_ALLOW_DUP && (!moves || k == &sp_kind_lead))
			a.allow_dup = 1;	/* lead-move: the deal's */
		else if (ch == OPT_DEFAULT_COUNTRY && !moves &&
		    k == &sp_kind_lead) {
			if (!sp_phone_country_ok(optarg))
				cli_usage_error(&c, "--default-country: '%s' is "
				    "not a calling code (1 to 3 digits, such "
				    "as 1 or 44)", optarg);
			kind.phone_country = optarg[0] == '+' ? optarg + 1 :
			    optarg;
		}
		else if (ch == OPT_REOPEN && moves)
			a.reopen = 1;
		else if (ch == OPT_DEAL && moves && k == &sp_kind_lead)
			a.deal = 1;
		else if (ch == OPT_DEALS && moves && k == &sp_kind_lead)
			a.deals_path = optarg;
		else
			cli_usage_error(&c, "unknown option '%s'",
			    argv[optind - 1]);
	}
	if (c.out_fmt == SP_FMT_TABLE || c.out_fmt == SP_FMT_MD)
		cli_usage_error(&c, "-o: records are written as csv or jsonl");
	cli_check_numfmt(&c);
	a.index_min = index_min(&a);
	if (!a.deal) {
		free(orig);
		free(deal_ops);
		if (moves && a.allow_dup)
			cli_usage_error(&c, "--allow-duplicate: the new deal's "
			    "(with --deal); a move adds nothing");
		if (a.deals_path != NULL)
			cli_usage_error(&c, "--deals: the deals journal of a "
			    "conversion: give --deal too");
		append_read(&a, argc - optind, argv + optind, moves, NULL);
		return moves ? append_moves(&a) : append_adds(&a);
	}
	{
		int n = 0, o, p;
		for (o = optind; o < argc; o++)
			for (p = deal_at + 1; deal_at > 0 && p < argc; p++)
				if (orig[p] == argv[o])
					deal_ops[n++] = argv[o];
	}
	free(orig);
	if ((a.deal_en = sp_entry_new()) == NULL)
		cli_oom(&c);
	convert_setup(&a, &d, argc - optind, argv + optind, deal_ops);
	free(deal_ops);
	return append_convert(&a, &d);
}
