/*
 * drive: the driver of the aggregate engine, program side (it prints and
 * exits through cli).  It owns reading (deals through the deal fold),
 * the group key and the period label, --shard, --threads, --partial and
 * --merge, and the sorted output from the aggregate's declared columns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/group.h"
#include "salespipe/util.h"

#define PARTIAL_VERSION 1
#define SP_THREADS_MIN_BYTES ((off_t)4 << 20)	/* smaller: one thread */
#define SP_THREADS_MAX 1024
#define STREAM_BATCH 32	/* groups a stream writes at a time */

struct sp_agg_run {
	sp_cli *cli;
	sp_agg *agg;
	sp_agg_table *t;
	cli_agg_add_fn add;
	int has_period;
	char *key;		/* the key being built */
	size_t keycap;
	sp_period bucket;
	sp_deals *ds;		/* the fold whose deals come to deal_cb */
	int stream;		/* sp_agg.in_order: 0 undecided, 1 the deals'
				   groups written as they come, a batch at
				   a time (w), -1 no */
	sp_writer *w;
	FILE *wfp;		/* where w writes: NULL stdout, else a part's
				   rows, taken in order at the end */
	int mixed;
};

sp_cli *
cli_agg_cli(sp_agg_run *r)
{
	return r->cli;
}

void *
cli_agg_ctx(sp_agg_run *r)
{
	return r->agg->ctx;
}

/*
 * Whether the key (and the output, and a partial's lines) has a period
 * part: --every's buckets, or a --period that is not only a filter.
 */
static int
key_has_period(const sp_cli *c, const sp_agg *a)
{
	return c->every != SP_EVERY_NONE || (c->has_period &&
	    !a->period_filter);
}

/* d's group key extended by the period label, in r's buffer. */
static void *
state_with(sp_agg_run *r, const sp_deal *d, const char *label)
{
	size_t l, need, sep;
	void *s;

	if (!r->has_period) {
		s = sp_agg_get(r->t, d->key, d->keylen);
	} else {
		l = strlen(label);
		sep = r->cli->nby > 0;
		need = d->keylen + sep + l + 1;
		if (need > r->keycap) {
			char *b = realloc(r->key, need * 2);
			if (b == NULL)
				cli_oom(r->cli);
			r->key = b;
			r->keycap = need * 2;
		}
		/* without -g the key is the label alone */
		memcpy(r->key, d->key, d->keylen);
		if (sep)
			r->key[d->keylen] = SP_KEY_SEP;
		memcpy(r->key + d->keylen + sep, label, l);
		s = sp_agg_get(r->t, r->key, d->keylen + sep + l);
	}
	if (s == NULL)
		cli_oom(r->cli);
	return s;
}

/* The one period rule: t's label, and whether --period holds t. */
const char *
cli_agg_label(sp_agg_run *r, int64_t t, int *in)
{
	sp_cli *c = r->cli;

	*in = !c->has_period || sp_period_contains(&c->period, t);
	if (c->every != SP_EVERY_NONE) {
		sp_period_bucket(t, c->every, &c->cal, &r->bucket);
		return r->bucket.label;
	}
	return *in && r->has_period ? c->period.label : "";
}

void *
cli_agg_at(sp_agg_run *r, const sp_deal *d, int64_t t, const char **label)
{
	int in;

	*label = cli_agg_label(r, t, &in);
	if (!in) {
		*label = NULL;
		return NULL;
	}
	return state_with(r, d, *label);
}

void *
cli_agg_group(sp_agg_run *r, const sp_deal *d)
{
	sp_cli *c = r->cli;

	if (c->every != SP_EVERY_NONE)
		return NULL;
	return state_with(r, d, r->has_period ? c->period.label : "");
}

void *
cli_agg_bad_state(sp_agg_run *r)
{
	sp_deal d;
	char *key;
	void *s;

	/* nby empty values: nby - 1 separators */
	if ((key = malloc(r->cli->nby + 1)) == NULL)
		cli_oom(r->cli);
	memset(&d, 0, sizeof(d));
	memset(key, SP_KEY_SEP, r->cli->nby + 1);
	d.key = key;
	d.keylen = r->cli->nby > 0 ? r->cli->nby - 1 : 0;
	s = state_with(r, &d, "");
	free(key);
	return s;
}

/* sp_cli.bad_fn for sp_cli.agg_bad: ctx is the run reading */
static void
run_bad(void *ctx, const sp_error *bad)
{
	sp_agg_run *r = ctx;
	sp_error e;

	sp_err_clear(&e);
	if (r->cli->agg_bad(r, bad, &e) < 0)
		cli_fail(r->cli, &e);
}

/* The bad records of c go to the program's agg_bad, when it takes them. */
static void
bad_to(sp_cli *c, sp_agg_run *r)
{
	if (c->agg_bad != NULL && !c->explain) {
		c->bad_fn = run_bad;
		c->bad_ctx = r;
	}
}

void *
cli_agg_undated(sp_agg_run *r, const sp_deal *d)
{
	if (r->cli->has_period)
		return NULL;
	return state_with(r, d, "");
}

/* FNV-1a of the id: the same function on every machine. */
static uint64_t
id_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int
cli_shard_of(const char *id, long n)
{
	return (int)(id_hash(id) % (uint64_t)n) + 1;
}

/*
 * Whether r's deals may be written as they come (sp_agg.in_order): a
 * history, folded (so every bad record was counted), in a run that
 * writes its answer, and whose fold cannot go past --max-bad: then the
 * output is the one written at the end, and the run never stops with
 * half of it written.
 */
static int
stream_ok(const sp_agg_run *r)
{
	const sp_cli *c = r->cli;
	const sp_agg *a = r->agg;

	return a->in_order && a->prepare == NULL && !c->partial &&
	    !c->explain && r->ds != NULL && sp_deals_is_history(r->ds) &&
	    c->nbad + (long)sp_deals_unfoldable(r->ds) <= c->max_bad;
}

static void stream_drain(sp_agg_run *, sp_error *);

/* The writer of r's stream, its columns declared: on stdout, or a part's
 * rows on r->wfp (without a header). */
static void
stream_writer(sp_agg_run *r)
{
	sp_cli *c = r->cli;

	r->w = r->wfp == NULL ? cli_writer(c) : cli_writer_to(c, r->wfp,
	    SP_WRITER_NO_HEADER);
	if (sp_agg_columns(r->agg, r->w, (const char *const *)
	    (c->by_cols != NULL ? c->by_cols : c->by), c->nby,
	    r->has_period) < 0)
		cli_oom(c);
}

static int
deal_cb(void *ctx, const sp_deal *d, sp_error *e)
{
	sp_agg_run *r = ctx;
	sp_cli *c = r->cli;
	int rc;

	if (c->shard_n > 0 && cli_shard_of(d->id, c->shard_n) != c->shard_k)
		return 0;
	if (r->stream == 0)
		r->stream = stream_ok(r) ? 1 : -1;
	if ((rc = r->add(r, d, e)) < 0 || r->stream < 0)
		return rc;
	if (r->w == NULL)
		stream_writer(r);
	/* a batch of deals at a time: a drain sorts and walks the table
	   (the same bytes as one deal at a time, see sp_agg.in_order) */
	if (sp_agg_count(r->t) >= STREAM_BATCH)
		stream_drain(r, e);
	return 0;
}

/* Write and empty the groups r's stream holds. */
static void
stream_drain(sp_agg_run *r, sp_error *e)
{
	sp_cli *c = r->cli;

	if (r->w == NULL)
		return;		/* no deal came: nothing to write */
	if (sp_agg_drain(r->t, r->w, c->nby, r->has_period, &r->mixed,
	    e) < 0 && !ferror(stdout))
		cli_fail(c, e);
}

/* The options that shape the states, as "--name=value" strings sorted
 * by name (cli_getopt recorded them). */
static json_t *
fingerprint(const sp_cli *c)
{
	json_t *a = json_array();
	size_t i;

	if (a == NULL)
		cli_oom((sp_cli *)c);
	for (i = 0; i < c->nfp; i++)
		if (json_array_append_new(a, json_string(c->fp[i])) < 0)
			cli_oom((sp_cli *)c);
	return a;
}

static void
write_partial(sp_cli *c, sp_agg_run *r, int history)
{
	json_t *h;
	sp_error e;
	char shard[48];
	int rc, fmt;

	sp_err_clear(&e);
	fmt = c->rd != NULL && sp_reader_format_known(c->rd) ?
	    sp_reader_format(c->rd) : SP_FMT_AUTO;
	/* "": an empty input (no byte read) has no format of its own, and
	   must not decide the format of a merge of JSON lines partials */
	h = json_pack("{s:s,s:i,s:s,s:o,s:s,s:b}", "salespipe", "partial",
	    "version", PARTIAL_VERSION, "program", c->prog, "options",
	    fingerprint(c), "format", fmt == SP_FMT_JSONL ? "jsonl" :
	    fmt == SP_FMT_CSV ? "csv" : "", "history", history);
	if (h == NULL)
		cli_oom(c);
	if (c->shard_n > 0) {
		snprintf(shard, sizeof(shard), "%ld/%ld", c->shard_k,
		    c->shard_n);
		json_object_set_new(h, "shard", json_string(shard));
	}
	rc = json_dumpf(h, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(h);
	if (rc < 0 || putchar('\n') == EOF)
		return;		/* cli_finish reports the write error */
	if (sp_agg_save(r->t, stdout, c->nby, r->has_period, &e) < 0 &&
	    !ferror(stdout))
		cli_fail(c, &e);
}

/* --merge: one partial's header against this run. */
struct merged {
	long shard_n;
	unsigned char *shards;	/* shards seen, by K */
	int nheaders, history, unsharded;
	char format[8];
	const char *first;	/* where the first header was */
};

static void
check_header(sp_cli *c, const json_t *h, struct merged *m, sp_error *e)
{
	const json_t *v, *opts = json_object_get(h, "options");
	json_t *mine = fingerprint(c);
	size_t i, j;
	long k, n;
	char *end;

	if (!json_is_integer(v = json_object_get(h, "version")) ||
	    json_integer_value(v) != PARTIAL_VERSION) {
		sp_err_set(e, "version", "partial format version %s; this "
		    "salespipe reads version %d", json_is_integer(v) ? "" :
		    "missing", PARTIAL_VERSION);
		if (json_is_integer(v))
			snprintf(e->msg, sizeof(e->msg), "partial format "
			    "version %lld; this salespipe reads version %d",
			    (long long)json_integer_value(v), PARTIAL_VERSION);
		cli_fail(c, e);
	}
	if (!json_is_string(v = json_object_get(h, "program")) ||
	    strcmp(json_string_value(v), c->prog) != 0) {
		sp_err_set(e, "program", "a partial of %s, not of %s",
		    json_is_string(v) ? json_string_value(v) : "(none)",
		    c->prog);
		cli_fail(c, e);
	}
	if (!json_is_array(opts)) {
		sp_err_set(e, "options", "missing");
		cli_fail(c, e);
	}
	/* both lists are sorted: name the first difference */
	for (i = j = 0; i < json_array_size(opts) ||
	    j < json_array_size(mine); ) {
		const char *a = i < json_array_size(opts) ?
		    json_string_value(json_array_get(opts, i)) : NULL;
		const char *b = j < json_array_size(mine) ?
		    json_string_value(json_array_get(mine, j)) : NULL;
		int d;

		if (a == NULL && i < json_array_size(opts)) {
			sp_err_set(e, "options", "not a list of options");
			cli_fail(c, e);
		}
		d = a == NULL ? 1 : b == NULL ? -1 : strcmp(a, b);
		if (d == 0) {
			i++;
			j++;
			continue;
		}
		if (d < 0)
			sp_err_set(e, "options", "made with %s, which this "
			    "run does not give: merge with the options the "
			    "partials were made with", a);
		else
			sp_err_set(e, "options", "made without %s, which "
			    "this run gives: merge with the options the "
			    "partials were made with", b);
		json_decref(mine);
		cli_fail(c, e);
	}
	json_decref(mine);
	if (json_is_string(v = json_object_get(h, "format")) &&
	    json_string_value(v)[0] != '\0')
		snprintf(m->format, sizeof(m->format), "%s",
		    json_string_value(v));
	v = json_object_get(h, "history");
	if (json_is_true(v))
		m->history = 1;
	v = json_object_get(h, "shard");
	if (v == NULL) {
		m->unsharded++;
	} else if (!json_is_string(v) || (k = strtol(json_string_value(v),
	    &end, 10)) < 1 || *end != '/' || (n = strtol(end + 1, &end,
	    10)) < k || *end != '\0') {
		sp_err_set(e, "shard", "not K/N");
		cli_fail(c, e);
	} else {
		if (m->shard_n == 0) {
			m->shard_n = n;
			if ((m->shards = calloc((size_t)n + 1, 1)) == NULL)
				cli_oom(c);
		}
		if (n != m->shard_n) {
			sp_err_set(e, "shard", "%s, but an earlier partial "
			    "is of %ld shards: every shard must split the "
			    "same way", json_string_value(v), m->shard_n);
			cli_fail(c, e);
		}
		if (m->shards[k]) {
			sp_err_set(e, "shard", "%s met twice: its deals "
			    "would count twice", json_string_value(v));
			cli_fail(c, e);
		}
		m->shards[k] = 1;
	}
	m->nheaders++;
}

static void
merge_input(sp_cli *c, sp_agg_table *t, FILE *fp, const char *file,
    struct merged *m, int has_period)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	json_t *j;
	json_error_t je;
	sp_error e;

	while ((n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		sp_err_clear(&e);
		sp_err_where(&e, file, lineno);
		if ((j = json_loadb(line, (size_t)n, JSON_DISABLE_EOF_CHECK,
		    &je)) == NULL || !json_is_object(j)) {
			json_decref(j);
			sp_err_set(&e, NULL, "not a partial state line (%s)",
			    j == NULL ? je.text : "not an object");
			sp_err_where(&e, file, lineno);
			free(line);
			cli_fail(c, &e);
		}
		if (json_object_get(j, "salespipe") != NULL) {
			check_header(c, j, m, &e);
		} else if (sp_agg_load_group(t, j, c->nby, has_period,
		    &e) < 0) {
			sp_err_where(&e, file, lineno);
			json_decref(j);
			free(line);
			cli_fail(c, &e);
		}
		json_decref(j);
	}
	free(line);
	if (ferror(fp)) {
		sp_err_set(&e, NULL, "read error: %s", strerror(errno));
		sp_err_where(&e, file, 0);
		cli_fail(c, &e);
	}
}

/* Partials of a history merge exactly only as shards of its deals. */
static void
check_shards(sp_cli *c, struct merged *m)
{
	sp_error e;
	long k;

	sp_err_clear(&e);
	if (m->nheaders == 0) {
		sp_err_set(&e, NULL, "no partial state to merge (make them "
		    "with %s --partial)", c->prog);
		cli_fail(c, &e);
	}
	if (m->shard_n > 0 && m->unsharded > 0) {
		sp_err_set(&e, "shard", "partials with and without --shard: "
		    "their deals may overlap");
		cli_fail(c, &e);
	}
	if (m->history && m->shard_n == 0 && m->nheaders > 1) {
		sp_err_set(&e, NULL, "%d partials of a history made without "
		    "--shard: a deal split across them cannot be merged "
		    "exactly; make each with --shard K/N over the whole "
		    "history", m->nheaders);
		cli_fail(c, &e);
	}
	for (k = 1; k <= m->shard_n; k++)
		if (!m->shards[k]) {
			sp_err_set(&e, "shard", "shard %ld/%ld is missing: "
			    "its deals would be left out", k, m->shard_n);
			cli_fail(c, &e);
		}
}

static int
run_merge(sp_cli *c, sp_agg *a)
{
	sp_agg_table *t = sp_agg_table_new(a);
	struct merged m;
	sp_writer *w;
	sp_error e;
	size_t i;
	int has_period = key_has_period(c, a);
	int mixed = 0, rc;

	if (t == NULL)
		cli_oom(c);
	memset(&m, 0, sizeof(m));
	if (c->ninputs == 0)
		merge_input(c, t, stdin, "-", &m, has_period);
	for (i = 0; i < c->ninputs; i++) {
		const char *f = c->inputs[i];
		FILE *fp = strcmp(f, "-") == 0 ? stdin : fopen(f, "r");

		if (fp == NULL) {
			sp_err_clear(&e);
			sp_err_set(&e, NULL, "%s", strerror(errno));
			sp_err_where(&e, f, 0);
			cli_fail(c, &e);
		}
		merge_input(c, t, fp, f, &m, has_period);
		if (fp != stdin)
			fclose(fp);
	}
	check_shards(c, &m);
	free(m.shards);
	if (c->out_fmt == SP_FMT_AUTO && !isatty(STDOUT_FILENO))
		c->out_fmt = strcmp(m.format, "jsonl") == 0 ? SP_FMT_JSONL :
		    SP_FMT_CSV;
	sp_err_clear(&e);
	if (a->prepare != NULL && a->prepare(a->ctx, t, &e) < 0)
		cli_fail(c, &e);
	w = cli_writer(c);
	if (sp_agg_columns(a, w, (const char *const *)(c->by_cols != NULL ?
		    c->by_cols : c->by), c->nby,
	    has_period) < 0)
		cli_oom(c);
	if ((rc = sp_agg_write(t, w, c->nby, has_period, &mixed, &e)) < 0 &&
	    !ferror(stdout))
		cli_fail(c, &e);
	if (mixed)
		c->mixed = 1;
	sp_agg_table_free(t);
	if (a->end != NULL)
		a->end(a->ctx);
	return cli_finish(c, w);
}

/*
 * --threads: one part of the input, read by one thread into its own fold
 * and table.  Bad records are kept, not reported, until every part is
 * read: then they are reported in input order, so the messages and the
 * --max-bad count are one reader's.
 */
struct part {
	sp_agg_run run;
	sp_cli cli;		/* a copy of the options: its own counts */
	sp_reader *rd;
	sp_deals *ds;
	sp_error *bad;
	size_t nbad, badcap;
	int fatal, inexact;
	sp_error fatal_e;
	pthread_t th;
	int overlap;		/* after reading: an id of an earlier part */
	struct part *all;	/* the parts, for the overlap check */
	size_t index;
};

/* A bad record or deal of a part, kept to be reported in order (after
 * every part is read, or folded) */
static void
part_keep_bad(void *ctx, const sp_error *e)
{
	struct part *p = ctx;

	if (p->nbad == p->badcap) {
		size_t n = p->badcap ? 2 * p->badcap : 16;
		sp_error *v = realloc(p->bad, n * sizeof(*v));
		if (v == NULL)
			cli_oom(p->run.cli);
		p->bad = v;
		p->badcap = n;
	}
	p->bad[p->nbad++] = *e;
}

/* Read one record of p (live: cli_bad at once); returns what
 * sp_reader_next did. */
static int
part_step(struct part *p, sp_rec *r, int live)
{
	sp_error e;
	int k;

	sp_err_clear(&e);
	k = sp_reader_next(p->rd, r, &e);
	if (k == 0)
		return 0;
	if (k == SP_READ_INEXACT) {
		p->inexact = 1;
		return 0;
	}
	if (k == -2) {
		if (live)
			cli_fail(p->run.cli, &e);
		p->fatal = 1;
		p->fatal_e = e;
		return 0;
	}
	if (live)
		cli_by_record(p->run.cli, p->rd, p->run.cli->by_slots, r);
	if (k == 1 && sp_deals_add(p->ds, r, &e) == 0)
		return 1;
	if (live) {
		cli_bad(p->run.cli, &e, r);
		return k;
	}
	if (e.file[0] == '\0')
		sp_err_where(&e, r->file, r->line);
	part_keep_bad(p, &e);
	return k;
}

static void *
part_read(void *arg)
{
	struct part *p = arg;
	sp_rec *r = sp_rec_new();

	if (r == NULL)
		cli_oom(p->run.cli);
	while (part_step(p, r, 0) != 0)
		;
	sp_rec_free(r);
	return NULL;
}

static void *
part_check(void *arg)
{
	struct part *p = arg;
	size_t j;

	for (j = 0; j < p->index && !p->overlap; j++)
		p->overlap = sp_deals_ids_overlap(p->all[j].ds, p->ds);
	return NULL;
}

/*
 * When the ids' memory decides, whether one thread's answer may differ
 * from the parts': 1 when a repeated id was found only after reading (in
 * a part, or across parts), or when a part refused a repeat while
 * reading where one fold, its ids spilled at other places, might have
 * found it only after (its memory is the parts' together, and a table
 * grows by half: twice theirs is safe).  Then read again on one thread.
 */
static int
ids_again(sp_cli *c, struct part *parts, size_t n)
{
	sp_deals **v;
	sp_error e;
	size_t i, j, bytes = 0;
	int spilled = 0, refused = 0;
	long long k;

	for (i = 0; i < n; i++) {
		spilled |= sp_deals_ids_spilled(parts[i].ds);
		bytes += sp_deals_ids_bytes(parts[i].ds);
		for (j = 0; j < parts[i].nbad; j++)
			refused |= parts[i].bad[j].code == SP_ERR_REPEATED_ID;
	}
	if (refused && (spilled || bytes > c->id_memory / 2))
		return 1;
	if (!spilled)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		cli_oom(c);
	for (i = 0; i < n; i++)
		v[i] = parts[i].ds;
	sp_err_clear(&e);
	if ((k = sp_deals_ids_check(v, n, c->id_memory, NULL, 0, &e)) < 0)
		cli_fail(c, &e);
	free(v);
	return k > 0;
}

static long
threads_wanted(const sp_cli *c)
{
	struct stat st;
	long n = c->threads;

	if (n == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
	}
	if (n < 2 || c->explain || c->rejects_path != NULL ||
	    c->ninputs != 1 ||
	    strcmp(c->inputs[0], "-") == 0 || stat(c->inputs[0], &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size < SP_THREADS_MIN_BYTES)
		return 1;
	return n;
}

static sp_deals *
part_fold(sp_cli *c, struct part *p, int need, void *left_ctx)
{
	sp_deals_opts o;
	sp_deals *ds;

	cli_deals_opts(c, &o, need, deal_cb, &p->run);
	o.left_ctx = left_ctx;
	if ((ds = sp_deals_new(p->rd, c->stages, &o)) == NULL)
		cli_oom(c);
	return ds;
}

static void
part_free(struct part *p, int close)
{
	sp_deals_free(p->ds);
	p->ds = NULL;
	free(p->bad);
	p->bad = NULL;
	p->nbad = p->badcap = 0;
	sp_agg_table_free(p->run.t);
	p->run.t = NULL;
	free(p->run.key);
	p->run.key = NULL;
	p->run.keycap = 0;
	if (close)
		sp_reader_close(p->rd);
}

/* A part's fold, on its own thread: its deals into its run (a stream's
 * rows, the last batch too, to its writer). */
static void *
part_finish(void *arg)
{
	struct part *p = arg;
	sp_error e;

	sp_err_clear(&e);
	sp_deals_finish(p->ds, part_keep_bad, p, &e);
	if (p->run.stream > 0) {
		stream_drain(&p->run, &e);
		if (p->run.wfp != NULL && p->run.w != NULL) {
			/* a write error shows in ferror(wfp) */
			(void)sp_writer_finish(p->run.w);
			sp_writer_free(p->run.w);
			p->run.w = NULL;
		}
	}
	return NULL;
}

/* A part's rows' temporary file (sp_tmp_open), or NULL. */
static FILE *
tmp_rows(void)
{
	int fd = sp_tmp_open("rows");
	FILE *fp;

	if (fd < 0)
		return NULL;
	if ((fp = fdopen(fd, "w+")) == NULL)
		close(fd);
	return fp;
}

/*
 * Copy a part's rows (fp, from its start) to stdout; -1 on an error.
 * The kernel copies file to file or pipe (sendfile: no pass through
 * this process's memory); where it cannot, read and write.
 */
static int
part_rows_out(FILE *fp)
{
	char buf[1 << 16];
	size_t k;
	off_t off = 0, end;
	ssize_t got;

	if (fflush(fp) != 0 || (end = ftello(fp)) < 0 || fflush(stdout) != 0)
		return -1;
	while (off < end) {
		got = sendfile(fileno(stdout), fileno(fp), &off,
		    (size_t)(end - off));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
	}
	if (off == end)
		return 0;
	if (fseeko(fp, off, SEEK_SET) != 0)
		return -1;
	while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (fwrite(buf, 1, k, stdout) != k)
			return -1;
	return ferror(fp) ? -1 : 0;
}

/*
 * A history read in parts whose ids do not interleave (an export that
 * keeps each deal's records together, sorted by id, as OpportunityHistory
 * and our journals' folds are): every part folds its own deals, on its
 * own thread, instead of all of them merged into the first and folded on
 * one.  The answer is the one fold's: the deals in the same order (a deal
 * the split cut in two is folded whole in the part where it began), each
 * part's table merged into the first's, or for a stream (sp_agg.in_order)
 * each part's rows written in part order, a part's held in a temporary
 * file until the ones before it are out; bad deals reported in order
 * after the folds.  Returns 0 when it does not apply (then nothing was
 * changed): ids out of order, fields that mean other names in the
 * parts' readers, a stream to a table or Markdown (sized on all rows), or
 * a program that keeps bad records in its state (sp_cli.agg_bad).
 */
static int
split_finish(sp_cli *c, sp_agg_run *r, struct part *parts, size_t n)
{
	struct part *p0 = &parts[0], *prev;
	size_t i, j, seq, unf = 0;
	sp_error e;
	int fmt, stream, k;

	fmt = cli_out_format(c);
	if (r->agg->in_order && fmt != SP_FMT_CSV && fmt != SP_FMT_JSONL)
		return 0;
	/* bad deals that go into the program's state (lint's findings) go
	   there in the fold's order, between its deals: one fold keeps it */
	if (c->agg_bad != NULL)
		return 0;
	if (sp_deals_mode(p0->ds) != 2)
		return 0;
	for (prev = p0, i = 1; i < n; i++) {
		if (sp_deals_mode(parts[i].ds) == 0)
			continue;	/* no good record: nothing to fold */
		if (sp_deals_follows(prev->ds, parts[i].ds) < 0)
			return 0;
		prev = &parts[i];
	}
	for (i = 1; i < n; i++)
		if ((k = sp_deals_fields_union(p0->ds, parts[i].ds)) != 0) {
			if (k < 0)
				cli_oom(c);
			return 0;
		}
	/* from here on this is the way: the read's bad records first */
	for (i = 0; i < n; i++) {
		for (j = 0; j < parts[i].nbad; j++)
			cli_bad(c, &parts[i].bad[j], NULL);
		if (parts[i].fatal)
			cli_fail(c, &parts[i].fatal_e);
		parts[i].nbad = 0;
	}
	sp_err_clear(&e);
	for (prev = p0, i = 1; i < n; i++) {
		if (sp_deals_mode(parts[i].ds) == 0)
			continue;
		if (sp_deals_follows(prev->ds, parts[i].ds) == 1 &&
		    sp_deals_take_first(prev->ds, parts[i].ds, &e) < 0)
			cli_fail(c, &e);
		if (sp_deals_count(parts[i].ds) > 0)
			prev = &parts[i];
	}
	for (i = 0, seq = 0; i < n; i++) {
		if (i > 0 && sp_deals_fields_copy(parts[i].ds, p0->ds) < 0)
			cli_oom(c);
		sp_deals_set_seq(parts[i].ds, seq);
		seq += sp_deals_count(parts[i].ds);
		unf += sp_deals_unfoldable(parts[i].ds);
	}
	/* as stream_ok, over every part's deals */
	stream = r->agg->in_order && r->agg->prepare == NULL && !c->partial &&
	    !c->explain && c->nbad + (long)unf <= c->max_bad;
	/* a part's rows wait in a file; without one, in its table */
	for (i = 1; stream && i < n; i++)
		if ((parts[i].run.wfp = tmp_rows()) == NULL) {
			while (--i > 0) {
				fclose(parts[i].run.wfp);
				parts[i].run.wfp = NULL;
			}
			stream = 0;
		}
	for (i = 0; i < n; i++) {
		parts[i].run.stream = stream ? 1 : -1;
		parts[i].run.ds = parts[i].ds;
	}
	for (i = 1; i < n; i++)
		if (pthread_create(&parts[i].th, NULL, part_finish,
		    &parts[i]) != 0)
			cli_oom(c);
	part_finish(p0);
	for (i = 1; i < n; i++)
		pthread_join(parts[i].th, NULL);
	for (i = 0; i < n; i++)
		for (j = 0; j < parts[i].nbad; j++)
			cli_bad(c, &parts[i].bad[j], NULL);
	for (i = 1; i < n; i++) {
		struct part *p = &parts[i];

		if (p->run.wfp != NULL) {
			if (fflush(p->run.wfp) != 0 || ferror(p->run.wfp)) {
				sp_err_set(&e, NULL, "write error: a temporary "
				    "file of --threads (in $TMPDIR): %s",
				    strerror(errno ? errno : EIO));
				cli_fail(c, &e);
			}
			if (ftell(p->run.wfp) > 0) {
				if (p0->run.w == NULL)
					stream_writer(&p0->run);
				if (sp_writer_begin(p0->run.w) < 0 ||
				    part_rows_out(p->run.wfp) < 0)
					break;	/* cli_finish says */
			}
			fclose(p->run.wfp);
			p->run.wfp = NULL;
		} else if (sp_agg_merge(p0->run.t, p->run.t, &e) < 0)
			cli_fail(c, &e);
		if (p->run.mixed)
			p0->run.mixed = 1;
		for (j = 0; j < 4; j++)
			c->left[j] += p->cli.left[j];
		if (p->cli.left_as_of != 0)
			c->left_as_of = p->cli.left_as_of;
		cli_note_currencies(c, p->ds);
		sp_deals_absorb(p0->ds, p->ds);
		if (sp_reader_add_replaced(c->rd, p->rd) < 0)
			cli_oom(c);
	}
	for (; i < n; i++)	/* after a write error */
		if (parts[i].run.wfp != NULL) {
			fclose(parts[i].run.wfp);
			parts[i].run.wfp = NULL;
		}
	for (i = 1; i < n; i++)
		part_free(&parts[i], 1);
	cli_by_end(c, c->rd);
	cli_run_warn(c, p0->ds);
	return 1;
}

/*
 * Read every deal of c's input into r's table: on several threads when
 * threads_wanted allows and the input splits, else on this one.
 * Returns 1 when the input is a history.
 */
static int
read_all(sp_cli *c, sp_agg_run *r, int need)
{
	struct part *parts, *p0;
	sp_reader **rds;
	sp_rec *rec;
	sp_error e;
	long want = threads_wanted(c);
	size_t i, n = 1;
	int k, history, again = 0, spilled = 0;

	if (want > SP_THREADS_MAX)
		want = SP_THREADS_MAX;
	if ((parts = calloc((size_t)want, sizeof(*parts))) == NULL ||
	    (rds = calloc((size_t)want, sizeof(*rds))) == NULL)
		cli_oom(c);
	p0 = &parts[0];
	p0->run = *r;
	bad_to(c, &p0->run);
	p0->rd = c->rd;
	p0->ds = part_fold(c, p0, need, c);
	p0->run.ds = p0->ds;
	if (want < 2) {
		cli_run_deals(c, p0->ds);
		goto done;
	}
	/* the first record on this thread, kept, then split the rest */
	if ((rec = sp_rec_new()) == NULL)
		cli_oom(c);
	k = part_step(p0, rec, 0);
	if (k != 0)
		cli_by_record(c, c->rd, c->by_slots, rec);
	sp_err_clear(&e);
	/* SP_NEED_ALL reads histories only (pipeline refuses a snapshot
	   at its first deal, on this thread) */
	if (k != 0 && c->by_unseen == 0 && (!(need & SP_NEED_ALL) ||
	    sp_deals_is_history(p0->ds))) {
		int m = sp_reader_split(c->rd, (int)want, rds, &e);
		if (m < 0)
			cli_fail(c, &e);
		n = (size_t)m;
	}
	if (n < 2) {
		/* one thread after all: report what was kept, go on live */
		for (i = 0; i < p0->nbad; i++)
			cli_bad(c, &p0->bad[i], NULL);
		if (p0->fatal)
			cli_fail(c, &p0->fatal_e);
		p0->nbad = 0;
		if (k != 0)
			while (part_step(p0, rec, 1) != 0)
				;
		sp_rec_free(rec);
		cli_by_end(c, c->rd);
		cli_run_finish(c, p0->ds);
		goto done;
	}
	sp_rec_free(rec);
	sp_deals_set_id_memory(p0->ds, c->id_memory / n);
	for (i = 1; i < n; i++) {
		struct part *p = &parts[i];

		p->all = parts;
		p->index = i;
		p->cli = *c;
		memset(p->cli.left, 0, sizeof(p->cli.left));
		p->run = *r;
		p->run.key = NULL;
		p->run.keycap = 0;
		if ((p->run.t = sp_agg_table_new(r->agg)) == NULL)
			cli_oom(c);
		p->rd = rds[i];
		p->ds = part_fold(c, p, need, &p->cli);
		sp_deals_set_mode(p->ds, sp_deals_mode(p0->ds));
		/* the parts share the ids' memory */
		sp_deals_set_id_memory(p->ds, c->id_memory / n);
		if (pthread_create(&p->th, NULL, part_read, p) != 0)
			cli_oom(c);
	}
	part_read(p0);
	for (i = 1; i < n; i++)
		pthread_join(parts[i].th, NULL);
	for (i = 0; i < n; i++) {
		if (parts[i].inexact)
			again = 1;
		if (sp_deals_ids_spilled(parts[i].ds))
			spilled = 1;
	}
	/* a repeated id across parts: one fold would have refused it */
	if (!again && ids_again(c, parts, n))
		again = 1;
	if (!again && !spilled) {
		for (i = 1; i < n; i++)
			if (pthread_create(&parts[i].th, NULL, part_check,
			    &parts[i]) != 0)
				cli_oom(c);
		for (i = 1; i < n; i++) {
			pthread_join(parts[i].th, NULL);
			if (parts[i].overlap)
				again = 1;
		}
	}
	if (!again && split_finish(c, r, parts, n))
		goto done;
	/*
	 * Every part's deals into the first's: a history's folds (an id's
	 * records may be in several parts), a snapshot's statistics.  A part
	 * of the other kind, or a part whose fields its reader named
	 * otherwise: one reader would have read it otherwise.
	 */
	for (i = 1; !again && i < n; i++) {
		int m = sp_deals_merge(p0->ds, parts[i].ds, &e);
		if (m < 0)
			cli_fail(c, &e);
		if (m > 0)
			again = 1;
	}
	if (again) {
		/* read it all again on one thread: nothing was reported */
		sp_read_opts ro;

		for (i = 1; i < n; i++)
			part_free(&parts[i], 1);
		part_free(p0, 0);
		sp_reader_close(c->rd);
		memset(c->left, 0, sizeof(c->left));
		cli_read_opts(c, &ro);
		cli_progress_pass(c, &ro, 0);
		if ((c->rd = sp_reader_open(c->inputs, c->ninputs, &ro,
		    &e)) == NULL)
			cli_fail(c, &e);
		for (i = 0; i < c->nby; i++)
			if ((c->by_slots[i] = sp_reader_slot(c->rd,
			    c->by[i])) < 0)
				cli_oom(c);
		p0->run = *r;
		if ((p0->run.t = sp_agg_table_new(r->agg)) == NULL)
			cli_oom(c);
		bad_to(c, &p0->run);
		p0->rd = c->rd;
		p0->ds = part_fold(c, p0, need, c);
		p0->run.ds = p0->ds;
		cli_run_deals(c, p0->ds);
		goto done;
	}
	/* in input order: the bad records, a fatal error, then the sums */
	for (i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < parts[i].nbad; j++)
			cli_bad(c, &parts[i].bad[j], NULL);
		if (parts[i].fatal)
			cli_fail(c, &parts[i].fatal_e);
	}
	for (i = 1; i < n; i++) {
		size_t j;

		if (sp_agg_merge(p0->run.t, parts[i].run.t, &e) < 0)
			cli_fail(c, &e);
		for (j = 0; j < 4; j++)
			c->left[j] += parts[i].cli.left[j];
		if (parts[i].cli.left_as_of != 0)
			c->left_as_of = parts[i].cli.left_as_of;
		cli_note_currencies(c, parts[i].ds);
		/* pipeline's warning of replaced bytes counts every part */
		if (sp_reader_add_replaced(c->rd, parts[i].rd) < 0)
			cli_oom(c);
		part_free(&parts[i], 1);
	}
	cli_by_end(c, c->rd);
	cli_run_finish(c, p0->ds);
done:
	cli_progress_end();
	c->bad_fn = NULL;
	history = sp_deals_is_history(p0->ds);
	r->t = p0->run.t;
	r->key = p0->run.key;
	r->keycap = p0->run.keycap;
	r->stream = p0->run.stream;
	r->w = p0->run.w;
	r->mixed = p0->run.mixed;
	r->ds = NULL;
	sp_deals_free(p0->ds);
	free(p0->bad);
	free(parts);
	free(rds);
	return history;
}

int
cli_agg_deals(sp_cli *c, sp_agg *a, int need, cli_agg_add_fn add)
{
	sp_agg_run r;
	sp_writer *w = NULL;
	sp_error e;
	int mixed = 0, history;

	if (c->merge)
		return run_merge(c, a);
	memset(&r, 0, sizeof(r));
	r.cli = c;
	r.agg = a;
	r.add = add;
	r.has_period = key_has_period(c, a);
	if ((r.t = sp_agg_table_new(a)) == NULL)
		cli_oom(c);
	history = read_all(c, &r, need);
	sp_err_clear(&e);
	if (c->partial) {
		write_partial(c, &r, history);
	} else if (r.stream > 0) {
		stream_drain(&r, &e);	/* the last batch */
		w = r.w;	/* every deal was written as it came */
		if (r.mixed)
			c->mixed = 1;
	} else if (!c->explain) {
		if (a->prepare != NULL && a->prepare(a->ctx, r.t, &e) < 0)
			cli_fail(c, &e);
		w = cli_writer(c);
		if (sp_agg_columns(a, w, (const char *const *)(c->by_cols != NULL ?
		    c->by_cols : c->by), c->nby,
		    r.has_period) < 0)
			cli_oom(c);
		if (sp_agg_write(r.t, w, c->nby, r.has_period, &mixed,
		    &e) < 0 && !ferror(stdout))
			cli_fail(c, &e);
		if (mixed)
			c->mixed = 1;
	}
	sp_agg_table_free(r.t);
	free(r.key);
	if (a->end != NULL)
		a->end(a->ctx);
	return cli_finish(c, w);
}

static void
pass_ignore(void *ctx, const sp_error *e)
{
	(void)ctx;
	(void)e;
}

static void
pass_bad(void *ctx, const sp_error *e)
{
	cli_bad(ctx, e, NULL);
}

/*
 * The loop of a pass: rd's records into ds, then its fold.  With report,
 * bad records go to cli_bad (else they were reported by an earlier pass
 * and are skipped); with by (the -g slots), the -g check runs.  Returns 1
 * when rd held a history.
 */
static int
pass_read(sp_cli *c, sp_reader *rd, sp_deals *ds, const int *by, int report)
{
	sp_rec *r = sp_rec_new();
	sp_error e;
	int k, history;

	if (r == NULL)
		cli_oom(c);
	sp_err_clear(&e);
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		if (k == -2)
			cli_fail(c, &e);
		if (by != NULL)	/* -g: exit 2 if the input lacks a field */
			cli_by_record(c, rd, by, r);
		if (k == 1 && sp_deals_add(ds, r, &e) == 0)
			continue;
		if (report)
			cli_bad(c, &e, r);
	}
	if (by != NULL)
		cli_by_end(c, rd);
	history = sp_deals_is_history(ds);
	sp_err_clear(&e);
	sp_deals_finish(ds, report ? pass_bad : pass_ignore, c, &e);
	if (report)	/* else an earlier pass checked the same ids */
		cli_ids_late(c, ds);
	cli_note_currencies(c, ds);
	sp_rec_free(r);
	return history;
}

int
cli_deals_pass(sp_cli *c, const char *spool, size_t spooln, int need,
    int64_t as_of, int report, sp_deal_fn fn, void *ctx)
{
	sp_read_opts ro;
	sp_deals_opts o;
	sp_reader *rd;
	sp_deals *ds;
	sp_error e;
	int *slots, history;
	size_t i;

	if ((slots = calloc(c->nby + 1, sizeof(int))) == NULL)
		cli_oom(c);
	cli_read_opts(c, &ro);
	cli_progress_pass(c, &ro, spool != NULL ? spooln : 0);
	sp_err_clear(&e);
	rd = spool != NULL ? sp_reader_open_mem(spool, spooln, "-", &ro, &e) :
	    sp_reader_open(c->inputs, c->ninputs, &ro, &e);
	if (rd == NULL)
		cli_fail(c, &e);
	for (i = 0; i < c->nby; i++)
		if ((slots[i] = sp_reader_slot(rd, c->by[i])) < 0)
			cli_oom(c);
	cli_deals_opts(c, &o, need, fn, ctx);
	o.group_slots = slots;
	o.has_as_of = 1;	/* a snapshot too: nothing closed after it */
	o.as_of = as_of;
	if (!report)
		o.left_out = NULL;
	if ((ds = sp_deals_new(rd, c->stages, &o)) == NULL)
		cli_oom(c);
	history = pass_read(c, rd, ds, report ? slots : NULL, report);
	cli_progress_end();
	if (report)
		cli_prob_warn(c, sp_deals_prob_doubt(ds));
	sp_deals_free(ds);
	sp_reader_close(rd);
	free(slots);
	return history;
}

int
cli_side_pass(sp_cli *c, const char *path, const char *const *fields,
    int *slots, size_t nfields, size_t nrequired, int need, sp_deal_fn fn,
    void *ctx)
{
	size_t i;
	char *paths[1];
	sp_read_opts ro;
	sp_deals_opts o;
	sp_reader *rd;
	sp_deals *ds;
	sp_error e;
	int history;

	paths[0] = (char *)path;
	cli_read_opts(c, &ro);
	ro.format = SP_FMT_AUTO;	/* the file's own, not -i's */
	sp_err_clear(&e);
	if ((rd = sp_reader_open(paths, 1, &ro, &e)) == NULL)
		cli_fail(c, &e);
	for (i = 0; i < nfields; i++)
		if ((slots[i] = sp_reader_slot(rd, fields[i])) < 0 ||
		    sp_reader_use(rd, slots[i]) < 0 || (i < nrequired &&
		    sp_reader_require(rd, slots[i]) < 0))
			cli_oom(c);
	cli_deals_opts(c, &o, need, fn, ctx);
	o.group_slots = NULL;	/* -g is the main input's */
	o.ngroup = 0;
	if (need & SP_NEED_RECORDS)
		o.has_as_of = 0;
	o.left_out = NULL;
	if ((ds = sp_deals_new(rd, c->stages, &o)) == NULL)
		cli_oom(c);
	history = pass_read(c, rd, ds, NULL, 1);
	sp_deals_free(ds);
	sp_reader_close(rd);
	return history;
}
