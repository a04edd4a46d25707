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
#include <sys/stat.h>
#include <unistd.h>

#include "salespipe/agg.h"
#include "salespipe/cli.h"
#include "salespipe/group.h"

#define PARTIAL_VERSION 1

struct sp_agg_run {
	sp_cli *cli;
	sp_agg *agg;
	sp_agg_table *t;
	cli_agg_add_fn add;
	int has_period;
	char *key;		/* the key being built */
	size_t keycap;
	sp_period bucket;
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

void *
cli_agg_at(sp_agg_run *r, const sp_deal *d, int64_t t, const char **label)
{
	sp_cli *c = r->cli;

	if (c->has_period && !sp_period_contains(&c->period, t)) {
		*label = NULL;
		return NULL;
	}
	if (c->every != SP_EVERY_NONE) {
		sp_period_bucket(t, c->every, &c->cal, &r->bucket);
		*label = r->bucket.label;
	} else
		*label = c->has_period ? c->period.label : "";
	return state_with(r, d, *label);
}

void *
cli_agg_group(sp_agg_run *r, const sp_deal *d)
{
	sp_cli *c = r->cli;

	if (c->every != SP_EVERY_NONE)
		return NULL;
	return state_with(r, d, c->has_period ? c->period.label : "");
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

static int
deal_cb(void *ctx, const sp_deal *d, sp_error *e)
{
	sp_agg_run *r = ctx;
	sp_cli *c = r->cli;

	if (c->shard_n > 0 && cli_shard_of(d->id, c->shard_n) != c->shard_k)
		return 0;
	return r->add(r, d, e);
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
	int rc;

	sp_err_clear(&e);
	h = json_pack("{s:s,s:i,s:s,s:o,s:s,s:b}", "salespipe", "partial",
	    "version", PARTIAL_VERSION, "program", c->prog, "options",
	    fingerprint(c), "format", c->rd != NULL &&
	    sp_reader_format(c->rd) == SP_FMT_JSONL ? "jsonl" : "csv",
	    "history", history);
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
	if (json_is_string(v = json_object_get(h, "format")))
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
	int have_header = 0;
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
			have_header = 1;
		} else if (!have_header) {
			sp_err_set(&e, NULL, "a group before the partial's "
			    "header line (salespipe-records(5))");
			sp_err_where(&e, file, lineno);
			json_decref(j);
			free(line);
			cli_fail(c, &e);
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
	int has_period = c->has_period || c->every != SP_EVERY_NONE;
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
	w = cli_writer(c);
	sp_err_clear(&e);
	if (sp_agg_columns(a, w, (const char *const *)c->by, c->nby,
	    has_period) < 0)
		cli_oom(c);
	if ((rc = sp_agg_write(t, w, c->nby, has_period, &mixed, &e)) < 0 &&
	    !ferror(stdout))
		cli_fail(c, &e);
	if (mixed)
		c->mixed = 1;
	sp_agg_table_free(t);
	return cli_finish(c, w);
}

int
cli_agg_deals(sp_cli *c, sp_agg *a, int need, cli_agg_add_fn add)
{
	sp_agg_run r;
	sp_deals_opts o;
	sp_deals *ds;
	sp_writer *w = NULL;
	sp_error e;
	int mixed = 0, history;

	if (c->merge)
		return run_merge(c, a);
	memset(&r, 0, sizeof(r));
	r.cli = c;
	r.agg = a;
	r.add = add;
	r.has_period = c->has_period || c->every != SP_EVERY_NONE;
	if ((r.t = sp_agg_table_new(a)) == NULL)
		cli_oom(c);
	cli_deals_opts(c, &o, need, deal_cb, &r);
	if ((ds = sp_deals_new(c->rd, c->stages, &o)) == NULL)
		cli_oom(c);
	cli_run_deals(c, ds);
	history = sp_deals_is_history(ds);
	sp_deals_free(ds);
	sp_err_clear(&e);
	if (c->partial) {
		write_partial(c, &r, history);
	} else if (!c->explain) {
		w = cli_writer(c);
		if (sp_agg_columns(a, w, (const char *const *)c->by, c->nby,
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
	return cli_finish(c, w);
}
