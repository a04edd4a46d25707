/*
 * map: --map.  Explicit pairs and presets are kept apart: a preset picks
 * its variant per input by a column only that export has, then explicit
 * pairs override it.  Adding a preset is adding a row to the table below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "salespipe/map.h"
#include "salespipe/rec.h"
#include "salespipe/stage.h"

struct preset {
	const char *name;
	const char *detect;	/* a column only this variant has; NULL: any */
	const char *pairs;	/* canonical=source,... */
	const char *deal_stages, *lead_stages;
	int prob_scale;		/* 1: the CRM writes probabilities as 0..1
				   fractions; 0: percentages */
};

#define SF_DEAL_STAGES "Prospecting:open:10,Qualification:open:10," \
	"Needs Analysis:open:20,Value Proposition:open:50," \
	"Id. Decision Makers:open:60,Perception Analysis:open:70," \
	"Proposal/Price Quote:open:75,Negotiation/Review:open:90," \
	"Closed Won:won:100:closed,Closed Lost:lost:0:omitted"
#define SF_LEAD_STAGES "Open - Not Contacted:open,Working - Contacted:open," \
	"Closed - Converted:won,Closed - Not Converted:lost"

/* HubSpot's default pipeline, its stages with their ids (the pipelines
 * API, GET /crm/v3/pipelines/deals) and default probabilities */
#define HS_PIPE "Sales Pipeline|default"
#define HS_DEAL_STAGES \
	"Appointment Scheduled:open:20::appointmentscheduled:" HS_PIPE "," \
	"Qualified To Buy:open:40::qualifiedtobuy:" HS_PIPE "," \
	"Presentation Scheduled:open:60::presentationscheduled:" HS_PIPE "," \
	"Decision Maker Bought-In:open:80::decisionmakerboughtin:" HS_PIPE "," \
	"Contract Sent:open:90::contractsent:" HS_PIPE "," \
	"Closed Won:won:100:closed:closedwon:" HS_PIPE "," \
	"Closed Lost:lost:0:omitted:closedlost:" HS_PIPE
/* Pipedrive's default pipeline; won and lost come from the status */
#define PD_DEAL_STAGES "Qualified,Contact Made,Demo Scheduled," \
	"Proposal Made,Negotiations Started,Won:won,Lost:lost"

static const struct preset presets[] = {
	/* Salesforce OpportunityHistory: one row per change of an opportunity */
	{ "salesforce", "OpportunityId",
	  "id=OpportunityId,at=CreatedDate,stage=StageName,amount=Amount,"
	  "probability=Probability,close_date=CloseDate,"
	  "forecast_category=ForecastCategory,currency=CurrencyIsoCode",
	  SF_DEAL_STAGES, SF_LEAD_STAGES, 0 },
	/* Salesforce Lead */
	{ "salesforce", "IsConverted",
	  "id=Id,company=Company,email=Email,phone=Phone,source=LeadSource,"
	  "stage=Status,owner=Owner.Name|OwnerId,created_at=CreatedDate,"
	  "deal_id=ConvertedOpportunityId",
	  SF_DEAL_STAGES, SF_LEAD_STAGES, 0 },
	/* Salesforce Opportunity; names (report columns) before ids */
	{ "salesforce", NULL,
	  "id=Id,name=Name,account=Account.Name|AccountId,"
	  "owner=Owner.Name|OwnerId,stage=StageName,"
	  "amount=Amount,probability=Probability,close_date=CloseDate,"
	  "created_at=CreatedDate,forecast_category=ForecastCategoryName,"
	  "source=LeadSource,currency=CurrencyIsoCode",
	  SF_DEAL_STAGES, SF_LEAD_STAGES, 0 },
	/* HubSpot deals exported from the UI (the properties' labels) */
	{ "hubspot", "Deal Stage",
	  "id=Record ID,name=Deal Name,stage=Deal Stage,amount=Amount,"
	  "close_date=Close Date,created_at=Create Date,owner=Deal owner,"
	  "pipeline=Pipeline,probability=Deal probability,"
	  "currency=Currency,lost_reason=Closed Lost Reason",
	  HS_DEAL_STAGES, NULL, 1 },
	/* HubSpot deals from the API or a warehouse (internal names) */
	{ "hubspot", NULL,
	  "id=hs_object_id,name=dealname,stage=dealstage,amount=amount,"
	  "close_date=closedate,created_at=createdate,owner=hubspot_owner_id,"
	  "pipeline=pipeline,probability=hs_deal_stage_probability,"
	  "currency=deal_currency_code,lost_reason=closed_lost_reason",
	  HS_DEAL_STAGES, NULL, 1 },
	/* Pipedrive's deal export ("Deal - " and the field's name) */
	{ "pipedrive", NULL,
	  "id=Deal - ID,name=Deal - Title,amount=Deal - Value,"
	  "currency=Deal - Currency,stage=Deal - Stage,status=Deal - Status,"
	  "owner=Deal - Owner,created_at=Deal - Deal created,"
	  "won_at=Deal - Won time,lost_at=Deal - Lost time,"
	  "close_date=Deal - Expected close date,"
	  "lost_reason=Deal - Lost reason,probability=Deal - Probability,"
	  "pipeline=Deal - Pipeline,account=Deal - Organization",
	  PD_DEAL_STAGES, NULL, 0 },
};
#define NPRESETS (sizeof(presets) / sizeof(presets[0]))

/* The presets' names, each once (a name may have several rows above). */
const char *const sp_map_presets[] = { "salesforce", "hubspot", "pipedrive",
    NULL };

struct pair {
	char *canonical;
	char **src;		/* alternatives, first present wins */
	size_t nsrc;
};

struct pairs {
	struct pair *v;
	size_t n;
};

struct sp_map {
	struct pairs explicit;
	const char *preset;	/* name, or NULL */
	struct pairs variant[NPRESETS];	/* parsed preset rows, by index */
};

sp_map *
sp_map_new(void)
{
	return calloc(1, sizeof(sp_map));
}

static void
pair_free(struct pair *p)
{
	size_t j;

	free(p->canonical);
	for (j = 0; j < p->nsrc; j++)
		free(p->src[j]);
	free(p->src);
}

static void
pairs_free(struct pairs *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		pair_free(&p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

void
sp_map_free(sp_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	pairs_free(&m->explicit);
	for (i = 0; i < NPRESETS; i++)
		pairs_free(&m->variant[i]);
	free(m);
}

static char *
dup_trim(const char *s, size_t n)
{
	char *p;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Add canonical <- sources ("a|b") to p, replacing an earlier one. */
static int
pairs_add(struct pairs *p, const char *canon, size_t cn, const char *src,
    size_t sn, sp_error *e)
{
	struct pair np = { NULL, NULL, 0 }, *v;
	const char *bar;
	size_t i;

	if ((np.canonical = dup_trim(canon, cn)) == NULL)
		goto nomem;
	if (np.canonical[0] == '\0') {
		free(np.canonical);
		return sp_err_set(e, NULL, "--map: empty field name in '%.*s=%.*s'",
		    (int)cn, canon, (int)sn, src);
	}
	/* "x=" (no source at all): the field is dropped, nsrc 0 */
	while (sn > 0 && (*src == ' ' || *src == '\t'))
		src++, sn--;
	while (sn > 0 && (src[sn - 1] == ' ' || src[sn - 1] == '\t' ||
	    src[sn - 1] == '\r' || src[sn - 1] == '\n'))
		sn--;
	while (sn > 0) {	/* left by break after the last source */
		char **s2;
		bar = memchr(src, '|', sn);
		if ((s2 = realloc(np.src, (np.nsrc + 1) * sizeof(*s2))) == NULL)
			goto nomem;
		np.src = s2;
		if ((np.src[np.nsrc] = dup_trim(src, bar ? (size_t)(bar - src) :
		    sn)) == NULL)
			goto nomem;
		if (np.src[np.nsrc++][0] == '\0') {
			sp_err_set(e, NULL, "--map: empty source name for '%s'",
			    np.canonical);
			goto fail;
		}
		if (bar == NULL)
			break;
		sn -= (size_t)(bar + 1 - src);
		src = bar + 1;
		if (sn == 0) {
			sp_err_set(e, NULL, "--map: empty source name for '%s'",
			    np.canonical);
			goto fail;
		}
	}
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].canonical, np.canonical) == 0) {
			pair_free(&p->v[i]);
			p->v[i] = np;
			return 0;
		}
	if ((v = realloc(p->v, (p->n + 1) * sizeof(*v))) == NULL)
		goto nomem;
	p->v = v;
	p->v[p->n++] = np;
	return 0;
nomem:
	sp_err_set(e, NULL, "out of memory");
fail:
	pair_free(&np);
	return -1;
}

/* "a=b,c=d|e" into p. */
static int
pairs_parse(struct pairs *p, const char *s, sp_error *e)
{
	while (*s != '\0') {
		const char *comma = strchr(s, ','), *eq;
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		eq = memchr(s, '=', n);
		if (eq == NULL)
			return sp_err_set(e, NULL, "--map: '%.*s' is not "
			    "canonical=source", (int)n, s);
		if (pairs_add(p, s, (size_t)(eq - s), eq + 1,
		    n - (size_t)(eq + 1 - s), e) < 0)
			return -1;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int
pairs_file(struct pairs *p, const char *path, sp_error *e)
{
	/* whole, capped, UTF-8 (a byte order mark skipped) */
	FILE *fp = sp_optfile_open(path, "map file", e);
	char *line = NULL, *comma;
	size_t cap = 0, n;
	ssize_t k;
	long ln = 0;
	int first = 1, rc = 0;

	if (fp == NULL)
		return -1;
	while ((k = getline(&line, &cap, fp)) >= 0) {
		n = (size_t)k;
		ln++;
		/* the line end only: a CR elsewhere belongs to a name */
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (strlen(line) != n || (comma = strchr(line, ',')) == NULL) {
			sp_err_where(e, path, ln);
			rc = sp_err_set(e, NULL, "'%.200s' is not canonical,source",
			    line);
			break;
		}
		if (first && strncmp(line, "canonical,", 10) == 0) {
			first = 0;
			continue;	/* the header */
		}
		first = 0;
		if (pairs_add(p, line, (size_t)(comma - line), comma + 1,
		    strlen(comma + 1), e) < 0) {
			sp_err_where(e, path, ln);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

int
sp_map_add(sp_map *m, const char *arg, sp_error *e)
{
	struct stat sb;
	char names[256];
	size_t i;

	for (i = 0; sp_map_presets[i] != NULL; i++)
		if (strcmp(arg, sp_map_presets[i]) == 0)
			break;
	if (sp_map_presets[i] != NULL) {
		m->preset = sp_map_presets[i];
		for (i = 0; i < NPRESETS; i++)
			if (strcmp(presets[i].name, arg) == 0 &&
			    m->variant[i].n == 0 &&
			    pairs_parse(&m->variant[i], presets[i].pairs, e) < 0)
				return -1;
		return 0;
	}
	if (strchr(arg, '=') != NULL)
		return pairs_parse(&m->explicit, arg, e);
	if (stat(arg, &sb) == 0)
		return pairs_file(&m->explicit, arg, e);
	names[0] = '\0';
	for (i = 0; sp_map_presets[i] != NULL; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%s%s", i > 0 ? ", " : "", sp_map_presets[i]);
	return sp_err_set(e, NULL, "--map: '%.200s' is not a preset (%s), "
	    "a list canonical=source,... or a readable file", arg, names);
}

static int
has_name(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/*
 * Bind p's pairs: out[col] = canonical, bound[col] = 1.  Explicit pairs
 * override: an earlier (preset) binding of the same canonical name is
 * undone even when none of the pair's sources is present, and a column
 * literally named like the canonical name is then shadowed (absent[col]):
 * the field is absent, not taken from elsewhere.
 */
static void
bind(const struct pairs *p, const char *const *names, size_t n,
    const char **out, unsigned char *bound, unsigned char *absent)
{
	size_t i, j;
	int col = -1;

	for (i = 0; i < p->n; i++) {
		for (j = 0; j < p->v[i].nsrc; j++)
			if ((col = has_name(names, n, p->v[i].src[j])) >= 0)
				break;
		if (j == p->v[i].nsrc && absent != NULL) {
			for (size_t k = 0; k < n; k++) {
				if (bound[k] && out[k] != NULL &&
				    strcmp(out[k], p->v[i].canonical) == 0) {
					out[k] = names[k];
					bound[k] = 0;
				}
				if (names[k] != NULL &&
				    strcmp(names[k], p->v[i].canonical) == 0)
					absent[k] = 1;
			}
			continue;
		}
		if (j == p->v[i].nsrc)
			continue;
		/* an earlier binding of the same canonical name loses */
		for (size_t k = 0; k < n; k++)
			if (bound[k] && out[k] != NULL &&
			    strcmp(out[k], p->v[i].canonical) == 0) {
				out[k] = names[k];
				bound[k] = 0;
			}
		out[col] = p->v[i].canonical;
		bound[col] = 1;
	}
}

int
sp_map_resolve(const sp_map *m, const char *const *names, size_t n,
    const char **out, sp_error *e)
{
	unsigned char *bound = calloc(2 * (n + 1), 1), *absent;
	size_t i, j;

	if (bound == NULL)
		return sp_err_set(e, NULL, "out of memory");
	absent = bound + n + 1;
	for (i = 0; i < n; i++)
		out[i] = names[i];
	if (m != NULL && m->preset != NULL)
		for (i = 0; i < NPRESETS; i++) {
			if (strcmp(presets[i].name, m->preset) != 0)
				continue;
			if (presets[i].detect != NULL &&
			    has_name(names, n, presets[i].detect) < 0)
				continue;
			bind(&m->variant[i], names, n, out, bound, NULL);
			break;
		}
	if (m != NULL)
		bind(&m->explicit, names, n, out, bound, absent);
	/* an unbound column named like a bound canonical name is shadowed,
	 * and so is one whose explicit pair found no source */
	for (i = 0; i < n; i++)
		if (absent[i] && !bound[i])
			out[i] = NULL;
	for (j = 0; j < n; j++) {
		if (!bound[j])
			continue;
		for (i = 0; i < n; i++)
			if (!bound[i] && out[i] != NULL &&
			    strcmp(out[j], names[i]) == 0)
				out[i] = NULL;
	}
	free(bound);
	return 0;
}

static int
pairs_mention(const struct pairs *p, const char *name)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].canonical, name) == 0)
			return 1;
		for (j = 0; j < p->v[i].nsrc; j++)
			if (strcmp(p->v[i].src[j], name) == 0)
				return 1;
	}
	return 0;
}

int
sp_map_mentions(const sp_map *m, const char *name)
{
	size_t i;

	if (m == NULL)
		return 0;
	if (pairs_mention(&m->explicit, name))
		return 1;
	for (i = 0; i < NPRESETS; i++)
		if (pairs_mention(&m->variant[i], name) ||
		    (m->variant[i].n > 0 && presets[i].detect != NULL &&
		    strcmp(presets[i].detect, name) == 0))
			return 1;
	return 0;
}

const char *
sp_map_stages(const sp_map *m, int which)
{
	size_t i;

	if (m == NULL || m->preset == NULL)
		return NULL;
	for (i = 0; i < NPRESETS; i++)
		if (strcmp(presets[i].name, m->preset) == 0)
			return which == SP_STAGES_LEADS ?
			    presets[i].lead_stages : presets[i].deal_stages;
	return NULL;
}

/*
 * Case-insensitive fallback: a field named `Stage` or `AMOUNT` is taken for
 * the canonical field when nothing is called that exactly.  Kept apart
 * from sp_map_resolve: it runs after it, on the names sp_map_resolve left alone.
 */
const char *const sp_map_canonical[] = {
	/* deals */
	"id", "name", "account", "owner", "stage", "amount", "currency",
	"probability", "created_at", "close_date", "closed_at",
	"forecast_category", "lost_reason", "source", "product", "territory",
	"pipeline", "status", "won_at", "lost_at",
	/* leads */
	"company", "email", "phone", "campaign", "deal_id",
	/* activities, quotas, teams, histories */
	"at", "type", "minutes", "end_at", "lead_id", "outcome", "period",
	"team", "manager", "from", "to",
	NULL
};

const char *
sp_map_canonical_fold(const char *name)
{
	size_t i;

	for (i = 0; sp_map_canonical[i] != NULL; i++)
		if (strcasecmp(name, sp_map_canonical[i]) == 0)
			return strcmp(name, sp_map_canonical[i]) == 0 ? NULL :
			    sp_map_canonical[i];
	return NULL;
}

void
sp_map_fold_case(const char *const *names, size_t n, const char **out)
{
	size_t i, j;
	const char *c;

	for (i = 0; i < n; i++) {
		if (out[i] != names[i] || (c = sp_map_canonical_fold(names[i])) ==
		    NULL)
			continue;
		for (j = 0; j < n; j++)
			if (out[j] != NULL && strcmp(out[j], c) == 0)
				break;
		if (j == n)
			out[i] = c;	/* the first of `Stage`, `STAGE` */
	}
}

int
sp_map_prob_scale(const sp_map *m)
{
	size_t i;

	if (m == NULL || m->preset == NULL)
		return 0;
	for (i = 0; i < NPRESETS; i++)
		if (strcmp(presets[i].name, m->preset) == 0)
			return presets[i].prob_scale;
	return 0;
}

int
sp_map_has_preset(const sp_map *m)
{
	return m != NULL && m->preset != NULL;
}
