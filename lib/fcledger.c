/*
 * fcledger: forecast's ledger of frozen calls and the scores of --score
 * and --backtest, program side (it prints and exits through cli).  Moved
 * out of cmd/forecast.c, which keeps the methods; see fcledger.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "salespipe/cli.h"
#include "salespipe/field.h"
#include "salespipe/group.h"
#include "salespipe/journal.h"
#include "fcledger.h"

static const char *const ledger_cols[] = { "at", "period", "period_start",
	"period_end", "method", "value" };
#define NLEDGER 6

void
fcl_check(sp_cli *c, const char *path)
{
	char *paths[] = { (char *)path };
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r;
	sp_error e;
	size_t i;
	int k;

	if (cli_is_input(c, path)) {
		fprintf(stderr, "%s: --record %s: is an input: a ledger is a "
		    "file of its own; nothing was appended\n", c->prog, path);
		exit(SP_EXIT_USAGE);
	}
	if (access(path, F_OK) != 0)
		return;		/* sp_journal_open creates it, or says why not */
	memset(&ro, 0, sizeof(ro));
	sp_err_clear(&e);
	if ((r = sp_rec_new()) == NULL ||
	    (rd = sp_reader_open(paths, 1, &ro, &e)) == NULL)
		cli_oom(c);
	k = sp_reader_next(rd, r, &e);
	for (i = 0; k == 1 && i < NLEDGER; i++)
		if (!sp_rec_has(r, sp_reader_slot(rd, ledger_cols[i])))
			break;
	if (k != 0 && (k != 1 || i < NLEDGER)) {
		fprintf(stderr, "%s: --record %s: not a forecast ledger (%s%s%s); "
		    "nothing was appended\n", c->prog, path,
		    k == 1 ? "its first record lacks '" : "its first record "
		    "cannot be read", k == 1 ? ledger_cols[i] : "",
		    k == 1 ? "'" : "");
		sp_reader_close(rd);
		sp_rec_free(r);
		exit(SP_EXIT_USAGE);
	}
	sp_reader_close(rd);
	sp_rec_free(r);
}

sp_writer *
fcl_writer(sp_cli *c, FILE *fp)
{
	sp_writer *lw = sp_writer_new(fp, SP_FMT_JSONL);
	size_t k;

	if (lw == NULL)
		cli_oom(c);
	for (k = 0; k < NLEDGER; k++)
		if (sp_writer_col(lw, ledger_cols[k], SP_COL_STR) < 0)
			cli_oom(c);
	for (k = 0; k < c->nby; k++)
		if (sp_writer_col(lw, c->by[k], SP_COL_STR) < 0)
			cli_oom(c);
	return lw;
}

int
fcl_row(sp_writer *lw, sp_cli *c, int64_t at, const sp_period *p,
    const char *method, int64_t cents, const char *const *parts)
{
	const char **v = calloc(NLEDGER + c->nby, sizeof(*v));
	char t[32], s[32], e[32], val[32];
	size_t k;
	int rc;

	if (v == NULL)
		cli_oom(c);
	v[0] = sp_time_format(at, t);
	v[1] = p->label;
	v[2] = sp_time_format(p->start, s);
	v[3] = sp_time_format(p->end, e);
	v[4] = method;
	v[5] = sp_money_format_cents(cents, val);
	for (k = 0; k < c->nby; k++)
		v[NLEDGER + k] = parts[k];
	rc = sp_writer_row(lw, v);
	free(v);
	return rc;
}

void
fcl_append(sp_cli *c, const char *path, const char *buf, size_t len)
{
	sp_error e;
	sp_journal *j = sp_journal_open(path, SP_JOURNAL_CREATE, &e);

	if (j == NULL)
		cli_fail(c, &e);
	if (sp_journal_format(j) != SP_FMT_JSONL) {
		sp_journal_close(j);
		sp_err_clear(&e);
		sp_err_where(&e, path, 0);
		sp_err_set(&e, NULL, "a ledger is JSON lines (name it .jsonl)");
		cli_fail(c, &e);
	}
	if (sp_journal_append(j, buf, len, &e) < 0) {
		sp_journal_close(j);
		cli_fail(c, &e);
	}
	sp_journal_close(j);
}

struct call {
	char *key;
	size_t keylen;
	int method;
	int64_t at, value;
	size_t p;
};

sp_groups *
fcl_read(sp_cli *c, const char *path, const char *const *methods,
    int nmethods, sp_period **perp, size_t *npp)
{
	char *paths[] = { (char *)path };
	sp_read_opts ro;
	sp_reader *rd;
	sp_rec *r = sp_rec_new();
	sp_error e;
	sp_period *per = NULL;
	size_t np = 0, i, ncall = 0, kc = 0;
	struct call *calls = NULL;
	int sat, sps, spe, sm, sv, k, *slots;
	char *kb = NULL;
	sp_groups *agg, *seen;

	if ((slots = calloc(c->nby + 1, sizeof(int))) == NULL)
		cli_oom(c);
	memset(&ro, 0, sizeof(ro));
	sp_err_clear(&e);
	if (r == NULL || (rd = sp_reader_open(paths, 1, &ro, &e)) == NULL)
		cli_fail(c, &e);
	sat = sp_reader_slot(rd, "at");
	sps = sp_reader_slot(rd, "period_start");
	spe = sp_reader_slot(rd, "period_end");
	sm = sp_reader_slot(rd, "method");
	sv = sp_reader_slot(rd, "value");
	for (i = 0; i < c->nby; i++)
		slots[i] = sp_reader_slot(rd, c->by[i]);
	if ((seen = sp_groups_new(1, NULL)) == NULL)
		cli_oom(c);
	while ((k = sp_reader_next(rd, r, &e)) != 0) {
		int64_t at, s, en, val;
		int m;
		size_t kl;
		if (k < 0)
			cli_fail(c, &e);
		/* a call recorded twice (the same record again) counts once */
		if (sp_groups_find(seen, r->raw, r->rawlen) != NULL)
			continue;
		if (sp_groups_get(seen, r->raw, r->rawlen) == NULL)
			cli_oom(c);
		sp_err_where(&e, r->file, r->line);
		if (sp_time_parse(sp_rec_get(r, sat) ? sp_rec_get(r, sat) : "",
		    sp_rec_len(r, sat), NULL, &at, &e) < 0 ||
		    sp_time_parse(sp_rec_get(r, sps) ? sp_rec_get(r, sps) : "",
		    sp_rec_len(r, sps), NULL, &s, &e) < 0 ||
		    sp_time_parse(sp_rec_get(r, spe) ? sp_rec_get(r, spe) : "",
		    sp_rec_len(r, spe), NULL, &en, &e) < 0 ||
		    sp_money_parse(sp_rec_get(r, sv) ? sp_rec_get(r, sv) : "",
		    sp_rec_len(r, sv), &val, &e) < 0) {
			sp_err_set(&e, NULL, "not a ledger record: %s", e.msg);
			cli_fail(c, &e);
		}
		/* a ledger value is written to the cent */
		val = (int64_t)sp_money_div_even(val, SP_MICRO_UNIT / 100);
		for (m = 0; m < nmethods; m++)
			if (sp_rec_get(r, sm) && strcmp(sp_rec_get(r, sm),
			    methods[m]) == 0)
				break;
		if (m == nmethods) {
			sp_err_set(&e, "method", "unknown method");
			cli_fail(c, &e);
		}
		if (en > c->cal.now)
			continue;	/* the period is not over yet */
		for (i = 0; i < np; i++)
			if (per[i].start == s && per[i].end == en)
				break;
		if (i == np) {
			sp_period *v = realloc(per, (np + 1) * sizeof(*v));
			if (v == NULL)
				cli_oom(c);
			per = v;
			memset(&per[np], 0, sizeof(per[np]));
			per[np].start = s;
			per[np].end = en;
			snprintf(per[np].label, sizeof(per[np].label), "%.40s",
			    sp_rec_get(r, sp_reader_slot(rd, "period")) ?
			    sp_rec_get(r, sp_reader_slot(rd, "period")) : "");
			np++;
		}
		if ((calls = realloc(calls, (ncall + 1) * sizeof(*calls))) ==
		    NULL)
			cli_oom(c);
		for (k = 0; k < (int)c->nby; k++)
			if (sp_rec_get(r, slots[k]) == NULL) {
				sp_err_set(&e, c->by[k], "missing: this call was "
				    "not recorded with -g %s, so it cannot be "
				    "scored by it", c->by[k]);
				cli_fail(c, &e);
			}
		kl = sp_group_key(r, slots, c->nby, &kb, &kc);
		if (kl == (size_t)-1 || (calls[ncall].key = malloc(kl + 1)) ==
		    NULL)
			cli_oom(c);
		memcpy(calls[ncall].key, kb, kl);
		calls[ncall].keylen = kl;
		calls[ncall].method = m;
		calls[ncall].at = at;
		calls[ncall].value = val;
		calls[ncall].p = i;
		ncall++;
	}
	sp_reader_close(rd);
	sp_rec_free(r);
	free(kb);
	free(slots);
	sp_groups_free(seen, NULL);
	/*
	 * One call is one (method, time, period, group): calls recorded per
	 * finer groups (-g owner, scored without -g) add up to it.
	 */
	if ((agg = sp_groups_new(sizeof(int64_t), NULL)) == NULL)
		cli_oom(c);
	for (i = 0; i < ncall; i++) {
		char *ak = malloc(calls[i].keylen + 24);
		int64_t *sum;
		if (ak == NULL)
			cli_oom(c);
		ak[0] = (char)calls[i].method;
		memcpy(ak + 1, &calls[i].at, 8);
		memcpy(ak + 9, &calls[i].p, sizeof(size_t));
		memcpy(ak + 9 + sizeof(size_t), calls[i].key, calls[i].keylen);
		if ((sum = sp_groups_get(agg, ak, 9 + sizeof(size_t) +
		    calls[i].keylen)) == NULL)
			cli_oom(c);
		*sum += calls[i].value;
		free(ak);
		free(calls[i].key);
	}
	free(calls);
	*perp = per;
	*npp = np;
	return agg;
}

void
fcl_each(sp_cli *c, sp_groups *agg,
    void (*fn)(void *arg, int method, int64_t at, size_t p, const char *key,
    size_t keylen, int64_t cents), void *arg)
{
	const char **keys;
	size_t *lens, n, i;
	void **states;

	if ((n = sp_groups_sorted(agg, &keys, &lens, &states)) == (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		int64_t at;
		size_t p, off = 9 + sizeof(size_t);
		memcpy(&at, keys[i] + 1, 8);
		memcpy(&p, keys[i] + 9, sizeof(size_t));
		fn(arg, keys[i][0], at, p, keys[i] + off, lens[i] - off,
		    *(int64_t *)states[i]);
	}
	free(keys);
	free(lens);
	free(states);
	sp_groups_free(agg, NULL);
}

/* Scores: per (method, group, horizon). */
struct score {
	int64_t calls, nape;
	__int128 actual, forecast, abserr, err;
	long double ape;
};

static void
score_init(void *p)
{
	memset(p, 0, sizeof(struct score));
}

sp_groups *
fcl_scores_new(sp_cli *c)
{
	sp_groups *sg = sp_groups_new(sizeof(struct score), score_init);

	if (sg == NULL)
		cli_oom(c);
	return sg;
}

int
fcl_score_add(sp_groups *sg, size_t nby, const char *method,
    const char *gkey, size_t gkeylen, long horizon, int64_t forecast,
    int64_t actual)
{
	char *key, h[24];
	size_t kl = 0, ml = strlen(method);
	struct score *s;
	int64_t d = forecast - actual;

	/* fixed width and offset: the keys sort by horizon */
	snprintf(h, sizeof(h), "%09ld", horizon + 100000000L);
	if ((key = malloc(ml + gkeylen + strlen(h) + 3)) == NULL)
		return -1;
	memcpy(key, method, ml);
	kl = ml;
	key[kl++] = SP_KEY_SEP;
	if (nby > 0) {
		memcpy(key + kl, gkey, gkeylen);
		kl += gkeylen;
		key[kl++] = SP_KEY_SEP;
	}
	memcpy(key + kl, h, strlen(h));
	kl += strlen(h);
	s = sp_groups_get(sg, key, kl);
	free(key);
	if (s == NULL)
		return -1;
	s->calls++;
	s->actual += actual;
	s->forecast += forecast;
	s->err += d;
	s->abserr += d < 0 ? -d : d;
	if (actual != 0) {
		s->nape++;
		s->ape += fabsl((long double)d / (long double)actual);
	}
	return 0;
}

/*
 * The mean of the calls' |error| / actual, as sp_ratio_text writes a
 * ratio: truncated to nine decimals, so that the writer rounds it once
 * (to six decimals, or to a percentage of two in a table).  It was
 * printed with six, which the table's percentage then rounded again.
 */
static char *
mape_text(long double v, char *buf)
{
	char *dot;

	snprintf(buf, 48, "%.12Lf", v);
	if ((dot = strchr(buf, '.')) != NULL && strlen(dot) > 10)
		dot[10] = '\0';
	return buf;
}

int
fcl_score_emit(sp_cli *c, sp_groups *sg)
{
	const char **keys, **v, **parts;
	size_t *lens, n, i, k, pcap = 0;
	void **states;
	char b[8][48], *pb = NULL;
	sp_writer *w = cli_writer(c);

	/* the method, the -g fields and the horizon */
	if ((parts = calloc(c->nby + 2, sizeof(*parts))) == NULL ||
	    (v = calloc(c->nby + 10, sizeof(*v))) == NULL)
		cli_oom(c);
	sp_writer_col(w, "method", SP_COL_STR);
	cli_group_cols(c, w);
	sp_writer_col(w, "horizon_days", SP_COL_NUM);
	sp_writer_col(w, "calls", SP_COL_NUM);
	sp_writer_col(w, "actual", SP_COL_NUM);
	sp_writer_col(w, "forecast", SP_COL_NUM);
	sp_writer_col(w, "error", SP_COL_NUM);
	sp_writer_col(w, "mape", SP_COL_RATIO);
	sp_writer_col(w, "wape", SP_COL_RATIO);
	sp_writer_col(w, "bias", SP_COL_RATIO);
	if ((n = sp_groups_sorted(sg, &keys, &lens, &states)) == (size_t)-1)
		cli_oom(c);
	for (i = 0; i < n; i++) {
		struct score *s = states[i];
		int64_t a = (int64_t)s->actual;
		/* method, the group's parts, horizon */
		if (sp_group_key_split(keys[i], lens[i], c->nby + 2, parts,
		    &pb, &pcap) < 0)
			cli_oom(c);
		v[0] = parts[0];
		for (k = 0; k < c->nby; k++)
			v[1 + k] = parts[1 + k];
		k = 1 + c->nby;
		v[k++] = sp_count_format(strtol(parts[1 + c->nby], NULL, 10) -
		    100000000L, b[7]);
		v[k++] = sp_count_format(s->calls, b[0]);
		v[k++] = sp_money_format_cents(a, b[1]);
		v[k++] = sp_money_format_cents((int64_t)s->forecast, b[2]);
		v[k++] = sp_money_format_cents((int64_t)s->err, b[3]);
		if (s->nape > 0)
			mape_text(s->ape / s->nape, b[4]);
		else
			b[4][0] = '\0';
		v[k++] = b[4];
		v[k++] = sp_ratio_text((int64_t)s->abserr, a < 0 ? -a : a,
		    b[5]);
		v[k++] = sp_ratio_text((int64_t)s->err, a < 0 ? -a : a, b[6]);
		if (sp_writer_row(w, v) < 0)
			break;
	}
	free(keys);
	free(lens);
	free(states);
	free(pb);
	free(parts);
	free(v);
	sp_groups_free(sg, NULL);
	return cli_finish(c, w);
}
