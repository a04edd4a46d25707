/*
 * append: the shared steps of the four write programs.  Everything that
 * can be checked without the journal is checked before its lock is taken;
 * what needs the history (ids, duplicates, a deal's stage) is checked
 * under the lock, and the batch goes to the journal in one append only
 * when every entry passed (or --max-bad allowed the rest to be skipped).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/append.h"
#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/journal.h"
#include "salespipe/sidecar.h"

enum { OPT_AT = 900, OPT_ALLOW_DUP, OPT_REOPEN, OPT_ALLOW_FIELD,
	OPT_DEFAULT_COUNTRY };

typedef struct sp_append {
	sp_cli *c;
	const sp_kind *k;
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
	if (sp_entry_normalise_with(en, c->stages, c->date_format, &c->numfmt,
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
			    "(known: %s)", sp_stages_known(c->stages));
			goto fail;
		}
		return 0;
	}
	if (sp_entry_get(en, "stage") == NULL) {
		const char *s = c->stages->v[sp_stages_first_open(c->stages)].name;
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
append_read(sp_append *a, int argc, char **argv, int moves)
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
		for (; i < argc; i++)
			if (sp_entry_operand(en, argv[i], &e) < 0)
				cli_usage_error(c, "%s", e.msg);
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

/* The columns of the batch: a CSV journal's header, or id, at, stage, the
 * kind's columns, then other fields in order of appearance. */
static char **
columns(sp_append *a, char **header, size_t *ncol)
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
	if (header != NULL) {
		for (i = 0; header[i] != NULL && n < max; i++)
			v[n++] = header[i];
		*ncol = n;
		return v;
	}
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
 * Write the surviving entries (a->v[i] != NULL) to fp in fmt; with a CSV
 * header of an existing journal, rows only.
 */
static int
write_batch(sp_append *a, FILE *fp, int fmt, char **header, int with_header)
{
	size_t ncol, i, j;
	char **cols = columns(a, header, &ncol);
	const char **vals = calloc(ncol + 1, sizeof(*vals));
	sp_writer *w = sp_writer_new(fp, fmt);
	int rc = 0;

	if (vals == NULL || w == NULL)
		cli_oom(a->c);
	sp_writer_flags(w, (with_header ? 0 : SP_WRITER_NO_HEADER) |
	    SP_WRITER_OMIT_EMPTY);
	for (i = 0; i < ncol; i++)
		if (sp_writer_col(w, cols[i], SP_COL_STR) < 0)
			cli_oom(a->c);
	for (i = 0; i < a->n && rc == 0; i++) {
		if (a->v[i] == NULL)
			continue;
		for (j = 0; j < ncol; j++)
			vals[j] = sp_entry_get(a->v[i], cols[j]);
		rc = sp_writer_row(w, vals);
	}
	if (sp_writer_finish(w) < 0)
		rc = -1;
	sp_writer_free(w);
	free(vals);
	free(cols);
	return rc;
}

/* A CSV journal cannot grow columns: refuse entries with new fields. */
static void
check_columns(sp_append *a, sp_journal *j, char **header)
{
	sp_error e;
	size_t i, f;

	if (header == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		sp_entry *en = a->v[i];
		if (en == NULL)
			continue;
		/* a created_at that only repeats `at` is no news: a journal
		   without the column loses nothing by leaving it out */
		if (!in_list(header, "created_at") && sp_entry_get(en,
		    "created_at") != NULL && strcmp(sp_entry_get(en, "created_at"),
		    sp_entry_get(en, "at")) == 0)
			sp_entry_unset(en, "created_at");
		for (f = 0; f < en->n; f++)
			if (!in_list(header, en->name[f])) {
				sp_err_clear(&e);
				sp_err_set(&e, en->name[f], "not a column of the "
				    "CSV journal %s (a CSV journal cannot grow "
				    "new columns; keep the history in a .jsonl "
				    "journal)", sp_journal_path(j));
				bad(a, &e, en);
				sp_entry_free(en);
				a->v[i] = NULL;
				break;
			}
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
		if (sp_stages_find(a->c->stages, name, len) < 0)
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
	if ((*x = sp_index_new(a->k, a->c->stages)) == NULL)
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
		if ((*x = sp_index_new(a->k, a->c->stages)) == NULL)
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
	char *buf = NULL;
	size_t len = 0, i, live = 0;
	FILE *fp;
	int fmt;

	for (i = 0; i < a->n; i++)
		live += a->v[i] != NULL;
	if (j == NULL) {
		fmt = a->c->out_fmt != SP_FMT_AUTO ? a->c->out_fmt :
		    SP_FMT_JSONL;
		if (live > 0 && write_batch(a, stdout, fmt, NULL, 1) < 0)
			return -1;
		return 0;
	}
	if (live == 0)
		return 0;
	fmt = sp_journal_format(j);
	if ((fp = open_memstream(&buf, &len)) == NULL)
		cli_oom(a->c);
	if (write_batch(a, fp, fmt, header, fmt == SP_FMT_CSV &&
	    sp_journal_empty(j)) < 0 || fclose(fp) != 0)
		cli_oom(a->c);
	if (sp_journal_append(j, buf, len, &e) < 0) {
		free(buf);
		cli_fail(a->c, &e);
	}
	free(buf);
	return 0;
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

static int
append_adds(sp_append *a)
{
	sp_cli *c = a->c;
	sp_journal *j = NULL;
	sp_index *x = NULL, *b, *given;	/* the journal's ids, the batch's
					   so far, the batch's explicit ones */
	char **header = NULL, *dbuf = NULL, idbuf[40], what[64];
	size_t dcap = 0, dl, i, k, nk = sp_kind_dup_count(a->k);
	int64_t next, at;
	sp_error e;

	if (a->path != NULL)
		j = open_journal(a, 0, &x, &header, NULL, 0);
	else if ((x = sp_index_new(a->k, c->stages)) == NULL)
		cli_oom(c);
	if ((b = sp_index_new(a->k, c->stages)) == NULL)
		cli_oom(c);
	/* ids made must not take one a later record gives: start above all */
	if ((given = sp_index_new(a->k, c->stages)) == NULL)
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
	sp_stages *st = a->c->stages;
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

int
append_main(int argc, char **argv, const char *usage, const sp_kind *k,
    int moves)
{
	static const struct option opts[] = {
		CLI_WRITE_LONGOPTS,
		{ "file", required_argument, NULL, 'f' },
		{ "at", required_argument, NULL, OPT_AT },
		{ "allow-duplicate", no_argument, NULL, OPT_ALLOW_DUP },
		{ "reopen", no_argument, NULL, OPT_REOPEN },
		{ "allow-field", required_argument, NULL, OPT_ALLOW_FIELD },
		{ "default-country", required_argument, NULL,
		    OPT_DEFAULT_COUNTRY },
		CLI_PROB_LONGOPT,
		{ NULL, 0, NULL, 0 }
	};
	sp_cli c;
	sp_append a;
	sp_kind kind = *k;	/* with --default-country */
	int ch;

	cli_init(&c, argv, usage, k->stage_list);
	memset(&a, 0, sizeof(a));
	a.c = &c;
	a.k = &kind;
	while ((ch = getopt_long(argc, argv, "f:" CLI_WRITE_SHORTOPTS, opts,
	    NULL)) != -1) {
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
		else if (ch == OPT_ALLOW_DUP && !moves)
			a.allow_dup = 1;
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
		else
			cli_usage_error(&c, "unknown option '%s'",
			    argv[optind - 1]);
	}
	if (c.out_fmt == SP_FMT_TABLE || c.out_fmt == SP_FMT_MD)
		cli_usage_error(&c, "-o: records are written as csv or jsonl");
	cli_check_numfmt(&c);
	a.index_min = index_min(&a);
	append_read(&a, argc - optind, argv + optind, moves);
	return moves ? append_moves(&a) : append_adds(&a);
}
