/*
 * stage: the ordered stage list.  Programs look a record's stage up here
 * once per record: a scan that rules most names out by their first byte,
 * with no state, so --threads share one list without writing to it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "salespipe/field.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"
#include "salespipe/util.h"

static const char *const kind_names[] = { "open", "won", "lost" };
static const char *const cat_names[] = { "pipeline", "best_case", "commit",
    "closed", "omitted" };

const char *
sp_stage_kind_name(int kind)
{
	return kind >= 0 && kind <= SP_LOST ? kind_names[kind] : "?";
}

const char *
sp_stage_category_name(int cat)
{
	return cat >= 0 && cat <= SP_FC_OMITTED ? cat_names[cat] : "?";
}

int
sp_stage_kind_parse(const char *s)
{
	int i;

	for (i = 0; i <= SP_LOST; i++)
		if (strcasecmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}

int
sp_stage_category_parse(const char *s)
{
	int i;

	for (i = 0; i <= SP_FC_OMITTED; i++)
		if (strcasecmp(s, cat_names[i]) == 0)
			return i;
	if (strcasecmp(s, "best case") == 0 || strcasecmp(s, "bestcase") == 0)
		return SP_FC_BEST_CASE;
	if (strcasecmp(s, "omit") == 0)
		return SP_FC_OMITTED;
	return -1;
}

void
sp_stages_free(sp_stages *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->v[i].name);
		free(st->v[i].id);
	}
	for (i = 0; i < st->npipes; i++) {
		free(st->pipes[i].label);
		free(st->pipes[i].id);
	}
	free(st->pipes);
	free(st->v);
	free(st->known);
	free(st);
}

static char *
strip_dup(const char *s, size_t n)
{
	char *p;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int
stages_push(sp_stages *st, char *name, int kind, int prob, int cat)
{
	sp_stage *v;

	if (name == NULL)
		return -1;
	if ((v = realloc(st->v, (st->n + 1) * sizeof(*v))) == NULL) {
		free(name);
		return -1;
	}
	st->v = v;
	v[st->n].name = name;
	v[st->n].label = name;
	v[st->n].id = NULL;
	v[st->n].pipeline = -1;
	v[st->n].kind = kind;
	v[st->n].prob_bp = prob;
	v[st->n].category = cat;
	v[st->n].flags = 0;
	st->n++;
	return 0;
}

/* The pipeline labelled label (or with that id), added when new; -1 when
 * out of memory. */
static int
pipe_intern(sp_stages *st, char *label, char *id)
{
	sp_pipe *v;
	size_t i;

	for (i = 0; i < st->npipes; i++)
		if (strcasecmp(st->pipes[i].label, label) == 0) {
			free(label);
			free(id);
			return (int)i;
		}
	if ((v = realloc(st->pipes, (st->npipes + 1) * sizeof(*v))) == NULL) {
		free(label);
		free(id);
		return -1;
	}
	st->pipes = v;
	v[st->npipes].label = label;
	v[st->npipes].id = id;
	return (int)st->npipes++;
}

/* s without blanks around, a copy, or NULL when s is NULL or blank (or
 * memory ran out: *oom set). */
static char *
dup_text(const char *s, int *oom)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strip_dup(s, strlen(s))) == NULL)
		*oom = 1;
	else if (p[0] == '\0') {
		free(p);
		p = NULL;
	}
	return p;
}

/* The last stage pushed gets id and pipeline (each may be NULL or blank;
 * blanks around are dropped). */
static int
stage_place(sp_stages *st, const char *id, const char *pipe,
    const char *pipe_id, sp_error *e)
{
	sp_stage *s = &st->v[st->n - 1];
	int oom = 0;
	char *pl = dup_text(pipe, &oom), *pi = dup_text(pipe_id, &oom);

	s->id = dup_text(id, &oom);
	st->has_ids |= s->id != NULL;
	if (pl == NULL && pi != NULL && (pl = strdup(pi)) == NULL)
		oom = 1;	/* an id alone: its own label */
	if (oom) {
		free(pl);
		free(pi);
		return sp_err_set(e, NULL, "out of memory");
	}
	if (pl != NULL && (s->pipeline = pipe_intern(st, pl, pi)) < 0)
		return sp_err_set(e, NULL, "out of memory");
	if (pl == NULL)
		free(pi);
	return 0;
}

/*
 * Stages of one pipeline together (in the order given, pipelines in order
 * of first appearance), and with two pipelines or more, names
 * "pipeline: label", unique in the list.
 */
static int
stages_group(sp_stages *st, sp_error *e)
{
	sp_stage *v;
	size_t i, k = 0, p;

	if (st->npipes == 0)
		return 0;
	for (i = 0; i < st->n; i++)
		if (st->v[i].pipeline < 0)
			return sp_err_set(e, NULL, "stage '%s' names no pipeline, "
			    "though others do", st->v[i].name);
	if ((v = malloc(st->n * sizeof(*v))) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	for (p = 0; p < st->npipes; p++)
		for (i = 0; i < st->n; i++)
			if (st->v[i].pipeline == (int)p)
				v[k++] = st->v[i];
	free(st->v);
	st->v = v;
	if (st->npipes < 2)
		return 0;
	for (i = 0; i < st->n; i++) {
		const char *pl = st->pipes[st->v[i].pipeline].label;
		size_t n = strlen(pl) + strlen(st->v[i].name) + 3;
		char *q = malloc(n);
		if (q == NULL)
			return sp_err_set(e, NULL, "out of memory");
		snprintf(q, n, "%s: %s", pl, st->v[i].name);
		free(st->v[i].name);
		st->v[i].name = q;
		st->v[i].label = q + strlen(pl) + 2;
	}
	return 0;
}

/* Check the list and build the "known" text. */
static int
stages_seal(sp_stages *st, sp_error *e)
{
	size_t i, j, p, len = 1, open;

	if (st->n == 0)
		return sp_err_set(e, NULL, "the stage list is empty");
	if (st->n > SP_STAGES_MAX)
		return sp_err_set(e, NULL, "%zu stages; at most %d are supported",
		    st->n, SP_STAGES_MAX);
	for (i = 0; i < st->n; i++) {
		if (st->v[i].label[0] == '\0')
			return sp_err_set(e, NULL, "stage %zu has no name", i + 1);
		for (j = 0; j < i; j++) {
			if (strcasecmp(st->v[i].name, st->v[j].name) == 0)
				return sp_err_set(e, NULL,
				    "stage '%s' is listed twice",
				    st->v[i].name);
			if (st->v[i].id != NULL && st->v[j].id != NULL &&
			    st->v[i].pipeline == st->v[j].pipeline &&
			    strcasecmp(st->v[i].id, st->v[j].id) == 0)
				return sp_err_set(e, NULL, "stages '%s' and '%s' "
				    "have one id '%s'", st->v[j].name,
				    st->v[i].name, st->v[i].id);
		}
		len += strlen(st->v[i].name) + 2;
	}
	for (p = 0; p == 0 || p < st->npipes; p++) {
		for (i = 0, open = 0; i < st->n; i++)
			open += st->v[i].kind == SP_OPEN && (st->npipes == 0 ||
			    st->v[i].pipeline == (int)p);
		if (open == 0 && st->npipes > 0)
			return sp_err_set(e, NULL, "pipeline '%s' has no open "
			    "stage", st->pipes[p].label);
		if (open == 0)
			return sp_err_set(e, NULL, "the stage list has no open "
			    "stage");
	}
	if ((st->known = malloc(len)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	st->known[0] = '\0';
	for (i = 0; i < st->n; i++) {
		if (i > 0)
			strcat(st->known, ", ");
		strcat(st->known, st->v[i].name);
	}
	return 0;
}

static int
ends_with_word(const char *s, const char *w)
{
	size_t n = strlen(s), k = strlen(w);

	if (n < k || strcasecmp(s + n - k, w) != 0)
		return 0;
	return n == k || s[n - k - 1] == ' ';
}

static int
inline_kind(const char *name)
{
	if (ends_with_word(name, "won"))
		return SP_WON;
	if (ends_with_word(name, "lost"))
		return SP_LOST;
	return SP_OPEN;
}

/* One inline entry name[:kind[:probability[:category[:id[:pipeline]]]]];
 * fills *given. */
static int
inline_entry(sp_stages *st, const char *p, size_t n, int *given,
    sp_error *e)
{
	char *f[6] = { NULL, NULL, NULL, NULL, NULL, NULL }, *buf, *c, *bar;
	size_t k = 0;
	int kind, prob = -1, cat = -1, rc = -1;

	if ((buf = strip_dup(p, n)) == NULL)
		return sp_err_set(e, NULL, "out of memory");
	for (c = buf, f[k++] = c; k < 6 && (c = strchr(c, ':')) != NULL;) {
		*c++ = '\0';
		f[k++] = c;
	}
	kind = inline_kind(f[0]);
	if (f[1] != NULL && f[1][0] != '\0' &&
	    (kind = sp_stage_kind_parse(f[1])) < 0) {
		sp_err_set(e, NULL, "stage '%s': '%s' is not open, won or lost",
		    f[0], f[1]);
		goto out;
	}
	if (f[2] != NULL && f[2][0] != '\0' &&
	    sp_prob_parse(f[2], strlen(f[2]), &prob, e) < 0)
		goto out;
	if (f[3] != NULL && f[3][0] != '\0' &&
	    (cat = sp_stage_category_parse(f[3])) < 0) {
		sp_err_set(e, NULL, "stage '%s': '%s' is not pipeline, best_case, "
		    "commit, closed or omitted", f[0], f[3]);
		goto out;
	}
	*given = prob >= 0;
	if (cat < 0)
		cat = kind == SP_WON ? SP_FC_CLOSED : kind == SP_LOST ?
		    SP_FC_OMITTED : SP_FC_PIPELINE;
	if (prob < 0)
		prob = kind == SP_WON ? 10000 : 0;
	/* the pipeline "label|id" */
	if (f[5] != NULL && (bar = strchr(f[5], '|')) != NULL)
		*bar++ = '\0';
	else
		bar = NULL;
	if (stages_push(st, strip_dup(f[0], strlen(f[0])), kind, prob, cat) < 0)
		sp_err_set(e, NULL, "out of memory");
	else if (stage_place(st, f[4], f[5], bar, e) == 0) {
		if (f[1] != NULL && f[1][0] != '\0')
			st->v[st->n - 1].flags |= SP_STAGE_KIND_SET;
		rc = 0;
	}
out:
	free(buf);
	return rc;
}

static sp_stages *
parse_inline(const char *spec, sp_error *e)
{
	sp_stages *st = calloc(1, sizeof(*st));
	const char *p = spec, *comma;
	size_t i, k = 0, nopen = 0, cap = 0;
	int *given = NULL;

	if (st == NULL) {
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	for (;;) {
		comma = strchr(p, ',');
		if (st->n == cap) {
			int *g = realloc(given, (cap = cap * 2 + 8) *
			    sizeof(*g));
			if (g == NULL) {
				sp_err_set(e, NULL, "out of memory");
				goto fail;
			}
			given = g;
		}
		if (inline_entry(st, p, comma ? (size_t)(comma - p) :
		    strlen(p), &given[st->n], e) < 0)
			goto fail;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	for (i = 0; i < st->n; i++)
		nopen += st->v[i].kind == SP_OPEN;
	for (i = 0; i < st->n; i++) {
		if (st->v[i].kind != SP_OPEN)
			continue;
		/* round(100 * (k + 1) / (nopen + 1)) percent */
		if (!given[i])
			st->v[i].prob_bp = (int)((200 * (k + 1) / (nopen + 1) +
			    1) / 2 * 100);
		k++;
	}
	if (stages_group(st, e) < 0 || stages_seal(st, e) < 0)
		goto fail;
	free(given);
	return st;
fail:
	free(given);
	sp_stages_free(st);
	return NULL;
}

/* Split one CSV line of a stage file in place (quotes allowed). */
static size_t
split_line(char *s, char **f, size_t max)
{
	size_t n = 0;
	char *w;

	while (n < max) {
		f[n++] = w = s;
		if (*s == '"') {
			s++;
			for (;;) {
				if (*s == '\0')
					break;
				if (*s == '"' && s[1] == '"') {
					*w++ = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else
					*w++ = *s++;
			}
		}
		while (*s != '\0' && *s != ',')
			*w++ = *s++;
		if (*s == ',') {
			*w = '\0';
			s++;
			continue;
		}
		*w = '\0';
		break;
	}
	return n;
}

/* Field c of a stage file's row (f, n fields), blanks stripped in place;
 * NULL when the file has no such column. */
static char *
column(char **f, size_t n, int c)
{
	char *p, *q;

	if (c < 0 || (size_t)c >= n)
		return NULL;
	for (p = f[c]; isspace((unsigned char)*p); p++)
		;
	for (q = p + strlen(p); q > p && isspace((unsigned char)q[-1]); q--)
		;
	*q = '\0';
	return p;
}

static sp_stages *
parse_file(const char *path, sp_error *e)
{
	FILE *fp;
	sp_stages *st;
	char *line = NULL, *f[16];
	int col[7] = { -1, -1, -1, -1, -1, -1, -1 }, ln = 0;
	size_t i, n, linecap = 0;
	static const char *const cols[] = { "stage", "kind", "probability",
	    "forecast_category", "id", "pipeline", "pipeline_id" };
	enum { C_ID = 4, C_PIPE, C_PIPE_ID, NCOLS };

	/* whole, capped, UTF-8 (a byte order mark skipped) */
	if ((fp = sp_optfile_open(path, "stage file", e)) == NULL)
		return NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		fclose(fp);
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	while (getline(&line, &linecap, fp) >= 0) {
		char *nl = line + strcspn(line, "\r\n");
		int kind, prob = -1, cat = -1, flags;

		ln++;
		*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		n = split_line(line, f, 16);
		if (col[0] < 0) {
			for (i = 0; i < n; i++) {
				char *name = strip_dup(f[i], strlen(f[i]));
				size_t c;
				for (c = 0; name && c < NCOLS; c++)
					if (strcasecmp(name, cols[c]) == 0)
						col[c] = (int)i;
				free(name);
			}
			if (col[0] < 0) {
				sp_err_where(e, path, ln);
				sp_err_set(e, NULL, "the header has no 'stage' column "
				    "(stage,kind,probability,forecast_category)");
				goto fail;
			}
			continue;
		}
		sp_err_where(e, path, ln);
		if ((size_t)col[0] >= n) {
			sp_err_set(e, "stage", "missing");
			goto fail;
		}
		kind = inline_kind(f[col[0]]);
		if (col[1] >= 0 && (size_t)col[1] < n && f[col[1]][0] != '\0' &&
		    (kind = sp_stage_kind_parse(f[col[1]])) < 0) {
			sp_err_set(e, "kind", "'%s' is not open, won or lost",
			    f[col[1]]);
			goto fail;
		}
		if (col[2] >= 0 && (size_t)col[2] < n && f[col[2]][0] != '\0' &&
		    sp_prob_parse(f[col[2]], strlen(f[col[2]]), &prob, e) < 0) {
			snprintf(e->field, sizeof(e->field), "probability");
			goto fail;
		}
		if (col[3] >= 0 && (size_t)col[3] < n && f[col[3]][0] != '\0' &&
		    (cat = sp_stage_category_parse(f[col[3]])) < 0) {
			sp_err_set(e, "forecast_category", "'%s' is not pipeline, "
			    "best_case, commit, closed or omitted", f[col[3]]);
			goto fail;
		}
		flags = col[1] >= 0 && (size_t)col[1] < n &&
		    f[col[1]][0] != '\0' ? SP_STAGE_KIND_SET : 0;
		if (prob < 0 && kind == SP_OPEN)
			flags |= SP_STAGE_NO_PROB;
		if (prob < 0)
			prob = kind == SP_WON ? 10000 : 0;
		if (cat < 0)
			cat = kind == SP_WON ? SP_FC_CLOSED : kind == SP_LOST ?
			    SP_FC_OMITTED : SP_FC_PIPELINE;
		if (stages_push(st, strip_dup(f[col[0]], strlen(f[col[0]])),
		    kind, prob, cat) < 0) {
			sp_err_set(e, NULL, "out of memory");
			goto fail;
		}
		st->v[st->n - 1].flags = flags;
		if (stage_place(st, column(f, n, col[C_ID]), column(f, n,
		    col[C_PIPE]), column(f, n, col[C_PIPE_ID]), e) < 0)
			goto fail;
	}
	fclose(fp);
	free(line);
	st->from_file = 1;
	sp_err_where(e, path, 0);
	if (stages_group(st, e) < 0 || stages_seal(st, e) < 0) {
		sp_stages_free(st);
		return NULL;
	}
	sp_err_clear(e);
	return st;
fail:
	fclose(fp);
	free(line);
	sp_stages_free(st);
	return NULL;
}

sp_stages *
sp_stages_parse(const char *spec, sp_error *e)
{
	struct stat sb;
	size_t n = strlen(spec);

	if (stat(spec, &sb) == 0 || (n > 4 && strcmp(spec + n - 4, ".csv") ==
	    0))
		return parse_file(spec, e);
	return parse_inline(spec, e);
}

sp_stages *
sp_stages_default(int which)
{
	static const struct {
		const char *name;
		int kind, prob, cat;
	} deals[] = {
		{ "qualification", SP_OPEN, 1000, SP_FC_PIPELINE },
		{ "discovery", SP_OPEN, 2000, SP_FC_PIPELINE },
		{ "proposal", SP_OPEN, 5000, SP_FC_BEST_CASE },
		{ "negotiation", SP_OPEN, 8000, SP_FC_COMMIT },
		{ "won", SP_WON, 10000, SP_FC_CLOSED },
		{ "lost", SP_LOST, 0, SP_FC_OMITTED },
		{ NULL, 0, 0, 0 }
	}, leads[] = {
		{ "new", SP_OPEN, 0, SP_FC_PIPELINE },
		{ "contacted", SP_OPEN, 0, SP_FC_PIPELINE },
		{ "qualified", SP_OPEN, 0, SP_FC_PIPELINE },
		{ "converted", SP_WON, 10000, SP_FC_CLOSED },
		{ "disqualified", SP_LOST, 0, SP_FC_OMITTED },
		{ NULL, 0, 0, 0 }
	};
	const __typeof__(deals[0]) *d = which == SP_STAGES_LEADS ? leads :
	    deals;
	sp_stages *st = calloc(1, sizeof(*st));
	size_t i;

	if (st == NULL)
		return NULL;
	for (i = 0; d[i].name != NULL; i++)
		if (stages_push(st, strdup(d[i].name), d[i].kind, d[i].prob,
		    d[i].cat) < 0) {
			sp_stages_free(st);
			return NULL;
		}
	if (stages_seal(st, NULL) < 0) {
		sp_stages_free(st);
		return NULL;
	}
	return st;
}

/* Add where another list comes from to the known names of st. */
static sp_stages *
with_hint(sp_stages *st, const char *var, sp_error *e)
{
	static const char fmt[] = "; another stage list: --stages or $%s";
	size_t n;
	char *k;

	if (st == NULL)
		return NULL;
	n = strlen(st->known) + sizeof(fmt) + strlen(var);
	if ((k = realloc(st->known, n)) == NULL) {
		sp_stages_free(st);
		sp_err_set(e, NULL, "out of memory");
		return NULL;
	}
	st->known = k;
	snprintf(k + strlen(k), n - strlen(k), fmt, var);
	return st;
}

sp_stages *
sp_stages_resolve(const char *spec, const char *preset, int which,
    sp_error *e)
{
	/* leads have their own variable: deal stages make no lead list */
	const char *var = which == SP_STAGES_LEADS ? "SALESPIPE_LEAD_STAGES" :
	    "SALESPIPE_STAGES";
	const char *env = getenv(var);
	sp_stages *st;

	if (spec != NULL)
		return with_hint(sp_stages_parse(spec, e), var, e);
	if (env != NULL && env[0] != '\0') {
		if ((st = sp_stages_parse(env, e)) == NULL) {
			char m[sizeof(e->msg)];
			memcpy(m, e->msg, sizeof(m));
			m[sizeof(m) - 40] = '\0';
			snprintf(e->msg, sizeof(e->msg), "$%s: %.900s", var,
			    m);
		}
		return with_hint(st, var, e);
	}
	if (preset != NULL)
		return with_hint(sp_stages_parse(preset, e), var, e);
	if ((st = sp_stages_default(which)) == NULL)
		sp_err_set(e, NULL, "out of memory");
	return with_hint(st, var, e);
}

/* Whether name is the n bytes of s; the first byte rules out most. */
static int
same_name(const char *name, const char *s, size_t n)
{
	return (n == 0 || name[0] == s[0]) && strncmp(name, s, n) == 0 &&
	    name[n] == '\0';
}

/* Whether a is the n bytes of s but for case. */
static int
same_fold(const char *a, const char *s, size_t n)
{
	return a != NULL && strncasecmp(a, s, n) == 0 && a[n] == '\0';
}

int
sp_stages_find_in(const sp_stages *st, int p, const char *s, size_t n)
{
	size_t i;
	int found = -1;

	sp_trim_blanks(&s, &n);
	/* byte for byte first: by far the most common case */
	for (i = 0; i < st->n; i++)
		if (same_name(st->v[i].name, s, n) && (p < 0 ||
		    st->v[i].pipeline == p))
			return (int)i;
	for (i = 0; i < st->n; i++)
		if (same_fold(st->v[i].name, s, n) && (p < 0 ||
		    st->v[i].pipeline == p))
			return (int)i;
	if (st->npipes < 2 && !st->has_ids)
		return -1;
	/* a label (names are "pipeline: label") or an id */
	for (i = 0; i < st->n; i++) {
		if (p >= 0 && st->v[i].pipeline != p)
			continue;
		if (!same_fold(st->v[i].label, s, n) &&
		    !same_fold(st->v[i].id, s, n))
			continue;
		if (found >= 0 && st->v[found].pipeline != st->v[i].pipeline)
			return -2;
		if (found < 0)
			found = (int)i;
	}
	return found;
}

int
sp_stages_find(const sp_stages *st, const char *s, size_t n)
{
	int k = sp_stages_find_in(st, -1, s, n);

	return k < 0 ? -1 : k;
}

int
sp_stages_pipeline(const sp_stages *st, const char *s, size_t n)
{
	size_t i;

	sp_trim_blanks(&s, &n);
	for (i = 0; i < st->npipes; i++)
		if (same_fold(st->pipes[i].label, s, n) ||
		    same_fold(st->pipes[i].id, s, n))
			return (int)i;
	return -1;
}

const char *
sp_stages_known_in(const sp_stages *st, int p, char *buf, size_t size)
{
	size_t i, len = 0, k;
	const char *w;

	buf[0] = '\0';
	for (i = 0; i < (p < 0 ? st->npipes : st->n); i++) {
		if (p >= 0 && st->v[i].pipeline != p)
			continue;
		w = p < 0 ? st->pipes[i].label : st->v[i].label;
		k = strlen(w) + (len > 0 ? 2 : 0);
		if (len + k + 6 >= size) {	/* room for ", ..." */
			snprintf(buf + len, size - len, "%s...", len > 0 ?
			    ", " : "");
			break;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    len > 0 ? ", " : "", w);
	}
	return buf;
}

const char *
sp_stages_known(const sp_stages *st)
{
	return st->known;
}

int
sp_stages_first_open(const sp_stages *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->v[i].kind == SP_OPEN)
			return (int)i;
	return -1;
}

int
sp_stages_first_of(const sp_stages *st, int s, int kind)
{
	size_t i;
	int p = s >= 0 ? st->v[s].pipeline : -1;

	for (i = 0; i < st->n; i++)
		if (st->v[i].kind == kind && (p < 0 || st->v[i].pipeline == p))
			return (int)i;
	return -1;
}

int
sp_stages_same_pipeline(const sp_stages *st, int a, int b)
{
	return st->v[a].pipeline == st->v[b].pipeline;
}

int
sp_stages_first_won(const sp_stages *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->v[i].kind == SP_WON)
			return (int)i;
	return -1;
}

/* 1 when s holds w as a word (case-insensitive; letters and digits
 * around it make another word). */
static int
has_word(const char *s, const char *w)
{
	size_t n = strlen(s), k = strlen(w), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, w, k) == 0 &&
		    (i == 0 || !isalnum((unsigned char)s[i - 1])) &&
		    (i + k == n || !isalnum((unsigned char)s[i + k])))
			return 1;
	return 0;
}

const char *
sp_stages_warning(const sp_stages *st, size_t i, char *buf, size_t size)
{
	const sp_stage *s;
	const char *word;

	if (i >= st->n)
		return NULL;
	s = &st->v[i];
	if (s->kind != SP_OPEN || (s->flags & SP_STAGE_KIND_SET))
		return NULL;
	if (has_word(s->name, "won"))
		word = "won";
	else if (has_word(s->name, "lost"))
		word = "lost";
	else
		return NULL;
	if (st->from_file)
		snprintf(buf, size, "stage '%.200s' is open, though its name "
		    "says %s: write %s (or open) in its kind column "
		    "(salespipe-stages(5))", s->name, word, word);
	else
		snprintf(buf, size, "stage '%.200s' is open, though its name "
		    "says %s (inline, only a name that is or ends in '%s' "
		    "takes that kind): write '%.200s:%s' (or '%.200s:open'), "
		    "or give its kind in a stage file (salespipe-stages(5))",
		    s->name, word, word, s->name, word, s->name);
	return buf;
}
